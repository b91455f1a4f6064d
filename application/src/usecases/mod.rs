//! Use cases, one module per command family. Each is a method on [`crate::App`] taking
//! already-parsed input and answering with packets through the hub or a [`Reply`].

mod access;
mod admin;
mod auth;
mod channels;
mod connection;
mod fanout;
mod lists;
mod messages;
mod moderation;
mod pings;
mod plugins;
mod reactions;
mod reading;
mod roles;
mod server;
mod slash;
mod typing;
pub(crate) mod users;
mod voice;

pub use admin::{AdminAction, AdminOutcome};
pub use channels::{ChannelChanges, NewChannel, valid_channel_name};
pub use messages::{EditMessage, HistoryStart, NewMessage};
pub use pings::pings;
pub use roles::{RoleChanges, permissions_of};
pub use slash::SlashAnswer;

use domain::rate_limit::Denial;

use crate::{AppError, Packet};

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

/// What follows a command's reply: ejecting a banned user, then live list pushes
/// (protocol.md §8). Done after the reply so the caller hears its answer first.
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
}

impl Pushes {
    /// These pushes, after ejecting `user` when given.
    pub fn ejecting(mut self, user: Option<domain::UserId>) -> Self {
        self.eject = user;
        self
    }
}

impl Reply {
    /// A reply followed by list pushes.
    pub fn then(packet: Packet, pushes: Pushes) -> Self {
        Self::Then(Some(packet), pushes)
    }
}

/// Why a command did not go through.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// An error packet with the original's text.
    Error(AppError),
    /// A `rate_limit` packet.
    RateLimited {
        /// Reason and wait.
        denial: Denial,
        /// Whether the command was `typing`.
        typing: bool,
    },
}

impl From<AppError> for Refusal {
    fn from(e: AppError) -> Self {
        Self::Error(e)
    }
}

impl From<crate::ports::StoreError> for Refusal {
    fn from(e: crate::ports::StoreError) -> Self {
        Self::Error(e.into())
    }
}

/// Result of a command.
pub type CommandResult = Result<Reply, Refusal>;
