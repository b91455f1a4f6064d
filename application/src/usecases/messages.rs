//! Text messages: `message_new` and `messages_get` (messages.md).

use domain::content::ContentError;
use domain::mentions::role_mentions;
use domain::{Action, MessageContent, ReplyRef, may};

use super::{CommandResult, Refusal, Reply};
use crate::limiter::Purpose;
use crate::packets::Range;
use crate::views::NameBook;
use crate::{App, AppError, Origin, Packet, Session};

/// Input of `message_new`, with falsy or wrongly typed fields already mapped to `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewMessage {
    /// Target channel.
    pub channel: Option<String>,
    /// Raw text.
    pub content: Option<String>,
    /// Id of the replied message.
    pub reply_to: Option<String>,
    /// `Some(false)` for a silent reply.
    pub ping: Option<bool>,
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
        let me = session.user.as_ref().ok_or(AppError::UserRolesNotFound)?;
        let now = self.clock.now();
        self.limiter
            .check(&me.id, Purpose::Messages, now)
            .map_err(|denial| Refusal::RateLimited { denial, typing: false })?;
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
            Some(target) => match self.store.message(&channel_name, &target).await? {
                Some((m, _)) => Some(ReplyRef { id: m.id, author: m.author }),
                None => return Err(AppError::ReplyTargetNotFound.into()),
            },
            None => None,
        };
        let mut message = domain::Message::new(self.ids.message_id(), user.id.clone(), content.into_string(), now);
        message.reply_to = reply_to;
        message.ping = req.ping;
        self.store.append_message(&channel_name, &message).await?;
        let book = self.name_book_for(&message).await?;
        let packet = Packet::MessageNew { channel: channel_name.clone(), message: Box::new(book.view(message)) };
        self.broadcast_to_channel(&packet, &channel_name, origin).await;
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

    /// A name book covering the users one message refers to.
    async fn name_book_for(&self, m: &domain::Message) -> Result<NameBook, AppError> {
        let mut users = vec![];
        let ids = std::iter::once(&m.author).chain(m.reply_to.as_ref().map(|r| &r.author));
        for id in ids {
            if let Some(u) = self.store.user(id).await? {
                users.push(u);
            }
        }
        Ok(NameBook::from_users(&users))
    }
}
