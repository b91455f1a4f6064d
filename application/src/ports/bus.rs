//! The event bus between the nodes of a cluster (docs/design/cluster.md). A node publishes
//! what other nodes must do for a change it made: deliver an already encoded packet to
//! their own connections that qualify, close a user's connections, forget cached state.
//! A single node uses [`LocalBus`], which has no peers and publishes nothing.

use domain::{RawJson, UnixSeconds, UserId};

use super::Frame;
use crate::ConnId;
use crate::slash::SlashCommand;

/// Which of a node's connections an event is for. Each node applies the same rules to its
/// own connections as a single node applies to all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Every authenticated connection.
    Everyone,
    /// Authenticated connections whose user may view the channel now.
    Channel(String),
    /// Every connection of one user.
    User(UserId),
}

/// Cached state that a write on another node made stale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Forget {
    /// A user was created, changed or deleted.
    User(UserId),
    /// The roles changed.
    Roles,
    /// The channels changed; the names are those whose message history is affected.
    Channels(Vec<String>),
    /// Messages of a channel were written.
    Messages(String),
    /// The custom emoji changed.
    Emojis,
    /// The server's stored name, icon or banner changed (`server_update`).
    Server,
}

/// One event for the other nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterEvent {
    /// Deliver this frame (the copy without `listener`) to the target's connections.
    Deliver {
        /// Who gets it.
        target: Target,
        /// The encoded packet.
        frame: Frame,
    },
    /// Close every connection of a user.
    CloseUser {
        /// Whose.
        user: UserId,
        /// WebSocket close code.
        code: u16,
        /// Close reason.
        reason: String,
    },
    /// Drop cached state before the events that follow are delivered.
    Forget(Forget),
    /// Push each authenticated connection its own channel list.
    ChannelLists,
    /// A user's rate-limit bucket changed on another node.
    Limiter(LimiterChange),
    /// A voice seat held on the publishing node changed.
    Voice(VoiceChange),
    /// Slash commands of a bot connected to the publishing node, or a call for one.
    Slash(SlashChange),
    /// The publishing node started or came back after losing NATS: every node publishes
    /// what it holds ([`SlashChange::Registered`], [`VoiceChange::Present`]) again, then
    /// an answer (`answer: true`, which asks nothing), so that the new node has heard from
    /// every node since it joined.
    Hello {
        /// Whether this is a node's answer to another's hello.
        answer: bool,
    },
}

/// Slash commands across nodes (docs/design/cluster.md#slash-commands): every node keeps
/// every bot's registrations; a call travels to the bot's node as an event.
#[derive(Debug, Clone, PartialEq)]
pub enum SlashChange {
    /// The commands of a bot connection of the publishing node are now `commands`
    /// (replacing what it had; no packet is sent for it).
    Registered {
        /// The bot's connection on its node.
        conn: ConnId,
        /// The bot's user.
        user: UserId,
        /// The bot's display name.
        username: String,
        /// Its commands.
        commands: Vec<SlashCommand>,
    },
    /// The bot connection closed: its commands are gone and its unanswered calls fail.
    Removed {
        /// The bot's connection on its node.
        conn: ConnId,
    },
    /// A caller on the publishing node called a bot of node `to`.
    Call(RemoteCall),
    /// A call made from node `node` got its first answer.
    Answered {
        /// The caller's node.
        node: String,
        /// The call's id there.
        call: u64,
    },
}

impl Eq for SlashChange {}

/// A slash call for a bot connected to another node.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteCall {
    /// The bot's node.
    pub to: String,
    /// The bot's connection there.
    pub bot: ConnId,
    /// The call's id on the caller's node.
    pub id: u64,
    /// The caller.
    pub invoker: UserId,
    /// The caller's display name.
    pub invoker_username: String,
    /// Where it was called.
    pub channel: String,
    /// The command.
    pub command: String,
    /// The command's `ephemeral` flag.
    pub ephemeral: bool,
    /// When it was called.
    pub at: UnixSeconds,
    /// The arguments as the caller sent them.
    pub args: RawJson,
    /// The bot's display name (`commander`).
    pub commander: String,
}

