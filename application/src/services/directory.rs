//! Who is calling, what a `user` field names, and read-modify-write of one record under its
//! lock (docs/design/storage.md: no lost updates).

use std::sync::Arc;

use domain::permission::Rank;
use domain::{Action, Channel, Message, Role, User, UserId, may};

use crate::Session;
use crate::errors::AccessError;
use crate::locks::Locks;
use crate::ports::{CacheControl, Forget, SharedGuard, SharedLocks, Store, StoreResult};

/// A caller admitted by a permission gate, with what decides what they may act on.
#[derive(Debug, Clone)]
pub struct Authority {
    /// The caller's record.
    pub user: User,
    /// The caller's named permissions and rank.
    pub rank: Rank,
    /// Every role record, in hierarchy order.
    pub roles: Vec<Role>,
}

impl Authority {
    /// May act on a user holding `target_roles`, else [`AccessError::UserAboveYou`].
    pub fn over_user(&self, target: &User) -> Result<(), AccessError> {
        match self.rank.outranks_user(&Rank::of(&target.roles, &self.roles)) {
            true => Ok(()),
            false => Err(AccessError::UserAboveYou),
        }
    }

    /// May act on the role called `name` (a name without a record passes: it ranks
    /// nowhere), else [`AccessError::RoleAboveYou`].
    pub fn over_role(&self, name: &str) -> Result<(), AccessError> {
        match self.roles.iter().find(|r| r.name == name) {
            Some(role) if !self.rank.outranks_role(role) => Err(AccessError::RoleAboveYou),
            _ => Ok(()),
        }
    }
}

/// Lookups shared by every service, and the per-record locks.
pub struct Directory {
    store: Arc<dyn Store>,
    locks: Locks,
    shared: Option<Arc<dyn SharedLocks>>,
    cache: Option<Arc<dyn CacheControl>>,
}

impl Directory {
    /// A directory over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store, locks: Locks::default(), shared: None, cache: None }
    }

    /// A directory of a cluster node: each read-modify-write also holds the record's lock
    /// across the nodes and reads the record past `cache`, which may not have heard of
    /// another node's write yet (docs/design/cluster.md#record-locks).
    pub fn shared(
        store: Arc<dyn Store>,
        shared: Option<Arc<dyn SharedLocks>>,
        cache: Option<Arc<dyn CacheControl>>,
    ) -> Self {
        Self { store, locks: Locks::default(), shared, cache }
    }

    /// The record's lock across the nodes (none for a single node); a cached copy of the
    /// record (`stale`) is dropped once it is held.
    async fn shared_lock(&self, key: &str, stale: Option<Forget>) -> StoreResult<Option<SharedGuard>> {
        let Some(shared) = &self.shared else { return Ok(None) };
        let guard = shared.lock(key).await?;
        if let (Some(cache), Some(stale)) = (&self.cache, stale) {
            cache.forget(&stale).await;
        }
        Ok(Some(guard))
    }

    /// The lock of a record that is not a user or a message (`key` names it) across the
    /// nodes; none for a single node.
    pub async fn lock_across_nodes(&self, key: &str) -> StoreResult<Option<SharedGuard>> {
        self.shared_lock(key, None).await
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

    /// The gate of a management command that the original reserved for the owner: the
    /// owner, or a holder of the named `permission` (or `administrator`). A caller who holds
    /// no named permission at all sees the owner gate's text, so that servers without
    /// named permissions answer exactly as before (docs/design/permissions.md#refusal-texts).
    pub async fn require_owner_or(&self, session: &Session, permission: &str) -> Result<Authority, AccessError> {
        self.gate(session, permission, true).await
    }

    /// The gate of a command that never was owner-only: a holder of `permission`, else
    /// `Access denied: '<permission>' permission required`.
    pub async fn require_permission(&self, session: &Session, permission: &str) -> Result<Authority, AccessError> {
        self.gate(session, permission, false).await
    }

    async fn gate(&self, session: &Session, permission: &str, legacy: bool) -> Result<Authority, AccessError> {
        let refused = |any: bool| {
            if legacy && !any { AccessError::OwnerRequired } else { AccessError::PermissionRequired(permission.into()) }
        };
        let Some(user) = self.caller(session).await? else { return Err(refused(false)) };
        let roles = self.store.roles().await?;
        let rank = Rank::of(&user.roles, &roles);
        if !rank.has(permission) {
            return Err(refused(rank.has_any()));
        }
        Ok(Authority { user, rank, roles })
    }

    /// Whether `user` holds the named `permission` (reads the role records).
    pub async fn holds(&self, user: &User, permission: &str) -> StoreResult<bool> {
        Ok(Rank::of(&user.roles, &self.store.roles().await?).has(permission))
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
        let _shared = self.shared_lock(&format!("user\0{}", id.as_str()), Some(Forget::User(id.clone()))).await?;
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
        let _shared = self.shared_lock(&format!("message\0{channel}\0{id}"), None).await?;
        let Some((mut message, position)) = self.store.message(channel, id).await? else { return Ok(None) };
        let before = message.clone();
        let out = change(&mut message)?;
        if message != before && !self.store.update_message(channel, &message).await? {
            return Ok(None);
        }
        Ok(Some((message, position, out)))
    }
}
