//! Users: lists, leaving the server, and a user's roles (docs/design/moderation.md).

use domain::permission::named::MANAGE_USERS;
use domain::user::BANNED_ROLE;
use domain::{User, UserId};

use super::Community;
use crate::errors::UserError;
use crate::ports::{Actor, PendingChange, PluginEvent};
use crate::services::{Outcome, Pushes, Reply};
use crate::views::UserView;
use crate::{Origin, Packet, Session};

impl Community {
    /// `users_list`.
    pub async fn users_list(&self) -> Outcome<UserError> {
        Ok(Reply::Packet(Packet::UsersList(self.lists.user_list().await?)))
    }

    /// `users_online`: one entry per online user.
    pub async fn users_online(&self) -> Outcome<UserError> {
        let roles = self.store.roles().await?;
        let mut seen: Vec<UserId> = vec![];
        let mut out = vec![];
        let mut online = self.hub.authenticated();
        online.sort_by_key(|(conn, _)| *conn);
        // Then the users connected only to other nodes of a cluster.
        let mut elsewhere = self.hub.presence().elsewhere();
        elsewhere.sort();
        for id in online.into_iter().map(|(_, id)| id).chain(elsewhere) {
            if seen.contains(&id) {
                continue;
            }
            if let Some(u) = self.store.user(&id).await?.filter(|u| !u.hidden()) {
                out.push(UserView::of(&u, &roles));
            }
            seen.push(id);
        }
        Ok(Reply::Packet(Packet::UsersOnline(out)))
    }

    /// `users_banned_list` (owner or `manage_users`).
    pub async fn users_banned_list(&self, session: &Session) -> Outcome<UserError> {
        self.directory.require_owner_or(session, MANAGE_USERS).await?;
        let names =
            self.store.users().await?.iter().filter(|u| u.is_banned()).map(|u| u.display_name().to_owned()).collect();
        Ok(Reply::Packet(Packet::UsersBannedList(names)))
    }

    /// `user_leave`: the caller's record is deleted (unless banned), everyone is told, and
    /// the caller's connections are closed. A running timeout is kept for their return.
    pub async fn leave(&self, session: &Session, origin: &Origin) -> Outcome<UserError> {
        let me = session.user.as_ref().ok_or(UserError::UserNotFound)?;
        let lock = self.directory.locks().user(&me.id).await;
        let user = self.store.user(&me.id).await?;
        let name = user.as_ref().map(|u| u.display_name().to_owned()).unwrap_or_else(|| me.username.clone());
        if let Some(u) = user.as_ref().filter(|u| !u.is_banned()) {
            if let Some(until) = u.timeout_until.filter(|t| *t > self.clock.now()) {
                self.store.add_pending_change(&name, &PendingChange::Timeout(until)).await?;
            }
            self.store.delete_user(&me.id).await?;
        }
        drop(lock);
        self.hub.send_all_authenticated(&Packet::UserLeft { username: name.clone() });
        self.hub.send(session.conn, &Packet::UserLeaveReply { user: name.clone() }, origin.listener.as_deref());
        self.hub.close_user(&me.id, 1000, "left");
        self.emit(PluginEvent::UserLeave { target: Actor { id: me.id.clone(), username: name } });
        Ok(Reply::Then(None, Pushes::USERS))
    }

    /// `user_roles_add` (owner, or `manage_users` over the user and the roles): all roles
    /// not yet held must exist; new ones go to the front. All or nothing.
    pub async fn roles_add(
        &self,
        session: &Session,
        target: Result<String, UserError>,
        roles: Result<Vec<String>, UserError>,
    ) -> Outcome<UserError> {
        let me = self.directory.require_owner_or(session, MANAGE_USERS).await?;
        let target = target?;
        let roles = roles?;
        let found = self.directory.resolve_user(&target).await?.ok_or(UserError::UserNotFound)?;
        if found.id == me.user.id && roles.iter().any(|r| r == BANNED_ROLE) {
            return Err(UserError::CannotBanSelf);
        }
        for r in roles.iter().filter(|r| !found.has_role(r)) {
            if r != BANNED_ROLE && self.store.role(r).await?.is_none() {
                return Err(UserError::RoleDoesNotExist(r.clone()));
            }
        }
        me.over_user(&found)?;
        for r in &roles {
            me.over_role(r)?;
        }
        let grant =
            |u: &mut User| Ok::<_, UserError>(roles.iter().fold(false, |changed, r| u.grant_front(r) | changed));
        let (user, changed) =
            self.directory.update_user_with(&found.id, grant).await?.ok_or(UserError::UserNotFound)?;
        if changed {
            self.emit(PluginEvent::UserRoles { target: Actor::of(&user), roles: roles.clone(), added: true });
        }
        let pushes = if changed { self.after_role_change(&user) } else { Pushes::default() };
        Ok(Reply::then(Packet::UserRolesAdd { user: user.display_name().to_owned(), roles: user.roles }, pushes))
    }

