//! Moderation over a real socket (docs/design/moderation.md#timeouts,
//! docs/design/moderation.md#self-moderation): `user_ban` / `user_unban` (every connection closed, the next login refused),
//! `user_timeout` (what it blocks: posts, typing, edits and reactions; across a restart,
//! across `user_leave`, for a name never seen) and `rate_limit_status` / `rate_limit_reset`,
//! with rate limiting on and off.

use originchats_tests::expect::{err, next_cmd, owner_only};
use originchats_tests::scenes::{cast, get_message, post_in, start, start_with};
use originchats_tests::{Backend, Client, backend_tests};
use serde_json::{Value, json};

/// Waits for a `users_list` push and `user_disconnect` of `who`, in either order (the
/// disconnect follows the closing of the sockets); nothing else may arrive. Returns the list.
async fn push_and_departure(c: &mut Client, who: &str) -> Value {
    let (mut list, mut gone) = (None, false);
    while list.is_none() || !gone {
        let v = c.recv().await;
        match v["cmd"].as_str().unwrap() {
            "users_list" => list = Some(v),
            "user_disconnect" if v["username"] == who => gone = true,
            other => panic!("unexpected {other}: {v}"),
        }
    }
    list.unwrap()
}

/// Asserts a `rate_limit` packet for a running timeout of about `seconds`:
/// exactly `cmd`, `reason` ("You are in timeout for … more seconds") and `length` (ms).
fn assert_timeout_packet(v: &Value, seconds: i64) {
    let obj = v.as_object().unwrap_or_else(|| panic!("not an object: {v}"));
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["cmd", "length", "reason"], "{v}");
    assert_eq!(v["cmd"], "rate_limit", "{v}");
    let reason = v["reason"].as_str().unwrap();
    assert!(reason.starts_with("You are in timeout for ") && reason.ends_with(" more seconds"), "{v}");
    let length = v["length"].as_i64().unwrap_or_else(|| panic!("length must be an integer: {v}"));
    assert!((seconds * 1000 - 5000..=seconds * 1000).contains(&length), "{v}");
}

/// Asserts a `rate_limit` packet for a running timeout of about `seconds` (within 10 s).
fn assert_in_timeout(v: &Value, seconds: i64) {
    assert_eq!(v["cmd"], "rate_limit", "{v}");
    let reason = v["reason"].as_str().unwrap_or_else(|| panic!("no reason: {v}"));
    assert!(reason.starts_with("You are in timeout for ") && reason.ends_with(" more seconds"), "{v}");
    let length = v["length"].as_i64().unwrap_or_else(|| panic!("length must be an integer: {v}"));
    assert!((seconds * 1000 - 10_000..=seconds * 1000).contains(&length), "{v}");
}

