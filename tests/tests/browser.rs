//! A real browser over WebTransport: headless Chromium loads a page that reads
//! `GET /webtransport`, connects with `serverCertificateHashes`, opens the packet stream,
//! logs in and talks with a WebSocket client (docs/transports.md#browser-snippet). Skipped,
//! with a visible message, when Chromium is not installed (`.ci/run` installs it).

use std::process::{Command, Stdio};
use std::time::Duration;

use originchats_tests::client::TIMEOUT;
use originchats_tests::{Backend, TestServer, Transport};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The page: the documented snippet, plus reporting what it saw to the test.
const PAGE: &str = r#"<!doctype html><meta charset="utf-8"><title>wt</title><script>
const report = (result) => fetch("/result", {method: "POST", body: JSON.stringify(result)});
(async () => {
  const seen = [];
  try {
    const info = await (await fetch("http://__SERVER__/webtransport")).json();
    const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const transport = new WebTransport(info.url, {serverCertificateHashes:
      info.certificate_hashes.map((h) => ({algorithm: h.algorithm, value: bytes(h.value)}))});
    await transport.ready;
    const stream = await transport.createBidirectionalStream();
    const writer = stream.writable.getWriter();
    const encoder = new TextEncoder();
    const send = (packet) => writer.write(encoder.encode(JSON.stringify(packet) + "\n"));
    const reader = stream.readable.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = "";
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      buffered += value;
      let end;
      while ((end = buffered.indexOf("\n")) >= 0) {
        const packet = JSON.parse(buffered.slice(0, end));
        buffered = buffered.slice(end + 1);
        if (packet.cmd === "ping") continue;
        seen.push(packet);
        if (packet.cmd === "handshake") send({cmd: "auth", validator: "good:USR:browser:browser"});
        if (packet.cmd === "ready") send({cmd: "message_new", channel: "general", content: "hello from chromium", listener: "b"});
        if (packet.cmd === "message_new" && packet.message.content === "hello from rust") {
          await report({ok: true, seen});
          transport.close();
          return;
        }
      }
    }
    await report({ok: false, error: "stream ended", seen});
  } catch (e) {
    await report({ok: false, error: String(e), seen});
  }
})();
</script>"#;

/// Serves the page and waits for its report (one HTTP/1.1 request per connection).
async fn serve_page(listener: TcpListener, page: String) -> Value {
    loop {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut raw = Vec::new();
        let mut buf = [0u8; 8192];
        let (head, body) = loop {
            let n = stream.read(&mut buf).await.unwrap();
            if n == 0 {
                break (String::new(), Vec::new());
            }
            raw.extend_from_slice(&buf[..n]);
            if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&raw[..end]).into_owned();
                let length = head
                    .lines()
                    .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                    .and_then(|v| v.parse::<usize>().ok())
                    .unwrap_or(0);
                while raw.len() < end + 4 + length {
                    let n = stream.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    raw.extend_from_slice(&buf[..n]);
                }
                break (head, raw[end + 4..].to_vec());
            }
        };
        let (status, content) = if head.starts_with("GET / ") {
            ("200 OK", page.clone())
        } else if head.starts_with("POST /result ") {
            let answer = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
            let _ = stream.write_all(answer.as_bytes()).await;
            return serde_json::from_slice(&body).expect("the page reports JSON");
        } else {
            ("404 Not Found", String::new())
        };
        let answer = format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{content}",
            content.len()
        );
        let _ = stream.write_all(answer.as_bytes()).await;
    }
}

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"].into_iter().find(|name| {
        Command::new(name)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_talks_to_a_websocket_client_over_webtransport() {
    let Some(browser) = chromium() else {
        eprintln!(
            "SKIPPED (Chromium not installed; apt-get install chromium): chromium_talks_to_a_websocket_client_over_webtransport"
        );
        return;
    };
    let s = TestServer::start_over(Backend::Sqlite, Transport::WebTransport, json!({})).await;
    let mut rust = s.login_over(Transport::WebSocket, "rust").await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let page_url = format!("http://{}/", listener.local_addr().unwrap());
    let report = tokio::spawn(serve_page(listener, PAGE.replace("__SERVER__", &s.addr)));
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(browser)
        .args(["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(&page_url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");

    // The browser logs in and speaks; the WebSocket client hears it and answers.
    let heard = tokio::time::timeout(Duration::from_secs(30), rust.expect_cmd("message_new")).await;
    let answered = match heard {
        Ok(message) => {
            assert_eq!(message["message"]["content"], "hello from chromium");
            assert_eq!(message["message"]["user"], "browser");
            rust.send(json!({"cmd": "message_new", "channel": "general", "content": "hello from rust"})).await;
            tokio::time::timeout(TIMEOUT * 3, report).await.map(Result::unwrap)
        }
        Err(_) => tokio::time::timeout(TIMEOUT, report).await.map(Result::unwrap),
    };
    let _ = child.kill();
    let _ = child.wait();
    let report = answered.expect("the page reported");
    assert_eq!(report["ok"], true, "{report}");
    let seen = report["seen"].as_array().unwrap();
    assert_eq!(seen[0]["cmd"], "handshake", "the server speaks first: {report}");
    let own = seen.iter().find(|p| p["cmd"] == "message_new" && p["listener"] == "b").expect("its own message");
    assert_eq!(own["message"]["content"], "hello from chromium");
    assert!(seen.iter().any(|p| p["cmd"] == "auth_success"), "{report}");
}
