//! Who receives a channel's events: the authenticated connections whose user may view the
//! channel (docs/design/permissions.md#view-first), kept in an index that follows every
//! change instead of being recomputed per broadcast (docs/design/audiences.md).
//!
//! The index holds, for each online user, their roles and connections, and for each
//! channel, the connections that may view it. It changes when a user logs in or out, when a
//! stored user changes (roles granted or revoked, a ban, leaving) and when channels change;
//! [`Observed`] reports every such write as it happens, so no use case can forget one. A
//! broadcast is then one lookup and one pointer push per recipient, without touching the
//! store.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use domain::{Action, Channel, Message, Role, User, UserId, may};

use super::hot_history::HotHistory;
use crate::hub::Hub;
use crate::ports::{
    ChannelRepository, ClusterEvent, Commit, Forget, Frame, MessageRepository, PendingChange, RoleRepository, Store,
    StoreResult, Target, UserRepository,
};
use crate::{ConnId, Origin, Packet};

#[derive(Debug, Default)]
struct Member {
    roles: Vec<String>,
    conns: Vec<ConnId>,
}

#[derive(Debug, Default)]
struct Index {
    /// The channels as last read; `None` until read, and after a change.
    channels: Option<Arc<Vec<Channel>>>,
    /// Bumped by every channel change, so a read that raced one is not installed.
    generation: u64,
    /// Online users.
    members: HashMap<UserId, Member>,
    /// Channel name → connections that may view it.
    viewers: HashMap<String, Arc<Vec<ConnId>>>,
}

impl Index {
    /// Adds `conns` of a user with `roles` to every channel they may view.
    fn admit(&mut self, roles: &[String], conns: &[ConnId]) {
        let Some(channels) = self.channels.clone() else { return };
        for c in channels.iter().filter(|c| may(roles, Some(c), Action::View)) {
            let list = self.viewers.entry(c.name.clone()).or_default();
            Arc::make_mut(list).extend_from_slice(conns);
        }
    }

    /// Takes `conns` out of every channel.
    fn expel(&mut self, conns: &[ConnId]) {
        for list in self.viewers.values_mut() {
            if list.iter().any(|c| conns.contains(c)) {
                Arc::make_mut(list).retain(|c| !conns.contains(c));
            }
        }
    }

    /// Rebuilds every channel's list from the members and `channels`.
    fn rebuild(&mut self, channels: Arc<Vec<Channel>>) {
        self.viewers.clear();
        self.channels = Some(channels.clone());
        for c in channels.iter() {
            let conns: Vec<ConnId> = self
                .members
                .values()
                .filter(|m| may(&m.roles, Some(c), Action::View))
                .flat_map(|m| m.conns.iter().copied())
                .collect();
            self.viewers.insert(c.name.clone(), Arc::new(conns));
        }
    }
}

/// Keeps the audience index and fans packets out to channel audiences.
pub struct Audience {
    store: Arc<dyn Store>,
    hub: Arc<Hub>,
    index: RwLock<Index>,
}

