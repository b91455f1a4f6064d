//! The message commands that also work on a thread's messages (docs/design/threads.md#thread-messages),
//! over a real socket: `message_get`, `message_replies`, `messages_search`, pins,
//! `pings_get` and the plugin events. Exact shapes and errors, who receives each broadcast
//! (the forum's viewers), and that a user who may not view the forum learns nothing.

use originchats_tests::expect::{err, settle};
use originchats_tests::scenes::{cast, forums, post, start, start_with_files};
use originchats_tests::{Backend, Client, backend_tests};
use serde_json::{Value, json};

/// `c` creates a thread in `forum` and everyone else's copies are read; returns its id.
async fn thread(c: &mut Client, others: &mut [&mut Client], forum: &str, name: &str) -> Value {
    let r = c.request(json!({"cmd": "thread_create", "channel": forum, "name": name})).await;
    assert_eq!(r["cmd"], "thread_create", "{r}");
    settle(others).await;
    r["thread"]["id"].clone()
}

/// `c` posts `content` (optionally replying) in thread `id`; returns the message as
/// history shows it (without the broadcast's `pings`). Others' copies are read.
async fn say(c: &mut Client, others: &mut [&mut Client], id: &Value, content: &str, reply_to: Option<&Value>) -> Value {
    let mut req = json!({"cmd": "message_new", "thread_id": id, "content": content});
    if let Some(r) = reply_to {
        req["reply_to"] = r.clone();
    }
    let r = c.request(req).await;
    assert_eq!((r["cmd"].as_str(), &r["thread_id"]), (Some("message_new"), id), "{r}");
    settle(others).await;
    let mut m = r["message"].clone();
    m.as_object_mut().unwrap().remove("pings");
    m
}

async fn reads_in_threads(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    forums(&mut boss, &mut [&mut alice, &mut bob]).await;
    let id = thread(&mut alice, &mut [&mut bob, &mut boss], "ideas", "talk").await;
    let first = say(&mut bob, &mut [&mut alice, &mut boss], &id, "Deploy tonight?", None).await;
    let reply = say(&mut alice, &mut [&mut bob, &mut boss], &id, "deploy after lunch", Some(&first["id"])).await;
    let general = post(&mut bob, "deploy in general").await;
    settle(&mut [&mut alice, &mut boss]).await;

    // message_get: the forum as channel, thread_id added, with position.
    let got = alice.request(json!({"cmd": "message_get", "thread_id": id, "id": reply["id"]})).await;
    let mut with_pos = reply.clone();
    with_pos["position"] = json!(2);
    assert_eq!(got, json!({"cmd": "message_get", "channel": "ideas", "thread_id": id, "message": with_pos}));
    // The web client sends the forum as channel too; the thread decides.
    let got2 =
        alice.request(json!({"cmd": "message_get", "channel": "ideas", "thread_id": id, "id": reply["id"]})).await;
    assert_eq!(got2, got);
    // A channel's message is not the thread's and the other way round.
    let r = alice.request(json!({"cmd": "message_get", "thread_id": id, "id": general["id"]})).await;
    assert_eq!(r, err("message_get", "Message not found"));
    let r = alice.request(json!({"cmd": "message_get", "channel": "general", "id": first["id"]})).await;
    assert_eq!(r, err("message_get", "Message not found"));
    let plain = alice.request(json!({"cmd": "message_get", "channel": "general", "id": general["id"]})).await;
    assert!(plain.get("thread_id").is_none(), "{plain}");

    // message_replies within the thread.
    let replies = bob.request(json!({"cmd": "message_replies", "thread_id": id, "id": first["id"]})).await;
    assert_eq!(
        replies,
        json!({"cmd": "message_replies", "channel": "ideas", "message_id": first["id"], "replies": [reply],
               "thread_id": id})
    );
    let none = bob.request(json!({"cmd": "message_replies", "thread_id": id, "id": general["id"]})).await;
    assert_eq!(none["replies"], json!([]), "{none}");

    // messages_search within the thread only, newest first.
    let found = bob.request(json!({"cmd": "messages_search", "thread_id": id, "query": "DEPLOY"})).await;
    assert_eq!(
        found,
        json!({"cmd": "messages_search", "channel": "ideas", "query": "DEPLOY", "results": [reply, first],
               "thread_id": id})
    );
    let in_general = bob.request(json!({"cmd": "messages_search", "channel": "general", "query": "deploy"})).await;
    assert_eq!(in_general["results"], json!([general]), "the channel search sees no thread message");
    assert!(in_general.get("thread_id").is_none());

    // messages_pinned of a thread with nothing pinned.
    let pinned = bob.request(json!({"cmd": "messages_pinned", "thread_id": id})).await;
    assert_eq!(pinned, json!({"cmd": "messages_pinned", "channel": "ideas", "messages": [], "thread_id": id}));

    // Errors: missing fields as for a channel, then the thread's.
    let e = err;
    let view = "You do not have permission to view this thread";
    let secret = thread(&mut boss, &mut [], "vault", "plans").await;
    let hidden = say(&mut boss, &mut [], &secret, "deploy secret", None).await;
    for (req, expected) in [
        (json!({"cmd": "message_get", "thread_id": id}), e("message_get", "Channel name and message ID are required")),
        (json!({"cmd": "message_get", "thread_id": "nope", "id": "x"}), e("message_get", "Thread not found")),
        (json!({"cmd": "message_get", "thread_id": secret, "id": hidden["id"]}), e("message_get", view)),
        (
            json!({"cmd": "message_replies", "thread_id": id}),
            e("message_replies", "Channel name and message ID are required"),
        ),
        (json!({"cmd": "message_replies", "thread_id": "nope", "id": "x"}), e("message_replies", "Thread not found")),
        (json!({"cmd": "message_replies", "thread_id": secret, "id": hidden["id"]}), e("message_replies", view)),
        (
            json!({"cmd": "messages_search", "thread_id": id}),
            e("messages_search", "Channel name and query are required"),
        ),
        (
            json!({"cmd": "messages_search", "thread_id": "nope", "query": "x"}),
            e("messages_search", "Thread not found"),
        ),
        (json!({"cmd": "messages_search", "thread_id": secret, "query": "deploy"}), e("messages_search", view)),
        (json!({"cmd": "messages_pinned", "thread_id": "nope"}), e("messages_pinned", "Thread not found")),
        (json!({"cmd": "messages_pinned", "thread_id": secret}), e("messages_pinned", view)),
    ] {
        assert_eq!(alice.request(req.clone()).await, expected, "{req}");
    }
    for c in [&mut alice, &mut bob, &mut boss] {
        assert!(c.sync().await.is_empty(), "a read or a refusal sends nothing else");
    }
    // The owner reads the vault's thread.
    let r = boss.request(json!({"cmd": "messages_search", "thread_id": secret, "query": "secret"})).await;
    assert_eq!(r["results"], json!([hidden]), "{r}");
}

