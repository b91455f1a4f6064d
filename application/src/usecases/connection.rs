//! Opening and closing connections: the handshake, presence, and exactly-once cleanup.

use std::sync::Arc;

use crate::packets::Handshake;
use crate::ports::Outbox;
use crate::{App, ConnId, Packet, Session};

/// The handshake's hard-coded protocol version.
pub const PROTOCOL_VERSION: &str = "1.1.0";

impl App {
    /// Registers a new connection and sends it the handshake.
    pub fn open_session(&self, conn: ConnId, outbox: Arc<dyn Outbox>) -> Session {
        self.hub.register(conn, outbox);
        let session = Session { conn, validator_key: self.ids.validator_key(), user: None };
        let handshake = Handshake {
            server: self.settings.server_info.clone(),
            limits: self.settings.limits_info.clone(),
            version: PROTOCOL_VERSION,
            validator_key: session.validator_key.clone(),
            capabilities: self.settings.capabilities.clone(),
        };
        self.hub.send(conn, &Packet::Handshake(Box::new(handshake)), None);
        session
    }

    /// Forgets a connection, exactly once however it closed (protocol.md §12): it leaves
    /// its voice call, its slash commands go, and when it was its user's last connection,
    /// everyone is told.
    pub async fn close_session(&self, session: &Session) {
        let departure = self.hub.unregister(session.conn);
        self.voice_disconnect(session.conn).await;
        self.slash_disconnect(session.conn);
        if let Some(departure) = departure {
            tracing::info!(conn = session.conn, user = %departure.user.username, "disconnected");
            if departure.last {
                self.hub.send_all_authenticated(&Packet::UserDisconnect { username: departure.user.username });
            }
        }
    }
}
