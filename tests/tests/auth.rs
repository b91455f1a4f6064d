//! Handshake, authentication and presence over a real socket (docs/design/connections.md, docs/design/authentication.md).

use originchats_tests::{Backend, TestServer, backend_tests};
use serde_json::json;

async fn handshake_matches_the_spec(b: Backend) {
    let s = TestServer::start_with(b, json!({"server": {"motd": "hi"}, "limits": {"custom": 5}})).await;
    let c = s.connect().await;
    let h = &c.handshake;
    assert_eq!(h.as_object().unwrap().keys().collect::<Vec<_>>(), vec!["cmd", "val"]);
    let val = h["val"].as_object().unwrap();
    let mut keys: Vec<_> = val.keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, vec!["capabilities", "limits", "server", "validator_key", "version"]);
    assert_eq!(h["val"]["version"], "1.1.0");
    assert_eq!(h["val"]["server"], json!({"name": "Test Server", "owner": {"name": "Tester"}, "motd": "hi"}));
    assert_eq!(h["val"]["limits"], json!({"post_content": 2000, "search_results": 30, "custom": 5}));
    let key = h["val"]["validator_key"].as_str().unwrap();
    let suffix = key.strip_prefix("originChats-").expect("key prefix");
    assert_eq!(suffix.len(), 32);
    assert!(suffix.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'));
    let caps: Vec<&str> = h["val"]["capabilities"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    // Exactly what this server implements, sorted: `voice_unmute` included, no `events`,
    // nothing of the later original (messages_around, unreads_*, …) it does not implement.
    let expected = [
        "auth",
        "channel_create",
        "channel_delete",
        "channel_move",
        "channel_update",
        "channels_get",
        "message_delete",
        "message_edit",
        "message_get",
        "message_new",
        "message_pin",
        "message_react_add",
        "message_react_remove",
        "message_replies",
        "message_unpin",
        "messages_get",
        "messages_pinned",
        "messages_search",
        "ping",
        "pings_get",
        "plugins_list",
        "plugins_reload",
        "rate_limit_reset",
        "rate_limit_status",
        "role_create",
        "role_delete",
        "role_permissions_get",
        "role_permissions_set",
        "role_update",
        "roles_list",
        "slash_call",
        "slash_list",
        "slash_register",
        "slash_response",
        "typing",
        "user_ban",
        "user_leave",
        "user_roles_add",
        "user_roles_get",
        "user_roles_remove",
        "user_timeout",
        "user_unban",
        "users_banned_list",
        "users_list",
        "users_online",
        "voice_join",
        "voice_leave",
        "voice_mute",
        "voice_state",
        "voice_unmute",
    ];
    assert_eq!(caps, expected);
    let other = s.connect().await;
    assert_ne!(other.handshake["val"]["validator_key"], h["val"]["validator_key"], "a fresh key per connection");
}

async fn auth_success_sends_ready_and_uses_the_connection_key(b: Backend) {
    let s = TestServer::start(b).await;
    let mut c = s.connect().await;
    let key = c.handshake["val"]["validator_key"].as_str().unwrap().to_owned();
    c.send(json!({"cmd": "auth", "validator": "good:USR:1:alice", "listener": "x"})).await;
    assert_eq!(c.recv().await, json!({"cmd": "auth_success", "val": "Authentication successful"}));
    let ready = c.recv().await;
    assert_eq!(ready["cmd"], "ready");
    assert_eq!(ready["user"], json!({"roles": ["user"], "username": "alice"}));
    assert_eq!(ready["validator"].as_str().unwrap().len(), 43);
    assert!(ready.get("listener").is_none());
    let view = json!({"username": "alice", "roles": ["user"], "color": "#FFFFFF"});
    assert_eq!(c.recv().await, json!({"cmd": "user_join", "user": view}));
    assert_eq!(c.recv().await, json!({"cmd": "user_connect", "user": view}));
    assert!(c.sync().await.is_empty());
    let calls = s.rotur.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0], vec![("key".to_string(), key), ("v".to_string(), "good:USR:1:alice".to_string())]);
}

async fn rejected_validator_gets_invalid_authentication_and_may_retry(b: Backend) {
    let s = TestServer::start(b).await;
    let mut c = s.connect().await;
    for bad in [
        json!({"cmd": "auth", "validator": "nope"}),
        json!({"cmd": "auth", "validator": "status:403"}),
        json!({"cmd": "auth"}),
    ] {
        assert_eq!(c.request(bad).await, json!({"cmd": "auth_error", "val": "Invalid authentication"}));
    }
    assert_eq!(s.rotur.calls()[2].len(), 1, "no `v` parameter when the validator is missing");
    c.auth("good:USR:1:alice").await;
}

async fn rotur_failures_answer_service_unavailable(b: Backend) {
    let s = TestServer::start(b).await;
    let mut c = s.connect().await;
    for v in ["status:500", "status:503", "notjson", "slow"] {
        let reply = c.request(json!({"cmd": "auth", "validator": v})).await;
        assert_eq!(reply, json!({"cmd": "auth_error", "val": "Authentication service unavailable"}), "for {v}");
    }
    c.auth("good:USR:1:alice").await;
}

