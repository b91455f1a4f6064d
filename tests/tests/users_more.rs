//! More users/roles cases over a real socket (users-roles-channels.md, rate-limits.md §4,
//! decisions.md §12, §16): the owner gate and every bad-input text of the user and role
//! commands (each time checking that nothing changed and no push went out), the
//! users_online entry shape, timeouts across user_leave and for names never seen, and
//! user_roles_add with a held role that no longer exists.

use originchats_tests::expect::{err, owner_only};
use originchats_tests::{Backend, Client, TestServer, backend_tests};
use serde_json::{Value, json};

async fn start(b: Backend) -> TestServer {
    TestServer::start_with(b, json!({"auth": {"owners": ["boss"]}})).await
}

/// Sends an owner request, returns its reply and the pushes it caused on the sender.
async fn act(c: &mut Client, req: Value) -> (Value, Vec<Value>) {
    let reply = c.request(req).await;
    (reply, c.sync().await)
}

/// The owner `boss`, the user `bob`, a banned `mallory`, a role `helper` and a channel
/// `side`; every client synced.
async fn setup(s: &TestServer) -> (Client, Client) {
    let mut boss = s.login("boss").await;
    let mallory = s.login("mallory").await;
    mallory.close().await;
    assert_eq!(boss.expect_cmd("user_disconnect").await["username"], "mallory");
    let mut bob = s.login("bob").await;
    boss.sync().await;
    let create = json!({"cmd": "role_create", "name": "helper", "description": "Helps", "color": "#00AAFF",
        "permissions": {"mention_roles": true}});
    assert_eq!(act(&mut boss, create).await.0, json!({"cmd": "role_create", "name": "helper", "created": true}));
    let side = json!({"cmd": "channel_create", "name": "side", "type": "text", "permissions": {"view": ["user"]}});
    assert_eq!(act(&mut boss, side).await.0["created"], true);
    assert_eq!(
        act(&mut boss, json!({"cmd": "user_ban", "user": "mallory"})).await.0,
        json!({"cmd": "user_ban", "user": "mallory", "banned": true})
    );
    bob.sync().await;
    (boss, bob)
}

/// Everything the commands under test could change, as the owner and bob see it.
async fn snapshot(boss: &mut Client, bob: &mut Client) -> Vec<Value> {
    let mut out = vec![];
    for req in [
        json!({"cmd": "users_list"}),
        json!({"cmd": "roles_list"}),
        json!({"cmd": "channels_get"}),
        json!({"cmd": "users_banned_list"}),
        json!({"cmd": "user_roles_get", "user": "bob"}),
        json!({"cmd": "user_roles_get", "user": "boss"}),
        json!({"cmd": "role_permissions_get", "name": "helper"}),
        json!({"cmd": "plugins_list"}),
    ] {
        let v = boss.request(req.clone()).await;
        assert_eq!(v["cmd"], req["cmd"], "{v}");
        out.push(v);
    }
    out.push(bob.request(json!({"cmd": "channels_get"})).await);
    out.push(bob.request(json!({"cmd": "users_list"})).await);
    out
}

/// Asserts that no push reached either client.
async fn no_pushes(boss: &mut Client, bob: &mut Client, what: &str) {
    assert_eq!(boss.sync().await, Vec::<Value>::new(), "no push reached the owner after {what}");
    assert_eq!(bob.sync().await, Vec::<Value>::new(), "no push reached bob after {what}");
}

