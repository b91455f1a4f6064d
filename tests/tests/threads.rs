//! Threads of forum channels over a real socket (docs/design/threads.md): every thread
//! command's shape and errors, who receives each broadcast (the forum's viewers, nobody
//! else), creator versus `manage_threads`, locked and archived threads, thread messages in
//! `message_new`, `messages_get`, `messages_around`, `typing` and the unreads commands,
//! forums in `channels_get`, persistence, and that channel traffic looks as it did before.

use originchats_tests::expect::{err, settle};
use originchats_tests::scenes::{cast, forums, post, start};
use originchats_tests::{Backend, Client, backend_tests};
use serde_json::{Value, json};

/// `c` creates a thread in `forum`; returns the thread object of its own copy.
async fn create(c: &mut Client, forum: &str, name: &str) -> Value {
    let r = c.request(json!({"cmd": "thread_create", "channel": forum, "name": name})).await;
    assert_eq!(r["cmd"], "thread_create", "{r}");
    assert_eq!((r["thread"]["name"].as_str(), r["channel"].as_str()), (Some(name.trim()), Some(forum)), "{r}");
    r["thread"].clone()
}

/// The thread object clients should see.
fn thread(id: &Value, name: &str, by: &str, participants: &[&str], last: Option<&Value>) -> Value {
    json!({
        "id": id,
        "name": name,
        "parent_channel": "ideas",
        "created_by": by,
        "locked": false,
        "archived": false,
        "participants": participants,
        "last_message": last.map(|m| m["timestamp"].clone()),
        "last_message_id": last.map(|m| m["id"].clone()),
    })
}

/// `v` without `created_at` (checked to be a number).
fn without_time(mut v: Value) -> Value {
    assert!(v["created_at"].is_f64() || v["created_at"].is_u64(), "{v}");
    v.as_object_mut().unwrap().remove("created_at");
    v
}