    /// `user_roles_remove` (owner, or `manage_users` over the user and the roles); never
    /// takes every role of a user.
    pub async fn roles_remove(
        &self,
        session: &Session,
        target: Result<String, UserError>,
        roles: Result<Vec<String>, UserError>,
    ) -> Outcome<UserError> {
        let me = self.directory.require_owner_or(session, MANAGE_USERS).await?;
        let target = target?;
        let roles = roles?;
        let found = self.directory.resolve_user(&target).await?.ok_or(UserError::UserNotFound)?;
        me.over_user(&found)?;
        for r in &roles {
            me.over_role(r)?;
        }
        let revoke = |u: &mut User| {
            if u.roles.iter().all(|r| roles.contains(r)) {
                return Err(UserError::CannotRemoveAllRoles);
            }
            Ok(roles.iter().fold(false, |changed, r| u.revoke(r) | changed))
        };
        let (user, removed) =
            self.directory.update_user_with(&found.id, revoke).await?.ok_or(UserError::UserNotFound)?;
        if removed {
            self.emit(PluginEvent::UserRoles { target: Actor::of(&user), roles: roles.clone(), added: false });
        }
        let pushes = if removed { self.after_role_change(&user) } else { Pushes::default() };
        let packet = Packet::UserRolesRemove { user: user.display_name().to_owned(), roles: user.roles, removed };
        Ok(Reply::then(packet, pushes))
    }

    /// `user_roles_set` (`manage_users` over the user and every role named; the owner
    /// always): replaces the user's roles with the given ones, in the given order, repeats
    /// dropped. All or nothing.
    pub async fn roles_set(
        &self,
        session: &Session,
        target: Result<String, UserError>,
        roles: Result<Vec<String>, UserError>,
    ) -> Outcome<UserError> {
        let me = self.directory.require_permission(session, MANAGE_USERS).await?;
        let target = target?;
        let mut roles = roles?;
        let mut seen = std::collections::HashSet::new();
        roles.retain(|r| seen.insert(r.clone()));
        let found = self.directory.resolve_user(&target).await?.ok_or(UserError::UserNotFound)?;
        for r in &roles {
            if r != BANNED_ROLE && !me.roles.iter().any(|k| &k.name == r) {
                return Err(UserError::RoleDoesNotExist(r.clone()));
            }
        }
        if found.id == me.user.id && roles.iter().any(|r| r == BANNED_ROLE) {
            return Err(UserError::CannotBanSelf);
        }
        me.over_user(&found)?;
        for r in roles.iter().chain(found.roles.iter().filter(|r| !roles.contains(r))) {
            me.over_role(r)?;
        }
        let set = |u: &mut User| {
            let changed = u.roles != roles;
            u.roles = roles.clone();
            Ok::<_, UserError>(changed)
        };
        let (user, changed) = self.directory.update_user_with(&found.id, set).await?.ok_or(UserError::UserNotFound)?;
        let pushes = if changed { self.after_role_change(&user) } else { Pushes::default() };
        Ok(Reply::then(Packet::UserRolesSet { user: user.display_name().to_owned(), roles: user.roles }, pushes))
    }

    /// `user_roles_get` (owner or `manage_users`).
    pub async fn roles_get(&self, session: &Session, target: Result<String, UserError>) -> Outcome<UserError> {
        self.directory.require_owner_or(session, MANAGE_USERS).await?;
        let target = target?;
        let user = self.directory.resolve_user(&target).await?.ok_or(UserError::UserNotFound)?;
        let color = user.color(&self.store.roles().await?);
        Ok(Reply::Packet(Packet::UserRolesGet { user: user.display_name().to_owned(), roles: user.roles, color }))
    }

    /// What follows a change of a user's roles: their standing and what they may see
    /// changed; a user who now holds `banned` is ejected.
    fn after_role_change(&self, user: &User) -> Pushes {
        Pushes::MEMBERSHIP.ejecting(user.is_banned().then(|| user.id.clone()))
    }
}