async fn owner_commands_refuse_a_normal_user_and_change_nothing(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut bob) = setup(&s).await;
    let before = snapshot(&mut boss, &mut bob).await;
    let cases = [
        ("user_unban", json!({"user": "mallory"})),
        ("user_unban", json!({})),
        ("user_roles_remove", json!({"user": "boss", "roles": ["owner"]})),
        ("user_roles_remove", json!({})),
        ("user_roles_get", json!({"user": "boss"})),
        ("user_roles_get", json!({"user": "ghost"})),
        ("role_update", json!({"name": "helper", "color": "#000000", "description": "Hijacked"})),
        ("role_update", json!({})),
        ("role_delete", json!({"name": "helper"})),
        ("role_delete", json!({"name": "nope"})),
        ("role_permissions_set", json!({"name": "helper", "permissions": {"mention_roles": false}})),
        ("role_permissions_set", json!({"name": "helper", "permissions": 5})),
        ("channel_update", json!({"current_name": "general", "updates": {"name": "mine"}})),
        ("channel_update", json!({})),
        ("channel_move", json!({"name": "side", "position": 0})),
        ("channel_move", json!({"name": "side", "position": -1})),
        ("channel_delete", json!({"name": "side"})),
        ("channel_delete", json!({})),
        ("plugins_reload", json!({})),
        ("plugins_reload", json!({"plugin": "welcome"})),
    ];
    for (cmd, req) in cases {
        let mut req = req;
        req["cmd"] = json!(cmd);
        assert_eq!(bob.request(req.clone()).await, owner_only(cmd), "the owner gate runs first: {req}");
    }
    no_pushes(&mut boss, &mut bob, "refused owner commands").await;
    // role_permissions_get is open to everyone.
    assert_eq!(
        bob.request(json!({"cmd": "role_permissions_get", "name": "helper"})).await,
        json!({"cmd": "role_permissions_get", "name": "helper", "permissions": {"mention_roles": true}})
    );
    assert_eq!(snapshot(&mut boss, &mut bob).await, before, "nothing changed");
}

async fn user_commands_reject_bad_input_and_change_nothing(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut bob) = setup(&s).await;
    let before = snapshot(&mut boss, &mut bob).await;
    let cases = [
        ("user_unban", json!({}), "User parameter is required"),
        ("user_unban", json!({"user": ""}), "User parameter is required"),
        ("user_unban", json!({"user": null}), "User parameter is required"),
        ("user_roles_remove", json!({"roles": ["user"]}), "User parameter is required"),
        ("user_roles_remove", json!({"user": "", "roles": ["user"]}), "User parameter is required"),
        ("user_roles_remove", json!({"user": "bob"}), "Roles list is required"),
        ("user_roles_remove", json!({"user": "bob", "roles": []}), "Roles list is required"),
        ("user_roles_remove", json!({"user": "bob", "roles": "user"}), "Roles list is required"),
        ("user_roles_remove", json!({"user": "bob", "roles": null}), "Roles list is required"),
        ("user_roles_remove", json!({"user": "ghost", "roles": ["user"]}), "User not found"),
        ("user_roles_remove", json!({"user": "bob", "roles": ["user"]}), "Cannot remove all roles from a user"),
        (
            "user_roles_remove",
            json!({"user": "boss", "roles": ["owner", "user", "admin"]}),
            "Cannot remove all roles from a user",
        ),
        ("user_roles_get", json!({}), "User parameter is required"),
        ("user_roles_get", json!({"user": ""}), "User parameter is required"),
        ("user_roles_get", json!({"user": "ghost"}), "User not found"),
    ];
    for (cmd, req, text) in cases {
        let mut req = req;
        req["cmd"] = json!(cmd);
        assert_eq!(boss.request(req.clone()).await, err(cmd, text), "{req}");
    }
    no_pushes(&mut boss, &mut bob, "refused user commands").await;
    // Success-shaped "nothing happened" answers push nothing either.
    assert_eq!(
        boss.request(json!({"cmd": "user_unban", "user": "ghost"})).await,
        json!({"cmd": "user_unban", "user": "ghost", "unbanned": false})
    );
    assert_eq!(
        boss.request(json!({"cmd": "user_unban", "user": "bob"})).await,
        json!({"cmd": "user_unban", "user": "bob", "unbanned": false})
    );
    assert_eq!(
        boss.request(json!({"cmd": "user_roles_remove", "user": "bob", "roles": ["admin"]})).await,
        json!({"cmd": "user_roles_remove", "user": "bob", "roles": ["user"], "removed": false})
    );
    no_pushes(&mut boss, &mut bob, "no-op user commands").await;
    assert_eq!(snapshot(&mut boss, &mut bob).await, before, "nothing changed");
}

