//! Roles over a real socket (docs/design/roles.md, docs/design/moderation.md#self-moderation, docs/design/moderation.md#timeouts): `roles_list`,
//! `role_create` / `role_update` / `role_delete`, `role_permissions_get` / `_set`,
//! `user_roles_add` (all or nothing; held roles that no longer exist are skipped) /
//! `user_roles_remove` / `user_roles_get`, the owner gate of every owner-only command, and
//! every bad-input text of the user and role commands, each time checking that nothing
//! changed and no push went out.

use originchats_tests::expect::{err, next_cmd, owner_only};
use originchats_tests::scenes::{act, community, no_pushes, snapshot, start};
use originchats_tests::{Backend, backend_tests};
use serde_json::{Value, json};

/// A role as listed, without its `id` (a fresh UUID, checked here).
fn without_id(role: &Value) -> Value {
    let mut role = role.clone();
    let id = role.as_object_mut().unwrap().remove("id").expect("every role has an id");
    assert_eq!(id.as_str().map(str::len), Some(36), "{id}");
    role
}

async fn role_lifecycle(b: Backend) {
    let s = start(b).await;
    let mut boss = s.login("boss").await;
    let mut bob = s.login("bob").await;
    boss.sync().await;
    let roles = bob.request(json!({"cmd": "roles_list"})).await;
    assert_eq!(
        without_id(&roles["roles"]["owner"]),
        json!({"description": "Server owner with ultimate permissions.", "color": "#9400D3",
            "self_assignable": false, "position": 0, "permissions": []})
    );
    assert_eq!(roles["roles"].as_object().unwrap().keys().collect::<Vec<_>>(), ["owner", "admin", "moderator", "user"]);
    let create = json!({"cmd": "role_create", "name": "helper", "description": "Helps", "color": "#00AAFF",
        "permissions": {"mention_roles": false}, "hoisted": true});
    assert_eq!(bob.request(create.clone()).await, owner_only("role_create"));
    assert_eq!(boss.request(create.clone()).await, json!({"cmd": "role_create", "name": "helper", "created": true}));
    let push = next_cmd(&mut bob, "roles_list").await;
    assert_eq!(
        without_id(&push["roles"]["helper"]),
        json!({"description": "Helps", "color": "#00AAFF", "permissions": {"mention_roles": false}, "hoisted": true,
            "self_assignable": false, "position": 4})
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
        without_id(&list["roles"]["helper"]),
        json!({"description": "More", "permissions": {"mention_roles": true}, "hoisted": true,
            "self_assignable": false, "position": 4})
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

async fn adding_roles_skips_held_roles_that_no_longer_exist(b: Backend) {
    let s = start(b).await;
    let mut boss = s.login("boss").await;
    let bob = s.login("bob").await;
    bob.close().await;
    assert_eq!(boss.expect_cmd("user_disconnect").await["username"], "bob");
    act(&mut boss, json!({"cmd": "role_create", "name": "legacy"})).await;
    let (added, _) = act(&mut boss, json!({"cmd": "user_roles_add", "user": "bob", "roles": ["legacy"]})).await;
    assert_eq!(added["roles"], json!(["legacy", "user"]));
    // A banned holder does not stop the role's deletion (docs/design/roles.md role_delete),
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

async fn owner_commands_refuse_a_normal_user_and_change_nothing(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut bob) = community(&s).await;
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
    let (mut boss, mut bob) = community(&s).await;
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
    let (mut boss, mut bob) = community(&s).await;
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

backend_tests!(
    role_lifecycle,
    roles_are_added_all_or_nothing,
    adding_roles_skips_held_roles_that_no_longer_exist,
    owner_commands_refuse_a_normal_user_and_change_nothing,
    user_commands_reject_bad_input_and_change_nothing,
    role_commands_reject_bad_input_and_change_nothing,
);
