//! Who is calling, what a `user` field names, and read-modify-write of one record under its
//! lock (docs/design/storage.md: no lost updates).

use std::sync::Arc;

use domain::{Action, Channel, Message, User, UserId, may};

use crate::Session;
use crate::errors::AccessError;
use crate::locks::Locks;
use crate::ports::{Store, StoreResult};

/// Lookups shared by every service, and the per-record locks.
pub struct Directory {
    store: Arc<dyn Store>,
    locks: Locks,
}

impl Directory {
    /// A directory over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store, locks: Locks::default() }
    }

    /// The record locks (held while a login registers its connection).
    pub fn locks(&self) -> &Locks {
        &self.locks
    }

    /// The caller's current record; `None` when it is gone (or the session is anonymous).
    pub async fn caller(&self, session: &Session) -> StoreResult<Option<User>> {
        match &session.user {
            Some(me) => self.store.user(&me.id).await,
            None => Ok(None),
        }
    }

    /// The caller's record, or [`AccessError::UserNotFound`].
    pub async fn caller_found(&self, session: &Session) -> Result<User, AccessError> {
        self.caller(session).await?.ok_or(AccessError::UserNotFound)
    }

    /// The caller's record, requiring at least one role (the original's "roles check").
    pub async fn caller_with_roles(&self, session: &Session) -> Result<User, AccessError> {
        match self.caller(session).await? {
            Some(user) if !user.roles.is_empty() => Ok(user),
            _ => Err(AccessError::UserRolesNotFound),
        }
    }

    /// The owner gate: the caller's stored roles contain `owner` (and not `banned`).
    pub async fn require_owner(&self, session: &Session) -> Result<User, AccessError> {
        match self.caller(session).await? {
            Some(user) if user.is_owner() && !user.is_banned() => Ok(user),
            _ => Err(AccessError::OwnerRequired),
        }
    }

    /// The text-channel access check: the caller may view `name` and it holds text.
    pub async fn readable_text_channel(&self, session: &Session, name: &str) -> Result<(User, Channel), AccessError> {
        let user = self.caller_found(session).await?;
        match self.store.channel(name).await? {
            Some(c) if c.is_text() && may(&user.roles, Some(&c), Action::View) => Ok((user, c)),
            _ => Err(AccessError::ChannelAccessDenied),
        }
    }

    /// Resolves a `user` field: a username (case-insensitive, first match) or else an id.
    pub async fn resolve_user(&self, raw: &str) -> StoreResult<Option<User>> {
        if let Some(u) = self.store.user_by_name(raw).await? {
            return Ok(Some(u));
        }
        self.store.user(&UserId(raw.to_owned())).await
    }

    /// Reads, changes and writes one user while holding its lock; `change` runs on the
    /// current record and may refuse. `None` when the user does not exist. The record is
    /// written only when `change` changed it.
    pub async fn update_user_with<T, E: From<crate::ports::StoreError>>(
        &self,
        id: &UserId,
        change: impl FnOnce(&mut User) -> Result<T, E>,
    ) -> Result<Option<(User, T)>, E> {
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
    /// [`Directory::update_user_with`]; also returns the message's position.
    pub async fn update_message_with<T, E: From<crate::ports::StoreError>>(
        &self,
        channel: &str,
        id: &str,
        change: impl FnOnce(&mut Message) -> Result<T, E>,
    ) -> Result<Option<(Message, u64, T)>, E> {
        let _lock = self.locks.message(channel, id).await;
        let Some((mut message, position)) = self.store.message(channel, id).await? else { return Ok(None) };
        let before = message.clone();
        let out = change(&mut message)?;
        if message != before && !self.store.update_message(channel, &message).await? {
            return Ok(None);
        }
        Ok(Some((message, position, out)))
    }
}
