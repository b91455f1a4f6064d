//! Storage repositories. One adapter (sea-orm over SQLite or Postgres) and one in-memory
//! reference implementation satisfy the same contracts.
//!
//! Contracts common to all: a method that returns `Ok` has committed its change durably;
//! orders are the stored orders (creation order for users and roles, display order for
//! channels, creation order for messages within a channel), never timestamps; an update
//! keeps a record's place. Names and ids are compared exactly (case-sensitive) unless a
//! method says otherwise, and every text field reads back byte for byte, U+0000 included,
//! on every backend. Reading a channel that does not exist gives nothing (empty, `None`,
//! false), never an error.
//! `tests/tests/store_contract.rs` checks all of this on every store. Push subscriptions
//! ([`super::PushSubscriptionRepository`]) are part of the store too.

use async_trait::async_trait;
use domain::{Channel, Message, Role, User, UserId};

use super::EmojiRepository;

/// What kind of storage failure happened, so that callers can tell a lost database from a
/// broken rule without parsing text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreErrorKind {
    /// The database could not be reached in time (connection lost, pool exhausted,
    /// the writer task gone).
    Unavailable,
    /// A uniqueness rule was broken (the record exists already).
    Conflict,
    /// The record the change needs does not exist (any more).
    Missing,
    /// A stored row could not be read back as a record.
    Corrupt,
    /// The database refused a value it cannot store.
    Rejected,
    /// Anything else.
    Other,
}

impl std::fmt::Display for StoreErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Unavailable => "unavailable",
            Self::Conflict => "conflict",
            Self::Missing => "missing record",
            Self::Corrupt => "corrupt row",
            Self::Rejected => "value rejected",
            Self::Other => "failure",
        })
    }
}

/// A storage failure: its kind, the operation that failed (with the record it concerned)
/// and the backend's own words. Never shown to clients; logged with the command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("storage {kind} in {operation}: {detail}")]
pub struct StoreError {
    /// What kind of failure.
    pub kind: StoreErrorKind,
    /// The repository operation and its subject, e.g. `append_message channel=general`.
    pub operation: String,
    /// The backend's description.
    pub detail: String,
}

impl StoreError {
    /// A failure of `kind` in `operation`.
    pub fn new(kind: StoreErrorKind, operation: impl Into<String>, detail: impl Into<String>) -> Self {
        Self { kind, operation: operation.into(), detail: detail.into() }
    }
}

/// Result of a storage call.
pub type StoreResult<T> = Result<T, StoreError>;

/// The wait for a submitted append to be committed.
pub type Commit = std::pin::Pin<Box<dyn Future<Output = StoreResult<()>> + Send>>;

/// Users, keyed by Rotur id.
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// The user with this id; `None` when there is none.
    async fn user(&self, id: &UserId) -> StoreResult<Option<User>>;
    /// The first user in creation order whose username equals `name` once both are
    /// lowercased (`str::to_lowercase`); users without a username never match.
    async fn user_by_name(&self, name: &str) -> StoreResult<Option<User>>;
    /// All users in creation order (a user deleted and inserted again is the newest).
    async fn users(&self) -> StoreResult<Vec<User>>;
    /// Creates a user, the newest in creation order. MUST fail with
    /// [`StoreErrorKind::Conflict`] (storing nothing) when a user with this id exists:
    /// first logins racing each other rely on it.
    async fn insert_user(&self, user: &User) -> StoreResult<()>;
    /// Replaces the record of the user with `user.id`, in place. Fails with
    /// [`StoreErrorKind::Missing`] (creating nothing) when there is none.
    async fn update_user(&self, user: &User) -> StoreResult<()>;
    /// Deletes the user with this id; false when there was none.
    async fn delete_user(&self, id: &UserId) -> StoreResult<bool>;
    /// Changes recorded for a username that has not logged in yet, oldest first; the
    /// username is compared lowercased, so `Bob` and `BOB` share their changes.
    async fn pending_changes(&self, username: &str) -> StoreResult<Vec<PendingChange>>;
    /// Records a change (after the earlier ones) for a username, compared lowercased, that
    /// has not logged in yet.
    async fn add_pending_change(&self, username: &str, change: &PendingChange) -> StoreResult<()>;
    /// Forgets every pending change of a username, compared lowercased (after applying
    /// them); nothing to forget is no error.
    async fn clear_pending_changes(&self, username: &str) -> StoreResult<()>;
}

