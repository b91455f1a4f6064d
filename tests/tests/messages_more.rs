//! More text-message cases over a real socket (messages.md, rate-limits.md, decisions.md
//! §14, §16, §17): denials without own rights, the rate-limited and timed-out edit and
//! reactions, unpin errors, silent typing, wrongly typed fields, paging edge cases, replies
//! across channels, silent replies that mention, and reactors shown by username.
//!
//! Reading for wrongly typed fields: a field of the wrong type counts as missing, as
//! messages.md's Recommended rule 2 of message_new does for `content`; so each command
//! answers its "missing field" text and changes nothing.

use originchats_tests::expect::err;
use originchats_tests::{Backend, Client, TestServer, backend_tests};
use serde_json::{Value, json};

async fn start(b: Backend) -> TestServer {
    TestServer::start_with(b, json!({"auth": {"owners": ["boss"]}})).await
}

/// The owner and two users, each past the others' logins.
async fn cast(s: &TestServer) -> (Client, Client, Client) {
    let mut boss = s.login("boss").await;
    let mut alice = s.login("alice").await;
    let mut bob = s.login("bob").await;
    boss.sync().await;
    alice.sync().await;
    bob.sync().await;
    (boss, alice, bob)
}

/// Posts `content` to `channel` and returns the broadcast message.
async fn post_in(c: &mut Client, channel: &str, content: &str) -> Value {
    let v = c.request(json!({"cmd": "message_new", "channel": channel, "content": content})).await;
    assert_eq!(v["cmd"], "message_new", "{v}");
    v["message"].clone()
}

/// The owner creates a channel; every client then has its `channels_get` push read.
async fn create_channel(boss: &mut Client, others: &mut [&mut Client], name: &str, permissions: Value) {
    let reply =
        boss.request(json!({"cmd": "channel_create", "name": name, "type": "text", "permissions": permissions})).await;
    assert_eq!(reply["created"], true, "{reply}");
    boss.sync().await;
    for c in others.iter_mut() {
        c.sync().await;
    }
}

