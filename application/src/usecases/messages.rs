//! Text messages: `message_new` and `messages_get` (messages.md).

use domain::content::ContentError;
use domain::mentions::{role_mentions, user_mentions};
use domain::{Action, MessageContent, ReplyRef, may};

use super::{CommandResult, Refusal, Reply};
use crate::limiter::Purpose;
use crate::packets::Range;
use crate::ports::{Actor, Draft, PluginEvent};
use crate::views::{NameBook, Pings};
use crate::{App, AppError, Origin, Packet, Session};

/// Input of `message_new`, with falsy or wrongly typed fields already mapped to `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewMessage {
    /// Target channel.
    pub channel: Option<String>,
    /// Raw text.
    pub content: Option<String>,
    /// Id of the replied message (`Err`: a truthy value that is not a string, which
    /// names no message).
    pub reply_to: Option<Result<String, ()>>,
    /// `Some(false)` for a silent reply.
    pub ping: Option<bool>,
}

/// Input of `message_edit`, falsy fields mapped to `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditMessage {
    /// Message id.
    pub id: Option<String>,
    /// Channel name.
    pub channel: Option<String>,
    /// New text.
    pub content: Option<String>,
}

/// Where a history page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryStart {
    /// Skip this many newest messages.
    Skip(i64),
    /// Messages strictly older than this id.
    Before(String),
}

/// Largest page `messages_get` returns.
pub const MAX_PAGE: i64 = 200;

impl App {
    /// `message_new`: validate, check, commit, then broadcast to the channel's viewers.
    pub async fn post_message(&self, session: &Session, req: NewMessage, origin: &Origin) -> CommandResult {
        let missing: Vec<&str> = [("channel", req.channel.is_none()), ("content", req.content.is_none())]
            .into_iter()
            .filter_map(|(name, absent)| absent.then_some(name))
            .collect();
        let (Some(channel_name), Some(raw)) = (req.channel, req.content) else {
            return Err(AppError::MissingFields(missing.join(", ")).into());
        };
        let content = MessageContent::parse(&raw, self.settings.post_content).map_err(|e| match e {
            ContentError::Empty => AppError::EmptyContent,
            ContentError::TooLong(n) => AppError::ContentTooLong(n),
        })?;
        let now = self.clock.now();
        self.admit_action(session, Purpose::Messages, now).await?;
        let user = self.caller_with_roles(session).await?;
        for role_name in role_mentions(content.as_str()) {
            if let Some(role) = self.store.role(role_name).await?
                && !role.mentionable_by(&user.roles)
            {
                return Err(AppError::MentionDenied(role_name.to_owned()).into());
            }
        }
        let channel = self.store.channel(&channel_name).await?;
        if !channel.as_ref().is_some_and(|c| c.is_text()) || !may(&user.roles, channel.as_ref(), Action::Send) {
            return Err(AppError::SendDenied.into());
        }
        let reply_to = match req.reply_to {
            Some(Err(())) => return Err(AppError::ReplyTargetNotFound.into()),
            Some(Ok(target)) => match self.store.message(&channel_name, &target).await? {
                Some((m, _)) => Some(ReplyRef { id: m.id, author: m.author }),
                None => return Err(AppError::ReplyTargetNotFound.into()),
            },
            None => None,
        };
        let mut message = domain::Message::new(self.ids.message_id(), user.id.clone(), content.into_string(), now);
        message.reply_to = reply_to;
        message.ping = req.ping;
        let by = Actor::of(&user);
        let draft = Draft {
            channel: channel_name.clone(),
            id: message.id.clone(),
            content: message.content.clone(),
            by: by.clone(),
            roles: user.roles.clone(),
        };
        let screening = self.plugins.screen_message(&draft);
        if let Some(denial) = screening.block {
            self.perform_all(screening.actions).await;
            return Err(Refusal::RateLimited { denial, typing: false });
        }
        let book = self.name_book_for(&message).await?;
        let pings = self.pings_of(&message, &book).await?;
        self.store.append_message(&channel_name, &message).await?;
        let mut view = book.view(message.clone());
        view.pings = Some(pings);
        let packet = Packet::MessageNew { channel: channel_name.clone(), message: Box::new(view) };
        self.broadcast_to_channel(&packet, &channel_name, origin).await;
        self.perform_all(screening.actions).await;
        self.emit(PluginEvent::NewMessage { channel: channel_name, message: Box::new(message), by });
        Ok(Reply::Done)
    }

    /// `messages_get`: a page of history, oldest first.
    pub async fn history(
        &self,
        session: &Session,
        channel: Option<&str>,
        start: HistoryStart,
        limit: i64,
    ) -> CommandResult {
        let channel = channel.ok_or(AppError::InvalidChannelName)?;
        self.readable_text_channel(session, channel).await?;
        let effective = if limit == 0 { 100 } else { limit.min(MAX_PAGE) };
        let (messages, range) = match &start {
            HistoryStart::Skip(skip) => {
                let range = Range { start: *skip, end: skip.saturating_add(limit) };
                let page = if effective < 0 {
                    vec![]
                } else {
                    self.store.messages_page(channel, (*skip).max(0) as u64, effective as u64).await?
                };
                (page, range)
            }
            HistoryStart::Before(id) => {
                let page = if effective < 0 {
                    vec![]
                } else {
                    self.store.messages_before(channel, id, effective as u64).await?
                };
                (page, Range { start: 0, end: limit })
            }
        };
        let book = self.name_book().await?;
        let messages = messages.into_iter().map(|m| book.view(m)).collect();
        Ok(Reply::Packet(Packet::MessagesGet { channel: channel.to_owned(), messages, range }))
    }