async fn ban_closes_every_connection_and_refuses_the_next_login(b: Backend) {
    let s = start(b).await;
    let mut boss = s.login("boss").await;
    let mut m1 = s.login("mallory").await;
    let mut m2 = s.login("mallory").await;
    let mut watcher = s.login("watcher").await;
    boss.sync().await;
    watcher.sync().await;
    m1.sync().await;
    m2.sync().await;
    assert_eq!(m1.request(json!({"cmd": "user_ban", "user": "boss"})).await, owner_only("user_ban"));
    assert_eq!(boss.request(json!({"cmd": "user_ban"})).await, err("user_ban", "User parameter is required"));
    assert_eq!(
        boss.request(json!({"cmd": "user_ban", "user": "BOSS"})).await,
        err("user_ban", "You cannot ban yourself")
    );
    let banned = boss.request(json!({"cmd": "user_ban", "user": "Mallory"})).await;
    assert_eq!(banned, json!({"cmd": "user_ban", "user": "mallory", "banned": true}));
    let list = push_and_departure(&mut boss, "mallory").await;
    assert!(!list.to_string().contains("mallory"), "a banned user leaves the list");
    for m in [&mut m1, &mut m2] {
        let notice = next_cmd(m, "auth_error").await;
        assert_eq!(notice, json!({"cmd": "auth_error", "val": "Access denied: You are banned from this server"}));
        m.closed().await;
    }
    let list = push_and_departure(&mut watcher, "mallory").await;
    assert!(!list.to_string().contains("mallory"), "a banned user leaves the list");
    let mut again = s.connect().await;
    let refused = again.request(json!({"cmd": "auth", "validator": "good:USR:mallory:mallory"})).await;
    assert_eq!(refused, json!({"cmd": "auth_error", "val": "Access denied: You are banned from this server"}));
    assert_eq!(boss.request(json!({"cmd": "user_ban", "user": "mallory"})).await["banned"], false);
    assert_eq!(
        boss.request(json!({"cmd": "user_ban", "user": "nobody"})).await,
        json!({"cmd": "user_ban", "user": "nobody", "banned": false})
    );
    assert_eq!(boss.request(json!({"cmd": "users_banned_list"})).await["users"], json!(["mallory"]));
    let unbanned = boss.request(json!({"cmd": "user_unban", "user": "mallory"})).await;
    assert_eq!(unbanned, json!({"cmd": "user_unban", "user": "mallory", "unbanned": true}));
    boss.sync().await;
    assert_eq!(boss.request(json!({"cmd": "user_unban", "user": "mallory"})).await["unbanned"], false);
    again.auth("good:USR:mallory:mallory").await;
}

async fn timeouts_block_and_survive_a_restart(b: Backend) {
    let mut s = start(b).await;
    let mut boss = s.login("boss").await;
    let mut alice = s.login("alice").await;
    boss.sync().await;
    let t = |v: Value| json!({"cmd": "user_timeout", "user": "alice", "timeout": v});
    assert_eq!(alice.request(t(json!(5))).await, owner_only("user_timeout"));
    assert_eq!(
        boss.request(json!({"cmd": "user_timeout", "user": "alice"})).await,
        err("user_timeout", "Timeout must be provided")
    );
    assert_eq!(boss.request(t(json!(1.5))).await, err("user_timeout", "Timeout must be a positive integer"));
    assert_eq!(boss.request(t(json!(-3))).await, err("user_timeout", "Timeout must be a positive integer"));
    assert_eq!(
        boss.request(json!({"cmd": "user_timeout", "timeout": 5})).await,
        err("user_timeout", "User parameter is required")
    );
    assert_eq!(
        boss.request(json!({"cmd": "user_timeout", "user": "boss", "timeout": 5})).await,
        err("user_timeout", "You cannot time out yourself")
    );
    assert_eq!(boss.request(t(json!(300))).await, json!({"cmd": "user_timeout", "user": "alice", "timeout": 300}));
    assert_eq!(alice.recv().await, json!({"cmd": "rate_limit", "reason": "User timeout set", "length": 300000}));
    let blocked = alice.request(json!({"cmd": "message_new", "channel": "general", "content": "hi"})).await;
    assert_eq!(blocked["cmd"], "rate_limit");
    assert!(blocked["reason"].as_str().unwrap().starts_with("You are in timeout for "), "{blocked}");
    assert!((299_000..=300_000).contains(&blocked["length"].as_i64().unwrap()), "{blocked}");
    s.restart();
    let mut alice = s.login("alice").await;
    let blocked = alice.request(json!({"cmd": "typing", "channel": "general"})).await;
    assert_eq!(blocked["cmd"], "rate_limit", "the timeout survived the restart");
    assert_eq!(blocked["wait_time"], blocked["length"]);
    let mut boss = s.login("boss").await;
    alice.sync().await;
    assert_eq!(boss.request(t(json!(0))).await, json!({"cmd": "user_timeout", "user": "alice", "timeout": 0}));
    let ok = alice.request(json!({"cmd": "message_new", "channel": "general", "content": "free"})).await;
    assert_eq!(ok["cmd"], "message_new", "timeout 0 clears");
}

