//! `pings_get`: messages that mention the caller, across every text channel they may view.
//! Which messages ping whom is the rule of `domain::mentions` (message targets against the
//! targets a user answers to); the store keeps the targets and pages in SQL.

use domain::mentions::user_targets;
use domain::{Action, may};

use super::{Messaging, PingsPage};
use crate::errors::MessageError;
use crate::services::{Outcome, Reply};
use crate::{Packet, Session};

impl Messaging {
    /// One page of the caller's pings, newest first (docs/design/messages.md#pings-list).
    pub async fn pings(&self, session: &Session, page: PingsPage) -> Outcome<MessageError> {
        let user = self.directory.caller_found(session).await?;
        let limit = page.limit?;
        let offset = page.offset?;
        let channels: Vec<String> = self
            .store
            .channels()
            .await?
            .into_iter()
            .filter(|c| c.is_text() && may(&user.roles, Some(c), Action::View))
            .map(|c| c.name)
            .collect();
        let targets = user_targets(&user);
        let (found, total) =
            self.store.mentions_page(&channels, &targets, offset.max(0) as u64, limit.max(0) as u64).await?;
        let book = self.name_book().await?;
        let messages = found
            .into_iter()
            .map(|(channel, m)| {
                let mut v = book.view(m);
                v.channel = Some(channel);
                v
            })
            .collect();
        let total = usize::try_from(total).unwrap_or(usize::MAX);
        Ok(Reply::Packet(Packet::PingsGet { messages, offset, limit, total }))
    }
}
