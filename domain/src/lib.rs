//! The pure core of originchats.
//!
//! Users, roles, channels, messages, the permission engine and the rate limiter live here.
//! Nothing in this crate performs I/O, reads a clock or knows a wire format: time is passed
//! in as Unix seconds, and values that the server stores verbatim but never interprets
//! (extra keys of a channel, say) are carried as opaque [`RawJson`] text.

pub mod channel;
pub mod content;
pub mod emoji;
pub mod mentions;
pub mod message;
pub mod permission;
pub mod rate_limit;
pub mod reaction;
pub mod role;
pub mod thread;
pub mod user;

pub use channel::{Channel, ChannelKind, PermissionMap};
pub use content::{ContentError, MessageContent};
pub use emoji::{Emoji, ImageKind};
pub use message::{Message, ReplyRef};
pub use permission::{Action, Permission, may};
pub use role::{MentionRule, Role};
pub use thread::Thread;
pub use user::{Presence, Profile, User, UserId};

/// Unix time in seconds with a fractional part, as the original stores timestamps.
pub type UnixSeconds = f64;

/// A JSON value kept as text. The domain never parses it; adapters store and render it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawJson(pub String);

/// Extra keys of a record, in their original order, that the domain carries but ignores.
pub type Extras = Vec<(String, RawJson)>;
