//! A caching decorator over any [`Store`] (moka): users by id, the user list, roles and
//! channels are served from memory and invalidated by every write that goes through it.
//!
//! A read that raced with a write never leaves stale data behind: each cache has a
//! generation counter that every write bumps before it invalidates. A loaded value is only
//! inserted if the generation did not move while it was read, and the generation is checked
//! again after the insert: a write that slipped in between the check and the insert has
//! already invalidated (or is about to invalidate) nothing but an empty slot, so the reader
//! removes what it inserted itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use application::ports::{
    ChannelRepository, Commit, MessageRepository, PendingChange, RoleRepository, Store, StoreResult, UserRepository,
};
use async_trait::async_trait;
use domain::{Channel, Message, Role, User, UserId};
use moka::future::Cache;

/// Entries live at most this long even without writes (bounds drift from out-of-band edits).
const TTL: Duration = Duration::from_secs(300);

/// The most the users-by-id cache holds, in (estimated) bytes.
const USERS_CACHE_BYTES: u64 = 32 * 1024 * 1024;

/// The estimated size of a cached user, in bytes.
fn user_weight(id: &UserId, user: &User) -> u32 {
    let text = id.0.len()
        + user.username.as_ref().map_or(0, String::len)
        + user.validator.as_ref().map_or(0, String::len)
        + user.roles.iter().map(|r| r.len() + 24).sum::<usize>()
        + user.extra.iter().map(|(k, v)| k.len() + v.0.len() + 48).sum::<usize>();
    u32::try_from(text + 160).unwrap_or(u32::MAX)
}

struct Slot<K, V> {
    cache: Cache<K, V>,
    generation: AtomicU64,
    /// Test seam: holds the next reader between the generation check and the insert.
    #[cfg(test)]
    pause_before_insert: std::sync::Mutex<Option<tests::Gate>>,
}

impl<K, V> Slot<K, V>
where
    K: std::hash::Hash + Eq + Send + Sync + Clone + 'static,
    V: Clone + Send + Sync + 'static,
{
    fn new(capacity: u64) -> Self {
        Self::with_cache(Cache::builder().max_capacity(capacity).time_to_live(TTL).build())
    }

    fn with_cache(cache: Cache<K, V>) -> Self {
        Self {
            cache,
            generation: AtomicU64::new(0),
            #[cfg(test)]
            pause_before_insert: Default::default(),
        }
    }

    async fn get_or_load<F, Fut>(&self, key: K, load: F) -> StoreResult<V>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = StoreResult<V>>,
    {
        let found = self.get_or_load_some(key, || async { load().await.map(Some) }).await?;
        Ok(found.unwrap_or_else(|| unreachable!("the loader always finds a value")))
    }

    /// Like [`Slot::get_or_load`] for a lookup that may find nothing: a miss is answered but
    /// never kept, so lookups of names that do not exist (a client's arbitrary strings)
    /// never fill the cache.
    async fn get_or_load_some<F, Fut>(&self, key: K, load: F) -> StoreResult<Option<V>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = StoreResult<Option<V>>>,
    {
        if let Some(v) = self.cache.get(&key).await {
            return Ok(Some(v));
        }
        let before = self.generation.load(Ordering::Acquire);
        let Some(value) = load().await? else { return Ok(None) };
        if self.generation.load(Ordering::Acquire) != before {
            // A write raced the load: the value may be stale; answer with it, keep nothing.
            return Ok(Some(value));
        }
        #[cfg(test)]
        {
            let gate = self.pause_before_insert.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(gate) = gate {
                gate.reached.notify_one();
                gate.release.notified().await;
            }
        }
        self.cache.insert(key.clone(), value.clone()).await;
        // Writers bump the generation before they invalidate. If the bump is seen here, the
        // write may have invalidated before the insert, so drop the inserted value; if it is
        // not seen, the write's invalidation comes after the insert and removes it.
        if self.generation.load(Ordering::Acquire) != before {
            self.cache.invalidate(&key).await;
        }
        Ok(Some(value))
    }

    /// Called by writers after the store changed.
    async fn invalidate(&self, key: &K) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.cache.invalidate(key).await;
    }

    fn invalidate_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.cache.invalidate_all();
    }
}

