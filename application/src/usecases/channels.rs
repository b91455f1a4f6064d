//! Channel listing (`channels_get`).

use super::{CommandResult, Reply};
use crate::views::ChannelView;
use crate::{App, AppError, Packet, Session};

impl App {
    /// The channels the caller may view, in display order, with server-added fields.
    pub async fn visible_channels(&self, session: &Session) -> CommandResult {
        let user = self.caller_or(session, AppError::UserNotFound).await?;
        let mut views = vec![];
        for channel in self.store.channels().await? {
            if !Self::lists_channel(&user, &channel) {
                continue;
            }
            let mut view = ChannelView { last_message: None, voice_state: None, channel };
            match view.channel.kind {
                domain::ChannelKind::Text => {
                    view.last_message = Some(self.store.last_message_time(&view.channel.name).await?);
                }
                domain::ChannelKind::Voice => view.voice_state = Some(vec![]),
                _ => {}
            }
            views.push(view);
        }
        Ok(Reply::Packet(Packet::ChannelsGet(views)))
    }
}