async fn rotur_unreachable_answers_service_unavailable(b: Backend) {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/validate");
    let s = TestServer::start_with(b, json!({"auth": {"rotur_validate_url": url}})).await;
    let mut c = s.connect().await;
    let reply = c.request(json!({"cmd": "auth", "validator": "good:USR:1:a"})).await;
    assert_eq!(reply, json!({"cmd": "auth_error", "val": "Authentication service unavailable"}));
    assert_eq!(c.request(json!({"cmd": "ping"})).await, json!({"cmd": "auth_error", "val": "Authentication required"}));
}

async fn commands_before_auth_are_refused_without_listener(b: Backend) {
    let s = TestServer::start(b).await;
    let mut c = s.connect().await;
    for cmd in ["ping", "message_new", "channels_get", "bogus"] {
        let reply = c.request(json!({"cmd": cmd, "listener": "l1", "channel": "general", "content": "x"})).await;
        assert_eq!(reply, json!({"cmd": "auth_error", "val": "Authentication required"}));
    }
    assert_eq!(
        c.request(json!({"listener": "l"})).await,
        json!({"cmd": "auth_error", "val": "Authentication required"})
    );
    let mut other = s.login("bob").await;
    other.sync().await;
    c.auth("good:USR:2:carol").await;
}

async fn auth_after_auth_is_an_unknown_command(b: Backend) {
    let s = TestServer::start(b).await;
    let mut c = s.login("alice").await;
    c.sync().await;
    let reply = c.request(json!({"cmd": "auth", "validator": "good:USR:1:alice", "listener": "L"})).await;
    assert_eq!(reply, json!({"cmd": "error", "src": "auth", "val": "Unknown command: auth", "listener": "L"}));
}

async fn presence_is_counted_per_user(b: Backend) {
    let s = TestServer::start(b).await;
    let mut watcher = s.login("watcher").await;
    watcher.sync().await;
    let alice_view = json!({"username": "alice", "roles": ["user"], "color": "#FFFFFF"});
    let mut a1 = s.login("alice").await;
    assert_eq!(watcher.recv().await, json!({"cmd": "user_join", "user": alice_view}));
    assert_eq!(watcher.recv().await, json!({"cmd": "user_connect", "user": alice_view}));
    let mut a2 = s.login("alice").await;
    assert!(watcher.sync().await.is_empty(), "a second connection is not announced again");
    a1.sync().await;
    a2.sync().await;
    a1.close().await;
    assert!(watcher.sync().await.is_empty(), "still online through the second connection");
    a2.close().await;
    assert_eq!(watcher.recv().await, json!({"cmd": "user_disconnect", "username": "alice"}));
    let mut again = s.login("alice").await;
    assert_eq!(
        watcher.recv().await,
        json!({"cmd": "user_connect", "user": alice_view}),
        "no user_join for a known user"
    );
    again.sync().await;
}

async fn usernames_follow_rotur(b: Backend) {
    let s = TestServer::start(b).await;
    let mut c = s.login("alice").await;
    c.sync().await;
    c.close().await;
    let mut c = s.connect().await;
    let ready = c.auth("good:USR:alice:alicia").await;
    assert_eq!(ready["user"]["username"], "alicia");
    assert_eq!(c.recv().await["cmd"], "user_connect");
}

async fn configured_owners_get_the_owner_role_at_login(b: Backend) {
    let s = TestServer::start_with(b, json!({"auth": {"owners": ["Boss"]}})).await;
    let mut c = s.connect().await;
    let ready = c.auth("good:USR:boss:boss").await;
    assert_eq!(ready["user"]["roles"], json!(["owner", "user"]));
    let join = c.recv().await;
    assert_eq!(join["user"]["color"], "#9400D3");
    let mut other = s.login("pleb").await;
    assert_eq!(other.ready.as_ref().unwrap()["user"]["roles"], json!(["user"]));
    other.sync().await;
}

async fn new_users_take_the_configured_template(b: Backend) {
    let s = TestServer::start_with(b, json!({"DB": {"users": {"default": {"roles": ["member", "user"], "bio": ""}}}}))
        .await;
    let mut c = s.connect().await;
    let ready = c.auth("good:USR:1:alice").await;
    assert_eq!(ready["user"], json!({"roles": ["member", "user"], "username": "alice", "bio": ""}));
}

backend_tests!(
    handshake_matches_the_spec,
    auth_success_sends_ready_and_uses_the_connection_key,
    rejected_validator_gets_invalid_authentication_and_may_retry,
    rotur_failures_answer_service_unavailable,
    rotur_unreachable_answers_service_unavailable,
    commands_before_auth_are_refused_without_listener,
    auth_after_auth_is_an_unknown_command,
    presence_is_counted_per_user,
    usernames_follow_rotur,
    configured_owners_get_the_owner_role_at_login,
    new_users_take_the_configured_template,
);
