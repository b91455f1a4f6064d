//! Pins and reactions over a real socket (docs/design/channels.md#channel-names, docs/design/moderation.md#timeouts): `message_pin` /
//! `message_unpin` (the pin right, every error text, `pinned: false`), `messages_pinned`,
//! `message_react_add` / `message_react_remove` (repeats, unknown emoji, the last removal),
//! reactors shown by username in `message_get` and in the edit broadcast, and the defences
//! of reactions: at most 20 different emoji per message and 10 reactions per user on it
//! (with rate limiting on or off), and a rate-limit bucket of their own.

use originchats_tests::expect::{err, settle};
use originchats_tests::scenes::{
    cast, contents, get_message, post, post_in, start, start_with, start_with_small_limits,
};
use originchats_tests::{Backend, Client, TestServer, backend_tests};
use serde_json::{Value, json};

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

async fn pins_need_the_pin_right_and_view(b: Backend) {
    let s = start_with_small_limits(b).await;
    let (mut boss, mut alice, _bob) = cast(&s).await;
    let m1 = post(&mut alice, "m1").await;
    let m2 = post(&mut alice, "m2").await;
    boss.sync().await;
    let pin = |id: &Value| json!({"cmd": "message_pin", "channel": "general", "id": id});
    assert_eq!(
        alice.request(pin(&m1["id"])).await,
        err("message_pin", "You do not have permission to pin messages in this channel")
    );
    let pinned = boss.request(pin(&m1["id"])).await;
    assert_eq!(
        pinned,
        json!({"cmd": "message_pin", "id": m1["id"], "channel": "general", "pinned": true, "global": true})
    );
    assert_eq!(alice.recv().await, pinned);
    boss.request(pin(&m2["id"])).await;
    alice.recv().await;
    let list = alice.request(json!({"cmd": "messages_pinned", "channel": "general"})).await;
    assert_eq!(contents(&list["messages"]), ["m2", "m1"]);
    let unpin =
        boss.request(json!({"cmd": "message_pin", "channel": "general", "id": m2["id"], "pinned": false})).await;
    assert_eq!(
        unpin,
        json!({"cmd": "message_unpin", "id": m2["id"], "channel": "general", "pinned": false, "global": true})
    );
    alice.recv().await;
    let unpin = boss.request(json!({"cmd": "message_unpin", "channel": "general", "id": m1["id"]})).await;
    assert_eq!(unpin["pinned"], false);
    alice.recv().await;
    assert_eq!(
        contents(&alice.request(json!({"cmd": "messages_pinned", "channel": "general"})).await["messages"]),
        Vec::<String>::new()
    );
    assert_eq!(boss.request(pin(&json!("nope"))).await, err("message_pin", "Message not found"));
    assert_eq!(
        boss.request(json!({"cmd": "message_pin", "channel": "general"})).await,
        err("message_pin", "Message ID is required")
    );
    assert_eq!(
        boss.request(json!({"cmd": "message_pin", "id": "x"})).await,
        err("message_pin", "Channel name not provided")
    );
    assert!(alice.sync().await.is_empty(), "failed pins broadcast nothing");
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

async fn reactions_add_and_remove(b: Backend) {
    let s = start_with_small_limits(b).await;
    let (_boss, mut alice, mut bob) = cast(&s).await;
    let m = post(&mut alice, "react to me").await;
    bob.sync().await;
    let react = |cmd: &str, emoji: &str| json!({"cmd": cmd, "channel": "general", "id": m["id"], "emoji": emoji});
    let added = bob.request(react("message_react_add", "👍")).await;
    assert_eq!(
        added,
        json!({"cmd": "message_react_add", "id": m["id"], "emoji": "👍", "channel": "general", "from": "bob", "global": true})
    );
    assert_eq!(alice.recv().await, added);
    assert_eq!(alice.request(react("message_react_add", "👍")).await["from"], "alice");
    bob.recv().await;
    assert_eq!(
        bob.request(react("message_react_add", "👍")).await["cmd"],
        "message_react_add",
        "a repeated add is a no-op that still answers"
    );
    alice.recv().await;
    let history = alice.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    assert_eq!(history["messages"][0]["reactions"], json!({"👍": ["bob", "alice"]}));
    assert_eq!(
        bob.request(react("message_react_add", "nope")).await,
        err("message_react_add", "Failed to add reaction")
    );
    assert_eq!(
        bob.request(react("message_react_remove", "🎉")).await,
        err("message_react_remove", "Failed to remove reaction")
    );
    assert_eq!(
        bob.request(json!({"cmd": "message_react_add", "channel": "general", "id": m["id"]})).await,
        err("message_react_add", "Emoji is required")
    );
    assert_eq!(
        bob.request(json!({"cmd": "message_react_add", "channel": "general"})).await,
        err("message_react_add", "Message ID is required")
    );
    bob.request(react("message_react_remove", "👍")).await;
    alice.recv().await;
    alice.request(react("message_react_remove", "👍")).await;
    let history = alice.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    assert!(history["messages"][0].get("reactions").is_none(), "the last removal drops the map");
}

async fn message_get_shows_reactors_by_username(b: Backend) {
    let s = start(b).await;
    let (_boss, mut alice, _bob, id) = reacted_message(&s).await;
    let got = get_message(&mut alice, "general", &id).await;
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

/// Emoji `range` of the emoticons block (U+1F600…), every one a single emoji.
fn emoji(range: std::ops::Range<u32>) -> Vec<String> {
    range.map(|i| char::from_u32(0x1F600 + i).unwrap().to_string()).collect()
}

fn react_add(id: &Value, emoji: &str) -> Value {
    json!({"cmd": "message_react_add", "channel": "general", "id": id, "emoji": emoji})
}

/// `who` adds each of `emoji` to message `id`, each answered by its own broadcast.
async fn add_all(who: &mut Client, name: &str, id: &Value, emoji: &[String]) {
    for e in emoji {
        let added = who.request(react_add(id, e)).await;
        assert_eq!(
            added,
            json!({"cmd": "message_react_add", "id": id, "emoji": e, "channel": "general", "from": name, "global": true})
        );
    }
}

/// A message takes at most 20 different emoji and a user at most 10 reactions on it; a
/// refused reaction changes nothing and reaches nobody.
async fn reaction_caps_hold(s: &TestServer) {
    let (mut boss, mut alice, mut bob) = cast(s).await;
    let m = post(&mut boss, "react to me").await;
    let id = m["id"].clone();
    settle(&mut [&mut alice, &mut bob]).await;
    add_all(&mut alice, "alice", &id, &emoji(0..10)).await;
    settle(&mut [&mut boss, &mut bob]).await;
    let before = get_message(&mut alice, "general", &id).await;
    assert_eq!(
        alice.request(react_add(&id, &emoji(10..11)[0])).await,
        err("message_react_add", "You have too many reactions on this message"),
        "an eleventh reaction of one user"
    );
    add_all(&mut bob, "bob", &id, &emoji(10..20)).await;
    settle(&mut [&mut boss, &mut alice]).await;
    assert_eq!(
        alice.request(react_add(&id, &emoji(15..16)[0])).await,
        err("message_react_add", "You have too many reactions on this message"),
        "an eleventh reaction of one user, with an emoji already on the message"
    );
    let full = get_message(&mut boss, "general", &id).await;
    assert_eq!(full["reactions"].as_object().unwrap().len(), 20, "{full}");
    assert_eq!(full["reactions"][&emoji(0..1)[0]], json!(["alice"]));
    assert_eq!(
        boss.request(react_add(&id, &emoji(20..21)[0])).await,
        err("message_react_add", "This message has too many different reactions"),
        "a twenty-first different emoji"
    );
    assert!(alice.sync().await.is_empty(), "no refused reaction was broadcast");
    assert!(bob.sync().await.is_empty(), "no refused reaction was broadcast");
    assert_eq!(get_message(&mut boss, "general", &id).await, full, "the refusals changed nothing");
    let mut expected = before["reactions"].clone();
    for e in emoji(10..20) {
        expected[&e] = json!(["bob"]);
    }
    assert_eq!(full["reactions"], expected);
    // An emoji already on the message may still be added by someone else, and a user at the
    // cap may repeat one of their own (a no-op).
    let first = &emoji(0..1)[0];
    let added = boss.request(react_add(&id, first)).await;
    assert_eq!((&added["cmd"], &added["from"]), (&json!("message_react_add"), &json!("boss")), "{added}");
    assert_eq!(alice.recv().await, added);
    let again = alice.request(react_add(&id, first)).await;
    assert_eq!((&again["cmd"], &again["from"]), (&json!("message_react_add"), &json!("alice")), "{again}");
    let pushed = bob.sync().await;
    assert_eq!(pushed, [added, again], "bob saw both");
    let after = get_message(&mut bob, "general", &id).await;
    assert_eq!(after["reactions"][first], json!(["alice", "boss"]));
    assert_eq!(after["reactions"].as_object().unwrap().len(), 20);
}

async fn reactions_are_capped_per_message_and_per_user(b: Backend) {
    reaction_caps_hold(&start(b).await).await;
}

async fn reaction_caps_hold_with_rate_limiting_on(b: Backend) {
    let limits = json!({"rate_limiting": {"enabled": true, "messages_per_minute": 1000, "burst_limit": 1000,
        "burst_window_seconds": 10, "cooldown_seconds": 5}});
    reaction_caps_hold(&start_with(b, limits).await).await;
}

async fn reactions_draw_on_a_bucket_of_their_own(b: Backend) {
    let limits = json!({"rate_limiting": {"enabled": true, "messages_per_minute": 1000, "burst_limit": 3,
        "burst_window_seconds": 10, "cooldown_seconds": 5}});
    let s = start_with(b, limits).await;
    let (_boss, mut alice, mut bob) = cast(&s).await;
    // Alice's own message takes one slot of her message bucket.
    let m = post(&mut alice, "react to me").await;
    let id = m["id"].clone();
    bob.sync().await;
    add_all(&mut alice, "alice", &id, &emoji(0..3)).await;
    assert_eq!(bob.sync().await.len(), 3, "three reactions went out");
    let mut fourth = react_add(&id, &emoji(3..4)[0]);
    fourth["listener"] = json!("r4");
    assert_eq!(
        alice.request(fourth).await,
        json!({"cmd": "rate_limit", "reason": "Burst limit exceeded. You're in cooldown for 5 seconds", "length": 5000, "listener": "r4"})
    );
    let remove = json!({"cmd": "message_react_remove", "channel": "general", "id": id, "emoji": emoji(0..1)[0]});
    let limited = alice.request(remove).await;
    assert_eq!(limited["cmd"], "rate_limit", "removals draw on the same bucket: {limited}");
    assert!(limited["reason"].as_str().unwrap().starts_with("You are in cooldown for "), "{limited}");
    assert!(bob.sync().await.is_empty(), "the refused reactions went nowhere");
    let stored = get_message(&mut bob, "general", &id).await;
    let expected: serde_json::Map<String, Value> = emoji(0..3).into_iter().map(|e| (e, json!(["alice"]))).collect();
    assert_eq!(stored["reactions"], Value::Object(expected));
    // Her messages have a bucket of their own: she may still post.
    assert_eq!(post(&mut alice, "still here").await["content"], "still here");
}

backend_tests!(
    pins_need_the_pin_right_and_view,
    unpin_errors_and_pinned_list_without_channel,
    reactions_add_and_remove,
    message_get_shows_reactors_by_username,
    the_edit_broadcast_shows_reactors_by_username,
    reactions_are_capped_per_message_and_per_user,
    reaction_caps_hold_with_rate_limiting_on,
    reactions_draw_on_a_bucket_of_their_own,
);
