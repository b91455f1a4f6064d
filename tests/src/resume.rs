//! A client of resumable sessions (docs/protocol.md#26-resuming-a-session): it logs in with
//! `"resumable": true`, checks that every packet after `ready` carries the next `seq`, and
//! resumes on a new connection.

use serde_json::{Value, json};

use crate::{Client, TestServer};

/// A resumable session as its client sees it.
pub struct Resumable {
    /// The live connection.
    pub client: Client,
    /// `ready.session_id`.
    pub session_id: String,
    /// The last `seq` read.
    pub last: u64,
    /// The validator this user logs in with.
    pub validator: String,
}

/// The validator of `name` at the mock Rotur.
pub fn validator(name: &str) -> String {
    format!("good:USR:{name}:{name}")
}

/// `v` without its `seq`, asserting that the `seq` is `expected`.
pub fn numbered(mut v: Value, expected: u64) -> Value {
    let seq = v.as_object_mut().and_then(|o| o.remove("seq"));
    assert_eq!(seq, Some(json!(expected)), "packet {v} should carry seq {expected}");
    v
}

impl Resumable {
    /// Logs `name` in on a new connection of `s` with `"resumable": true`, checks that
    /// neither `auth_success` nor `ready` is numbered, and reads everything of the login
    /// (a ping round trip).
    pub async fn login(s: &TestServer, name: &str) -> Self {
        let mut client = s.connect().await;
        let validator = validator(name);
        let first = client.request(json!({"cmd": "auth", "validator": validator, "resumable": true})).await;
        assert_eq!(first, json!({"cmd": "auth_success", "val": "Authentication successful"}));
        let ready = client.recv().await;
        assert_eq!(ready["cmd"], "ready");
        assert!(ready.get("seq").is_none(), "ready carries no seq: {ready}");
        let session_id = ready["session_id"].as_str().expect("ready carries session_id").to_owned();
        assert!(!session_id.is_empty());
        client.ready = Some(ready);
        let mut me = Self { client, session_id, last: 0, validator };
        me.sync().await;
        me
    }

    /// The next packet (heartbeats skipped), checked to carry the next `seq`, without it.
    pub async fn recv(&mut self) -> Value {
        let v = self.client.recv().await;
        self.last += 1;
        numbered(v, self.last)
    }

    /// A ping round trip: everything before the `pong`, each checked for its `seq`.
    pub async fn sync(&mut self) -> Vec<Value> {
        let tag = format!("sync-{}", self.last);
        crate::client::before_pong(self, &tag).await
    }

    /// Puts `fresh` in place of the session's connection and returns the previous one
    /// (drop it to cut the connection; the session does not know of `fresh` until
    /// [`Resumable::resume`]).
    pub fn swap(&mut self, fresh: Client) -> Client {
        std::mem::replace(&mut self.client, fresh)
    }

    /// The `resume` request for this session from `seq`.
    pub fn request(&self, seq: u64) -> Value {
        json!({"cmd": "resume", "session_id": self.session_id, "seq": seq, "validator": self.validator, "listener": "r"})
    }

    /// Sends `resume` from `seq` on the current connection and returns what came until
    /// `resumed`, each checked for its `seq` (from `seq + 1`), without it; `resumed` is
    /// checked to name the last number.
    pub async fn resume(&mut self, seq: u64) -> Vec<Value> {
        let request = self.request(seq);
        self.client.send(request).await;
        let mut replayed = vec![];
        let mut n = seq;
        loop {
            let v = self.client.recv().await;
            if v["cmd"] == "resumed" {
                assert_eq!(
                    v,
                    json!({"cmd": "resumed", "session_id": self.session_id, "seq": n, "listener": "r"}),
                    "resumed names the last seq sent"
                );
                self.last = n;
                return replayed;
            }
            n += 1;
            replayed.push(numbered(v, n));
        }
    }
}

impl crate::client::Packets for Resumable {
    async fn next_packet(&mut self) -> Value {
        self.recv().await
    }
    async fn send_packet(&mut self, v: Value) {
        self.client.send(v).await;
    }
}
