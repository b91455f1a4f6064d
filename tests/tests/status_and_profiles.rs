//! Status, nicknames and deleting users over a real socket (docs/design/status.md,
//! docs/design/profiles.md): who hears each change and who does not, hidden presence
//! (`offline` and `invisible` alike), errors, persistence, and that a client which never
//! sends these commands sees exactly the packets it saw before.

use originchats_tests::expect::{err, next_cmd, settle};
use originchats_tests::scenes::{cast, post, start, start_with};
use originchats_tests::{Backend, Client, backend_tests};
use serde_json::{Value, json};

fn status(s: &str, text: &str) -> Value {
    json!({"status": s, "text": text})
}

async fn quiet(clients: &mut [&mut Client]) {
    for c in clients.iter_mut() {
        assert_eq!(c.sync().await, Vec::<Value>::new(), "nothing more arrived");
    }
}

async fn statuses_and_hidden_presence(b: Backend) {
    let mut s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    let get = |who: &str| json!({"cmd": "status_get", "user": who});
    assert_eq!(
        bob.request(get("alice")).await,
        json!({"cmd": "status_get", "username": "alice", "status": status("online", "")}),
        "never set: online"
    );
    // A visible status reaches everyone, the sender's copy with its listener.
    alice.send(json!({"cmd": "status_set", "status": "dnd", "text": "busy", "listener": "s1"})).await;
    let seen = json!({"cmd": "status_get", "username": "alice", "status": status("dnd", "busy")});
    let mut own = seen.clone();
    own["listener"] = json!("s1");
    assert_eq!(alice.recv().await, own);
    assert_eq!(bob.recv().await, seen);
    assert_eq!(boss.recv().await, seen);
    assert_eq!(bob.request(get("ALICE")).await, seen, "usernames compare case-insensitively");
    let listed = bob.request(json!({"cmd": "users_list"})).await;
    let entry = listed["users"].as_array().unwrap().iter().find(|u| u["username"] == "alice").unwrap().clone();
    assert_eq!(entry["status"], status("dnd", "busy"));
    let bob_entry = listed["users"].as_array().unwrap().iter().find(|u| u["username"] == "bob").unwrap().clone();
    assert_eq!(bob_entry.get("status"), None, "no status key for a user who never chose one");
    // Going hidden: everyone hears a disconnect, only the sender the status_set.
    for hidden in ["invisible", "offline"] {
        let r = alice.request(json!({"cmd": "status_set", "status": hidden})).await;
        if hidden == "invisible" {
            assert_eq!(r, json!({"cmd": "user_disconnect", "username": "alice"}));
            assert_eq!(alice.recv().await, json!({"cmd": "status_set", "status": status("invisible", "")}));
            assert_eq!(bob.recv().await, json!({"cmd": "user_disconnect", "username": "alice"}));
            assert_eq!(boss.recv().await, json!({"cmd": "user_disconnect", "username": "alice"}));
        } else {
            assert_eq!(r, json!({"cmd": "status_set", "status": status("offline", "")}), "already hidden: no event");
        }
        quiet(&mut [&mut alice, &mut bob, &mut boss]).await;
    }
    assert_eq!(bob.request(get("alice")).await["status"], status("offline", ""), "others see offline");
    assert_eq!(alice.request(get("alice")).await["status"], status("offline", ""));
    let online = bob.request(json!({"cmd": "users_online"})).await;
    assert!(!online["users"].as_array().unwrap().iter().any(|u| u["username"] == "alice"), "{online}");
    // Hidden logins and logouts are silent, also after a restart.
    drop((alice, bob, boss));
    s.restart();
    let mut boss = s.login("boss").await;
    let alice = s.login("alice").await;
    quiet(&mut [&mut boss]).await;
    alice.close().await;
    let mut bob = s.login("bob").await;
    let boss_saw = boss.sync().await;
    assert!(boss_saw.iter().all(|p| p["username"] != "alice"), "nothing about alice: {boss_saw:?}");
    // Leaving the hidden status: user_connect, then the status, to everyone.
    let mut alice = s.login("alice").await;
    settle(&mut [&mut boss, &mut bob]).await;
    let r = alice.request(json!({"cmd": "status_set", "status": "idle", "text": "brb"})).await;
    assert_eq!(r["cmd"], "user_connect");
    assert_eq!(r["user"]["username"], "alice");
    let seen = json!({"cmd": "status_get", "username": "alice", "status": status("idle", "brb")});
    assert_eq!(alice.recv().await, seen);
    for c in [&mut bob, &mut boss] {
        assert_eq!(c.recv().await["cmd"], "user_connect");
        assert_eq!(c.recv().await, seen);
    }
    // Errors change nothing and tell nobody.
    let e = |v: &str| err("status_set", v);
    let invalid = "Invalid status. Must be one of: online, idle, dnd, offline, invisible";
    for (req, expected) in [
        (json!({}), e("Status is required")),
        (json!({"status": ""}), e("Status is required")),
        (json!({"status": "away"}), e(invalid)),
        (json!({"status": 3}), e(invalid)),
        (json!({"status": "idle", "text": "x".repeat(101)}), e(invalid)),
        (json!({"status": "idle", "text": 5}), e(invalid)),
    ] {
        let mut req = req;
        req["cmd"] = json!("status_set");
        assert_eq!(alice.request(req).await, expected);
    }
    assert_eq!(alice.request(json!({"cmd": "status_get"})).await, err("status_get", "User parameter is required"));
    assert_eq!(alice.request(get("nobody")).await, err("status_get", "User not found"));
    quiet(&mut [&mut alice, &mut bob, &mut boss]).await;
    assert_eq!(bob.request(get("alice")).await["status"], status("idle", "brb"));
    assert_eq!(
        alice.request(json!({"cmd": "status_set", "status": "online", "text": "x".repeat(100)})).await["cmd"],
        "status_get"
    );
}

