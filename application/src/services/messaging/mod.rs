//! Text messages (docs/design/messages.md): posting, editing and deleting, history and
//! lookups, pins and reactions, typing, and the caller's pings.

mod pings;
mod post;
mod reactions;
pub mod reading;
mod threads;
mod typing;
mod unreads;

pub use reading::{AroundRequest, MAX_AROUND};
pub use threads::{NewThread, ThreadChanges};
pub use unreads::{UnreadAck, UnreadTarget};

use std::sync::Arc;

use domain::{Action, Channel, Message, MessageContent, User, UserId, may};

use super::hot_history::HotHistory;
use super::{Audience, Directory, Emojis, Gate, Plugins, Push};
use crate::Session;
use crate::errors::MessageError;
use crate::ports::{Clock, IdSource, PluginEvent, PluginHost, Store};
use crate::settings::Settings;
use crate::views::NameBook;

/// What `reply_to` of a new message names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ReplyTarget {
    /// Not a reply.
    #[default]
    None,
    /// The id of the replied message.
    Id(String),
    /// A truthy value that is not a string: it names no message.
    Invalid,
}

/// Input of `message_new`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    /// Target channel.
    pub channel: String,
    /// The text, trimmed and within `limits.post_content`.
    pub content: MessageContent,
    /// What it replies to.
    pub reply_to: ReplyTarget,
    /// `Some(false)` for a silent reply.
    pub ping: Option<bool>,
}

/// Input of `message_edit` once its fields are all there.
#[derive(Debug, Clone, PartialEq)]
pub struct EditMessage {
    /// Channel name.
    pub channel: String,
    /// Message id.
    pub id: String,
    /// The new text, or why it cannot be used (reported after the permission checks).
    pub content: Result<MessageContent, MessageError>,
}

/// Where a history page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryStart {
    /// Skip this many newest messages.
    Skip(i64),
    /// Messages strictly older than this id.
    Before(String),
}

/// Input of `messages_get`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRequest {
    /// Channel name.
    pub channel: String,
    /// Where the page starts.
    pub start: HistoryStart,
    /// The requested size as sent (0 = default; clamped to [`MAX_PAGE`]).
    pub limit: i64,
}

/// Input of `message_react_add` / `message_react_remove`; each field's error is reported
/// in the original's order.
#[derive(Debug, Clone, PartialEq)]
pub struct ReactRequest {
    /// Channel name (absent: the permission check fails).
    pub channel: Option<String>,
    /// Message id.
    pub id: Result<String, MessageError>,
    /// The emoji.
    pub emoji: Result<String, MessageError>,
    /// Add (true) or remove.
    pub add: bool,
}

/// Input of `pings_get`: a page, already checked for range.
#[derive(Debug, Clone, PartialEq)]
pub struct PingsPage {
    /// 1..=100.
    pub limit: Result<i64, MessageError>,
    /// 0 or more.
    pub offset: Result<i64, MessageError>,
}

/// Largest page `messages_get` returns.
pub const MAX_PAGE: i64 = 200;

/// Largest `message_replies` page.
pub const MAX_REPLIES: i64 = 200;

/// Most messages `messages_pinned` returns (the newest pinned ones).
pub const MAX_PINNED: u64 = 200;

/// The messaging service.
pub struct Messaging {
    store: Arc<dyn Store>,
    directory: Arc<Directory>,
    gate: Arc<Gate>,
    audience: Arc<Audience>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    host: Arc<dyn PluginHost>,
    plugins: Arc<Plugins>,
    settings: Arc<Settings>,
    history: Arc<HotHistory>,
    push: Arc<Push>,
    emojis: Arc<Emojis>,
}

/// The parts a [`Messaging`] service is built from.
pub struct MessagingParts {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// Lookups and record locks.
    pub directory: Arc<Directory>,
    /// Timeouts and rate limits.
    pub gate: Arc<Gate>,
    /// Channel audiences.
    pub audience: Arc<Audience>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Message ids.
    pub ids: Arc<dyn IdSource>,
    /// Plugins that screen messages and hear events.
    pub host: Arc<dyn PluginHost>,
    /// Carries out what screening plugins ask for.
    pub plugins: Arc<Plugins>,
    /// Configuration.
    pub settings: Arc<Settings>,
    /// The newest messages of busy channels.
    pub history: Arc<HotHistory>,
    /// Web Push for the users a message replies to or mentions.
    pub push: Arc<Push>,
    /// Custom emoji, which reactions may name.
    pub emojis: Arc<Emojis>,
}

impl Messaging {
    /// The messaging service.
    pub fn new(p: MessagingParts) -> Self {
        Self {
            store: p.store,
            directory: p.directory,
            gate: p.gate,
            audience: p.audience,
            clock: p.clock,
            ids: p.ids,
            host: p.host,
            plugins: p.plugins,
            settings: p.settings,
            history: p.history,
            push: p.push,
            emojis: p.emojis,
        }
    }

    /// The longest content `message_new` accepts (`limits.post_content`), for the edge's
    /// parsing.
    pub fn max_content(&self) -> usize {
        self.settings.post_content
    }

    fn emit(&self, event: PluginEvent) {
        self.host.notify(&event);
    }

    /// A name book of every user (cached by the storage adapter).
    async fn name_book(&self) -> Result<NameBook, MessageError> {
        Ok(NameBook::from_users(&self.store.users().await?))
    }

    /// A name book covering the users one message refers to: its author, the replied
    /// author and everyone who reacted.
    async fn name_book_for(&self, m: &Message) -> Result<NameBook, MessageError> {
        let mut ids: Vec<&UserId> = vec![&m.author];
        ids.extend(m.reply_to.as_ref().map(|r| &r.author));
        ids.extend(m.reactions.iter().flat_map(|(_, users)| users));
        ids.sort();
        ids.dedup();
        let mut users = vec![];
        for id in ids {
            if let Some(u) = self.store.user(id).await? {
                users.push(u);
            }
        }
        Ok(NameBook::from_users(&users))
    }

    /// A message of a channel the caller may view, with the caller, the channel and its
    /// position; `None` when the channel or message is unknown or not viewable.
    async fn visible_message(
        &self,
        session: &Session,
        channel: &str,
        id: &str,
    ) -> Result<Option<(User, Channel, Message, u64)>, MessageError> {
        let user = self.directory.caller(session).await?.ok_or(crate::errors::AccessError::UserRolesNotFound)?;
        let Some(chan) = self.store.channel(channel).await? else { return Ok(None) };
        if !may(&user.roles, Some(&chan), Action::View) {
            return Ok(None);
        }
        Ok(self.store.message(channel, id).await?.map(|(m, pos)| (user, chan, m, pos)))
    }
}