/// A change of a voice seat held through a connection of the publishing node; every node
/// keeps the seats of the others beside its own (docs/design/cluster.md#voice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoiceChange {
    /// The user took a seat in `channel` (any other seat of theirs is gone).
    Joined {
        /// Which voice channel.
        channel: String,
        /// Who.
        user: UserId,
        /// Their display name.
        username: String,
        /// Their WebRTC endpoint's id.
        peer_id: String,
    },
    /// The user's seat was muted or unmuted.
    Muted {
        /// Who.
        user: UserId,
        /// The new flag.
        muted: bool,
    },
    /// The user's seat is gone.
    Left(UserId),
    /// The user holds this seat (an answer to [`ClusterEvent::Hello`]): taken silently
    /// when this node does not know it yet.
    Present {
        /// Which voice channel.
        channel: String,
        /// Who.
        user: UserId,
        /// Their display name.
        username: String,
        /// Their WebRTC endpoint's id.
        peer_id: String,
        /// Whether muted.
        muted: bool,
    },
}

/// A change of a user's rate-limit buckets, replayed on every node so a user's limits hold
/// across nodes (docs/design/cluster.md#rate-limits).
#[derive(Debug, Clone, PartialEq)]
pub enum LimiterChange {
    /// An action of `purpose` (its name) was admitted at `at`.
    Taken {
        /// Whose.
        user: UserId,
        /// Which bucket, by [`crate::limiter::Purpose::name`].
        purpose: String,
        /// When (Unix seconds).
        at: f64,
    },
    /// The user's message history was cleared (a new timeout).
    Cleared(UserId),
    /// Every bucket of the user was reset.
    Reset(UserId),
}

impl Eq for LimiterChange {}

/// Publishes events to the other nodes. Events from one node reach every other node in
/// the order they were published; a node never receives its own events.
pub trait EventBus: Send + Sync {
    /// Queues `event` for the other nodes without waiting.
    fn publish(&self, event: ClusterEvent);
    /// Whether there are other nodes at all (false for [`LocalBus`]); lets callers skip
    /// work that only peers need.
    fn clustered(&self) -> bool;
    /// This node's id in the cluster (empty for [`LocalBus`]).
    fn node(&self) -> &str {
        ""
    }
}

/// The in-process bus of a single node: there is nobody to tell.
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalBus;

impl EventBus for LocalBus {
    fn publish(&self, _event: ClusterEvent) {}
    fn clustered(&self) -> bool {
        false
    }
}

/// Drops cached entries that another node's write made stale (the cache adapter).
#[async_trait::async_trait]
pub trait CacheControl: Send + Sync {
    /// Forgets what `what` names.
    async fn forget(&self, what: &Forget);
    /// Forgets everything (after this node missed events).
    fn clear(&self);
}

/// Who is online across the nodes of a cluster (docs/design/cluster.md#presence). The hub
/// counts a user's connections on this node; this port counts the nodes.
#[async_trait::async_trait]
pub trait Presence: Send + Sync {
    /// The user's first connection on this node logged in: whether they had none anywhere.
    async fn arrived(&self, user: &UserId, username: &str) -> bool;
    /// The user's last connection on this node closed: whether they have none anywhere now.
    async fn departed(&self, user: &UserId) -> bool;
    /// Users with connections on other nodes.
    fn elsewhere(&self) -> Vec<UserId>;
    /// Whether `user` has connections on other nodes.
    fn is_elsewhere(&self, user: &UserId) -> bool;
    /// Open connections (logged in or not) on the other nodes, as they answer now.
    async fn connections_elsewhere(&self) -> usize {
        0
    }
}

/// A single node: the hub's count is the whole truth.
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalPresence;

#[async_trait::async_trait]
impl Presence for LocalPresence {
    async fn arrived(&self, _user: &UserId, _username: &str) -> bool {
        true
    }
    async fn departed(&self, _user: &UserId) -> bool {
        true
    }
    fn elsewhere(&self) -> Vec<UserId> {
        vec![]
    }
    fn is_elsewhere(&self, _user: &UserId) -> bool {
        false
    }
}

/// Held while a record is read, changed and written; dropping it releases the lock.
pub type SharedGuard = Box<dyn std::any::Any + Send + Sync>;

/// Locks on single records that hold across every node sharing the database
/// (docs/design/cluster.md#record-locks); a single node's per-process locks suffice alone.
#[async_trait::async_trait]
pub trait SharedLocks: Send + Sync {
    /// Waits for the lock named `key` and holds it until the guard is dropped.
    async fn lock(&self, key: &str) -> super::StoreResult<SharedGuard>;
}
