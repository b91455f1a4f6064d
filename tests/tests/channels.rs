//! Channel management, live list updates and rate-limit commands over a real socket.

use originchats_tests::expect::err;
use originchats_tests::{Backend, Client, TestServer, backend_tests};
use serde_json::{Value, json};

fn names(list: &Value) -> Vec<String> {
    list["val"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect()
}

async fn start(b: Backend) -> TestServer {
    TestServer::start_with(b, json!({"auth": {"owners": ["boss"]}})).await
}

/// Sends an owner request and returns its reply, then the pushes it caused on `boss`.
async fn act(boss: &mut Client, req: Value) -> (Value, Vec<Value>) {
    let reply = boss.request(req).await;
    (reply, boss.sync().await)
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
        (json!({"name": "x", "type": "forum"}), "Invalid channel type, must be text, voice, or separator"),
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

async fn rate_limit_commands(b: Backend) {
    let s = TestServer::start_with(
        b,
        json!({"auth": {"owners": ["boss"]}, "rate_limiting": {"enabled": true, "messages_per_minute": 5, "burst_limit": 2, "cooldown_seconds": 30}}),
    )
    .await;
    let mut boss = s.login("boss").await;
    let mut bob = s.login("bob").await;
    boss.sync().await;
    for _ in 0..2 {
        bob.request(json!({"cmd": "message_new", "channel": "general", "content": "x"})).await;
    }
    let limited =
        bob.request(json!({"cmd": "message_new", "channel": "general", "content": "x", "listener": "r"})).await;
    assert_eq!(
        limited,
        json!({"cmd": "rate_limit", "reason": "Burst limit exceeded. You're in cooldown for 30 seconds", "length": 30000, "listener": "r"})
    );
    let status = bob.request(json!({"cmd": "rate_limit_status"})).await;
    assert_eq!(status["user"], "bob");
    assert_eq!(status["status"]["messages_this_minute"], 2);
    assert_eq!(status["status"]["messages_per_minute_limit"], 5);
    assert_eq!(status["status"]["recent_messages"], 2);
    assert_eq!(status["status"]["burst_limit"], 2);
    assert!(status["status"]["cooldown_remaining"].as_f64().unwrap() > 29.0);
    assert_eq!(status["status"]["timeout_remaining"], 0);
    assert_eq!(
        bob.request(json!({"cmd": "rate_limit_status", "user": "boss"})).await,
        err("rate_limit_status", "Access denied: can only check your own rate limit status")
    );
    boss.sync().await;
    assert_eq!(
        boss.request(json!({"cmd": "rate_limit_status", "user": "bob"})).await["status"]["messages_this_minute"],
        2
    );
    assert_eq!(
        bob.request(json!({"cmd": "rate_limit_reset", "user": "bob"})).await,
        err("rate_limit_reset", "Access denied: 'owner' role required")
    );
    assert_eq!(
        boss.request(json!({"cmd": "rate_limit_reset"})).await,
        err("rate_limit_reset", "User parameter is required")
    );
    let reset = boss.request(json!({"cmd": "rate_limit_reset", "user": "BOB"})).await;
    assert_eq!(reset, json!({"cmd": "rate_limit_reset", "user": "bob", "val": "Rate limit reset for user bob"}));
    assert_eq!(
        bob.request(json!({"cmd": "message_new", "channel": "general", "content": "again"})).await["cmd"],
        "message_new"
    );
}

async fn rate_limit_commands_when_disabled(b: Backend) {
    let s = start(b).await;
    let mut boss = s.login("boss").await;
    let mut bob = s.login("bob").await;
    boss.sync().await;
    assert_eq!(
        bob.request(json!({"cmd": "rate_limit_status"})).await,
        err("rate_limit_status", "Rate limiter not available or disabled")
    );
    assert_eq!(
        boss.request(json!({"cmd": "rate_limit_reset", "user": "bob"})).await,
        err("rate_limit_reset", "Rate limiter not available or disabled")
    );
}

backend_tests!(
    channel_lifecycle_with_pushes,
    no_stale_permission_after_a_role_or_channel_change,
    rate_limit_commands,
    rate_limit_commands_when_disabled,
);