async fn lifecycle_and_broadcasts(b: Backend) {
    let mut s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    forums(&mut boss, &mut [&mut alice, &mut bob]).await;

    // A forum lists its threads in channels_get; the owner-only forum is not listed for alice.
    let list = alice.request(json!({"cmd": "channels_get"})).await;
    let ideas: Vec<&Value> = list["val"].as_array().unwrap().iter().filter(|c| c["type"] == "forum").collect();
    assert_eq!(ideas.len(), 1, "{list}");
    assert_eq!(ideas[0]["threads"], json!([]), "{list}");
    assert!(ideas[0].get("last_message").is_none(), "{list}");

    // thread_create: to every viewer of the forum, the sender's copy with its listener.
    alice.send(json!({"cmd": "thread_create", "channel": "ideas", "name": "  First  ", "listener": "l1"})).await;
    let mine = alice.recv().await;
    assert_eq!(mine["listener"], "l1");
    let t = mine["thread"].clone();
    let id = t["id"].clone();
    assert_eq!(without_time(t.clone()), thread(&id, "First", "alice", &["alice"], None));
    let broadcast = json!({"cmd": "thread_create", "thread": t, "channel": "ideas", "global": true});
    for c in [&mut bob, &mut boss] {
        assert_eq!(c.recv().await, broadcast);
    }

    // A thread message: message_new with channel and thread_id, to every viewer.
    bob.send(json!({"cmd": "message_new", "thread_id": id, "content": "hello thread", "listener": "m"})).await;
    let own = bob.recv().await;
    assert_eq!(own["listener"], "m");
    let m = own["message"].clone();
    assert_eq!((m["user"].clone(), m["content"].clone()), (json!("bob"), json!("hello thread")));
    assert!(m.get("thread_id").is_none(), "the message itself carries no thread_id: {m}");
    let expected = json!({"cmd": "message_new", "message": m, "channel": "ideas", "thread_id": id, "global": true});
    assert_eq!(alice.recv().await, expected);
    assert_eq!(boss.recv().await, expected);
    // A reply within the thread; a message id of the thread is unknown in a channel and vice versa.
    let general = post(&mut alice, "in general").await;
    settle(&mut [&mut bob, &mut boss]).await;
    let r =
        bob.request(json!({"cmd": "message_new", "thread_id": id, "content": "r", "reply_to": general["id"]})).await;
    assert_eq!(r, err("message_new", "The message you're trying to reply to was not found"));
    let reply = bob.request(json!({"cmd": "message_new", "thread_id": id, "content": "re", "reply_to": m["id"]})).await;
    assert_eq!(reply["message"]["reply_to"]["id"], m["id"], "{reply}");
    // History shows messages without the broadcast's `pings`.
    let mut reply = reply["message"].clone();
    assert_eq!(reply["pings"]["replies"], json!(["bob"]), "{reply}");
    reply.as_object_mut().unwrap().remove("pings");
    settle(&mut [&mut alice, &mut boss]).await;

    // thread_get, thread_messages, messages_get and messages_around with thread_id.
    let got = bob.request(json!({"cmd": "thread_get", "thread_id": id})).await;
    assert_eq!(got["cmd"], "thread_get");
    assert_eq!(without_time(got["thread"].clone()), thread(&id, "First", "alice", &["alice"], Some(&reply)));
    let msgs = bob.request(json!({"cmd": "thread_messages", "thread_id": id})).await;
    assert_eq!(msgs, json!({"cmd": "thread_messages", "thread_id": id, "messages": [m, reply]}));
    let one = bob.request(json!({"cmd": "thread_messages", "thread_id": id, "limit": 1})).await;
    assert_eq!(one["messages"], json!([reply]), "the newest page");
    let older = bob.request(json!({"cmd": "thread_messages", "thread_id": id, "start": reply["id"]})).await;
    assert_eq!(older["messages"], json!([m]), "older than an id");
    let page = bob.request(json!({"cmd": "messages_get", "thread_id": id})).await;
    assert_eq!(
        page,
        json!({"cmd": "messages_get", "channel": "ideas", "thread_id": id, "messages": [m, reply],
            "range": {"start": 0, "end": 100}})
    );
    let around = bob.request(json!({"cmd": "messages_around", "thread_id": id, "around": m["id"]})).await;
    assert_eq!(
        around,
        json!({"cmd": "messages_around", "channel": "ideas", "thread_id": id, "messages": [m, reply],
            "range": {"start": 0, "end": 2}})
    );
    let general_page = bob.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    assert_eq!(general_page["messages"], json!([general]), "thread messages stay out of channels");

    // typing with thread_id.
    bob.send(json!({"cmd": "typing", "thread_id": id})).await;
    let typing = json!({"cmd": "typing", "user": "bob", "channel": "ideas", "thread_id": id, "global": true});
    assert_eq!(alice.recv().await, typing);
    assert_eq!(boss.recv().await, typing);
    bob.sync().await;

    // Joining and leaving; the creator never leaves.
    bob.send(json!({"cmd": "thread_join", "thread_id": id})).await;
    let joined = bob.recv().await;
    assert_eq!(joined["cmd"], "thread_join", "{joined}");
    assert_eq!((joined["thread_id"].clone(), joined["user"].clone()), (id.clone(), json!("bob")));
    assert_eq!(joined["thread"]["participants"], json!(["alice", "bob"]));
    assert_eq!(joined["global"], true);
    assert_eq!(alice.recv().await, joined);
    assert_eq!(boss.recv().await, joined);
    let again = bob.request(json!({"cmd": "thread_join", "thread_id": id})).await;
    assert_eq!(again["thread"]["participants"], json!(["alice", "bob"]), "no repeats");
    settle(&mut [&mut alice, &mut boss]).await;
    let stays = alice.request(json!({"cmd": "thread_leave", "thread_id": id})).await;
    assert_eq!(stays["cmd"], "thread_leave");
    assert_eq!(stays["thread"]["participants"], json!(["alice", "bob"]), "the creator stays");
    settle(&mut [&mut bob, &mut boss]).await;
    let left = bob.request(json!({"cmd": "thread_leave", "thread_id": id})).await;
    assert_eq!((left["cmd"].clone(), left["user"].clone()), (json!("thread_leave"), json!("bob")));
    assert_eq!(left["thread"]["participants"], json!(["alice"]));
    settle(&mut [&mut alice, &mut boss]).await;

    // The creator renames and archives; `locked` is ignored from someone without manage_threads.
    let up = json!({"cmd": "thread_update", "thread_id": id, "name": " Renamed ", "archived": true, "locked": true});
    let updated = alice.request(up).await;
    assert_eq!(updated["cmd"], "thread_update", "{updated}");
    assert_eq!(updated["channel"], "ideas", "the web client needs the forum");
    assert_eq!(updated["global"], true);
    let t = &updated["thread"];
    assert_eq!(
        (t["name"].clone(), t["archived"].clone(), t["locked"].clone()),
        (json!("Renamed"), json!(true), json!(false))
    );
    assert_eq!(bob.recv().await, updated);
    assert_eq!(boss.recv().await, updated);
    // A message in an archived thread reopens it.
    let new = bob.request(json!({"cmd": "message_new", "thread_id": id, "content": "back"})).await;
    assert_eq!(new["cmd"], "message_new");
    let reopened = bob.recv().await;
    assert_eq!(reopened["cmd"], "thread_update", "{reopened}");
    assert_eq!(reopened["thread"]["archived"], false);
    for c in [&mut alice, &mut boss] {
        assert_eq!(c.recv().await["cmd"], "message_new");
        assert_eq!(c.recv().await, reopened);
    }

    // The owner (manage_threads) locks it: no messages, no joins, typing is dropped.
    let locked = boss.request(json!({"cmd": "thread_update", "thread_id": id, "locked": true})).await;
    assert_eq!(locked["thread"]["locked"], true, "{locked}");
    settle(&mut [&mut alice, &mut bob]).await;
    let r = bob.request(json!({"cmd": "message_new", "thread_id": id, "content": "no"})).await;
    assert_eq!(r, err("message_new", "This thread is locked"));
    assert_eq!(
        bob.request(json!({"cmd": "thread_join", "thread_id": id})).await,
        err("thread_join", "This thread is locked")
    );
    bob.send(json!({"cmd": "typing", "thread_id": id})).await;
    for c in [&mut alice, &mut bob, &mut boss] {
        assert!(c.sync().await.is_empty(), "nothing was sent");
    }
    let listed = bob.request(json!({"cmd": "channels_get"})).await;
    let forum = listed["val"].as_array().unwrap().iter().find(|c| c["name"] == "ideas").unwrap().clone();
    assert_eq!(forum["threads"].as_array().unwrap().len(), 1, "{forum}");
    assert_eq!(forum["threads"][0]["locked"], true);
    assert_eq!(forum["threads"][0]["last_message_id"], new["message"]["id"]);

    // Threads and their messages survive a restart.
    drop((alice, bob, boss));
    s.restart();
    let mut boss = s.login("boss").await;
    let mut alice = s.login("alice").await;
    let mut bob = s.login("bob").await;
    settle(&mut [&mut boss, &mut alice, &mut bob]).await;
    let after = bob.request(json!({"cmd": "thread_messages", "thread_id": id})).await;
    assert_eq!(after["messages"].as_array().unwrap().len(), 3, "{after}");
    assert_eq!(bob.request(json!({"cmd": "thread_get", "thread_id": id})).await["thread"]["name"], "Renamed");

    // Only the creator or manage_threads may delete.
    let r = bob.request(json!({"cmd": "thread_delete", "thread_id": id})).await;
    assert_eq!(r, err("thread_delete", "You do not have permission to modify this thread"));
    let r = bob.request(json!({"cmd": "thread_update", "thread_id": id, "name": "mine"})).await;
    assert_eq!(r, err("thread_update", "You do not have permission to modify this thread"));
    let deleted = alice.request(json!({"cmd": "thread_delete", "thread_id": id})).await;
    let gone = json!({"cmd": "thread_delete", "thread_id": id, "channel": "ideas", "global": true});
    assert_eq!(deleted, gone);
    assert_eq!(bob.recv().await, gone);
    assert_eq!(boss.recv().await, gone);
    for cmd in ["thread_get", "thread_messages", "thread_join", "thread_delete"] {
        assert_eq!(bob.request(json!({"cmd": cmd, "thread_id": id})).await, err(cmd, "Thread not found"));
    }
    let r = bob.request(json!({"cmd": "message_new", "thread_id": id, "content": "x"})).await;
    assert_eq!(r, err("message_new", "Thread not found"));
}

