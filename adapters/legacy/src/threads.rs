//! Threads of the original's later versions (docs/design/threads.md#import):
//! `db/threads/<id>.json` (`{id, name, parent_channel, created_by, created_at, locked,
//! archived, participants}`) and their messages in `db/threadMessages/<id>.jsonl` (the
//! channel message format). A thread file that cannot be used, or whose forum is not
//! imported, is reported and skipped with its messages; so are message files of no
//! imported thread.

use std::collections::HashSet;
use std::path::Path;

use application::import::{Issue, SnapshotThread};
use domain::thread::MAX_THREAD_NAME;
use domain::{Thread, UserId};
use serde_json::Value;

use super::{Fingerprint, LegacyError, messages, plain_files, read_optional, records::without_bom};

/// A thread record of the original, or why it cannot be used.
fn thread_of(value: &Value, file_id: &str) -> Result<Thread, String> {
    let Value::Object(map) = value else { return Err("not a JSON object".into()) };
    let text = |k: &str| map.get(k).and_then(Value::as_str).map(str::to_owned);
    let id = text("id").unwrap_or_else(|| file_id.to_owned());
    if id.is_empty() || id.contains('/') {
        return Err("unusable id".into());
    }
    let name: String = text("name").unwrap_or_default().trim().chars().take(MAX_THREAD_NAME).collect();
    if name.is_empty() {
        return Err("no name".into());
    }
    let parent_channel = text("parent_channel").ok_or("no parent_channel")?;
    let created_by = UserId(text("created_by").unwrap_or_default());
    let mut participants: Vec<UserId> = vec![];
    for p in map.get("participants").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
        let p = UserId(p.to_owned());
        if !participants.contains(&p) && participants.len() < domain::thread::MAX_PARTICIPANTS {
            participants.push(p);
        }
    }
    Ok(Thread {
        id,
        name,
        parent_channel,
        created_by,
        created_at: map.get("created_at").and_then(Value::as_f64).unwrap_or(0.0),
        locked: map.get("locked").and_then(Value::as_bool).unwrap_or(false),
        archived: map.get("archived").and_then(Value::as_bool).unwrap_or(false),
        participants,
    })
}

/// Reads the threads of the channels named `forums` (the imported forum channels), with their
/// messages, oldest thread first (by `created_at`, then id).
pub fn read_threads(
    db: &Path,
    forums: &[&str],
    fp: &mut Fingerprint,
    issues: &mut Vec<Issue>,
) -> Result<Vec<SnapshotThread>, LegacyError> {
    let mut threads = vec![];
    let mut ids = HashSet::new();
    for path in plain_files(&db.join("threads"))? {
        let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else { continue };
        let Some(file_id) = name.strip_suffix(".json") else { continue };
        let rel = format!("db/threads/{name}");
        let Some(bytes) = read_optional(&path)? else { continue };
        fp.add(&rel, &bytes);
        let thread = match serde_json::from_slice::<Value>(without_bom(&bytes)).map_err(|e| e.to_string()) {
            Ok(v) => thread_of(&v, file_id),
            Err(e) => Err(format!("cannot be parsed ({e})")),
        };
        let thread = match thread {
            Ok(t) => t,
            Err(why) => {
                issues.push(Issue::file(&rel, format!("{why}; thread skipped")));
                continue;
            }
        };
        if !forums.contains(&thread.parent_channel.as_str()) {
            let msg = format!("no imported forum channel {:?}; thread skipped", thread.parent_channel);
            issues.push(Issue::file(&rel, msg));
            continue;
        }
        if !ids.insert(thread.id.clone()) {
            issues.push(Issue::file(&rel, format!("thread id {} used twice; skipped", thread.id)));
            continue;
        }
        let mrel = format!("db/threadMessages/{}.jsonl", thread.id);
        let messages = match read_optional(&db.join("threadMessages").join(format!("{}.jsonl", thread.id)))? {
            Some(bytes) => {
                fp.add(&mrel, &bytes);
                messages::parse_message_file(&mrel, &bytes, issues)
            }
            None => vec![],
        };
        threads.push(SnapshotThread { thread, messages });
    }
    for path in plain_files(&db.join("threadMessages"))? {
        let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else { continue };
        let id = name.strip_suffix(".jsonl").unwrap_or(&name);
        if !ids.contains(id) {
            let lines = std::fs::read(&path).map(|b| messages::count_lines(&b)).unwrap_or(0);
            let msg = format!("no imported thread {id:?}; its {lines} lines were not imported");
            issues.push(Issue::file(&format!("db/threadMessages/{name}"), msg));
        }
    }
    threads.sort_by(|a, b| a.thread.created_at.total_cmp(&b.thread.created_at).then(a.thread.id.cmp(&b.thread.id)));
    Ok(threads)
}
