//! The in-memory reference store: same contracts as the SQL store, no persistence.
//! Used by unit tests of the application and as the model the SQL store is checked against.

use std::collections::HashMap;
use std::sync::Mutex;

use application::ports::{
    ChannelRepository, MessageRepository, PendingChange, RoleRepository, Store, StoreError, StoreErrorKind,
    StoreResult, UserRepository,
};
use async_trait::async_trait;
use domain::{Channel, Message, Role, User, UserId};

#[derive(Default)]
struct State {
    users: Vec<User>,
    roles: Vec<Role>,
    channels: Vec<Channel>,
    messages: HashMap<String, Vec<Message>>,
    pending: Vec<(String, PendingChange)>,
    seeded: bool,
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
        Ok(self.with(|s| s.roles.clone()))
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
            before != s.channels.len()
        }))
    }
}

#[async_trait]
impl MessageRepository for MemoryStore {
    async fn append_message(&self, channel: &str, message: &Message) -> StoreResult<()> {
        self.with(|s| {
            if !s.channels.iter().any(|c| c.name == channel) {
                return Err(StoreError::new(
                    StoreErrorKind::Missing,
                    format!("append_message channel={channel}"),
                    format!("no channel {channel}"),
                ));
            }
            let all = s.messages.entry(channel.to_owned()).or_default();
            if all.iter().any(|m| m.id == message.id) {
                return Err(StoreError::new(
                    StoreErrorKind::Conflict,
                    format!("append_message channel={channel}"),
                    format!("message {} exists", message.id),
                ));
            }
            all.push(message.clone());
            Ok(())
        })
    }

    async fn messages_page(&self, channel: &str, skip_newest: u64, limit: u64) -> StoreResult<Vec<Message>> {
        Ok(self.with(|s| {
            let all = s.messages.get(channel).map(Vec::as_slice).unwrap_or_default();
            let end = all.len().saturating_sub(skip_newest as usize);
            let begin = end.saturating_sub(limit as usize);
            all[begin..end].to_vec()
        }))
    }

    async fn messages_before(&self, channel: &str, before_id: &str, limit: u64) -> StoreResult<Vec<Message>> {
        Ok(self.with(|s| {
            let all = s.messages.get(channel).map(Vec::as_slice).unwrap_or_default();
            match all.iter().position(|m| m.id == before_id) {
                Some(end) => all[end.saturating_sub(limit as usize)..end].to_vec(),
                None => vec![],
            }
        }))
    }

    async fn message(&self, channel: &str, id: &str) -> StoreResult<Option<(Message, u64)>> {
        Ok(self.with(|s| {
            let all = s.messages.get(channel)?;
            let pos = all.iter().position(|m| m.id == id)?;
            Some((all[pos].clone(), pos as u64 + 1))
        }))
    }

    async fn last_message_time(&self, channel: &str) -> StoreResult<Option<f64>> {
        Ok(self.with(|s| s.messages.get(channel).and_then(|m| m.last()).map(|m| m.timestamp)))
    }

    async fn update_message(&self, channel: &str, message: &Message) -> StoreResult<bool> {
        Ok(self.with(|s| {
            let slot = s.messages.get_mut(channel).and_then(|all| all.iter_mut().find(|m| m.id == message.id));
            slot.map(|m| *m = message.clone()).is_some()
        }))
    }

    async fn delete_message(&self, channel: &str, id: &str) -> StoreResult<bool> {
        Ok(self.with(|s| {
            let Some(all) = s.messages.get_mut(channel) else { return false };
            let before = all.len();
            all.retain(|m| m.id != id);
            before != all.len()
        }))
    }

    async fn replies(&self, channel: &str, parent_id: &str, limit: u64) -> StoreResult<Vec<Message>> {
        Ok(self.with(|s| {
            let all = s.messages.get(channel).map(Vec::as_slice).unwrap_or_default();
            all.iter()
                .filter(|m| m.reply_to.as_ref().is_some_and(|r| r.id == parent_id))
                .take(limit as usize)
                .cloned()
                .collect()
        }))
    }

    async fn search(&self, channel: &str, needle: &str, limit: u64) -> StoreResult<Vec<Message>> {
        let needle = needle.to_lowercase();
        Ok(self.with(|s| {
            let all = s.messages.get(channel).map(Vec::as_slice).unwrap_or_default();
            all.iter()
                .rev()
                .filter(|m| m.content.to_lowercase().contains(&needle))
                .take(limit as usize)
                .cloned()
                .collect()
        }))
    }

    async fn pinned(&self, channel: &str) -> StoreResult<Vec<Message>> {
        Ok(self.with(|s| {
            let all = s.messages.get(channel).map(Vec::as_slice).unwrap_or_default();
            all.iter().rev().filter(|m| m.pinned).cloned().collect()
        }))
    }

    async fn mention_candidates(
        &self,
        channels: &[String],
        needles: &[String],
        reply_author: &UserId,
    ) -> StoreResult<Vec<(String, Message)>> {
        let needles: Vec<String> = needles.iter().map(|n| n.to_lowercase()).collect();
        Ok(self.with(|s| {
            let mut out = vec![];
            for (i, c) in channels.iter().enumerate() {
                if channels[..i].contains(c) {
                    continue;
                }
                for m in s.messages.get(c).map(Vec::as_slice).unwrap_or_default() {
                    let lower = m.content.to_lowercase();
                    let replied = m.reply_to.as_ref().is_some_and(|r| &r.author == reply_author);
                    if replied || needles.iter().any(|n| lower.contains(n.as_str())) {
                        out.push((c.clone(), m.clone()));
                    }
                }
            }
            out
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