async fn pins_in_threads(b: Backend) {
    let mut s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    forums(&mut boss, &mut [&mut alice, &mut bob]).await;
    let id = thread(&mut alice, &mut [&mut bob, &mut boss], "ideas", "talk").await;
    let m = say(&mut bob, &mut [&mut alice, &mut boss], &id, "pin me", None).await;
    let secret = thread(&mut boss, &mut [], "vault", "plans").await;
    let hidden = say(&mut boss, &mut [], &secret, "hidden", None).await;

    // Pinning follows the forum's `pin` list (absent: owner only).
    let denied = "You do not have permission to pin messages in this channel";
    let r = alice.request(json!({"cmd": "message_pin", "thread_id": id, "id": m["id"]})).await;
    assert_eq!(r, err("message_pin", denied));
    let view = "You do not have permission to view this thread";
    for (req, expected) in [
        (json!({"cmd": "message_pin", "thread_id": "nope", "id": m["id"]}), err("message_pin", "Thread not found")),
        (json!({"cmd": "message_pin", "thread_id": secret, "id": hidden["id"]}), err("message_pin", view)),
        (json!({"cmd": "message_unpin", "thread_id": secret, "id": hidden["id"]}), err("message_unpin", view)),
        (json!({"cmd": "message_unpin", "thread_id": id, "id": m["id"]}), err("message_unpin", denied)),
    ] {
        assert_eq!(alice.request(req.clone()).await, expected, "{req}");
    }
    let r = boss.request(json!({"cmd": "message_pin", "thread_id": id})).await;
    assert_eq!(r, err("message_pin", "Message ID is required"));
    let r = boss.request(json!({"cmd": "message_pin", "thread_id": id, "id": "nope"})).await;
    assert_eq!(r, err("message_pin", "Message not found"));
    for c in [&mut alice, &mut bob, &mut boss] {
        assert!(c.sync().await.is_empty(), "a refusal sends nothing");
    }

    // The owner pins: every viewer of the forum hears it, with thread_id.
    let pinned = boss.request(json!({"cmd": "message_pin", "thread_id": id, "id": m["id"]})).await;
    let expected = json!({"cmd": "message_pin", "id": m["id"], "channel": "ideas", "pinned": true, "global": true,
                          "thread_id": id});
    assert_eq!(pinned, expected);
    assert_eq!(alice.recv().await, expected);
    assert_eq!(bob.recv().await, expected);
    let mut now_pinned = m.clone();
    now_pinned["pinned"] = json!(true);
    let list = bob.request(json!({"cmd": "messages_pinned", "thread_id": id})).await;
    assert_eq!(list, json!({"cmd": "messages_pinned", "channel": "ideas", "messages": [now_pinned], "thread_id": id}));
    let general = bob.request(json!({"cmd": "messages_pinned", "channel": "general"})).await;
    assert_eq!(general["messages"], json!([]), "the channel's pins are its own");

    // A locked thread can still be moderated: unpinning works (the web client unpins with
    // message_pin and "pinned": false).
    boss.request(json!({"cmd": "thread_update", "thread_id": id, "locked": true})).await;
    settle(&mut [&mut boss, &mut alice, &mut bob]).await;
    let unpinned = boss.request(json!({"cmd": "message_pin", "thread_id": id, "id": m["id"], "pinned": false})).await;
    let expected = json!({"cmd": "message_unpin", "id": m["id"], "channel": "ideas", "pinned": false, "global": true,
                          "thread_id": id});
    assert_eq!(unpinned, expected);
    assert_eq!(alice.recv().await, expected);
    assert_eq!(bob.recv().await, expected);
    let r = boss.request(json!({"cmd": "message_unpin", "thread_id": id, "id": m["id"]})).await;
    assert_eq!(r["cmd"], "message_unpin", "{r}");
    settle(&mut [&mut alice, &mut bob]).await;

    // A pin in the owner-only forum reaches nobody else.
    let r = boss.request(json!({"cmd": "message_pin", "thread_id": secret, "id": hidden["id"]})).await;
    assert_eq!((r["cmd"].as_str(), &r["thread_id"]), (Some("message_pin"), &secret), "{r}");
    for c in [&mut alice, &mut bob] {
        assert!(c.sync().await.is_empty(), "nothing about the vault reached a non-viewer");
    }

    // The forum's `pin` list decides: once users may pin there, alice may in its threads.
    let perms = json!({"view": ["user"], "send": ["user"], "create_thread": ["user"], "pin": ["user"]});
    let r = boss
        .request(json!({"cmd": "channel_update", "current_name": "ideas", "updates": {"permissions": perms}}))
        .await;
    assert_eq!(r["updated"], true, "{r}");
    settle(&mut [&mut boss, &mut alice, &mut bob]).await;
    let r = alice.request(json!({"cmd": "message_pin", "thread_id": id, "id": m["id"]})).await;
    assert_eq!((r["cmd"].as_str(), r["pinned"].as_bool()), (Some("message_pin"), Some(true)), "{r}");
    assert_eq!(bob.recv().await, r);
    assert_eq!(boss.recv().await, r);
    let r = alice.request(json!({"cmd": "message_pin", "thread_id": secret, "id": hidden["id"]})).await;
    assert_eq!(r, err("message_pin", view), "the vault's list is its own");

    // A pinned thread message survives a restart.
    boss.request(json!({"cmd": "message_pin", "thread_id": id, "id": m["id"]})).await;
    drop((boss, alice, bob));
    s.restart();
    let mut bob = s.login("bob").await;
    let list = bob.request(json!({"cmd": "messages_pinned", "thread_id": id})).await;
    assert_eq!(list["messages"][0]["id"], m["id"], "{list}");
}

