//! Graceful shutdown on SIGTERM (docs/design/connections.md#shutdown): the server stops
//! accepting, lets each connection finish the command it is running, flushes what is queued,
//! closes every socket with 1001, stops its plugins and its admin socket, and exits 0 within
//! `shutdown.grace_seconds`.

use std::time::{Duration, Instant};

use originchats_tests::{Backend, TestServer, backend_tests};
use serde_json::json;

async fn sigterm_closes_every_socket_with_1001_and_exits_0(b: Backend) {
    let mut s = TestServer::start_with(b, json!({"shutdown": {"grace_seconds": 5}})).await;
    let mut alice = s.login("alice").await;
    let mut bob = s.login("bob").await;
    alice.sync().await;
    let posted = alice.request(json!({"cmd": "message_new", "channel": "general", "content": "before"})).await;
    assert_eq!(posted["cmd"], "message_new");
    // A command still on its way when the signal comes is either answered and kept, or
    // never answered: nothing acknowledged is lost.
    alice.send(json!({"cmd": "message_new", "channel": "general", "content": "racing"})).await;
    let socket = s.path().join("originchats.sock");
    assert!(socket.exists());
    let started = Instant::now();
    let code = tokio::task::spawn_blocking(move || {
        let code = s.terminate(Duration::from_secs(10));
        (s, code)
    });
    let mut acknowledged = vec!["before".to_owned()];
    let alice_close = loop {
        match alice.next_or_close().await {
            Ok(v) if v["cmd"] == "message_new" => acknowledged.push(v["message"]["content"].as_str().unwrap().into()),
            Ok(_) => {}
            Err(close) => break close,
        }
    };
    let bob_close = loop {
        match bob.next_or_close().await {
            Ok(_) => {}
            Err(close) => break close,
        }
    };
    let (mut s, code) = code.await.unwrap();
    assert_eq!(code, Some(0), "a clean exit");
    assert!(started.elapsed() < Duration::from_secs(10), "within the grace period");
    let going_away = Some((1001, "server shutting down".to_owned()));
    assert_eq!(alice_close, going_away);
    assert_eq!(bob_close, going_away);
    assert!(!socket.exists(), "the admin socket is gone");
    assert!(s.log().contains("shutting down"), "{}", s.log());
    s.start_again();
    let mut carol = s.login("carol").await;
    let history = carol.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    let stored: Vec<&str> =
        history["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    for content in &acknowledged {
        assert!(stored.contains(&content.as_str()), "{content} was acknowledged but is not stored: {stored:?}");
    }
}

async fn a_shutdown_does_not_wait_for_a_client_that_does_not_read(b: Backend) {
    let mut s =
        TestServer::start_with(b, json!({"limits": {"post_content": 100000}, "shutdown": {"grace_seconds": 2}})).await;
    // `stuck` reads nothing while a megabyte piles up for it.
    let _stuck = s.login("stuck").await;
    let mut sender = s.login("sender").await;
    let body = "w".repeat(90_000);
    for i in 0..12 {
        sender.send(json!({"cmd": "message_new", "channel": "general", "content": format!("{i}{body}")})).await;
        sender.expect_cmd("message_new").await;
    }
    let started = Instant::now();
    let code = tokio::task::spawn_blocking(move || s.terminate(Duration::from_secs(10))).await.unwrap();
    assert_eq!(code, Some(0));
    assert!(started.elapsed() < Duration::from_secs(6), "took {:?}", started.elapsed());
}

backend_tests!(
    sigterm_closes_every_socket_with_1001_and_exits_0,
    a_shutdown_does_not_wait_for_a_client_that_does_not_read
);
