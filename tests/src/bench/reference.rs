//! The reference server: the least a server speaking this protocol must do, measured in the
//! same run as the real one so that every figure can be given as a ratio to it.
//!
//! It runs in the bench process on a thread of its own with its own multi-threaded tokio
//! runtime (two workers, like the real server on this machine's two cores), so the clients'
//! tasks never share its executor. It keeps small WebSocket buffers, and:
//!
//! - sends `{"cmd":"handshake","val":{…}}` on connect;
//! - answers any `auth` with `auth_success` and `ready` (the username is the validator's last
//!   `:`-separated part), with no presence packets, or (`--reference-presence`) with the
//!   presence the protocol asks of a first login: `user_join` and `user_connect`, shaped like
//!   the real server's, serialized once each and queued to every logged-in connection;
//! - `message_new`: builds the message object, serializes the broadcast once and queues the
//!   same bytes to every logged-in connection, the sender included (no storage, no checks);
//! - `messages_get`: 50 canned messages shaped like the real server's, serialized per request;
//! - `ping` → `pong`; `typing` and `message_react_add` are broadcast like `message_new`;
//! - one unbounded queue per connection, drained by a writer task that flushes once per batch.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

/// A running reference server; stopped when dropped.
pub struct ReferenceServer {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// From spawning its thread to its listener being bound.
    pub startup: Duration,
}

/// Every logged-in connection's queue.
struct Hub {
    next_id: AtomicU64,
    clients: Mutex<HashMap<u64, mpsc::UnboundedSender<Utf8Bytes>>>,
    /// The 50 messages `messages_get` returns.
    canned: Vec<Value>,
    /// Whether a login is announced to everyone (`user_join`, `user_connect`).
    presence: bool,
}

impl Hub {
    fn broadcast(&self, packet: &Value) {
        let bytes = Utf8Bytes::from(packet.to_string());
        for tx in self.clients.lock().unwrap().values() {
            let _ = tx.send(bytes.clone());
        }
    }
}

impl ReferenceServer {
    /// Starts it on `127.0.0.1` on a free port with `workers` runtime threads; canned
    /// messages carry `content_bytes` of text; with `presence`, logins are announced.
    pub fn start(workers: usize, content_bytes: usize, presence: bool) -> anyhow::Result<Self> {
        let started = Instant::now();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new().name("reference".into()).spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .thread_name("reference-worker")
                .enable_all()
                .build()
                .expect("reference runtime");
            runtime.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
                let _ = ready_tx.send(listener.local_addr().expect("address"));
                let hub = Arc::new(Hub {
                    next_id: AtomicU64::new(0),
                    clients: Mutex::default(),
                    canned: (0..50).map(|i| canned_message(i, content_bytes)).collect(),
                    presence,
                });
                tokio::select! {
                    _ = accept(listener, hub) => {}
                    _ = stopped => {}
                }
            });
            runtime.shutdown_timeout(Duration::from_secs(1));
        })?;
        let addr = ready_rx.recv_timeout(Duration::from_secs(10)).context("the reference server did not start")?;
        Ok(Self { addr, stop: Some(stop), thread: Some(thread), startup: started.elapsed() })
    }

    /// `ws://host:port`.
    pub fn url(&self) -> String {
        format!("ws://{}", self.addr)
    }
}

impl Drop for ReferenceServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn canned_message(i: usize, content_bytes: usize) -> Value {
    json!({
        "user": "seed", "content": "x".repeat(content_bytes), "timestamp": 1.7e9 + i as f64,
        "type": "message", "pinned": false, "id": uuid::Uuid::new_v4().to_string()
    })
}

async fn accept(listener: TcpListener, hub: Arc<Hub>) {
    loop {
        if let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, hub.clone()));
        }
    }
}

fn with_listener(mut packet: Value, listener: Option<&str>) -> Utf8Bytes {
    if let Some(l) = listener {
        packet["listener"] = l.into();
    }
    packet.to_string().into()
}

