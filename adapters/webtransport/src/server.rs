//! The QUIC endpoint: accepting WebTransport sessions on any path, counting them, and running
//! each one's first bidirectional stream through the shared connection lifecycle
//! (docs/design/webtransport.md).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use application::App;
use application::connection::{self, ConnectionLimits, FrameHandler, Peer, Shutdown, close};
use application::telemetry;
use rustls::server::ResolvesServerCert;
use wtransport::config::QuicTransportConfig;
use wtransport::endpoint::endpoint_side::Server;
use wtransport::quinn::VarInt as QuicVarInt;
use wtransport::{Connection, Endpoint, ServerConfig, VarInt};

use crate::certs::quic_tls;
use crate::connection::{close_connection, halves};

/// A QUIC handshake and WebTransport CONNECT that has not finished by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Bidirectional streams a client may have open at once: the session's CONNECT stream, the
/// packet stream, and one being refused (docs/design/webtransport.md#streams).
const MAX_BIDI_STREAMS: u32 = 3;

/// Unidirectional streams a client may have open at once: HTTP/3 needs three of its own
/// (control and the two QPACK streams), and one more is refused at a time.
const MAX_UNI_STREAMS: u32 = 4;

/// What the WebTransport listener needs to know.
#[derive(Debug, Clone)]
pub struct WtSettings {
    /// UDP address to bind.
    pub bind: SocketAddr,
    /// The shared connection limits.
    pub connection: Arc<ConnectionLimits>,
    /// Longest packet line, in bytes (`transport.max_frame_bytes`).
    pub max_line_bytes: usize,
    /// `transport.max_connections`: sessions open at once.
    pub max_sessions: usize,
    /// `transport.max_connections_per_ip`: sessions per client address (IPv6 by its /64).
    pub max_sessions_per_ip: usize,
    /// `transport.allowed_origins`.
    pub allowed_origins: Option<Vec<String>>,
}

/// A bound WebTransport endpoint.
pub struct Listener {
    endpoint: Endpoint<Server>,
    settings: Arc<WtSettings>,
}

/// Binding failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot bind WebTransport (UDP) on {addr}: {source}")]
pub struct BindError {
    addr: SocketAddr,
    source: std::io::Error,
}

impl Listener {
    /// Binds the UDP port, presenting certificates from `certs`.
    pub fn bind(settings: WtSettings, certs: Arc<dyn ResolvesServerCert>) -> Result<Self, BindError> {
        let limits = &settings.connection;
        let mut transport = QuicTransportConfig::default();
        transport
            .max_concurrent_bidi_streams(QuicVarInt::from_u32(MAX_BIDI_STREAMS))
            .max_concurrent_uni_streams(QuicVarInt::from_u32(MAX_UNI_STREAMS))
            .keep_alive_interval(Some(limits.ping_interval))
            .max_idle_timeout(
                wtransport::quinn::IdleTimeout::try_from(limits.ping_timeout.max(limits.ping_interval * 2)).ok(),
            );
        let config = ServerConfig::builder()
            .with_bind_address(settings.bind)
            .with_custom_tls_and_transport(quic_tls(certs), transport)
            .build();
        let endpoint = Endpoint::server(config).map_err(|source| BindError { addr: settings.bind, source })?;
        Ok(Self { endpoint, settings: Arc::new(settings) })
    }

    /// The bound address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.endpoint.local_addr()
    }
}

/// Sessions counted in total and per address.
#[derive(Debug, Default)]
struct Admission {
    state: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// One counted session; dropping it frees its place.
struct Ticket {
    admission: Arc<Admission>,
    key: IpAddr,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut st = self.admission.state.lock().unwrap_or_else(|p| p.into_inner());
        st.0 -= 1;
        if let Some(n) = st.1.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                st.1.remove(&self.key);
            }
        }
    }
}

/// The address a client is counted by: IPv6 by its /64.
fn counted_as(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        IpAddr::V6(v6) => IpAddr::V4(v6.to_ipv4_mapped().unwrap_or_else(|| unreachable!("checked above"))),
        v4 => v4,
    }
}

impl Admission {
    fn admit(self: &Arc<Self>, ip: IpAddr, settings: &WtSettings) -> Option<Ticket> {
        let key = counted_as(ip);
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let here = st.1.get(&key).copied().unwrap_or(0);
        if st.0 >= settings.max_sessions || here >= settings.max_sessions_per_ip {
            return None;
        }
        st.0 += 1;
        *st.1.entry(key).or_insert(0) += 1;
        Some(Ticket { admission: self.clone(), key })
    }
}

