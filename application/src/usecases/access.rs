//! Shared checks: who is calling, and may they read this text channel.

use domain::{Action, Channel, User, may};

use crate::{App, AppError, Session};

impl App {
    /// The caller's current record, or `err` when it is gone.
    pub(crate) async fn caller_or(&self, session: &Session, err: AppError) -> Result<User, AppError> {
        let Some(me) = &session.user else { return Err(err) };
        self.store.user(&me.id).await?.ok_or(err)
    }

    /// The caller's record, requiring at least one role (the original's "roles check").
    pub(crate) async fn caller_with_roles(&self, session: &Session) -> Result<User, AppError> {
        let user = self.caller_or(session, AppError::UserRolesNotFound).await?;
        if user.roles.is_empty() {
            return Err(AppError::UserRolesNotFound);
        }
        Ok(user)
    }

    /// The owner gate: the caller's stored roles contain `owner` (and not `banned`).
    pub(crate) async fn require_owner(&self, session: &Session) -> Result<User, AppError> {
        let user = self.caller_or(session, AppError::OwnerRequired).await?;
        if !user.is_owner() || user.is_banned() {
            return Err(AppError::OwnerRequired);
        }
        Ok(user)
    }

    /// Reads, changes and writes one user while holding its lock; `change` runs on the
    /// current record and may refuse. `None` when the user does not exist. The record is
    /// written only when `change` changed it.
    pub(crate) async fn update_user_with<T>(
        &self,
        id: &domain::UserId,
        change: impl FnOnce(&mut User) -> Result<T, AppError>,
    ) -> Result<Option<(User, T)>, AppError> {
        let _lock = self.locks.user(id).await;
        let Some(mut user) = self.store.user(id).await? else { return Ok(None) };
        let before = user.clone();
        let out = change(&mut user)?;
        if user != before {
            self.store.update_user(&user).await?;
        }
        Ok(Some((user, out)))
    }

    /// Reads, changes and writes one message while holding its lock, like
    /// [`App::update_user_with`]; also returns the message's position.
    pub(crate) async fn update_message_with<T>(
        &self,
        channel: &str,
        id: &str,
        change: impl FnOnce(&mut domain::Message) -> Result<T, AppError>,
    ) -> Result<Option<(domain::Message, u64, T)>, AppError> {
        let _lock = self.locks.message(channel, id).await;
        let Some((mut message, position)) = self.store.message(channel, id).await? else { return Ok(None) };
        let before = message.clone();
        let out = change(&mut message)?;
        if message != before && !self.store.update_message(channel, &message).await? {
            return Ok(None);
        }
        Ok(Some((message, position, out)))
    }

    /// Resolves a `user` field: a username (case-insensitive, first match) or else an id.
    pub(crate) async fn resolve_user(&self, raw: &str) -> Result<Option<User>, AppError> {
        if let Some(u) = self.store.user_by_name(raw).await? {
            return Ok(Some(u));
        }
        Ok(self.store.user(&domain::UserId(raw.to_owned())).await?)
    }

    /// The text-channel access check: the caller may view `name` and it holds text.
    pub(crate) async fn readable_text_channel(
        &self,
        session: &Session,
        name: &str,
    ) -> Result<(User, Channel), AppError> {
        let user = self.caller_or(session, AppError::UserNotFound).await?;
        let channel = self.store.channel(name).await?;
        match channel {
            Some(c) if c.is_text() && may(&user.roles, Some(&c), Action::View) => Ok((user, c)),
            _ => Err(AppError::ChannelAccessDenied),
        }
    }

    /// Whether `user` may see `channel` in lists: the engine's `view`, except that a
    /// separator without a `view` list is visible to everyone.
    pub fn lists_channel(user: &User, channel: &Channel) -> bool {
        if channel.kind == domain::ChannelKind::Separator && channel.roles_for("view").is_none() {
            return !user.is_banned();
        }
        may(&user.roles, Some(channel), Action::View)
    }
}