async fn nicknames(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    let upd = |user: &str, updates: Value| json!({"cmd": "user_update", "user": user, "updates": updates});
    // Own nickname: the reply to the sender, user_updated and nickname_update to everyone.
    let r = alice.request(upd("alice", json!({"nickname": "Ally"}))).await;
    let updated = json!({"cmd": "user_updated", "username": "alice", "nickname": "Ally"});
    let nick = json!({"cmd": "nickname_update", "user": "alice", "username": "alice", "nickname": "Ally"});
    assert_eq!(r, updated);
    assert_eq!(alice.recv().await, nick);
    assert_eq!(alice.recv().await, json!({"cmd": "user_update", "user": "alice", "nickname": "Ally"}));
    for c in [&mut bob, &mut boss] {
        assert_eq!(c.recv().await, updated);
        assert_eq!(c.recv().await, nick);
    }
    let listed = bob.request(json!({"cmd": "users_list"})).await;
    let entry = listed["users"].as_array().unwrap().iter().find(|u| u["username"] == "alice").unwrap().clone();
    assert_eq!(entry["nickname"], "Ally");
    // Someone else's: only with manage_users (the owner for now).
    let denied = bob.request(upd("alice", json!({"nickname": "x"}))).await;
    assert_eq!(denied, err("user_update", "Access denied: 'manage_users' permission required"));
    let r = boss.request(upd("alice", json!({"nickname": null}))).await;
    assert_eq!(r, json!({"cmd": "user_updated", "username": "alice", "nickname": null}));
    assert_eq!(boss.recv().await, json!({"cmd": "nickname_remove", "user": "alice", "username": "alice"}));
    assert_eq!(boss.recv().await, json!({"cmd": "user_update", "user": "alice", "nickname": null}));
    for c in [&mut alice, &mut bob] {
        assert_eq!(c.recv().await["cmd"], "user_updated");
        assert_eq!(c.recv().await, json!({"cmd": "nickname_remove", "user": "alice", "username": "alice"}));
    }
    let e = |v: &str| err("user_update", v);
    for (req, expected) in [
        (json!({"cmd": "user_update", "updates": {"nickname": "x"}}), e("User parameter is required")),
        (upd("nobody", json!({"nickname": "x"})), e("User not found")),
        (upd("alice", json!("x")), e("Updates must be an object")),
        (upd("alice", json!({})), e("Updates must be an object")),
        (upd("alice", json!({"username": "eve"})), e("Cannot update field: username")),
        (upd("alice", json!({"nickname": 5})), e("Nickname must be a string or null")),
        (upd("alice", json!({"nickname": "n".repeat(33)})), e("Nickname must be at most 32 characters")),
    ] {
        assert_eq!(alice.request(req.clone()).await, expected, "{req}");
    }
    quiet(&mut [&mut alice, &mut bob, &mut boss]).await;
}

