//! Reading messages over a real socket (docs/design/channels.md#channel-names): `message_get` (with `position`),
//! `message_replies` (oldest first, clamped limit), `messages_search` (any case, `%` and `_`
//! taken literally, capped by `limits.search_results`), and the view-first rule across every
//! message command: a user who cannot view a channel learns nothing of it. `messages_pinned`
//! is in pins_and_reactions.rs.

use originchats_tests::expect::err;
use originchats_tests::scenes::{cast, contents, post, start_with_guests, start_with_small_limits};
use originchats_tests::{Backend, backend_tests};
use serde_json::json;

async fn message_get_and_replies(b: Backend) {
    let s = start_with_small_limits(b).await;
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
    assert_eq!(contents(&replies["replies"]), ["r0", "r1"], "the oldest replies");
    let zero = alice.request(json!({"cmd": "message_replies", "channel": "general", "id": pid, "limit": 0})).await;
    assert_eq!(contents(&zero["replies"]), ["r0"], "limit is clamped to at least one");
    let bad = alice.request(json!({"cmd": "message_replies", "channel": "general", "id": pid, "limit": "x"})).await;
    assert_eq!(bad, err("message_replies", "Invalid limit"));
}

async fn search_is_case_insensitive_and_literal(b: Backend) {
    let s = start_with_small_limits(b).await;
    let (_boss, mut alice, _bob) = cast(&s).await;
    for text in ["Deploy now", "deployed", "100% done", "a_b", "ÉCOLE", "x", "nothing"] {
        post(&mut alice, text).await;
    }
    let search = |q: &str| json!({"cmd": "messages_search", "channel": "general", "query": q});
    let r = alice.request(search("DEPLOY")).await;
    assert_eq!(r["query"], "DEPLOY");
    assert_eq!(contents(&r["results"]), ["deployed", "Deploy now"], "newest first, any case");
    assert_eq!(contents(&alice.request(search("%")).await["results"]), ["100% done"]);
    assert_eq!(contents(&alice.request(search("_")).await["results"]), ["a_b"]);
    assert_eq!(contents(&alice.request(search("école")).await["results"]), ["ÉCOLE"]);
    assert_eq!(contents(&alice.request(search("o")).await["results"]).len(), 3, "capped by limits.search_results");
    assert_eq!(
        alice.request(json!({"cmd": "messages_search", "channel": "general"})).await,
        err("messages_search", "Channel name and query are required")
    );
}

async fn a_user_who_cannot_view_learns_nothing(b: Backend) {
    let s = start_with_guests(b).await;
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

backend_tests!(message_get_and_replies, search_is_case_insensitive_and_literal, a_user_who_cannot_view_learns_nothing,);