async fn get(c: &mut Client, channel: &str, id: &Value) -> Value {
    let v = c.request(json!({"cmd": "message_get", "channel": channel, "id": id})).await;
    assert_eq!(v["cmd"], "message_get", "{v}");
    v["message"].clone()
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

async fn own_rights_missing_deny_edit_delete_and_reactions(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    let perms =
        json!({"view": ["user"], "send": ["user"], "edit_own": ["admin"], "delete_own": ["admin"], "react": ["admin"]});
    create_channel(&mut boss, &mut [&mut alice, &mut bob], "strict", perms).await;
    let m = post_in(&mut alice, "strict", "mine").await;
    boss.sync().await;
    bob.sync().await;
    let id = m["id"].clone();
    let before = get(&mut alice, "strict", &id).await;
    let react = |cmd: &str| json!({"cmd": cmd, "channel": "strict", "id": id, "emoji": "👍"});
    let cases = [
        (
            json!({"cmd": "message_edit", "channel": "strict", "id": id, "content": "changed"}),
            err("message_edit", "You do not have permission to edit your own message in this channel"),
        ),
        (
            json!({"cmd": "message_delete", "channel": "strict", "id": id}),
            err("message_delete", "You do not have permission to delete your own message in this channel"),
        ),
        (
            react("message_react_add"),
            err("message_react_add", "You do not have permission to add reactions to this message"),
        ),
        (
            react("message_react_remove"),
            err("message_react_remove", "You do not have permission to remove reactions from this message"),
        ),
    ];
    for (req, expected) in &cases {
        assert_eq!(alice.request(req.clone()).await, *expected, "alice: {req}");
    }
    // Bob has no react right either (and may not edit or delete alice's message at all).
    for (req, expected) in &cases[2..] {
        assert_eq!(bob.request(req.clone()).await, *expected, "bob: {req}");
    }
    assert!(alice.sync().await.is_empty(), "refusals broadcast nothing to the author");
    assert!(bob.sync().await.is_empty(), "refusals broadcast nothing to viewers");
    assert!(boss.sync().await.is_empty(), "refusals broadcast nothing to the owner");
    assert_eq!(get(&mut alice, "strict", &id).await, before, "the message is unchanged");
    // The same commands in general (no such restrictions) go through: the refusals came
    // from the channel's lists, not from something else.
    let g = post_in(&mut alice, "general", "free").await;
    let ok =
        alice.request(json!({"cmd": "message_react_add", "channel": "general", "id": g["id"], "emoji": "👍"})).await;
    assert_eq!(ok["cmd"], "message_react_add", "{ok}");
}

async fn a_rate_limited_edit_gets_reason_and_length(b: Backend) {
    let limits = json!({"rate_limiting": {"enabled": true, "messages_per_minute": 2, "burst_limit": 100, "cooldown_seconds": 1}});
    let s = TestServer::start_with(b, limits).await;
    let mut alice = s.login("alice").await;
    let mut bob = s.login("bob").await;
    alice.sync().await;
    let m = post_in(&mut alice, "general", "one").await;
    post_in(&mut alice, "general", "two").await;
    bob.sync().await;
    let limited = alice
        .request(
            json!({"cmd": "message_edit", "channel": "general", "id": m["id"], "content": "edited", "listener": "e"}),
        )
        .await;
    let obj = limited.as_object().unwrap();
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["cmd", "length", "listener", "reason"], "reason and length, no wait_time: {limited}");
    assert_eq!(limited["cmd"], "rate_limit");
    assert_eq!(limited["listener"], "e");
    let reason = limited["reason"].as_str().unwrap();
    let wait: f64 = reason
        .strip_prefix("Rate limit exceeded. Wait ")
        .and_then(|r| r.strip_suffix(" seconds"))
        .unwrap_or_else(|| panic!("unexpected reason: {limited}"))
        .parse()
        .unwrap();
    let length = limited["length"].as_i64().unwrap_or_else(|| panic!("length must be an integer: {limited}"));
    assert!((50_000..=60_000).contains(&length), "{limited}");
    assert!((wait * 1000.0 - length as f64).abs() <= 100.0, "reason and length agree: {limited}");
    assert!(bob.sync().await.is_empty(), "no edit broadcast");
    let history = alice.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    assert_eq!(history["messages"][0]["content"], "one");
    assert!(history["messages"][0].get("edited").is_none(), "{history}");
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
    let before = get(&mut bob, "general", &id).await;
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
    assert_eq!(get(&mut bob, "general", &id).await, before, "content and reactions unchanged");
    // Reading still works while timed out.
    assert_eq!(get(&mut alice, "general", &id).await, before);
}

async fn unpin_errors_and_pinned_list_without_channel(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, _bob) = cast(&s).await;
    let m = post_in(&mut alice, "general", "pin me").await;
    boss.sync().await;
    let pinned = boss.request(json!({"cmd": "message_pin", "channel": "general", "id": m["id"]})).await;
    assert_eq!(pinned["pinned"], true, "{pinned}");
    alice.sync().await;
    let unpin = |id: Value| json!({"cmd": "message_unpin", "channel": "general", "id": id});
    assert_eq!(
        alice.request(unpin(m["id"].clone())).await,
        err("message_unpin", "You do not have permission to pin messages in this channel")
    );
    assert_eq!(
        boss.request(json!({"cmd": "message_unpin", "channel": "general"})).await,
        err("message_unpin", "Message ID is required")
    );
    assert_eq!(boss.request(unpin(json!("no-such-id"))).await, err("message_unpin", "Message not found"));
    assert_eq!(
        boss.request(json!({"cmd": "message_unpin", "id": m["id"]})).await,
        err("message_unpin", "Channel name not provided")
    );
    assert!(alice.sync().await.is_empty(), "failed unpins broadcast nothing");
    assert!(boss.sync().await.is_empty());
    let list = alice.request(json!({"cmd": "messages_pinned", "channel": "general"})).await;
    assert_eq!(list["messages"].as_array().unwrap().len(), 1, "still pinned: {list}");
    assert_eq!(list["messages"][0]["id"], m["id"]);
    assert_eq!(list["messages"][0]["pinned"], true);
    assert_eq!(
        alice.request(json!({"cmd": "messages_pinned"})).await,
        err("messages_pinned", "Channel name not provided")
    );
    assert_eq!(
        alice.request(json!({"cmd": "messages_pinned", "channel": ""})).await,
        err("messages_pinned", "Channel name not provided")
    );
}

