//! Roles (docs/design/roles.md): records, the hierarchy, self-assignable roles.

use domain::permission::SERVER_PERMISSIONS;
use domain::permission::named::MANAGE_ROLES;
use domain::role::NEVER_SELF_ASSIGNABLE;
use domain::user::PROTECTED_ROLES;
use domain::{MentionRule, RawJson, Role, User};

use super::Community;
use crate::errors::{AccessError, RoleError};
use crate::ports::PluginEvent;
use crate::services::directory::Authority;
use crate::services::{Outcome, Pushes, Reply};
use crate::{Packet, Session};

/// A role's `permissions` value as sent: stored verbatim, with the mention rule and the
/// named permissions it implies.
#[derive(Debug, Clone, PartialEq)]
pub struct RolePermissions {
    /// The value (an object or a list of names), as JSON text.
    pub raw: RawJson,
    /// Who may mention the role.
    pub mention: MentionRule,
    /// The named server permissions granted.
    pub grants: Vec<String>,
}

/// Fields of `role_create` / `role_update`, already filtered by the wire layer
/// (`None` = leave as is; `Some(None)` = remove). Invalid values travel as errors,
/// reported after the permission gate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoleChanges {
    /// Description.
    pub description: Option<Option<String>>,
    /// Colour.
    pub color: Option<Option<String>>,
    /// `hoisted` (stored verbatim).
    pub hoisted: Option<RawJson>,
    /// `permissions`.
    pub permissions: Option<Result<RolePermissions, RoleError>>,
    /// `self_assignable`.
    pub self_assignable: Option<bool>,
    /// `category` (stored verbatim; `null` allowed).
    pub category: Option<RawJson>,
}

fn set_extra(role: &mut Role, key: &str, value: RawJson) {
    match role.extra.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value,
        None => role.extra.push((key.to_owned(), value)),
    }
}

/// Checks what `changes` would do to the role called `name` on behalf of `me`, then
/// applies it: self-assignable never for `owner`/`admin`/`moderator`; a non-owner grants
/// only named permissions they hold (docs/design/roles.md#editing-roles).
fn apply(me: &Authority, role: &mut Role, changes: RoleChanges) -> Result<(), RoleError> {
    let permissions = changes.permissions.transpose()?;
    if changes.self_assignable == Some(true) && NEVER_SELF_ASSIGNABLE.contains(&role.name.as_str()) {
        return Err(RoleError::CannotBeSelfAssignable(role.name.clone()));
    }
    let escalates =
        |g: &&String| SERVER_PERMISSIONS.contains(&g.as_str()) && !role.grants.contains(g) && !me.rank.has(g);
    if let Some(g) = permissions.as_ref().and_then(|p| p.grants.iter().find(escalates)) {
        return Err(AccessError::PermissionRequired(g.clone()).into());
    }
    if let Some(d) = changes.description {
        role.description = d;
    }
    if let Some(c) = changes.color {
        role.color = c;
    }
    if let Some(p) = permissions {
        set_extra(role, "permissions", p.raw);
        role.mention = p.mention;
        role.grants = p.grants;
    }
    if let Some(h) = changes.hoisted {
        set_extra(role, "hoisted", h);
    }
    if let Some(s) = changes.self_assignable {
        role.self_assignable = s;
    }
    if let Some(c) = changes.category {
        set_extra(role, "category", c);
    }
    Ok(())
}

/// The role's `permissions` object as stored (`{}` when none).
pub fn permissions_of(role: &Role) -> RawJson {
    role.extra.iter().find(|(k, _)| k == "permissions").map(|(_, v)| v.clone()).unwrap_or_else(|| RawJson("{}".into()))
}

/// Whether users may give `role` to themselves.
fn self_assignable(role: &Role) -> bool {
    role.self_assignable && !NEVER_SELF_ASSIGNABLE.contains(&role.name.as_str())
}