    /// A name book of every user (cached by the storage adapter).
    pub(crate) async fn name_book(&self) -> Result<NameBook, AppError> {
        Ok(NameBook::from_users(&self.store.users().await?))
    }

    /// The `pings` object of a new message.
    async fn pings_of(&self, m: &domain::Message, book: &NameBook) -> Result<Pings, AppError> {
        let mut pings = Pings::default();
        for name in user_mentions(&m.content) {
            if let Some(u) = self.store.user_by_name(name).await?
                && !pings.users.iter().any(|n| n == u.display_name())
            {
                pings.users.push(u.display_name().to_owned());
            }
        }
        for role in role_mentions(&m.content) {
            if self.store.role(role).await?.is_some() {
                pings.roles.push(role.to_owned());
            }
        }
        if let (Some(r), false) = (&m.reply_to, m.ping == Some(false)) {
            pings.replies.push(book.name(&r.author));
        }
        Ok(pings)
    }

    /// `message_edit`: own messages only, with message_new's content rules.
    pub async fn edit_message(&self, session: &Session, req: EditMessage, origin: &Origin) -> CommandResult {
        let now = self.clock.now();
        self.admit_action(session, Purpose::Messages, now).await?;
        let (Some(id), Some(channel), Some(raw)) = (req.id, req.channel, req.content) else {
            return Err(AppError::InvalidEditFormat.into());
        };
        let (user, chan, message, _) =
            self.visible_message(session, &channel, &id).await?.ok_or(AppError::EditNotFound)?;
        if user.roles.is_empty() {
            return Err(AppError::UserRolesNotFound.into());
        }
        let own = message.author == user.id;
        if !may(&user.roles, Some(&chan), Action::Edit { own }) {
            return Err(if own { AppError::EditOwnDenied } else { AppError::EditOthersDenied }.into());
        }
        let content = MessageContent::parse(&raw, self.settings.post_content).map_err(|e| match e {
            ContentError::Empty => AppError::EmptyContent,
            ContentError::TooLong(n) => AppError::ContentTooLong(n),
        })?;
        let content = content.into_string();
        let rewrite = |m: &mut domain::Message| {
            m.content = content;
            m.edited = true;
            Ok(())
        };
        let (message, position, ()) =
            self.update_message_with(&channel, &id, rewrite).await?.ok_or(AppError::EditNotFound)?;
        let book = self.name_book_for(&message).await?;
        let (id, content) = (message.id.clone(), message.content.clone());
        let mut view = book.view(message);
        view.position = Some(position);
        self.broadcast_to_channel(
            &Packet::MessageEdit { channel: channel.clone(), message: Box::new(view) },
            &channel,
            origin,
        )
        .await;
        self.emit(PluginEvent::MessageEdit { channel, id, content, by: Actor::of(&user) });
        Ok(Reply::Done)
    }

    /// `message_delete`: own messages with `delete_own`, others' with `delete`.
    pub async fn delete_message(
        &self,
        session: &Session,
        channel: Option<String>,
        id: Option<String>,
        origin: &Origin,
    ) -> CommandResult {
        let (Some(id), Some(channel)) = (id, channel) else { return Err(AppError::InvalidDeleteFormat.into()) };
        let (user, chan, message, _) =
            self.visible_message(session, &channel, &id).await?.ok_or(AppError::DeleteNotFound)?;
        if user.roles.is_empty() {
            return Err(AppError::UserRolesNotFound.into());
        }
        let own = message.author == user.id;
        if !may(&user.roles, Some(&chan), Action::Delete { own }) {
            return Err(if own { AppError::DeleteOwnDenied } else { AppError::DeleteOthersDenied }.into());
        }
        if !self.store.delete_message(&channel, &id).await? {
            return Err(AppError::DeleteNotFound.into());
        }
        let packet = Packet::MessageDelete { channel: channel.clone(), id: id.clone() };
        self.broadcast_to_channel(&packet, &channel, origin).await;
        self.emit(PluginEvent::MessageDelete { channel, id, by: Actor::of(&user) });
        Ok(Reply::Done)
    }

    /// A message of a channel the caller may view, with the caller, the channel and its
    /// position; `None` when the channel or message is unknown or not viewable.
    pub(crate) async fn visible_message(
        &self,
        session: &Session,
        channel: &str,
        id: &str,
    ) -> Result<Option<(domain::User, domain::Channel, domain::Message, u64)>, AppError> {
        let user = self.caller_or(session, AppError::UserRolesNotFound).await?;
        let Some(chan) = self.store.channel(channel).await? else { return Ok(None) };
        if !may(&user.roles, Some(&chan), Action::View) {
            return Ok(None);
        }
        Ok(self.store.message(channel, id).await?.map(|(m, pos)| (user, chan, m, pos)))
    }

    /// A name book covering the users one message refers to: its author, the replied
    /// author and everyone who reacted.
    pub(crate) async fn name_book_for(&self, m: &domain::Message) -> Result<NameBook, AppError> {
        let mut ids: Vec<&domain::UserId> = vec![&m.author];
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
}
