//! Named permissions, the role hierarchy and `!` negation over a real socket
//! (docs/design/permissions.md#named-permissions, docs/design/permissions.md#hierarchy,
//! docs/design/permissions.md#negation, docs/design/roles.md): the handshake's `permissions`,
//! the new role fields on the wire, `role_reorder`, `user_roles_set`, the self-assignable
//! role commands, who may act on which role and user, and who receives each push.

use originchats_tests::expect::{err, next_cmd, owner_only, settle};
use originchats_tests::scenes::{act, cast, create_channel, post_in, start};
use originchats_tests::{Backend, Client, backend_tests};
use serde_json::{Value, json};

fn denied(src: &str, permission: &str) -> Value {
    err(src, &format!("Access denied: '{permission}' permission required"))
}

fn names(roles_list: &Value) -> Vec<String> {
    roles_list["roles"].as_object().unwrap().keys().cloned().collect()
}

/// The owner creates `name` with `permissions`, moves it just below `moderator`, and gives
/// it to `holder`; every client's pushes are read.
async fn warden(boss: &mut Client, others: &mut [&mut Client], holder: &str, name: &str, permissions: Value) {
    let create = json!({"cmd": "role_create", "name": name, "permissions": permissions});
    assert_eq!(act(boss, create).await.0, json!({"cmd": "role_create", "name": name, "created": true}));
    let list = boss.request(json!({"cmd": "roles_list"})).await;
    let mut order: Vec<String> = names(&list).into_iter().filter(|n| n != name).collect();
    let at = order.iter().position(|n| n == "moderator").unwrap() + 1;
    order.insert(at, name.to_owned());
    let reply = act(boss, json!({"cmd": "role_reorder", "roles": order})).await.0;
    assert_eq!(reply, json!({"cmd": "role_reorder", "roles": order}));
    let grant = boss.request(json!({"cmd": "user_roles_add", "user": holder, "roles": [name]})).await;
    assert_eq!(grant["added"], true, "{grant}");
    membership_pushes(&mut [boss]).await;
    for c in others.iter_mut() {
        next_cmd(c, "roles_list").await;
        next_cmd(c, "roles_list").await;
    }
    membership_pushes(others).await;
}

/// `c` changes a role; the others' `roles_list` and `users_list` pushes are read.
async fn role_change(c: &mut Client, others: &mut [&mut Client], req: Value) -> Value {
    let (reply, _) = act(c, req).await;
    for o in others.iter_mut() {
        assert_eq!(next_cmd(o, "roles_list").await["cmd"], "roles_list");
        assert_eq!(next_cmd(o, "users_list").await["cmd"], "users_list");
        assert!(o.sync().await.is_empty());
    }
    reply
}

/// Reads the pushes of a change of someone's roles: `users_list`, then the channel list.
async fn membership_pushes(clients: &mut [&mut Client]) {
    for c in clients.iter_mut() {
        assert_eq!(next_cmd(c, "users_list").await["cmd"], "users_list");
        assert_eq!(next_cmd(c, "channels_get").await["cmd"], "channels_get");
        assert!(c.sync().await.is_empty());
    }
}

