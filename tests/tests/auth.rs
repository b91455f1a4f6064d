//! Handshake, authentication and presence over a real socket (docs/design/connections.md, docs/design/authentication.md),
//! and the defences of `auth` (docs/design/authentication.md#failed-logins): a socket closed after
//! five refusals, failed logins limited per address (IPv6 by /64) without asking Rotur, Rotur
//! calls bounded server-wide, Rotur errors logged without the validator, and an answer
//! without a user id refused.

use originchats_tests::{Backend, Client, TestServer, backend_tests};
use serde_json::json;

async fn handshake_matches_the_spec(b: Backend) {
    let s = TestServer::start_with(b, json!({"server": {"motd": "hi"}, "limits": {"custom": 5}})).await;
    let c = s.connect().await;
    let h = &c.handshake;
    assert_eq!(h.as_object().unwrap().keys().collect::<Vec<_>>(), vec!["cmd", "val"]);
    let val = h["val"].as_object().unwrap();
    let mut keys: Vec<_> = val.keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, vec!["capabilities", "limits", "permissions", "server", "validator_key", "version"]);
    assert_eq!(h["val"]["permissions"].as_array().unwrap().len(), 20);
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
        "emoji_add",
        "emoji_delete",
        "emoji_get_all",
        "emoji_get_filename",
        "emoji_get_id",
        "emoji_update",
        "message_delete",
        "message_edit",
        "message_get",
        "message_new",
        "message_pin",
        "message_react_add",
        "message_react_remove",
        "message_replies",
        "message_unpin",
        "messages_around",
        "messages_get",
        "messages_pinned",
        "messages_search",
        "ping",
        "pings_get",
        "plugins_list",
        "plugins_reload",
        "push_get_vapid",
        "push_subscribe",
        "push_unsubscribe",
        "rate_limit_reset",
        "rate_limit_status",
        "resume",
        "role_create",
        "role_delete",
        "role_permissions_get",
        "role_permissions_set",
        "role_reorder",
        "role_update",
        "roles_list",
        "self_role_add",
        "self_role_remove",
        "self_roles_list",
        "server_info",
        "server_update",
        "slash_call",
        "slash_list",
        "slash_register",
        "slash_response",
        "status_get",
        "status_set",
        "thread_create",
        "thread_delete",
        "thread_get",
        "thread_join",
        "thread_leave",
        "thread_messages",
        "thread_update",
        "typing",
        "unreads_ack",
        "unreads_count",
        "unreads_get",
        "user_ban",
        "user_delete",
        "user_leave",
        "user_roles_add",
        "user_roles_get",
        "user_roles_remove",
        "user_roles_set",
        "user_timeout",
        "user_unban",
        "user_update",
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

const INVALID: &str = "Invalid authentication";
const UNAVAILABLE: &str = "Authentication service unavailable";
const THROTTLED: &str = "Too many failed authentication attempts, try again later";

fn auth_error(val: &str) -> serde_json::Value {
    json!({"cmd": "auth_error", "val": val})
}

fn auth(validator: &str) -> serde_json::Value {
    json!({"cmd": "auth", "validator": validator})
}

async fn a_socket_is_closed_after_five_refused_logins(b: Backend) {
    let s = TestServer::start(b).await;
    let mut c = s.connect().await;
    for _ in 0..4 {
        assert_eq!(c.request(auth("invalid")).await, auth_error(INVALID));
    }
    // Refusals because Rotur is unavailable are not the client's fault: they do not count.
    for v in ["status:503", "notjson", "status:500"] {
        assert_eq!(c.request(auth(v)).await, auth_error(UNAVAILABLE), "for {v}");
    }
    assert_eq!(c.request(json!({"cmd": "ping"})).await, auth_error("Authentication required"), "still open");
    assert_eq!(c.request(auth("invalid")).await, auth_error(INVALID), "the fifth refusal is answered first");
    assert_eq!(c.close_frame().await, Some((1008, "too many failed authentication attempts".to_owned())));
    // The address is not blocked by five failures (its limit is 20 a minute).
    s.login("alice").await;
}

async fn failed_logins_are_limited_per_address_without_asking_rotur(b: Backend) {
    let s = TestServer::start_with(b, json!({"auth": {"max_failures_per_address": 3}})).await;
    let mut first = s.connect().await;
    for _ in 0..3 {
        assert_eq!(first.request(auth("invalid")).await, auth_error(INVALID));
    }
    let asked = s.rotur.calls().len();
    assert_eq!(asked, 3);
    assert_eq!(first.request(auth("good:USR:alice:alice")).await, auth_error(THROTTLED), "the same socket");
    let mut second = s.connect().await;
    assert_eq!(second.request(auth("good:USR:alice:alice")).await, auth_error(THROTTLED), "any socket");
    assert_eq!(second.request(auth("invalid")).await, auth_error(THROTTLED));
    assert_eq!(s.rotur.calls().len(), asked, "Rotur was not asked for a blocked address");
    assert_eq!(second.request(json!({"cmd": "ping"})).await, auth_error("Authentication required"));
}

