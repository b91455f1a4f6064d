//! The in-memory reference store: same contracts as the SQL store, no persistence.
//! Used by unit tests of the application and as the model the SQL store is checked against.

mod emojis;

pub use emojis::MemoryImages;

use std::collections::HashMap;
use std::sync::Mutex;

use application::ports::{
    ChannelRepository, MessageRepository, PendingChange, PushSubscriptionRepository, RoleRepository, ServerProfile,
    ServerProfileRepository, Store, StoreError, StoreErrorKind, StoreResult, Subscription, ThreadRepository,
    UnreadRepository, UserRepository,
};
use async_trait::async_trait;
use domain::mentions::message_targets;
use domain::{Channel, Message, Role, User, UserId};

#[derive(Default)]
struct State {
    users: Vec<User>,
    roles: Vec<Role>,
    channels: Vec<Channel>,
    /// Each channel's messages in creation order.
    messages: HashMap<String, Vec<Stored>>,
    /// The creation number of the next message, across channels.
    next: u64,
    pending: Vec<(String, PendingChange)>,
    seeded: bool,
    /// Push subscriptions in creation order.
    push: Vec<(UserId, Subscription)>,
    /// Custom emoji, ascending by id.
    emojis: Vec<domain::Emoji>,
    /// The next emoji id to hand out.
    next_emoji_id: i64,
    /// Read markers: (user, channel) → message id.
    unreads: HashMap<(UserId, String), String>,
    /// The server profile.
    profile: ServerProfile,
    /// Threads in creation order.
    threads: Vec<domain::Thread>,
}

/// A message and its creation number (which orders messages across channels).
#[derive(Clone)]
struct Stored {
    created: u64,
    message: Message,
}

impl State {
    /// Whether `key` names a channel or (`thread/<id>`) a thread that exists.
    fn holds_messages(&self, key: &str) -> bool {
        match domain::thread::thread_of_key(key) {
            Some(id) => self.threads.iter().any(|t| t.id == id),
            None => self.channels.iter().any(|c| c.name == key),
        }
    }

    /// Forgets a thread's messages and read markers.
    fn forget_thread(&mut self, id: &str) {
        let key = domain::thread::thread_key(id);
        self.messages.remove(&key);
        self.unreads.retain(|(_, c), _| *c != key);
    }

    /// The messages of `channel`, in creation order.
    fn channel_messages(&self, channel: &str) -> impl DoubleEndedIterator<Item = &Message> {
        self.messages.get(channel).map(Vec::as_slice).unwrap_or_default().iter().map(|s| &s.message)
    }
}

/// The messages of a run of stored ones, cloned.
fn copied(all: &[Stored]) -> Vec<Message> {
    all.iter().map(|s| s.message.clone()).collect()
}

/// A store held in memory.
#[derive(Default)]
pub struct MemoryStore(Mutex<State>);

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

#[async_trait]
impl UserRepository for MemoryStore {
    async fn user(&self, id: &UserId) -> StoreResult<Option<User>> {
        Ok(self.with(|s| s.users.iter().find(|u| &u.id == id).cloned()))
    }

    async fn user_by_name(&self, name: &str) -> StoreResult<Option<User>> {
        let lower = name.to_lowercase();
        Ok(self
            .with(|s| s.users.iter().find(|u| u.username.as_ref().is_some_and(|n| n.to_lowercase() == lower)).cloned()))
    }

    async fn users(&self) -> StoreResult<Vec<User>> {
        Ok(self.with(|s| s.users.clone()))
    }

    async fn insert_user(&self, user: &User) -> StoreResult<()> {
        self.with(|s| {
            if s.users.iter().any(|u| u.id == user.id) {
                return Err(StoreError::new(
                    StoreErrorKind::Conflict,
                    "insert_user",
                    format!("user {} exists", user.id),
                ));
            }
            s.users.push(user.clone());
            Ok(())
        })
    }

