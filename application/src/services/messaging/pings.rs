//! `pings_get`: messages that mention the caller, across every text channel they may view.

use domain::mentions::{mentions_name, mentions_role};
use domain::{Action, Message, User, may};

use super::{Messaging, PingsPage};
use crate::errors::MessageError;
use crate::services::{Outcome, Reply};
use crate::{Packet, Session};

/// Whether `m` pings `user` (docs/design/messages.md#pings-list, Recommended): a whole-word `@name` (usernames
/// are case-insensitive, as in the `pings` object of new messages) or `@&role` of one of
/// their roles, or a reply to them that is not silent.
pub fn pings(m: &Message, user: &User) -> bool {
    let name = user.display_name().to_lowercase();
    let mentioned =
        mentions_name(&m.content.to_lowercase(), &name) || user.roles.iter().any(|r| mentions_role(&m.content, r));
    let replied = m.reply_to.as_ref().is_some_and(|r| r.author == user.id) && m.ping != Some(false);
    mentioned || replied
}

impl Messaging {
    /// One page of the caller's pings, newest first.
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
        let mut needles = vec![format!("@{}", user.display_name().to_lowercase())];
        needles.extend(user.roles.iter().map(|r| format!("@&{}", r.to_lowercase())));
        let mut found: Vec<(String, Message)> = self
            .store
            .mention_candidates(&channels, &needles, &user.id)
            .await?
            .into_iter()
            .filter(|(_, m)| pings(m, &user))
            .collect();
        found.sort_by(|a, b| b.1.timestamp.total_cmp(&a.1.timestamp));
        let total = found.len();
        let book = self.name_book().await?;
        let messages = found
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(|(channel, m)| {
                let mut v = book.view(m);
                v.channel = Some(channel);
                v
            })
            .collect();
        Ok(Reply::Packet(Packet::PingsGet { messages, offset, limit, total }))
    }
}
