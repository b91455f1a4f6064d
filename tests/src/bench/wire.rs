//! What the load generator writes and how it reads frames cheaply: a monotonic clock shared
//! by every client, the marker carried in message contents, and substring scans that spare
//! parsing every frame into a JSON value.

use std::sync::OnceLock;
use std::time::Instant;

static EPOCH: OnceLock<Instant> = OnceLock::new();

/// Nanoseconds since the run started (monotonic, the same clock for every client).
pub fn now_ns() -> u64 {
    EPOCH.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// Where a message came from and when it was sent, carried in its content as
/// `~b~<run>~<sender>~<seq>~<ns>~` followed by padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    /// The step of a scenario the message belongs to (earlier steps' messages are stale).
    pub run: u32,
    /// The sending client's number.
    pub sender: u32,
    /// The sender's sequence number, from 0.
    pub seq: u64,
    /// [`now_ns`] when it was sent.
    pub ns: u64,
}

const MARK: &str = "~b~";

impl Marker {
    /// A message content carrying this marker, padded with `x` to `size` bytes.
    pub fn content(&self, size: usize) -> String {
        let mut s = format!("{MARK}{}~{}~{}~{}~", self.run, self.sender, self.seq, self.ns);
        if s.len() < size {
            s.extend(std::iter::repeat_n('x', size - s.len()));
        }
        s
    }

    /// The marker of the first message content found in a frame.
    pub fn find(frame: &str) -> Option<Self> {
        let start = frame.find(MARK)? + MARK.len();
        let mut parts = frame[start..].splitn(5, '~');
        let mut next = || parts.next()?.parse::<u64>().ok();
        Some(Self { run: next()? as u32, sender: next()? as u32, seq: next()?, ns: next()? })
    }
}

/// The value of the top-level `cmd` of a server frame. Every packet has `cmd`, and a
/// string value cannot contain `"cmd":"` unescaped, so its first occurrence is the key.
pub fn cmd_of(frame: &str) -> Option<&str> {
    const KEY: &str = "\"cmd\":\"";
    let start = frame.find(KEY)? + KEY.len();
    let len = frame[start..].find('"')?;
    Some(&frame[start..start + len])
}

/// Whether a frame holds `"key":"value"` (compact JSON, as both servers send).
pub fn has_field(frame: &str, key: &str, value: &str) -> bool {
    let needle = format!("\"{key}\":\"{value}\"");
    frame.contains(&needle)
}

/// The validator of the bench user `name` (`auth.mode: "mock"`).
pub fn validator(name: &str) -> String {
    format!("mock:U{name}:{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_round_trip_through_a_frame() {
        let m = Marker { run: 3, sender: 7, seq: 42, ns: 123_456_789 };
        let content = m.content(60);
        assert_eq!(content.len(), 60);
        let frame = format!(r#"{{"cmd":"message_new","message":{{"user":"s0","content":"{content}"}},"global":true}}"#);
        assert_eq!(Marker::find(&frame), Some(m));
        assert_eq!(Marker::find(r#"{"cmd":"typing"}"#), None);
        assert_eq!(cmd_of(&frame), Some("message_new"));
        assert_eq!(cmd_of(r#"{"val":1,"cmd":"pong"}"#), Some("pong"));
        assert!(has_field(r#"{"cmd":"typing","user":"m1","channel":"general"}"#, "user", "m1"));
        assert!(!has_field(r#"{"cmd":"typing","user":"m12"}"#, "user", "m1"));
    }
}
