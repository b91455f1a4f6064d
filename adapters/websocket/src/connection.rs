//! One WebSocket connection: a reader loop that handles requests one at a time, and a
//! writer task that drains the bounded outbound queue.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use application::ports::{Frame, Outbox};
use application::{App, Packet};
use futures_util::{SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, interval_at, sleep};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Utf8Bytes;

use super::limits::TransportLimits;
use codec::handle_frame;

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

type Ws = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;
type CloseRequest = Option<(u16, String)>;

/// The outbound side handed to the hub.
struct WsOutbox {
    queue: mpsc::Sender<Frame>,
    close: watch::Sender<CloseRequest>,
}

impl Outbox for WsOutbox {
    fn push(&self, frame: Frame) -> bool {
        self.queue.try_send(frame).is_ok()
    }

    fn close(&self, code: u16, reason: &str) {
        self.close.send_if_modified(|slot| {
            if slot.is_some() {
                return false;
            }
            *slot = Some((code, reason.to_owned()));
            true
        });
    }
}

fn close_message(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame { code: code.into(), reason: reason.into() }))
}

/// Runs a connection to its end; cleanup happens exactly once, here.
pub async fn run_connection(ws: Ws, app: Arc<App>, limits: Arc<TransportLimits>, ip: IpAddr) {
    let conn = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
    let (mut sink, mut stream) = ws.split();
    let (queue, mut rx) = mpsc::channel::<Frame>(limits.outbound_queue.max(1));
    let (close, mut close_rx) = watch::channel::<CloseRequest>(None);
    let outbox = Arc::new(WsOutbox { queue, close });
    tracing::debug!(conn, %ip, "websocket open");

    let ping_every = limits.ws_ping_interval;
    let mut writer_close = close_rx.clone();
    let mut writer = tokio::spawn(async move {
        let mut ping = interval_at(Instant::now() + ping_every, ping_every);
        loop {
            tokio::select! {
                biased;
                _ = writer_close.changed() => {
                    let request = writer_close.borrow().clone();
                    if let Some((code, reason)) = request {
                        // Flush what was queued before the close (e.g. a ban notice), within a bound.
                        let flush = async {
                            while let Ok(frame) = rx.try_recv() {
                                let Ok(text) = Utf8Bytes::try_from(frame.bytes().clone()) else { continue };
                                sink.send(Message::Text(text)).await?;
                            }
                            sink.send(close_message(code, &reason)).await
                        };
                        let _ = tokio::time::timeout(Duration::from_secs(1), flush).await;
                    }
                    break;
                }
                frame = rx.recv() => {
                    let Some(frame) = frame else { break };
                    let Ok(text) = Utf8Bytes::try_from(frame.bytes().clone()) else { continue };
                    if sink.send(Message::Text(text)).await.is_err() {
                        break;
                    }
                }
                _ = ping.tick() => {
                    if sink.send(Message::Ping(Default::default())).await.is_err() {
                        break;
                    }
                }
            }
        }
    });

    let mut session = app.sessions.open(conn, outbox.clone());
    let mut heartbeat = interval_at(Instant::now() + limits.heartbeat_interval, limits.heartbeat_interval);
    let auth_deadline = sleep(limits.auth_deadline);
    tokio::pin!(auth_deadline);
    let mut liveness = interval_at(Instant::now() + limits.ws_ping_interval, limits.ws_ping_interval);
    let mut last_heard = Instant::now();
    loop {
        tokio::select! {
            _ = close_rx.changed() => break,
            _ = heartbeat.tick() => app.hub.send(conn, &Packet::Ping, None),
            _ = &mut auth_deadline, if session.user.is_none() => outbox.close(1008, "authentication timeout"),
            _ = liveness.tick() => {
                if last_heard.elapsed() > limits.ws_ping_timeout {
                    outbox.close(1001, "ping timeout");
                }
            }
            incoming = stream.next() => {
                last_heard = Instant::now();
                match incoming {
                    Some(Ok(Message::Text(text))) => handle_frame(&app, &mut session, text.as_str(), limits.max_json_depth).await,
                    Some(Ok(Message::Binary(bytes))) => {
                        let text = std::str::from_utf8(&bytes).unwrap_or("\u{0}");
                        handle_frame(&app, &mut session, text, limits.max_json_depth).await;
                    }
                    Some(Ok(Message::Close(_))) | None => break,
                    Some(Err(e)) => {
                        tracing::debug!(conn, error = %e, "websocket read error");
                        if matches!(e, tokio_tungstenite::tungstenite::Error::Capacity(_)) {
                            outbox.close(1009, "message too big");
                        }
                        break;
                    }
                    Some(Ok(_)) => {}
                }
            }
        }
    }
    app.sessions.close(&session).await;
    outbox.close(1000, "");
    if tokio::time::timeout(Duration::from_secs(2), &mut writer).await.is_err() {
        writer.abort();
    }
    tracing::debug!(conn, "websocket closed");
}
