//! Accepting TCP connections (optionally TLS) and routing each request to HTTP or a
//! WebSocket upgrade.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use application::App;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

use super::connection::run_connection;
use super::http::{Body, respond, route};
use super::limits::{Admission, TransportLimits};

/// A client that has not finished its TLS handshake by then is dropped.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A bound listener and what it serves.
pub struct Listener {
    /// The TCP listener.
    pub tcp: TcpListener,
    /// Limits.
    pub limits: Arc<TransportLimits>,
    /// In-process TLS (wss/https) when set; plain ws/http otherwise.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

/// Serves until `shutdown` resolves.
pub async fn serve(listener: Listener, app: Arc<App>, shutdown: impl Future<Output = ()>) {
    let admission = Arc::new(Admission::default());
    let acceptor = listener.tls.clone().map(tokio_rustls::TlsAcceptor::from);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.tcp.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let (app, limits, admission) = (app.clone(), listener.limits.clone(), admission.clone());
                match &acceptor {
                    None => {
                        tokio::spawn(serve_http(stream, peer, app, limits, admission));
                    }
                    Some(acceptor) => {
                        let acceptor = acceptor.clone();
                        tokio::spawn(async move {
                            match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                                Ok(Ok(tls)) => serve_http(tls, peer, app, limits, admission).await,
                                Ok(Err(e)) => tracing::debug!(error = %e, %peer, "TLS handshake failed"),
                                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                            }
                        });
                    }
                }
            }
        }
    }
}

/// Serves HTTP/1.1 (with upgrades) on one accepted connection, plain or TLS.
async fn serve_http<S>(
    stream: S,
    peer: SocketAddr,
    app: Arc<App>,
    limits: Arc<TransportLimits>,
    admission: Arc<Admission>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req| {
        let (app, limits, admission) = (app.clone(), limits.clone(), admission.clone());
        async move { Ok::<_, Infallible>(handle(req, peer, app, limits, admission)) }
    });
    let conn =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).with_upgrades();
    if let Err(e) = conn.await {
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

/// The client address for logs: forwarded headers only from trusted proxies.
fn client_ip(req: &Request<Incoming>, peer: SocketAddr, limits: &TransportLimits) -> IpAddr {
    if limits.trusts(peer.ip()) {
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let forwarded = header("cf-connecting-ip")
            .or_else(|| header("x-forwarded-for").and_then(|v| v.split(',').next().map(|s| s.trim().to_owned())));
        if let Some(ip) = forwarded.and_then(|s| s.parse().ok()) {
            return ip;
        }
    }
    peer.ip()
}

fn handle(
    mut req: Request<Incoming>,
    peer: SocketAddr,
    app: Arc<App>,
    limits: Arc<TransportLimits>,
    admission: Arc<Admission>,
) -> Response<Body> {
    if !is_upgrade(&req) {
        return route(&req, app.hub.connection_count(), &limits.server_assets);
    }
    let text = "text/plain; charset=utf-8";
    let Some(key) = req.headers().get(header::SEC_WEBSOCKET_KEY).map(|k| derive_accept_key(k.as_bytes())) else {
        return respond(StatusCode::BAD_REQUEST, text, "Missing Sec-WebSocket-Key", false);
    };
    if let Some(allowed) = &limits.allowed_origins {
        let origin = req.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok()).unwrap_or_default();
        if !allowed.iter().any(|a| a == origin) {
            return respond(StatusCode::FORBIDDEN, text, "Origin not allowed", false);
        }
    }
    let ip = client_ip(&req, peer, &limits);
    let Some(ticket) = admission.admit(ip, &limits) else {
        return respond(StatusCode::SERVICE_UNAVAILABLE, text, "Too many connections", false);
    };
    let upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        let upgraded = match upgrade.await {
            Ok(u) => u,
            Err(e) => return tracing::debug!(error = %e, "upgrade failed"),
        };
        let config = WebSocketConfig::default()
            .max_message_size(Some(limits.max_frame_bytes))
            .max_frame_size(Some(limits.max_frame_bytes))
            .max_write_buffer_size(limits.max_frame_bytes.saturating_mul(4).max(1 << 20));
        let ws =
            tokio_tungstenite::WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config))
                .await;
        run_connection(ws, app, limits, ip).await;
        drop(ticket);
    });
    let mut response = Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::CONNECTION, "Upgrade")
        .header(header::UPGRADE, "websocket")
        .header(header::SEC_WEBSOCKET_ACCEPT, key)
        .body(Body::default())
        .unwrap_or_default();
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    response
}