    async fn update_user(&self, user: &User) -> StoreResult<()> {
        self.with(|s| match s.users.iter_mut().find(|u| u.id == user.id) {
            Some(slot) => {
                *slot = user.clone();
                Ok(())
            }
            None => Err(StoreError::new(StoreErrorKind::Missing, "update_user", format!("user {} missing", user.id))),
        })
    }

    async fn delete_user(&self, id: &UserId) -> StoreResult<bool> {
        Ok(self.with(|s| {
            let before = s.users.len();
            s.users.retain(|u| &u.id != id);
            s.unreads.retain(|(u, _), _| u != id);
            before != s.users.len()
        }))
    }

    async fn pending_changes(&self, username: &str) -> StoreResult<Vec<PendingChange>> {
        let key = username.to_lowercase();
        Ok(self.with(|s| s.pending.iter().filter(|(u, _)| *u == key).map(|(_, c)| c.clone()).collect()))
    }

    async fn add_pending_change(&self, username: &str, change: &PendingChange) -> StoreResult<()> {
        self.with(|s| s.pending.push((username.to_lowercase(), change.clone())));
        Ok(())
    }

    async fn clear_pending_changes(&self, username: &str) -> StoreResult<()> {
        let key = username.to_lowercase();
        self.with(|s| s.pending.retain(|(u, _)| *u != key));
        Ok(())
    }
}

#[async_trait]
impl RoleRepository for MemoryStore {
    async fn roles(&self) -> StoreResult<Vec<Role>> {
        let mut roles = self.with(|s| s.roles.clone());
        domain::role::sort_by_position(&mut roles);
        Ok(roles)
    }

    async fn role(&self, name: &str) -> StoreResult<Option<Role>> {
        Ok(self.with(|s| s.roles.iter().find(|r| r.name == name).cloned()))
    }

    async fn insert_role(&self, role: &Role) -> StoreResult<bool> {
        Ok(self.with(|s| {
            if s.roles.iter().any(|r| r.name == role.name) {
                return false;
            }
            s.roles.push(role.clone());
            true
        }))
    }

    async fn update_role(&self, role: &Role) -> StoreResult<bool> {
        Ok(self.with(|s| s.roles.iter_mut().find(|r| r.name == role.name).map(|r| *r = role.clone()).is_some()))
    }

    async fn delete_role(&self, name: &str) -> StoreResult<bool> {
        Ok(self.with(|s| {
            let before = s.roles.len();
            s.roles.retain(|r| r.name != name);
            before != s.roles.len()
        }))
    }

    async fn reorder_roles(&self, names: &[String]) -> StoreResult<bool> {
        Ok(self.with(|s| {
            if !names.iter().all(|n| s.roles.iter().any(|r| &r.name == n)) {
                return false;
            }
            for r in s.roles.iter_mut() {
                if let Some(i) = names.iter().position(|n| n == &r.name) {
                    r.position = i as i64;
                }
            }
            true
        }))
    }
}

#[async_trait]
impl ChannelRepository for MemoryStore {
    async fn channels(&self) -> StoreResult<Vec<Channel>> {
        Ok(self.with(|s| s.channels.clone()))
    }

    async fn channel(&self, name: &str) -> StoreResult<Option<Channel>> {
        Ok(self.with(|s| s.channels.iter().find(|c| c.name == name).cloned()))
    }

    async fn insert_channel(&self, channel: &Channel) -> StoreResult<bool> {
        Ok(self.with(|s| {
            if s.channels.iter().any(|c| c.name == channel.name) {
                return false;
            }
            s.channels.push(channel.clone());
            true
        }))
    }

