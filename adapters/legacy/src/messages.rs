//! Message files of the original: `db/channels/<name>.json` (docs/design/import.md#original-layout).
//!
//! Current format: newline-delimited JSON, one message object per line, blank lines
//! ignored. Legacy format: one JSON array of message objects. A bad line (or array entry)
//! is skipped and reported with its number; a file in which nothing parses is reported and
//! imported as empty, which is how the original shows it (docs/design/import.md#what-is-skipped). Message ids
//! are unique per channel, so a repeated id is skipped and reported too.

use std::collections::HashMap;

use domain::message::Interaction;
use domain::{Message, ReplyRef, UserId};
use serde_json::{Map, Value};

use super::records::{type_name, without_bom};
use application::import::Issue;
use codec::records::extras_from;

/// Keys of a stored message that map onto [`Message`] fields; every other key is kept as
/// an extra.
const KNOWN: [&str; 11] =
    ["id", "user", "content", "timestamp", "type", "pinned", "reply_to", "ping", "edited", "reactions", "interaction"];

fn text<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    map.get(key).and_then(Value::as_str)
}

/// Converts one stored message object into a [`Message`]. `id`, `user`, `content` and a
/// numeric `timestamp` are required; malformed optional parts are dropped.
pub fn message_from_object(map: &Map<String, Value>) -> Result<Message, String> {
    let id = text(map, "id").filter(|s| !s.is_empty()).ok_or("no message `id`")?;
    let user = text(map, "user").filter(|s| !s.is_empty()).ok_or("no `user`")?;
    let content = text(map, "content").ok_or("no text `content`")?;
    let timestamp = map.get("timestamp").and_then(Value::as_f64).ok_or("no numeric `timestamp`")?;
    let mut m = Message::new(id.to_owned(), UserId(user.to_owned()), content.to_owned(), timestamp);
    m.pinned = map.get("pinned").and_then(Value::as_bool).unwrap_or(false);
    if let Some(Value::Object(r)) = map.get("reply_to")
        && let (Some(rid), Some(ruser)) = (text(r, "id"), text(r, "user"))
    {
        m.reply_to = Some(ReplyRef { id: rid.to_owned(), author: UserId(ruser.to_owned()) });
    }
    m.ping = map.get("ping").and_then(Value::as_bool);
    m.edited = map.get("edited").and_then(Value::as_bool).unwrap_or(false);
    if let Some(Value::Object(reactions)) = map.get("reactions") {
        for (emoji, users) in reactions {
            for u in users.as_array().into_iter().flatten().filter_map(Value::as_str) {
                m.add_reaction(emoji, &UserId(u.to_owned()));
            }
        }
    }
    if let Some(Value::Object(i)) = map.get("interaction") {
        let field = |k: &str| text(i, k).unwrap_or_default().to_owned();
        m.interaction = Some(Interaction { command: field("command"), username: field("username") });
    }
    m.extra = extras_from(map, &KNOWN);
    Ok(m)
}

/// Collects messages of one file, dropping repeated ids.
struct Collector<'a> {
    file: &'a str,
    issues: &'a mut Vec<Issue>,
    seen: HashMap<String, usize>,
    messages: Vec<Message>,
}

impl Collector<'_> {
    fn accept(&mut self, value: Value, at: usize, issue: fn(&str, usize, String) -> Issue) {
        let Value::Object(map) = value else {
            let found = type_name(&value);
            self.issues.push(issue(self.file, at, format!("not a message object ({found}); skipped")));
            return;
        };
        match message_from_object(&map) {
            Ok(m) => {
                if let Some(first) = self.seen.get(&m.id) {
                    let msg = format!("message id {} already used at {first}; skipped", m.id);
                    self.issues.push(issue(self.file, at, msg));
                } else {
                    self.seen.insert(m.id.clone(), at);
                    self.messages.push(m);
                }
            }
            Err(reason) => self.issues.push(issue(self.file, at, format!("{reason}; skipped"))),
        }
    }
}

/// Reads a message file in either format. Problems are appended to `issues`, named by
/// `file` (the path relative to the source folder).
pub fn parse_message_file(file: &str, bytes: &[u8], issues: &mut Vec<Issue>) -> Vec<Message> {
    let bytes = without_bom(bytes);
    let mut c = Collector { file, issues, seen: HashMap::new(), messages: vec![] };
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        match serde_json::from_slice::<Vec<Value>>(bytes) {
            Ok(entries) => {
                for (i, v) in entries.into_iter().enumerate() {
                    c.accept(v, i + 1, Issue::entry);
                }
            }
            Err(e) => c.issues.push(Issue::file(file, format!("cannot be parsed ({e}); imported as empty"))),
        }
        return c.messages;
    }
    let mut line_issues = vec![];
    let mut any_json = false;
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match std::str::from_utf8(line)
            .map_err(|e| e.to_string())
            .and_then(|s| serde_json::from_str::<Value>(s).map_err(|e| e.to_string()))
        {
            Ok(v) => {
                any_json = true;
                c.accept(v, i + 1, Issue::line);
            }
            Err(e) => line_issues.push(Issue::line(file, i + 1, format!("not valid JSON ({e}); skipped"))),
        }
    }
    if !any_json && !line_issues.is_empty() {
        let n = line_issues.len();
        c.issues.push(Issue::file(file, format!("cannot be parsed ({n} lines, none valid JSON); imported as empty")));
    } else {
        c.issues.extend(line_issues);
    }
    c.messages
}

