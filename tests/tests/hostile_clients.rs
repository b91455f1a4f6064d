//! A hostile client on one address, against the transport's defences
//! (docs/design/transport.md#limits, docs/security.md): connections that never finish their
//! request, too many connections, running out of descriptors, clients that do not read,
//! clients that write but never answer pings, broken text frames, oversized listeners and
//! identifiers. Each case would hold the server's resources without its defence.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use application::connection::{self, ConnectionLimits, FrameHandler, Inbound, Peer, PeerReader, PeerWriter, Shutdown};
use application::ports::{Frame, NoPlugins};
use application::{App, Packet, Session, Settings};
use async_trait::async_trait;
use memory::MemoryStore;
use originchats_tests::{Backend, Client, TestServer, backend_tests, inproc, scenes};
use rotur::MockAuth;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame as WsFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

/// Reads until the server closes the connection; panics if it stays open past `within`.
async fn closed_by_server(stream: &mut TcpStream, within: Duration) -> Vec<u8> {
    let mut got = vec![];
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return got,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => panic!("the server kept the connection open for {within:?}"),
        }
    }
}

async fn requests_that_never_complete_are_closed(b: Backend) {
    let s = TestServer::start_with(b, json!({"transport": {"request_head_timeout_seconds": 1}})).await;
    let started = Instant::now();
    // Silent: connects and sends nothing.
    let mut silent = TcpStream::connect(&s.addr).await.unwrap();
    // Trickling: a request line, then a byte now and then.
    let mut trickle = TcpStream::connect(&s.addr).await.unwrap();
    trickle.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    let trickler = tokio::spawn(async move {
        for _ in 0..40 {
            if trickle.write_all(b"X").await.is_err() {
                return true;
            }
            let mut b = [0u8; 64];
            match tokio::time::timeout(Duration::from_millis(150), trickle.read(&mut b)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                _ => {}
            }
        }
        false
    });
    // Kept alive: one complete request, then nothing.
    let mut idle = TcpStream::connect(&s.addr).await.unwrap();
    idle.write_all(format!("GET /health HTTP/1.1\r\nHost: {}\r\n\r\n", s.addr).as_bytes()).await.unwrap();
    let answered = closed_by_server(&mut idle, Duration::from_secs(5)).await;
    assert!(String::from_utf8_lossy(&answered).starts_with("HTTP/1.1 200"), "the request was answered first");
    assert!(closed_by_server(&mut silent, Duration::from_secs(5)).await.is_empty());
    assert!(trickler.await.unwrap(), "a trickling request head was closed");
    assert!(started.elapsed() < Duration::from_secs(6));
}

/// The status line a raw connection gets without sending anything.
async fn unprompted_answer(addr: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let got = closed_by_server(&mut stream, Duration::from_secs(5)).await;
    String::from_utf8_lossy(&got).lines().next().unwrap_or_default().to_owned()
}

async fn connections_are_capped_when_accepted(b: Backend) {
    let s = TestServer::start_with(b, json!({"transport": {"max_connections_per_ip": 3}})).await;
    let mut held = vec![];
    for _ in 0..3 {
        held.push(TcpStream::connect(&s.addr).await.unwrap());
    }
    // Before it has sent a byte, the fourth from this address is refused.
    assert_eq!(unprompted_answer(&s.addr).await, "HTTP/1.1 503 Service Unavailable");
    drop(held);
    // Slots free once the server saw the closes; a WebSocket then gets in.
    let started = Instant::now();
    loop {
        match Client::connect_with(&s.ws_url(), &[]).await {
            Ok(c) => break assert_eq!(c.handshake["cmd"], "handshake"),
            Err(503) => assert!(started.elapsed() < Duration::from_secs(10), "slots never freed"),
            Err(other) => panic!("status {other}"),
        }
    }
}

async fn connections_are_capped_in_total(b: Backend) {
    let s = TestServer::start_with(b, json!({"transport": {"max_connections": 2}})).await;
    let _held = [TcpStream::connect(&s.addr).await.unwrap(), TcpStream::connect(&s.addr).await.unwrap()];
    assert_eq!(unprompted_answer(&s.addr).await, "HTTP/1.1 503 Service Unavailable");
}