/// A [`Store`] with hot reads cached.
pub struct CachedStore {
    inner: Arc<dyn Store>,
    users: Slot<UserId, User>,
    user_list: Slot<(), Arc<Vec<User>>>,
    roles: Slot<(), Arc<Vec<Role>>>,
    channels: Slot<(), Arc<Vec<Channel>>>,
}

impl CachedStore {
    /// Wraps a store.
    pub fn new(inner: Arc<dyn Store>) -> Self {
        let users = Cache::builder()
            .weigher(|id: &UserId, user: &User| user_weight(id, user))
            .max_capacity(USERS_CACHE_BYTES)
            .time_to_live(TTL)
            .build();
        Self {
            inner,
            users: Slot::with_cache(users),
            user_list: Slot::new(1),
            roles: Slot::new(1),
            channels: Slot::new(1),
        }
    }

    async fn forget_user(&self, id: &UserId) {
        self.users.invalidate(id).await;
        self.user_list.invalidate(&()).await;
    }

    /// Users held by the users-by-id cache (after pending evictions ran).
    pub async fn cached_users(&self) -> u64 {
        self.users.cache.run_pending_tasks().await;
        self.users.cache.entry_count()
    }

    /// Drops every cached entry (after out-of-band changes such as an import).
    pub fn clear(&self) {
        self.users.invalidate_all();
        self.user_list.invalidate_all();
        self.roles.invalidate_all();
        self.channels.invalidate_all();
    }

    async fn role_list(&self) -> StoreResult<Arc<Vec<Role>>> {
        self.roles.get_or_load((), || async { Ok(Arc::new(self.inner.roles().await?)) }).await
    }

    async fn channel_list(&self) -> StoreResult<Arc<Vec<Channel>>> {
        self.channels.get_or_load((), || async { Ok(Arc::new(self.inner.channels().await?)) }).await
    }
}

#[async_trait]
impl UserRepository for CachedStore {
    async fn user(&self, id: &UserId) -> StoreResult<Option<User>> {
        self.users.get_or_load_some(id.clone(), || self.inner.user(id)).await
    }

    async fn user_by_name(&self, name: &str) -> StoreResult<Option<User>> {
        self.inner.user_by_name(name).await
    }

    async fn users(&self) -> StoreResult<Vec<User>> {
        let list = self.user_list.get_or_load((), || async { Ok(Arc::new(self.inner.users().await?)) }).await?;
        Ok(list.as_ref().clone())
    }

    async fn insert_user(&self, user: &User) -> StoreResult<()> {
        let result = self.inner.insert_user(user).await;
        self.forget_user(&user.id).await;
        result
    }

    async fn update_user(&self, user: &User) -> StoreResult<()> {
        let result = self.inner.update_user(user).await;
        self.forget_user(&user.id).await;
        result
    }

    async fn delete_user(&self, id: &UserId) -> StoreResult<bool> {
        let result = self.inner.delete_user(id).await;
        self.forget_user(id).await;
        result
    }

    async fn pending_changes(&self, username: &str) -> StoreResult<Vec<PendingChange>> {
        self.inner.pending_changes(username).await
    }

    async fn add_pending_change(&self, username: &str, change: &PendingChange) -> StoreResult<()> {
        self.inner.add_pending_change(username, change).await
    }

    async fn clear_pending_changes(&self, username: &str) -> StoreResult<()> {
        self.inner.clear_pending_changes(username).await
    }
}

#[async_trait]
impl RoleRepository for CachedStore {
    async fn roles(&self) -> StoreResult<Vec<Role>> {
        Ok(self.role_list().await?.as_ref().clone())
    }

    async fn role(&self, name: &str) -> StoreResult<Option<Role>> {
        Ok(self.role_list().await?.iter().find(|r| r.name == name).cloned())
    }

    async fn insert_role(&self, role: &Role) -> StoreResult<bool> {
        let result = self.inner.insert_role(role).await;
        self.roles.invalidate(&()).await;
        result
    }

