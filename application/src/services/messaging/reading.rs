//! Reading messages: message_get, message_replies, messages_search, messages_pinned.

use super::{MAX_PINNED, MAX_REPLIES, Messaging};
use crate::errors::MessageError;
use crate::services::{Outcome, Reply};
use crate::{Packet, Session};

impl Messaging {
    /// `message_get`: one message with its position.
    pub async fn get(&self, session: &Session, channel: String, id: String) -> Outcome<MessageError> {
        self.directory.readable_text_channel(session, &channel).await?;
        let (message, position) = self.store.message(&channel, &id).await?.ok_or(MessageError::MessageNotFound)?;
        let mut view = self.name_book_for(&message).await?.view(message);
        view.position = Some(position);
        Ok(Reply::Packet(Packet::MessageGet { channel, message: Box::new(view) }))
    }

    /// `message_replies`: the oldest `limit` replies (clamped to 1..=200).
    pub async fn replies(&self, session: &Session, channel: String, id: String, limit: i64) -> Outcome<MessageError> {
        self.directory.readable_text_channel(session, &channel).await?;
        let limit = limit.clamp(1, MAX_REPLIES) as u64;
        let book = self.name_book().await?;
        let replies = self.store.replies(&channel, &id, limit).await?.into_iter().map(|m| book.view(m)).collect();
        Ok(Reply::Packet(Packet::MessageReplies { channel, message_id: id, replies }))
    }

    /// `messages_search`: case-insensitive substring match, newest first.
    pub async fn search(&self, session: &Session, channel: String, query: String) -> Outcome<MessageError> {
        self.directory.readable_text_channel(session, &channel).await?;
        let needle = query.to_lowercase();
        let found = self.store.search(&channel, &needle, self.settings.search_results as u64).await?;
        let book = self.name_book().await?;
        let results = found.into_iter().map(|m| book.view(m)).collect();
        Ok(Reply::Packet(Packet::MessagesSearch { channel, query, results }))
    }

    /// `messages_pinned`: the newest [`MAX_PINNED`] pinned messages, newest first.
    pub async fn pinned(&self, session: &Session, channel: String) -> Outcome<MessageError> {
        self.directory.readable_text_channel(session, &channel).await?;
        let book = self.name_book().await?;
        let messages = self.store.pinned(&channel, MAX_PINNED).await?.into_iter().map(|m| book.view(m)).collect();
        Ok(Reply::Packet(Packet::MessagesPinned { channel, messages }))
    }
}
