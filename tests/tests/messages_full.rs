//! Every text-message command over a real socket (messages.md with decisions.md).

use originchats_tests::expect::err;
use originchats_tests::{Backend, Client, TestServer, backend_tests};
use serde_json::{Value, json};

async fn post(c: &mut Client, content: &str) -> Value {
    let v = c.request(json!({"cmd": "message_new", "channel": "general", "content": content})).await;
    assert_eq!(v["cmd"], "message_new", "{v}");
    v["message"].clone()
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap().to_owned()).collect()
}

/// An owner, two users and a guest (no `user` role, so no view on general), all synced.
async fn cast(s: &TestServer) -> (Client, Client, Client) {
    let boss = s.login("boss").await;
    let alice = s.login("alice").await;
    let bob = s.login("bob").await;
    let (mut boss, mut alice, mut bob) = (boss, alice, bob);
    boss.sync().await;
    alice.sync().await;
    bob.sync().await;
    (boss, alice, bob)
}

async fn start(b: Backend) -> TestServer {
    TestServer::start_with(
        b,
        json!({"auth": {"owners": ["boss"]}, "limits": {"post_content": 20, "search_results": 3}}),
    )
    .await
}

async fn editing_own_messages_broadcasts_with_position(b: Backend) {
    let s = start(b).await;
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
    let s = start(b).await;
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

async fn typing_reaches_viewers_and_the_sender(b: Backend) {
    let s = TestServer::start_with(
        b,
        json!({"DB": {"users": {"default": {"roles": ["guest"]}}}, "auth": {"owners": ["boss"]}}),
    )
    .await;
    let mut boss = s.login("boss").await;
    let mut guest = s.login("guest").await;
    boss.sync().await;
    let own = boss.request(json!({"cmd": "typing", "channel": "general", "listener": "t"})).await;
    assert_eq!(own, json!({"cmd": "typing", "user": "boss", "channel": "general", "global": true, "listener": "t"}));
    assert!(guest.sync().await.is_empty(), "no typing for someone who cannot view");
    assert_eq!(
        guest.request(json!({"cmd": "typing", "channel": "general"})).await,
        err("typing", "Access denied to this channel")
    );
    assert_eq!(boss.request(json!({"cmd": "typing"})).await, err("typing", "Channel name not provided"));
    assert_eq!(
        boss.request(json!({"cmd": "typing", "channel": "nope"})).await,
        err("typing", "Access denied to this channel")
    );
}

async fn typing_has_its_own_rate_limit_bucket(b: Backend) {
    let limits = json!({"rate_limiting": {"enabled": true, "messages_per_minute": 60, "burst_limit": 2, "cooldown_seconds": 30}});
    let s = TestServer::start_with(b, limits).await;
    let mut c = s.login("alice").await;
    for _ in 0..2 {
        assert_eq!(c.request(json!({"cmd": "typing", "channel": "general"})).await["cmd"], "typing");
    }
    let limited = c.request(json!({"cmd": "typing", "channel": "general", "listener": "l"})).await;
    assert_eq!(limited["cmd"], "rate_limit");
    assert_eq!(limited["reason"], "Burst limit exceeded. You're in cooldown for 30 seconds");
    assert_eq!(limited["length"], 30000);
    assert_eq!(limited["wait_time"], 30000);
    assert_eq!(limited["listener"], "l");
    assert_eq!(
        post(&mut c, "still allowed").await["content"],
        "still allowed",
        "typing did not use the message budget"
    );
}

async fn message_get_and_replies(b: Backend) {
    let s = start(b).await;
    let (_boss, mut alice, mut bob) = cast(&s).await;
    let parent = post(&mut alice, "parent").await;
    let pid = parent["id"].as_str().unwrap().to_owned();
    bob.sync().await;
    for i in 0..3 {
        let r = bob
            .request(json!({"cmd": "message_new", "channel": "general", "content": format!("r{i}"), "reply_to": pid}))
            .await;
        assert_eq!(r["message"]["reply_to"], json!({"id": pid, "user": "alice"}));
    }
    alice.sync().await;
    let got = alice.request(json!({"cmd": "message_get", "channel": "general", "id": pid})).await;
    let mut expected = parent.clone();
    expected["position"] = json!(1);
    assert_eq!(got, json!({"cmd": "message_get", "channel": "general", "message": expected}));
    let g = |v: &str| err("message_get", v);
    assert_eq!(
        alice.request(json!({"cmd": "message_get", "channel": "general"})).await,
        g("Channel name and message ID are required")
    );
    assert_eq!(
        alice.request(json!({"cmd": "message_get", "channel": "general", "id": "x"})).await,
        g("Message not found")
    );
    assert_eq!(
        alice.request(json!({"cmd": "message_get", "channel": "zz", "id": "x"})).await,
        g("Access denied to this channel")
    );
    let replies = alice.request(json!({"cmd": "message_replies", "channel": "general", "id": pid, "limit": 2})).await;
    assert_eq!(replies["cmd"], "message_replies");
    assert_eq!(replies["message_id"], pid.as_str());
    assert_eq!(ids(&replies["replies"]), ["r0", "r1"], "the oldest replies");
    let zero = alice.request(json!({"cmd": "message_replies", "channel": "general", "id": pid, "limit": 0})).await;
    assert_eq!(ids(&zero["replies"]), ["r0"], "limit is clamped to at least one");
    let bad = alice.request(json!({"cmd": "message_replies", "channel": "general", "id": pid, "limit": "x"})).await;
    assert_eq!(bad, err("message_replies", "Invalid limit"));
}

async fn search_is_case_insensitive_and_literal(b: Backend) {
    let s = start(b).await;
    let (_boss, mut alice, _bob) = cast(&s).await;
    for text in ["Deploy now", "deployed", "100% done", "a_b", "ÉCOLE", "x", "nothing"] {
        post(&mut alice, text).await;
    }
    let search = |q: &str| json!({"cmd": "messages_search", "channel": "general", "query": q});
    let r = alice.request(search("DEPLOY")).await;
    assert_eq!(r["query"], "DEPLOY");
    assert_eq!(ids(&r["results"]), ["deployed", "Deploy now"], "newest first, any case");
    assert_eq!(ids(&alice.request(search("%")).await["results"]), ["100% done"]);
    assert_eq!(ids(&alice.request(search("_")).await["results"]), ["a_b"]);
    assert_eq!(ids(&alice.request(search("école")).await["results"]), ["ÉCOLE"]);
    assert_eq!(ids(&alice.request(search("o")).await["results"]).len(), 3, "capped by limits.search_results");
    assert_eq!(
        alice.request(json!({"cmd": "messages_search", "channel": "general"})).await,
        err("messages_search", "Channel name and query are required")
    );
}

async fn pins_need_the_pin_right_and_view(b: Backend) {
    let s = start(b).await;
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
    assert_eq!(ids(&list["messages"]), ["m2", "m1"]);
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
        ids(&alice.request(json!({"cmd": "messages_pinned", "channel": "general"})).await["messages"]),
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

async fn reactions_add_and_remove(b: Backend) {
    let s = start(b).await;
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

async fn mentions_produce_pings(b: Backend) {
    let s = TestServer::start_with(b, json!({"auth": {"owners": ["boss"]}})).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    let m = post(&mut alice, "hi @bob @ghost @&user").await;
    assert_eq!(m["pings"], json!({"users": ["bob"], "roles": ["user"], "replies": []}));
    bob.sync().await;
    boss.sync().await;
    let plain = post(&mut bob, "no mentions").await;
    assert!(plain.get("pings").is_none());
    let q = bob.request(json!({"cmd": "message_new", "channel": "general", "content": "q", "reply_to": m["id"]})).await;
    assert_eq!(q["message"]["pings"], json!({"users": [], "roles": [], "replies": ["alice"]}));
    let silent = bob
        .request(
            json!({"cmd": "message_new", "channel": "general", "content": "s", "reply_to": m["id"], "ping": false}),
        )
        .await;
    assert!(silent["message"].get("pings").is_none());
    post(&mut bob, "@alicex is not alice").await;
    post(&mut bob, "@ALICE explicit").await;
    alice.sync().await;
    let pings = alice.request(json!({"cmd": "pings_get"})).await;
    assert_eq!(pings["cmd"], "pings_get");
    assert_eq!(
        (pings["offset"].clone(), pings["limit"].clone(), pings["total"].clone()),
        (json!(0), json!(50), json!(3))
    );
    assert_eq!(
        ids(&pings["messages"]),
        ["@ALICE explicit", "q", "hi @bob @ghost @&user"],
        "newest first; role mention counts"
    );
    assert_eq!(pings["messages"][0]["channel"], "general");
    let page = alice.request(json!({"cmd": "pings_get", "limit": 1, "offset": 1})).await;
    assert_eq!(ids(&page["messages"]), ["q"]);
    assert_eq!(page["total"], 3);
    let p = |v: &str| err("pings_get", v);
    assert_eq!(
        alice.request(json!({"cmd": "pings_get", "limit": 0})).await,
        p("Limit must be a number between 1 and 100")
    );
    assert_eq!(
        alice.request(json!({"cmd": "pings_get", "limit": "5"})).await,
        p("Limit must be a number between 1 and 100")
    );
    assert_eq!(
        alice.request(json!({"cmd": "pings_get", "offset": -1})).await,
        p("Offset must be a non-negative number")
    );
}

async fn a_user_who_cannot_view_learns_nothing(b: Backend) {
    let s = TestServer::start_with(
        b,
        json!({"DB": {"users": {"default": {"roles": ["guest"]}}}, "auth": {"owners": ["boss"]}}),
    )
    .await;
    let mut boss = s.login("boss").await;
    let mut guest = s.login("guest").await;
    boss.sync().await;
    let m = post(&mut boss, "secret @guest").await;
    boss.request(json!({"cmd": "message_pin", "channel": "general", "id": m["id"]})).await;
    boss.request(json!({"cmd": "message_react_add", "channel": "general", "id": m["id"], "emoji": "👍"})).await;
    let denied = |cmd: &str| err(cmd, "Access denied to this channel");
    let id = m["id"].clone();
    for (cmd, req) in [
        ("messages_get", json!({"channel": "general"})),
        ("message_get", json!({"channel": "general", "id": id})),
        ("message_replies", json!({"channel": "general", "id": id})),
        ("messages_search", json!({"channel": "general", "query": "secret"})),
        ("messages_pinned", json!({"channel": "general"})),
        ("message_pin", json!({"channel": "general", "id": id})),
        ("message_react_add", json!({"channel": "general", "id": id, "emoji": "👍"})),
        ("typing", json!({"channel": "general"})),
    ] {
        let mut req = req;
        req["cmd"] = json!(cmd);
        assert_eq!(guest.request(req).await, denied(cmd), "{cmd}");
    }
    let edit = guest.request(json!({"cmd": "message_edit", "channel": "general", "id": id, "content": "x"})).await;
    assert_eq!(edit, err("message_edit", "Message not found or cannot be edited"));
    let del = guest.request(json!({"cmd": "message_delete", "channel": "general", "id": id})).await;
    assert_eq!(del, err("message_delete", "Message not found or cannot be deleted"));
    let pings = guest.request(json!({"cmd": "pings_get"})).await;
    assert_eq!((pings["messages"].clone(), pings["total"].clone()), (json!([]), json!(0)));
    assert!(guest.sync().await.is_empty(), "and no broadcast reached the guest");
}

backend_tests!(
    editing_own_messages_broadcasts_with_position,
    deleting_follows_own_and_others_rights,
    typing_reaches_viewers_and_the_sender,
    typing_has_its_own_rate_limit_bucket,
    message_get_and_replies,
    search_is_case_insensitive_and_literal,
    pins_need_the_pin_right_and_view,
    reactions_add_and_remove,
    mentions_produce_pings,
    a_user_who_cannot_view_learns_nothing,
);