async fn typing_where_one_may_view_but_not_send_is_dropped(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    create_channel(&mut boss, &mut [&mut alice, &mut bob], "news", json!({"view": ["user"], "send": ["admin"]})).await;
    alice.send(json!({"cmd": "typing", "channel": "news", "listener": "t"})).await;
    assert!(alice.sync().await.is_empty(), "no reply, no error, no own copy");
    assert!(bob.sync().await.is_empty(), "no typing broadcast to viewers");
    assert!(boss.sync().await.is_empty(), "no typing broadcast to the owner");
    // Where alice may send, typing is broadcast (so the silence above is the rule at work).
    let own = alice.request(json!({"cmd": "typing", "channel": "general"})).await;
    assert_eq!(own, json!({"cmd": "typing", "user": "alice", "channel": "general", "global": true}));
    assert_eq!(bob.recv().await, own);
}

async fn wrongly_typed_fields_count_as_missing(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    let m = post_in(&mut alice, "general", "target").await;
    let id = m["id"].clone();
    boss.sync().await;
    assert_eq!(boss.request(json!({"cmd": "message_pin", "channel": "general", "id": id})).await["pinned"], true);
    bob.sync().await;
    alice.sync().await;
    let before = get(&mut alice, "general", &id).await;
    let cases = [
        ("message_edit", json!({"id": 5, "channel": "general", "content": "x"}), "Invalid message edit format"),
        ("message_edit", json!({"id": id, "channel": ["general"], "content": "x"}), "Invalid message edit format"),
        ("message_edit", json!({"id": id, "channel": "general", "content": 7}), "Invalid message edit format"),
        ("message_edit", json!({"id": id, "channel": "general", "content": {"a": 1}}), "Invalid message edit format"),
        ("message_delete", json!({"id": 5, "channel": "general"}), "Invalid message delete format"),
        ("message_delete", json!({"id": id, "channel": true}), "Invalid message delete format"),
        ("message_get", json!({"id": 5, "channel": "general"}), "Channel name and message ID are required"),
        ("message_get", json!({"id": id, "channel": 3}), "Channel name and message ID are required"),
        ("messages_search", json!({"channel": "general", "query": 5}), "Channel name and query are required"),
        ("messages_search", json!({"channel": "general", "query": ["t"]}), "Channel name and query are required"),
        ("messages_search", json!({"channel": 1, "query": "target"}), "Channel name and query are required"),
        ("message_react_add", json!({"channel": "general", "id": 5, "emoji": "👍"}), "Message ID is required"),
        ("message_react_add", json!({"channel": "general", "id": id, "emoji": 5}), "Emoji is required"),
        (
            "message_react_add",
            json!({"channel": 5, "id": id, "emoji": "👍"}),
            "You do not have permission to add reactions to this message",
        ),
        ("message_react_remove", json!({"channel": "general", "id": [1], "emoji": "👍"}), "Message ID is required"),
        ("message_react_remove", json!({"channel": "general", "id": id, "emoji": false}), "Emoji is required"),
        (
            "message_react_remove",
            json!({"channel": {"x": 1}, "id": id, "emoji": "👍"}),
            "You do not have permission to remove reactions from this message",
        ),
    ];
    for (cmd, req, text) in cases {
        let mut req = req;
        req["cmd"] = json!(cmd);
        assert_eq!(alice.request(req.clone()).await, err(cmd, text), "{req}");
    }
    // Pins are the owner's; its wrongly typed fields likewise.
    for (req, text) in [
        (json!({"channel": 5, "id": id}), "Channel name not provided"),
        (json!({"channel": "general", "id": 5}), "Message ID is required"),
    ] {
        for cmd in ["message_pin", "message_unpin"] {
            let mut req = req.clone();
            req["cmd"] = json!(cmd);
            assert_eq!(boss.request(req.clone()).await, err(cmd, text), "{req}");
        }
    }
    assert!(alice.sync().await.is_empty(), "nothing was broadcast");
    assert!(bob.sync().await.is_empty(), "nothing was broadcast");
    assert!(boss.sync().await.is_empty(), "nothing was broadcast");
    assert_eq!(get(&mut bob, "general", &id).await, before, "the message is unchanged (still pinned)");
    let history = bob.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    assert_eq!(history["messages"].as_array().unwrap().len(), 1, "nothing deleted: {history}");
}

