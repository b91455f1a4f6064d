//! The in-memory reference store: same contracts as the SQL store, no persistence.
//! Used by unit tests of the application and as the model the SQL store is checked against.

use std::collections::HashMap;
use std::sync::Mutex;

use application::ports::{
    ChannelRepository, MessageRepository, RoleRepository, Store, StoreError, StoreResult, UserRepository,
};
use async_trait::async_trait;
use domain::{Channel, Message, Role, User, UserId};

#[derive(Default)]
struct State {
    users: Vec<User>,
    roles: Vec<Role>,
    channels: Vec<Channel>,
    messages: HashMap<String, Vec<Message>>,
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
                return Err(StoreError(format!("user {} exists", user.id)));
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
            None => Err(StoreError(format!("user {} missing", user.id))),
        })
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
}

#[async_trait]
impl ChannelRepository for MemoryStore {
    async fn channels(&self) -> StoreResult<Vec<Channel>> {
        Ok(self.with(|s| s.channels.clone()))
    }

    async fn channel(&self, name: &str) -> StoreResult<Option<Channel>> {
        Ok(self.with(|s| s.channels.iter().find(|c| c.name == name).cloned()))
    }
}

#[async_trait]
impl MessageRepository for MemoryStore {
    async fn append_message(&self, channel: &str, message: &Message) -> StoreResult<()> {
        self.with(|s| s.messages.entry(channel.to_owned()).or_default().push(message.clone()));
        Ok(())
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
