//! A client for tests, over WebSocket or WebTransport ([`crate::wt`]): every wait has a
//! timeout; nothing sleeps. The WebTransport session's close code and reason are read as
//! a WebSocket close frame's (docs/transports.md#close-codes).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::spread::Spread;
use crate::wt::{Event as WtEvent, Trust, WtStream};

/// How long any single wait may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The connection under a client.
enum Conn {
    Ws(Box<WebSocketStream<MaybeTlsStream<TcpStream>>>),
    Wt(Box<WtStream>),
}

/// What arrived, whatever the transport.
enum Event {
    Text(String),
    Close(Option<(u16, String)>),
    /// Something else (a ping, a binary message): skipped.
    Other,
}

/// Where a test reads packets in order: a [`Client`], or a resumable session that checks
/// each packet's `seq` ([`crate::resume::Resumable`]).
#[allow(async_fn_in_trait)]
pub trait Packets {
    /// The next packet, heartbeats skipped.
    async fn next_packet(&mut self) -> Value;
    /// Sends a packet.
    async fn send_packet(&mut self, v: Value);
}

impl Packets for Client {
    async fn next_packet(&mut self) -> Value {
        self.recv().await
    }
    async fn send_packet(&mut self, v: Value) {
        self.send(v).await;
    }
}

/// A round trip proving every packet sent to `p` before now was read: sends a `ping` with
/// the listener `tag` and returns everything that came before its `pong`.
pub async fn before_pong<P: Packets>(p: &mut P, tag: &str) -> Vec<Value> {
    p.send_packet(json!({"cmd": "ping", "listener": tag})).await;
    let mut before = vec![];
    loop {
        let v = p.next_packet().await;
        if v["cmd"] == "pong" && v["listener"] == tag {
            return before;
        }
        before.push(v);
    }
}

/// Everything `p` reads up to and including the `message_new` whose content is `marker`.
pub async fn through_marker<P: Packets>(p: &mut P, marker: &str) -> Vec<Value> {
    let mut seen = vec![];
    loop {
        let v = p.next_packet().await;
        let done = v["cmd"] == "message_new" && v["message"]["content"] == marker;
        seen.push(v);
        if done {
            return seen;
        }
    }
}

/// A test client.
pub struct Client {
    conn: Conn,
    /// The handshake packet.
    pub handshake: Value,
    /// The `ready` packet once logged in.
    pub ready: Option<Value>,
    /// The cluster this client's server is spread over: it settles before each send.
    spread: Option<std::sync::Arc<Spread>>,
    /// How long a read waits for the next thing to arrive ([`TIMEOUT`] unless set).
    patience: Duration,
}

impl Client {
    /// Connects and reads the handshake.
    pub async fn connect(url: &str) -> Self {
        let (ws, _) = tokio::time::timeout(TIMEOUT, tokio_tungstenite::connect_async(url))
            .await
            .expect("connect timed out")
            .expect("connect failed");
        Self::after_connect(ws).await
    }

    /// Connects over `wss://` trusting what `tls` trusts, and reads the handshake.
    pub async fn connect_tls(url: &str, tls: std::sync::Arc<rustls::ClientConfig>) -> Self {
        let connector = tokio_tungstenite::Connector::Rustls(tls);
        let connecting = tokio_tungstenite::connect_async_tls_with_config(url, None, false, Some(connector));
        let (ws, _) =
            tokio::time::timeout(TIMEOUT, connecting).await.expect("connect timed out").expect("connect failed");
        Self::after_connect(ws).await
    }

    /// Opens a WebTransport session to `url` (`https://host:port/`) and reads the handshake.
    pub async fn connect_wt(url: &str, trust: Trust) -> Self {
        let stream = WtStream::connect(url, trust).await;
        let mut c = Self::over(Conn::Wt(Box::new(stream)));
        c.handshake = c.recv().await;
        assert_eq!(c.handshake["cmd"], "handshake", "first packet must be the handshake");
        c
    }

