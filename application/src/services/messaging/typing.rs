//! `typing`: its own rate-limit bucket, view first, silently ignored where the caller may
//! view but not send (docs/design/rate-limits.md, docs/design/permissions.md).

use domain::{Action, may};

use super::Messaging;
use crate::errors::{AccessError, MessageError};
use crate::limiter::Purpose;
use crate::ports::{Actor, PluginEvent};
use crate::services::{Outcome, Reply};
use crate::{Origin, Packet, Session};

impl Messaging {
    /// Broadcasts that the caller is typing in `channel` (whose absence is reported after
    /// the rate limit, as the original does).
    pub async fn typing(
        &self,
        session: &Session,
        channel: Result<String, MessageError>,
        origin: &Origin,
    ) -> Outcome<MessageError> {
        self.gate.admit(session, Purpose::Typing).await?;
        let channel = channel?;
        let user = self.directory.caller_found(session).await?;
        let chan = self.store.channel(&channel).await?;
        if !may(&user.roles, chan.as_ref(), Action::View) {
            return Err(AccessError::ChannelAccessDenied.into());
        }
        if !may(&user.roles, chan.as_ref(), Action::Send) || !chan.as_ref().is_some_and(|c| c.is_text()) {
            return Ok(Reply::Done);
        }
        let packet = Packet::Typing { channel: channel.clone(), user: user.display_name().to_owned() };
        self.audience.broadcast(&packet, &channel, origin).await;
        self.emit(PluginEvent::Typing { channel, thread_id: None, by: Actor::of(&user) });
        Ok(Reply::Done)
    }
}