async fn a_timeout_blocks_edits_and_reactions(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    let m = post_in(&mut alice, "general", "before the timeout").await;
    let id = m["id"].clone();
    let react = |cmd: &str, emoji: &str| json!({"cmd": cmd, "channel": "general", "id": id, "emoji": emoji});
    assert_eq!(alice.request(react("message_react_add", "👍")).await["cmd"], "message_react_add");
    boss.sync().await;
    bob.sync().await;
    let before = get_message(&mut bob, "general", &id).await;
    let t = boss.request(json!({"cmd": "user_timeout", "user": "alice", "timeout": 300})).await;
    assert_eq!(t, json!({"cmd": "user_timeout", "user": "alice", "timeout": 300}));
    assert_eq!(alice.recv().await, json!({"cmd": "rate_limit", "reason": "User timeout set", "length": 300000}));
    let edit = json!({"cmd": "message_edit", "channel": "general", "id": id, "content": "during"});
    for req in [edit, react("message_react_add", "🎉"), react("message_react_remove", "👍")] {
        let got = alice.request(req.clone()).await;
        assert_timeout_packet(&got, 300);
    }
    assert!(bob.sync().await.is_empty(), "nothing was broadcast");
    assert!(boss.sync().await.is_empty(), "nothing was broadcast");
    assert_eq!(get_message(&mut bob, "general", &id).await, before, "content and reactions unchanged");
    // Reading still works while timed out.
    assert_eq!(get_message(&mut alice, "general", &id).await, before);
}

async fn a_timeout_survives_leaving_and_coming_back(b: Backend) {
    let s = start(b).await;
    let mut boss = s.login("boss").await;
    let mut alice = s.login("alice").await;
    boss.sync().await;
    let t = boss.request(json!({"cmd": "user_timeout", "user": "alice", "timeout": 300})).await;
    assert_eq!(t, json!({"cmd": "user_timeout", "user": "alice", "timeout": 300}));
    assert_eq!(alice.recv().await, json!({"cmd": "rate_limit", "reason": "User timeout set", "length": 300000}));
    alice.send(json!({"cmd": "user_leave"})).await;
    assert_eq!(alice.recv().await, json!({"cmd": "user_leave", "username": "alice"}));
    assert_eq!(alice.recv().await, json!({"cmd": "user_leave", "user": "alice", "val": "User left server"}));
    alice.closed().await;
    assert_eq!(boss.expect_cmd("user_leave").await, json!({"cmd": "user_leave", "username": "alice"}));
    let mut back = s.connect().await;
    back.auth("good:USR:alice:alice").await;
    assert_eq!(back.expect_cmd("user_join").await["user"]["username"], "alice", "a fresh user record");
    back.sync().await;
    let blocked = back.request(json!({"cmd": "message_new", "channel": "general", "content": "I'm back"})).await;
    assert_in_timeout(&blocked, 300);
    let blocked = back.request(json!({"cmd": "typing", "channel": "general"})).await;
    assert_in_timeout(&blocked, 300);
    boss.send(json!({"cmd": "messages_get", "channel": "general"})).await;
    let history = boss.expect_cmd("messages_get").await;
    assert_eq!(history["messages"], json!([]), "nothing was posted");
}

async fn a_timeout_for_a_name_never_seen_applies_at_first_login(b: Backend) {
    let s = start(b).await;
    let mut boss = s.login("boss").await;
    let t = boss.request(json!({"cmd": "user_timeout", "user": "newbie", "timeout": 300})).await;
    assert_eq!(t, json!({"cmd": "user_timeout", "user": "newbie", "timeout": 300}));
    let mut newbie = s.login("newbie").await;
    let blocked = newbie.request(json!({"cmd": "message_new", "channel": "general", "content": "hello"})).await;
    assert_in_timeout(&blocked, 300);
    // Another new user is not affected.
    let mut other = s.login("other").await;
    let ok = other.request(json!({"cmd": "message_new", "channel": "general", "content": "hello"})).await;
    assert_eq!(ok["cmd"], "message_new", "{ok}");
    boss.send(json!({"cmd": "messages_get", "channel": "general"})).await;
    let history = boss.expect_cmd("messages_get").await;
    let authors: Vec<&Value> = history["messages"].as_array().unwrap().iter().map(|m| &m["user"]).collect();
    assert_eq!(authors, [&json!("other")]);
}

