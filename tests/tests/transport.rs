//! The transport from outside: heartbeat, the `ping` command, the auth deadline, connection
//! admission, binary frames, banned logins, mock auth, rate limiting left off, and HTTP
//! details (docs/design/transport.md, docs/design/connections.md#before-login; docs/design/configuration.md#absent-keys, docs/design/transport.md#limits, docs/design/transport.md#liveness, docs/design/authentication.md#auth-mode, docs/design/transport.md#plain-http).

use std::time::{Duration, Instant};

use originchats_tests::http::{http, http_with};
use originchats_tests::scenes::start;
use originchats_tests::{Backend, Client, TestServer, backend_tests};
use serde_json::json;

async fn unauthenticated_sockets_get_the_heartbeat_and_close_at_the_deadline(b: Backend) {
    let s = TestServer::start_with(
        b,
        json!({"heartbeat": {"interval_seconds": 0.2}, "transport": {"auth_deadline_seconds": 1.5}}),
    )
    .await;
    let mut anonymous = s.connect().await;
    let mut member = s.login("alice").await;
    let opened = Instant::now();
    assert_eq!(
        anonymous.recv_any().await,
        Some(json!({"cmd": "ping"})),
        "the heartbeat reaches unauthenticated sockets"
    );
    assert_eq!(anonymous.close_frame().await, Some((1008, "authentication timeout".into())));
    assert!(opened.elapsed() >= Duration::from_secs(1), "not before the deadline");
    // A logged-in connection outlives the deadline: count heartbeats past it, then a round trip.
    let mut beats = 0;
    while opened.elapsed() < Duration::from_secs(2) {
        if member.recv_any().await == Some(json!({"cmd": "ping"})) {
            beats += 1;
        }
    }
    assert!(beats >= 3, "heartbeats keep coming ({beats})");
    assert_eq!(member.request(json!({"cmd": "ping"})).await, json!({"cmd": "pong", "val": "pong"}));
}

async fn ping_answers_pong(b: Backend) {
    let s = TestServer::start(b).await;
    let mut c = s.login("alice").await;
    c.sync().await;
    assert_eq!(c.request(json!({"cmd": "ping", "listener": 7})).await, json!({"cmd": "pong", "val": "pong"}));
    assert_eq!(
        c.request(json!({"cmd": "ping", "listener": "p"})).await,
        json!({"cmd": "pong", "val": "pong", "listener": "p"})
    );
}

async fn origins_and_connection_caps_gate_the_upgrade(b: Backend) {
    let s = TestServer::start_with(
        b,
        json!({"transport": {"allowed_origins": ["https://chat.example"], "max_connections_per_ip": 2}}),
    )
    .await;
    let url = s.ws_url();
    assert_eq!(Client::connect_with(&url, &[("Origin", "https://evil.example")]).await.err(), Some(403));
    assert_eq!(Client::connect_with(&url, &[]).await.err(), Some(403), "no Origin is no allowed origin");
    let ok = [("Origin", "https://chat.example")];
    // Connections count from the accept until the server has seen them close, refused
    // upgrades too: a slot frees once the server has seen the close.
    let connect = |what: &'static str| {
        let url = url.clone();
        async move {
            let started = Instant::now();
            loop {
                match Client::connect_with(&url, &ok).await {
                    Ok(c) => {
                        assert_eq!(c.handshake["cmd"], "handshake");
                        return c;
                    }
                    Err(503) => assert!(started.elapsed() < Duration::from_secs(10), "{what}: the slot never freed"),
                    Err(other) => panic!("{what}: unexpected status {other}"),
                }
            }
        }
    };
    let first = connect("first").await;
    let second = connect("second").await;
    assert_eq!(Client::connect_with(&url, &ok).await.err(), Some(503), "the third from one address");
    first.close().await;
    connect("after a close").await;
    drop(second);
}