async fn pings_include_threads(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    forums(&mut boss, &mut [&mut alice, &mut bob]).await;
    let id = thread(&mut bob, &mut [&mut alice, &mut boss], "ideas", "talk").await;
    let mut a = post(&mut bob, "hi @alice in general").await;
    a.as_object_mut().unwrap().remove("pings");
    settle(&mut [&mut alice, &mut boss]).await;
    let t = say(&mut bob, &mut [&mut alice, &mut boss], &id, "hi @alice in a thread", None).await;
    let mine = say(&mut alice, &mut [&mut bob, &mut boss], &id, "mine", None).await;
    let r = say(&mut bob, &mut [&mut alice, &mut boss], &id, "a reply", Some(&mine["id"])).await;
    let secret = thread(&mut boss, &mut [], "vault", "plans").await;
    let hidden = say(&mut boss, &mut [], &secret, "@alice you cannot see this", None).await;

    let with = |m: &Value, channel: &str, thread: Option<&Value>| {
        let mut v = m.clone();
        v["channel"] = json!(channel);
        if let Some(t) = thread {
            v["thread_id"] = t.clone();
        }
        v
    };
    let pings = alice.request(json!({"cmd": "pings_get"})).await;
    assert_eq!(
        pings,
        json!({"cmd": "pings_get", "messages": [with(&r, "ideas", Some(&id)), with(&t, "ideas", Some(&id)),
               with(&a, "general", None)], "offset": 0, "limit": 50, "total": 3})
    );
    let page = alice.request(json!({"cmd": "pings_get", "limit": 1, "offset": 1})).await;
    assert_eq!(page["messages"], json!([with(&t, "ideas", Some(&id))]));
    assert_eq!(page["total"], 3);
    // The vault's thread mentions alice, but she may not view the vault.
    assert!(!pings["messages"].as_array().unwrap().iter().any(|m| m["id"] == hidden["id"]));
    // Once alice may view the vault, its thread's mention reaches her inbox.
    let perms = json!({"view": ["owner", "user"], "send": ["owner"], "create_thread": ["owner"]});
    let r2 = boss
        .request(json!({"cmd": "channel_update", "current_name": "vault", "updates": {"permissions": perms}}))
        .await;
    assert_eq!(r2["updated"], true, "{r2}");
    settle(&mut [&mut boss, &mut alice, &mut bob]).await;
    let pings = alice.request(json!({"cmd": "pings_get"})).await;
    assert_eq!(pings["total"], 4, "{pings}");
    assert_eq!(pings["messages"][0], with(&hidden, "vault", Some(&secret)));
    // A deleted thread's mentions go with it.
    let r = boss.request(json!({"cmd": "thread_delete", "thread_id": secret})).await;
    assert_eq!(r["cmd"], "thread_delete");
    settle(&mut [&mut alice, &mut bob]).await;
    assert_eq!(alice.request(json!({"cmd": "pings_get"})).await["total"], 3);
}