async fn serve(stream: TcpStream, hub: Arc<Hub>) {
    let _ = stream.set_nodelay(true);
    // The WebSocket library's buffers sized for small packets (the real server reads into
    // 1 KiB and gathers its writes outside the library, adapters/websocket/src/coalesce.rs).
    let config = WebSocketConfig::default().read_buffer_size(4 * 1024).write_buffer_size(16 * 1024);
    let Ok(ws) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await else { return };
    let (mut sink, mut source) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Utf8Bytes>();
    let writer = tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut next = Some(first);
            while let Some(text) = next {
                if sink.feed(Message::Text(text)).await.is_err() {
                    return;
                }
                next = rx.try_recv().ok();
            }
            if sink.flush().await.is_err() {
                return;
            }
        }
    });
    let handshake = json!({"cmd": "handshake", "val": {
        "server": {"name": "Reference", "owner": {"name": "bench"}},
        "limits": {"post_content": 100_000}, "version": "1.1.0",
        "validator_key": format!("originChats-{}", uuid::Uuid::new_v4().simple()),
        "capabilities": ["auth", "message_new", "message_react_add", "messages_get", "ping", "typing"]
    }});
    let _ = tx.send(handshake.to_string().into());
    let id = hub.next_id.fetch_add(1, Ordering::Relaxed);
    let mut user: Option<String> = None;
    while let Some(Ok(message)) = source.next().await {
        let text = match message {
            Message::Text(t) => t,
            Message::Close(_) => break,
            _ => continue,
        };
        let Ok(request) = serde_json::from_str::<Value>(text.as_str()) else { continue };
        let field = |k: &str| request.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        let listener = request.get("listener").and_then(Value::as_str);
        let reply = |packet: Value| {
            let _ = tx.send(with_listener(packet, listener));
        };
        match (request.get("cmd").and_then(Value::as_str), &user) {
            (Some("auth"), None) => {
                let name = field("validator").rsplit(':').next().unwrap_or_default().to_owned();
                reply(json!({"cmd": "auth_success", "val": "Authentication successful"}));
                reply(json!({"cmd": "ready", "user": {"roles": ["user"], "username": name}, "validator": "reference"}));
                hub.clients.lock().unwrap().insert(id, tx.clone());
                if hub.presence {
                    let view = json!({"username": name, "roles": ["user"], "color": "#FFFFFF"});
                    hub.broadcast(&json!({"cmd": "user_join", "user": view}));
                    hub.broadcast(&json!({"cmd": "user_connect", "user": view}));
                }
                user = Some(name);
            }
            (_, None) => reply(json!({"cmd": "auth_error", "val": "Authentication required"})),
            (Some("ping"), _) => reply(json!({"cmd": "pong", "val": "pong"})),
            (Some("message_new"), Some(name)) => {
                let message = json!({
                    "user": name, "content": field("content").trim(), "timestamp": unix_now(),
                    "type": "message", "pinned": false, "id": uuid::Uuid::new_v4().to_string()
                });
                hub.broadcast(
                    &json!({"cmd": "message_new", "message": message, "channel": field("channel"), "global": true}),
                );
            }
            (Some("messages_get"), Some(_)) => reply(json!({
                "cmd": "messages_get", "channel": field("channel"), "messages": hub.canned.clone(),
                "range": {"start": 0, "end": 50}
            })),
            (Some("typing"), Some(name)) => {
                hub.broadcast(&json!({"cmd": "typing", "user": name, "channel": field("channel"), "global": true}));
            }
            (Some("message_react_add"), Some(name)) => hub.broadcast(&json!({
                "cmd": "message_react_add", "id": field("id"), "emoji": field("emoji"),
                "channel": field("channel"), "from": name, "global": true
            })),
            (cmd, Some(_)) => reply(json!({"cmd": "error", "src": cmd, "val": "Unknown command"})),
        }
    }
    hub.clients.lock().unwrap().remove(&id);
    writer.abort();
}

fn unix_now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or_default()
}