    /// Whether this client talks WebTransport.
    pub fn is_webtransport(&self) -> bool {
        matches!(self.conn, Conn::Wt(_))
    }

    fn ws(&mut self) -> &mut WebSocketStream<MaybeTlsStream<TcpStream>> {
        match &mut self.conn {
            Conn::Ws(ws) => ws,
            Conn::Wt(_) => panic!("this test step is for WebSocket clients only"),
        }
    }

    /// The WebTransport stream (bytes as they are, the session).
    pub fn wt(&mut self) -> &mut WtStream {
        match &mut self.conn {
            Conn::Wt(wt) => wt,
            Conn::Ws(_) => panic!("this test step is for WebTransport clients only"),
        }
    }

    /// Makes this client wait for `cluster` to settle before each packet it sends
    /// ([`crate::spread`]).
    pub fn spread_over(&mut self, cluster: std::sync::Arc<Spread>) {
        self.spread = Some(cluster);
    }

    /// Sends one text packet; false when the connection is gone.
    async fn send_raw(&mut self, text: &str) -> bool {
        if let Some(cluster) = &self.spread {
            cluster.settle().await;
        }
        match &mut self.conn {
            Conn::Ws(ws) => ws.send(Message::Text(text.to_owned().into())).await.is_ok(),
            Conn::Wt(wt) => wt.send_line(text).await,
        }
    }

    /// The next thing that arrived, within the client's patience (`None`: the wait timed out).
    async fn event(&mut self) -> Option<Event> {
        match &mut self.conn {
            Conn::Ws(ws) => {
                let msg = tokio::time::timeout(self.patience, ws.next()).await.ok()?;
                Some(match msg {
                    Some(Ok(Message::Text(t))) => Event::Text(t.as_str().to_owned()),
                    Some(Ok(Message::Close(frame))) => {
                        Event::Close(frame.map(|f| (f.code.into(), f.reason.to_string())))
                    }
                    None | Some(Err(_)) => Event::Close(None),
                    Some(Ok(_)) => Event::Other,
                })
            }
            Conn::Wt(wt) => Some(match tokio::time::timeout(self.patience, wt.next()).await.ok()? {
                WtEvent::Text(t) => Event::Text(t),
                WtEvent::Close(code, reason) => Event::Close(Some((code, reason))),
                WtEvent::End => Event::Close(None),
            }),
        }
    }

    /// A client over `conn`, before its handshake is read.
    fn over(conn: Conn) -> Self {
        Self { conn, handshake: Value::Null, ready: None, spread: None, patience: TIMEOUT }
    }

