//! Pins and reactions: view first, then the channel permission.

use domain::reaction::is_single_emoji;
use domain::{Action, Message, may};

use super::{Messaging, ReactRequest};
use crate::errors::{AccessError, MessageError};
use crate::ports::{Actor, PluginEvent};
use crate::services::{Outcome, Reply};
use crate::{Origin, Packet, Session};

impl Messaging {
    /// `message_pin` (`pinned = true`) and `message_unpin` (`pinned = false`). Each field's
    /// error is reported in the original's order.
    pub async fn set_pinned(
        &self,
        session: &Session,
        channel: Result<String, MessageError>,
        id: Result<String, MessageError>,
        pinned: bool,
        origin: &Origin,
    ) -> Outcome<MessageError> {
        let user = self.directory.caller_with_roles(session).await?;
        let channel = channel?;
        let chan = self.store.channel(&channel).await?;
        if !may(&user.roles, chan.as_ref(), Action::View) {
            return Err(AccessError::ChannelAccessDenied.into());
        }
        if !may(&user.roles, chan.as_ref(), Action::Pin) {
            return Err(MessageError::PinDenied);
        }
        let id = id?;
        let pin = |m: &mut Message| {
            m.pinned = pinned;
            Ok::<_, MessageError>(())
        };
        self.directory.update_message_with(&channel, &id, pin).await?.ok_or(MessageError::MessageNotFound)?;
        let packet = Packet::MessagePin { channel: channel.clone(), id: id.clone(), pinned };
        self.audience.broadcast(&packet, &channel, origin).await;
        self.emit(PluginEvent::MessagePin { channel, id, pinned, by: Actor::of(&user) });
        Ok(Reply::Done)
    }

    /// `message_react_add` and `message_react_remove`.
    pub async fn react(&self, session: &Session, req: ReactRequest, origin: &Origin) -> Outcome<MessageError> {
        let add = req.add;
        let user = self.directory.caller_with_roles(session).await?;
        let chan = match &req.channel {
            Some(name) => self.store.channel(name).await?,
            None => None,
        };
        if req.channel.is_some() && !may(&user.roles, chan.as_ref(), Action::View) {
            return Err(AccessError::ChannelAccessDenied.into());
        }
        if !may(&user.roles, chan.as_ref(), Action::React) {
            return Err(if add { MessageError::ReactAddDenied } else { MessageError::ReactRemoveDenied });
        }
        let channel = req.channel.unwrap_or_default();
        let id = req.id?;
        let emoji = req.emoji?;
        self.gate.not_in_timeout(session).await?;
        let failed = if add { MessageError::ReactAddFailed } else { MessageError::ReactRemoveFailed };
        if !is_single_emoji(&emoji) {
            return Err(failed);
        }
        let toggle = |m: &mut Message| {
            let changed = if add { m.add_reaction(&emoji, &user.id) } else { m.remove_reaction(&emoji, &user.id) };
            if add || changed { Ok(()) } else { Err(failed.clone()) }
        };
        self.directory.update_message_with(&channel, &id, toggle).await?.ok_or(failed)?;
        let from = user.display_name().to_owned();
        let packet = Packet::Reaction { added: add, channel: channel.clone(), id, emoji, from };
        self.audience.broadcast(&packet, &channel, origin).await;
        Ok(Reply::Done)
    }
}