async fn access_errors_and_manage_threads(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    forums(&mut boss, &mut [&mut alice, &mut bob]).await;
    let e = |cmd: &str, v: &str| err(cmd, v);
    let long = "x".repeat(101);
    for (req, expected) in [
        (json!({"cmd": "thread_create"}), e("thread_create", "Channel and thread name are required")),
        (
            json!({"cmd": "thread_create", "channel": "ideas"}),
            e("thread_create", "Channel and thread name are required"),
        ),
        (json!({"cmd": "thread_create", "channel": "nope", "name": "x"}), e("thread_create", "Channel not found")),
        (
            json!({"cmd": "thread_create", "channel": "general", "name": "x"}),
            e("thread_create", "Threads can only be created in forum channels"),
        ),
        (
            json!({"cmd": "thread_create", "channel": "vault", "name": "x"}),
            e("thread_create", "You do not have permission to create threads in this channel"),
        ),
        (
            json!({"cmd": "thread_create", "channel": "ideas", "name": "   "}),
            e("thread_create", "Thread name cannot be empty"),
        ),
        (
            json!({"cmd": "thread_create", "channel": "ideas", "name": long}),
            e("thread_create", "Thread name must be at most 100 characters"),
        ),
        (json!({"cmd": "thread_get"}), e("thread_get", "Thread ID is required")),
        (json!({"cmd": "thread_get", "thread_id": "nope"}), e("thread_get", "Thread not found")),
        (json!({"cmd": "thread_update", "thread_id": "nope"}), e("thread_update", "Thread not found")),
        (json!({"cmd": "thread_leave"}), e("thread_leave", "Thread ID is required")),
        (json!({"cmd": "messages_get", "thread_id": "nope"}), e("messages_get", "Thread not found")),
        (json!({"cmd": "typing", "thread_id": "nope"}), e("typing", "Thread not found")),
        (json!({"cmd": "unreads_count", "thread_id": "nope"}), e("unreads_count", "Thread not found")),
        (
            json!({"cmd": "messages_around", "thread_id": "nope", "around": "m"}),
            e("messages_around", "Thread not found"),
        ),
        (json!({"cmd": "message_new", "thread_id": "nope"}), e("message_new", "Missing fields: content")),
        // A forum holds no messages of its own.
        (
            json!({"cmd": "message_new", "channel": "ideas", "content": "x"}),
            e("message_new", "You do not have permission to send messages in this channel"),
        ),
        (json!({"cmd": "messages_get", "channel": "ideas"}), e("messages_get", "Access denied to this channel")),
    ] {
        assert_eq!(alice.request(req.clone()).await, expected, "{req}");
    }
    for c in [&mut alice, &mut bob, &mut boss] {
        assert!(c.sync().await.is_empty(), "a refused command sends nothing");
    }

    // A thread of the owner-only forum: alice and bob hear nothing of it, ever.
    let secret = create(&mut boss, "vault", "plans").await;
    let sid = secret["id"].clone();
    let posted = boss.request(json!({"cmd": "message_new", "thread_id": sid, "content": "s"})).await;
    assert_eq!(posted["cmd"], "message_new");
    boss.request(json!({"cmd": "typing", "thread_id": sid})).await;
    let renamed = boss.request(json!({"cmd": "thread_update", "thread_id": sid, "name": "p2"})).await;
    assert_eq!(renamed["cmd"], "thread_update");
    let view = "You do not have permission to view this thread";
    for cmd in ["thread_get", "thread_messages", "thread_update", "thread_delete", "thread_join", "thread_leave"] {
        assert_eq!(alice.request(json!({"cmd": cmd, "thread_id": sid})).await, e(cmd, view), "{cmd}");
    }
    for (req, expected) in [
        (json!({"cmd": "messages_get", "thread_id": sid}), e("messages_get", view)),
        (
            json!({"cmd": "messages_around", "thread_id": sid, "around": posted["message"]["id"]}),
            e("messages_around", view),
        ),
        (json!({"cmd": "typing", "thread_id": sid}), e("typing", view)),
        (json!({"cmd": "unreads_count", "thread_id": sid}), e("unreads_count", view)),
        (json!({"cmd": "unreads_ack", "thread_id": sid}), e("unreads_ack", view)),
        (
            json!({"cmd": "message_new", "thread_id": sid, "content": "x"}),
            e("message_new", "You do not have permission to send messages in this thread"),
        ),
    ] {
        assert_eq!(alice.request(req.clone()).await, expected, "{req}");
    }
    let deleted = boss.request(json!({"cmd": "thread_delete", "thread_id": sid})).await;
    assert_eq!(deleted["cmd"], "thread_delete");
    for c in [&mut alice, &mut bob] {
        assert!(c.sync().await.is_empty(), "nothing about the vault's thread reached a non-viewer");
    }
    boss.sync().await;

    // manage_threads lets bob lock and delete alice's thread.
    let t = create(&mut alice, "ideas", "open").await;
    let id = t["id"].clone();
    settle(&mut [&mut bob, &mut boss]).await;
    boss.send(json!({"cmd": "role_create", "name": "keeper", "permissions": ["manage_threads"]})).await;
    assert_eq!(boss.expect_cmd("role_create").await["created"], true);
    boss.send(json!({"cmd": "user_roles_add", "user": "bob", "roles": ["keeper"]})).await;
    assert_eq!(boss.expect_cmd("user_roles_add").await["added"], true);
    settle(&mut [&mut boss, &mut alice, &mut bob]).await;
    let locked = bob.request(json!({"cmd": "thread_update", "thread_id": id, "locked": true})).await;
    assert_eq!(locked["thread"]["locked"], true, "{locked}");
    settle(&mut [&mut boss, &mut alice]).await;
    let r = alice.request(json!({"cmd": "thread_update", "thread_id": id, "locked": false})).await;
    assert_eq!(r["thread"]["locked"], true, "the creator cannot unlock: {r}");
    settle(&mut [&mut boss, &mut bob]).await;
    let gone = bob.request(json!({"cmd": "thread_delete", "thread_id": id})).await;
    assert_eq!(gone, json!({"cmd": "thread_delete", "thread_id": id, "channel": "ideas", "global": true}));
    assert_eq!(alice.recv().await, gone);

    // Deleting a forum deletes its threads; a new forum of that name starts empty.
    let t = create(&mut alice, "ideas", "doomed").await;
    settle(&mut [&mut bob, &mut boss]).await;
    let r = boss.request(json!({"cmd": "channel_delete", "name": "ideas"})).await;
    assert_eq!(r["cmd"], "channel_delete", "{r}");
    settle(&mut [&mut boss, &mut alice, &mut bob]).await;
    assert_eq!(
        alice.request(json!({"cmd": "thread_get", "thread_id": t["id"]})).await,
        e("thread_get", "Thread not found")
    );
    forums_again(&mut boss, &mut [&mut alice, &mut bob]).await;
    let list = alice.request(json!({"cmd": "channels_get"})).await;
    let ideas = list["val"].as_array().unwrap().iter().find(|c| c["name"] == "ideas").unwrap().clone();
    assert_eq!(ideas["threads"], json!([]));
}

