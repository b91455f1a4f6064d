//! Users, moderation and roles over a real socket (users-roles-channels.md).

use originchats_tests::expect::{err, owner_only};
use originchats_tests::{Backend, Client, TestServer, backend_tests};
use serde_json::{Value, json};

async fn start(b: Backend) -> TestServer {
    TestServer::start_with(b, json!({"auth": {"owners": ["boss"]}})).await
}

/// Reads packets until one with `cmd`, returning it and asserting nothing but list pushes
/// and presence came before.
async fn next_cmd(c: &mut Client, cmd: &str) -> Value {
    loop {
        let v = c.recv().await;
        if v["cmd"] == cmd {
            return v;
        }
        let allowed = ["users_list", "channels_get", "roles_list", "user_connect", "user_join", "user_disconnect"];
        assert!(allowed.contains(&v["cmd"].as_str().unwrap_or("")), "unexpected packet before {cmd}: {v}");
    }
}

/// Waits for a `users_list` push and `user_disconnect` of `who`, in either order (the
/// disconnect follows the closing of the sockets); nothing else may arrive. Returns the list.
async fn push_and_departure(c: &mut Client, who: &str) -> Value {
    let (mut list, mut gone) = (None, false);
    while list.is_none() || !gone {
        let v = c.recv().await;
        match v["cmd"].as_str().unwrap() {
            "users_list" => list = Some(v),
            "user_disconnect" if v["username"] == who => gone = true,
            other => panic!("unexpected {other}: {v}"),
        }
    }
    list.unwrap()
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

async fn ban_closes_every_connection_and_refuses_the_next_login(b: Backend) {
    let s = start(b).await;
    let mut boss = s.login("boss").await;
    let mut m1 = s.login("mallory").await;
    let mut m2 = s.login("mallory").await;
    let mut watcher = s.login("watcher").await;
    boss.sync().await;
    watcher.sync().await;
    m1.sync().await;
    m2.sync().await;
    assert_eq!(m1.request(json!({"cmd": "user_ban", "user": "boss"})).await, owner_only("user_ban"));
    assert_eq!(boss.request(json!({"cmd": "user_ban"})).await, err("user_ban", "User parameter is required"));
    assert_eq!(
        boss.request(json!({"cmd": "user_ban", "user": "BOSS"})).await,
        err("user_ban", "You cannot ban yourself")
    );
    let banned = boss.request(json!({"cmd": "user_ban", "user": "Mallory"})).await;
    assert_eq!(banned, json!({"cmd": "user_ban", "user": "mallory", "banned": true}));
    let list = push_and_departure(&mut boss, "mallory").await;
    assert!(!list.to_string().contains("mallory"), "a banned user leaves the list");
    for m in [&mut m1, &mut m2] {
        let notice = next_cmd(m, "auth_error").await;
        assert_eq!(notice, json!({"cmd": "auth_error", "val": "Access denied: You are banned from this server"}));
        m.closed().await;
    }
    let list = push_and_departure(&mut watcher, "mallory").await;
    assert!(!list.to_string().contains("mallory"), "a banned user leaves the list");
    let mut again = s.connect().await;
    let refused = again.request(json!({"cmd": "auth", "validator": "good:USR:mallory:mallory"})).await;
    assert_eq!(refused, json!({"cmd": "auth_error", "val": "Access denied: You are banned from this server"}));
    assert_eq!(boss.request(json!({"cmd": "user_ban", "user": "mallory"})).await["banned"], false);
    assert_eq!(
        boss.request(json!({"cmd": "user_ban", "user": "nobody"})).await,
        json!({"cmd": "user_ban", "user": "nobody", "banned": false})
    );
    assert_eq!(boss.request(json!({"cmd": "users_banned_list"})).await["users"], json!(["mallory"]));
    let unbanned = boss.request(json!({"cmd": "user_unban", "user": "mallory"})).await;
    assert_eq!(unbanned, json!({"cmd": "user_unban", "user": "mallory", "unbanned": true}));
    boss.sync().await;
    assert_eq!(boss.request(json!({"cmd": "user_unban", "user": "mallory"})).await["unbanned"], false);
    again.auth("good:USR:mallory:mallory").await;
}

async fn timeouts_block_and_survive_a_restart(b: Backend) {
    let mut s = start(b).await;
    let mut boss = s.login("boss").await;
    let mut alice = s.login("alice").await;
    boss.sync().await;
    let t = |v: Value| json!({"cmd": "user_timeout", "user": "alice", "timeout": v});
    assert_eq!(alice.request(t(json!(5))).await, owner_only("user_timeout"));
    assert_eq!(
        boss.request(json!({"cmd": "user_timeout", "user": "alice"})).await,
        err("user_timeout", "Timeout must be provided")
    );
    assert_eq!(boss.request(t(json!(1.5))).await, err("user_timeout", "Timeout must be a positive integer"));
    assert_eq!(boss.request(t(json!(-3))).await, err("user_timeout", "Timeout must be a positive integer"));
    assert_eq!(
        boss.request(json!({"cmd": "user_timeout", "timeout": 5})).await,
        err("user_timeout", "User parameter is required")
    );
    assert_eq!(
        boss.request(json!({"cmd": "user_timeout", "user": "boss", "timeout": 5})).await,
        err("user_timeout", "You cannot time out yourself")
    );
    assert_eq!(boss.request(t(json!(300))).await, json!({"cmd": "user_timeout", "user": "alice", "timeout": 300}));
    assert_eq!(alice.recv().await, json!({"cmd": "rate_limit", "reason": "User timeout set", "length": 300000}));
    let blocked = alice.request(json!({"cmd": "message_new", "channel": "general", "content": "hi"})).await;
    assert_eq!(blocked["cmd"], "rate_limit");
    assert!(blocked["reason"].as_str().unwrap().starts_with("You are in timeout for "), "{blocked}");
    assert!((299_000..=300_000).contains(&blocked["length"].as_i64().unwrap()), "{blocked}");
    s.restart();
    let mut alice = s.login("alice").await;
    let blocked = alice.request(json!({"cmd": "typing", "channel": "general"})).await;
    assert_eq!(blocked["cmd"], "rate_limit", "the timeout survived the restart");
    assert_eq!(blocked["wait_time"], blocked["length"]);
    let mut boss = s.login("boss").await;
    alice.sync().await;
    assert_eq!(boss.request(t(json!(0))).await, json!({"cmd": "user_timeout", "user": "alice", "timeout": 0}));
    let ok = alice.request(json!({"cmd": "message_new", "channel": "general", "content": "free"})).await;
    assert_eq!(ok["cmd"], "message_new", "timeout 0 clears");
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

async fn roles_are_added_all_or_nothing(b: Backend) {
    let s = start(b).await;
    let mut boss = s.login("boss").await;
    let mut bob = s.login("bob").await;
    boss.sync().await;
    let add = |roles: Value| json!({"cmd": "user_roles_add", "user": "bob", "roles": roles});
    assert_eq!(bob.request(add(json!(["admin"]))).await, owner_only("user_roles_add"));
    assert_eq!(
        boss.request(json!({"cmd": "user_roles_add", "roles": ["admin"]})).await,
        err("user_roles_add", "User parameter is required")
    );
    assert_eq!(boss.request(add(json!([]))).await, err("user_roles_add", "Roles list is required"));
    assert_eq!(boss.request(add(json!("admin"))).await, err("user_roles_add", "Roles list is required"));
    assert_eq!(
        boss.request(json!({"cmd": "user_roles_add", "user": "ghost", "roles": ["admin"]})).await,
        err("user_roles_add", "User not found")
    );
    assert_eq!(boss.request(add(json!(["admin", "nope"]))).await, err("user_roles_add", "Role 'nope' does not exist"));
    let self_ban = json!({"cmd": "user_roles_add", "user": "boss", "roles": ["banned"]});
    assert_eq!(boss.request(self_ban).await, err("user_roles_add", "You cannot ban yourself"));
    let get = boss.request(json!({"cmd": "user_roles_get", "user": "bob"})).await;
    assert_eq!(
        get,
        json!({"cmd": "user_roles_get", "user": "bob", "roles": ["user"], "color": "#FFFFFF"}),
        "nothing applied"
    );
    let added = boss.request(add(json!(["admin", "moderator", "admin"]))).await;
    assert_eq!(
        added,
        json!({"cmd": "user_roles_add", "user": "bob", "roles": ["moderator", "admin", "user"], "added": true})
    );
    let pushed = next_cmd(&mut bob, "users_list").await;
    assert!(pushed.to_string().contains("moderator"));
    let channels = next_cmd(&mut bob, "channels_get").await;
    assert_eq!(channels["val"][0]["name"], "general");
    boss.sync().await;
    let rm = |roles: Value| json!({"cmd": "user_roles_remove", "user": "bob", "roles": roles});
    assert_eq!(
        boss.request(rm(json!(["moderator", "admin", "user"]))).await,
        err("user_roles_remove", "Cannot remove all roles from a user")
    );
    boss.sync().await;
    let removed = boss.request(rm(json!(["moderator", "ghost"]))).await;
    assert_eq!(
        removed,
        json!({"cmd": "user_roles_remove", "user": "bob", "roles": ["admin", "user"], "removed": true})
    );
    boss.sync().await;
    assert_eq!(boss.request(rm(json!(["moderator"]))).await["removed"], false);
}

async fn role_lifecycle(b: Backend) {
    let s = start(b).await;
    let mut boss = s.login("boss").await;
    let mut bob = s.login("bob").await;
    boss.sync().await;
    let roles = bob.request(json!({"cmd": "roles_list"})).await;
    assert_eq!(
        roles["roles"]["owner"],
        json!({"description": "Server owner with ultimate permissions.", "color": "#9400D3"})
    );
    assert_eq!(roles["roles"].as_object().unwrap().keys().collect::<Vec<_>>(), ["owner", "admin", "moderator", "user"]);
    let create = json!({"cmd": "role_create", "name": "helper", "description": "Helps", "color": "#00AAFF",
        "permissions": {"mention_roles": false}, "hoisted": true});
    assert_eq!(bob.request(create.clone()).await, owner_only("role_create"));
    assert_eq!(boss.request(create.clone()).await, json!({"cmd": "role_create", "name": "helper", "created": true}));
    let push = next_cmd(&mut bob, "roles_list").await;
    assert_eq!(
        push["roles"]["helper"],
        json!({"description": "Helps", "color": "#00AAFF", "permissions": {"mention_roles": false}, "hoisted": true})
    );
    assert_eq!(next_cmd(&mut bob, "users_list").await["cmd"], "users_list");
    assert!(bob.sync().await.is_empty());
    boss.sync().await;
    assert_eq!(boss.request(create).await, err("role_create", "Role already exists"));
    assert_eq!(boss.request(json!({"cmd": "role_create"})).await, err("role_create", "Role name is required"));
    let mention = bob.request(json!({"cmd": "message_new", "channel": "general", "content": "@&helper hi"})).await;
    assert_eq!(mention, err("message_new", "You do not have permission to mention the '@&helper' role"));
    let upd = boss.request(json!({"cmd": "role_update", "name": "helper", "color": null, "description": "More"})).await;
    assert_eq!(upd, json!({"cmd": "role_update", "name": "helper", "updated": true}));
    boss.sync().await;
    let got = boss.request(json!({"cmd": "role_permissions_get", "name": "helper"})).await;
    assert_eq!(got, json!({"cmd": "role_permissions_get", "name": "helper", "permissions": {"mention_roles": false}}));
    let set = boss
        .request(json!({"cmd": "role_permissions_set", "name": "helper", "permissions": {"mention_roles": true}}))
        .await;
    assert_eq!(
        set,
        json!({"cmd": "role_permissions_set", "name": "helper", "permissions": {"mention_roles": true}, "updated": true})
    );
    boss.sync().await;
    assert_eq!(
        boss.request(json!({"cmd": "role_permissions_set", "name": "helper", "permissions": 3})).await,
        err("role_permissions_set", "Permissions must be an object")
    );
    bob.sync().await;
    let ok = bob.request(json!({"cmd": "message_new", "channel": "general", "content": "@&helper hi"})).await;
    assert_eq!(ok["cmd"], "message_new", "the new mention rule applies at once");
    boss.sync().await;
    let list = boss.request(json!({"cmd": "roles_list"})).await;
    assert_eq!(
        list["roles"]["helper"],
        json!({"description": "More", "permissions": {"mention_roles": true}, "hoisted": true})
    );
    for (name, text) in [
        ("owner", "Cannot delete system roles"),
        ("banned", "Role not found"),
        ("user", "Cannot delete system roles"),
        ("nope", "Role not found"),
    ] {
        assert_eq!(boss.request(json!({"cmd": "role_delete", "name": name})).await, err("role_delete", text), "{name}");
    }
    boss.request(json!({"cmd": "user_roles_add", "user": "bob", "roles": ["helper"]})).await;
    boss.sync().await;
    assert_eq!(
        boss.request(json!({"cmd": "role_delete", "name": "helper"})).await,
        err("role_delete", "Role is assigned to user 'bob'")
    );
    boss.request(json!({"cmd": "user_roles_remove", "user": "bob", "roles": ["helper"]})).await;
    boss.sync().await;
    assert_eq!(
        boss.request(json!({"cmd": "role_delete", "name": "moderator"})).await,
        err("role_delete", "Role is used in channel 'general' permissions")
    );
    assert_eq!(
        boss.request(json!({"cmd": "role_delete", "name": "helper"})).await,
        json!({"cmd": "role_delete", "name": "helper", "deleted": true})
    );
}

backend_tests!(
    user_lists,
    ban_closes_every_connection_and_refuses_the_next_login,
    timeouts_block_and_survive_a_restart,
    user_leave_deletes_the_record_and_closes,
    roles_are_added_all_or_nothing,
    role_lifecycle,
);