async fn running_out_of_descriptors_neither_spins_nor_floods_the_log(b: Backend) {
    let overrides = json!({"transport": {"max_connections_per_ip": 100000, "request_head_timeout_seconds": 30}});
    let s = TestServer::start_with_descriptor_limit(b, overrides, 64).await;
    let mut alice = s.login("alice").await;
    // Far more connections than the server has descriptors: the rest wait in the backlog
    // and every accept fails with EMFILE.
    let mut flood = vec![];
    while flood.len() < 150 {
        match tokio::time::timeout(Duration::from_secs(1), TcpStream::connect(&s.addr)).await {
            Ok(Ok(c)) => flood.push(c),
            // The listen backlog is full too.
            _ => break,
        }
    }
    assert!(flood.len() > 100, "{} connections", flood.len());
    let wall = Instant::now();
    let cpu = s.cpu_time();
    let log = s.log().len();
    // A measuring window, not a wait for an event: two seconds of starvation.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let spent = s.cpu_time() - cpu;
    let logged = s.log().len() - log;
    assert!(spent < Duration::from_millis(400), "the server used {spent:?} of CPU in {:?}", wall.elapsed());
    assert!(logged < 16 * 1024, "{logged} bytes of log in two seconds");
    assert!(s.log().contains("out of descriptors"), "the starvation is logged");
    // Those already in are still served.
    assert_eq!(alice.request(json!({"cmd": "ping"})).await["cmd"], "pong");
    drop(flood);
}

async fn a_client_that_does_not_read_is_cut_off_by_bytes(b: Backend) {
    // 1,024 packets would let 60 MB wait for a client; 256 KiB does not.
    let s = TestServer::start_with(
        b,
        json!({"limits": {"post_content": 100000}, "transport": {"outbound_queue": 1024, "outbound_queue_bytes": 262144}}),
    )
    .await;
    let mut slow = s.login("slow").await;
    let mut sender = s.login("sender").await;
    slow.sync().await;
    sender.sync().await;
    let body = "z".repeat(60_000);
    let mut left = false;
    for i in 0..300 {
        sender.send(json!({"cmd": "message_new", "channel": "general", "content": format!("{i}{body}")})).await;
        let mut seen = sender.sync().await;
        seen.retain(|v| v["cmd"] == "user_disconnect" && v["username"] == "slow");
        if !seen.is_empty() {
            left = true;
            break;
        }
    }
    assert!(left, "the slow client was closed while messages kept coming");
    // The slow client finds the end of what it was sent. Its close frame (1008, "slow
    // consumer") usually cannot reach it: its buffers are full of what it did not read.
    let mut received = 0;
    let close = loop {
        match slow.next_or_close().await {
            Ok(v) if v["cmd"] == "message_new" => received += 1,
            Ok(_) => {}
            Err(close) => break close,
        }
    };
    assert!(received < 300, "cut off after {received} messages");
    assert!(matches!(&close, None | Some((1008, _))), "{close:?}");
}

async fn liveness_comes_only_from_answers_to_pings(b: Backend) {
    let s =
        scenes::start_with(b, json!({"transport": {"ws_ping_interval_seconds": 0.2, "ws_ping_timeout_seconds": 1}}))
            .await;
    let mut boss = s.login("boss").await;
    let mut talker = s.login("talker").await;
    let mut watcher = s.login("watcher").await;
    boss.sync().await;
    // Typing where one may view but not send is ignored without an answer, so the talker
    // is sent nothing but the server's pings, and its close frame can reach it.
    let quiet = json!({"view": ["user"], "send": ["owner"]});
    scenes::create_channel(&mut boss, &mut [&mut talker, &mut watcher], "quiet", quiet).await;
    // Writes on and on, and even sends pongs nobody asked for, but never reads, so it
    // never answers the server's pings; the watcher's round trips pace it.
    let started = Instant::now();
    loop {
        assert!(started.elapsed() < Duration::from_secs(8), "a client that never answers pings was kept");
        if !talker.try_send(&json!({"cmd": "typing", "channel": "quiet"})).await
            || !talker.try_message(Message::Pong(b"unasked".to_vec().into())).await
        {
            break;
        }
        let seen = watcher.sync().await;
        if seen.iter().any(|v| v["cmd"] == "user_disconnect" && v["username"] == "talker") {
            break;
        }
    }
    // Its close frame is lost to the reset its own writes cause; the server says why.
    let log = s.log();
    assert!(log.lines().any(|l| l.contains("reason=\"ping timeout\"") && l.contains("\"talker\"")), "{log}");
}

