//! `pings_get`: messages that mention the caller, across every text channel they may view
//! and the threads of every forum they may view.
//! Which messages ping whom is the rule of `domain::mentions` (message targets against the
//! targets a user answers to); the store keeps the targets and pages in SQL.

use std::collections::HashMap;

use domain::mentions::user_targets;
use domain::thread::thread_key;
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
        // Text channels by name; threads of viewable forums by their message key, with
        // the forum and thread each stands for (docs/design/threads.md#thread-messages).
        let mut keys: Vec<String> = vec![];
        let mut threads: HashMap<String, (String, String)> = HashMap::new();
        for c in self.store.channels().await? {
            if !may(&user.roles, Some(&c), Action::View) {
                continue;
            }
            if c.is_text() {
                keys.push(c.name);
            } else if c.is_forum() {
                for t in self.store.threads(&c.name).await? {
                    let key = thread_key(&t.id);
                    keys.push(key.clone());
                    threads.insert(key, (c.name.clone(), t.id));
                }
            }
        }
        let targets = user_targets(&user);
        let (found, total) =
            self.store.mentions_page(&keys, &targets, offset.max(0) as u64, limit.max(0) as u64).await?;
        let book = self.name_book().await?;
        let messages = found
            .into_iter()
            .map(|(key, m)| {
                let mut v = book.view(m);
                match threads.get(&key).cloned() {
                    Some((forum, thread_id)) => {
                        v.channel = Some(forum);
                        v.thread_id = Some(thread_id);
                    }
                    None => v.channel = Some(key),
                }
                v
            })
            .collect();
        let total = usize::try_from(total).unwrap_or(usize::MAX);
        Ok(Reply::Packet(Packet::PingsGet { messages, offset, limit, total }))
    }
}
