//! Client-facing views of domain records: user ids replaced by usernames, server-added fields.

use domain::{Channel, Message, Presence, Role, User, UserId};
use std::collections::HashMap;

/// The list/online/connect/join form of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserView {
    /// Display name.
    pub username: String,
    /// Role names.
    pub roles: Vec<String>,
    /// Colour of the first role.
    pub color: Option<String>,
    /// Nickname, when set.
    pub nickname: Option<String>,
    /// Status as others see it, when one was chosen (docs/design/status.md#hidden-presence).
    pub status: Option<Presence>,
}

impl UserView {
    /// The view of `user` given the role table.
    pub fn of(user: &User, roles: &[Role]) -> Self {
        Self {
            username: user.display_name().to_owned(),
            roles: user.roles.clone(),
            color: user.color(roles),
            nickname: user.profile.nickname.clone(),
            status: user.profile.status.as_ref().map(Presence::as_seen),
        }
    }
}

/// A message with author names resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageView {
    /// The stored message.
    pub message: Message,
    /// Author's display name.
    pub author: String,
    /// Display name of the replied message's author.
    pub reply_author: Option<String>,
    /// Reacting users' display names, per emoji.
    pub reactions: Vec<(String, Vec<String>)>,
    /// 1-based position (message_get and message_edit only).
    pub position: Option<u64>,
    /// Channel name (pings_get only; the forum for a thread's message).
    pub channel: Option<String>,
    /// The thread of a thread's message (pings_get only).
    pub thread_id: Option<String>,
    /// Who a new message notifies (message_new broadcasts only).
    pub pings: Option<Pings>,
}

/// The `pings` object of a new message: mentioned users and roles, and the replied author.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pings {
    /// Mentioned existing usernames.
    pub users: Vec<String>,
    /// Mentioned existing roles.
    pub roles: Vec<String>,
    /// The replied message's author, unless the reply is silent.
    pub replies: Vec<String>,
}

impl Pings {
    /// Whether nobody is notified.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.roles.is_empty() && self.replies.is_empty()
    }
}

/// Resolves user ids to display names, remembering what it looked up.
#[derive(Debug, Default)]
pub struct NameBook(HashMap<UserId, String>);

impl NameBook {
    /// A book pre-filled with known users.
    pub fn from_users<'a>(users: impl IntoIterator<Item = &'a User>) -> Self {
        Self(users.into_iter().map(|u| (u.id.clone(), u.display_name().to_owned())).collect())
    }

    /// The display name of `id`, or the id itself when unknown.
    pub fn name(&self, id: &UserId) -> String {
        self.0.get(id).cloned().unwrap_or_else(|| id.0.clone())
    }

    /// The view of a message.
    pub fn view(&self, message: Message) -> MessageView {
        MessageView {
            author: self.name(&message.author),
            reply_author: message.reply_to.as_ref().map(|r| self.name(&r.author)),
            reactions: message
                .reactions
                .iter()
                .map(|(e, users)| (e.clone(), users.iter().map(|u| self.name(u)).collect()))
                .collect(),
            position: None,
            channel: None,
            thread_id: None,
            pings: None,
            message,
        }
    }
}

/// A thread as clients see it (docs/design/threads.md#wire): names instead of user ids,
/// and its newest message.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadView {
    /// The stored record.
    pub thread: domain::Thread,
    /// The creator's display name.
    pub created_by: String,
    /// The participants' display names.
    pub participants: Vec<String>,
    /// The newest message's timestamp and id.
    pub last_message: Option<(f64, String)>,
}

impl ThreadView {
    /// The view of `thread` whose newest message is `newest`.
    pub fn of(thread: domain::Thread, newest: Option<&Message>, book: &NameBook) -> Self {
        Self {
            created_by: book.name(&thread.created_by),
            participants: thread.participants.iter().map(|p| book.name(p)).collect(),
            last_message: newest.map(|m| (m.timestamp, m.id.clone())),
            thread,
        }
    }
}

/// A channel as `channels_get` returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelView {
    /// Forum channels: their threads, oldest first.
    pub threads: Option<Vec<ThreadView>>,
    /// The stored record.
    pub channel: Channel,
    /// Text channels: `Some(newest timestamp or None)`.
    pub last_message: Option<Option<f64>>,
    /// Voice channels: participants (username, muted).
    pub voice_state: Option<Vec<(String, bool)>>,
}