impl Community {
    /// `roles_list` (any user), in hierarchy order.
    pub async fn roles_list(&self) -> Outcome<RoleError> {
        Ok(Reply::Packet(Packet::RolesList(self.store.roles().await?)))
    }

    /// `role_create` (owner or `manage_roles`): a fresh id, placed below every role.
    pub async fn create_role(
        &self,
        session: &Session,
        name: Result<String, RoleError>,
        changes: RoleChanges,
    ) -> Outcome<RoleError> {
        let me = self.directory.require_owner_or(session, MANAGE_ROLES).await?;
        let name = name?;
        let mut role = Role::named(&name, None);
        apply(&me, &mut role, changes)?;
        role.id = self.ids.message_id();
        role.position = me.roles.iter().map(|r| r.position + 1).max().unwrap_or(0);
        if !self.store.insert_role(&role).await? {
            return Err(RoleError::RoleExists);
        }
        self.emit(PluginEvent::RoleSaved { role: Box::new(role), created: true });
        Ok(Reply::then(Packet::RoleCreated(name), Pushes::ROLES))
    }

    /// The role called `name`, which `me` must outrank.
    async fn managed_role(&self, me: &Authority, name: &str) -> Result<Role, RoleError> {
        let role = self.store.role(name).await?.ok_or(RoleError::RoleNotFound)?;
        me.over_role(name)?;
        Ok(role)
    }

    /// `role_update` (owner, or `manage_roles` over the role).
    pub async fn update_role(
        &self,
        session: &Session,
        name: Result<String, RoleError>,
        changes: RoleChanges,
    ) -> Outcome<RoleError> {
        let me = self.directory.require_owner_or(session, MANAGE_ROLES).await?;
        let name = name?;
        let mut role = self.managed_role(&me, &name).await?;
        apply(&me, &mut role, changes)?;
        if !self.store.update_role(&role).await? {
            return Err(RoleError::RoleNotFound);
        }
        self.emit(PluginEvent::RoleSaved { role: Box::new(role), created: false });
        Ok(Reply::then(Packet::RoleUpdated(name), Pushes::ROLES))
    }

    /// `role_delete` (owner, or `manage_roles` over the role): not protected, held by no
    /// one (banned users aside), named by no channel (also as `!name`).
    pub async fn delete_role(&self, session: &Session, name: Result<String, RoleError>) -> Outcome<RoleError> {
        let me = self.directory.require_owner_or(session, MANAGE_ROLES).await?;
        let name = name?;
        self.store.role(&name).await?.ok_or(RoleError::RoleNotFound)?;
        if PROTECTED_ROLES.contains(&name.as_str()) {
            return Err(RoleError::SystemRole);
        }
        me.over_role(&name)?;
        if let Some(holder) = self.store.users().await?.into_iter().find(|u| !u.is_banned() && u.has_role(&name)) {
            return Err(RoleError::RoleAssigned(holder.display_name().to_owned()));
        }
        let names = |e: &String| e == &name || e.strip_prefix('!') == Some(name.as_str());
        let channels = self.store.channels().await?;
        let used = channels
            .iter()
            .find(|c| c.permissions.as_ref().is_some_and(|p| p.0.iter().any(|(_, l)| l.iter().any(names))));
        if let Some(c) = used {
            return Err(RoleError::RoleUsedInChannel(c.name.clone()));
        }
        if !self.store.delete_role(&name).await? {
            return Err(RoleError::RoleNotFound);
        }
        self.emit(PluginEvent::RoleDelete { name: name.clone() });
        Ok(Reply::then(Packet::RoleDeleted(name), Pushes::ROLES))
    }

