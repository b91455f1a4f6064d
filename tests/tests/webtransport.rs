//! WebTransport beside WebSocket (docs/transports.md, docs/design/webtransport.md): both
//! transports run the same lifecycle, so clients of either see each other's messages,
//! typing, edits and presence; a session that never logs in is closed; an oversized packet
//! is refused the same way on both; certificates are advertised for browsers and reloaded
//! from their files without dropping anyone.

use std::sync::Arc;
use std::time::{Duration, Instant};

use originchats_tests::certs::SelfSigned;
use originchats_tests::client::TIMEOUT;
use originchats_tests::http::{header, http_with};
use originchats_tests::wt::{Trust, WtStream, hash_of};
use originchats_tests::{Backend, Client, TestServer, Transport, backend_tests};
use serde_json::{Value, json};

fn wt_on() -> Value {
    json!({"transport": {"webtransport": {"enabled": true}}})
}

/// Skips packets until one with `cmd` arrives, asserting nothing else of interest does.
async fn next_of(c: &mut Client, cmd: &str) -> Value {
    c.expect_cmd(cmd).await
}

async fn clients_of_both_transports_share_a_channel(b: Backend) {
    let s = TestServer::start_over(b, Transport::WebTransport, json!({})).await;
    let mut ws = s.login_over(Transport::WebSocket, "wsuser").await;
    let mut wt = s.connect_wt().await;
    assert!(wt.is_webtransport());
    let mut ws_handshake = s.connect_ws().await.handshake;
    let mut wt_handshake = wt.handshake.clone();
    for h in [&mut ws_handshake, &mut wt_handshake] {
        let key = h["val"].as_object_mut().unwrap().remove("validator_key");
        assert!(key.unwrap().as_str().unwrap().starts_with("originChats-"), "a key per connection");
    }
    assert_eq!(wt_handshake, ws_handshake, "the same handshake, sent first");
    wt.auth("good:USR:wtuser:wtuser").await;
    wt.sync().await;
    // Presence: the WebSocket client hears of the WebTransport login.
    let joined = ws.sync().await;
    assert!(
        joined.iter().any(|p| p["cmd"] == "user_connect" && p["user"]["username"] == "wtuser"),
        "user_connect for the WebTransport login: {joined:?}"
    );

    // A message each way, with the sender's listener only on its own copy.
    let sent =
        wt.request(json!({"cmd": "message_new", "channel": "general", "content": "over quic", "listener": "q"})).await;
    assert_eq!((sent["cmd"].as_str(), sent["listener"].as_str()), (Some("message_new"), Some("q")));
    let seen = next_of(&mut ws, "message_new").await;
    assert_eq!(seen["message"]["content"], "over quic");
    assert_eq!(seen["message"]["user"], "wtuser");
    assert!(seen.get("listener").is_none(), "no listener for others: {seen}");
    let id = seen["message"]["id"].clone();
    ws.send(json!({"cmd": "message_new", "channel": "general", "content": "over tcp"})).await;
    assert_eq!(next_of(&mut ws, "message_new").await["message"]["content"], "over tcp");
    let seen = next_of(&mut wt, "message_new").await;
    assert_eq!(
        (seen["message"]["content"].as_str(), seen["message"]["user"].as_str()),
        (Some("over tcp"), Some("wsuser"))
    );

    // Typing and edits cross too.
    ws.send(json!({"cmd": "typing", "channel": "general"})).await;
    let typing = next_of(&mut wt, "typing").await;
    assert_eq!((typing["user"].as_str(), typing["channel"].as_str()), (Some("wsuser"), Some("general")));
    wt.send(json!({"cmd": "message_edit", "id": id, "channel": "general", "content": "edited over quic"})).await;
    assert_eq!(next_of(&mut wt, "message_edit").await["content"], "edited over quic");
    let edit = next_of(&mut ws, "message_edit").await;
    assert_eq!((edit["id"].clone(), edit["content"].as_str()), (id, Some("edited over quic")));
    assert_eq!(wt.sync().await.iter().filter(|p| p["cmd"] == "typing").count(), 0, "no echo of one's own typing");

    // Leaving: the WebSocket client sees the WebTransport user go.
    wt.close().await;
    assert_eq!(next_of(&mut ws, "user_disconnect").await, json!({"cmd": "user_disconnect", "username": "wtuser"}));
}

