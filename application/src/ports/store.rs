//! Storage repositories. One adapter (sea-orm over SQLite or Postgres) and one in-memory
//! reference implementation satisfy the same contracts.
//!
//! Contracts common to all: a method that returns `Ok` has committed its change durably;
//! orders are the stored orders (creation order for users and roles, display order for
//! channels, creation order for messages within a channel).

use async_trait::async_trait;
use domain::{Channel, Message, Role, User, UserId};

/// A storage failure (connection lost, constraint broken, corrupt row…).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("storage: {0}")]
pub struct StoreError(pub String);

/// Result of a storage call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Users, keyed by Rotur id.
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// The user with this id.
    async fn user(&self, id: &UserId) -> StoreResult<Option<User>>;
    /// The first user (creation order) whose username equals `name` case-insensitively.
    async fn user_by_name(&self, name: &str) -> StoreResult<Option<User>>;
    /// All users in creation order.
    async fn users(&self) -> StoreResult<Vec<User>>;
    /// Creates a user; MUST fail if the id exists.
    async fn insert_user(&self, user: &User) -> StoreResult<()>;
    /// Replaces an existing user's record.
    async fn update_user(&self, user: &User) -> StoreResult<()>;
}

/// Roles, keyed by name.
#[async_trait]
pub trait RoleRepository: Send + Sync {
    /// All roles in creation order.
    async fn roles(&self) -> StoreResult<Vec<Role>>;
    /// One role.
    async fn role(&self, name: &str) -> StoreResult<Option<Role>>;
}

/// Channels, keyed by name, in display order.
#[async_trait]
pub trait ChannelRepository: Send + Sync {
    /// All channels in display order.
    async fn channels(&self) -> StoreResult<Vec<Channel>>;
    /// One channel by exact name.
    async fn channel(&self, name: &str) -> StoreResult<Option<Channel>>;
}

/// Messages, per channel, in creation order.
#[async_trait]
pub trait MessageRepository: Send + Sync {
    /// Appends a message to a channel; returns once committed.
    async fn append_message(&self, channel: &str, message: &Message) -> StoreResult<()>;
    /// Skips the `skip_newest` newest messages and returns up to `limit` before them, oldest first.
    async fn messages_page(&self, channel: &str, skip_newest: u64, limit: u64) -> StoreResult<Vec<Message>>;
    /// Up to `limit` messages strictly older than message `before_id`, oldest first
    /// (empty when that id is unknown).
    async fn messages_before(&self, channel: &str, before_id: &str, limit: u64) -> StoreResult<Vec<Message>>;
    /// One message and its 1-based position in the channel.
    async fn message(&self, channel: &str, id: &str) -> StoreResult<Option<(Message, u64)>>;
    /// Timestamp of the newest message of a channel.
    async fn last_message_time(&self, channel: &str) -> StoreResult<Option<f64>>;
}

/// Everything the server stores, behind one handle.
#[async_trait]
pub trait Store: UserRepository + RoleRepository + ChannelRepository + MessageRepository {
    /// Writes the default roles and channels if this store has never been initialised.
    /// Returns whether it did.
    async fn seed_defaults(&self, roles: &[Role], channels: &[Channel]) -> StoreResult<bool>;
}
