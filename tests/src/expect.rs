//! Expected packets and small waits shared by the black-box tests.

use serde_json::{Value, json};

use crate::Client;

/// `{"cmd":"error","src":<src>,"val":<val>}`.
pub fn err(src: &str, val: &str) -> Value {
    json!({"cmd": "error", "src": src, "val": val})
}

/// The owner gate's error for `src`.
pub fn owner_only(src: &str) -> Value {
    err(src, "Access denied: 'owner' role required")
}

/// Reads everything already sent to each client (a ping round trip each).
pub async fn settle(clients: &mut [&mut Client]) {
    for c in clients.iter_mut() {
        c.sync().await;
    }
}

/// Reads packets until one with `cmd`, returning it and asserting that nothing but list
/// pushes and presence came before.
pub async fn next_cmd(c: &mut Client, cmd: &str) -> Value {
    loop {
        let v = c.recv().await;
        if v["cmd"] == cmd {
            return v;
        }
        let allowed = ["users_list", "channels_get", "roles_list", "user_connect", "user_join", "user_disconnect"];
        assert!(allowed.contains(&v["cmd"].as_str().unwrap_or("")), "unexpected packet before {cmd}: {v}");
    }
}
