//! In-process TLS: with `transport.tls.enabled` the WebSocket port speaks wss:// and
//! https:// with the configured PEM certificate, and unusable files stop start-up.

use std::sync::Arc;

use originchats_tests::certs::SelfSigned;
use originchats_tests::http::https;
use originchats_tests::server::run_to_end;
use originchats_tests::{Backend, TestServer};
use serde_json::json;

/// A self-signed certificate written as PEM files, and a client configuration that trusts
/// exactly it.
struct Files {
    dir: tempfile::TempDir,
    trust: Arc<rustls::ClientConfig>,
}

impl Files {
    fn new() -> Self {
        let cert = SelfSigned::new();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cert.pem"), &cert.cert_pem).unwrap();
        std::fs::write(dir.path().join("key.pem"), &cert.key_pem).unwrap();
        Self { dir, trust: cert.trust }
    }

    fn config(&self) -> serde_json::Value {
        let path = |name: &str| self.dir.path().join(name).to_string_lossy().into_owned();
        json!({"transport": {"tls": {"enabled": true, "cert_path": path("cert.pem"), "key_path": path("key.pem")}}})
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_serves_websocket_and_http_with_the_configured_certificate() {
    let cert = Files::new();
    let mut s = TestServer::start_with(Backend::Sqlite, cert.config()).await;
    assert_eq!(s.scheme, "wss", "the start-up line announces wss://");
    s.tls_trust = Some(cert.trust.clone());

    let mut alice = s.login("alice").await;
    assert_eq!(alice.handshake["val"]["server"]["name"], "Test Server");
    let sent = alice.request(json!({"cmd": "message_new", "channel": "general", "content": "over tls"})).await;
    assert_eq!(sent["message"]["content"], "over tls");

    let (status, head, body) = https(&s.addr, cert.trust.clone(), "GET / HTTP/1.1").await;
    assert_eq!(status, 200);
    assert!(body.contains("OriginChats server"), "{body}");
    assert!(head.contains("access-control-allow-origin: *"), "{head}");
    let (status, _, body) = https(&s.addr, cert.trust.clone(), "GET /emojis/1.png HTTP/1.1").await;
    assert_eq!((status, body.as_str()), (404, "Emoji not found"));

    let plain = format!("ws://{}", s.addr);
    let attempt = tokio::time::timeout(originchats_tests::client::TIMEOUT, tokio_tungstenite::connect_async(plain));
    assert!(attempt.await.unwrap().is_err(), "plain ws:// is not served on a TLS port");
    assert_eq!(alice.request(json!({"cmd": "ping"})).await["cmd"], "pong", "TLS clients are unaffected");

    // A client that does not trust the certificate is refused by its own TLS check.
    let other = Files::new();
    let connector = tokio_tungstenite::Connector::Rustls(other.trust.clone());
    let attempt = tokio_tungstenite::connect_async_tls_with_config(s.ws_url(), None, false, Some(connector)).await;
    assert!(attempt.is_err(), "the certificate is the configured one");
}

#[test]
fn unusable_tls_files_stop_start_up_naming_the_key() {
    let cert = Files::new();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("junk.pem"), "not a certificate\n").unwrap();
    let cases = [
        ("missing.pem", cert.dir.path().join("key.pem"), "transport.tls.cert_path"),
        ("junk.pem", cert.dir.path().join("key.pem"), "transport.tls.cert_path"),
        ("cert", dir.path().join("junk.pem"), "transport.tls.key_path"),
    ];
    for (cert_file, key_file, key) in cases {
        let cert_path = if cert_file == "cert" { cert.dir.path().join("cert.pem") } else { dir.path().join(cert_file) };
        let config = json!({
            "websocket": {"host": "127.0.0.1", "port": 0},
            "storage": {"url": "sqlite://x.db"},
            "transport": {"tls": {"enabled": true, "cert_path": cert_path, "key_path": key_file}}
        });
        std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
        let (ok, stdout, stderr) = run_to_end(dir.path(), &[]);
        assert!(!ok, "start-up must fail for {key}");
        assert!(stderr.contains(key), "{key} not named in: {stderr}");
        assert!(stdout.is_empty(), "nothing listened");
    }
}