impl Audience {
    /// An audience over the store (read for the channel list) and the hub.
    pub fn new(store: Arc<dyn Store>, hub: Arc<Hub>) -> Self {
        Self { store, hub, index: RwLock::default() }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads the channels into the index when a change (or start-up) left it without them.
    async fn ensure_channels(&self) {
        let generation = {
            let index = self.read();
            if index.channels.is_some() {
                return;
            }
            index.generation
        };
        match self.store.channels().await {
            Ok(channels) => {
                let mut index = self.write();
                // A change that came while reading makes what was read stale.
                if index.channels.is_none() && index.generation == generation {
                    index.rebuild(Arc::new(channels));
                }
            }
            Err(e) => tracing::error!(error = %e, "audience: channel list unavailable"),
        }
    }

    /// A connection of `user` logged in. Call it while holding the user's record lock, so
    /// that a concurrent change of their roles is either seen here or comes after.
    pub async fn joined(&self, conn: ConnId, user: &User) {
        self.ensure_channels().await;
        let mut index = self.write();
        let member = index.members.entry(user.id.clone()).or_default();
        member.roles.clone_from(&user.roles);
        member.conns.push(conn);
        let roles = member.roles.clone();
        index.admit(&roles, &[conn]);
    }

    /// A connection of `user` closed.
    pub fn left(&self, conn: ConnId, user: &UserId) {
        let mut index = self.write();
        if let Some(member) = index.members.get_mut(user) {
            member.conns.retain(|c| *c != conn);
            if member.conns.is_empty() {
                index.members.remove(user);
            }
        }
        index.expel(&[conn]);
    }

    /// A stored user changed (or was created): an online user's connections now see what
    /// their new roles let them see.
    pub fn user_changed(&self, user: &User) {
        let mut index = self.write();
        let Some(member) = index.members.get_mut(&user.id) else { return };
        if member.roles == user.roles {
            return;
        }
        member.roles.clone_from(&user.roles);
        let conns = member.conns.clone();
        index.expel(&conns);
        index.admit(&user.roles, &conns);
    }

    /// A stored user was deleted: their connections see nothing any more.
    pub fn user_removed(&self, id: &UserId) {
        let mut index = self.write();
        let Some(member) = index.members.get_mut(id) else { return };
        member.roles.clear();
        let conns = member.conns.clone();
        index.expel(&conns);
    }

    /// The channels changed: the lists are rebuilt from the store's channels at the next
    /// broadcast.
    pub fn channels_changed(&self) {
        let mut index = self.write();
        index.channels = None;
        index.generation += 1;
        index.viewers.clear();
    }

    /// Authenticated connections whose user may view `channel` now.
    pub async fn viewers(&self, channel: &str) -> Arc<Vec<ConnId>> {
        // A change may land between the read and the lookup: then read again.
        for _ in 0..3 {
            self.ensure_channels().await;
            let index = self.read();
            if index.channels.is_some() {
                return index.viewers.get(channel).cloned().unwrap_or_default();
            }
        }
        self.read().viewers.get(channel).cloned().unwrap_or_default()
    }

    /// Sends `packet` to every connection of `user`, on every node, without a listener.
    pub fn to_user(&self, user: &UserId, packet: &Packet) {
        self.hub.send_user(user, packet);
    }

    /// Sends `packet` to every authenticated connection whose user may view `channel`,
    /// then to the origin connection (with its listener) without re-checking it.
    /// Other nodes deliver the same bytes to their own viewers of the channel.
    pub async fn broadcast(&self, packet: &Packet, channel: &str, origin: &Origin) {
        let shared = self.hub.encode(packet);
        self.hub
            .publish(|| ClusterEvent::Deliver { target: Target::Channel(channel.to_owned()), frame: shared.clone() });
        let targets = self.viewers(channel).await;
        self.hub.fan_out_frame(packet, shared, &targets, origin);
    }

    /// Delivers another node's channel broadcast to this node's viewers of the channel.
    pub async fn deliver_remote(&self, channel: &str, frame: &Frame) {
        let targets = self.viewers(channel).await;
        crate::telemetry::fan_out(targets.len());
        self.hub.deliver(&targets, frame);
    }
}

/// A store that tells the [`Audience`] about every write that changes who may view what
/// (users' roles and the channels), and the [`HotHistory`] about every message write. The
/// services use the store through it.
pub struct Observed {
    inner: Arc<dyn Store>,
    audience: std::sync::OnceLock<Arc<Audience>>,
    history: Arc<HotHistory>,
}

impl Observed {
    /// Wraps `inner`, keeping `history` exact; [`Observed::watch`] connects the audience
    /// once it exists.
    pub fn new(inner: Arc<dyn Store>, history: Arc<HotHistory>) -> Self {
        Self { inner, audience: std::sync::OnceLock::new(), history }
    }

    /// Reports writes to `audience` from now on.
    pub fn watch(&self, audience: Arc<Audience>) {
        let _ = self.audience.set(audience);
    }

