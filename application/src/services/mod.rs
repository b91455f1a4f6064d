//! Use cases, one service per context. Each service holds only the ports and shared parts
//! it needs and takes inputs the wire adapter has already parsed (see
//! docs/design/parse-at-the-edge.md):
//!
//! - [`Sessions`]: a connection's life: handshake, `auth`, replies, cleanup on close;
//! - [`Messaging`]: text messages, history, pins, reactions, typing, pings;
//! - [`Community`]: users, moderation, roles, channels, rate-limit status, operator actions;
//! - [`Voice`]: voice channel rosters;
//! - [`Slash`]: slash commands of bots;
//! - [`Plugins`]: listing and reloading plugins, and carrying out what plugins ask for;
//! - [`Push`]: Web Push subscriptions and the notifications of offline users.
//! - [`Emojis`]: custom emoji, their images, and what the HTTP route serves.
//! - [`ServerInfo`]: the server's name, icon and banner.
//!
//! Shared parts: [`Directory`] (who is calling, per-record locks), [`Gate`] (timeouts and
//! rate limits), [`Audience`] (who may see a channel's events) and [`Lists`] (live list
//! pushes after changes).

pub mod audience;
pub mod cluster;
pub mod community;
pub mod directory;
pub mod emojis;
pub mod gate;
pub mod hot_history;
pub mod lists;
pub mod messaging;
pub mod plugins;
pub mod push;
pub mod server;
pub mod sessions;
pub mod slash;
pub mod throttle;
pub mod voice;

pub use audience::Audience;
pub use cluster::{Cluster, ClusterParts};
pub use community::{
    AdminAction, AdminOutcome, ChannelChanges, Community, MAX_NICKNAME, MAX_STATUS_TEXT, NewChannel, RoleChanges,
    RolePermissions, TimeoutRequest, UserUpdate, creatable_kind, permissions_of, valid_channel_name,
};
pub use directory::Directory;
pub use emojis::{EmojiChange, Emojis, NewEmoji};
pub use gate::Gate;
pub use lists::Lists;
pub use lists::{POLICY_CLOSE, lists_channel};
pub use messaging::{
    AroundRequest, EditMessage, HistoryRequest, HistoryStart, Messaging, NewMessage, NewThread, PingsPage,
    ReactRequest, ReplyTarget, ThreadChanges, UnreadAck, UnreadTarget,
};
pub use plugins::Plugins;
pub use push::Push;
pub use server::{MAX_SERVER_NAME, MAX_SERVER_URL, ServerInfo, ServerStats, ServerUpdate};
pub use sessions::PROTOCOL_VERSION;
pub use sessions::Sessions;
pub use slash::{Slash, SlashAnswer, SlashCallRequest, SlashCommands};
pub use voice::Voice;

use crate::Packet;
use crate::errors::CommandError;

/// What a command answers to its sender directly.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// A packet for the sender (the listener is added).
    Packet(Packet),
    /// Nothing more: any answer already went out through the hub.
    Done,
    /// A packet for the sender (if any), then refreshed lists for everyone.
    Then(Option<Packet>, Pushes),
}

impl Reply {
    /// A reply followed by list pushes.
    pub fn then(packet: Packet, pushes: Pushes) -> Self {
        Self::Then(Some(packet), pushes)
    }
}

/// What follows a command's reply: ejecting a banned user, then live list pushes
/// (docs/design/live-lists.md). Done after the reply so the caller hears its answer first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pushes {
    /// Close every connection of this (newly banned) user, after the ban notice.
    pub eject: Option<domain::UserId>,
    /// `users_list` to everyone.
    pub users: bool,
    /// `roles_list` (and `users_list`, whose colours follow roles) to everyone.
    pub roles: bool,
    /// Each connection's own `channels_get`.
    pub channels: bool,
}

impl Pushes {
    /// Users changed.
    pub const USERS: Self = Self { eject: None, users: true, roles: false, channels: false };
    /// Roles changed.
    pub const ROLES: Self = Self { eject: None, users: true, roles: true, channels: false };
    /// Channels changed.
    pub const CHANNELS: Self = Self { eject: None, users: false, roles: false, channels: true };
    /// A user's roles changed: their standing and what they may see.
    pub const MEMBERSHIP: Self = Self { eject: None, users: true, roles: false, channels: true };

    /// These pushes, after ejecting `user` when given.
    pub fn ejecting(mut self, user: Option<domain::UserId>) -> Self {
        self.eject = user;
        self
    }
}

/// The outcome of a use case of one family, failing with that family's error `E`.
pub type Outcome<E> = Result<Reply, E>;

/// The outcome of any command, as the dispatcher sees it.
pub type CommandResult = Result<Reply, CommandError>;