    async fn after_connect(ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Self {
        let mut c = Self::over(Conn::Ws(Box::new(ws)));
        c.handshake = c.recv().await;
        assert_eq!(c.handshake["cmd"], "handshake", "first packet must be the handshake");
        c
    }

    /// Sets how long each read waits for the next packet (for an event bounded by more than
    /// [`TIMEOUT`], such as a dead node's lease running out).
    pub fn set_patience(&mut self, patience: Duration) {
        self.patience = patience;
    }

    /// Sends a JSON packet.
    pub async fn send(&mut self, v: Value) {
        assert!(self.send_raw(&v.to_string()).await, "send");
    }

    /// Sends a JSON packet; false when the connection is gone.
    pub async fn try_send(&mut self, v: &Value) -> bool {
        self.send_raw(&v.to_string()).await
    }

    /// Sends any WebSocket message as it is; false when the connection is gone.
    pub async fn try_message(&mut self, message: Message) -> bool {
        self.ws().send(message).await.is_ok()
    }

    /// Sends any WebSocket message as it is (a hand-made frame, say).
    pub async fn send_message(&mut self, message: Message) {
        self.ws().send(message).await.expect("send");
    }

    /// The next packet (heartbeats included), or the close frame (code and reason) when
    /// the connection ended instead (`Err(None)`: it ended without one).
    pub async fn next_or_close(&mut self) -> Result<Value, Option<(u16, String)>> {
        loop {
            match self.event().await.expect("timed out waiting for a packet") {
                Event::Text(t) => return Ok(serde_json::from_str(&t).expect("server sent invalid JSON")),
                Event::Close(close) => return Err(close),
                Event::Other => continue,
            }
        }
    }

    /// Sends a raw text frame.
    pub async fn send_text(&mut self, text: &str) {
        assert!(self.send_raw(text).await, "send");
    }

    /// The next packet, skipping the application heartbeat; panics on timeout or close.
    pub async fn recv(&mut self) -> Value {
        loop {
            let v = self.recv_any().await.expect("connection closed while waiting for a packet");
            if v != json!({"cmd": "ping"}) {
                return v;
            }
        }
    }

    /// The next packet (heartbeats included), or `None` when the connection ended.
    pub async fn recv_any(&mut self) -> Option<Value> {
        self.next_or_close().await.ok()
    }

    /// Waits for the connection to end; returns the close code if a close frame came.
    pub async fn closed(&mut self) -> Option<u16> {
        self.close_frame().await.map(|(code, _)| code)
    }

    /// Waits for the connection to end; returns the close code and reason if a close frame came.
    pub async fn close_frame(&mut self) -> Option<(u16, String)> {
        loop {
            match self.event().await.expect("connection did not close") {
                Event::Close(close) => return close,
                Event::Text(_) | Event::Other => continue,
            }
        }
    }

    /// Connects with extra request headers (e.g. `Origin`); `Err` carries the HTTP status
    /// when the server refused the upgrade.
    pub async fn connect_with(url: &str, headers: &[(&str, &str)]) -> Result<Self, u16> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = url.into_client_request().expect("request");
        for (k, v) in headers {
            request.headers_mut().insert(
                tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        match tokio::time::timeout(TIMEOUT, tokio_tungstenite::connect_async(request)).await.expect("connect timed out")
        {
            Ok((ws, _)) => {
                let mut c = Self::over(Conn::Ws(Box::new(ws)));
                c.handshake = c.recv().await;
                Ok(c)
            }
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
            Err(e) => panic!("connect failed: {e}"),
        }
    }

    /// Sends a binary frame.
    pub async fn send_binary(&mut self, bytes: &[u8]) {
        self.ws().send(Message::Binary(bytes.to_vec().into())).await.expect("send");
    }

    /// Skips packets until one with this `cmd` arrives.
    pub async fn expect_cmd(&mut self, cmd: &str) -> Value {
        loop {
            let v = self.recv().await;
            if v["cmd"] == cmd {
                return v;
            }
        }
    }

    /// Sends `request` and returns the next packet.
    pub async fn request(&mut self, request: Value) -> Value {
        self.send(request).await;
        self.recv().await
    }

    /// Authenticates with a validator and reads `auth_success` and `ready`.
    pub async fn auth(&mut self, validator: &str) -> Value {
        let first = self.request(json!({"cmd": "auth", "validator": validator})).await;
        assert_eq!(first, json!({"cmd": "auth_success", "val": "Authentication successful"}), "auth failed");
        let ready = self.recv().await;
        assert_eq!(ready["cmd"], "ready");
        self.ready = Some(ready.clone());
        ready
    }

    /// A round trip proving every packet sent to this client before now was read:
    /// sends a `ping` with a unique listener and returns everything that came before the `pong`.
    pub async fn sync(&mut self) -> Vec<Value> {
        let tag =
            format!("sync-{}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
        before_pong(self, &tag).await
    }

    /// The WebSocket itself, for tests that read and write at the same time (split it).
    pub fn into_stream(self) -> WebSocketStream<MaybeTlsStream<TcpStream>> {
        match self.conn {
            Conn::Ws(ws) => *ws,
            Conn::Wt(_) => panic!("into_stream is for WebSocket clients only"),
        }
    }

    /// Closes the connection.
    pub async fn close(mut self) {
        match &mut self.conn {
            Conn::Ws(ws) => {
                let _ = (**ws).close(None).await;
            }
            Conn::Wt(wt) => wt.close(),
        }
    }
}
