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