    fn tell(&self, f: impl FnOnce(&Audience)) {
        if let Some(a) = self.audience.get() {
            f(a);
        }
    }

    /// Tells the other nodes of a cluster what this write made stale; they forget it before
    /// the events that follow (docs/design/cluster.md#forget-before-deliver).
    fn spread(&self, what: impl FnOnce() -> Forget) {
        if let Some(a) = self.audience.get() {
            a.hub.publish(|| ClusterEvent::Forget(what()));
        }
    }
}

#[async_trait]
impl UserRepository for Observed {
    async fn user(&self, id: &UserId) -> StoreResult<Option<User>> {
        self.inner.user(id).await
    }
    async fn user_by_name(&self, name: &str) -> StoreResult<Option<User>> {
        self.inner.user_by_name(name).await
    }
    async fn users(&self) -> StoreResult<Vec<User>> {
        self.inner.users().await
    }
    async fn insert_user(&self, user: &User) -> StoreResult<()> {
        self.inner.insert_user(user).await?;
        self.tell(|a| a.user_changed(user));
        self.spread(|| Forget::User(user.id.clone()));
        Ok(())
    }
    async fn update_user(&self, user: &User) -> StoreResult<()> {
        self.inner.update_user(user).await?;
        self.tell(|a| a.user_changed(user));
        self.spread(|| Forget::User(user.id.clone()));
        Ok(())
    }
    async fn delete_user(&self, id: &UserId) -> StoreResult<bool> {
        let deleted = self.inner.delete_user(id).await?;
        self.tell(|a| a.user_removed(id));
        self.spread(|| Forget::User(id.clone()));
        Ok(deleted)
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
impl RoleRepository for Observed {
    async fn roles(&self) -> StoreResult<Vec<Role>> {
        self.inner.roles().await
    }
    async fn role(&self, name: &str) -> StoreResult<Option<Role>> {
        self.inner.role(name).await
    }
    async fn insert_role(&self, role: &Role) -> StoreResult<bool> {
        let result = self.inner.insert_role(role).await;
        self.spread(|| Forget::Roles);
        result
    }
    async fn update_role(&self, role: &Role) -> StoreResult<bool> {
        let result = self.inner.update_role(role).await;
        self.spread(|| Forget::Roles);
        result
    }
    async fn delete_role(&self, name: &str) -> StoreResult<bool> {
        let result = self.inner.delete_role(name).await;
        self.spread(|| Forget::Roles);
        result
    }
    async fn reorder_roles(&self, names: &[String]) -> StoreResult<bool> {
        self.inner.reorder_roles(names).await
    }
}

/// Ends an append in the hot history even when the wait for its commit is dropped unawaited
/// (its outcome then is unknown, so the channel's tail goes).
struct AppendWatch {
    history: Arc<HotHistory>,
    channel: String,
    ended: bool,
}

impl Drop for AppendWatch {
    fn drop(&mut self) {
        if !self.ended {
            self.history.appended(&self.channel, None);
            self.history.channel_changed(&self.channel);
        }
    }
}

/// Runs a channel write, then marks the channel lists stale (also when the write failed:
/// it may have happened before the error).
macro_rules! channel_write {
    ($self:ident, $call:expr, $names:expr) => {{
        let result = $call.await;
        $self.tell(|a| a.channels_changed());
        $self.spread(|| Forget::Channels($names));
        result
    }};
}

#[async_trait]
impl ChannelRepository for Observed {
    async fn channels(&self) -> StoreResult<Vec<Channel>> {
        self.inner.channels().await
    }
    async fn channel(&self, name: &str) -> StoreResult<Option<Channel>> {
        self.inner.channel(name).await
    }
    async fn insert_channel(&self, channel: &Channel) -> StoreResult<bool> {
        channel_write!(self, self.inner.insert_channel(channel), vec![])
    }
    async fn update_channel(&self, name: &str, channel: &Channel) -> StoreResult<bool> {
        let result =
            channel_write!(self, self.inner.update_channel(name, channel), vec![name.to_owned(), channel.name.clone()]);
        self.history.channel_changed(name);
        self.history.channel_changed(&channel.name);
        result
    }
    async fn move_channel(&self, name: &str, position: usize) -> StoreResult<bool> {
        channel_write!(self, self.inner.move_channel(name, position), vec![])
    }
    async fn delete_channel(&self, name: &str) -> StoreResult<bool> {
        // A forum's threads go with it, and so do their tails (docs/design/threads.md#storage).
        let threads = self.inner.threads(name).await.unwrap_or_default();
        let result = channel_write!(self, self.inner.delete_channel(name), vec![name.to_owned()]);
        self.history.channel_changed(name);
        for t in threads {
            self.forget_thread(&t.id);
        }
        result
    }
}

impl Observed {
    /// A thread went: its messages' tail too, here and on the other nodes.
    fn forget_thread(&self, id: &str) {
        let key = domain::thread::thread_key(id);
        self.history.channel_changed(&key);
        self.spread(|| Forget::Messages(key));
    }
}

#[async_trait]
impl crate::ports::ThreadRepository for Observed {
    async fn threads(&self, channel: &str) -> StoreResult<Vec<domain::Thread>> {
        self.inner.threads(channel).await
    }
    async fn thread(&self, id: &str) -> StoreResult<Option<domain::Thread>> {
        self.inner.thread(id).await
    }
    async fn insert_thread(&self, thread: &domain::Thread) -> StoreResult<bool> {
        self.inner.insert_thread(thread).await
    }
    async fn update_thread(&self, thread: &domain::Thread) -> StoreResult<bool> {
        self.inner.update_thread(thread).await
    }
    async fn delete_thread(&self, id: &str) -> StoreResult<bool> {
        let result = self.inner.delete_thread(id).await;
        self.forget_thread(id);
        result
    }
}

#[async_trait]
impl MessageRepository for Observed {
    async fn append_message(&self, channel: &str, message: &Message) -> StoreResult<()> {
        self.submit_message(channel, message).await?.await
    }
    async fn submit_message(&self, channel: &str, message: &Message) -> StoreResult<Commit> {
        self.history.appending(channel);
        let commit = match self.inner.submit_message(channel, message).await {
            Ok(commit) => commit,
            Err(e) => {
                self.history.appended(channel, None);
                return Err(e);
            }
        };
        let mut watch = AppendWatch { history: self.history.clone(), channel: channel.to_owned(), ended: false };
        let message = message.clone();
        let hub = self.audience.get().map(|a| a.hub.clone());
        Ok(Box::pin(async move {
            let result = commit.await;
            watch.ended = true;
            watch.history.appended(&watch.channel, result.as_ref().ok().map(|()| &message));
            if let Some(hub) = hub {
                hub.publish(|| ClusterEvent::Forget(Forget::Messages(watch.channel.clone())));
            }
            result
        }))
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
        let result = self.inner.update_message(channel, message).await;
        self.spread(|| Forget::Messages(channel.to_owned()));
        match &result {
            Ok(true) => self.history.updated(channel, message),
            Ok(false) => {}
            // It may have been written before the error: the tail is read again.
            Err(_) => self.history.channel_changed(channel),
        }
        result
    }
    async fn delete_message(&self, channel: &str, id: &str) -> StoreResult<bool> {
        let result = self.inner.delete_message(channel, id).await;
        self.spread(|| Forget::Messages(channel.to_owned()));
        match &result {
            Ok(true) => self.history.deleted(channel, id),
            Ok(false) => {}
            Err(_) => self.history.channel_changed(channel),
        }
        result
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

crate::delegate_push_subscriptions!(Observed, inner);
crate::delegate_emoji_repository!(Observed, inner);
crate::delegate_state!(Observed, inner);

#[async_trait]
impl Store for Observed {
    async fn seed_defaults(&self, roles: &[Role], channels: &[Channel]) -> StoreResult<bool> {
        let result = channel_write!(self, self.inner.seed_defaults(roles, channels), vec![]);
        self.history.clear();
        result
    }
}
