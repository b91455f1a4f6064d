//! Messages as stored: authored by user ids, in channel order.

use crate::{Extras, UnixSeconds, UserId};

/// The message a reply points at, with its author captured at reply time.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyRef {
    /// Id of the replied message (same channel).
    pub id: String,
    /// Its author.
    pub author: UserId,
}

/// A slash-command response marker.
#[derive(Debug, Clone, PartialEq)]
pub struct Interaction {
    /// The command's name.
    pub command: String,
    /// The invoker's username.
    pub username: String,
}

/// A stored message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// UUID, unique within its channel.
    pub id: String,
    /// Author.
    pub author: UserId,
    /// Text.
    pub content: String,
    /// Creation time.
    pub timestamp: UnixSeconds,
    /// Pinned flag.
    pub pinned: bool,
    /// Reply target.
    pub reply_to: Option<ReplyRef>,
    /// `Some(false)` marks a silent reply; `None` when the sender gave no `ping`.
    pub ping: Option<bool>,
    /// Set after the first edit.
    pub edited: bool,
    /// Emoji → reacting users, in reaction order; never holds empty lists.
    pub reactions: Vec<(String, Vec<UserId>)>,
    /// Present on slash-command responses.
    pub interaction: Option<Interaction>,
    /// Unknown stored keys (imported data from other versions).
    pub extra: Extras,
}

impl Message {
    /// A plain new message.
    pub fn new(id: String, author: UserId, content: String, timestamp: UnixSeconds) -> Self {
        Self {
            id,
            author,
            content,
            timestamp,
            pinned: false,
            reply_to: None,
            ping: None,
            edited: false,
            reactions: vec![],
            interaction: None,
            extra: vec![],
        }
    }

    /// Adds `user`'s reaction; returns false if it was already there.
    pub fn add_reaction(&mut self, emoji: &str, user: &UserId) -> bool {
        match self.reactions.iter_mut().find(|(e, _)| e == emoji) {
            Some((_, users)) if users.contains(user) => false,
            Some((_, users)) => {
                users.push(user.clone());
                true
            }
            None => {
                self.reactions.push((emoji.to_owned(), vec![user.clone()]));
                true
            }
        }
    }

    /// Removes `user`'s reaction; returns false if they had not reacted with it.
    pub fn remove_reaction(&mut self, emoji: &str, user: &UserId) -> bool {
        let Some(pos) = self.reactions.iter().position(|(e, _)| e == emoji) else { return false };
        let users = &mut self.reactions[pos].1;
        let before = users.len();
        users.retain(|u| u != user);
        let changed = users.len() != before;
        if users.is_empty() {
            self.reactions.remove(pos);
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reactions_keep_order_and_drop_empty_lists() {
        let (a, b) = (UserId("a".into()), UserId("b".into()));
        let mut m = Message::new("1".into(), a.clone(), "x".into(), 1.0);
        assert!(m.add_reaction("👍", &a));
        assert!(!m.add_reaction("👍", &a));
        assert!(m.add_reaction("👍", &b));
        assert_eq!(m.reactions, vec![("👍".to_string(), vec![a.clone(), b.clone()])]);
        assert!(m.remove_reaction("👍", &a));
        assert!(m.remove_reaction("👍", &b));
        assert!(m.reactions.is_empty());
        assert!(!m.remove_reaction("👍", &b));
    }
}