async fn handshake_and_role_shapes(b: Backend) {
    let s = start(b).await;
    let c = s.connect().await;
    let perms = c.handshake["val"]["permissions"].as_array().unwrap().clone();
    assert_eq!(perms.len(), 20);
    for p in ["administrator", "manage_roles", "manage_channels", "manage_users", "manage_messages"] {
        assert!(perms.contains(&json!(p)), "{p}");
    }
    for p in ["manage_server", "manage_threads", "mention_everyone", "view_audit_log"] {
        assert!(perms.contains(&json!(p)), "{p}");
    }
    assert!(!perms.contains(&json!("create_thread")), "a channel list, not a server permission");
    let caps = c.handshake["val"]["capabilities"].as_array().unwrap().clone();
    for cmd in ["user_roles_set", "role_reorder", "self_role_add", "self_role_remove", "self_roles_list"] {
        assert!(caps.contains(&json!(cmd)), "{cmd}");
    }
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    let list = bob.request(json!({"cmd": "roles_list"})).await;
    assert_eq!(names(&list), ["owner", "admin", "moderator", "user"]);
    for (i, name) in ["owner", "admin", "moderator", "user"].iter().enumerate() {
        let r = &list["roles"][name];
        assert_eq!(r["position"], i, "{name}");
        assert_eq!(r["self_assignable"], false, "{name}");
        assert_eq!(r["permissions"], json!([]), "{name}");
        assert_eq!(r["id"].as_str().map(str::len), Some(36), "{name}: {r}");
    }
    let create = json!({"cmd": "role_create", "name": "gamer", "color": "#123456", "category": "Games",
        "permissions": ["add_reactions"], "self_assignable": true});
    assert_eq!(boss.request(create).await, json!({"cmd": "role_create", "name": "gamer", "created": true}));
    for c in [&mut boss, &mut alice, &mut bob] {
        let push = next_cmd(c, "roles_list").await;
        let gamer = &push["roles"]["gamer"];
        assert_eq!(gamer["position"], 4, "new roles go below `user`");
        assert_eq!(gamer["permissions"], json!(["add_reactions"]));
        assert_eq!((gamer["self_assignable"].clone(), gamer["category"].clone()), (json!(true), json!("Games")));
        assert_eq!(names(&push).last().unwrap(), "gamer");
        assert_eq!(next_cmd(c, "users_list").await["cmd"], "users_list");
        assert!(c.sync().await.is_empty());
    }
}

async fn reordering_roles(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    for n in ["a", "b"] {
        role_change(&mut boss, &mut [&mut alice, &mut bob], json!({"cmd": "role_create", "name": n})).await;
    }
    let order = json!(["owner", "b", "admin", "moderator", "user", "a"]);
    assert_eq!(
        bob.request(json!({"cmd": "role_reorder", "roles": order})).await,
        denied("role_reorder", "manage_roles")
    );
    for (bad, text) in [
        (json!(null), "Roles array is required"),
        (json!([]), "Roles array is required"),
        (json!("owner"), "Roles array is required"),
        (json!(["owner", 3]), "Roles array is required"),
        (json!(["owner", "admin"]), "Failed to reorder roles"),
        (json!(["owner", "b", "admin", "moderator", "user", "a", "a"]), "Failed to reorder roles"),
        (json!(["owner", "b", "admin", "moderator", "user", "nope"]), "Failed to reorder roles"),
    ] {
        assert_eq!(
            boss.request(json!({"cmd": "role_reorder", "roles": bad})).await,
            err("role_reorder", text),
            "{bad}"
        );
    }
    for c in [&mut boss, &mut alice, &mut bob] {
        assert!(c.sync().await.is_empty(), "a refused reorder pushes nothing");
    }
    let reply = boss.request(json!({"cmd": "role_reorder", "roles": order})).await;
    assert_eq!(reply, json!({"cmd": "role_reorder", "roles": order}));
    for c in [&mut boss, &mut alice, &mut bob] {
        let push = next_cmd(c, "roles_list").await;
        assert_eq!(json!(names(&push)), order);
        assert_eq!(push["roles"]["b"]["position"], 1);
        assert_eq!(next_cmd(c, "users_list").await["cmd"], "users_list");
        assert!(c.sync().await.is_empty());
    }
    // It lasts across a restart.
    drop((boss, alice, bob));
    let mut s = s;
    s.restart();
    let mut bob = s.login("bob").await;
    assert_eq!(json!(names(&bob.request(json!({"cmd": "roles_list"})).await)), order);
}

