//! Importing another server's data: the snapshot an importer reads (users, roles,
//! channels with their messages, custom emoji, push subscriptions and the files that go
//! with them), what it reports, and the port a store implements to take it in one
//! transaction. The reader (the `legacy` adapter) and the writer (the SQL store) meet here,
//! so neither depends on the other.

use std::fmt;
use std::path::PathBuf;

use async_trait::async_trait;
use domain::{Channel, Extras, Message, Role, User};

use crate::ports::StoreError;

/// Where in a source file an issue was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The file as a whole.
    File,
    /// A 1-based line of an NDJSON message file.
    Line(usize),
    /// A 1-based entry of a JSON array (channels.json, a legacy message file).
    Entry(usize),
    /// A key of a JSON object (users.json, roles.json, serverEmojis.json, …).
    Key(String),
}

/// One thing the import skipped, renamed or could not use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// The file, relative to the source folder (e.g. `db/channels/general.json`).
    pub file: String,
    /// Where in it.
    pub location: Location,
    /// What happened, in words.
    pub message: String,
}

impl Issue {
    /// An issue about a whole file.
    pub fn file(file: &str, message: impl Into<String>) -> Self {
        Self { file: file.to_owned(), location: Location::File, message: message.into() }
    }

    /// An issue about one line.
    pub fn line(file: &str, line: usize, message: impl Into<String>) -> Self {
        Self { file: file.to_owned(), location: Location::Line(line), message: message.into() }
    }

    /// An issue about one array entry.
    pub fn entry(file: &str, entry: usize, message: impl Into<String>) -> Self {
        Self { file: file.to_owned(), location: Location::Entry(entry), message: message.into() }
    }

    /// An issue about one object key.
    pub fn key(file: &str, key: &str, message: impl Into<String>) -> Self {
        Self { file: file.to_owned(), location: Location::Key(key.to_owned()), message: message.into() }
    }
}

impl fmt::Display for Issue {
    /// `file:line: message`, `file [entry N]: message`, `file [key "k"]: message` or
    /// `file: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Location::File => write!(f, "{}: {}", self.file, self.message),
            Location::Line(n) => write!(f, "{}:{}: {}", self.file, n, self.message),
            Location::Entry(n) => write!(f, "{} [entry {}]: {}", self.file, n, self.message),
            Location::Key(k) => write!(f, "{} [key {:?}]: {}", self.file, k, self.message),
        }
    }
}

#[cfg(test)]
mod issue_tests {
    use super::*;

    #[test]
    fn issues_name_file_and_place() {
        assert_eq!(Issue::line("db/channels/a.json", 4, "bad").to_string(), "db/channels/a.json:4: bad");
        assert_eq!(Issue::entry("db/channels.json", 2, "x").to_string(), "db/channels.json [entry 2]: x");
        assert_eq!(Issue::key("db/users.json", "u1", "x").to_string(), "db/users.json [key \"u1\"]: x");
        assert_eq!(Issue::file("db/roles.json", "x").to_string(), "db/roles.json: x");
    }
}

/// A channel of the original with its messages, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotChannel {
    /// The channel record.
    pub channel: Channel,
    /// Its messages in file order.
    pub messages: Vec<Message>,
}

/// One custom emoji ready to be imported.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotEmoji {
    /// Its id (the original's key).
    pub id: i64,
    /// Name after trimming (or the `emoji_<id>` replacement).
    pub name: String,
    /// The image's file name in the destination emoji folder.
    pub file_name: String,
    /// The image in the source folder.
    pub source: PathBuf,
    /// Content type detected from the image's first bytes (or its extension).
    pub content_type: String,
    /// Size of the image in bytes.
    pub byte_size: u64,
    /// Hand-edited keys other than `name` and `fileName`.
    pub extra: Extras,
}

/// One subscription, still keyed by the original's username.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotPush {
    /// The lower-cased username the original filed it under.
    pub username_lower: String,
    /// Push service URL.
    pub endpoint: String,
    /// The browser's P-256 public key (base64url).
    pub p256dh: String,
    /// The browser's auth secret (base64url).
    pub auth: String,
    /// Other stored keys (`last_used`, `device_fingerprint`, …).
    pub extra: Extras,
}

/// One thread of a forum channel with its messages (docs/design/threads.md#import).
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotThread {
    /// The thread; `parent_channel` names an imported channel.
    pub thread: domain::Thread,
    /// Its messages in file order.
    pub messages: Vec<Message>,
}

/// One read marker (docs/design/unreads.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotUnread {
    /// The reader's user id.
    pub user: domain::UserId,
    /// The channel's name, or `thread/<id>` for a thread's marker.
    pub channel: String,
    /// Id of the last message read.
    pub last_read: String,
}

/// Everything read from another server's data, ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The folder holding `db/`, canonicalised.
    pub source: PathBuf,
    /// Content fingerprint of every file read.
    pub fingerprint: String,
    /// Identifies this source and content: importing the same snapshot twice is a no-op.
    pub record_key: String,
    /// Users in file order.
    pub users: Vec<User>,
    /// Roles in creation order.
    pub roles: Vec<Role>,
    /// Channels in display order, with their messages.
    pub channels: Vec<SnapshotChannel>,
    /// Custom emojis whose images exist.
    pub emojis: Vec<SnapshotEmoji>,
    /// Push subscriptions, keyed by the original's lower-cased usernames.
    pub push: Vec<SnapshotPush>,
    /// Threads of `db/threads/` whose forum is imported, with their messages.
    pub threads: Vec<SnapshotThread>,
    /// Read markers of `db/unreads.json` (of imported channels and threads).
    pub unreads: Vec<SnapshotUnread>,
    /// Files of `vapid/` (absolute paths in the source).
    pub vapid_files: Vec<PathBuf>,
    /// Files of `db/serverAssets/` (absolute paths in the source).
    pub asset_files: Vec<PathBuf>,
    /// What was skipped or changed while reading.
    pub issues: Vec<Issue>,
    /// Facts worth telling the operator (missing optional files, defaults used).
    pub notes: Vec<String>,
}