async fn role_commands_reject_bad_input_and_change_nothing(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut bob) = setup(&s).await;
    let before = snapshot(&mut boss, &mut bob).await;
    let cases = [
        ("role_update", json!({"color": "#000000"}), "Role name is required"),
        ("role_update", json!({"name": "", "color": "#000000"}), "Role name is required"),
        ("role_update", json!({"name": "nope", "color": "#000000"}), "Role not found"),
        ("role_update", json!({"name": "Helper", "color": "#000000"}), "Role not found"),
        ("role_delete", json!({}), "Role name is required"),
        ("role_delete", json!({"name": ""}), "Role name is required"),
        ("role_delete", json!({"name": "nope"}), "Role not found"),
        ("role_delete", json!({"name": "HELPER"}), "Role not found"),
        ("role_delete", json!({"name": "admin"}), "Cannot delete system roles"),
        ("role_delete", json!({"name": "owner"}), "Cannot delete system roles"),
        ("role_delete", json!({"name": "user"}), "Cannot delete system roles"),
        ("role_permissions_set", json!({"permissions": {}}), "Role name is required"),
        ("role_permissions_set", json!({"name": "nope", "permissions": {}}), "Role not found"),
        ("role_permissions_set", json!({"name": "helper"}), "Permissions must be an object"),
        ("role_permissions_set", json!({"name": "helper", "permissions": "x"}), "Permissions must be an object"),
        ("role_permissions_set", json!({"name": "helper", "permissions": [1]}), "Permissions must be an object"),
        ("role_permissions_get", json!({}), "Role name is required"),
        ("role_permissions_get", json!({"name": "nope"}), "Role not found"),
    ];
    for (cmd, req, text) in cases {
        let mut req = req;
        req["cmd"] = json!(cmd);
        assert_eq!(boss.request(req.clone()).await, err(cmd, text), "{req}");
    }
    for (req, text) in [(json!({}), "Role name is required"), (json!({"name": "nope"}), "Role not found")] {
        let mut req = req;
        req["cmd"] = json!("role_permissions_get");
        assert_eq!(bob.request(req.clone()).await, err("role_permissions_get", text), "bob: {req}");
    }
    no_pushes(&mut boss, &mut bob, "refused role commands").await;
    assert_eq!(snapshot(&mut boss, &mut bob).await, before, "nothing changed");
}

async fn plugins_reload_of_an_unknown_plugin_changes_nothing(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut bob) = setup(&s).await;
    let before = snapshot(&mut boss, &mut bob).await;
    assert_eq!(
        boss.request(json!({"cmd": "plugins_reload", "plugin": "nope"})).await,
        err("plugins_reload", "Failed to reload plugin 'nope'")
    );
    no_pushes(&mut boss, &mut bob, "a failed reload").await;
    assert_eq!(snapshot(&mut boss, &mut bob).await, before, "nothing changed");
}

