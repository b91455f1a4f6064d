//! Users over a real socket (docs/design/moderation.md): `users_list`, `users_online` (each
//! online user once, with roles and colour), the owner gate of `users_banned_list`, and
//! `user_leave` (the record goes, the sockets close, a returning user is new again).

use originchats_tests::expect::{next_cmd, owner_only};
use originchats_tests::scenes::{act, start};
use originchats_tests::{Backend, backend_tests};
use serde_json::{Value, json};

fn sorted_users(v: &Value) -> Vec<Value> {
    let mut users = v["users"].as_array().unwrap_or_else(|| panic!("no users: {v}")).clone();
    users.sort_by(|a, b| a["username"].as_str().cmp(&b["username"].as_str()));
    users
}

async fn user_lists(b: Backend) {
    let s = start(b).await;
    let mut boss = s.login("boss").await;
    let mut alice = s.login("alice").await;
    let mut alice2 = s.login("alice").await;
    boss.sync().await;
    alice.sync().await;
    alice2.sync().await;
    let list = alice.request(json!({"cmd": "users_list"})).await;
    assert_eq!(
        list,
        json!({"cmd": "users_list", "users": [
            {"username": "boss", "roles": ["owner", "user"], "color": "#9400D3"},
            {"username": "alice", "roles": ["user"], "color": "#FFFFFF"}]})
    );
    let online = alice.request(json!({"cmd": "users_online"})).await;
    assert_eq!(online["users"].as_array().unwrap().len(), 2, "each user once: {online}");
    assert_eq!(alice.request(json!({"cmd": "users_banned_list"})).await, owner_only("users_banned_list"));
    assert_eq!(
        boss.request(json!({"cmd": "users_banned_list"})).await,
        json!({"cmd": "users_banned_list", "users": []})
    );
}

async fn users_online_lists_each_user_once_with_roles_and_colour(b: Backend) {
    let s = start(b).await;
    let mut boss = s.login("boss").await;
    let carol = s.login("carol").await;
    carol.close().await;
    assert_eq!(boss.expect_cmd("user_disconnect").await, json!({"cmd": "user_disconnect", "username": "carol"}));
    let mut alice1 = s.login("alice").await;
    let alice2 = s.login("alice").await;
    let mut bob = s.login("bob").await;
    boss.sync().await;
    act(&mut boss, json!({"cmd": "user_roles_add", "user": "bob", "roles": ["moderator"]})).await;
    alice1.sync().await;
    bob.sync().await;
    let online = alice1.request(json!({"cmd": "users_online"})).await;
    assert_eq!(online["cmd"], "users_online");
    assert_eq!(online.as_object().unwrap().len(), 2, "cmd and users only: {online}");
    assert_eq!(
        sorted_users(&online),
        [
            json!({"username": "alice", "roles": ["user"], "color": "#FFFFFF"}),
            json!({"username": "bob", "roles": ["moderator", "user"], "color": "#FFFF00"}),
            json!({"username": "boss", "roles": ["owner", "user"], "color": "#9400D3"}),
        ],
        "one entry per online user, two connections or not; carol is offline"
    );
    // With one of alice's connections gone she is still listed once; with both gone, not at all.
    alice2.close().await;
    let online = boss.request(json!({"cmd": "users_online"})).await;
    let names: Vec<Value> = sorted_users(&online).iter().map(|u| u["username"].clone()).collect();
    assert_eq!(names, [json!("alice"), json!("bob"), json!("boss")]);
    alice1.close().await;
    assert_eq!(boss.expect_cmd("user_disconnect").await, json!({"cmd": "user_disconnect", "username": "alice"}));
    let online = boss.request(json!({"cmd": "users_online"})).await;
    let names: Vec<Value> = sorted_users(&online).iter().map(|u| u["username"].clone()).collect();
    assert_eq!(names, [json!("bob"), json!("boss")]);
}

async fn user_leave_deletes_the_record_and_closes(b: Backend) {
    let s = start(b).await;
    let mut watcher = s.login("watcher").await;
    let mut alice = s.login("alice").await;
    watcher.sync().await;
    alice.send(json!({"cmd": "user_leave", "listener": "bye"})).await;
    assert_eq!(alice.recv().await, json!({"cmd": "user_leave", "username": "alice"}));
    assert_eq!(
        alice.recv().await,
        json!({"cmd": "user_leave", "user": "alice", "val": "User left server", "listener": "bye"}),
        "the direct reply carries the listener; the broadcast does not"
    );
    alice.closed().await;
    assert_eq!(next_cmd(&mut watcher, "user_leave").await, json!({"cmd": "user_leave", "username": "alice"}));
    let list = next_cmd(&mut watcher, "users_list").await;
    assert_eq!(list["users"].as_array().unwrap().len(), 1);
    let mut back = s.connect().await;
    back.auth("good:USR:alice:alice").await;
    assert_eq!(back.recv().await["cmd"], "user_join", "a returning user is new again");
}

backend_tests!(
    user_lists,
    users_online_lists_each_user_once_with_roles_and_colour,
    user_leave_deletes_the_record_and_closes,
);