/// Accepts sessions until the shutdown begins; each open session then closes itself (1001).
/// Returns once every session has closed and its close has reached the peer.
pub async fn serve(listener: Listener, app: Arc<App>, handler: Arc<dyn FrameHandler>, shutdown: Shutdown) {
    let admission = Arc::new(Admission::default());
    let mut stop = shutdown.clone();
    loop {
        let incoming = tokio::select! {
            _ = stop.requested() => break,
            incoming = listener.endpoint.accept() => incoming,
        };
        let peer = incoming.remote_address();
        let Some(ticket) = admission.admit(peer.ip(), &listener.settings) else {
            telemetry::connection_refused("too_many_connections");
            incoming.refuse();
            continue;
        };
        let (app, handler, settings, shutdown) =
            (app.clone(), handler.clone(), listener.settings.clone(), shutdown.clone());
        tokio::spawn(async move {
            session(incoming, app, handler, settings, shutdown).await;
            drop(ticket);
        });
    }
    tracing::info!("no longer accepting WebTransport sessions");
    listener.endpoint.wait_idle().await;
}

/// One session: the QUIC handshake and CONNECT, the origin check, the packet stream, the
/// lifecycle.
async fn session(
    incoming: wtransport::endpoint::IncomingSession,
    app: Arc<App>,
    handler: Arc<dyn FrameHandler>,
    settings: Arc<WtSettings>,
    shutdown: Shutdown,
) {
    let peer = incoming.remote_address();
    let request = match tokio::time::timeout(HANDSHAKE_TIMEOUT, incoming).await {
        Ok(Ok(request)) => request,
        Ok(Err(e)) => return tracing::debug!(error = %e, %peer, "WebTransport handshake failed"),
        Err(_) => return tracing::debug!(%peer, "WebTransport handshake timed out"),
    };
    // Any path is accepted, like the WebSocket upgrade.
    if let Some(allowed) = &settings.allowed_origins {
        let origin = request.origin().unwrap_or_default();
        if !allowed.iter().any(|a| a == origin) {
            telemetry::connection_refused("origin_not_allowed");
            return request.forbidden().await;
        }
    }
    let conn = match tokio::time::timeout(HANDSHAKE_TIMEOUT, request.accept()).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => return tracing::debug!(error = %e, %peer, "WebTransport session not established"),
        Err(_) => return tracing::debug!(%peer, "WebTransport session timed out"),
    };
    // The client opens the packet stream; one that never does is closed like a client that
    // never logs in.
    let limits = settings.connection.clone();
    let (send, recv) = match tokio::time::timeout(limits.auth_deadline, conn.accept_bi()).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return tracing::debug!(error = %e, %peer, "WebTransport session ended before its stream"),
        Err(_) => {
            return close_connection(&conn, close::POLICY, "authentication timeout");
        }
    };
    let refusing = tokio::spawn(refuse_more_streams(conn.clone()));
    let (reader, writer, closing) = halves(conn.clone(), send, recv, settings.max_line_bytes);
    let peer_ = Peer { reader, writer, address: Some(peer.ip()) };
    connection::run(app, handler, peer_, limits, shutdown).await;
    refusing.abort();
    // The lifecycle's close happens even when writing it ran out of time.
    let (code, reason) = closing.get().unwrap_or((close::NORMAL, String::new()));
    close_connection(&conn, code, &reason);
}

/// Streams after the first carry nothing: each is refused as it comes
/// (docs/design/webtransport.md#streams).
async fn refuse_more_streams(conn: Connection) {
    /// The WebTransport application error code a refused stream is stopped and reset with.
    const REFUSED: u32 = 0x52_45_46; // "REF"
    loop {
        tokio::select! {
            bi = conn.accept_bi() => match bi {
                Ok((mut send, recv)) => {
                    recv.stop(VarInt::from_u32(REFUSED));
                    let _ = send.reset(VarInt::from_u32(REFUSED));
                }
                Err(_) => return,
            },
            uni = conn.accept_uni() => match uni {
                Ok(recv) => recv.stop(VarInt::from_u32(REFUSED)),
                Err(_) => return,
            },
        }
    }
}