/// Creates `ideas` again after its deletion.
async fn forums_again(boss: &mut Client, others: &mut [&mut Client]) {
    let perms = json!({"view": ["user"], "send": ["user"], "create_thread": ["user"]});
    let r =
        boss.request(json!({"cmd": "channel_create", "name": "ideas", "type": "forum", "permissions": perms})).await;
    assert_eq!(r["created"], true, "{r}");
    boss.sync().await;
    settle(others).await;
}

async fn thread_unreads(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    forums(&mut boss, &mut [&mut alice, &mut bob]).await;
    let t = create(&mut alice, "ideas", "talk").await;
    let id = t["id"].clone();
    settle(&mut [&mut boss]).await;
    let hidden = create(&mut boss, "vault", "hidden").await;
    assert_eq!(hidden["parent_channel"], "vault");
    settle(&mut [&mut bob, &mut alice, &mut boss]).await;
    let mut ids = vec![];
    for i in 0..2 {
        let r = bob.request(json!({"cmd": "message_new", "thread_id": id, "content": format!("t{i}")})).await;
        ids.push(r["message"]["id"].clone());
    }
    settle(&mut [&mut alice, &mut boss]).await;
    let key = format!("thread/{}", id.as_str().unwrap());
    let all = alice.request(json!({"cmd": "unreads_get"})).await;
    assert_eq!(
        all["unreads"],
        json!({
            "general": {"last_read": null, "unread_count": 0, "total_messages": 0},
            key.clone(): {"last_read": null, "unread_count": 2, "total_messages": 2, "parent_channel": "ideas"},
        }),
        "threads of viewable forums only"
    );
    let theirs = boss.request(json!({"cmd": "unreads_get"})).await;
    assert!(theirs["unreads"].get(format!("thread/{}", hidden["id"].as_str().unwrap())).is_some(), "{theirs}");
    let count = alice.request(json!({"cmd": "unreads_count", "thread_id": id})).await;
    assert_eq!(
        count,
        json!({"cmd": "unreads_count", "thread_id": id, "unread_count": 2, "last_read": null, "total_messages": 2})
    );
    let mut alice2 = s.login("alice").await;
    settle(&mut [&mut alice, &mut bob, &mut boss, &mut alice2]).await;
    alice.send(json!({"cmd": "unreads_ack", "thread_id": id, "message_id": ids[0]})).await;
    let update = json!({"cmd": "unreads_update", "thread_id": id, "last_read": ids[0]});
    assert_eq!(alice.recv().await, update);
    assert_eq!(alice.recv().await, json!({"cmd": "unreads_ack", "thread_id": id, "last_read": ids[0]}));
    assert_eq!(alice2.recv().await, update);
    for c in [&mut bob, &mut boss] {
        assert!(c.sync().await.is_empty(), "nobody else hears of a marker");
    }
    let count = alice.request(json!({"cmd": "unreads_count", "thread_id": id})).await;
    assert_eq!((count["unread_count"].clone(), count["last_read"].clone()), (json!(1), ids[0].clone()));
    // Without message_id: the thread's newest.
    let r = alice.request(json!({"cmd": "unreads_ack", "thread_id": id})).await;
    assert_eq!(r, json!({"cmd": "unreads_update", "thread_id": id, "last_read": ids[1]}));
    alice.sync().await;
    assert_eq!(alice.request(json!({"cmd": "unreads_get"})).await["unreads"][&key]["unread_count"], 0);
}

