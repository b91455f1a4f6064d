//! A connection's life, the same for every transport (docs/design/connections.md): the
//! handshake, the deadline to authenticate, the application heartbeat, liveness, the
//! byte-bounded outbound queue and its writer, back-pressure, too many failed logins, and
//! closing, gracefully at shutdown. A transport adapter only moves packets: it gives a
//! [`PeerReader`] and a [`PeerWriter`] and the [`FrameHandler`] of its wire format.

mod outbound;
pub mod pipeline;
mod shutdown;

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use std::pin::Pin;

use async_trait::async_trait;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::time::{Instant, interval_at, sleep};

pub use outbound::{Batch, CloseRequest, OutboundQueue};
use pipeline::Pipeline;
pub use shutdown::{Shutdown, ShutdownSignal};

use crate::ports::{Frame, Outbox};
use crate::{App, Packet, Session, telemetry};

/// Close codes the lifecycle uses (WebSocket numbering; other transports map them).
pub mod close {
    /// Normal closure.
    pub const NORMAL: u16 = 1000;
    /// The server is going away, or the peer stopped answering pings.
    pub const GOING_AWAY: u16 = 1001;
    /// A text frame that is not UTF-8.
    pub const INVALID_DATA: u16 = 1007;
    /// A policy was broken (no login in time, too many failed logins, slow consumer, ban).
    pub const POLICY: u16 = 1008;
    /// A frame over the size limit.
    pub const TOO_BIG: u16 = 1009;
}

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// Requests of one authenticated connection handled at once (pipelining); past it, its
/// requests are not read until one finishes.
pub const MAX_IN_FLIGHT: usize = 32;

/// How long a closing connection waits for its requests in flight to finish.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

type InFlight = FuturesUnordered<Pin<Box<dyn Future<Output = ()> + Send>>>;

/// Limits of one connection (docs/design/transport.md#limits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Close connections that have not authenticated in this time.
    pub auth_deadline: Duration,
    /// Application `{"cmd":"ping"}` interval.
    pub heartbeat_interval: Duration,
    /// Transport-level ping interval.
    pub ping_interval: Duration,
    /// Close when no answer to a ping was heard for this long.
    pub ping_timeout: Duration,
    /// Outbound queue length, in packets.
    pub queue_frames: usize,
    /// Outbound queue size, in bytes.
    pub queue_bytes: usize,
    /// Requests are not read while this many bytes wait to be written to this connection.
    pub high_water_bytes: usize,
    /// Failed `auth` attempts after which the socket is closed.
    pub max_failed_auths: u32,
    /// Largest batch the writer hands the transport at once, in bytes.
    pub write_batch_bytes: usize,
    /// How long a close may wait for queued packets to be written.
    pub flush_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            auth_deadline: Duration::from_secs(60),
            heartbeat_interval: Duration::from_secs(30),
            ping_interval: Duration::from_secs(30),
            ping_timeout: Duration::from_secs(90),
            queue_frames: 1024,
            queue_bytes: 8 * 1024 * 1024,
            high_water_bytes: 1024 * 1024,
            max_failed_auths: 5,
            write_batch_bytes: 256 * 1024,
            flush_timeout: Duration::from_secs(1),
        }
    }
}

/// What a transport read from its peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// A text packet (binary packets are passed as their UTF-8 text, or as text that is
    /// not JSON when they are not UTF-8).
    Text(String),
    /// An answer to a transport-level ping, with the ping's payload: the peer is alive and
    /// reading (a pong that answers no recent ping proves nothing).
    Pong(Vec<u8>),
    /// Something the lifecycle ignores (a ping from the peer, say).
    Nothing,
    /// The peer closed, or the stream ended.
    Closed,
    /// A packet over the size limit.
    TooBig,
    /// A text packet that is not UTF-8.
    NotUtf8,
    /// The transport failed.
    Failed,
}

/// The reading half of a transport.
#[async_trait]
pub trait PeerReader: Send {
    /// The next thing the peer sent.
    async fn next(&mut self) -> Inbound;
}