async fn manage_roles_acts_only_below_the_callers_highest_role(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    warden(&mut boss, &mut [&mut alice, &mut bob], "alice", "warden", json!(["manage_roles"])).await;
    // alice: owner 0, admin 1, moderator 2, warden 3 (hers), user 4.
    for (name, ok) in [("owner", false), ("admin", false), ("warden", false), ("user", true)] {
        let got = alice.request(json!({"cmd": "role_update", "name": name, "description": "x"})).await;
        if ok {
            assert_eq!(got, json!({"cmd": "role_update", "name": name, "updated": true}));
        } else {
            assert_eq!(got, err("role_update", "Cannot manage roles at or above your position"), "{name}");
        }
        alice.sync().await;
    }
    for c in [&mut boss, &mut bob] {
        assert_eq!(next_cmd(c, "roles_list").await["roles"]["user"]["description"], "x");
        assert_eq!(next_cmd(c, "users_list").await["cmd"], "users_list");
        assert!(c.sync().await.is_empty());
    }
    let fan = json!({"cmd": "role_create", "name": "fan", "permissions": ["administrator"]});
    assert_eq!(alice.request(fan).await, denied("role_create", "administrator"), "no granting what one lacks");
    let fan = json!({"cmd": "role_create", "name": "fan", "permissions": ["manage_roles", "kick_members"]});
    assert_eq!(alice.request(fan).await["created"], true, "names the caller holds, or that grant nothing here");
    let push = next_cmd(&mut bob, "roles_list").await;
    assert_eq!(push["roles"]["fan"]["permissions"], json!(["manage_roles", "kick_members"]));
    for c in [&mut boss, &mut alice] {
        next_cmd(c, "roles_list").await;
    }
    for c in [&mut boss, &mut alice, &mut bob] {
        next_cmd(c, "users_list").await;
        assert!(c.sync().await.is_empty());
    }
    let perms = json!({"cmd": "role_permissions_set", "name": "admin", "permissions": {}});
    assert_eq!(
        alice.request(perms).await,
        err("role_permissions_set", "Cannot manage roles at or above your position")
    );
    assert_eq!(
        alice.request(json!({"cmd": "role_delete", "name": "moderator"})).await,
        err("role_delete", "Cannot manage roles at or above your position")
    );
    let gone = role_change(&mut alice, &mut [&mut boss, &mut bob], json!({"cmd": "role_delete", "name": "fan"})).await;
    assert_eq!(gone["deleted"], true);
    // Reordering: what is at or above her stays where it is.
    let list = boss.request(json!({"cmd": "roles_list"})).await;
    assert_eq!(names(&list), ["owner", "admin", "moderator", "warden", "user"]);
    role_change(&mut boss, &mut [&mut alice, &mut bob], json!({"cmd": "role_create", "name": "low"})).await;
    let lift = json!(["owner", "admin", "moderator", "low", "warden", "user"]);
    assert_eq!(
        alice.request(json!({"cmd": "role_reorder", "roles": lift})).await,
        err("role_reorder", "Cannot manage roles at or above your position")
    );
    let swap = json!(["owner", "admin", "moderator", "warden", "low", "user"]);
    let reorder = json!({"cmd": "role_reorder", "roles": swap});
    assert_eq!(role_change(&mut alice, &mut [&mut boss, &mut bob], reorder).await["roles"], swap);
    assert_eq!(json!(names(&bob.request(json!({"cmd": "roles_list"})).await)), swap);
    // Users with no named permission see the seed texts; with some, the new ones.
    assert_eq!(bob.request(json!({"cmd": "role_create", "name": "x"})).await, owner_only("role_create"));
    assert_eq!(alice.request(json!({"cmd": "user_ban", "user": "bob"})).await, denied("user_ban", "manage_users"));
    assert_eq!(
        alice.request(json!({"cmd": "channel_delete", "name": "general"})).await,
        denied("channel_delete", "manage_channels")
    );
    assert_eq!(alice.request(json!({"cmd": "plugins_list"})).await, owner_only("plugins_list"));
}