async fn deleting_users(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    let del = |user: &str| json!({"cmd": "user_delete", "user": user});
    assert_eq!(
        bob.request(del("alice")).await,
        err("user_delete", "Access denied: 'manage_users' permission required")
    );
    assert_eq!(boss.request(del("boss")).await, err("user_delete", "Cannot delete the last owner"));
    assert_eq!(boss.request(del("nobody")).await, err("user_delete", "User not found"));
    assert_eq!(boss.request(json!({"cmd": "user_delete"})).await, err("user_delete", "User parameter is required"));
    quiet(&mut [&mut alice, &mut bob, &mut boss]).await;
    let r = boss.request(del("alice")).await;
    assert_eq!(r, json!({"cmd": "user_leave", "username": "alice"}));
    assert_eq!(boss.recv().await, json!({"cmd": "user_delete", "user": "alice", "deleted": true}));
    // The list push is debounced, so alice's closing connection may be announced first.
    next_cmd(&mut boss, "users_list").await;
    assert_eq!(bob.recv().await, json!({"cmd": "user_leave", "username": "alice"}));
    assert_eq!(alice.recv().await, json!({"cmd": "user_leave", "username": "alice"}));
    assert!(alice.closed().await.is_some(), "the deleted user's connections close");
    let mut cmds = vec![];
    while !(cmds.contains(&"user_disconnect".to_owned()) && cmds.contains(&"users_list".to_owned())) {
        let p = bob.recv().await;
        if p["cmd"] == "users_list" {
            assert!(!p["users"].as_array().unwrap().iter().any(|u| u["username"] == "alice"), "{p}");
        }
        cmds.push(p["cmd"].as_str().unwrap().to_owned());
    }
    cmds.sort();
    assert_eq!(cmds, ["user_disconnect", "users_list"], "then the list and the closed connection");
    // Oneself, without any permission.
    bob.sync().await;
    let r = bob.request(del("bob")).await;
    assert_eq!(r, json!({"cmd": "user_leave", "username": "bob"}));
    assert_eq!(bob.recv().await, json!({"cmd": "user_delete", "user": "bob", "deleted": true}));
}

/// A client of the seed protocol: everything it receives while others only use the seed
/// commands is unchanged (no status, nickname or unreads keys or packets).
async fn old_clients_see_what_they_saw(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    let ready = alice.ready.clone().unwrap();
    assert_eq!(ready["user"].get("status"), None);
    assert_eq!(ready["user"].get("nickname"), None);
    let list = alice.request(json!({"cmd": "users_list"})).await;
    for u in list["users"].as_array().unwrap() {
        let keys: Vec<&String> = u.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["username", "roles", "color"], "{u}");
    }
    let online = alice.request(json!({"cmd": "users_online"})).await;
    for u in online["users"].as_array().unwrap() {
        assert_eq!(u.as_object().unwrap().len(), 3, "{u}");
    }
    let m = alice.request(json!({"cmd": "message_new", "channel": "general", "content": "hi"})).await;
    assert_eq!(m["cmd"], "message_new");
    let heard = bob.sync().await;
    assert_eq!(heard.iter().map(|p| p["cmd"].as_str().unwrap()).collect::<Vec<_>>(), ["message_new"]);
    let page = bob.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 1);
    let seen = boss.sync().await;
    assert_eq!(seen.iter().map(|p| p["cmd"].as_str().unwrap()).collect::<Vec<_>>(), ["message_new"]);
    quiet(&mut [&mut alice, &mut bob]).await;
    let again = s.login("bob").await;
    assert_eq!(
        again.ready.clone().unwrap()["user"].as_object().unwrap().len(),
        ready["user"].as_object().unwrap().len()
    );
}

