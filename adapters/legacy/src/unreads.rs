//! `db/unreads.json` of the original's later versions: `{user id: {channel or
//! "thread/<id>": message id}}` (docs/design/unreads.md#storage). Markers of threads or
//! channels that are not imported and entries that are not text are reported and skipped.

use application::import::{Issue, SnapshotUnread};
use domain::UserId;
use serde_json::Value;

/// Parses the file; a file that is not an object of objects imports nothing.
pub fn parse_unreads(
    file: &str,
    bytes: &[u8],
    channels: &[&str],
    threads: &[&str],
    issues: &mut Vec<Issue>,
) -> Vec<SnapshotUnread> {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(bytes) else {
        issues.push(Issue::file(file, "not a JSON object; no read markers imported"));
        return vec![];
    };
    let mut out = vec![];
    for (user, marks) in map {
        let Value::Object(marks) = marks else {
            issues.push(Issue::key(file, &user, "not an object; skipped"));
            continue;
        };
        for (key, id) in marks {
            match id {
                Value::String(id) if key.strip_prefix("thread/").is_some_and(|t| threads.contains(&t)) => {
                    out.push(SnapshotUnread { user: UserId(user.clone()), channel: key, last_read: id });
                }
                Value::String(_) if key.starts_with("thread/") => {
                    issues.push(Issue::key(file, &user, format!("marker of unknown thread {key} skipped")));
                }
                Value::String(id) if channels.contains(&key.as_str()) => {
                    out.push(SnapshotUnread { user: UserId(user.clone()), channel: key, last_read: id });
                }
                Value::String(_) => {
                    issues.push(Issue::key(file, &user, format!("marker of unknown channel {key} skipped")));
                }
                _ => issues.push(Issue::key(file, &user, format!("marker of {key} is not text; skipped"))),
            }
        }
    }
    out
}