async fn manage_users_and_user_roles_set(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    role_change(&mut boss, &mut [&mut alice, &mut bob], json!({"cmd": "role_create", "name": "fan"})).await;
    let set = json!({"cmd": "user_roles_set", "user": "alice", "roles": ["user"]});
    assert_eq!(bob.request(set).await, denied("user_roles_set", "manage_users"), "a new command: the new text");
    warden(&mut boss, &mut [&mut alice, &mut bob], "alice", "warden", json!(["manage_users"])).await;
    let cases = [
        (json!({"roles": ["user"]}), "User parameter is required"),
        (json!({"user": "bob"}), "Roles list is required"),
        (json!({"user": "bob", "roles": []}), "Roles list is required"),
        (json!({"user": "bob", "roles": "user"}), "Roles list is required"),
        (json!({"user": "nobody", "roles": ["user"]}), "User not found"),
        (json!({"user": "bob", "roles": ["user", "nope"]}), "Role 'nope' does not exist"),
        (json!({"user": "bob", "roles": ["user", "admin"]}), "Cannot manage roles at or above your position"),
        (json!({"user": "bob", "roles": ["warden"]}), "Cannot manage roles at or above your position"),
        (json!({"user": "boss", "roles": ["user"]}), "Cannot manage users at or above your position"),
        (json!({"user": "alice", "roles": ["user"]}), "Cannot manage users at or above your position"),
    ];
    for (req, text) in cases {
        let mut req = req;
        req["cmd"] = json!("user_roles_set");
        assert_eq!(alice.request(req.clone()).await, err("user_roles_set", text), "{req}");
    }
    for c in [&mut boss, &mut alice, &mut bob] {
        assert!(c.sync().await.is_empty(), "refusals push nothing");
    }
    let ok = alice.request(json!({"cmd": "user_roles_set", "user": "bob", "roles": ["fan", "user", "fan"]})).await;
    assert_eq!(ok, json!({"cmd": "user_roles_set", "user": "bob", "roles": ["fan", "user"], "set": true}));
    for c in [&mut boss, &mut alice, &mut bob] {
        let users = next_cmd(c, "users_list").await;
        let bob_entry = users["users"].as_array().unwrap().iter().find(|u| u["username"] == "bob").unwrap().clone();
        assert_eq!(bob_entry["roles"], json!(["fan", "user"]));
        assert_eq!(next_cmd(c, "channels_get").await["cmd"], "channels_get");
        assert!(c.sync().await.is_empty());
    }
    let got = boss.request(json!({"cmd": "user_roles_get", "user": "bob"})).await;
    assert_eq!(got["roles"], json!(["fan", "user"]));
    // The owner may set anything, on anyone.
    let mine = boss.request(json!({"cmd": "user_roles_set", "user": "alice", "roles": ["user"]})).await;
    assert_eq!(mine, json!({"cmd": "user_roles_set", "user": "alice", "roles": ["user"], "set": true}));
    membership_pushes(&mut [&mut boss, &mut alice, &mut bob]).await;
    assert_eq!(
        alice.request(json!({"cmd": "user_timeout", "user": "bob", "timeout": 5})).await,
        owner_only("user_timeout"),
        "alice lost `warden`, and with it every named permission"
    );
    // The old commands take the new permission too, within the hierarchy.
    boss.request(json!({"cmd": "user_roles_add", "user": "alice", "roles": ["warden"]})).await;
    membership_pushes(&mut [&mut boss, &mut alice, &mut bob]).await;
    let t = alice.request(json!({"cmd": "user_timeout", "user": "bob", "timeout": 5})).await;
    assert_eq!(t, json!({"cmd": "user_timeout", "user": "bob", "timeout": 5}));
    assert_eq!(next_cmd(&mut bob, "rate_limit").await["reason"], "User timeout set");
    assert_eq!(
        alice.request(json!({"cmd": "user_timeout", "user": "boss", "timeout": 5})).await,
        err("user_timeout", "Cannot manage users at or above your position")
    );
    assert_eq!(
        alice.request(json!({"cmd": "user_roles_add", "user": "bob", "roles": ["moderator"]})).await,
        err("user_roles_add", "Cannot manage roles at or above your position")
    );
    assert_eq!(alice.request(json!({"cmd": "users_banned_list"})).await["cmd"], "users_banned_list");
    let ban = alice.request(json!({"cmd": "user_ban", "user": "bob"})).await;
    assert_eq!(ban, json!({"cmd": "user_ban", "user": "bob", "banned": true}));
    assert_eq!(bob.close_frame().await.map(|(code, _)| code), Some(1008), "banned at once");
}