/// A change an operator made for a username never seen yet (docs/design/authentication.md#pending-changes).
#[derive(Debug, Clone, PartialEq)]
pub enum PendingChange {
    /// Grant a role.
    Grant(String),
    /// Revoke a role.
    Revoke(String),
    /// Ban.
    Ban,
    /// Unban.
    Unban,
    /// A timeout running until this Unix time (kept when a timed-out user leaves, or set
    /// before a user was ever seen).
    Timeout(domain::UnixSeconds),
}

impl PendingChange {
    /// Applies the change to a user; returns whether anything changed. A revoke never
    /// takes a user's last role, and a timeout never shortens a running one.
    pub fn apply_to(&self, user: &mut User) -> bool {
        use domain::user::BANNED_ROLE;
        match self {
            Self::Grant(role) => user.grant_front(role),
            Self::Revoke(role) if user.roles.iter().all(|r| r == role) => false,
            Self::Revoke(role) => user.revoke(role),
            Self::Ban => user.grant_front(BANNED_ROLE),
            Self::Unban => user.revoke(BANNED_ROLE),
            Self::Timeout(until) => {
                let later = user.timeout_until.is_none_or(|t| t < *until);
                if later {
                    user.timeout_until = Some(*until);
                }
                later
            }
        }
    }
}

/// Roles, keyed by name.
#[async_trait]
pub trait RoleRepository: Send + Sync {
    /// All roles in hierarchy order: by `position`, equal positions in creation order.
    async fn roles(&self) -> StoreResult<Vec<Role>>;
    /// The role with this exact name.
    async fn role(&self, name: &str) -> StoreResult<Option<Role>>;
    /// Creates a role at the end; false (changing nothing) when the name exists.
    async fn insert_role(&self, role: &Role) -> StoreResult<bool>;
    /// Replaces the record of the role with `role.name`, in place; false (creating
    /// nothing) when it does not exist.
    async fn update_role(&self, role: &Role) -> StoreResult<bool>;
    /// Deletes a role; false when it did not exist.
    async fn delete_role(&self, name: &str) -> StoreResult<bool>;
    /// Gives `names[i]` position `i`, all at once; false (changing nothing) when a name has
    /// no role. Roles not named keep their positions.
    async fn reorder_roles(&self, names: &[String]) -> StoreResult<bool>;
}

/// Channels, keyed by name, in display order.
#[async_trait]
pub trait ChannelRepository: Send + Sync {
    /// All channels in display order.
    async fn channels(&self) -> StoreResult<Vec<Channel>>;
    /// The channel with this exact name.
    async fn channel(&self, name: &str) -> StoreResult<Option<Channel>>;
    /// Appends a channel at the end of the display order; false (changing nothing) when
    /// the name exists.
    async fn insert_channel(&self, channel: &Channel) -> StoreResult<bool>;
    /// Replaces the channel called `name` in place (same position). It may be renamed:
    /// its messages follow it and the old name is free again. False when no channel is
    /// called `name`; fails with [`StoreErrorKind::Conflict`] (changing nothing) when it is
    /// renamed to the name of another existing channel.
    async fn update_channel(&self, name: &str, channel: &Channel) -> StoreResult<bool>;
    /// Moves a channel to index `position` of the display order, the others keeping their
    /// relative order (`position` at or past the end = last); false when it does not exist.
    async fn move_channel(&self, name: &str, position: usize) -> StoreResult<bool>;
    /// Deletes a channel and all its messages (a channel created later under the same name
    /// starts empty); false when it did not exist.
    async fn delete_channel(&self, name: &str) -> StoreResult<bool>;
}