/// Counts the non-blank lines of a file (for reporting message files that are not imported).
pub fn count_lines(bytes: &[u8]) -> usize {
    bytes.split(|b| *b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace)).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use application::import::Location;

    const A: &str =
        r#"{"user":"USR:1","content":"hi","timestamp":1773182676.073865,"type":"message","pinned":false,"id":"m1"}"#;

    #[test]
    fn a_full_message_line_maps_every_field() {
        let line = r#"{"user":"USR:2","content":"yo","timestamp":5,"type":"message","pinned":true,"id":"m2",
            "reply_to":{"id":"m1","user":"USR:1"},"ping":false,"edited":true,
            "reactions":{"👍":["USR:1","USR:2","USR:1"],"x":[]},"interaction":{"command":"roll","username":"bob"},
            "attachments":[{"url":"u"}]}"#;
        let Value::Object(map) = serde_json::from_str(line).unwrap() else { panic!() };
        let m = message_from_object(&map).unwrap();
        assert_eq!(m.timestamp, 5.0);
        assert!(m.pinned && m.edited);
        assert_eq!(m.ping, Some(false));
        assert_eq!(m.reply_to.as_ref().unwrap().author.0, "USR:1");
        assert_eq!(m.reactions, vec![("👍".into(), vec![UserId("USR:1".into()), UserId("USR:2".into())])]);
        assert_eq!(m.interaction.as_ref().unwrap().command, "roll");
        assert_eq!(m.extra.len(), 1);
        assert_eq!(m.extra[0].0, "attachments");
    }

    #[test]
    fn ndjson_skips_blank_and_reports_bad_lines() {
        let text = format!(
            "{A}\n\n{{\"user\":\"USR:1\",\"content\":\"x\"\n[1]\n{}\n{}\r\n{{\"user\":\"u\",\"content\":\"c\",\"timestamp\":1,\"id\":\"m3\"}}",
            A.replace("m1", "m2"),
            A
        );
        let mut issues = vec![];
        let ms = parse_message_file("db/channels/general.json", text.as_bytes(), &mut issues);
        assert_eq!(ms.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["m1", "m2", "m3"]);
        let at: Vec<_> = issues.iter().map(|i| i.location.clone()).collect();
        assert_eq!(at, [Location::Line(4), Location::Line(6), Location::Line(3)], "{issues:?}");
        assert!(issues[1].message.contains("already used at 1"));
        assert_eq!(issues[2].to_string().split(": ").next(), Some("db/channels/general.json:3"));
    }

    #[test]
    fn legacy_arrays_empty_and_garbage_files() {
        let mut issues = vec![];
        let arr = format!("[{A}, 7, {}]", A.replace("m1", "m9"));
        let ms = parse_message_file("f", arr.as_bytes(), &mut issues);
        assert_eq!(ms.len(), 2);
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].location, Location::Entry(2));
        issues.clear();
        assert!(parse_message_file("f", b"", &mut issues).is_empty());
        assert!(parse_message_file("f", b"\n \n", &mut issues).is_empty());
        assert!(issues.is_empty());
        assert!(parse_message_file("f", b"[{\"id\":", &mut issues).is_empty());
        assert!(parse_message_file("f", b"\x00\xff garbage\nmore garbage", &mut issues).is_empty());
        assert_eq!(issues.len(), 2);
        assert!(issues.iter().all(|i| i.location == Location::File && i.message.contains("imported as empty")));
    }

    #[test]
    fn required_fields_are_checked() {
        for (line, why) in [
            (r#"{"user":"u","content":"c","timestamp":1}"#, "id"),
            (r#"{"id":"i","content":"c","timestamp":1}"#, "user"),
            (r#"{"id":"i","user":"u","timestamp":1}"#, "content"),
            (r#"{"id":"i","user":"u","content":"c","timestamp":"x"}"#, "timestamp"),
        ] {
            let Value::Object(map) = serde_json::from_str(line).unwrap() else { panic!() };
            assert!(message_from_object(&map).unwrap_err().contains(why));
        }
    }
}
