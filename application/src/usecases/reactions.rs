//! Pins and reactions (messages.md): view first, then the channel permission.

use domain::reaction::is_single_emoji;
use domain::{Action, may};

use super::{CommandResult, Reply};
use crate::ports::{Actor, PluginEvent};
use crate::{App, AppError, Origin, Packet, Session};

impl App {
    /// `message_pin` (`pinned = true`) and `message_unpin` (`pinned = false`).
    pub async fn set_pinned(
        &self,
        session: &Session,
        channel: Option<String>,
        id: Option<String>,
        pinned: bool,
        origin: &Origin,
    ) -> CommandResult {
        let user = self.caller_with_roles(session).await?;
        let channel = channel.ok_or(AppError::ChannelNameNotProvided)?;
        let chan = self.store.channel(&channel).await?;
        if !may(&user.roles, chan.as_ref(), Action::View) {
            return Err(AppError::ChannelAccessDenied.into());
        }
        if !may(&user.roles, chan.as_ref(), Action::Pin) {
            return Err(AppError::PinDenied.into());
        }
        let id = id.ok_or(AppError::MessageIdRequired)?;
        self.update_message_with(&channel, &id, |m| {
            m.pinned = pinned;
            Ok(())
        })
        .await?
        .ok_or(AppError::MessageNotFound)?;
        let packet = Packet::MessagePin { channel: channel.clone(), id: id.clone(), pinned };
        self.broadcast_to_channel(&packet, &channel, origin).await;
        self.emit(PluginEvent::MessagePin { channel, id, pinned, by: Actor::of(&user) });
        Ok(Reply::Done)
    }

    /// `message_react_add` (`add = true`) and `message_react_remove`.
    pub async fn react(
        &self,
        session: &Session,
        channel: Option<String>,
        id: Option<String>,
        emoji: Option<String>,
        add: bool,
        origin: &Origin,
    ) -> CommandResult {
        let user = self.caller_with_roles(session).await?;
        let chan = match &channel {
            Some(name) => self.store.channel(name).await?,
            None => None,
        };
        if channel.is_some() && !may(&user.roles, chan.as_ref(), Action::View) {
            return Err(AppError::ChannelAccessDenied.into());
        }
        if !may(&user.roles, chan.as_ref(), Action::React) {
            return Err(if add { AppError::ReactAddDenied } else { AppError::ReactRemoveDenied }.into());
        }
        let channel = channel.unwrap_or_default();
        let id = id.ok_or(AppError::MessageIdRequired)?;
        let emoji = emoji.ok_or(AppError::EmojiRequired)?;
        self.not_in_timeout(session).await?;
        let failed = if add { AppError::ReactAddFailed } else { AppError::ReactRemoveFailed };
        if !is_single_emoji(&emoji) {
            return Err(failed.into());
        }
        let toggle = |m: &mut domain::Message| {
            let changed = if add { m.add_reaction(&emoji, &user.id) } else { m.remove_reaction(&emoji, &user.id) };
            if add || changed { Ok(()) } else { Err(failed.clone()) }
        };
        self.update_message_with(&channel, &id, toggle).await?.ok_or(failed)?;
        let from = user.display_name().to_owned();
        let packet = Packet::Reaction { added: add, channel: channel.clone(), id, emoji, from };
        self.broadcast_to_channel(&packet, &channel, origin).await;
        Ok(Reply::Done)
    }
}