    async fn update_channel(&self, name: &str, channel: &Channel) -> StoreResult<bool> {
        self.with(|s| {
            let Some(i) = s.channels.iter().position(|c| c.name == name) else { return Ok(false) };
            if name != channel.name && s.channels.iter().any(|c| c.name == channel.name) {
                return Err(StoreError::new(
                    StoreErrorKind::Conflict,
                    format!("update_channel channel={name}"),
                    format!("channel {} exists", channel.name),
                ));
            }
            s.channels[i] = channel.clone();
            if name != channel.name
                && let Some(msgs) = s.messages.remove(name)
            {
                s.messages.insert(channel.name.clone(), msgs);
            }
            if name != channel.name {
                for t in s.threads.iter_mut().filter(|t| t.parent_channel == name) {
                    t.parent_channel = channel.name.clone();
                }
                let moved: Vec<_> = s.unreads.extract_if(|(_, c), _| c == name).collect();
                for ((user, _), id) in moved {
                    s.unreads.insert((user, channel.name.clone()), id);
                }
            }
            Ok(true)
        })
    }

    async fn move_channel(&self, name: &str, position: usize) -> StoreResult<bool> {
        Ok(self.with(|s| {
            let Some(i) = s.channels.iter().position(|c| c.name == name) else { return false };
            let c = s.channels.remove(i);
            let at = position.min(s.channels.len());
            s.channels.insert(at, c);
            true
        }))
    }

    async fn delete_channel(&self, name: &str) -> StoreResult<bool> {
        Ok(self.with(|s| {
            let before = s.channels.len();
            s.channels.retain(|c| c.name != name);
            s.messages.remove(name);
            s.unreads.retain(|(_, c), _| c != name);
            let gone: Vec<String> = s.threads.extract_if(.., |t| t.parent_channel == name).map(|t| t.id).collect();
            for id in gone {
                s.forget_thread(&id);
            }
            before != s.channels.len()
        }))
    }
}

#[async_trait]
impl MessageRepository for MemoryStore {
    async fn append_message(&self, channel: &str, message: &Message) -> StoreResult<()> {
        self.with(|s| {
            if !s.holds_messages(channel) {
                return Err(StoreError::new(
                    StoreErrorKind::Missing,
                    format!("append_message channel={channel}"),
                    format!("no channel {channel}"),
                ));
            }
            let created = s.next;
            let all = s.messages.entry(channel.to_owned()).or_default();
            if all.iter().any(|m| m.message.id == message.id) {
                return Err(StoreError::new(
                    StoreErrorKind::Conflict,
                    format!("append_message channel={channel}"),
                    format!("message {} exists", message.id),
                ));
            }
            all.push(Stored { created, message: message.clone() });
            s.next += 1;
            Ok(())
        })
    }

    async fn messages_page(&self, channel: &str, skip_newest: u64, limit: u64) -> StoreResult<Vec<Message>> {
        Ok(self.with(|s| {
            let all = s.messages.get(channel).map(Vec::as_slice).unwrap_or_default();
            let end = all.len().saturating_sub(skip_newest as usize);
            let begin = end.saturating_sub(limit as usize);
            copied(&all[begin..end])
        }))
    }

    async fn messages_before(&self, channel: &str, before_id: &str, limit: u64) -> StoreResult<Vec<Message>> {
        Ok(self.with(|s| {
            let all = s.messages.get(channel).map(Vec::as_slice).unwrap_or_default();
            match all.iter().position(|m| m.message.id == before_id) {
                Some(end) => copied(&all[end.saturating_sub(limit as usize)..end]),
                None => vec![],
            }
        }))
    }

    async fn messages_after(&self, channel: &str, after_id: &str, limit: u64) -> StoreResult<Vec<Message>> {
        Ok(self.with(|s| {
            let all = s.messages.get(channel).map(Vec::as_slice).unwrap_or_default();
            match all.iter().position(|m| m.message.id == after_id) {
                Some(at) => copied(&all[at + 1..all.len().min((at + 1).saturating_add(limit as usize))]),
                None => vec![],
            }
        }))
    }

    async fn message_count(&self, channel: &str) -> StoreResult<u64> {
        Ok(self.with(|s| s.messages.get(channel).map_or(0, |m| m.len() as u64)))
    }