async fn channel_traffic_looks_as_before(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    forums(&mut boss, &mut [&mut alice, &mut bob]).await;
    create(&mut alice, "ideas", "t").await;
    settle(&mut [&mut bob, &mut boss]).await;
    // A channel message, typing, history and unreads carry no thread keys.
    let m = post(&mut alice, "plain").await;
    let b2 = bob.recv().await;
    assert_eq!(b2, json!({"cmd": "message_new", "message": m, "channel": "general", "global": true}));
    boss.sync().await;
    alice.send(json!({"cmd": "typing", "channel": "general"})).await;
    assert_eq!(bob.recv().await, json!({"cmd": "typing", "user": "alice", "channel": "general", "global": true}));
    settle(&mut [&mut alice, &mut boss]).await;
    let page = bob.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    assert!(page.get("thread_id").is_none(), "{page}");
    let count = bob.request(json!({"cmd": "unreads_count", "channel": "general"})).await;
    assert!(count.get("thread_id").is_none(), "{count}");
    // Text channels in channels_get have no threads key.
    let list = bob.request(json!({"cmd": "channels_get"})).await;
    let general = list["val"].as_array().unwrap().iter().find(|c| c["name"] == "general").unwrap().clone();
    assert!(general.get("threads").is_none(), "{general}");
}

