//! Reading an original (Python) OriginChats server's folder for `originchats import`
//! (docs/design/import.md#original-layout, docs/design/import.md).
//!
//! [`read_folder`] turns the folder into a plain [`Snapshot`] without writing anything;
//! [`files`] plans and puts the files (VAPID keys, emoji images, server assets) into this
//! server's layout. Writing the rows is the store's business (the import port of the
//! application), so this crate knows nothing of SQL.
//!
//! What aborts and what is skipped:
//! - `db/users.json`, `db/roles.json` or `db/channels.json` that is not JSON of the right
//!   shape aborts the import ([`LegacyError::Unparsable`]); nothing is written.
//!   A missing one is not an error: the original creates it on start (users empty,
//!   default roles, default channel), and so does the import, with a note.
//! - Message files: bad lines are skipped and reported with their line number; a file
//!   where nothing parses is reported and imported as empty.
//! - Message files of channels that are not in channels.json are not imported (the
//!   original never shows them); each one is reported with its number of lines.
//! - Emoji metadata and push subscriptions that cannot be parsed are reported and
//!   imported as empty.
//! - Threads (`db/threads/`, `db/threadMessages/`) of channels that are not imported, or
//!   that cannot be used, are reported and skipped with their messages.

pub mod emojis;
pub mod files;
pub mod fingerprint;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixture;
pub mod messages;
pub mod push;
pub mod records;
pub mod threads;
pub mod unreads;

#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use domain::Channel;

pub use application::import::{Issue, Location, Snapshot, SnapshotChannel, SnapshotEmoji, SnapshotPush};
pub use fingerprint::Fingerprint;

/// Why a folder cannot be imported at all.
#[derive(Debug, thiserror::Error)]
pub enum LegacyError {
    /// The folder has no `db/` with the original's files.
    #[error(
        "{0} does not look like an OriginChats server folder (expected db/users.json, db/roles.json or db/channels.json)"
    )]
    NotAServer(PathBuf),
    /// One of the three spine files cannot be parsed.
    #[error("{file} cannot be parsed: {reason}")]
    Unparsable {
        /// The file, relative to the source folder.
        file: String,
        /// Why.
        reason: String,
    },
    /// A file or folder that exists cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

const SPINE: [&str; 3] = ["users.json", "roles.json", "channels.json"];

/// Finds the server root: the folder itself when it holds `db/`, or its parent when the
/// `db/` folder itself was given.
fn server_root(from: &Path) -> Result<PathBuf, LegacyError> {
    let canonical = std::fs::canonicalize(from).map_err(|source| LegacyError::Io { path: from.into(), source })?;
    let has_spine = |db: &Path| SPINE.iter().any(|f| db.join(f).is_file());
    if has_spine(&canonical.join("db")) {
        return Ok(canonical);
    }
    if canonical.file_name().is_some_and(|n| n == "db")
        && has_spine(&canonical)
        && let Some(parent) = canonical.parent()
    {
        return Ok(parent.to_path_buf());
    }
    Err(LegacyError::NotAServer(from.to_path_buf()))
}

/// Reads a file; `Ok(None)` when it does not exist.
fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, LegacyError> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(source) => Err(LegacyError::Io { path: path.to_path_buf(), source }),
    }
}

