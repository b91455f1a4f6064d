//! Read markers (docs/design/unreads.md): `unreads_get`, `unreads_count`, `unreads_ack`.
//! A marker is the id of the last message a user has read in a channel; what follows it
//! is unread. Only text channels the caller may view are reported or acknowledged.

use domain::thread::thread_key;
use domain::{Action, Channel, User, may};

use super::Messaging;
use crate::errors::{AccessError, MessageError};
use crate::packets::UnreadState;
use crate::services::{Outcome, Reply};
use crate::{Packet, Session};

/// What an unreads command names: a channel, or a thread (its markers are kept under the
/// thread's message key, docs/design/threads.md#storage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadTarget {
    /// `channel`, when given.
    pub channel: Option<String>,
    /// `thread_id`, when given.
    pub thread_id: Option<String>,
}

/// Input of `unreads_ack`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadAck {
    /// The channel.
    pub target: UnreadTarget,
    /// The message read last; `None`: the channel's newest.
    pub message_id: Option<String>,
}

impl Messaging {
    /// The read state of one channel for `user`.
    async fn unread_state(&self, user: &User, channel: &str) -> Result<UnreadState, MessageError> {
        let total_messages = self.store.message_count(channel).await?;
        let last_read = self.store.last_read(&user.id, channel).await?;
        let unread_count = match &last_read {
            Some(id) => match self.store.message(channel, id).await? {
                Some((_, position)) => total_messages.saturating_sub(position),
                None => total_messages,
            },
            None => total_messages,
        };
        Ok(UnreadState { last_read, unread_count, total_messages, parent_channel: None })
    }

    /// The caller (with roles), the channel an unreads command names (or the thread's
    /// forum) and the thread, in the original's order of checks: a target at all, the
    /// caller's roles, then the thread or the channel.
    async fn unread_channel(
        &self,
        session: &Session,
        target: UnreadTarget,
        unknown_is_denied: bool,
    ) -> Result<(User, Channel, Option<String>), MessageError> {
        if target.channel.is_none() && target.thread_id.is_none() {
            return Err(MessageError::ChannelOrThreadIdRequired);
        }
        let user = self.directory.caller_with_roles(session).await?;
        if let Some(id) = target.thread_id {
            let (user, thread, forum) = self.viewable_thread(session, Some(id)).await?;
            return Ok((user, forum, Some(thread.id)));
        }
        let Some(name) = target.channel else { return Err(MessageError::ThreadNotFound) };
        match self.store.channel(&name).await? {
            Some(c) if c.is_text() && may(&user.roles, Some(&c), Action::View) => Ok((user, c, None)),
            None if !unknown_is_denied => Err(MessageError::ChannelNotFound),
            _ => Err(AccessError::ChannelAccessDenied.into()),
        }
    }

    /// `unreads_get`: every text channel the caller may view, in display order.
    pub async fn unreads(&self, session: &Session) -> Outcome<MessageError> {
        let user = self.directory.caller_with_roles(session).await?;
        let mut unreads = vec![];
        for c in self.store.channels().await? {
            if c.is_text() && may(&user.roles, Some(&c), Action::View) {
                let state = self.unread_state(&user, &c.name).await?;
                unreads.push((c.name, state));
            } else if c.is_forum() && may(&user.roles, Some(&c), Action::View) {
                for t in self.store.threads(&c.name).await? {
                    let key = thread_key(&t.id);
                    let mut state = self.unread_state(&user, &key).await?;
                    state.parent_channel = Some(c.name.clone());
                    unreads.push((key, state));
                }
            }
        }
        Ok(Reply::Packet(Packet::UnreadsGet { unreads }))
    }

    /// `unreads_count`: one channel's read state.
    pub async fn unread_count(&self, session: &Session, target: UnreadTarget) -> Outcome<MessageError> {
        let (user, channel, thread) = self.unread_channel(session, target, true).await?;
        Ok(Reply::Packet(match thread {
            Some(thread_id) => {
                let state = self.unread_state(&user, &thread_key(&thread_id)).await?;
                Packet::ThreadUnreadsCount { thread_id, state }
            }
            None => {
                let state = self.unread_state(&user, &channel.name).await?;
                Packet::UnreadsCount { channel: channel.name, state }
            }
        }))
    }

    /// `unreads_ack`: moves the caller's marker to `message_id` (or the newest message)
    /// and tells every connection of the caller, this one included.
    pub async fn ack(&self, session: &Session, req: UnreadAck) -> Outcome<MessageError> {
        let (user, channel, thread) = self.unread_channel(session, req.target, false).await?;
        let key = thread.as_deref().map_or_else(|| channel.name.clone(), thread_key);
        let last_read = match req.message_id {
            Some(id) => Some(id),
            None => self.store.messages_page(&key, 0, 1).await?.pop().map(|m| m.id),
        };
        if let Some(id) = &last_read {
            // The channel may have gone since it was read: then there is nothing to tell.
            if self.store.set_last_read(&user.id, &key, id).await? {
                session.before_output().await;
                let update = match &thread {
                    Some(t) => Packet::ThreadUnreadsUpdate { thread_id: t.clone(), last_read: id.clone() },
                    None => Packet::UnreadsUpdate { channel: channel.name.clone(), last_read: id.clone() },
                };
                self.audience.to_user(&user.id, &update);
            }
        }
        Ok(Reply::Packet(match thread {
            Some(thread_id) => Packet::ThreadUnreadsAck { thread_id, last_read },
            None => Packet::UnreadsAck { channel: channel.name, last_read },
        }))
    }
}
