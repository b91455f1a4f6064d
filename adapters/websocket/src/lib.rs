//! WebSocket and plain HTTP on one TCP port, in the clear or over in-process TLS ([`tls`]).
//!
//! Each TCP connection is served by hyper; an upgrade request becomes a WebSocket
//! (tokio-tungstenite) whose frames go to [`codec::handle_frame`], anything else is
//! answered by [`http`]. Every WebSocket has a bounded outbound queue drained by its own
//! writer task; the hub never waits for a slow client.

mod connection;
mod http;
mod limits;
mod server;
pub mod tls;

pub use limits::TransportLimits;
pub use server::{Listener, serve};