async fn editing_deleting_and_reacting_in_threads(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    forums(&mut boss, &mut [&mut alice, &mut bob]).await;
    let id = create(&mut alice, "ideas", "t").await["id"].clone();
    settle(&mut [&mut bob, &mut boss]).await;
    let m = bob.request(json!({"cmd": "message_new", "thread_id": id, "content": "first"})).await["message"].clone();
    let general = post(&mut bob, "in general").await;
    settle(&mut [&mut alice, &mut boss]).await;

    // An edit names the thread (the web client sends the forum as channel too, or nothing).
    let edited = bob.request(json!({"cmd": "message_edit", "thread_id": id, "id": m["id"], "content": "edited"})).await;
    assert_eq!(edited["cmd"], "message_edit", "{edited}");
    assert_eq!((edited["channel"].clone(), edited["thread_id"].clone()), (json!("ideas"), id.clone()));
    assert_eq!((edited["content"].clone(), edited["message"]["edited"].clone()), (json!("edited"), json!(true)));
    assert_eq!(alice.recv().await, edited);
    assert_eq!(boss.recv().await, edited);
    let page = bob.request(json!({"cmd": "thread_messages", "thread_id": id})).await;
    assert_eq!(page["messages"][0]["content"], "edited");
    // A message of a channel is not one of the thread, and the other way round.
    let r = bob.request(json!({"cmd": "message_edit", "thread_id": id, "id": general["id"], "content": "x"})).await;
    assert_eq!(r["cmd"], "error", "{r}");
    let r = bob.request(json!({"cmd": "message_edit", "channel": "general", "id": m["id"], "content": "x"})).await;
    assert_eq!(r["cmd"], "error", "{r}");

    // Reactions carry thread_id too.
    let reacted = alice
        .request(json!({"cmd": "message_react_add", "channel": "ideas", "thread_id": id, "id": m["id"], "emoji": "👍"}))
        .await;
    assert_eq!((reacted["cmd"].clone(), reacted["thread_id"].clone()), (json!("message_react_add"), id.clone()));
    assert_eq!(reacted["channel"], "ideas");
    assert_eq!(bob.recv().await, reacted);
    assert_eq!(boss.recv().await, reacted);
    let page = bob.request(json!({"cmd": "thread_messages", "thread_id": id})).await;
    assert_eq!(page["messages"][0]["reactions"], json!({"👍": ["alice"]}), "{page}");

    // Not in a thread one cannot view.
    settle(&mut [&mut alice]).await;
    let secret = create(&mut boss, "vault", "s").await["id"].clone();
    let sm = boss.request(json!({"cmd": "message_new", "thread_id": secret, "content": "s"})).await["message"].clone();
    let view = "You do not have permission to view this thread";
    for (cmd, extra) in [
        ("message_edit", json!({"content": "x"})),
        ("message_delete", json!({})),
        ("message_react_add", json!({"emoji": "👍"})),
    ] {
        let mut req = json!({"cmd": cmd, "thread_id": secret, "id": sm["id"]});
        req.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        assert_eq!(alice.request(req).await, err(cmd, view), "{cmd}");
    }
    assert!(alice.sync().await.is_empty() && bob.sync().await.is_empty());

    // A locked thread takes no edits or reactions, but its messages can be deleted.
    boss.request(json!({"cmd": "thread_update", "thread_id": id, "locked": true})).await;
    settle(&mut [&mut boss, &mut alice, &mut bob]).await;
    let r = bob.request(json!({"cmd": "message_edit", "thread_id": id, "id": m["id"], "content": "again"})).await;
    assert_eq!(r, err("message_edit", "This thread is locked"));
    let r = alice.request(json!({"cmd": "message_react_add", "thread_id": id, "id": m["id"], "emoji": "🎉"})).await;
    assert_eq!(r, err("message_react_add", "This thread is locked"));
    let deleted = bob.request(json!({"cmd": "message_delete", "thread_id": id, "id": m["id"]})).await;
    let gone = json!({"cmd": "message_delete", "id": m["id"], "channel": "ideas", "thread_id": id, "global": true});
    assert_eq!(deleted, gone);
    assert_eq!(alice.recv().await, gone);
    assert_eq!(boss.recv().await, gone);
    let page = bob.request(json!({"cmd": "thread_messages", "thread_id": id})).await;
    assert_eq!(page["messages"], json!([]));
}

