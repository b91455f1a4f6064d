//! Use cases, one module per command family. Each is a method on [`crate::App`] taking
//! already-parsed input and answering with packets through the hub or a [`Reply`].

mod access;
mod auth;
mod channels;
mod connection;
mod fanout;
mod lists;
mod messages;
mod moderation;
mod pings;
mod reactions;
mod reading;
mod roles;
mod server;
mod typing;
mod users;

pub use channels::{ChannelChanges, NewChannel, valid_channel_name};
pub use messages::{EditMessage, HistoryStart, NewMessage};
pub use pings::pings;
pub use roles::{RoleChanges, permissions_of};

use domain::rate_limit::Denial;

use crate::{AppError, Packet};

/// What a command answers to its sender directly.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// A packet for the sender (the listener is added).
    Packet(Packet),
    /// Nothing more: any answer already went out through the hub.
    Done,
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
