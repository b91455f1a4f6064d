//! Accepting TCP connections (optionally TLS) and routing each request to HTTP or a
//! WebSocket upgrade (docs/design/transport.md).
//!
//! Before a byte is read, a connection is counted in the total and against its address; one
//! over a cap gets a canned `503` and is closed. A request head must be complete within
//! `transport.request_head_timeout_seconds` of the accept (and, on a kept-alive connection,
//! of the previous response). When `accept` fails for lack of descriptors the loop backs off
//! and logs once in a while, and the connections already open keep being served.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use application::connection::{FrameHandler, Shutdown};
use application::{App, telemetry};
use axum::Router;
use axum::body::Body;
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, StatusCode, header};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tower::ServiceExt;

use super::coalesce::Coalesce;
use super::connection::run_connection;
use super::http::{ClientAddr, HttpState, router};
use super::limits::{Admission, Ticket, TransportLimits};
use super::metrics::MetricsEndpoint;

/// A client that has not finished its TLS handshake by then is dropped.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What a connection over a cap is told before it is closed.
const TOO_MANY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n\
Content-Length: 20\r\nConnection: close\r\nAccess-Control-Allow-Origin: *\r\n\r\nToo many connections";

/// A bound listener and what it serves.
pub struct Listener {
    /// The TCP listener.
    pub tcp: TcpListener,
    /// Limits.
    pub limits: Arc<TransportLimits>,
    /// In-process TLS (wss/https) when set; plain ws/http otherwise.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// `GET /metrics`, when enabled.
    pub metrics: Option<Arc<MetricsEndpoint>>,
    /// `GET /webtransport`, when WebTransport is served.
    pub webtransport: Option<super::http::WebTransportInfo>,
}

/// Everything a connection task needs.
#[derive(Clone)]
struct Serving {
    app: Arc<App>,
    handler: Arc<dyn FrameHandler>,
    limits: Arc<TransportLimits>,
    admission: Arc<Admission>,
    /// Every request that is not an upgrade.
    router: Router,
    shutdown: Shutdown,
}