async fn manage_messages_deletes_and_pins_where_the_caller_can_view(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    create_channel(&mut boss, &mut [&mut alice, &mut bob], "staff", json!({"view": ["admin"]})).await;
    let m = post_in(&mut bob, "general", "bob's words").await;
    settle(&mut [&mut boss, &mut alice, &mut bob]).await;
    let del = json!({"cmd": "message_delete", "channel": "general", "id": m["id"]});
    assert_eq!(
        alice.request(del.clone()).await,
        err("message_delete", "You do not have permission to delete this message")
    );
    let pin = json!({"cmd": "message_pin", "channel": "general", "id": m["id"]});
    assert_eq!(
        alice.request(pin.clone()).await,
        err("message_pin", "You do not have permission to pin messages in this channel")
    );
    warden(&mut boss, &mut [&mut alice, &mut bob], "alice", "janitor", json!(["manage_messages"])).await;
    let pinned = alice.request(pin).await;
    assert_eq!(pinned["cmd"], "message_pin", "{pinned}");
    assert_eq!(next_cmd(&mut bob, "message_pin").await["cmd"], "message_pin");
    settle(&mut [&mut boss, &mut alice, &mut bob]).await;
    let deleted = alice.request(del).await;
    assert_eq!(deleted, json!({"cmd": "message_delete", "id": m["id"], "channel": "general", "global": true}));
    for c in [&mut boss, &mut bob] {
        assert_eq!(next_cmd(c, "message_delete").await["id"], m["id"]);
    }
    let hidden = post_in(&mut boss, "staff", "secret").await;
    settle(&mut [&mut boss, &mut alice, &mut bob]).await;
    let del = json!({"cmd": "message_delete", "channel": "staff", "id": hidden["id"]});
    assert_eq!(alice.request(del).await, err("message_delete", "Message not found or cannot be deleted"), "view first");
}

async fn negation_denies_whatever_the_order_of_roles(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    role_change(&mut boss, &mut [&mut alice, &mut bob], json!({"cmd": "role_create", "name": "muted"})).await;
    let perms = json!({"view": ["!muted", "user"], "send": ["user", "!muted"]});
    create_channel(&mut boss, &mut [&mut alice, &mut bob], "quiet", perms).await;
    let sees_quiet = |list: &Value| list["val"].as_array().unwrap().iter().any(|c| c["name"] == "quiet");
    for order in [json!(["muted", "user"]), json!(["user", "muted"])] {
        let set = boss.request(json!({"cmd": "user_roles_set", "user": "bob", "roles": order})).await;
        assert_eq!(set["set"], true, "{set}");
        membership_pushes(&mut [&mut boss, &mut alice]).await;
        assert_eq!(next_cmd(&mut bob, "users_list").await["cmd"], "users_list");
        let pushed = next_cmd(&mut bob, "channels_get").await;
        assert!(!sees_quiet(&pushed), "{order}: the channel list pushed to bob hides it");
        assert!(!sees_quiet(&bob.request(json!({"cmd": "channels_get"})).await), "{order}");
        let send = bob.request(json!({"cmd": "message_new", "channel": "quiet", "content": "hi"})).await;
        assert_eq!(send, err("message_new", "You do not have permission to send messages in this channel"));
        let said = post_in(&mut alice, "quiet", "only for the unmuted").await;
        assert_eq!(next_cmd(&mut boss, "message_new").await["message"]["id"], said["id"]);
        assert!(bob.sync().await.iter().all(|p| p["cmd"] != "message_new"), "{order}: bob receives nothing of it");
        settle(&mut [&mut boss, &mut alice]).await;
    }
    // Lifting the mute lets him in again at once.
    let lift = boss.request(json!({"cmd": "user_roles_remove", "user": "bob", "roles": ["muted"]})).await;
    assert_eq!(lift["removed"], true);
    membership_pushes(&mut [&mut boss, &mut alice]).await;
    assert_eq!(next_cmd(&mut bob, "users_list").await["cmd"], "users_list");
    assert!(sees_quiet(&next_cmd(&mut bob, "channels_get").await));
    let said = post_in(&mut alice, "quiet", "welcome back").await;
    assert_eq!(next_cmd(&mut bob, "message_new").await["message"]["id"], said["id"]);
    // A role named in a negation is in use.
    settle(&mut [&mut boss, &mut alice, &mut bob]).await;
    assert_eq!(
        boss.request(json!({"cmd": "role_delete", "name": "muted"})).await,
        err("role_delete", "Role is used in channel 'quiet' permissions")
    );
    // The owner is never denied.
    boss.request(json!({"cmd": "user_roles_add", "user": "boss", "roles": ["muted"]})).await;
    membership_pushes(&mut [&mut boss, &mut alice, &mut bob]).await;
    assert!(sees_quiet(&boss.request(json!({"cmd": "channels_get"})).await));
}