    async fn update_role(&self, role: &Role) -> StoreResult<bool> {
        let result = self.inner.update_role(role).await;
        self.roles.invalidate(&()).await;
        result
    }

    async fn delete_role(&self, name: &str) -> StoreResult<bool> {
        let result = self.inner.delete_role(name).await;
        self.roles.invalidate(&()).await;
        result
    }

    async fn reorder_roles(&self, names: &[String]) -> StoreResult<bool> {
        let result = self.inner.reorder_roles(names).await;
        self.roles.invalidate(&()).await;
        result
    }
}

#[async_trait]
impl ChannelRepository for CachedStore {
    async fn channels(&self) -> StoreResult<Vec<Channel>> {
        Ok(self.channel_list().await?.as_ref().clone())
    }

    async fn channel(&self, name: &str) -> StoreResult<Option<Channel>> {
        Ok(self.channel_list().await?.iter().find(|c| c.name == name).cloned())
    }

    async fn insert_channel(&self, channel: &Channel) -> StoreResult<bool> {
        let result = self.inner.insert_channel(channel).await;
        self.channels.invalidate(&()).await;
        result
    }

    async fn update_channel(&self, name: &str, channel: &Channel) -> StoreResult<bool> {
        let result = self.inner.update_channel(name, channel).await;
        self.channels.invalidate(&()).await;
        result
    }

    async fn move_channel(&self, name: &str, position: usize) -> StoreResult<bool> {
        let result = self.inner.move_channel(name, position).await;
        self.channels.invalidate(&()).await;
        result
    }

    async fn delete_channel(&self, name: &str) -> StoreResult<bool> {
        let result = self.inner.delete_channel(name).await;
        self.channels.invalidate(&()).await;
        result
    }
}

#[async_trait]
impl MessageRepository for CachedStore {
    async fn append_message(&self, channel: &str, message: &Message) -> StoreResult<()> {
        self.inner.append_message(channel, message).await
    }

    async fn submit_message(&self, channel: &str, message: &Message) -> StoreResult<Commit> {
        self.inner.submit_message(channel, message).await
    }

    async fn messages_page(&self, channel: &str, skip_newest: u64, limit: u64) -> StoreResult<Vec<Message>> {
        self.inner.messages_page(channel, skip_newest, limit).await
    }

    async fn messages_before(&self, channel: &str, before_id: &str, limit: u64) -> StoreResult<Vec<Message>> {
        self.inner.messages_before(channel, before_id, limit).await
    }

    async fn messages_after(&self, channel: &str, after_id: &str, limit: u64) -> StoreResult<Vec<Message>> {
        self.inner.messages_after(channel, after_id, limit).await
    }
    async fn message_count(&self, channel: &str) -> StoreResult<u64> {
        self.inner.message_count(channel).await
    }
    async fn message(&self, channel: &str, id: &str) -> StoreResult<Option<(Message, u64)>> {
        self.inner.message(channel, id).await
    }

    async fn last_message_time(&self, channel: &str) -> StoreResult<Option<f64>> {
        self.inner.last_message_time(channel).await
    }

    async fn update_message(&self, channel: &str, message: &Message) -> StoreResult<bool> {
        self.inner.update_message(channel, message).await
    }

    async fn delete_message(&self, channel: &str, id: &str) -> StoreResult<bool> {
        self.inner.delete_message(channel, id).await
    }

    async fn replies(&self, channel: &str, parent_id: &str, limit: u64) -> StoreResult<Vec<Message>> {
        self.inner.replies(channel, parent_id, limit).await
    }

    async fn search(&self, channel: &str, needle: &str, limit: u64) -> StoreResult<Vec<Message>> {
        self.inner.search(channel, needle, limit).await
    }

    async fn pinned(&self, channel: &str, limit: u64) -> StoreResult<Vec<Message>> {
        self.inner.pinned(channel, limit).await
    }

    async fn mentions_page(
        &self,
        channels: &[String],
        targets: &[String],
        offset: u64,
        limit: u64,
    ) -> StoreResult<(Vec<(String, Message)>, u64)> {
        self.inner.mentions_page(channels, targets, offset, limit).await
    }
}

