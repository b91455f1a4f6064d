//! Plain HTTP/1.1 requests to the server's port, for tests of its HTTP routes.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends `request_line` (e.g. `GET / HTTP/1.1`) with `headers` on a new connection and
/// returns the status, the response head (lowercased) and the body's bytes.
pub async fn http_bytes(addr: &str, request_line: &str, headers: &[(&str, &str)]) -> (u16, String, Vec<u8>) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    let req = format!("{request_line}\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = vec![];
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw)).await.unwrap().unwrap();
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a response head");
    let head = String::from_utf8_lossy(&raw[..end]).to_lowercase();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, head, raw[end + 4..].to_vec())
}

/// [`http_bytes`] with the body as text.
pub async fn http_with(addr: &str, request_line: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
    let (status, head, body) = http_bytes(addr, request_line, headers).await;
    (status, head, String::from_utf8(body).expect("a text body"))
}

/// [`http_with`] without extra headers.
pub async fn http(addr: &str, request_line: &str) -> (u16, String, String) {
    http_with(addr, request_line, &[]).await
}

/// The value of header `name` (lowercase) in a lowercased response head.
pub fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(':').map(str::trim))
}

/// One HTTP/1.1 request over TLS trusting what `trust` trusts; returns the status, the
/// lowercased head and the body.
pub async fn https(
    addr: &str,
    trust: std::sync::Arc<rustls::ClientConfig>,
    request_line: &str,
) -> (u16, String, String) {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let timeout = crate::client::TIMEOUT;
    let mut tls = tokio::time::timeout(timeout, tokio_rustls::TlsConnector::from(trust).connect(name, tcp))
        .await
        .unwrap()
        .unwrap();
    let request = format!("{request_line}\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    // The server may end the TLS stream without close_notify after `Connection: close`.
    let _ = tokio::time::timeout(timeout, tls.read_to_end(&mut raw)).await.unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").expect("a complete HTTP response");
    (head.split_whitespace().nth(1).unwrap().parse().unwrap(), head.to_lowercase(), body.to_owned())
}

/// The samples of a Prometheus text exposition: each series (name and labels) with its value;
/// comments and lines without a number are skipped.
pub fn samples(exposition: &str) -> impl Iterator<Item = (&str, f64)> {
    exposition
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' ').and_then(|(series, value)| Some((series, value.parse().ok()?))))
}
