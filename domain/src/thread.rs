//! Threads of forum channels (docs/design/threads.md): a named conversation inside a forum
//! channel, whose messages are stored like a channel's under the thread's message key.

use crate::UserId;

/// Longest thread name, in characters (docs/design/threads.md#bounds).
pub const MAX_THREAD_NAME: usize = 100;

/// Most threads one forum channel holds (docs/design/threads.md#bounds).
pub const MAX_THREADS_PER_FORUM: usize = 1000;

/// Most participants one thread lists (docs/design/threads.md#bounds).
pub const MAX_PARTICIPANTS: usize = 1000;

/// What the message store keys a thread's messages by: `thread/<id>`. No channel can be
/// called that, since channel names never contain `/` (docs/design/threads.md#storage).
pub fn thread_key(id: &str) -> String {
    format!("thread/{id}")
}

/// The thread id of a message key made by [`thread_key`]; `None` for a channel name.
pub fn thread_of_key(key: &str) -> Option<&str> {
    key.strip_prefix("thread/")
}

/// A thread record.
#[derive(Debug, Clone, PartialEq)]
pub struct Thread {
    /// Unique id (a UUID for threads made here).
    pub id: String,
    /// Display name: trimmed, not empty, at most [`MAX_THREAD_NAME`] characters.
    pub name: String,
    /// The forum channel it belongs to (follows renames).
    pub parent_channel: String,
    /// Who created it.
    pub created_by: UserId,
    /// Creation time, Unix seconds.
    pub created_at: f64,
    /// Refuses new messages.
    pub locked: bool,
    /// Hidden from the active list; a new message reopens it.
    pub archived: bool,
    /// Users who joined (the creator first), without repeats.
    pub participants: Vec<UserId>,
}

impl Thread {
    /// Adds a participant; false when already there.
    pub fn join(&mut self, user: &UserId) -> bool {
        if self.participants.contains(user) {
            return false;
        }
        self.participants.push(user.clone());
        true
    }

    /// Removes a participant (never the creator); false when nothing changed.
    pub fn leave(&mut self, user: &UserId) -> bool {
        if *user == self.created_by {
            return false;
        }
        let before = self.participants.len();
        self.participants.retain(|p| p != user);
        before != self.participants.len()
    }
}

/// A thread name as given, trimmed; `None` when blank. Length is checked by the caller.
pub fn trimmed_name(raw: &str) -> Option<&str> {
    let t = raw.trim();
    (!t.is_empty()).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_never_name_a_channel() {
        assert_eq!(thread_key("abc"), "thread/abc");
        assert_eq!(thread_of_key("thread/abc"), Some("abc"));
        assert_eq!(thread_of_key("general"), None);
    }

    #[test]
    fn the_creator_never_leaves() {
        let me = UserId("me".into());
        let you = UserId("you".into());
        let mut t = Thread {
            id: "t".into(),
            name: "n".into(),
            parent_channel: "f".into(),
            created_by: me.clone(),
            created_at: 0.0,
            locked: false,
            archived: false,
            participants: vec![me.clone()],
        };
        assert!(!t.join(&me));
        assert!(t.join(&you));
        assert!(!t.leave(&me));
        assert!(t.leave(&you));
        assert_eq!(t.participants, vec![me]);
    }
}
