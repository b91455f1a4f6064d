//! Users and moderation (users-roles-channels.md, decisions.md §12–16).

use domain::user::BANNED_ROLE;
use domain::{User, UserId};

use super::{CommandResult, Pushes, Reply};
use crate::ports::{Actor, PendingChange, PluginEvent};
use crate::views::UserView;
use crate::{App, AppError, AuthErrorText, Origin, Packet, Session};

/// Close code for connections of a banned or departed user.
pub const POLICY_CLOSE: u16 = 1008;

impl App {
    /// `users_list`.
    pub async fn users_list(&self) -> CommandResult {
        Ok(Reply::Packet(Packet::UsersList(self.user_list().await?)))
    }

    /// `users_online`: one entry per online user (Recommended).
    pub async fn users_online(&self) -> CommandResult {
        let roles = self.store.roles().await?;
        let mut seen: Vec<UserId> = vec![];
        let mut out = vec![];
        let mut online = self.hub.authenticated();
        online.sort_by_key(|(conn, _)| *conn);
        for (_, id) in online {
            if seen.contains(&id) {
                continue;
            }
            if let Some(u) = self.store.user(&id).await? {
                out.push(UserView::of(&u, &roles));
            }
            seen.push(id);
        }
        Ok(Reply::Packet(Packet::UsersOnline(out)))
    }

    /// `users_banned_list` (owner only).
    pub async fn users_banned_list(&self, session: &Session) -> CommandResult {
        self.require_owner(session).await?;
        let names =
            self.store.users().await?.iter().filter(|u| u.is_banned()).map(|u| u.display_name().to_owned()).collect();
        Ok(Reply::Packet(Packet::UsersBannedList(names)))
    }

    /// Sends the ban notice to every connection of `user` and closes them.
    pub(crate) fn eject_banned(&self, user: &UserId) {
        for conn in self.hub.connections_of(user) {
            self.hub.send(conn, &Packet::AuthError(AuthErrorText::Banned), None);
        }
        self.hub.close_user(user, POLICY_CLOSE, "banned");
    }

    /// Bans (`banned` at the front) or unbans a known user; returns the user when that
    /// changed anything. The caller ejects a banned user after replying, and tells plugins
    /// when a command (not a plugin) asked for it.
    pub(crate) async fn set_banned(&self, id: &UserId, banned: bool) -> Result<Option<User>, AppError> {
        let changed = self
            .update_user_with(id, |u| Ok(if banned { u.grant_front(BANNED_ROLE) } else { u.revoke(BANNED_ROLE) }))
            .await?;
        Ok(changed.and_then(|(user, changed)| changed.then_some(user)))
    }

    /// [`App::set_banned`] for a command: plugins hear of it.
    async fn ban_by_command(&self, id: &UserId, banned: bool) -> Result<bool, AppError> {
        let Some(user) = self.set_banned(id, banned).await? else { return Ok(false) };
        self.emit(PluginEvent::UserBan { target: Actor::of(&user), banned });
        Ok(true)
    }

    /// `user_ban` (owner only; not oneself).
    pub async fn ban(&self, session: &Session, target: Option<String>) -> CommandResult {
        let me = self.require_owner(session).await?;
        let target = target.ok_or(AppError::UserParameterRequired)?;
        let found = self.resolve_user(&target).await?;
        if found.as_ref().is_some_and(|u| u.id == me.id) {
            return Err(AppError::CannotBanSelf.into());
        }
        let user = found.as_ref().map(|u| u.display_name().to_owned()).unwrap_or(target);
        let (banned, id) = match found {
            Some(u) => (self.ban_by_command(&u.id, true).await?, Some(u.id)),
            None => (false, None),
        };
        let pushes = if banned { Pushes::USERS.ejecting(id) } else { Pushes::default() };
        Ok(Reply::then(Packet::UserBan { user, banned }, pushes))
    }

    /// `user_unban` (owner only).
    pub async fn unban(&self, session: &Session, target: Option<String>) -> CommandResult {
        self.require_owner(session).await?;
        let target = target.ok_or(AppError::UserParameterRequired)?;
        let found = self.resolve_user(&target).await?;
        let user = found.as_ref().map(|u| u.display_name().to_owned()).unwrap_or(target);
        let unbanned = match found {
            Some(u) => self.ban_by_command(&u.id, false).await?,
            None => false,
        };
        Ok(Reply::then(Packet::UserUnban { user, unbanned }, if unbanned { Pushes::USERS } else { Pushes::default() }))
    }

    /// `user_timeout` (owner only): persisted, enforced whether or not rate limiting is on;
    /// `timeout: 0` clears it. `timeout` is `None` when missing or null, `Err` when not an integer.
    pub async fn timeout(
        &self,
        session: &Session,
        target: Option<String>,
        raw_user: serde_json::Value,
        timeout: Option<Result<i64, ()>>,
    ) -> CommandResult {
        let me = self.require_owner(session).await?;
        let seconds = timeout.ok_or(AppError::TimeoutRequired)?.map_err(|_| AppError::TimeoutInvalid)?;
        if seconds < 0 {
            return Err(AppError::TimeoutInvalid.into());
        }
        let target = target.ok_or(AppError::UserParameterRequired)?;
        if let Some(user) = self.resolve_user(&target).await? {
            if user.id == me.id && seconds > 0 {
                return Err(AppError::CannotTimeoutSelf.into());
            }
            let target = self.set_timeout(&user.id, seconds, Some("User timeout set".into())).await?;
            self.emit(PluginEvent::UserTimeout {
                target: Actor::of(&target),
                timeout_ms: seconds.saturating_mul(1000),
            });
        } else if seconds > 0 {
            // Never seen: kept for their first login, like the original's id-keyed timeouts.
            let until = self.clock.now() + seconds as f64;
            self.store.add_pending_change(&target, &PendingChange::Timeout(until)).await?;
        }
        Ok(Reply::Packet(Packet::UserTimeout { user: raw_user, timeout: seconds }))
    }

