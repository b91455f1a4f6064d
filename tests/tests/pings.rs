//! Pings over a real socket (docs/design/messages.md#pings-list): the `pings` object of `message_new` and
//! `pings_get`, i.e. which messages ping a user (a mention of the user or of a role they
//! hold, a reply unless silent, a silent reply that still mentions), newest first, with
//! paging and the offset / limit error texts.

use originchats_tests::expect::err;
use originchats_tests::scenes::{cast, contents, post, post_in, start};
use originchats_tests::{Backend, backend_tests};
use serde_json::json;

async fn mentions_produce_pings(b: Backend) {
    let s = start(b).await;
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
        contents(&pings["messages"]),
        ["@ALICE explicit", "q", "hi @bob @ghost @&user"],
        "newest first; role mention counts"
    );
    assert_eq!(pings["messages"][0]["channel"], "general");
    let page = alice.request(json!({"cmd": "pings_get", "limit": 1, "offset": 1})).await;
    assert_eq!(contents(&page["messages"]), ["q"]);
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

backend_tests!(mentions_produce_pings, a_silent_reply_that_mentions_still_pings,);