async fn a_session_that_never_logs_in_is_closed(b: Backend) {
    let s = TestServer::start_over(
        b,
        Transport::WebTransport,
        json!({"heartbeat": {"interval_seconds": 0.2}, "transport": {"auth_deadline_seconds": 1.5}}),
    )
    .await;
    let opened = Instant::now();
    let mut anonymous = s.connect_wt().await;
    let mut member = s.login_over(Transport::WebTransport, "alice").await;
    assert_eq!(anonymous.recv_any().await, Some(json!({"cmd": "ping"})), "the heartbeat reaches it");
    assert_eq!(anonymous.close_frame().await, Some((1008, "authentication timeout".into())));
    assert!(opened.elapsed() >= Duration::from_millis(1500), "not before the deadline");
    // A session that never opens its stream is closed at the same deadline.
    let (_endpoint, silent) = WtStream::session(&s.wt_url(), s.wt_trust().await).await.unwrap();
    let closed = tokio::time::timeout(TIMEOUT, silent.closed()).await.expect("closed by the server");
    let wtransport::error::ConnectionError::ApplicationClosed(close) = closed else { panic!("{closed:?}") };
    assert_eq!((close.code().into_inner(), close.reason()), (1008, &b"authentication timeout"[..]));
    assert_eq!(member.request(json!({"cmd": "ping"})).await["cmd"], "pong", "a logged-in session stays");
}

/// An oversized packet ends that connection with 1009 `message too big` on either transport;
/// everyone else carries on.
async fn an_oversized_packet_is_refused_alike(b: Backend) {
    let s = TestServer::start_over(b, Transport::WebTransport, json!({"transport": {"max_frame_bytes": 4096}})).await;
    let mut other = s.login_over(Transport::WebSocket, "bob").await;
    let big = format!("{{\"cmd\": \"ping\", \"pad\": \"{}\"}}", "x".repeat(10_000));
    for transport in [Transport::WebSocket, Transport::WebTransport] {
        let mut c = s.login_over(transport, "alice").await;
        other.sync().await;
        c.send_text(&big).await;
        assert_eq!(c.close_frame().await, Some((1009, "message too big".into())), "{transport:?}");
        assert_eq!(other.recv().await, json!({"cmd": "user_disconnect", "username": "alice"}), "{transport:?}");
    }
    // A line that never ends is refused once it is longer than the limit.
    let mut c = s.login_over(Transport::WebTransport, "carol").await;
    other.sync().await;
    assert!(c.wt().write("{\"cmd\": \"ping\", \"pad\": \"".as_bytes()).await);
    assert!(c.wt().write(&[b'x'; 5000]).await);
    assert_eq!(c.close_frame().await, Some((1009, "message too big".into())));
    assert_eq!(other.recv().await, json!({"cmd": "user_disconnect", "username": "carol"}));
    // Exactly the limit passes; CRLF and empty lines are allowed; a second stream is refused
    // without harming the first.
    let mut c = s.login_over(Transport::WebTransport, "dave").await;
    let pad = 4096 - "{\"cmd\":\"ping\",\"listener\":\"full\",\"pad\":\"\"}".len();
    let line = format!("{{\"cmd\":\"ping\",\"listener\":\"full\",\"pad\":\"{}\"}}\r\n\n", "p".repeat(pad));
    assert_eq!(line.len(), 4096 + 3);
    assert!(c.wt().write(line.as_bytes()).await);
    assert_eq!(c.recv().await, json!({"cmd": "pong", "val": "pong", "listener": "full"}));
    let second = c.wt().conn.open_bi().await.unwrap().await;
    if let Ok((mut send, mut recv)) = second {
        let _ = send.write_all(b"{\"cmd\":\"ping\"}\n").await;
        let mut buf = [0u8; 16];
        let read = tokio::time::timeout(TIMEOUT, recv.read(&mut buf)).await.expect("the stream is refused");
        assert!(!matches!(read, Ok(Some(_))), "nothing is answered on a second stream: {read:?}");
    }
    assert_eq!(c.request(json!({"cmd": "ping"})).await["cmd"], "pong");
}