    /// Sets (or with 0 clears) a user's timeout, persisted; `notice` is sent to their
    /// connections as the `rate_limit` reason when a timeout starts. Plugins are not told
    /// here: a command tells them, a plugin's own action does not (no loops).
    pub(crate) async fn set_timeout(
        &self,
        id: &UserId,
        seconds: i64,
        notice: Option<String>,
    ) -> Result<User, AppError> {
        let until = (seconds > 0).then(|| self.clock.now() + seconds as f64);
        let Some((user, ())) = self
            .update_user_with(id, |u| {
                u.timeout_until = until;
                Ok(())
            })
            .await?
        else {
            return Err(AppError::UserNotFound);
        };
        // The message history starts afresh; a running burst cooldown still applies
        // (rate-limits.md §4).
        self.limiter.clear_history(&user.id);
        if let (true, Some(reason)) = (seconds > 0, notice) {
            let denial = domain::rate_limit::Denial { reason, wait_seconds: seconds as f64 };
            let packet = Packet::RateLimit { denial, typing: false };
            let conns = self.hub.connections_of(&user.id);
            self.hub.fan_out(&packet, &conns, &Default::default());
        }
        Ok(user)
    }

    /// `user_leave`: the caller's record is deleted (unless banned), everyone is told, and
    /// the caller's connections are closed. A running timeout is kept for their return.
    pub async fn leave(&self, session: &Session, origin: &Origin) -> CommandResult {
        let me = session.user.as_ref().ok_or(AppError::UserNotFound)?;
        let lock = self.locks.user(&me.id).await;
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

    /// `user_roles_add` (owner only): all roles not yet held must exist; new ones go to
    /// the front. All or nothing.
    pub async fn roles_add(
        &self,
        session: &Session,
        target: Option<String>,
        roles: Option<Vec<String>>,
    ) -> CommandResult {
        let me = self.require_owner(session).await?;
        let target = target.ok_or(AppError::UserParameterRequired)?;
        let roles = roles.filter(|r| !r.is_empty()).ok_or(AppError::RolesListRequired)?;
        let found = self.resolve_user(&target).await?.ok_or(AppError::UserNotFound)?;
        if found.id == me.id && roles.iter().any(|r| r == BANNED_ROLE) {
            return Err(AppError::CannotBanSelf.into());
        }
        for r in roles.iter().filter(|r| !found.has_role(r)) {
            if r != BANNED_ROLE && self.store.role(r).await?.is_none() {
                return Err(AppError::RoleDoesNotExist(r.clone()).into());
            }
        }
        let grant = |u: &mut User| Ok(roles.iter().fold(false, |changed, r| u.grant_front(r) | changed));
        let (user, changed) = self.update_user_with(&found.id, grant).await?.ok_or(AppError::UserNotFound)?;
        if changed {
            self.emit(PluginEvent::UserRoles { target: Actor::of(&user), roles: roles.clone(), added: true });
        }
        let pushes = if changed { self.after_role_change(&user) } else { Pushes::default() };
        Ok(Reply::then(Packet::UserRolesAdd { user: user.display_name().to_owned(), roles: user.roles }, pushes))
    }

    /// `user_roles_remove` (owner only); never takes every role of a user.
    pub async fn roles_remove(
        &self,
        session: &Session,
        target: Option<String>,
        roles: Option<Vec<String>>,
    ) -> CommandResult {
        self.require_owner(session).await?;
        let target = target.ok_or(AppError::UserParameterRequired)?;
        let roles = roles.filter(|r| !r.is_empty()).ok_or(AppError::RolesListRequired)?;
        let found = self.resolve_user(&target).await?.ok_or(AppError::UserNotFound)?;
        let revoke = |u: &mut User| {
            if u.roles.iter().all(|r| roles.contains(r)) {
                return Err(AppError::CannotRemoveAllRoles);
            }
            Ok(roles.iter().fold(false, |changed, r| u.revoke(r) | changed))
        };
        let (user, removed) = self.update_user_with(&found.id, revoke).await?.ok_or(AppError::UserNotFound)?;
        if removed {
            self.emit(PluginEvent::UserRoles { target: Actor::of(&user), roles: roles.clone(), added: false });
        }
        let pushes = if removed { self.after_role_change(&user) } else { Pushes::default() };
        let packet = Packet::UserRolesRemove { user: user.display_name().to_owned(), roles: user.roles, removed };
        Ok(Reply::then(packet, pushes))
    }

    /// `user_roles_get` (owner only).
    pub async fn roles_get(&self, session: &Session, target: Option<String>) -> CommandResult {
        self.require_owner(session).await?;
        let target = target.ok_or(AppError::UserParameterRequired)?;
        let user = self.resolve_user(&target).await?.ok_or(AppError::UserNotFound)?;
        let color = user.color(&self.store.roles().await?);
        Ok(Reply::Packet(Packet::UserRolesGet { user: user.display_name().to_owned(), roles: user.roles, color }))
    }

    /// What follows a change of a user's roles: their standing and what they may see
    /// changed; a user who now holds `banned` is ejected.
    fn after_role_change(&self, user: &User) -> Pushes {
        Pushes::MEMBERSHIP.ejecting(user.is_banned().then(|| user.id.clone()))
    }
}
