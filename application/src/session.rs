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
    /// The connection the hub delivers to: the physical connection, or after a `resume`
    /// the resumed session's (docs/design/resume.md#session-not-socket).
    pub conn: ConnId,
    /// The physical connection this session runs on.
    pub link: ConnId,
    /// The `validator_key` sent in the handshake; the `key` of the Rotur check.
    pub validator_key: String,
    /// Set once `auth` succeeded.
    pub user: Option<SessionUser>,
    /// The client's address (after trusted proxies), when the transport knows it.
    pub address: Option<std::net::IpAddr>,
    /// `auth` attempts refused on this connection.
    pub failed_auths: u32,
    /// The request's place in its connection's pipeline, when requests are pipelined.
    pub turn: Option<std::sync::Arc<crate::connection::pipeline::Turn>>,
}

impl Session {
    /// A fresh, anonymous session.
    pub fn new(conn: ConnId, validator_key: String) -> Self {
        Self { conn, link: conn, validator_key, user: None, address: None, failed_auths: 0, turn: None }
    }

    /// Waits for this request's turn to run (at once when requests are not pipelined).
    pub async fn enter(&self, pipelined: bool) {
        if let Some(turn) = &self.turn {
            turn.enter(pipelined).await;
        }
    }

    /// This request has made its effect and only waits for a commit: the next may start.
    pub fn release_effects(&self) {
        if let Some(turn) = &self.turn {
            turn.release_effects();
        }
    }

    /// Waits until every earlier request of the connection has sent its answers.
    pub async fn before_output(&self) {
        if let Some(turn) = &self.turn {
            turn.before_output().await;
        }
    }

    /// This request is over.
    pub fn finish(&self) {
        if let Some(turn) = &self.turn {
            turn.finish();
        }
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
