//! Roles (docs/design/roles.md).

use domain::user::PROTECTED_ROLES;
use domain::{MentionRule, RawJson, Role};

use super::Community;
use crate::errors::RoleError;
use crate::ports::PluginEvent;
use crate::services::{Outcome, Pushes, Reply};
use crate::{Packet, Session};

/// Fields of `role_create` / `role_update`, already filtered by the wire layer
/// (`None` = leave as is; `Some(None)` = remove).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoleChanges {
    /// Description.
    pub description: Option<Option<String>>,
    /// Colour.
    pub color: Option<Option<String>>,
    /// `hoisted` (stored verbatim).
    pub hoisted: Option<RawJson>,
    /// `permissions` object and the mention rule it implies.
    pub permissions: Option<(RawJson, MentionRule)>,
}

fn set_extra(role: &mut Role, key: &str, value: RawJson) {
    match role.extra.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value,
        None => role.extra.push((key.to_owned(), value)),
    }
}

fn apply(role: &mut Role, changes: RoleChanges) {
    if let Some(d) = changes.description {
        role.description = d;
    }
    if let Some(c) = changes.color {
        role.color = c;
    }
    if let Some((raw, rule)) = changes.permissions {
        set_extra(role, "permissions", raw);
        role.mention = rule;
    }
    if let Some(h) = changes.hoisted {
        set_extra(role, "hoisted", h);
    }
}

/// The role's `permissions` object as stored (`{}` when none).
pub fn permissions_of(role: &Role) -> RawJson {
    role.extra.iter().find(|(k, _)| k == "permissions").map(|(_, v)| v.clone()).unwrap_or_else(|| RawJson("{}".into()))
}

impl Community {
    /// `roles_list` (any user).
    pub async fn roles_list(&self) -> Outcome<RoleError> {
        Ok(Reply::Packet(Packet::RolesList(self.store.roles().await?)))
    }

    /// `role_create` (owner only).
    pub async fn create_role(
        &self,
        session: &Session,
        name: Result<String, RoleError>,
        changes: RoleChanges,
    ) -> Outcome<RoleError> {
        self.directory.require_owner(session).await?;
        let name = name?;
        let mut role = Role::named(&name, None);
        apply(&mut role, changes);
        if !self.store.insert_role(&role).await? {
            return Err(RoleError::RoleExists);
        }
        self.emit(PluginEvent::RoleSaved { role: Box::new(role), created: true });
        Ok(Reply::then(Packet::RoleCreated(name), Pushes::ROLES))
    }

    /// `role_update` (owner only).
    pub async fn update_role(
        &self,
        session: &Session,
        name: Result<String, RoleError>,
        changes: RoleChanges,
    ) -> Outcome<RoleError> {
        self.directory.require_owner(session).await?;
        let name = name?;
        let mut role = self.store.role(&name).await?.ok_or(RoleError::RoleNotFound)?;
        apply(&mut role, changes);
        if !self.store.update_role(&role).await? {
            return Err(RoleError::RoleNotFound);
        }
        self.emit(PluginEvent::RoleSaved { role: Box::new(role), created: false });
        Ok(Reply::then(Packet::RoleUpdated(name), Pushes::ROLES))
    }

    /// `role_delete` (owner only): not protected, held by no one (banned users aside),
    /// named by no channel.
    pub async fn delete_role(&self, session: &Session, name: Result<String, RoleError>) -> Outcome<RoleError> {
        self.directory.require_owner(session).await?;
        let name = name?;
        self.store.role(&name).await?.ok_or(RoleError::RoleNotFound)?;
        if PROTECTED_ROLES.contains(&name.as_str()) {
            return Err(RoleError::SystemRole);
        }
        if let Some(holder) = self.store.users().await?.into_iter().find(|u| !u.is_banned() && u.has_role(&name)) {
            return Err(RoleError::RoleAssigned(holder.display_name().to_owned()));
        }
        let channels = self.store.channels().await?;
        let used = channels
            .iter()
            .find(|c| c.permissions.as_ref().is_some_and(|p| p.0.iter().any(|(_, roles)| roles.contains(&name))));
        if let Some(c) = used {
            return Err(RoleError::RoleUsedInChannel(c.name.clone()));
        }
        if !self.store.delete_role(&name).await? {
            return Err(RoleError::RoleNotFound);
        }
        self.emit(PluginEvent::RoleDelete { name: name.clone() });
        Ok(Reply::then(Packet::RoleDeleted(name), Pushes::ROLES))
    }

    /// `role_permissions_set` (owner only): replaces the whole `permissions` object.
    pub async fn set_role_permissions(
        &self,
        session: &Session,
        name: Result<String, RoleError>,
        permissions: Result<(RawJson, MentionRule), RoleError>,
    ) -> Outcome<RoleError> {
        self.directory.require_owner(session).await?;
        let name = name?;
        let mut role = self.store.role(&name).await?.ok_or(RoleError::RoleNotFound)?;
        let permissions = permissions?;
        let raw = permissions.0.clone();
        apply(&mut role, RoleChanges { permissions: Some(permissions), ..Default::default() });
        self.store.update_role(&role).await?;
        Ok(Reply::then(Packet::RolePermissionsSet { name, permissions: raw }, Pushes::ROLES))
    }

    /// `role_permissions_get` (any user).
    pub async fn role_permissions(&self, name: Result<String, RoleError>) -> Outcome<RoleError> {
        let name = name?;
        let role = self.store.role(&name).await?.ok_or(RoleError::RoleNotFound)?;
        Ok(Reply::Packet(Packet::RolePermissionsGet { permissions: permissions_of(&role), name }))
    }
}