impl Snapshot {
    /// Number of messages over all channels.
    pub fn message_count(&self) -> u64 {
        self.channels.iter().map(|c| c.messages.len() as u64).sum::<u64>()
            + self.threads.iter().map(|t| t.messages.len() as u64).sum::<u64>()
    }

    /// Keeps only what `scope` imports. A narrowed snapshot has a record of its own, so
    /// that it is told apart from a complete import of the same folder.
    pub fn narrow(&mut self, scope: ImportScope) {
        match scope {
            ImportScope::Everything => {}
            ImportScope::Push => {
                self.users.clear();
                self.roles.clear();
                self.channels.clear();
                self.threads.clear();
                self.emojis.clear();
                self.asset_files.clear();
                self.issues.retain(|i| i.file.starts_with("db/push_subscriptions") || i.file.starts_with("vapid/"));
                self.notes.retain(|n| n.starts_with("vapid/"));
                self.record_key.push_str(":push");
            }
        }
    }
}

/// What an import takes from the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImportScope {
    /// Everything.
    #[default]
    Everything,
    /// Only the push subscriptions and the VAPID keys (`--only push`), added to whatever
    /// the database holds, the original's usernames matched to the users already there.
    Push,
}

/// How to import.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImportOptions {
    /// Add to a database that already holds real data.
    pub merge: bool,
    /// The time of the import, Unix seconds (recorded, and used as `created_at`).
    pub now: f64,
    /// What to import.
    pub scope: ImportScope,
}

/// What an import wrote (and, when merging, what it found already there).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportCounts {
    /// Users written.
    pub users: u64,
    /// Users kept because their id already existed (merge).
    pub users_existing: u64,
    /// Roles written.
    pub roles: u64,
    /// Roles kept because the name already existed (merge).
    pub roles_existing: u64,
    /// Channels written.
    pub channels: u64,
    /// Channels already there (merge); their new messages are still added.
    pub channels_existing: u64,
    /// Messages written.
    pub messages: u64,
    /// Messages kept because their id already existed in that channel (merge).
    pub messages_existing: u64,
    /// Threads written.
    pub threads: u64,
    /// Threads kept because their id already existed (merge).
    pub threads_existing: u64,
    /// Pinned messages among those written.
    pub pinned: u64,
    /// Replies among those written.
    pub replies: u64,
    /// Reactions (emoji × user) on the messages written.
    pub reactions: u64,
    /// Custom emojis written.
    pub emojis: u64,
    /// Custom emojis kept because the id already existed (merge).
    pub emojis_existing: u64,
    /// Push subscriptions written.
    pub push: u64,
    /// Push subscriptions already there (merge).
    pub push_existing: u64,
    /// Push subscriptions whose username matches no user.
    pub push_unmatched: u64,
    /// Whether start-up defaults were there and got replaced.
    pub replaced_defaults: bool,
}

/// Why an import did not happen; nothing was kept.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The database holds real data and `merge` was not asked for.
    #[error(
        "the database already holds data ({0}); nothing was imported. Use --merge to add the original's data to it"
    )]
    NotEmpty(String),
    /// A storage failure; the transaction was rolled back.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An import whose rows are written but not committed; dropping it rolls everything back.
#[async_trait]
pub trait PendingImport: Send + Sync {
    /// What was written.
    fn counts(&self) -> &ImportCounts;
    /// Records skipped or renamed while writing (in addition to the snapshot's issues).
    fn issues(&self) -> &[Issue];
    /// Ids of the emojis written (their images still have to be put in place).
    fn emoji_ids(&self) -> &[i64];
    /// Makes the import durable.
    async fn commit(self: Box<Self>) -> Result<(), ImportError>;
}

/// Outcome of [`ImportTarget::stage_import`].
pub enum Staged {
    /// This source was imported before; nothing was done.
    AlreadyImported {
        /// The stored record of that import (JSON).
        record: String,
    },
    /// Rows written, waiting for the commit.
    Ready(Box<dyn PendingImport>),
}

/// A store that can take a whole snapshot in one transaction.
///
/// Contract: the same snapshot ([`Snapshot::record_key`]) staged again answers
/// [`Staged::AlreadyImported`]; a store holding only its start-up defaults has them
/// replaced; a store with other data refuses with [`ImportError::NotEmpty`] unless
/// [`ImportOptions::merge`], which adds what is missing and keeps every existing record.
/// With [`ImportScope::Push`] only the push subscriptions are added, to any store, and
/// nothing else is touched (not even the defaults of an empty store).
#[async_trait]
pub trait ImportTarget: Send + Sync {
    /// Whether the store holds nothing but the start-up defaults (or nothing at all).
    async fn holds_only_defaults(&self) -> Result<bool, ImportError>;
    /// Whether the store holds any push subscription (they belong to this server's VAPID
    /// keys, which an import must then keep).
    async fn holds_push_subscriptions(&self) -> Result<bool, ImportError>;
    /// Writes `snapshot` in one transaction and returns it uncommitted. `progress` is
    /// called after each batch of messages with the number of messages handled so far.
    async fn stage_import(
        &self,
        snapshot: &Snapshot,
        options: ImportOptions,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<Staged, ImportError>;
}