async fn a_timeout_blocks_thread_writes(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    forums(&mut boss, &mut [&mut alice, &mut bob]).await;
    let id = create(&mut bob, "ideas", "bob's").await["id"].clone();
    settle(&mut [&mut alice]).await;
    let mine = create(&mut alice, "ideas", "alice's").await["id"].clone();
    settle(&mut [&mut boss, &mut alice, &mut bob]).await;
    let t = json!({"cmd": "user_timeout", "user": "alice", "timeout": 300});
    assert_eq!(boss.request(t).await["cmd"], "user_timeout");
    assert_eq!(alice.recv().await["cmd"], "rate_limit");
    for req in [
        json!({"cmd": "thread_create", "channel": "ideas", "name": "x"}),
        json!({"cmd": "thread_create"}),
        json!({"cmd": "thread_update", "thread_id": mine, "name": "y"}),
        json!({"cmd": "thread_join", "thread_id": id}),
        json!({"cmd": "thread_leave", "thread_id": id}),
        json!({"cmd": "message_new", "thread_id": id, "content": "z"}),
        json!({"cmd": "typing", "thread_id": id}),
    ] {
        let r = alice.request(req.clone()).await;
        assert_eq!(r["cmd"], "rate_limit", "{req}: {r}");
    }
    for c in [&mut boss, &mut bob] {
        assert!(c.sync().await.is_empty(), "nothing was broadcast");
    }
    // Reading still works.
    assert_eq!(alice.request(json!({"cmd": "thread_get", "thread_id": id})).await["cmd"], "thread_get");
}

backend_tests!(
    lifecycle_and_broadcasts,
    access_errors_and_manage_threads,
    thread_unreads,
    channel_traffic_looks_as_before,
    editing_deleting_and_reacting_in_threads,
    a_timeout_blocks_thread_writes
);
