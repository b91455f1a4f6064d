//! Every packet the server sends, as typed values. The wire adapter renders each variant
//! to the exact JSON of the spec; nothing else in the server builds JSON for clients.

use domain::User;
use domain::rate_limit::Denial;

use crate::views::{ChannelView, MessageView, UserView};
use crate::{AppError, AuthErrorText};

/// The fields of the handshake (protocol.md §4).
#[derive(Debug, Clone, PartialEq)]
pub struct Handshake {
    /// The config's `server` section (icon/banner rewritten).
    pub server: serde_json::Value,
    /// The config's `limits` section.
    pub limits: serde_json::Value,
    /// Always `"1.1.0"`.
    pub version: &'static str,
    /// This connection's key.
    pub validator_key: String,
    /// Commands this server implements compatibly.
    pub capabilities: Vec<String>,
}

/// How `messages_get` echoes the request's paging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// Raw `start` (0 for the id form).
    pub start: i64,
    /// Raw `start + limit`.
    pub end: i64,
}

/// A packet for one or many connections.
#[derive(Debug, Clone, PartialEq)]
pub enum Packet {
    /// First packet of every connection.
    Handshake(Box<Handshake>),
    /// `auth` accepted.
    AuthSuccess,
    /// `auth` refused, or a command before auth.
    AuthError(AuthErrorText),
    /// Sent after `auth_success`: the stored record and a new session token.
    Ready {
        /// Stored record (rendered without `validator`).
        user: Box<User>,
        /// The new session token.
        validator: String,
    },
    /// A user's first ever login.
    UserJoin(UserView),
    /// A user's first open connection.
    UserConnect(UserView),
    /// A user's last connection closed.
    UserDisconnect {
        /// Their name.
        username: String,
    },
    /// Application heartbeat.
    Ping,
    /// Answer to the client's `ping`.
    Pong,
    /// A new message (global, channel-scoped).
    MessageNew {
        /// Channel name.
        channel: String,
        /// The message as clients see it.
        message: Box<MessageView>,
    },
    /// A page of history.
    MessagesGet {
        /// Channel name.
        channel: String,
        /// Oldest first.
        messages: Vec<MessageView>,
        /// Echo of the request.
        range: Range,
    },
    /// The channels the recipient may view.
    ChannelsGet(Vec<ChannelView>),
    /// A command failed.
    Error {
        /// The failing command (`None` when the request had none).
        src: Option<String>,
        /// What went wrong.
        error: AppError,
    },
    /// An action was refused by the limiter or a timeout.
    RateLimit {
        /// Reason and wait.
        denial: Denial,
        /// `typing` adds `wait_time` (decisions.md §17).
        typing: bool,
    },
}