async fn ipv6_addresses_are_limited_by_their_64(b: Backend) {
    let config = json!({"auth": {"max_failures_per_address": 3}, "transport": {"trusted_proxies": ["127.0.0.1"]}});
    let s = TestServer::start_with(b, config).await;
    let from = |ip: &'static str| {
        let url = s.ws_url();
        async move { Client::connect_with(&url, &[("X-Forwarded-For", ip)]).await.expect("upgrade") }
    };
    let mut a = from("2001:db8:0:0::1").await;
    for _ in 0..3 {
        assert_eq!(a.request(auth("invalid")).await, auth_error(INVALID));
    }
    let asked = s.rotur.calls().len();
    let mut neighbour = from("2001:db8::ffff:1").await;
    assert_eq!(neighbour.request(auth("good:USR:bob:bob")).await, auth_error(THROTTLED), "the same /64");
    assert_eq!(s.rotur.calls().len(), asked, "Rotur was not asked for a blocked /64");
    let mut other_net = from("2001:db8:0:1::1").await;
    other_net.auth("good:USR:bob:bob").await;
    let mut v4 = from("192.0.2.7").await;
    v4.auth("good:USR:carol:carol").await;
}

async fn rotur_calls_in_flight_are_bounded_server_wide(b: Backend) {
    // A generous timeout: six answers of 300 ms through two slots take about 900 ms.
    let config = json!({"auth": {"max_concurrent_checks": 2, "timeout_seconds": 10}});
    let s = TestServer::start_with(b, config).await;
    let mut clients = vec![];
    for _ in 0..6 {
        clients.push(s.connect().await);
    }
    for (n, c) in clients.iter_mut().enumerate() {
        c.send(auth(&format!("wait:300:USR:u{n}:u{n}"))).await;
    }
    for (n, c) in clients.iter_mut().enumerate() {
        assert_eq!(c.recv().await, json!({"cmd": "auth_success", "val": "Authentication successful"}), "u{n}");
        let ready = c.recv().await;
        assert_eq!((&ready["cmd"], &ready["user"]["username"]), (&json!("ready"), &json!(format!("u{n}"))));
    }
    assert_eq!(s.rotur.calls().len(), 6);
    let most = s.rotur.most_in_flight();
    assert!(most <= 2, "{most} Rotur calls were in flight at once");
}

async fn rotur_errors_are_logged_without_the_validator(b: Backend) {
    // Nothing listens on the discard port: the request fails to connect.
    let config = json!({"auth": {"rotur_validate_url": "http://127.0.0.1:9/validate"}});
    let s = TestServer::start_with(b, config).await;
    let mut c = s.connect().await;
    let key = c.handshake["val"]["validator_key"].as_str().unwrap().to_owned();
    assert_eq!(c.request(auth("secret-token-31337")).await, auth_error(UNAVAILABLE));
    let log = s.log();
    assert!(log.contains("rotur unreachable"), "the failure is logged: {log}");
    assert!(!log.contains("secret-token-31337"), "the validator is not: {log}");
    assert!(!log.contains(&key), "nor the request's query: {log}");
}

async fn a_rotur_body_that_is_not_json_is_logged_without_the_url(b: Backend) {
    let s = TestServer::start(b).await;
    let mut c = s.connect().await;
    let key = c.handshake["val"]["validator_key"].as_str().unwrap().to_owned();
    assert_eq!(c.request(auth("notjson")).await, auth_error(UNAVAILABLE));
    let log = s.log();
    assert!(log.contains("rotur answered with a body that is not JSON"), "the failure is logged: {log}");
    assert!(!log.contains(&key), "the request's query is not: {log}");
    assert!(!log.contains("v=notjson"), "{log}");
}

async fn a_rotur_answer_without_a_user_id_is_refused(b: Backend) {
    let s = TestServer::start(b).await;
    let mut c = s.connect().await;
    // `{"valid": true, "username": "alice"}`, then `{"valid": true, "id": "", …}`.
    for v in ["noid:alice", "good::alice"] {
        assert_eq!(c.request(auth(v)).await, auth_error(UNAVAILABLE), "for {v}");
    }
    let ready = c.auth("good:USR:alice:alice").await;
    assert_eq!(ready["user"]["username"], "alice");
    c.sync().await;
    let users = c.request(json!({"cmd": "users_list"})).await;
    assert_eq!(users["users"].as_array().map(Vec::len), Some(1), "no user without an id was created: {users}");
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
    a_socket_is_closed_after_five_refused_logins,
    failed_logins_are_limited_per_address_without_asking_rotur,
    ipv6_addresses_are_limited_by_their_64,
    rotur_calls_in_flight_are_bounded_server_wide,
    rotur_errors_are_logged_without_the_validator,
    a_rotur_body_that_is_not_json_is_logged_without_the_url,
    a_rotur_answer_without_a_user_id_is_refused,
);
