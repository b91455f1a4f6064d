//! Channels over a real socket (docs/design/channels.md "Channels"): `channels_get` (the
//! defaults, `last_message`), `channel_create` / `channel_update` / `channel_move` /
//! `channel_delete` with the live `channels_get` pushes, every bad-input text of update, move
//! and delete in the listed order (after each refusal nothing changed, lists and history
//! re-fetched, and no push went out), and rights that follow a role or channel change at
//! once.

use originchats_tests::expect::err;
use originchats_tests::scenes::{act, start};
use originchats_tests::{Backend, Client, TestServer, backend_tests};
use serde_json::{Value, json};

fn names(list: &Value) -> Vec<String> {
    list["val"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect()
}

/// The owner `boss` and the user `bob`, with a channel `side` (visible to users) holding
/// one message; both synced.
async fn setup(b: Backend) -> (TestServer, Client, Client) {
    let s = start(b).await;
    let mut boss = s.login("boss").await;
    let mut bob = s.login("bob").await;
    boss.sync().await;
    let side = json!({"cmd": "channel_create", "name": "side", "type": "text", "description": "Side",
        "permissions": {"view": ["user"], "send": ["user"]}});
    assert_eq!(boss.request(side).await["created"], true);
    boss.sync().await;
    bob.sync().await;
    let m = bob.request(json!({"cmd": "message_new", "channel": "side", "content": "kept"})).await;
    assert_eq!(m["cmd"], "message_new");
    boss.sync().await;
    (s, boss, bob)
}

async fn snapshot(boss: &mut Client, bob: &mut Client) -> Vec<Value> {
    let mut out = vec![];
    for c in [&mut *boss, &mut *bob] {
        let list = c.request(json!({"cmd": "channels_get"})).await;
        assert_eq!(list["cmd"], "channels_get", "{list}");
        out.push(list);
        let history = c.request(json!({"cmd": "messages_get", "channel": "side"})).await;
        assert_eq!(history["cmd"], "messages_get", "{history}");
        out.push(history);
    }
    out
}

/// Sends each `(request, expected)` as the owner, then checks no push reached anyone and
/// the re-fetched state equals `before`.
async fn refuse_all(boss: &mut Client, bob: &mut Client, cmd: &str, cases: Vec<(Value, Value)>) {
    let before = snapshot(boss, bob).await;
    for (req, expected) in cases {
        let mut req = req;
        req["cmd"] = json!(cmd);
        assert_eq!(boss.request(req.clone()).await, expected, "{req}");
    }
    assert_eq!(boss.sync().await, Vec::<Value>::new(), "no push reached the owner after bad {cmd}");
    assert_eq!(bob.sync().await, Vec::<Value>::new(), "no push reached bob after bad {cmd}");
    assert_eq!(snapshot(boss, bob).await, before, "nothing changed after bad {cmd}");
}

async fn channels_get_lists_the_defaults_with_last_message(b: Backend) {
    let s = TestServer::start(b).await;
    let mut c = s.login("alice").await;
    c.sync().await;
    let general = json!({"type": "text", "name": "general",
        "permissions": {"view": ["user"], "send": ["user"], "delete": ["admin", "moderator"]},
        "description": "General chat channel for everyone"});
    let mut expected = general.clone();
    expected["last_message"] = Value::Null;
    let reply = c.request(json!({"cmd": "channels_get", "listener": "c"})).await;
    assert_eq!(reply, json!({"cmd": "channels_get", "val": [expected], "listener": "c"}));
    let m = c.request(json!({"cmd": "message_new", "channel": "general", "content": "x"})).await;
    let reply = c.request(json!({"cmd": "channels_get"})).await;
    assert_eq!(reply["val"][0]["last_message"], m["message"]["timestamp"]);
}

async fn channel_lifecycle_with_pushes(b: Backend) {
    let s = start(b).await;
    let mut boss = s.login("boss").await;
    let mut bob = s.login("bob").await;
    boss.sync().await;
    let create = json!({"cmd": "channel_create", "name": "staff", "type": "text", "description": "Staff only",
        "permissions": {"view": ["admin"], "send": ["admin"]}});
    assert_eq!(bob.request(create.clone()).await, err("channel_create", "Access denied: 'owner' role required"));
    let (reply, pushes) = act(&mut boss, create.clone()).await;
    assert_eq!(
        reply,
        json!({"cmd": "channel_create", "channel": {"type": "text", "name": "staff",
            "permissions": {"view": ["admin"], "send": ["admin"]}, "description": "Staff only"}, "created": true})
    );
    assert_eq!(names(&pushes[0]), ["general", "staff"], "the owner sees every channel");
    let bob_push = bob.recv().await;
    assert_eq!(bob_push["cmd"], "channels_get");
    assert_eq!(names(&bob_push), ["general"], "a hidden channel's name never reaches bob");
    assert!(bob.sync().await.is_empty());
    for (req, text) in [
        (json!({"type": "text"}), "Channel name is required"),
        (json!({"name": "x"}), "Channel type is required (text, voice, or separator)"),
        (json!({"name": "x", "type": "category"}), "Invalid channel type, must be text, voice, or separator"),
        (json!({"name": "../etc", "type": "text"}), "Invalid channel name"),
        (json!({"name": "staff", "type": "text"}), "Channel already exists"),
    ] {
        let mut req = req;
        req["cmd"] = json!("channel_create");
        assert_eq!(boss.request(req).await, err("channel_create", text));
    }
    let (voice, _) = act(&mut boss, json!({"cmd": "channel_create", "name": "lounge", "type": "voice"})).await;
    assert_eq!(voice["channel"]["permissions"], json!({"view": ["owner"], "send": ["owner"]}));
    let (sep, _) =
        act(&mut boss, json!({"cmd": "channel_create", "name": "-- more --", "type": "separator", "size": 12})).await;
    assert_eq!(sep["channel"], json!({"type": "separator", "name": "-- more --", "size": 12}));
    bob.sync().await;
    let listed = bob.request(json!({"cmd": "channels_get"})).await;
    assert_eq!(names(&listed), ["general", "-- more --"], "separators without a view list are visible to all");

    let upd = json!({"cmd": "channel_update", "current_name": "staff",
        "updates": {"name": "team", "permissions": {"view": ["user"], "send": ["user"]}, "display_name": "Team", "bogus": 1}});
    let (reply, _) = act(&mut boss, upd).await;
    assert_eq!(
        reply,
        json!({"cmd": "channel_update", "channel": {"type": "text", "name": "team",
            "permissions": {"view": ["user"], "send": ["user"]}, "description": "Staff only", "display_name": "Team"}, "updated": true})
    );
    let bob_push = bob.recv().await;
    assert_eq!(names(&bob_push), ["general", "team", "-- more --"], "bob's list changes at once");
    for (req, text) in [
        (json!({"updates": {"name": "y"}}), "current_name is required"),
        (json!({"current_name": "team"}), "updates object is required"),
        (json!({"current_name": "team", "updates": {}}), "updates object is required"),
        (json!({"current_name": "nope", "updates": {"name": "y"}}), "Channel not found"),
        (json!({"current_name": "team", "updates": {"type": "forum"}}), "Invalid channel type"),
        (json!({"current_name": "team", "updates": {"name": "general"}}), "Channel with new name already exists"),
        (json!({"current_name": "team", "updates": {"permissions": 5}}), "Permissions must be an object"),
    ] {
        let mut req = req;
        req["cmd"] = json!("channel_update");
        assert_eq!(boss.request(req).await, err("channel_update", text));
    }
    let m = bob.request(json!({"cmd": "message_new", "channel": "team", "content": "kept across renames"})).await;
    assert_eq!(m["cmd"], "message_new");
    boss.sync().await;

    let (moved, _) = act(&mut boss, json!({"cmd": "channel_move", "name": "team", "position": 0})).await;
    assert_eq!(moved, json!({"cmd": "channel_move", "name": "team", "position": 0, "moved": true}));
    assert_eq!(names(&bob.recv().await), ["team", "general", "-- more --"]);
    let (moved, _) = act(&mut boss, json!({"cmd": "channel_move", "name": "team", "position": 99})).await;
    assert_eq!(moved["moved"], true);
    assert_eq!(names(&bob.recv().await), ["general", "-- more --", "team"], "past the end appends");
    let (unknown, pushes) = act(&mut boss, json!({"cmd": "channel_move", "name": "nope", "position": 0})).await;
    assert_eq!((unknown["moved"].clone(), pushes.len()), (json!(false), 0));
    assert_eq!(
        boss.request(json!({"cmd": "channel_move", "name": "team"})).await,
        err("channel_move", "Position is required")
    );
    assert_eq!(
        boss.request(json!({"cmd": "channel_move", "name": "team", "position": -1})).await,
        err("channel_move", "Position must be a non-negative integer")
    );
    assert_eq!(
        boss.request(json!({"cmd": "channel_move", "name": "team", "position": "1"})).await,
        err("channel_move", "Position must be a non-negative integer")
    );

    let history = bob.request(json!({"cmd": "messages_get", "channel": "team"})).await;
    assert_eq!(history["messages"][0]["content"], "kept across renames");
    let (deleted, _) = act(&mut boss, json!({"cmd": "channel_delete", "name": "TEAM"})).await;
    assert_eq!(deleted, json!({"cmd": "channel_delete", "name": "team", "deleted": true}));
    assert_eq!(names(&bob.recv().await), ["general", "-- more --"]);
    assert_eq!(
        boss.request(json!({"cmd": "channel_delete", "name": "team"})).await,
        err("channel_delete", "Channel not found")
    );
    let (_, _) = act(
        &mut boss,
        json!({"cmd": "channel_create", "name": "team", "type": "text", "permissions": {"view": ["user"]}}),
    )
    .await;
    bob.sync().await;
    let fresh = bob.request(json!({"cmd": "messages_get", "channel": "team"})).await;
    assert_eq!(fresh["messages"], json!([]), "a deleted channel's messages went with it");
}

async fn channel_update_rejects_bad_input_and_changes_nothing(b: Backend) {
    let (_s, mut boss, mut bob) = setup(b).await;
    let e = |t: &str| err("channel_update", t);
    let cases = vec![
        (json!({}), e("current_name is required")),
        (json!({"updates": {"name": "y"}}), e("current_name is required")),
        (json!({"current_name": "", "updates": {"name": "y"}}), e("current_name is required")),
        (json!({"current_name": "side"}), e("updates object is required")),
        (json!({"current_name": "side", "updates": {}}), e("updates object is required")),
        (json!({"current_name": "side", "updates": null}), e("updates object is required")),
        (json!({"current_name": "side", "updates": ["name"]}), e("updates object is required")),
        (json!({"current_name": "side", "updates": "renamed"}), e("updates object is required")),
        (json!({"current_name": "nope", "updates": {"name": "y"}}), e("Channel not found")),
        (json!({"current_name": "SIDE", "updates": {"name": "y"}}), e("Channel not found")),
        (json!({"current_name": "nope", "updates": {"type": "forum"}}), e("Channel not found")),
        (json!({"current_name": "side", "updates": {"type": "forum"}}), e("Invalid channel type")),
        (json!({"current_name": "side", "updates": {"type": "forum", "name": "renamed"}}), e("Invalid channel type")),
        (
            json!({"current_name": "side", "updates": {"name": "general", "description": "changed"}}),
            e("Channel with new name already exists"),
        ),
        (json!({"current_name": "side", "updates": {"name": "a/b"}}), e("Invalid channel name")),
        (
            json!({"current_name": "side", "updates": {"name": "..", "description": "changed"}}),
            e("Invalid channel name"),
        ),
        (json!({"current_name": "side", "updates": {"name": "bell\u{7}"}}), e("Invalid channel name")),
    ];
    refuse_all(&mut boss, &mut bob, "channel_update", cases).await;
}

async fn channel_move_rejects_bad_input_and_changes_nothing(b: Backend) {
    let (_s, mut boss, mut bob) = setup(b).await;
    let e = |t: &str| err("channel_move", t);
    let cases = vec![
        (json!({}), e("Channel name is required")),
        (json!({"position": 0}), e("Channel name is required")),
        (json!({"name": "", "position": 0}), e("Channel name is required")),
        (json!({"name": "side"}), e("Position is required")),
        (json!({"name": "side", "position": null}), e("Position is required")),
        (json!({"name": "side", "position": -1}), e("Position must be a non-negative integer")),
        (json!({"name": "side", "position": 0.5}), e("Position must be a non-negative integer")),
        (json!({"name": "side", "position": "0"}), e("Position must be a non-negative integer")),
        (json!({"name": "side", "position": [0]}), e("Position must be a non-negative integer")),
        // An unknown channel is no error: a success-shaped reply saying nothing moved.
        (
            json!({"name": "nope", "position": 0}),
            json!({"cmd": "channel_move", "name": "nope", "position": 0, "moved": false}),
        ),
    ];
    refuse_all(&mut boss, &mut bob, "channel_move", cases).await;
}

async fn channel_delete_rejects_bad_input_and_changes_nothing(b: Backend) {
    let (_s, mut boss, mut bob) = setup(b).await;
    let e = |t: &str| err("channel_delete", t);
    let cases = vec![
        (json!({}), e("Channel name is required")),
        (json!({"name": ""}), e("Channel name is required")),
        (json!({"name": null}), e("Channel name is required")),
        (json!({"name": "nope"}), e("Channel not found")),
        (json!({"name": "sid"}), e("Channel not found")),
    ];
    refuse_all(&mut boss, &mut bob, "channel_delete", cases).await;
}

async fn no_stale_permission_after_a_role_or_channel_change(b: Backend) {
    let s = start(b).await;
    let mut boss = s.login("boss").await;
    let mut bob = s.login("bob").await;
    boss.sync().await;
    act(&mut boss, json!({"cmd": "channel_create", "name": "vip", "type": "text", "permissions": {"view": ["admin"], "send": ["admin"]}})).await;
    bob.sync().await;
    let post = json!({"cmd": "message_new", "channel": "vip", "content": "hi"});
    assert_eq!(
        bob.request(post.clone()).await,
        err("message_new", "You do not have permission to send messages in this channel")
    );
    act(&mut boss, json!({"cmd": "user_roles_add", "user": "bob", "roles": ["admin"]})).await;
    bob.sync().await;
    assert_eq!(bob.request(post.clone()).await["cmd"], "message_new", "granted at once");
    let seen = boss.recv().await;
    assert_eq!(seen["message"]["content"], "hi", "and the owner, a viewer, got the broadcast");
    act(
        &mut boss,
        json!({"cmd": "channel_update", "current_name": "vip", "updates": {"permissions": {"view": ["owner"]}}}),
    )
    .await;
    bob.sync().await;
    assert_eq!(
        bob.request(post.clone()).await,
        err("message_new", "You do not have permission to send messages in this channel")
    );
    act(&mut boss, json!({"cmd": "channel_update", "current_name": "vip", "updates": {"permissions": {"view": ["admin"], "send": ["admin"]}}})).await;
    act(&mut boss, json!({"cmd": "user_roles_remove", "user": "bob", "roles": ["admin"]})).await;
    bob.sync().await;
    assert_eq!(
        bob.request(post).await,
        err("message_new", "You do not have permission to send messages in this channel"),
        "revoked at once"
    );
    boss.request(json!({"cmd": "message_new", "channel": "vip", "content": "secret"})).await;
    assert!(bob.sync().await.is_empty(), "no broadcast reaches a user whose role was just removed");
}

backend_tests!(
    channels_get_lists_the_defaults_with_last_message,
    channel_lifecycle_with_pushes,
    channel_update_rejects_bad_input_and_changes_nothing,
    channel_move_rejects_bad_input_and_changes_nothing,
    channel_delete_rejects_bad_input_and_changes_nothing,
    no_stale_permission_after_a_role_or_channel_change,
);
