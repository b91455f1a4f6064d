//! Reading messages: message_get, message_replies, messages_search, messages_pinned,
//! messages_around.

use super::{MAX_PINNED, MAX_REPLIES, Messaging};
use crate::errors::MessageError;
use crate::packets::Range;
use crate::services::{Outcome, Reply};
use crate::{Packet, Session};

/// The most messages `messages_around` returns on either side of its target.
pub const MAX_AROUND: i64 = 200;

/// Input of `messages_around`; each field's error is reported in the original's order.
#[derive(Debug, Clone, PartialEq)]
pub struct AroundRequest {
    /// The channel (`None`: absent).
    pub channel: Option<String>,
    /// The thread, instead of a channel (docs/design/threads.md#thread-messages).
    pub thread_id: Option<String>,
    /// The target message id.
    pub around: String,
    /// Newer messages wanted (clamped to 0..=[`MAX_AROUND`]).
    pub above: i64,
    /// Older messages wanted (clamped to 0..=[`MAX_AROUND`]).
    pub below: i64,
}

/// Where a read command looks: a text channel, or (`thread_id`) a thread of a forum.
struct Place {
    /// The message key (`thread/<id>` for a thread).
    key: String,
    /// The channel named in the answer (the forum for a thread).
    channel: String,
    /// The thread, when it is one.
    thread_id: Option<String>,
}

impl Place {
    /// `packet`, with `thread_id` added for a thread.
    fn answer(self, packet: Packet) -> Outcome<MessageError> {
        Ok(Reply::Packet(super::post::in_thread(self.thread_id, packet)))
    }
}

impl Messaging {
    /// The place of a read command: the thread when `thread` is given (its forum must be
    /// viewable, docs/design/threads.md#thread-messages), else a readable text channel.
    async fn readable(
        &self,
        session: &Session,
        channel: String,
        thread: Option<String>,
    ) -> Result<Place, MessageError> {
        match thread {
            Some(id) => {
                let (_, thread, forum) = self.viewable_thread(session, Some(id)).await?;
                Ok(Place {
                    key: domain::thread::thread_key(&thread.id),
                    channel: forum.name,
                    thread_id: Some(thread.id),
                })
            }
            None => {
                self.directory.readable_text_channel(session, &channel).await?;
                Ok(Place { key: channel.clone(), channel, thread_id: None })
            }
        }
    }

    /// `message_get`: one message with its position, of a channel or (`thread`) a thread.
    pub async fn get(
        &self,
        session: &Session,
        channel: String,
        id: String,
        thread: Option<String>,
    ) -> Outcome<MessageError> {
        let place = self.readable(session, channel, thread).await?;
        let (message, position) = self.store.message(&place.key, &id).await?.ok_or(MessageError::MessageNotFound)?;
        let mut view = self.name_book_for(&message).await?.view(message);
        view.position = Some(position);
        let channel = place.channel.clone();
        place.answer(Packet::MessageGet { channel, message: Box::new(view) })
    }

    /// `message_replies`: the oldest `limit` replies (clamped to 1..=200).
    pub async fn replies(
        &self,
        session: &Session,
        channel: String,
        id: String,
        limit: i64,
        thread: Option<String>,
    ) -> Outcome<MessageError> {
        let place = self.readable(session, channel, thread).await?;
        let limit = limit.clamp(1, MAX_REPLIES) as u64;
        let book = self.name_book().await?;
        let replies = self.store.replies(&place.key, &id, limit).await?.into_iter().map(|m| book.view(m)).collect();
        let channel = place.channel.clone();
        place.answer(Packet::MessageReplies { channel, message_id: id, replies })
    }

    /// `messages_search`: case-insensitive substring match, newest first.
    pub async fn search(
        &self,
        session: &Session,
        channel: String,
        query: String,
        thread: Option<String>,
    ) -> Outcome<MessageError> {
        let place = self.readable(session, channel, thread).await?;
        let needle = query.to_lowercase();
        let found = self.store.search(&place.key, &needle, self.settings.search_results as u64).await?;
        let book = self.name_book().await?;
        let results = found.into_iter().map(|m| book.view(m)).collect();
        let channel = place.channel.clone();
        place.answer(Packet::MessagesSearch { channel, query, results })
    }

    /// `messages_pinned`: the newest [`MAX_PINNED`] pinned messages, newest first.
    pub async fn pinned(&self, session: &Session, channel: String, thread: Option<String>) -> Outcome<MessageError> {
        let place = self.readable(session, channel, thread).await?;
        let book = self.name_book().await?;
        let messages = self.store.pinned(&place.key, MAX_PINNED).await?.into_iter().map(|m| book.view(m)).collect();
        let channel = place.channel.clone();
        place.answer(Packet::MessagesPinned { channel, messages })
    }

    /// `messages_around` (docs/design/messages.md#around): up to `below` older messages,
    /// the target and up to `above` newer ones, oldest first, with their index range in
    /// the channel (end exclusive); from the hot tail when it holds them all.
    pub async fn around(&self, session: &Session, req: AroundRequest) -> Outcome<MessageError> {
        self.directory.caller_with_roles(session).await?;
        let (channel, thread) = match (req.thread_id, req.channel) {
            (Some(id), _) => {
                let (_, thread, forum) = self.viewable_thread(session, Some(id)).await?;
                (forum.name, Some(thread.id))
            }
            (None, Some(channel)) => {
                if self.store.channel(&channel).await?.is_none() {
                    return Err(MessageError::ChannelNotFound);
                }
                self.directory.readable_text_channel(session, &channel).await?;
                (channel, None)
            }
            (None, None) => return Err(MessageError::ChannelOrThreadRequired),
        };
        let key = thread.as_deref().map_or_else(|| channel.clone(), domain::thread::thread_key);
        let (older, newer) = (req.below.clamp(0, MAX_AROUND) as usize, req.above.clamp(0, MAX_AROUND) as usize);
        let (messages, start) = match self.history.around(&key, &req.around, older, newer) {
            Some(page) => {
                let start = match page.start {
                    Some(start) => start as u64,
                    None => {
                        let total = self.store.message_count(&key).await?;
                        total.saturating_sub((page.after + page.messages.len()) as u64)
                    }
                };
                (page.messages, start)
            }
            None => {
                let (target, position) =
                    self.store.message(&key, &req.around).await?.ok_or(MessageError::MessageNotFound)?;
                let mut page = self.store.messages_before(&key, &target.id, older as u64).await?;
                let start = (position - 1).saturating_sub(page.len() as u64);
                page.push(target);
                page.extend(self.store.messages_after(&key, &req.around, newer as u64).await?);
                (page, start)
            }
        };
        let end = start + messages.len() as u64;
        let range = Range { start: start as i64, end: end as i64 };
        let book = self.name_book().await?;
        let messages = messages.into_iter().map(|m| book.view(m)).collect();
        Ok(Reply::Packet(match thread {
            Some(thread_id) => Packet::ThreadPage { around: true, channel, thread_id, messages, range },
            None => Packet::MessagesAround { channel, messages, range },
        }))
    }
}