    async fn message(&self, channel: &str, id: &str) -> StoreResult<Option<(Message, u64)>> {
        Ok(self.with(|s| {
            let all = s.messages.get(channel)?;
            let pos = all.iter().position(|m| m.message.id == id)?;
            Some((all[pos].message.clone(), pos as u64 + 1))
        }))
    }

    async fn last_message_time(&self, channel: &str) -> StoreResult<Option<f64>> {
        Ok(self.with(|s| s.channel_messages(channel).next_back().map(|m| m.timestamp)))
    }

    async fn update_message(&self, channel: &str, message: &Message) -> StoreResult<bool> {
        Ok(self.with(|s| {
            let slot = s.messages.get_mut(channel).and_then(|all| all.iter_mut().find(|m| m.message.id == message.id));
            slot.map(|m| m.message = message.clone()).is_some()
        }))
    }

    async fn delete_message(&self, channel: &str, id: &str) -> StoreResult<bool> {
        Ok(self.with(|s| {
            let Some(all) = s.messages.get_mut(channel) else { return false };
            let before = all.len();
            all.retain(|m| m.message.id != id);
            before != all.len()
        }))
    }

    async fn replies(&self, channel: &str, parent_id: &str, limit: u64) -> StoreResult<Vec<Message>> {
        Ok(self.with(|s| {
            s.channel_messages(channel)
                .filter(|m| m.reply_to.as_ref().is_some_and(|r| r.id == parent_id))
                .take(limit as usize)
                .cloned()
                .collect()
        }))
    }

    async fn search(&self, channel: &str, needle: &str, limit: u64) -> StoreResult<Vec<Message>> {
        let needle = needle.to_lowercase();
        Ok(self.with(|s| {
            s.channel_messages(channel)
                .rev()
                .filter(|m| m.content.to_lowercase().contains(&needle))
                .take(limit as usize)
                .cloned()
                .collect()
        }))
    }

    async fn pinned(&self, channel: &str, limit: u64) -> StoreResult<Vec<Message>> {
        Ok(self
            .with(|s| s.channel_messages(channel).rev().filter(|m| m.pinned).take(limit as usize).cloned().collect()))
    }

    async fn mentions_page(
        &self,
        channels: &[String],
        targets: &[String],
        offset: u64,
        limit: u64,
    ) -> StoreResult<(Vec<(String, Message)>, u64)> {
        Ok(self.with(|s| {
            let mut found: Vec<(&String, &Stored)> = vec![];
            for (i, c) in channels.iter().enumerate() {
                if channels[..i].contains(c) || !s.holds_messages(c) {
                    continue;
                }
                for stored in s.messages.get(c).map(Vec::as_slice).unwrap_or_default() {
                    if message_targets(&stored.message).iter().any(|t| targets.contains(t)) {
                        found.push((c, stored));
                    }
                }
            }
            found.sort_by(|(_, a), (_, b)| {
                b.message.timestamp.total_cmp(&a.message.timestamp).then(b.created.cmp(&a.created))
            });
            let total = found.len() as u64;
            let page = found
                .into_iter()
                .skip(usize::try_from(offset).unwrap_or(usize::MAX))
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .map(|(c, stored)| (c.clone(), stored.message.clone()))
                .collect();
            (page, total)
        }))
    }
}

#[async_trait]
impl PushSubscriptionRepository for MemoryStore {
    async fn subscriptions(&self, user: &UserId) -> StoreResult<Vec<Subscription>> {
        Ok(self.with(|s| s.push.iter().filter(|(u, _)| u == user).map(|(_, sub)| sub.clone()).collect()))
    }

    async fn save_subscription(&self, user: &UserId, sub: &Subscription, keep: usize, _now: f64) -> StoreResult<()> {
        self.with(|s| {
            s.push.retain(|(u, old)| u == user || old.endpoint != sub.endpoint);
            match s.push.iter_mut().find(|(u, old)| u == user && old.endpoint == sub.endpoint) {
                Some((_, old)) => *old = sub.clone(),
                None => s.push.push((user.clone(), sub.clone())),
            }
            let mine = s.push.iter().filter(|(u, _)| u == user).count();
            let mut surplus = mine.saturating_sub(keep.max(1));
            s.push.retain(|(u, _)| {
                let drop = u == user && surplus > 0;
                surplus -= usize::from(drop);
                !drop
            });
        });
        Ok(())
    }

