//! A complete folder of an original server, written the way the original writes it, for
//! tests of reading and importing.

use std::path::Path;

use serde_json::json;

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap()
}

/// One NDJSON message line of the original.
pub fn line(id: &str, user: &str, content: &str, ts: f64, extra: serde_json::Value) -> String {
    let mut m =
        json!({"user": user, "content": content, "timestamp": ts, "type": "message", "pinned": false, "id": id});
    if let (Some(m), Some(x)) = (m.as_object_mut(), extra.as_object()) {
        m.extend(x.clone());
    }
    m.to_string()
}

/// Writes a complete original server folder into `root`.
pub fn write_fixture(root: &Path) {
    let db = root.join("db");
    std::fs::create_dir_all(db.join("channels")).unwrap();
    std::fs::create_dir_all(db.join("serverEmojis")).unwrap();
    std::fs::create_dir_all(db.join("serverAssets")).unwrap();
    std::fs::create_dir_all(root.join("vapid")).unwrap();
    std::fs::write(
        db.join("users.json"),
        pretty(&json!({
            "USR:alice": {"roles": ["owner", "user"], "username": "Alice", "validator": "tok"},
            "USR:bob": {"roles": ["user"], "username": "bob"},
            "carol": {"roles": ["user"]},
            "USR:dave": {"username": "dave"}
        })),
    )
    .unwrap();
    std::fs::write(
        db.join("roles.json"),
        pretty(&json!({
            "owner": {"description": "Server owner", "color": "#9400D3"},
            "admin": {"color": "#FF0000"},
            "user": {"color": "#FFFFFF"},
            "helper": {"color": "#00FF00", "hoisted": true, "permissions": {"mention_roles": ["owner"]}}
        })),
    )
    .unwrap();
    std::fs::write(
        db.join("channels.json"),
        pretty(&json!([
            {"type": "text", "name": "general", "description": "chat",
             "permissions": {"view": ["user"], "send": ["user"], "delete": ["admin"]}},
            {"type": "separator", "size": 10},
            {"type": "text", "name": "news", "permissions": {"view": ["user"], "send": ["owner"]}},
            {"type": "voice", "name": "talk", "permissions": {"view": ["user"]}},
            {"type": "text", "name": "empty", "permissions": {"view": ["user"]}}
        ])),
    )
    .unwrap();
    let general = [
        line("g1", "USR:alice", "hello", 1_700_000_000.5, json!({"pinned": true})),
        line(
            "g2",
            "USR:bob",
            "hi alice",
            1_700_000_001.25,
            json!({"reply_to": {"id": "g1", "user": "USR:alice"}, "ping": false}),
        ),
        "{\"user\":\"USR:bob\",\"content\":\"trunc".to_owned(),
        String::new(),
        line(
            "g3",
            "carol",
            "héllo 👋",
            1_700_000_002.0,
            json!({"reactions": {"👍": ["USR:alice", "USR:bob"]}, "edited": true}),
        ),
    ]
    .join("\n");
    std::fs::write(db.join("channels/general.json"), general).unwrap();
    let news = format!(
        "[{},{}]",
        line("n1", "USR:alice", "first", 1.0, json!({})),
        line("n2", "USR:gone", "second", 2.0, json!({}))
    );
    std::fs::write(db.join("channels/news.json"), news).unwrap();
    std::fs::write(db.join("channels/empty.json"), "").unwrap();
    std::fs::write(db.join("channels/deleted.json"), line("d1", "USR:bob", "lost", 3.0, json!({}))).unwrap();
    std::fs::write(
        db.join("serverEmojis.json"),
        pretty(&json!({"0": {"name": "blob", "fileName": "0.png"}, "1": {"name": "missing", "fileName": "1.gif"}})),
    )
    .unwrap();
    std::fs::write(db.join("serverEmojis/0.png"), b"\x89PNG\r\n\x1a\nimage").unwrap();
    std::fs::write(db.join("serverEmojis/.gitkeep"), b"").unwrap();
    std::fs::write(db.join("serverAssets/icon.png"), b"\x89PNG\r\n\x1a\nicon").unwrap();
    std::fs::write(
        db.join("push_subscriptions.json"),
        pretty(&json!({
            "alice": [{"endpoint": "https://push.example/a", "p256dh": "BKEY", "auth": "AUTH"}],
            "carol": [{"endpoint": "https://push.example/c", "p256dh": "BKEY", "auth": "AUTH"}],
            "nobody": [{"endpoint": "https://push.example/n", "p256dh": "BKEY", "auth": "AUTH"}]
        })),
    )
    .unwrap();
    std::fs::write(root.join("vapid/private_key.pem"), "-----BEGIN PRIVATE KEY-----\nX\n-----END PRIVATE KEY-----\n")
        .unwrap();
    std::fs::write(
        root.join("vapid/vapid_config.json"),
        r#"{"public_key_b64": "BPUB", "claims_email": "mailto:a@b.c"}"#,
    )
    .unwrap();
}