async fn binary_frames_are_read_like_text(b: Backend) {
    let s = TestServer::start(b).await;
    let mut c = s.login("alice").await;
    c.send_binary(br#"{"cmd": "ping", "listener": "bin"}"#).await;
    assert_eq!(c.recv().await, json!({"cmd": "pong", "val": "pong", "listener": "bin"}));
    c.send_binary(&[0xff, 0xfe, 0x00]).await;
    assert_eq!(c.recv().await, json!({"cmd": "error", "val": "Invalid message format: not valid JSON"}));
    assert_eq!(c.request(json!({"cmd": "ping"})).await["cmd"], "pong");
}

async fn a_banned_login_is_refused_and_the_socket_stays_open(b: Backend) {
    let s = start(b).await;
    let mallory = s.login("mallory").await;
    let mut boss = s.login("boss").await;
    assert_eq!(boss.request(json!({"cmd": "user_ban", "user": "mallory"})).await["banned"], true);
    drop(mallory);
    boss.expect_cmd("user_disconnect").await;
    boss.sync().await;
    let mut again = s.connect().await;
    let refused = again.request(json!({"cmd": "auth", "validator": "good:USR:mallory:mallory"})).await;
    assert_eq!(refused, json!({"cmd": "auth_error", "val": "Access denied: You are banned from this server"}));
    assert_eq!(
        again.request(json!({"cmd": "ping"})).await,
        json!({"cmd": "auth_error", "val": "Authentication required"}),
        "still open, still not logged in"
    );
    assert!(boss.sync().await.is_empty(), "no user_connect or anything else for a refused login");
}

async fn mock_auth_accepts_only_mock_validators(b: Backend) {
    let s = TestServer::start_with(b, json!({"auth": {"mode": "mock"}})).await;
    let mut c = s.connect().await;
    let ready = c.auth("mock:USR:x1:xavier").await;
    assert_eq!(ready["user"]["username"], "xavier");
    let mut other = s.connect().await;
    let refused = other.request(json!({"cmd": "auth", "validator": "good:USR:2:bob"})).await;
    assert_eq!(refused, json!({"cmd": "auth_error", "val": "Invalid authentication"}));
    assert!(s.rotur.calls().is_empty(), "mock mode never asks Rotur");
    assert!(s.log().contains("auth.mode is \"mock\""), "a loud warning is logged");
}

async fn rate_limiting_is_off_without_its_settings(b: Backend) {
    let s = TestServer::start_with(b, json!({"rate_limiting": null})).await;
    let mut c = s.login("alice").await;
    for i in 0..40 {
        let sent = c.request(json!({"cmd": "message_new", "channel": "general", "content": format!("m{i}")})).await;
        assert_eq!(sent["cmd"], "message_new", "message {i} went through");
    }
    assert_eq!(
        c.request(json!({"cmd": "rate_limit_status"})).await,
        json!({"cmd": "error", "src": "rate_limit_status", "val": "Rate limiter not available or disabled"})
    );
}

async fn http_head_index_and_options_follow_the_rules(b: Backend) {
    let s = TestServer::start(b).await;
    let (status, get_head, page) = http(&s.addr, "GET / HTTP/1.1").await;
    assert_eq!(status, 200);
    assert!(get_head.contains("cache-control: no-cache"), "{get_head}");
    assert!(get_head.contains(&format!("content-length: {}", page.len())), "{get_head}");
    let (status, head, body) = http(&s.addr, "HEAD / HTTP/1.1").await;
    assert_eq!((status, body.as_str()), (200, ""), "HEAD has no body");
    assert!(head.contains(&format!("content-length: {}", page.len())), "but the GET's length: {head}");
    assert_eq!(http(&s.addr, "GET /index.html HTTP/1.1").await.2, page);
    let (status, head, body) = http_with(&s.addr, "OPTIONS /health HTTP/1.1", &[("Origin", "https://x")]).await;
    assert_eq!((status, body.as_str()), (204, ""));
    for expected in [
        "access-control-allow-origin: *",
        "access-control-allow-methods: get, head, options",
        "access-control-allow-headers: content-type, authorization, range",
        "access-control-expose-headers: content-length, content-type, cache-control",
    ] {
        assert!(head.contains(expected), "{expected} missing in {head}");
    }
    let (status, head, _) = http(&s.addr, "POST /health HTTP/1.1").await;
    assert_eq!(status, 405);
    assert!(head.contains("allow: get, head, options") && head.contains("content-length:"), "{head}");
    let (status, _, _) = http_with(&s.addr, "GET /health HTTP/1.1", &[("Content-Length", "5")]).await;
    assert_eq!(status, 413, "a request carries no body");
    let (status, _, body) = http(&s.addr, "GET /health HTTP/1.0").await;
    assert_eq!(status, 200, "HTTP/1.0 is answered too: {body}");
}

backend_tests!(
    unauthenticated_sockets_get_the_heartbeat_and_close_at_the_deadline,
    ping_answers_pong,
    origins_and_connection_caps_gate_the_upgrade,
    binary_frames_are_read_like_text,
    a_banned_login_is_refused_and_the_socket_stays_open,
    mock_auth_accepts_only_mock_validators,
    rate_limiting_is_off_without_its_settings,
    http_head_index_and_options_follow_the_rules,
);
