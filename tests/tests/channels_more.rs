//! Bad input of channel_update, channel_move and channel_delete over a real socket
//! (users-roles-channels.md "Channels"): every listed text, in the listed order, and after
//! each refusal nothing changed (lists and history re-fetched) and no push went out.

use originchats_tests::expect::err;
use originchats_tests::{Backend, Client, TestServer, backend_tests};
use serde_json::{Value, json};

/// The owner `boss` and the user `bob`, with a channel `side` (visible to users) holding
/// one message; both synced.
async fn setup(b: Backend) -> (TestServer, Client, Client) {
    let s = TestServer::start_with(b, json!({"auth": {"owners": ["boss"]}})).await;
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

backend_tests!(
    channel_update_rejects_bad_input_and_changes_nothing,
    channel_move_rejects_bad_input_and_changes_nothing,
    channel_delete_rejects_bad_input_and_changes_nothing,
);
