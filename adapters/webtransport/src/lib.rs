//! WebTransport (HTTP/3 over QUIC, `wtransport` on quinn) as a second transport beside
//! WebSocket (docs/transports.md, docs/design/webtransport.md).
//!
//! A session is accepted on any path; the client opens one bidirectional stream and both
//! sides send newline-delimited JSON packets on it, the server's handshake first
//! ([`framing`]). The adapter only moves packets: the connection lifecycle (handshake,
//! deadlines, heartbeat, budgets, slow consumers, closing) is the application's, the same
//! as for WebSocket. Certificates come from a [`certs::CertSlot`] that can be replaced while
//! sessions stay open, from configured files or self-signed ones that rotate ([`certs`]).

pub mod certs;
mod connection;
pub mod framing;
mod server;

pub use connection::{WtReader, WtWriter};
pub use server::{BindError, Listener, WtSettings, serve};