async fn the_certificate_hashes_are_served_for_browsers(b: Backend) {
    let s = TestServer::start_with(b, wt_on()).await;
    let port: u16 = s.wt_addr.as_deref().unwrap().rsplit(':').next().unwrap().parse().unwrap();
    let (status, head, body) =
        http_with(&s.addr, "GET /webtransport HTTP/1.1", &[("Origin", "https://app.example")]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(header(&head, "content-type"), Some("application/json"));
    assert_eq!(header(&head, "access-control-allow-origin"), Some("*"), "browsers fetch it cross-origin");
    let info: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(info["port"], port);
    assert_eq!(info["url"], format!("https://127.0.0.1:{port}/"));
    let hashes = info["certificate_hashes"].as_array().unwrap();
    assert_eq!(hashes.len(), 2, "the current certificate and the next one: {info}");
    for h in hashes {
        assert_eq!(h["algorithm"], "sha-256");
        hash_of(h["value"].as_str().unwrap());
    }
    assert!(s.log().contains(&originchats_tests::wt::hex(&hash_of(hashes[0]["value"].as_str().unwrap()))), "logged");
    // The first hash is the certificate presented now; a wrong one is refused by the client.
    let current = Trust::Hashes(vec![hash_of(hashes[0]["value"].as_str().unwrap())]);
    let mut c = Client::connect_wt(&info["url"].as_str().unwrap().replace("127.0.0.1", "localhost"), current).await;
    c.auth("good:USR:alice:alice").await;
    let wrong = Trust::Hashes(vec![hash_of(hashes[1]["value"].as_str().unwrap())]);
    assert!(WtStream::try_connect(&s.wt_url(), wrong).await.is_err(), "only the presented certificate matches");
    // Without WebTransport there is nothing to describe.
    let plain = TestServer::start_over(Backend::Sqlite, Transport::WebSocket, json!({})).await;
    assert_eq!(http_with(&plain.addr, "GET /webtransport HTTP/1.1", &[]).await.0, 404);
}

backend_tests!(
    clients_of_both_transports_share_a_channel,
    a_session_that_never_logs_in_is_closed,
    an_oversized_packet_is_refused_alike,
    the_certificate_hashes_are_served_for_browsers,
);

/// Writes `cert`'s files the way a renewal does: new files renamed over the old ones.
fn install(cert: &SelfSigned, dir: &std::path::Path) {
    for (name, pem) in [("key.pem", &cert.key_pem), ("cert.pem", &cert.cert_pem)] {
        std::fs::write(dir.join(format!("{name}.new")), pem).unwrap();
        std::fs::rename(dir.join(format!("{name}.new")), dir.join(name)).unwrap();
    }
}

/// Waits (polling the log, with a deadline) until the server logged `count` reloads.
async fn reloads(s: &TestServer, count: usize) {
    let started = Instant::now();
    while s.log().matches("TLS certificate reloaded").count() < count {
        assert!(started.elapsed() < TIMEOUT, "no reload logged:\n{}", s.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `trust` without TLS session resumption: a resumed session skips the certificate.
fn fresh(trust: &Arc<rustls::ClientConfig>) -> Arc<rustls::ClientConfig> {
    let mut config = (**trust).clone();
    config.resumption = rustls::client::Resumption::disabled();
    Arc::new(config)
}

async fn wss_works(s: &TestServer, trust: &Arc<rustls::ClientConfig>) -> bool {
    let connector = tokio_tungstenite::Connector::Rustls(fresh(trust));
    let connecting = tokio_tungstenite::connect_async_tls_with_config(s.ws_url(), None, false, Some(connector));
    matches!(tokio::time::timeout(TIMEOUT, connecting).await, Ok(Ok(_)))
}

async fn wt_works(s: &TestServer, trust: &Arc<rustls::ClientConfig>) -> bool {
    WtStream::try_connect(&s.wt_url(), Trust::Roots(fresh(trust))).await.is_ok()
}

/// Both transports present the new certificate once its files change, and again after
/// SIGHUP; connections opened before stay open and keep talking.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_files_are_reloaded_without_dropping_connections() {
    let files = tempfile::tempdir().unwrap();
    let (first, second, third) = (SelfSigned::new(), SelfSigned::new(), SelfSigned::new());
    install(&first, files.path());
    let path = |name: &str| files.path().join(name).to_string_lossy().into_owned();
    let config = json!({"transport": {
        "tls": {"enabled": true, "cert_path": path("cert.pem"), "key_path": path("key.pem")},
        "webtransport": {"enabled": true}
    }});
    let mut s = TestServer::start_with(Backend::Sqlite, config).await;
    assert_eq!(s.scheme, "wss");
    s.tls_trust = Some(first.trust.clone());
    let mut ws = s.login_over(Transport::WebSocket, "alice").await;
    let mut wt = s.login_over(Transport::WebTransport, "bob").await;
    ws.sync().await;
    let info = s.webtransport_info().await;
    assert_eq!(info["certificate_hashes"], json!([]), "a CA-signed certificate needs no hashes");

    install(&second, files.path());
    reloads(&s, 1).await;
    assert!(wss_works(&s, &second.trust).await && wt_works(&s, &second.trust).await, "the new certificate");
    assert!(!wss_works(&s, &first.trust).await && !wt_works(&s, &first.trust).await, "not the old one");

    // SIGHUP reloads at once, even without a change of modification time.
    install(&third, files.path());
    let status = std::process::Command::new("kill").arg("-HUP").arg(s.pid().to_string()).status().unwrap();
    assert!(status.success());
    reloads(&s, 2).await;
    assert!(wss_works(&s, &third.trust).await && wt_works(&s, &third.trust).await, "after SIGHUP");

    // The connections opened with the first certificate never noticed.
    wt.send(json!({"cmd": "message_new", "channel": "general", "content": "still here"})).await;
    assert_eq!(wt.expect_cmd("message_new").await["message"]["content"], "still here");
    assert_eq!(ws.expect_cmd("message_new").await["message"]["content"], "still here");
    assert_eq!(ws.request(json!({"cmd": "ping"})).await["cmd"], "pong");
    assert!(s.is_running());
}