async fn an_invalid_utf8_text_frame_closes_with_1007(b: Backend) {
    let s = TestServer::start(b).await;
    let mut c = s.login("alice").await;
    let frame = WsFrame::message(vec![0x7b, 0xff, 0xfe, 0x7d], OpCode::Data(Data::Text), true);
    c.send_message(Message::Frame(frame)).await;
    assert_eq!(c.close_frame().await, Some((1007, "invalid UTF-8".to_owned())));
}

async fn long_listeners_and_identifiers_are_refused_and_never_echoed(b: Backend) {
    let s = TestServer::start(b).await;
    let mut c = s.login("alice").await;
    let long = "l".repeat(1025);
    let reply = c.request(json!({"cmd": "ping", "listener": long})).await;
    assert_eq!(reply, json!({"cmd": "error", "src": "ping", "val": "Listener too long"}));
    let fits = "l".repeat(1024);
    assert_eq!(c.request(json!({"cmd": "ping", "listener": fits})).await["listener"], fits.as_str());
    let reply = c.request(json!({"cmd": "rate_limit_status", "user": "u".repeat(4096)})).await;
    assert_eq!(reply, json!({"cmd": "error", "src": "rate_limit_status", "val": "Field 'user' is too long"}));
    let reply = c.request(json!({"cmd": "messages_get", "channel": "c".repeat(2000)})).await;
    assert_eq!(reply, json!({"cmd": "error", "src": "messages_get", "val": "Field 'channel' is too long"}));
    let reply = c.request(json!({"cmd": "user_roles_add", "user": "bob", "roles": vec!["r"; 300]})).await;
    assert_eq!(reply, json!({"cmd": "error", "src": "user_roles_add", "val": "Field 'roles' is too long"}));
    let cmd = "x".repeat(5000);
    let reply = c.request(json!({"cmd": cmd})).await;
    let cut = format!("{}…", "x".repeat(64));
    assert_eq!(reply, json!({"cmd": "error", "src": cut, "val": format!("Unknown command: {cut}")}));
}

async fn client_strings_never_fill_server_memory(b: Backend) {
    let s = TestServer::start(b).await;
    let mut c = s.login("alice").await;
    let before = s.rss_bytes();
    for i in 0..300 {
        // 900 KB names someone else: refused, never looked up, cached or echoed.
        let name = format!("{i}{}", "n".repeat(900_000));
        let reply = c.request(json!({"cmd": "rate_limit_status", "user": name})).await;
        assert_eq!(reply["cmd"], "error");
    }
    // One that fits the identifier limit but names nobody: refused before any lookup.
    for i in 0..300 {
        let reply = c.request(json!({"cmd": "rate_limit_status", "user": format!("{i}{}", "m".repeat(1000))})).await;
        assert_eq!(
            reply,
            json!({"cmd": "error", "src": "rate_limit_status",
            "val": "Access denied: can only check your own rate limit status"})
        );
    }
    let grown = s.rss_bytes().saturating_sub(before);
    assert!(grown < 64 * 1024 * 1024, "the server grew by {} MB", grown / (1024 * 1024));
}

backend_tests!(
    requests_that_never_complete_are_closed,
    connections_are_capped_when_accepted,
    connections_are_capped_in_total,
    running_out_of_descriptors_neither_spins_nor_floods_the_log,
    a_client_that_does_not_read_is_cut_off_by_bytes,
    liveness_comes_only_from_answers_to_pings,
    an_invalid_utf8_text_frame_closes_with_1007,
    long_listeners_and_identifiers_are_refused_and_never_echoed,
    client_strings_never_fill_server_memory,
);

/// A peer that sends one request after another and never reads a byte of what it is sent.
struct Flooder {
    sent: Arc<AtomicUsize>,
}

