//! Bans and timeouts (docs/design/moderation.md).

use domain::permission::named::MANAGE_USERS;
use domain::user::BANNED_ROLE;
use domain::{RawJson, User, UserId};

use super::Community;
use crate::errors::UserError;
use crate::ports::{Actor, PendingChange, PluginEvent};
use crate::services::{Outcome, Pushes, Reply};
use crate::{Packet, Session};

/// Input of `user_timeout`; each field's error is reported in the original's order.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeoutRequest {
    /// Who (a username or an id).
    pub user: Result<String, UserError>,
    /// The `user` field exactly as sent, echoed in the reply.
    pub echo: RawJson,
    /// Seconds, 0 clearing a timeout.
    pub seconds: Result<i64, UserError>,
}

impl Community {
    /// Bans (`banned` at the front) or unbans a known user; returns the user when that
    /// changed anything. The caller ejects a banned user after replying, and tells plugins
    /// when a command (not a plugin) asked for it.
    pub async fn set_banned(&self, id: &UserId, banned: bool) -> Result<Option<User>, UserError> {
        let change =
            |u: &mut User| Ok::<_, UserError>(if banned { u.grant_front(BANNED_ROLE) } else { u.revoke(BANNED_ROLE) });
        let changed = self.directory.update_user_with(id, change).await?;
        Ok(changed.and_then(|(user, changed)| changed.then_some(user)))
    }

    /// [`Community::set_banned`] for a command: plugins hear of it.
    async fn ban_by_command(&self, id: &UserId, banned: bool) -> Result<bool, UserError> {
        let Some(user) = self.set_banned(id, banned).await? else { return Ok(false) };
        self.emit(PluginEvent::UserBan { target: Actor::of(&user), banned });
        Ok(true)
    }

    /// `user_ban` (owner or `manage_users` over the target; not oneself).
    pub async fn ban(&self, session: &Session, target: Result<String, UserError>) -> Outcome<UserError> {
        let me = self.directory.require_owner_or(session, MANAGE_USERS).await?;
        let target = target?;
        let found = self.directory.resolve_user(&target).await?;
        if found.as_ref().is_some_and(|u| u.id == me.user.id) {
            return Err(UserError::CannotBanSelf);
        }
        if let Some(u) = &found {
            me.over_user(u)?;
        }
        let user = found.as_ref().map(|u| u.display_name().to_owned()).unwrap_or(target);
        let (banned, id) = match found {
            Some(u) => (self.ban_by_command(&u.id, true).await?, Some(u.id)),
            None => (false, None),
        };
        let pushes = if banned { Pushes::USERS.ejecting(id) } else { Pushes::default() };
        Ok(Reply::then(Packet::UserBan { user, banned }, pushes))
    }

    /// `user_unban` (owner or `manage_users` over the target).
    pub async fn unban(&self, session: &Session, target: Result<String, UserError>) -> Outcome<UserError> {
        let me = self.directory.require_owner_or(session, MANAGE_USERS).await?;
        let target = target?;
        let found = self.directory.resolve_user(&target).await?;
        if let Some(u) = &found {
            me.over_user(u)?;
        }
        let user = found.as_ref().map(|u| u.display_name().to_owned()).unwrap_or(target);
        let unbanned = match found {
            Some(u) => self.ban_by_command(&u.id, false).await?,
            None => false,
        };
        Ok(Reply::then(Packet::UserUnban { user, unbanned }, if unbanned { Pushes::USERS } else { Pushes::default() }))
    }

    /// `user_timeout` (owner or `manage_users` over the target): persisted, enforced
    /// whether or not rate limiting is on; `timeout: 0` clears it.
    pub async fn timeout(&self, session: &Session, req: TimeoutRequest) -> Outcome<UserError> {
        let me = self.directory.require_owner_or(session, MANAGE_USERS).await?;
        let seconds = req.seconds?;
        let target = req.user?;
        if let Some(user) = self.directory.resolve_user(&target).await? {
            if user.id == me.user.id && seconds > 0 {
                return Err(UserError::CannotTimeoutSelf);
            }
            me.over_user(&user)?;
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
        Ok(Reply::Packet(Packet::UserTimeout { user: req.echo, timeout: seconds }))
    }

    /// Sets (or with 0 clears) a user's timeout, persisted; `notice` is sent to their
    /// connections as the `rate_limit` reason when a timeout starts. Plugins are not told
    /// here: a command tells them, a plugin's own action does not (no loops).
    pub async fn set_timeout(&self, id: &UserId, seconds: i64, notice: Option<String>) -> Result<User, UserError> {
        let until = (seconds > 0).then(|| self.clock.now() + seconds as f64);
        let set = |u: &mut User| {
            u.timeout_until = until;
            Ok::<_, UserError>(())
        };
        let Some((user, ())) = self.directory.update_user_with(id, set).await? else {
            return Err(UserError::UserNotFound);
        };
        // The message history starts afresh; a running burst cooldown still applies.
        self.limiter.clear_history(&user.id);
        if let (true, Some(reason)) = (seconds > 0, notice) {
            let denial = domain::rate_limit::Denial { reason, wait_seconds: seconds as f64 };
            let packet = Packet::RateLimit { denial, typing: false };
            self.hub.send_user(&user.id, &packet);
        }
        Ok(user)
    }
}