fn sorted_users(v: &Value) -> Vec<Value> {
    let mut users = v["users"].as_array().unwrap_or_else(|| panic!("no users: {v}")).clone();
    users.sort_by(|a, b| a["username"].as_str().cmp(&b["username"].as_str()));
    users
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

fn assert_in_timeout(v: &Value, seconds: i64) {
    assert_eq!(v["cmd"], "rate_limit", "{v}");
    let reason = v["reason"].as_str().unwrap_or_else(|| panic!("no reason: {v}"));
    assert!(reason.starts_with("You are in timeout for ") && reason.ends_with(" more seconds"), "{v}");
    let length = v["length"].as_i64().unwrap_or_else(|| panic!("length must be an integer: {v}"));
    assert!((seconds * 1000 - 10_000..=seconds * 1000).contains(&length), "{v}");
}

async fn a_timeout_survives_leaving_and_coming_back(b: Backend) {
    let s = start(b).await;
    let mut boss = s.login("boss").await;
    let mut alice = s.login("alice").await;
    boss.sync().await;
    let t = boss.request(json!({"cmd": "user_timeout", "user": "alice", "timeout": 300})).await;
    assert_eq!(t, json!({"cmd": "user_timeout", "user": "alice", "timeout": 300}));
    assert_eq!(alice.recv().await, json!({"cmd": "rate_limit", "reason": "User timeout set", "length": 300000}));
    alice.send(json!({"cmd": "user_leave"})).await;
    assert_eq!(alice.recv().await, json!({"cmd": "user_leave", "username": "alice"}));
    assert_eq!(alice.recv().await, json!({"cmd": "user_leave", "user": "alice", "val": "User left server"}));
    alice.closed().await;
    assert_eq!(boss.expect_cmd("user_leave").await, json!({"cmd": "user_leave", "username": "alice"}));
    let mut back = s.connect().await;
    back.auth("good:USR:alice:alice").await;
    assert_eq!(back.expect_cmd("user_join").await["user"]["username"], "alice", "a fresh user record");
    back.sync().await;
    let blocked = back.request(json!({"cmd": "message_new", "channel": "general", "content": "I'm back"})).await;
    assert_in_timeout(&blocked, 300);
    let blocked = back.request(json!({"cmd": "typing", "channel": "general"})).await;
    assert_in_timeout(&blocked, 300);
    boss.send(json!({"cmd": "messages_get", "channel": "general"})).await;
    let history = boss.expect_cmd("messages_get").await;
    assert_eq!(history["messages"], json!([]), "nothing was posted");
}

async fn a_timeout_for_a_name_never_seen_applies_at_first_login(b: Backend) {
    let s = start(b).await;
    let mut boss = s.login("boss").await;
    let t = boss.request(json!({"cmd": "user_timeout", "user": "newbie", "timeout": 300})).await;
    assert_eq!(t, json!({"cmd": "user_timeout", "user": "newbie", "timeout": 300}));
    let mut newbie = s.login("newbie").await;
    let blocked = newbie.request(json!({"cmd": "message_new", "channel": "general", "content": "hello"})).await;
    assert_in_timeout(&blocked, 300);
    // Another new user is not affected.
    let mut other = s.login("other").await;
    let ok = other.request(json!({"cmd": "message_new", "channel": "general", "content": "hello"})).await;
    assert_eq!(ok["cmd"], "message_new", "{ok}");
    boss.send(json!({"cmd": "messages_get", "channel": "general"})).await;
    let history = boss.expect_cmd("messages_get").await;
    let authors: Vec<&Value> = history["messages"].as_array().unwrap().iter().map(|m| &m["user"]).collect();
    assert_eq!(authors, [&json!("other")]);
}

async fn adding_roles_skips_held_roles_that_no_longer_exist(b: Backend) {
    let s = start(b).await;
    let mut boss = s.login("boss").await;
    let bob = s.login("bob").await;
    bob.close().await;
    assert_eq!(boss.expect_cmd("user_disconnect").await["username"], "bob");
    act(&mut boss, json!({"cmd": "role_create", "name": "legacy"})).await;
    let (added, _) = act(&mut boss, json!({"cmd": "user_roles_add", "user": "bob", "roles": ["legacy"]})).await;
    assert_eq!(added["roles"], json!(["legacy", "user"]));
    // A banned holder does not stop the role's deletion (users-roles-channels.md role_delete),
    // so bob keeps a role that no longer exists.
    act(&mut boss, json!({"cmd": "user_ban", "user": "bob"})).await;
    let (deleted, _) = act(&mut boss, json!({"cmd": "role_delete", "name": "legacy"})).await;
    assert_eq!(deleted, json!({"cmd": "role_delete", "name": "legacy", "deleted": true}));
    let (unbanned, _) = act(&mut boss, json!({"cmd": "user_unban", "user": "bob"})).await;
    assert_eq!(unbanned["unbanned"], true);
    let roles = boss.request(json!({"cmd": "user_roles_get", "user": "bob"})).await;
    assert_eq!(roles["roles"], json!(["legacy", "user"]));
    // Only roles bob does not hold yet are checked: the dangling "legacy" is skipped.
    let (added, _) =
        act(&mut boss, json!({"cmd": "user_roles_add", "user": "bob", "roles": ["legacy", "moderator"]})).await;
    assert_eq!(
        added,
        json!({"cmd": "user_roles_add", "user": "bob", "roles": ["moderator", "legacy", "user"], "added": true})
    );
    let roles = boss.request(json!({"cmd": "user_roles_get", "user": "bob"})).await;
    assert_eq!(roles["roles"], json!(["moderator", "legacy", "user"]));
    // A role not held that does not exist is still refused, and nothing is applied.
    let refused = boss.request(json!({"cmd": "user_roles_add", "user": "bob", "roles": ["admin", "nope"]})).await;
    assert_eq!(refused, err("user_roles_add", "Role 'nope' does not exist"));
    let roles = boss.request(json!({"cmd": "user_roles_get", "user": "bob"})).await;
    assert_eq!(roles["roles"], json!(["moderator", "legacy", "user"]));
}

backend_tests!(
    owner_commands_refuse_a_normal_user_and_change_nothing,
    user_commands_reject_bad_input_and_change_nothing,
    role_commands_reject_bad_input_and_change_nothing,
    plugins_reload_of_an_unknown_plugin_changes_nothing,
    users_online_lists_each_user_once_with_roles_and_colour,
    a_timeout_survives_leaving_and_coming_back,
    a_timeout_for_a_name_never_seen_applies_at_first_login,
    adding_roles_skips_held_roles_that_no_longer_exist,
);