    /// `role_permissions_set` (owner, or `manage_roles` over the role): replaces the whole
    /// `permissions` object.
    pub async fn set_role_permissions(
        &self,
        session: &Session,
        name: Result<String, RoleError>,
        permissions: Result<RolePermissions, RoleError>,
    ) -> Outcome<RoleError> {
        let me = self.directory.require_owner_or(session, MANAGE_ROLES).await?;
        let name = name?;
        let mut role = self.managed_role(&me, &name).await?;
        let permissions = permissions?;
        let raw = permissions.raw.clone();
        apply(&me, &mut role, RoleChanges { permissions: Some(Ok(permissions)), ..Default::default() })?;
        self.store.update_role(&role).await?;
        Ok(Reply::then(Packet::RolePermissionsSet { name, permissions: raw }, Pushes::ROLES))
    }

    /// `role_permissions_get` (any user).
    pub async fn role_permissions(&self, name: Result<String, RoleError>) -> Outcome<RoleError> {
        let name = name?;
        let role = self.store.role(&name).await?.ok_or(RoleError::RoleNotFound)?;
        Ok(Reply::Packet(Packet::RolePermissionsGet { permissions: permissions_of(&role), name }))
    }

    /// `role_reorder` (`manage_roles`; the owner always): `order` names every role exactly
    /// once, highest first. A non-owner must leave every role at or above their own where
    /// it is (docs/design/roles.md#reordering).
    pub async fn reorder_roles(&self, session: &Session, order: Result<Vec<String>, RoleError>) -> Outcome<RoleError> {
        let me = self.directory.require_permission(session, MANAGE_ROLES).await?;
        let order = order?;
        let current: Vec<&str> = me.roles.iter().map(|r| r.name.as_str()).collect();
        let mut sorted: Vec<&str> = order.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        let mut expected = current.clone();
        expected.sort_unstable();
        if sorted != expected {
            return Err(RoleError::ReorderFailed);
        }
        for (i, role) in me.roles.iter().enumerate() {
            if !me.rank.outranks_role(role) && order[i] != role.name {
                return Err(AccessError::RoleAboveYou.into());
            }
        }
        if !self.store.reorder_roles(&order).await? {
            return Err(RoleError::ReorderFailed);
        }
        Ok(Reply::then(Packet::RoleReorder(order), Pushes::ROLES))
    }

    /// `self_roles_list`: the roles users may give themselves, and which the caller holds.
    pub async fn self_roles_list(&self, session: &Session) -> Outcome<RoleError> {
        let me = self.directory.caller_with_roles(session).await?;
        let list = self.store.roles().await?.into_iter().filter(self_assignable).map(|r| {
            let held = me.has_role(&r.name);
            (r, held)
        });
        Ok(Reply::Packet(Packet::SelfRolesList(list.collect())))
    }

    /// `self_role_add` (`added`) / `self_role_remove`: a self-assignable role, added at the
    /// end of the caller's roles (their colour stays) or removed (never their last role).
    pub async fn self_role(
        &self,
        session: &Session,
        name: Result<String, RoleError>,
        added: bool,
    ) -> Outcome<RoleError> {
        let me = self.directory.caller_with_roles(session).await?;
        let name = name?;
        let role = self.store.role(&name).await?.ok_or(RoleError::RoleNotFound)?;
        if !self_assignable(&role) {
            return Err(RoleError::NotSelfAssignable);
        }
        let change = |u: &mut User| {
            match (added, u.has_role(&name)) {
                (true, true) => return Err(RoleError::AlreadyHaveRole),
                (false, false) => return Err(RoleError::DontHaveRole),
                (false, true) if u.roles.len() == 1 => return Err(RoleError::CannotRemoveLastRole),
                (true, false) => u.roles.push(name.clone()),
                (false, true) => {
                    u.revoke(&name);
                }
            }
            Ok(())
        };
        let (user, ()) = self.directory.update_user_with(&me.id, change).await?.ok_or(AccessError::UserNotFound)?;
        Ok(Reply::then(Packet::SelfRole { added, role: name, roles: user.roles }, Pushes::MEMBERSHIP))
    }
}