async fn self_assignable_roles(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    let create = json!({"cmd": "role_create", "name": "gamer", "description": "Plays", "color": "#00FF00"});
    role_change(&mut boss, &mut [&mut alice, &mut bob], create).await;
    role_change(&mut boss, &mut [&mut alice, &mut bob], json!({"cmd": "role_create", "name": "hidden"})).await;
    for name in ["owner", "admin", "moderator"] {
        let upd = json!({"cmd": "role_update", "name": name, "self_assignable": true});
        assert_eq!(
            boss.request(upd).await,
            err("role_update", &format!("Role '{name}' cannot be made self-assignable"))
        );
    }
    let create = json!({"cmd": "role_create", "name": "moderator", "self_assignable": true});
    assert_eq!(boss.request(create).await, err("role_create", "Role 'moderator' cannot be made self-assignable"));
    assert!(boss.sync().await.is_empty());
    assert_eq!(bob.request(json!({"cmd": "self_roles_list"})).await, json!({"cmd": "self_roles_list", "roles": []}));
    let upd = json!({"cmd": "role_update", "name": "gamer", "self_assignable": true});
    assert_eq!(role_change(&mut boss, &mut [&mut alice, &mut bob], upd).await["updated"], true);
    let listed = json!({"cmd": "self_roles_list", "roles": [
        {"name": "gamer", "description": "Plays", "color": "#00FF00", "assigned": false}]});
    assert_eq!(bob.request(json!({"cmd": "self_roles_list"})).await, listed);
    for (req, text) in [
        (json!({}), "Role name is required"),
        (json!({"role": "nope"}), "Role not found"),
        (json!({"role": "hidden"}), "This role is not self-assignable"),
        (json!({"role": "admin"}), "This role is not self-assignable"),
    ] {
        let mut req = req;
        req["cmd"] = json!("self_role_add");
        assert_eq!(bob.request(req.clone()).await, err("self_role_add", text), "{req}");
    }
    let rm = bob.request(json!({"cmd": "self_role_remove", "role": "gamer"})).await;
    assert_eq!(rm, err("self_role_remove", "You don't have this role"));
    for c in [&mut boss, &mut alice, &mut bob] {
        assert!(c.sync().await.is_empty(), "refusals push nothing");
    }
    let added = bob.request(json!({"cmd": "self_role_add", "role": "gamer"})).await;
    assert_eq!(added, json!({"cmd": "self_role_add", "role": "gamer", "success": true, "roles": ["user", "gamer"]}));
    for c in [&mut boss, &mut alice, &mut bob] {
        let users = next_cmd(c, "users_list").await;
        let entry = users["users"].as_array().unwrap().iter().find(|u| u["username"] == "bob").unwrap().clone();
        assert_eq!(entry["roles"], json!(["user", "gamer"]), "added at the end");
        assert_eq!(next_cmd(c, "channels_get").await["cmd"], "channels_get");
        assert!(c.sync().await.is_empty());
    }
    assert_eq!(
        bob.request(json!({"cmd": "self_role_add", "role": "gamer"})).await,
        err("self_role_add", "You already have this role")
    );
    let listed = bob.request(json!({"cmd": "self_roles_list"})).await;
    assert_eq!(listed["roles"][0]["assigned"], true);
    assert_eq!(alice.request(json!({"cmd": "self_roles_list"})).await["roles"][0]["assigned"], false);
    let removed = bob.request(json!({"cmd": "self_role_remove", "role": "gamer"})).await;
    assert_eq!(removed, json!({"cmd": "self_role_remove", "role": "gamer", "success": true, "roles": ["user"]}));
    membership_pushes(&mut [&mut boss, &mut alice, &mut bob]).await;
    // Never one's last role.
    boss.request(json!({"cmd": "user_roles_set", "user": "bob", "roles": ["gamer"]})).await;
    membership_pushes(&mut [&mut boss, &mut alice, &mut bob]).await;
    assert_eq!(
        bob.request(json!({"cmd": "self_role_remove", "role": "gamer"})).await,
        err("self_role_remove", "Cannot remove all roles from a user")
    );
}

