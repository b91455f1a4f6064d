//! Pins and reactions: view first, then the channel permission.

use domain::reaction::ReactionKey;
use domain::{Action, Message, may};

use super::{Messaging, ReactRequest};
use crate::errors::{AccessError, MessageError};
use crate::limiter::Purpose;
use crate::ports::{Actor, PluginEvent};
use crate::services::{Outcome, Reply};
use crate::{Origin, Packet, Session};

/// Most different emoji one message may carry (docs/design/messages.md#reactions).
pub const MAX_REACTIONS_PER_MESSAGE: usize = 20;

/// Most emoji one user may react with on one message.
pub const MAX_REACTIONS_PER_USER: usize = 10;

/// Whether `user` may add `emoji` to `m` under the caps (a reaction already there is fine).
fn check_reaction_caps(m: &Message, emoji: &str, user: &domain::UserId) -> Result<(), MessageError> {
    let existing = m.reactions.iter().find(|(e, _)| e == emoji);
    if existing.is_some_and(|(_, users)| users.contains(user)) {
        return Ok(());
    }
    if existing.is_none() && m.reactions.len() >= MAX_REACTIONS_PER_MESSAGE {
        return Err(MessageError::TooManyReactions);
    }
    if m.reactions.iter().filter(|(_, users)| users.contains(user)).count() >= MAX_REACTIONS_PER_USER {
        return Err(MessageError::TooManyOwnReactions);
    }
    Ok(())
}

impl Messaging {
    /// Whether `emoji` may be a reaction: one Unicode emoji, or a custom emoji of any
    /// server; one of this server's must exist to be added, but one deleted since can still
    /// be taken away (docs/design/emojis.md#reactions).
    async fn usable_reaction(&self, emoji: &str, add: bool) -> Result<bool, MessageError> {
        Ok(match ReactionKey::parse(emoji) {
            None => false,
            Some(ReactionKey::Unicode) => true,
            Some(ReactionKey::Custom { host, id }) => {
                !add || !self.emojis.is_own_host(host) || self.emojis.exists(id).await?
            }
        })
    }

    /// `message_pin` (`pinned = true`) and `message_unpin` (`pinned = false`), of a message
    /// of the thread `thread` when given (the forum's `pin` applies; allowed in a locked
    /// thread, docs/design/threads.md#thread-messages). Each field's error is reported in
    /// the original's order.
    pub async fn set_pinned(
        &self,
        session: &Session,
        channel: Result<String, MessageError>,
        id: Result<String, MessageError>,
        pinned: bool,
        thread: Option<String>,
        origin: &Origin,
    ) -> Outcome<MessageError> {
        let user = self.directory.caller_with_roles(session).await?;
        let (chan, key, channel, thread_id) = match thread {
            None => {
                let channel = channel?;
                let chan = self.store.channel(&channel).await?;
                if !may(&user.roles, chan.as_ref(), Action::View) {
                    return Err(AccessError::ChannelAccessDenied.into());
                }
                (chan, channel.clone(), channel, None)
            }
            Some(t) => {
                let (thread, forum) = self.thread_place(&user, &t, false).await?;
                let name = forum.name.clone();
                (Some(forum), domain::thread::thread_key(&thread.id), name, Some(thread.id))
            }
        };
        if !may(&user.roles, chan.as_ref(), Action::Pin)
            && !self.directory.holds(&user, domain::permission::named::MANAGE_MESSAGES).await?
        {
            return Err(MessageError::PinDenied);
        }
        let id = id?;
        let pin = |m: &mut Message| {
            m.pinned = pinned;
            Ok::<_, MessageError>(())
        };
        self.directory.update_message_with(&key, &id, pin).await?.ok_or(MessageError::MessageNotFound)?;
        let packet = super::post::in_thread(
            thread_id.clone(),
            Packet::MessagePin { channel: channel.clone(), id: id.clone(), pinned },
        );
        self.audience.broadcast(&packet, &channel, origin).await;
        self.emit(PluginEvent::MessagePin { channel, thread_id, id, pinned, by: Actor::of(&user) });
        Ok(Reply::Done)
    }

    /// `message_react_add` and `message_react_remove`.
    pub async fn react(&self, session: &Session, req: ReactRequest, origin: &Origin) -> Outcome<MessageError> {
        self.react_in(session, req, None, origin).await
    }

    /// `message_react_add` and `message_react_remove`, on a message of the thread `thread`
    /// when given (not in a locked thread; the forum's `react` applies).
    pub async fn react_in(
        &self,
        session: &Session,
        req: ReactRequest,
        thread: Option<String>,
        origin: &Origin,
    ) -> Outcome<MessageError> {
        let add = req.add;
        let user = self.directory.caller_with_roles(session).await?;
        let (chan, key, channel) = match thread {
            None => {
                let chan = match &req.channel {
                    Some(name) => self.store.channel(name).await?,
                    None => None,
                };
                if req.channel.is_some() && !may(&user.roles, chan.as_ref(), Action::View) {
                    return Err(AccessError::ChannelAccessDenied.into());
                }
                let channel = req.channel.clone().unwrap_or_default();
                (chan, channel.clone(), channel)
            }
            Some(t) => {
                let (thread, forum) = self.thread_place(&user, &t, true).await?;
                let name = forum.name.clone();
                (Some(forum), domain::thread::thread_key(&thread.id), name)
            }
        };
        if !may(&user.roles, chan.as_ref(), Action::React) {
            return Err(if add { MessageError::ReactAddDenied } else { MessageError::ReactRemoveDenied });
        }
        let thread_id = domain::thread::thread_of_key(&key).map(str::to_owned);
        let id = req.id?;
        let emoji = req.emoji?;
        self.gate.admit(session, Purpose::Reactions).await?;
        let failed = if add { MessageError::ReactAddFailed } else { MessageError::ReactRemoveFailed };
        if !self.usable_reaction(&emoji, add).await? {
            return Err(failed);
        }
        let toggle = |m: &mut Message| {
            if add {
                check_reaction_caps(m, &emoji, &user.id)?;
            }
            let changed = if add { m.add_reaction(&emoji, &user.id) } else { m.remove_reaction(&emoji, &user.id) };
            if add || changed { Ok(()) } else { Err(failed.clone()) }
        };
        self.directory.update_message_with(&key, &id, toggle).await?.ok_or(failed)?;
        let from = user.display_name().to_owned();
        let packet = super::post::in_thread(
            thread_id,
            Packet::Reaction { added: add, channel: channel.clone(), id, emoji, from },
        );
        self.audience.broadcast(&packet, &channel, origin).await;
        Ok(Reply::Done)
    }
}
