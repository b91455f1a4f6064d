//! Editing and deleting messages over a real socket (docs/design/channels.md#channel-names, docs/design/rate-limits.md,
//! docs/design/permissions.md#view-first, docs/design/moderation.md#timeouts, docs/design/rate-limits.md#buckets): the `message_edit` broadcast (with `position`) and its error
//! texts, `message_delete` by the author or by someone with the delete right, a channel
//! whose `edit_own` / `delete_own` / `react` lists leave the author out, a rate-limited edit
//! (reason and length), edit and delete in an unknown channel, and wrongly typed fields of
//! every message command; an edit to invisible text is refused as empty.
//!
//! Reading for wrongly typed fields: a field of the wrong type counts as missing, as
//! docs/design/channels.md#channel-names's Recommended rule 2 of message_new does for `content`; so each command
//! answers its "missing field" text and changes nothing.

use originchats_tests::expect::err;
use originchats_tests::scenes::{cast, create_channel, get_message, post, post_in, start, start_with_small_limits};
use originchats_tests::{Backend, TestServer, backend_tests};
use serde_json::{Value, json};

async fn editing_own_messages_broadcasts_with_position(b: Backend) {
    let s = start_with_small_limits(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    post(&mut alice, "one").await;
    let m = post(&mut alice, "two").await;
    boss.sync().await;
    bob.sync().await;
    let id = m["id"].as_str().unwrap();
    alice.send(json!({"cmd": "message_edit", "id": id, "channel": "general", "content": " 2 ", "listener": "e"})).await;
    let own = alice.recv().await;
    let seen = bob.recv().await;
    assert_eq!(own["listener"], "e");
    let mut expected_msg = m.clone();
    expected_msg["content"] = json!("2");
    expected_msg["edited"] = json!(true);
    expected_msg["position"] = json!(2);
    assert_eq!(
        seen,
        json!({"cmd": "message_edit", "id": id, "content": "2", "message": expected_msg, "channel": "general", "global": true})
    );
    assert_eq!(boss.recv().await, seen);
    let e = |v: &str| err("message_edit", v);
    let cases = [
        (json!({"id": id, "channel": "general"}), e("Invalid message edit format")),
        (json!({"id": "nope", "channel": "general", "content": "x"}), e("Message not found or cannot be edited")),
        (json!({"id": id, "channel": "general", "content": "  "}), e("Message content cannot be empty")),
        (
            json!({"id": id, "channel": "general", "content": "x".repeat(21)}),
            e("Message too long. Maximum length is 20 characters"),
        ),
    ];
    for (mut req, expected) in cases {
        req["cmd"] = json!("message_edit");
        assert_eq!(alice.request(req).await, expected);
    }
    let other = json!({"cmd": "message_edit", "id": id, "channel": "general", "content": "hijack"});
    assert_eq!(bob.request(other.clone()).await, e("You do not have permission to edit this message"));
    assert_eq!(boss.request(other).await, e("You do not have permission to edit this message"), "not even the owner");
    let history = alice.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    assert_eq!(history["messages"][1]["content"], "2");
    assert_eq!(history["messages"][1]["edited"], true);
    assert!(history["messages"][1].get("position").is_none());
    assert!(bob.sync().await.is_empty(), "refused edits broadcast nothing");
}

async fn deleting_follows_own_and_others_rights(b: Backend) {
    let s = start_with_small_limits(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    let a1 = post(&mut alice, "a1").await;
    let a2 = post(&mut alice, "a2").await;
    bob.sync().await;
    boss.sync().await;
    let del = |id: &Value| json!({"cmd": "message_delete", "id": id, "channel": "general"});
    assert_eq!(
        bob.request(del(&a1["id"])).await,
        err("message_delete", "You do not have permission to delete this message")
    );
    let gone = alice.request(del(&a1["id"])).await;
    assert_eq!(gone, json!({"cmd": "message_delete", "id": a1["id"], "channel": "general", "global": true}));
    assert_eq!(bob.recv().await, gone);
    assert_eq!(boss.recv().await, gone);
    let gone = boss.request(del(&a2["id"])).await;
    assert_eq!(gone["cmd"], "message_delete", "the owner may delete others' messages");
    assert_eq!(alice.recv().await, gone);
    assert_eq!(alice.request(del(&a1["id"])).await, err("message_delete", "Message not found or cannot be deleted"));
    assert_eq!(
        alice.request(json!({"cmd": "message_delete", "id": "x"})).await,
        err("message_delete", "Invalid message delete format")
    );
    let history = alice.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    assert_eq!(history["messages"], json!([]));
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
    let before = get_message(&mut alice, "strict", &id).await;
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
    assert_eq!(get_message(&mut alice, "strict", &id).await, before, "the message is unchanged");
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

async fn wrongly_typed_fields_count_as_missing(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    let m = post_in(&mut alice, "general", "target").await;
    let id = m["id"].clone();
    boss.sync().await;
    assert_eq!(boss.request(json!({"cmd": "message_pin", "channel": "general", "id": id})).await["pinned"], true);
    bob.sync().await;
    alice.sync().await;
    let before = get_message(&mut alice, "general", &id).await;
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
    assert_eq!(get_message(&mut bob, "general", &id).await, before, "the message is unchanged (still pinned)");
    let history = bob.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    assert_eq!(history["messages"].as_array().unwrap().len(), 1, "nothing deleted: {history}");
}

async fn an_edit_to_invisible_text_is_refused(b: Backend) {
    let s = start(b).await;
    let (_boss, mut alice, mut bob) = cast(&s).await;
    let m = post_in(&mut alice, "general", "visible").await;
    bob.sync().await;
    let id = m["id"].clone();
    let before = get_message(&mut alice, "general", &id).await;
    for content in [
        "\u{200B}",
        "\u{200D}",
        "\u{2060}",
        "\u{FEFF}",
        "\u{200B}\u{200D}\u{2060}\u{FEFF}",
        " \u{200B} \u{FEFF} ",
        "\t\u{2060}\n\u{200D} ",
    ] {
        assert_eq!(
            alice.request(json!({"cmd": "message_edit", "channel": "general", "id": id, "content": content})).await,
            err("message_edit", "Message content cannot be empty"),
            "{content:?}"
        );
    }
    assert!(bob.sync().await.is_empty(), "nothing was broadcast");
    assert_eq!(get_message(&mut bob, "general", &id).await, before, "the message is unchanged");
    // A joined emoji (it contains U+200D) is content.
    let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}";
    let edited = alice.request(json!({"cmd": "message_edit", "channel": "general", "id": id, "content": family})).await;
    assert_eq!((&edited["cmd"], &edited["content"]), (&json!("message_edit"), &json!(family)), "{edited}");
    assert_eq!(bob.recv().await, edited);
    assert_eq!(get_message(&mut bob, "general", &id).await["content"], family);
}

backend_tests!(
    editing_own_messages_broadcasts_with_position,
    deleting_follows_own_and_others_rights,
    own_rights_missing_deny_edit_delete_and_reactions,
    a_rate_limited_edit_gets_reason_and_length,
    edit_and_delete_in_an_unknown_channel,
    wrongly_typed_fields_count_as_missing,
    an_edit_to_invisible_text_is_refused,
);