/// Serves until the shutdown begins: from then on nothing new is accepted, kept-alive HTTP
/// connections are closed after their current request, and each WebSocket closes itself.
pub async fn serve(listener: Listener, app: Arc<App>, handler: Arc<dyn FrameHandler>, shutdown: Shutdown) {
    let state = HttpState {
        app: app.clone(),
        limits: listener.limits.clone(),
        metrics: listener.metrics.clone(),
        webtransport: listener.webtransport.clone(),
    };
    let serving = Serving {
        app,
        handler,
        limits: listener.limits.clone(),
        admission: Arc::new(Admission::default()),
        router: router(state),
        shutdown: shutdown.clone(),
    };
    let acceptor = listener.tls.clone().map(tokio_rustls::TlsAcceptor::from);
    let mut errors = AcceptErrors::default();
    let mut stop = shutdown;
    loop {
        let accepted = tokio::select! {
            _ = stop.requested() => break,
            accepted = listener.tcp.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(a) => {
                errors.recovered();
                a
            }
            Err(e) => {
                errors.failed(&e).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let Some(ticket) = serving.admission.admit_accepted(peer.ip(), &serving.limits) else {
            telemetry::connection_refused("too_many_connections");
            tokio::spawn(refuse(stream));
            continue;
        };
        let ticket = Arc::new(ticket);
        let serving = serving.clone();
        match &acceptor {
            None => {
                tokio::spawn(serve_http(stream, peer, serving, ticket));
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => serve_http(tls, peer, serving, ticket).await,
                        Ok(Err(e)) => tracing::debug!(error = %e, %peer, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        }
    }
    tracing::info!("no longer accepting connections");
}

/// Answers a connection over a cap with a canned `503` and closes it without a reset.
async fn refuse(mut stream: TcpStream) {
    let answer = async {
        stream.write_all(TOO_MANY).await?;
        stream.shutdown().await?;
        // Read what the client sent, so that closing does not reset the connection before
        // the client has read the answer.
        let mut sink = [0u8; 1024];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<_, std::io::Error>(())
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), answer).await;
}

/// Failed `accept`s: back off while descriptors are short, and log at most every 10 s.
#[derive(Debug, Default)]
struct AcceptErrors {
    backoff: Duration,
    last_log: Option<Instant>,
    unlogged: u64,
}

impl AcceptErrors {
    const FIRST: Duration = Duration::from_millis(10);
    const MAX: Duration = Duration::from_secs(1);
    const LOG_EVERY: Duration = Duration::from_secs(10);

    fn recovered(&mut self) {
        self.backoff = Duration::ZERO;
    }

    async fn failed(&mut self, e: &std::io::Error) {
        // EMFILE, ENFILE, ENOBUFS, ENOMEM: out of resources; anything else concerns one
        // connection (it was reset before it was accepted, say).
        let starved = matches!(e.raw_os_error(), Some(24 | 23 | 105 | 12));
        if !starved {
            tracing::debug!(error = %e, "accept failed");
            return;
        }
        self.unlogged += 1;
        if self.last_log.is_none_or(|t| t.elapsed() >= Self::LOG_EVERY) {
            tracing::warn!(error = %e, failures = self.unlogged, "accept failed: out of descriptors; backing off");
            self.last_log = Some(Instant::now());
            self.unlogged = 0;
        }
        self.backoff = (self.backoff * 2).clamp(Self::FIRST, Self::MAX);
        tokio::time::sleep(self.backoff).await;
    }
}

/// Serves HTTP/1.1 (with upgrades) on one accepted connection, plain or TLS.
async fn serve_http<S>(stream: S, peer: SocketAddr, serving: Serving, ticket: Arc<Ticket>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut shutdown = serving.shutdown.clone();
    let head_timeout = serving.limits.request_head_timeout;
    let service = service_fn(move |req| {
        let (serving, ticket) = (serving.clone(), ticket.clone());
        handle(req, peer, serving, ticket)
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(head_timeout)
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(conn);
    let ended = tokio::select! {
        ended = conn.as_mut() => ended,
        _ = shutdown.requested() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = ended {
        tracing::debug!(error = %e, %peer, "http connection ended with an error");
    }
}

fn is_upgrade(req: &Request<Incoming>) -> bool {
    let has = |name: header::HeaderName, token: &str| {
        req.headers()
            .get_all(name)
            .iter()
            .any(|v| v.to_str().is_ok_and(|s| s.split(',').any(|t| t.trim().eq_ignore_ascii_case(token))))
    };
    has(header::CONNECTION, "upgrade") && has(header::UPGRADE, "websocket")
}

/// The client behind `peer` that `req` comes from (docs/design/transport.md#client-address).
fn client_of(req: &Request<Incoming>, peer: SocketAddr, limits: &TransportLimits) -> std::net::IpAddr {
    let header_value = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    limits.client_address(peer.ip(), header_value("cf-connecting-ip"), header_value("x-forwarded-for"))
}

/// One request: an upgrade becomes a WebSocket; anything else goes to the router.
async fn handle(
    req: Request<Incoming>,
    peer: SocketAddr,
    serving: Serving,
    ticket: Arc<Ticket>,
) -> Result<Response, Infallible> {
    let client = client_of(&req, peer, &serving.limits);
    if is_upgrade(&req) {
        return Ok(upgrade(req, client, peer, serving, ticket));
    }
    let mut req = req.map(Body::new);
    req.extensions_mut().insert(ClientAddr(client));
    serving.router.oneshot(req).await
}

/// Answers an upgrade request: `101` and the WebSocket's task, or a refusal that closes
/// the connection.
fn upgrade(
    mut req: Request<Incoming>,
    client: std::net::IpAddr,
    peer: SocketAddr,
    serving: Serving,
    ticket: Arc<Ticket>,
) -> Response {
    let limits = &serving.limits;
    // A refused upgrade ends its connection, which would otherwise keep its slot.
    let refuse =
        |status: StatusCode, body: &'static str| (status, [(header::CONNECTION, "close")], body).into_response();
    let Some(key) = req.headers().get(header::SEC_WEBSOCKET_KEY).map(|k| derive_accept_key(k.as_bytes())) else {
        telemetry::connection_refused("bad_upgrade");
        return refuse(StatusCode::BAD_REQUEST, "Missing Sec-WebSocket-Key");
    };
    if let Some(allowed) = &limits.allowed_origins {
        let origin = req.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok()).unwrap_or_default();
        if !allowed.iter().any(|a| a == origin) {
            telemetry::connection_refused("origin_not_allowed");
            return refuse(StatusCode::FORBIDDEN, "Origin not allowed");
        }
    }
    // A proxied client is counted by the address its proxy names.
    let forwarded = if limits.trusts(peer.ip()) {
        match serving.admission.admit_forwarded(client, limits) {
            Some(t) => Some(t),
            None => {
                telemetry::connection_refused("too_many_connections");
                return refuse(StatusCode::SERVICE_UNAVAILABLE, "Too many connections");
            }
        }
    } else {
        None
    };
    let upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        let upgraded = match upgrade.await {
            Ok(u) => u,
            Err(e) => return tracing::debug!(error = %e, "upgrade failed"),
        };
        let limits = serving.limits.clone();
        let config = WebSocketConfig::default()
            // Requests are small; a larger one makes the buffer grow to its size.
            .read_buffer_size(1024)
            // Frames go straight to the coalescing layer, which gathers a batch and lets
            // go of it once written (coalesce.rs).
            .write_buffer_size(0)
            .max_message_size(Some(limits.max_frame_bytes))
            .max_frame_size(Some(limits.max_frame_bytes))
            .max_write_buffer_size(limits.max_frame_bytes.saturating_mul(4).max(1 << 20));
        let ws = tokio_tungstenite::WebSocketStream::from_raw_socket(
            Coalesce::new(TokioIo::new(upgraded)),
            Role::Server,
            Some(config),
        )
        .await;
        run_connection(ws, serving.app, serving.handler, limits.connection.clone(), client, serving.shutdown).await;
        drop((ticket, forwarded));
    });
    let headers = [(header::CONNECTION, "Upgrade"), (header::UPGRADE, "websocket")];
    let accept = [(header::SEC_WEBSOCKET_ACCEPT, key)];
    (StatusCode::SWITCHING_PROTOCOLS, headers, accept).into_response()
}
