//! The connection hub: who is connected, who is authenticated, presence counting, and
//! fan-out. A broadcast is encoded once per distinct variant (the shared copy, and the
//! sender's copy when it carries a `listener`) and the same bytes go to every recipient's
//! bounded queue. A recipient whose queue is full is closed as a slow consumer; nobody
//! waits for it (docs/design/transport.md#limits, docs/design/wire.md#encode-once).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use domain::UserId;

use crate::ports::{Frame, Outbox, PacketEncoder};
use crate::{ConnId, Origin, Packet, SessionUser};

/// Close code and reason for a client that fell too far behind.
pub const SLOW_CONSUMER: (u16, &str) = (1008, "slow consumer");

struct Entry {
    outbox: Arc<dyn Outbox>,
    user: Option<SessionUser>,
}

#[derive(Default)]
struct State {
    conns: HashMap<ConnId, Entry>,
    online: HashMap<UserId, usize>,
}

/// Registry of connections and their outboxes.
pub struct Hub {
    state: RwLock<State>,
    encoder: Arc<dyn PacketEncoder>,
}

/// What closing a connection changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Departure {
    /// The user the connection belonged to.
    pub user: SessionUser,
    /// Whether it was that user's last connection.
    pub last: bool,
}

impl Hub {
    /// An empty hub.
    pub fn new(encoder: Arc<dyn PacketEncoder>) -> Self {
        Self { state: RwLock::new(State::default()), encoder }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a connection (not yet authenticated).
    pub fn register(&self, conn: ConnId, outbox: Arc<dyn Outbox>) {
        self.write().conns.insert(conn, Entry { outbox, user: None });
    }

    /// Marks a connection authenticated; returns whether it is the user's first connection.
    pub fn authenticate(&self, conn: ConnId, user: SessionUser) -> bool {
        let mut st = self.write();
        let id = user.id.clone();
        let Some(entry) = st.conns.get_mut(&conn) else { return false };
        if entry.user.is_some() {
            return false;
        }
        entry.user = Some(user);
        let count = st.online.entry(id).or_insert(0);
        *count += 1;
        *count == 1
    }

    /// Removes a connection. Runs its accounting exactly once, however it was closed.
    pub fn unregister(&self, conn: ConnId) -> Option<Departure> {
        let mut st = self.write();
        let user = st.conns.remove(&conn)?.user?;
        let last = match st.online.get_mut(&user.id) {
            Some(n) if *n > 1 => {
                *n -= 1;
                false
            }
            _ => {
                st.online.remove(&user.id);
                true
            }
        };
        Some(Departure { user, last })
    }

    /// Authenticated connections and their users.
    pub fn authenticated(&self) -> Vec<(ConnId, UserId)> {
        self.read().conns.iter().filter_map(|(c, e)| e.user.as_ref().map(|u| (*c, u.id.clone()))).collect()
    }

    /// Connections of one user.
    pub fn connections_of(&self, user: &UserId) -> Vec<ConnId> {
        self.read()
            .conns
            .iter()
            .filter(|(_, e)| e.user.as_ref().is_some_and(|u| &u.id == user))
            .map(|(c, _)| *c)
            .collect()
    }

    /// Whether the user has an authenticated connection.
    pub fn is_online(&self, user: &UserId) -> bool {
        self.read().online.contains_key(user)
    }

    /// Number of open connections.
    pub fn connection_count(&self) -> usize {
        self.read().conns.len()
    }

    fn deliver(&self, targets: &[ConnId], frame: &Frame) {
        let outboxes: Vec<Arc<dyn Outbox>> = {
            let st = self.read();
            targets.iter().filter_map(|c| st.conns.get(c).map(|e| e.outbox.clone())).collect()
        };
        for outbox in outboxes {
            if !outbox.push(frame.clone()) {
                outbox.close(SLOW_CONSUMER.0, SLOW_CONSUMER.1);
            }
        }
    }

    /// Sends a packet to one connection, with `listener` when given.
    pub fn send(&self, conn: ConnId, packet: &Packet, listener: Option<&str>) {
        let frame = self.encoder.encode(packet, listener);
        self.deliver(&[conn], &frame);
    }

    /// Sends a packet to the given connections; the origin connection (if among them or
    /// given) gets its own copy with the listener, after the others.
    pub fn fan_out(&self, packet: &Packet, recipients: &[ConnId], origin: &Origin) {
        let shared = self.encoder.encode(packet, None);
        let others: Vec<ConnId> = recipients.iter().copied().filter(|c| Some(*c) != origin.conn).collect();
        crate::telemetry::fan_out(recipients.len());
        self.deliver(&others, &shared);
        if let Some(conn) = origin.conn {
            let own = match origin.listener.as_deref() {
                Some(l) => self.encoder.encode(packet, Some(l)),
                None => shared,
            };
            self.deliver(&[conn], &own);
        }
    }

    /// Sends a packet to every authenticated connection.
    pub fn send_all_authenticated(&self, packet: &Packet) {
        let targets: Vec<ConnId> = self.authenticated().into_iter().map(|(c, _)| c).collect();
        self.fan_out(packet, &targets, &Origin::default());
    }

    /// Closes every connection of a user.
    pub fn close_user(&self, user: &UserId, code: u16, reason: &str) {
        let outboxes: Vec<Arc<dyn Outbox>> = {
            let st = self.read();
            st.conns
                .values()
                .filter(|e| e.user.as_ref().is_some_and(|u| &u.id == user))
                .map(|e| e.outbox.clone())
                .collect()
        };
        for o in outboxes {
            o.close(code, reason);
        }
    }
}

#[cfg(test)]
mod tests;