/// The writing half of a transport.
#[async_trait]
pub trait PeerWriter: Send + 'static {
    /// Writes `frames` in order and flushes once.
    async fn send(&mut self, frames: &[Frame]) -> std::io::Result<()>;
    /// Sends a transport-level ping carrying `payload` (a no-op where the transport has its
    /// own liveness).
    async fn ping(&mut self, payload: &[u8]) -> std::io::Result<()>;
    /// Closes with a code and reason.
    async fn close(&mut self, code: u16, reason: &str);
}

/// Turns a text packet into a request and answers it (the wire format's dispatcher).
#[async_trait]
pub trait FrameHandler: Send + Sync {
    /// Handles one packet completely; answers go out through the hub.
    async fn handle(&self, app: &App, session: &mut Session, text: &str);
}

/// Everything one connection runs with.
pub struct Peer<R, W> {
    /// The reading half.
    pub reader: R,
    /// The writing half.
    pub writer: W,
    /// The client's address (after trusted proxies).
    pub address: Option<IpAddr>,
}

/// Runs a connection to its end; its cleanup happens exactly once, here.
pub async fn run<R: PeerReader, W: PeerWriter>(
    app: Arc<App>,
    handler: Arc<dyn FrameHandler>,
    peer: Peer<R, W>,
    limits: Arc<ConnectionLimits>,
    mut shutdown: Shutdown,
) {
    let _alive = shutdown.hold();
    let conn = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
    let Peer { mut reader, writer, address } = peer;
    let queue = Arc::new(OutboundQueue::new(limits.queue_frames, limits.queue_bytes));
    let pings = Arc::new(AtomicU64::new(0));
    let mut writer_task = tokio::spawn(write_loop(queue.clone(), writer, limits.clone(), pings.clone()));
    tracing::debug!(conn, ?address, "connection open");
    telemetry::connection_opened();

    let mut session = app.sessions.open(conn, queue.clone());
    // The heartbeat goes straight to this connection's queue: it is never numbered nor kept
    // for a resume (docs/design/resume.md#seq).
    let ping = app.hub.encode(&Packet::Ping);
    session.address = address;
    let start = Instant::now();
    let mut heartbeat = interval_at(start + limits.heartbeat_interval, limits.heartbeat_interval);
    let mut liveness = interval_at(start + limits.ping_interval, limits.ping_interval);
    let auth_deadline = sleep(limits.auth_deadline);
    tokio::pin!(auth_deadline);
    let mut last_pong = start;
    let mut backlog = interval_at(start, Duration::from_millis(20));
    let pipeline = Arc::new(Pipeline::default());
    let mut in_flight = InFlight::new();
    loop {
        let reading = queue.pending_bytes() < limits.high_water_bytes && in_flight.len() < MAX_IN_FLIGHT;
        tokio::select! {
            biased;
            _ = shutdown.requested() => {
                queue.close(close::GOING_AWAY, "server shutting down");
                break;
            }
            _ = heartbeat.tick() => {
                if !queue.push(ping.clone()) {
                    queue.close(crate::hub::SLOW_CONSUMER.0, crate::hub::SLOW_CONSUMER.1);
                }
            }
            _ = &mut auth_deadline, if session.user.is_none() => {
                queue.close(close::POLICY, "authentication timeout");
                break;
            }
            _ = liveness.tick() => {
                if last_pong.elapsed() > limits.ping_timeout {
                    queue.close(close::GOING_AWAY, "ping timeout");
                    break;
                }
            }
            // While this connection's own packets pile up unread, its requests wait.
            _ = backlog.tick(), if !reading => {}
            Some(()) = in_flight.next(), if !in_flight.is_empty() => {}
            incoming = reader.next(), if reading => match incoming {
                Inbound::Text(text) if session.user.is_none() => {
                    // Before login, one request at a time.
                    handler.handle(&app, &mut session, &text).await;
                    if session.failed_auths >= limits.max_failed_auths {
                        queue.close(close::POLICY, "too many failed authentication attempts");
                        break;
                    }
                }
                Inbound::Text(text) => {
                    let mut request = session.clone();
                    request.turn = Some(pipeline.next_turn());
                    let (app, handler) = (app.clone(), handler.clone());
                    in_flight.push(Box::pin(async move { handler.handle(&app, &mut request, &text).await }));
                }
                Inbound::Pong(payload) => {
                    if answers_a_ping(&payload, pings.load(Ordering::Acquire)) {
                        last_pong = Instant::now();
                    }
                }
                Inbound::Nothing => {}
                Inbound::Closed | Inbound::Failed => break,
                Inbound::TooBig => {
                    queue.close(close::TOO_BIG, "message too big");
                    break;
                }
                Inbound::NotUtf8 => {
                    queue.close(close::INVALID_DATA, "invalid UTF-8");
                    break;
                }
            },
            _ = &mut writer_task => break,
            _ = queue.closed() => break,
        }
    }
    // Requests under way finish (their answers may still be written, up to the close).
    let drain = async { while in_flight.next().await.is_some() {} };
    if tokio::time::timeout(DRAIN_TIMEOUT, drain).await.is_err() {
        tracing::warn!(conn, "requests still running when the connection closed");
    }
    match queue.close_requested() {
        Some(CloseRequest { code, reason }) => {
            tracing::info!(conn, code, reason, user = ?session.user.as_ref().map(|u| &u.username), "closing connection");
            telemetry::connection_closed(&reason);
        }
        None => telemetry::connection_closed("peer closed"),
    }
    app.sessions.close(&session).await;
    queue.close(close::NORMAL, "");
    // A finished task must not be polled again.
    if !writer_task.is_finished() && tokio::time::timeout(limits.flush_timeout * 2, &mut writer_task).await.is_err() {
        writer_task.abort();
    }
    tracing::debug!(conn, "connection closed");
}

