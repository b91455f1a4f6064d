//! Plain HTTP/1.1 requests to the server's port, for tests of its HTTP routes.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends `request_line` (e.g. `GET / HTTP/1.1`) with `headers` and returns the status, the
/// response head (lowercased) and the body.
pub async fn http_with(addr: &str, request_line: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    let req = format!("{request_line}\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = String::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut raw)).await.unwrap().unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, head.to_lowercase(), body.to_owned())
}

/// [`http_with`] without extra headers.
pub async fn http(addr: &str, request_line: &str) -> (u16, String, String) {
    http_with(addr, request_line, &[]).await
}
