//! Per-connection state: the handshake key and, after auth, who is on the other end.

use domain::UserId;

/// Identifies one connection for the lifetime of the process.
pub type ConnId = u64;

/// The authenticated user of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    /// Rotur id.
    pub id: UserId,
    /// Username as Rotur reported it at login.
    pub username: String,
}

/// One connection's state machine: handshake sent → authenticated.
#[derive(Debug, Clone)]
pub struct Session {
    /// The connection.
    pub conn: ConnId,
    /// The `validator_key` sent in the handshake; the `key` of the Rotur check.
    pub validator_key: String,
    /// Set once `auth` succeeded.
    pub user: Option<SessionUser>,
    /// The client's address (after trusted proxies), when the transport knows it.
    pub address: Option<std::net::IpAddr>,
    /// `auth` attempts refused on this connection.
    pub failed_auths: u32,
}

impl Session {
    /// A fresh, anonymous session.
    pub fn new(conn: ConnId, validator_key: String) -> Self {
        Self { conn, validator_key, user: None, address: None, failed_auths: 0 }
    }
}

/// Where a request came from, so the sender's copy of a broadcast can carry its `listener`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// The requesting connection (`None` for server-initiated actions).
    pub conn: Option<ConnId>,
    /// The request's `listener` tag.
    pub listener: Option<String>,
}

impl Origin {
    /// The origin of a request on `conn`.
    pub fn of(conn: ConnId, listener: Option<String>) -> Self {
        Self { conn: Some(conn), listener }
    }
}