/// `status_set` and `user_update` reach every logged-in user, so they draw on a bucket of
/// their own (docs/design/rate-limits.md#buckets): over it, the sender gets `rate_limit`,
/// nobody else hears anything, and nothing is stored; bad input is refused before it costs a
/// slot; messages keep their own budget.
async fn profile_changes_draw_on_a_bucket_of_their_own(b: Backend) {
    let limits = json!({"rate_limiting": {"enabled": true, "messages_per_minute": 1000, "burst_limit": 3,
        "burst_window_seconds": 10, "cooldown_seconds": 5}});
    let s = start_with(b, limits).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    let invalid = "Invalid status. Must be one of: online, idle, dnd, offline, invisible";
    for (i, text) in ["one", "two"].into_iter().enumerate() {
        let bad = alice.request(json!({"cmd": "status_set", "status": "bogus", "listener": format!("b{i}")})).await;
        assert_eq!(bad, json!({"cmd": "error", "src": "status_set", "val": invalid, "listener": format!("b{i}")}));
        alice.send(json!({"cmd": "status_set", "status": "idle", "text": text})).await;
        let seen = json!({"cmd": "status_get", "username": "alice", "status": status("idle", text)});
        for c in [&mut alice, &mut bob, &mut boss] {
            assert_eq!(c.recv().await, seen);
        }
    }
    let r = alice.request(json!({"cmd": "user_update", "user": "alice", "updates": {"nickname": "Ally"}})).await;
    assert_eq!(r, json!({"cmd": "user_updated", "username": "alice", "nickname": "Ally"}));
    settle(&mut [&mut alice, &mut bob, &mut boss]).await;
    let limited = |l: &str| json!({"cmd": "rate_limit", "reason": "Burst limit exceeded. You're in cooldown for 5 seconds", "length": 5000, "listener": l});
    let fourth = json!({"cmd": "status_set", "status": "dnd", "text": "three", "listener": "p4"});
    assert_eq!(alice.request(fourth).await, limited("p4"));
    let nick = json!({"cmd": "user_update", "user": "alice", "updates": {"nickname": "Al"}, "listener": "p5"});
    let again = alice.request(nick).await;
    assert_eq!((&again["cmd"], &again["listener"]), (&json!("rate_limit"), &json!("p5")), "{again}");
    let reason = again["reason"].as_str().unwrap();
    assert!(reason.starts_with("You are in cooldown for ") && reason.ends_with(" more seconds"), "{again}");
    assert!((1..=5000).contains(&again["length"].as_u64().unwrap()), "{again}");
    quiet(&mut [&mut bob, &mut boss]).await;
    assert_eq!(
        bob.request(json!({"cmd": "status_get", "user": "alice"})).await,
        json!({"cmd": "status_get", "username": "alice", "status": status("idle", "two")}),
        "the refused status was not stored"
    );
    let listed = bob.request(json!({"cmd": "users_list"})).await;
    let entry = listed["users"].as_array().unwrap().iter().find(|u| u["username"] == "alice").unwrap().clone();
    assert_eq!(entry["nickname"], "Ally", "the refused nickname was not stored");
    let m = post(&mut alice, "messages have a budget of their own").await;
    assert_eq!(m["content"], "messages have a budget of their own");
    settle(&mut [&mut bob, &mut boss]).await;
    // Another user's budget is untouched.
    bob.send(json!({"cmd": "status_set", "status": "dnd", "text": ""})).await;
    let seen = json!({"cmd": "status_get", "username": "bob", "status": status("dnd", "")});
    assert_eq!(boss.recv().await, seen);
}

backend_tests!(
    statuses_and_hidden_presence,
    nicknames,
    deleting_users,
    old_clients_see_what_they_saw,
    profile_changes_draw_on_a_bucket_of_their_own
);