#[async_trait]
impl PeerReader for Flooder {
    async fn next(&mut self) -> Inbound {
        let n = self.sent.fetch_add(1, Ordering::SeqCst);
        Inbound::Text(format!("request {n}"))
    }
}

/// A writer whose peer never reads: every send waits forever.
struct Stuck;

#[async_trait]
impl PeerWriter for Stuck {
    async fn send(&mut self, _: &[Frame]) -> std::io::Result<()> {
        std::future::pending().await
    }
    async fn ping(&mut self, _: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
    async fn close(&mut self, _: u16, _: &str) {}
}

/// Answers every request with a 100 KB packet.
struct BigReplies;

#[async_trait]
impl FrameHandler for BigReplies {
    async fn handle(&self, app: &App, session: &mut Session, _: &str) {
        let reply = Packet::Custom(domain::RawJson(json!({"cmd": "big", "pad": "p".repeat(100_000)}).to_string()));
        app.sessions.send(session.conn, &reply, None);
    }
}

/// In process, on the runtime's virtual clock: a connection whose own replies pile up stops
/// reading its requests at the high-water mark, and is neither closed nor grows past its
/// budget, however long it waits.
#[tokio::test(start_paused = true)]
async fn requests_wait_while_their_replies_pile_up() {
    let store = Arc::new(MemoryStore::new());
    let app = Arc::new(inproc::app(store, Arc::new(MockAuth), Arc::new(NoPlugins), Settings::default()));
    let sent = Arc::new(AtomicUsize::new(0));
    let limits = Arc::new(ConnectionLimits {
        queue_frames: 10_000,
        queue_bytes: 8 * 1024 * 1024,
        high_water_bytes: 1024 * 1024,
        ..ConnectionLimits::default()
    });
    let peer = Peer { reader: Flooder { sent: sent.clone() }, writer: Stuck, address: None };
    let running = tokio::spawn(connection::run(app.clone(), Arc::new(BigReplies), peer, limits, Shutdown::never()));
    // Virtual time: the runtime runs every task until all wait, then jumps ahead.
    tokio::time::sleep(Duration::from_secs(20)).await;
    let read = sent.load(Ordering::SeqCst);
    // About 1 MB of replies: ~11 requests read, not thousands.
    assert!((10..=15).contains(&read), "{read} requests were read while their replies waited");
    tokio::time::sleep(Duration::from_secs(20)).await;
    assert_eq!(sent.load(Ordering::SeqCst), read, "none more later");
    assert!(!running.is_finished(), "the connection was not closed");
    assert_eq!(app.hub.connection_count(), 1);
    running.abort();
}

/// A peer that sends nothing and never closes.
struct Silent;

#[async_trait]
impl PeerReader for Silent {
    async fn next(&mut self) -> Inbound {
        std::future::pending().await
    }
}

/// A writer whose peer is gone: every write fails (a reset connection).
struct Reset;

#[async_trait]
impl PeerWriter for Reset {
    async fn send(&mut self, _: &[Frame]) -> std::io::Result<()> {
        Err(std::io::ErrorKind::ConnectionReset.into())
    }
    async fn ping(&mut self, _: &[u8]) -> std::io::Result<()> {
        Err(std::io::ErrorKind::ConnectionReset.into())
    }
    async fn close(&mut self, _: u16, _: &str) {}
}

/// In process, on virtual time: when writing fails before reading notices anything (a reset
/// seen first by the writer), the connection ends cleanly, without a panic, and is forgotten.
#[tokio::test(start_paused = true)]
async fn a_connection_whose_writes_fail_first_ends_cleanly() {
    let store = Arc::new(MemoryStore::new());
    let app = Arc::new(inproc::app(store, Arc::new(MockAuth), Arc::new(NoPlugins), Settings::default()));
    let peer = Peer { reader: Silent, writer: Reset, address: None };
    let limits = Arc::new(ConnectionLimits::default());
    let running = tokio::spawn(connection::run(app.clone(), Arc::new(BigReplies), peer, limits, Shutdown::never()));
    // The handshake is the first write; it fails at once.
    let ended = tokio::time::timeout(Duration::from_secs(60), running).await.expect("the connection ended");
    assert!(ended.is_ok(), "the connection task panicked: {ended:?}");
    assert_eq!(app.hub.connection_count(), 0);
}