/// Regular files of a folder whose names do not start with `.`, sorted by name.
fn plain_files(dir: &Path) -> Result<Vec<PathBuf>, LegacyError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(vec![]),
        Err(source) => return Err(LegacyError::Io { path: dir.to_path_buf(), source }),
    };
    let mut files = vec![];
    for entry in entries {
        let entry = entry.map_err(|source| LegacyError::Io { path: dir.to_path_buf(), source })?;
        let path = entry.path();
        let visible = entry.file_name().to_str().is_some_and(|n| !n.starts_with('.'));
        if visible && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn unparsable(file: &str, reason: String) -> LegacyError {
    LegacyError::Unparsable { file: file.to_owned(), reason }
}

/// Reads an original server's folder (the one holding `db/`, or `db/` itself).
pub fn read_folder(from: &Path) -> Result<Snapshot, LegacyError> {
    let root = server_root(from)?;
    let db = root.join("db");
    let mut fp = Fingerprint::default();
    let mut issues = vec![];
    let mut notes = vec![];
    let spine = |name: &str, fp: &mut Fingerprint| -> Result<Option<Vec<u8>>, LegacyError> {
        let bytes = read_optional(&db.join(name))?;
        if let Some(b) = &bytes {
            fp.add(&format!("db/{name}"), b);
        }
        Ok(bytes)
    };

    let users = match spine("users.json", &mut fp)? {
        Some(b) => {
            records::parse_users("db/users.json", &b, &mut issues).map_err(|r| unparsable("db/users.json", r))?
        }
        None => {
            notes.push("db/users.json not found: no users imported".into());
            vec![]
        }
    };
    let roles = match spine("roles.json", &mut fp)? {
        Some(b) => {
            records::parse_roles("db/roles.json", &b, &mut issues).map_err(|r| unparsable("db/roles.json", r))?
        }
        None => {
            notes.push("db/roles.json not found: the original's default roles were imported".into());
            domain::role::default_roles()
        }
    };
    let channel_list = match spine("channels.json", &mut fp)? {
        Some(b) => records::parse_channels("db/channels.json", &b, &mut issues)
            .map_err(|r| unparsable("db/channels.json", r))?,
        None => {
            notes.push("db/channels.json not found: the original's default channel was imported".into());
            domain::channel::default_channels()
        }
    };

    let channels = read_messages(&db, channel_list, &mut fp, &mut issues)?;

    let emojis = match read_optional(&db.join("serverEmojis.json"))? {
        Some(b) => {
            fp.add("db/serverEmojis.json", &b);
            emojis::parse_emojis("db/serverEmojis.json", &b, &db.join("serverEmojis"), &mut fp, &mut issues)
        }
        None => vec![],
    };
    let push = match read_optional(&db.join("push_subscriptions.json"))? {
        Some(b) => {
            fp.add("db/push_subscriptions.json", &b);
            push::parse_push("db/push_subscriptions.json", &b, &mut issues)
        }
        None => vec![],
    };
    let names: Vec<&str> = channels.iter().map(|c| c.channel.name.as_str()).collect();
    let forums: Vec<&str> = channels.iter().filter(|c| c.channel.is_forum()).map(|c| c.channel.name.as_str()).collect();
    let threads = threads::read_threads(&db, &forums, &mut fp, &mut issues)?;
    let unreads = match read_optional(&db.join("unreads.json"))? {
        Some(b) => {
            fp.add("db/unreads.json", &b);
            let thread_ids: Vec<&str> = threads.iter().map(|t| t.thread.id.as_str()).collect();
            unreads::parse_unreads("db/unreads.json", &b, &names, &thread_ids, &mut issues)
        }
        None => vec![],
    };
    let vapid_files = plain_files(&root.join("vapid"))?;
    let asset_files: Vec<PathBuf> = plain_files(&db.join("serverAssets"))?
        .into_iter()
        .filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let ok = emojis::safe_file_name(&name) && p.file_name().and_then(|n| n.to_str()).is_some();
            if !ok {
                issues.push(Issue::file(&format!("db/serverAssets/{name}"), "unusable file name; skipped"));
            }
            ok
        })
        .collect();
    for (dir, files) in [("vapid", &vapid_files), ("db/serverAssets", &asset_files)] {
        for f in files {
            let bytes = std::fs::read(f).map_err(|source| LegacyError::Io { path: f.clone(), source })?;
            let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            fp.add(&format!("{dir}/{name}"), &bytes);
        }
    }
    if vapid_files.is_empty() && !push.is_empty() {
        notes.push("vapid/ holds no keys: the imported push subscriptions need the original's VAPID keys".into());
    }
    let fingerprint = fp.hex();
    let record_key = fingerprint::record_key(&root, &fingerprint);
    Ok(Snapshot {
        source: root,
        fingerprint,
        record_key,
        users,
        roles,
        channels,
        emojis,
        push,
        threads,
        unreads,
        vapid_files,
        asset_files,
        issues,
        notes,
    })
}

/// Whether a channel name can be a file name in `db/channels/`.
fn file_name_for(channel: &str) -> Option<String> {
    let ok = !channel.is_empty() && !channel.contains(['/', '\\', '\0']) && channel != "." && channel != "..";
    ok.then(|| format!("{channel}.json"))
}

/// Reads the message file of every listed channel and reports the files of unlisted ones.
fn read_messages(
    db: &Path,
    channel_list: Vec<Channel>,
    fp: &mut Fingerprint,
    issues: &mut Vec<Issue>,
) -> Result<Vec<SnapshotChannel>, LegacyError> {
    let dir = db.join("channels");
    let mut listed = HashSet::new();
    let mut channels = Vec::with_capacity(channel_list.len());
    for channel in channel_list {
        let mut messages = vec![];
        if let Some(name) = file_name_for(&channel.name) {
            let rel = format!("db/channels/{name}");
            match std::fs::read(dir.join(&name)) {
                Ok(bytes) => {
                    fp.add(&rel, &bytes);
                    messages = messages::parse_message_file(&rel, &bytes, issues);
                }
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => issues.push(Issue::file(&rel, format!("cannot be read ({e}); imported as empty"))),
            }
            listed.insert(name);
        }
        channels.push(SnapshotChannel { channel, messages });
    }
    for path in plain_files(&dir)? {
        let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else { continue };
        if !name.ends_with(".json") || listed.contains(&name) {
            continue;
        }
        let lines = std::fs::read(&path).map(|b| messages::count_lines(&b)).unwrap_or(0);
        let channel = name.trim_end_matches(".json");
        let msg = format!("no channel {channel:?} in db/channels.json; its {lines} lines were not imported");
        issues.push(Issue::file(&format!("db/channels/{name}"), msg));
    }
    Ok(channels)
}