/// Messages, per channel, in creation order.
#[async_trait]
pub trait MessageRepository: Send + Sync {
    /// Appends a message at the end of a channel; returns once committed. Fails with
    /// [`StoreErrorKind::Missing`] when no channel has this exact name, and with
    /// [`StoreErrorKind::Conflict`] when the channel already holds a message with this id
    /// (ids are unique per channel); nothing is stored then. An append that fails never
    /// fails appends made at the same time (which a store may write together).
    async fn append_message(&self, channel: &str, message: &Message) -> StoreResult<()>;
    /// Queues an append in the order of the calls and returns at once with the wait for
    /// its commit: the message counts as stored only once the returned future resolves
    /// `Ok`. Appends submitted one after another by one caller are stored in that order.
    /// The default commits before returning.
    async fn submit_message(&self, channel: &str, message: &Message) -> StoreResult<Commit> {
        self.append_message(channel, message).await?;
        Ok(Box::pin(async { Ok(()) }))
    }
    /// Skips the `skip_newest` newest messages and returns up to `limit` before them, oldest
    /// first (empty once `skip_newest` reaches the channel's size).
    async fn messages_page(&self, channel: &str, skip_newest: u64, limit: u64) -> StoreResult<Vec<Message>>;
    /// Up to `limit` messages created just before message `before_id`, oldest first
    /// (empty when the channel holds no message with that id).
    async fn messages_before(&self, channel: &str, before_id: &str, limit: u64) -> StoreResult<Vec<Message>>;
    /// Up to `limit` messages created just after message `after_id`, oldest first (empty
    /// when the channel holds no message with that id).
    async fn messages_after(&self, channel: &str, after_id: &str, limit: u64) -> StoreResult<Vec<Message>>;
    /// How many messages the channel holds (0 for a channel that does not exist).
    async fn message_count(&self, channel: &str) -> StoreResult<u64>;
    /// One message and its 1-based position among the messages the channel holds now
    /// (a deletion moves the later ones up).
    async fn message(&self, channel: &str, id: &str) -> StoreResult<Option<(Message, u64)>>;
    /// Timestamp of the channel's newest message, i.e. the last appended one still there
    /// (whatever the timestamps of the others); `None` when it has none.
    async fn last_message_time(&self, channel: &str) -> StoreResult<Option<f64>>;
    /// Replaces the message with `message.id` in `channel`, in place (same position);
    /// false (creating nothing) when the channel holds no such message.
    async fn update_message(&self, channel: &str, message: &Message) -> StoreResult<bool>;
    /// Deletes message `id` of `channel`; false when the channel holds no such message.
    async fn delete_message(&self, channel: &str, id: &str) -> StoreResult<bool>;
    /// The oldest `limit` messages of `channel` replying to `parent_id` (whether or not
    /// the parent is still there), oldest first.
    async fn replies(&self, channel: &str, parent_id: &str, limit: u64) -> StoreResult<Vec<Message>>;
    /// Messages whose lowercased content contains the lowercased `needle` as a substring
    /// (the store lowercases it, so the match ignores case whether or not the caller did),
    /// newest first, at most `limit`. Every character is literal (`%`, `_`, `\`, …); an
    /// empty needle matches every message.
    async fn search(&self, channel: &str, needle: &str, limit: u64) -> StoreResult<Vec<Message>>;
    /// The channel's pinned messages, newest first, at most `limit`.
    async fn pinned(&self, channel: &str, limit: u64) -> StoreResult<Vec<Message>>;
    /// One page of the messages of `channels` that ping any of `targets`, each with its
    /// channel, and how many match in all. A message matches when its mention targets
    /// (`domain::mentions::message_targets` of the message as it is stored now) include one
    /// of `targets`, compared exactly. Newest first: greatest timestamp first, equal
    /// timestamps the last created first; the page skips `offset` matches and holds at most
    /// `limit`. Each message counts once, however many targets it shares and however often
    /// `channels` names its channel; names of channels that do not exist are ignored.
    /// `channels` may also hold thread keys (`thread/<id>`, domain::thread::thread_key): a
    /// thread's messages are searched like a channel's and come back with that key.
    async fn mentions_page(
        &self,
        channels: &[String],
        targets: &[String],
        offset: u64,
        limit: u64,
    ) -> StoreResult<(Vec<(String, Message)>, u64)>;
}

/// Everything the server stores, behind one handle.
#[async_trait]
pub trait Store:
    UserRepository
    + RoleRepository
    + ChannelRepository
    + MessageRepository
    + EmojiRepository
    + super::PushSubscriptionRepository
    + super::UnreadRepository
    + super::ServerProfileRepository
    + super::ThreadRepository
{
    /// Writes `roles` and `channels`, in their order, if this store has never been
    /// initialised (seeded or imported into), and returns true; otherwise writes nothing
    /// and returns false, even when defaults were deleted since. Called at start-up, on a
    /// store without roles or channels until its first seeding.
    async fn seed_defaults(&self, roles: &[Role], channels: &[Channel]) -> StoreResult<bool>;
}