async fn rate_limit_commands(b: Backend) {
    let s = start_with(
        b,
        json!({"rate_limiting": {"enabled": true, "messages_per_minute": 5, "burst_limit": 2, "cooldown_seconds": 30}}),
    )
    .await;
    let mut boss = s.login("boss").await;
    let mut bob = s.login("bob").await;
    boss.sync().await;
    for _ in 0..2 {
        bob.request(json!({"cmd": "message_new", "channel": "general", "content": "x"})).await;
    }
    let limited =
        bob.request(json!({"cmd": "message_new", "channel": "general", "content": "x", "listener": "r"})).await;
    assert_eq!(
        limited,
        json!({"cmd": "rate_limit", "reason": "Burst limit exceeded. You're in cooldown for 30 seconds", "length": 30000, "listener": "r"})
    );
    let status = bob.request(json!({"cmd": "rate_limit_status"})).await;
    assert_eq!(status["user"], "bob");
    assert_eq!(status["status"]["messages_this_minute"], 2);
    assert_eq!(status["status"]["messages_per_minute_limit"], 5);
    assert_eq!(status["status"]["recent_messages"], 2);
    assert_eq!(status["status"]["burst_limit"], 2);
    assert!(status["status"]["cooldown_remaining"].as_f64().unwrap() > 29.0);
    assert_eq!(status["status"]["timeout_remaining"], 0);
    assert_eq!(
        bob.request(json!({"cmd": "rate_limit_status", "user": "boss"})).await,
        err("rate_limit_status", "Access denied: can only check your own rate limit status")
    );
    boss.sync().await;
    assert_eq!(
        boss.request(json!({"cmd": "rate_limit_status", "user": "bob"})).await["status"]["messages_this_minute"],
        2
    );
    assert_eq!(
        bob.request(json!({"cmd": "rate_limit_reset", "user": "bob"})).await,
        err("rate_limit_reset", "Access denied: 'owner' role required")
    );
    assert_eq!(
        boss.request(json!({"cmd": "rate_limit_reset"})).await,
        err("rate_limit_reset", "User parameter is required")
    );
    let reset = boss.request(json!({"cmd": "rate_limit_reset", "user": "BOB"})).await;
    assert_eq!(reset, json!({"cmd": "rate_limit_reset", "user": "bob", "val": "Rate limit reset for user bob"}));
    assert_eq!(
        bob.request(json!({"cmd": "message_new", "channel": "general", "content": "again"})).await["cmd"],
        "message_new"
    );
}

async fn rate_limit_commands_when_disabled(b: Backend) {
    let s = start(b).await;
    let mut boss = s.login("boss").await;
    let mut bob = s.login("bob").await;
    boss.sync().await;
    assert_eq!(
        bob.request(json!({"cmd": "rate_limit_status"})).await,
        err("rate_limit_status", "Rate limiter not available or disabled")
    );
    assert_eq!(
        boss.request(json!({"cmd": "rate_limit_reset", "user": "bob"})).await,
        err("rate_limit_reset", "Rate limiter not available or disabled")
    );
}

backend_tests!(
    ban_closes_every_connection_and_refuses_the_next_login,
    timeouts_block_and_survive_a_restart,
    a_timeout_blocks_edits_and_reactions,
    a_timeout_survives_leaving_and_coming_back,
    a_timeout_for_a_name_never_seen_applies_at_first_login,
    rate_limit_commands,
    rate_limit_commands_when_disabled,
);