async fn paging_and_pings_reject_wrong_types(b: Backend) {
    let s = start(b).await;
    let mut alice = s.login("alice").await;
    // 101 messages, pipelined, then their broadcasts read back.
    for i in 0..101 {
        alice.send(json!({"cmd": "message_new", "channel": "general", "content": format!("m{i}")})).await;
    }
    for i in 0..101 {
        let v = alice.recv().await;
        assert_eq!((v["cmd"].clone(), v["message"]["content"].clone()), (json!("message_new"), json!(format!("m{i}"))));
    }
    let zero = alice.request(json!({"cmd": "messages_get", "channel": "general", "limit": 0})).await;
    let got: Vec<&str> = zero["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    let expected: Vec<String> = (1..101).map(|i| format!("m{i}")).collect();
    assert_eq!(got, expected, "limit 0 means 100: the newest 100, oldest first");
    assert_eq!(zero["range"], json!({"start": 0, "end": 0}), "range echoes the raw values");
    let bad = err("messages_get", "Invalid start or limit");
    for req in [
        json!({"start": 1.5}),
        json!({"start": 0.0}),
        json!({"start": {"id": "x"}}),
        json!({"start": [0]}),
        json!({"limit": 2.5}),
        json!({"limit": "5"}),
        json!({"limit": {}}),
    ] {
        let mut req = req;
        req["cmd"] = json!("messages_get");
        req["channel"] = json!("general");
        assert_eq!(alice.request(req.clone()).await, bad, "{req}");
    }
    let offset = err("pings_get", "Offset must be a non-negative number");
    for o in [json!("0"), json!("x"), json!(1.5), json!([])] {
        assert_eq!(alice.request(json!({"cmd": "pings_get", "offset": o})).await, offset, "offset {o}");
    }
    assert_eq!(
        alice.request(json!({"cmd": "pings_get", "limit": 2.5})).await,
        err("pings_get", "Limit must be a number between 1 and 100")
    );
}

async fn edit_and_delete_in_an_unknown_channel(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    let m = post_in(&mut alice, "general", "here").await;
    bob.sync().await;
    boss.sync().await;
    let id = m["id"].clone();
    for c in [&mut alice, &mut boss] {
        assert_eq!(
            c.request(json!({"cmd": "message_edit", "channel": "nowhere", "id": id, "content": "x"})).await,
            err("message_edit", "Message not found or cannot be edited")
        );
        assert_eq!(
            c.request(json!({"cmd": "message_delete", "channel": "nowhere", "id": id})).await,
            err("message_delete", "Message not found or cannot be deleted")
        );
    }
    assert!(bob.sync().await.is_empty(), "nothing was broadcast");
    let history = bob.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    assert_eq!(history["messages"].as_array().unwrap().len(), 1);
    assert_eq!(history["messages"][0]["content"], "here");
    assert!(history["messages"][0].get("edited").is_none());
}

async fn a_reply_must_target_the_same_channel(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    create_channel(&mut boss, &mut [&mut alice, &mut bob], "other", json!({"view": ["user"], "send": ["user"]})).await;
    let elsewhere = post_in(&mut alice, "other", "in other").await;
    bob.sync().await;
    boss.sync().await;
    let reply = json!({"cmd": "message_new", "channel": "general", "content": "answer", "reply_to": elsewhere["id"]});
    assert_eq!(bob.request(reply).await, err("message_new", "The message you're trying to reply to was not found"));
    assert!(alice.sync().await.is_empty(), "nothing was broadcast");
    assert!(boss.sync().await.is_empty(), "nothing was broadcast");
    let history = alice.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    assert_eq!(history["messages"], json!([]), "nothing was stored");
    // The same reply in the right channel works.
    let ok = bob
        .request(json!({"cmd": "message_new", "channel": "other", "content": "answer", "reply_to": elsewhere["id"]}))
        .await;
    assert_eq!(ok["message"]["reply_to"], json!({"id": elsewhere["id"], "user": "alice"}), "{ok}");
}

async fn a_silent_reply_that_mentions_still_pings(b: Backend) {
    let s = start(b).await;
    let (_boss, mut alice, mut bob) = cast(&s).await;
    let m = post_in(&mut alice, "general", "question").await;
    bob.sync().await;
    let quiet = bob
        .request(
            json!({"cmd": "message_new", "channel": "general", "content": "quiet", "reply_to": m["id"], "ping": false}),
        )
        .await;
    assert_eq!(quiet["message"]["ping"], false);
    assert!(quiet["message"].get("pings").is_none(), "a silent reply without mention pings nobody: {quiet}");
    let loud = bob
        .request(json!({"cmd": "message_new", "channel": "general", "content": "@alice look", "reply_to": m["id"], "ping": false}))
        .await;
    assert_eq!(loud["message"]["ping"], false);
    assert_eq!(
        loud["message"]["pings"],
        json!({"users": ["alice"], "roles": [], "replies": []}),
        "the mention counts, the silent reply does not: {loud}"
    );
    alice.sync().await;
    let pings = alice.request(json!({"cmd": "pings_get"})).await;
    assert_eq!(pings["total"], 1, "{pings}");
    assert_eq!(pings["messages"].as_array().unwrap().len(), 1, "{pings}");
    let p = &pings["messages"][0];
    assert_eq!(
        (p["id"].clone(), p["content"].clone(), p["user"].clone(), p["channel"].clone()),
        (loud["message"]["id"].clone(), json!("@alice look"), json!("bob"), json!("general"))
    );
    assert_eq!(p["reply_to"], json!({"id": m["id"], "user": "alice"}));
}

/// Alice's message with 👍 from bob and then boss; every client synced.
async fn reacted_message(s: &TestServer) -> (Client, Client, Client, Value) {
    let (mut boss, mut alice, mut bob) = cast(s).await;
    let m = post_in(&mut alice, "general", "react here").await;
    let id = m["id"].clone();
    boss.sync().await;
    bob.sync().await;
    let r = bob.request(json!({"cmd": "message_react_add", "channel": "general", "id": id, "emoji": "👍"})).await;
    assert_eq!(r["from"], "bob");
    boss.sync().await;
    let r = boss.request(json!({"cmd": "message_react_add", "channel": "general", "id": id, "emoji": "👍"})).await;
    assert_eq!(r["from"], "boss");
    alice.sync().await;
    bob.sync().await;
    (boss, alice, bob, id)
}

async fn message_get_shows_reactors_by_username(b: Backend) {
    let s = start(b).await;
    let (_boss, mut alice, _bob, id) = reacted_message(&s).await;
    let got = get(&mut alice, "general", &id).await;
    assert_eq!(got["reactions"], json!({"👍": ["bob", "boss"]}), "usernames, never ids: {got}");
    assert!(!got.to_string().contains("USR:"), "{got}");
}

async fn the_edit_broadcast_shows_reactors_by_username(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob, id) = reacted_message(&s).await;
    alice.send(json!({"cmd": "message_edit", "channel": "general", "id": id, "content": "edited"})).await;
    let own = alice.recv().await;
    let seen = bob.recv().await;
    assert_eq!(own, seen);
    assert_eq!(seen["cmd"], "message_edit");
    assert_eq!(seen["message"]["reactions"], json!({"👍": ["bob", "boss"]}), "usernames, never ids: {seen}");
    assert!(!seen.to_string().contains("USR:"), "{seen}");
    assert_eq!(boss.recv().await, seen);
}

backend_tests!(
    own_rights_missing_deny_edit_delete_and_reactions,
    a_rate_limited_edit_gets_reason_and_length,
    a_timeout_blocks_edits_and_reactions,
    unpin_errors_and_pinned_list_without_channel,
    typing_where_one_may_view_but_not_send_is_dropped,
    wrongly_typed_fields_count_as_missing,
    paging_and_pings_reject_wrong_types,
    edit_and_delete_in_an_unknown_channel,
    a_reply_must_target_the_same_channel,
    a_silent_reply_that_mentions_still_pings,
    message_get_shows_reactors_by_username,
    the_edit_broadcast_shows_reactors_by_username,
);