// Subscriptions are read only when a push goes out: nothing to cache.
application::delegate_push_subscriptions!(CachedStore, inner);
// Emoji are not cached here: the emoji service keeps its own catalogue.
application::delegate_emoji_repository!(CachedStore, inner);
application::delegate_state!(CachedStore, inner);
application::delegate_threads!(CachedStore, inner);

#[async_trait]
impl Store for CachedStore {
    async fn seed_defaults(&self, roles: &[Role], channels: &[Channel]) -> StoreResult<bool> {
        let seeded = self.inner.seed_defaults(roles, channels).await;
        self.clear();
        seeded
    }
}

/// Another node's write: drop what it made stale (docs/design/cluster.md#forget-before-deliver).
#[async_trait]
impl application::ports::CacheControl for CachedStore {
    async fn forget(&self, what: &application::ports::Forget) {
        use application::ports::Forget;
        match what {
            Forget::User(id) => self.forget_user(id).await,
            Forget::Roles => self.roles.invalidate_all(),
            Forget::Channels(_) => self.channels.invalidate_all(),
            Forget::Messages(_) | Forget::Emojis | Forget::Server => {}
        }
    }

    fn clear(&self) {
        CachedStore::clear(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::Notify;

    /// Holds a task at a point until released: `reached` is signalled when it gets there.
    #[derive(Clone, Default)]
    pub(super) struct Gate {
        pub reached: Arc<Notify>,
        pub release: Arc<Notify>,
    }

    /// A stand-in for the inner store: one value, read through a load that can be held
    /// after it has read (so it returns what was there before a concurrent write).
    #[derive(Clone, Default)]
    struct GatedValue {
        value: Arc<std::sync::Mutex<u32>>,
    }

    impl GatedValue {
        fn set(&self, v: u32) {
            *self.value.lock().unwrap() = v;
        }

        async fn load(&self, gate: Option<Gate>) -> StoreResult<u32> {
            let v = *self.value.lock().unwrap();
            if let Some(gate) = gate {
                gate.reached.notify_one();
                gate.release.notified().await;
            }
            Ok(v)
        }
    }

    /// A write as the cached store does it: the store first, then the invalidation.
    async fn write(slot: &Slot<(), u32>, store: &GatedValue, v: u32) {
        store.set(v);
        slot.invalidate(&()).await;
    }

    #[tokio::test]
    async fn a_read_that_loaded_before_a_write_does_not_cache_the_old_value() {
        let slot = Arc::new(Slot::<(), u32>::new(1));
        let store = GatedValue::default();
        store.set(1);
        let gate = Gate::default();
        let reader = tokio::spawn({
            let (slot, store, gate) = (slot.clone(), store.clone(), gate.clone());
            async move { slot.get_or_load((), || store.load(Some(gate))).await }
        });
        gate.reached.notified().await;
        write(&slot, &store, 2).await;
        gate.release.notify_one();
        assert_eq!(reader.await.unwrap().unwrap(), 1, "the racing reader answers with what it read");
        assert_eq!(slot.cache.get(&()).await, None, "but does not keep it");
        assert_eq!(slot.get_or_load((), || store.load(None)).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn a_write_between_the_generation_check_and_the_insert_leaves_nothing_stale() {
        let slot = Arc::new(Slot::<(), u32>::new(1));
        let store = GatedValue::default();
        store.set(1);
        let gate = Gate::default();
        *slot.pause_before_insert.lock().unwrap() = Some(gate.clone());
        let reader = tokio::spawn({
            let (slot, store) = (slot.clone(), store.clone());
            async move { slot.get_or_load((), || store.load(None)).await }
        });
        gate.reached.notified().await;
        write(&slot, &store, 2).await;
        gate.release.notify_one();
        assert_eq!(reader.await.unwrap().unwrap(), 1);
        assert_eq!(slot.cache.get(&()).await, None, "the value inserted after the write was removed");
        assert_eq!(slot.get_or_load((), || store.load(None)).await.unwrap(), 2, "the next read sees the write");
        assert_eq!(slot.cache.get(&()).await, Some(2), "and an undisturbed read is cached");
    }
}
