//! `typing`: its own rate-limit bucket (decisions.md §17), view first (§14), silently
//! ignored where the caller may view but not send.

use domain::{Action, may};

use super::{CommandResult, Reply};
use crate::limiter::Purpose;
use crate::ports::{Actor, PluginEvent};
use crate::{App, AppError, Origin, Packet, Session};

impl App {
    /// Broadcasts that the caller is typing in `channel`.
    pub async fn typing(&self, session: &Session, channel: Option<String>, origin: &Origin) -> CommandResult {
        self.admit_action(session, Purpose::Typing, self.clock.now()).await?;
        let channel = channel.ok_or(AppError::ChannelNameNotProvided)?;
        let user = self.caller_or(session, AppError::UserNotFound).await?;
        let chan = self.store.channel(&channel).await?;
        if !may(&user.roles, chan.as_ref(), Action::View) {
            return Err(AppError::ChannelAccessDenied.into());
        }
        if !may(&user.roles, chan.as_ref(), Action::Send) || !chan.as_ref().is_some_and(|c| c.is_text()) {
            return Ok(Reply::Done);
        }
        let packet = Packet::Typing { channel: channel.clone(), user: user.display_name().to_owned() };
        self.broadcast_to_channel(&packet, &channel, origin).await;
        self.emit(PluginEvent::Typing { channel, by: Actor::of(&user) });
        Ok(Reply::Done)
    }
}