    async fn delete_subscription(&self, user: &UserId, endpoint: &str) -> StoreResult<bool> {
        Ok(self.with(|s| {
            let before = s.push.len();
            s.push.retain(|(u, sub)| !(u == user && sub.endpoint == endpoint));
            s.push.len() < before
        }))
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn seed_defaults(&self, roles: &[Role], channels: &[Channel]) -> StoreResult<bool> {
        Ok(self.with(|s| {
            if s.seeded {
                return false;
            }
            s.seeded = true;
            s.roles = roles.to_vec();
            s.channels = channels.to_vec();
            true
        }))
    }
}

#[async_trait]
impl UnreadRepository for MemoryStore {
    async fn last_reads(&self, user: &UserId) -> StoreResult<Vec<(String, String)>> {
        Ok(self.with(|s| {
            s.unreads.iter().filter(|((u, _), _)| u == user).map(|((_, c), id)| (c.clone(), id.clone())).collect()
        }))
    }

    async fn last_read(&self, user: &UserId, channel: &str) -> StoreResult<Option<String>> {
        Ok(self.with(|s| s.unreads.get(&(user.clone(), channel.to_owned())).cloned()))
    }

    async fn set_last_read(&self, user: &UserId, channel: &str, message_id: &str) -> StoreResult<bool> {
        Ok(self.with(|s| {
            if !s.holds_messages(channel) {
                return false;
            }
            s.unreads.insert((user.clone(), channel.to_owned()), message_id.to_owned());
            true
        }))
    }
}

#[async_trait]
impl ServerProfileRepository for MemoryStore {
    async fn server_profile(&self) -> StoreResult<ServerProfile> {
        Ok(self.with(|s| s.profile.clone()))
    }

    async fn save_server_profile(&self, profile: &ServerProfile) -> StoreResult<()> {
        self.with(|s| s.profile = profile.clone());
        Ok(())
    }
}

#[async_trait]
impl ThreadRepository for MemoryStore {
    async fn threads(&self, channel: &str) -> StoreResult<Vec<domain::Thread>> {
        Ok(self.with(|s| s.threads.iter().filter(|t| t.parent_channel == channel).cloned().collect()))
    }

    async fn thread(&self, id: &str) -> StoreResult<Option<domain::Thread>> {
        Ok(self.with(|s| s.threads.iter().find(|t| t.id == id).cloned()))
    }

    async fn insert_thread(&self, thread: &domain::Thread) -> StoreResult<bool> {
        self.with(|s| {
            if s.threads.iter().any(|t| t.id == thread.id) {
                return Err(StoreError::new(
                    StoreErrorKind::Conflict,
                    format!("insert_thread thread={}", thread.id),
                    "thread exists",
                ));
            }
            if !s.channels.iter().any(|c| c.name == thread.parent_channel) {
                return Ok(false);
            }
            s.threads.push(thread.clone());
            Ok(true)
        })
    }

    async fn update_thread(&self, thread: &domain::Thread) -> StoreResult<bool> {
        Ok(self.with(|s| match s.threads.iter_mut().find(|t| t.id == thread.id) {
            Some(slot) => {
                let parent = std::mem::take(&mut slot.parent_channel);
                *slot = domain::Thread { parent_channel: parent, ..thread.clone() };
                true
            }
            None => false,
        }))
    }

    async fn delete_thread(&self, id: &str) -> StoreResult<bool> {
        Ok(self.with(|s| {
            let before = s.threads.len();
            s.threads.retain(|t| t.id != id);
            s.forget_thread(id);
            before != s.threads.len()
        }))
    }
}