/// The payload of the `n`th ping of a connection.
fn ping_payload(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

/// Whether a pong's payload answers the latest ping or the one before (a pong may cross the
/// next ping on the wire).
fn answers_a_ping(payload: &[u8], sent: u64) -> bool {
    sent > 0 && (payload == ping_payload(sent) || (sent > 1 && payload == ping_payload(sent - 1)))
}

/// Drains the queue to the transport in batches (one flush per batch) and pings the peer.
/// Once a close is asked for, what is still queued gets `flush_timeout` to be written (a
/// peer that stopped reading gets no more), then the transport is closed.
async fn write_loop<W: PeerWriter>(
    queue: Arc<OutboundQueue>,
    mut writer: W,
    limits: Arc<ConnectionLimits>,
    pings: Arc<AtomicU64>,
) {
    let mut ping = interval_at(Instant::now() + limits.ping_interval, limits.ping_interval);
    let max_frames = limits.queue_frames;
    let mut deadline: Option<Instant> = None;
    loop {
        let batch = tokio::select! {
            batch = queue.next_batch(max_frames, limits.write_batch_bytes) => batch,
            _ = ping.tick(), if deadline.is_none() => {
                let n = pings.fetch_add(1, Ordering::AcqRel) + 1;
                if writer.ping(&ping_payload(n)).await.is_err() {
                    return;
                }
                continue;
            }
        };
        match batch {
            Batch::Frames(frames) => {
                let write = writer.send(&frames);
                tokio::pin!(write);
                let written = match deadline {
                    Some(at) => tokio::time::timeout_at(at, write).await.unwrap_or(Err(timed_out())),
                    None => tokio::select! {
                        written = &mut write => written,
                        _ = queue.closed() => {
                            let at = Instant::now() + limits.flush_timeout;
                            deadline = Some(at);
                            tokio::time::timeout_at(at, write).await.unwrap_or(Err(timed_out()))
                        }
                    },
                };
                if written.is_err() {
                    return;
                }
            }
            Batch::Close(CloseRequest { code, reason }) => {
                let at = deadline.unwrap_or_else(|| Instant::now() + limits.flush_timeout);
                let _ = tokio::time::timeout_at(at, writer.close(code, &reason)).await;
                return;
            }
        }
        if deadline.is_none() && queue.close_requested().is_some() {
            deadline = Some(Instant::now() + limits.flush_timeout);
        }
    }
}

fn timed_out() -> std::io::Error {
    std::io::ErrorKind::TimedOut.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_pong_to_a_recent_ping_counts() {
        assert!(!answers_a_ping(&ping_payload(0), 0), "no ping was sent");
        assert!(answers_a_ping(&ping_payload(3), 3));
        assert!(answers_a_ping(&ping_payload(2), 3), "crossed the next ping");
        assert!(!answers_a_ping(&ping_payload(1), 3), "too old");
        assert!(!answers_a_ping(b"unasked", 3));
        assert!(!answers_a_ping(b"", 3));
    }
}