/// A client that never sends the new commands, on a server whose roles grant no named
/// permission, sees the seed's answers: the same texts, order and list pushes (roles only
/// gain fields).
async fn an_older_client_sees_what_it_saw_before(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    for (cmd, extra) in [
        ("users_banned_list", json!({})),
        ("user_ban", json!({"user": "alice"})),
        ("user_unban", json!({"user": "alice"})),
        ("user_timeout", json!({"user": "alice", "timeout": 5})),
        ("user_roles_add", json!({"user": "alice", "roles": ["admin"]})),
        ("user_roles_remove", json!({"user": "alice", "roles": ["user"]})),
        ("user_roles_get", json!({"user": "alice"})),
        ("role_create", json!({"name": "x"})),
        ("role_update", json!({"name": "user"})),
        ("role_delete", json!({"name": "moderator"})),
        ("role_permissions_set", json!({"name": "user", "permissions": {}})),
        ("channel_create", json!({"name": "x", "type": "text"})),
        ("channel_update", json!({"current_name": "general", "name": "x"})),
        ("channel_move", json!({"name": "general", "position": 0})),
        ("channel_delete", json!({"name": "general"})),
        ("plugins_list", json!({})),
    ] {
        let mut req = extra;
        req["cmd"] = json!(cmd);
        assert_eq!(bob.request(req).await, owner_only(cmd), "{cmd}");
    }
    for c in [&mut boss, &mut alice, &mut bob] {
        assert!(c.sync().await.is_empty(), "no pushes");
    }
    let (reply, pushes) = act(&mut boss, json!({"cmd": "user_roles_add", "user": "bob", "roles": ["moderator"]})).await;
    assert_eq!(reply, json!({"cmd": "user_roles_add", "user": "bob", "roles": ["moderator", "user"], "added": true}));
    let cmds: Vec<&str> = pushes.iter().map(|p| p["cmd"].as_str().unwrap()).collect();
    assert_eq!(cmds, ["users_list", "channels_get"]);
    membership_pushes(&mut [&mut alice, &mut bob]).await;
    let (reply, _) = act(&mut boss, json!({"cmd": "role_create", "name": "later"})).await;
    assert_eq!(reply, json!({"cmd": "role_create", "name": "later", "created": true}));
    assert_eq!(next_cmd(&mut alice, "roles_list").await["cmd"], "roles_list");
    assert_eq!(next_cmd(&mut alice, "users_list").await["cmd"], "users_list");
    let list = alice.request(json!({"cmd": "roles_list"})).await;
    assert_eq!(names(&list), ["owner", "admin", "moderator", "user", "later"], "creation order, as before");
    let keys: Vec<String> = alice.handshake["val"].as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["server", "limits", "version", "validator_key", "capabilities", "permissions"]);
}

backend_tests!(
    handshake_and_role_shapes,
    reordering_roles,
    manage_roles_acts_only_below_the_callers_highest_role,
    manage_users_and_user_roles_set,
    manage_messages_deletes_and_pins_where_the_caller_can_view,
    negation_denies_whatever_the_order_of_roles,
    self_assignable_roles,
    an_older_client_sees_what_it_saw_before,
);