/// Tells the channel `general` of every message event about a thread, and of channel
/// events that (wrongly) carry a thread_id.
const PROBE: &str = r#"
fn on_new_message(e) {
    if "thread_id" in e { send_message("general", `new_message ${e.channel} ${e.thread_id} ${e.content} ${e.username}`); }
    else if e.content == "plain" { send_message("general", "new_message in a channel"); }
}
fn on_typing(e) { if "thread_id" in e { send_message("general", `typing ${e.channel} ${e.thread_id} ${e.username}`); } }
fn on_message_edit(e) { if "thread_id" in e { send_message("general", `message_edit ${e.channel} ${e.thread_id} ${e.content}`); } }
fn on_message_delete(e) { if "thread_id" in e { send_message("general", `message_delete ${e.channel} ${e.thread_id} ${e.id}`); } }
fn on_message_pin(e) { if "thread_id" in e { send_message("general", `message_pin ${e.channel} ${e.thread_id} ${e.id} ${e.pinned}`); } }
fn on_message_unpin(e) { if "thread_id" in e { send_message("general", `message_unpin ${e.channel} ${e.thread_id} ${e.id} ${e.pinned}`); } }
"#;

/// The content of the next message the probe posts in `general`.
async fn probe_says(c: &mut Client) -> String {
    loop {
        let v = c.recv().await;
        if v["cmd"] == "message_new" && v["message"]["user"] == "probe" {
            return v["message"]["content"].as_str().unwrap().to_owned();
        }
    }
}

async fn plugins_hear_thread_messages(b: Backend) {
    let s = start_with_files(b, json!({}), &[("plugins/probe.rhai", PROBE)]).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    forums(&mut boss, &mut [&mut alice, &mut bob]).await;
    let id = thread(&mut alice, &mut [&mut bob, &mut boss], "ideas", "talk").await;
    let tid = id.as_str().unwrap();
    let m = say(&mut bob, &mut [], &id, "hello", None).await;
    assert_eq!(probe_says(&mut alice).await, format!("new_message ideas {tid} hello bob"));
    bob.send(json!({"cmd": "typing", "thread_id": id})).await;
    assert_eq!(probe_says(&mut alice).await, format!("typing ideas {tid} bob"));
    bob.send(json!({"cmd": "message_edit", "thread_id": id, "id": m["id"], "content": "changed"})).await;
    assert_eq!(probe_says(&mut alice).await, format!("message_edit ideas {tid} changed"));
    let mid = m["id"].as_str().unwrap();
    boss.send(json!({"cmd": "message_pin", "thread_id": id, "id": mid})).await;
    assert_eq!(probe_says(&mut alice).await, format!("message_pin ideas {tid} {mid} true"));
    boss.send(json!({"cmd": "message_unpin", "thread_id": id, "id": mid})).await;
    assert_eq!(probe_says(&mut alice).await, format!("message_unpin ideas {tid} {mid} false"));
    bob.send(json!({"cmd": "message_delete", "thread_id": id, "id": mid})).await;
    assert_eq!(probe_says(&mut alice).await, format!("message_delete ideas {tid} {mid}"));
    // A channel message's event carries no thread_id.
    post(&mut bob, "plain").await;
    assert_eq!(probe_says(&mut alice).await, "new_message in a channel");
}

backend_tests!(reads_in_threads, pins_in_threads, pings_include_threads, plugins_hear_thread_messages);
