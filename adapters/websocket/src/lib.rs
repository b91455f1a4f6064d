//! WebSocket and plain HTTP on one TCP port, in the clear or over in-process TLS ([`tls`]).
//!
//! Each TCP connection is counted and capped when accepted, then served by hyper; an
//! upgrade request (on any path) becomes a WebSocket (tokio-tungstenite) run by the
//! application's connection lifecycle, with the wire format's frame handler; anything else
//! goes to the axum router of [`http`]: pages, emoji and asset files ([`files`]) and the
//! metrics endpoint. Every WebSocket has a bounded outbound queue drained by its own writer
//! task; the hub never waits for a slow client.

mod coalesce;
pub mod connection;
pub mod files;
pub mod http;
mod limits;
mod metrics;
mod server;
pub mod tls;

pub use limits::{Admission, TransportLimits};
pub use metrics::{MetricsEndpoint, Render};
pub use server::{Listener, serve};
