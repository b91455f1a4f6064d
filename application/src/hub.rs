//! The connection hub: who is connected, who is authenticated, presence counting, and
//! fan-out. A broadcast is encoded once per distinct variant (the shared copy, and the
//! sender's copy when it carries a `listener`) and the same bytes go to every recipient's
//! bounded queue. A recipient whose queue is full is closed as a slow consumer; nobody
//! waits for it (docs/design/transport.md#limits, docs/design/wire.md#encode-once).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use domain::UserId;

use crate::ports::{ClusterEvent, EventBus, Frame, LocalBus, LocalPresence, Outbox, PacketEncoder, Presence, Target};
use crate::{ConnId, Origin, Packet, SessionUser};

/// Close code and reason for a client that fell too far behind.
pub const SLOW_CONSUMER: (u16, &str) = (1008, "slow consumer");

struct Entry {
    outbox: Arc<dyn Outbox>,
    user: Option<SessionUser>,
    /// A resumable session whose connection is gone (docs/design/resume.md#detached).
    detached: bool,
}

#[derive(Default)]
struct State {
    conns: HashMap<ConnId, Entry>,
    online: HashMap<UserId, usize>,
    /// Of `online`, the detached sessions.
    detached: HashMap<UserId, usize>,
}

impl State {
    /// One detached session of `user` is attached again or gone.
    fn reattached(&mut self, user: &UserId) {
        if let Some(n) = self.detached.get_mut(user) {
            *n -= 1;
            if *n == 0 {
                self.detached.remove(user);
            }
        }
    }
}

/// Registry of connections and their outboxes.
pub struct Hub {
    state: RwLock<State>,
    encoder: Arc<dyn PacketEncoder>,
    bus: Arc<dyn EventBus>,
    presence: Arc<dyn Presence>,
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
    /// An empty hub of a single node.
    pub fn new(encoder: Arc<dyn PacketEncoder>) -> Self {
        Self::with_bus(encoder, Arc::new(LocalBus), Arc::new(LocalPresence))
    }

    /// An empty hub that tells the other nodes of a cluster through `bus` what they must
    /// deliver to their own connections (docs/design/cluster.md#events).
    /// `presence` counts the nodes where a user is connected.
    pub fn with_bus(encoder: Arc<dyn PacketEncoder>, bus: Arc<dyn EventBus>, presence: Arc<dyn Presence>) -> Self {
        Self { state: RwLock::new(State::default()), encoder, bus, presence }
    }

    /// Who is online on the other nodes.
    pub fn presence(&self) -> &Arc<dyn Presence> {
        &self.presence
    }

    /// The bus to the other nodes.
    pub fn bus(&self) -> &Arc<dyn EventBus> {
        &self.bus
    }

    /// Tells the other nodes, when there are any.
    pub fn publish(&self, event: impl FnOnce() -> ClusterEvent) {
        if self.bus.clustered() {
            self.bus.publish(event());
        }
    }

    /// The packet encoder.
    pub fn encoder(&self) -> &Arc<dyn PacketEncoder> {
        &self.encoder
    }

    /// Encodes the shared copy of a packet (without `listener`).
    pub fn encode(&self, packet: &Packet) -> Frame {
        self.encoder.encode(packet, None)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a connection (not yet authenticated).
    pub fn register(&self, conn: ConnId, outbox: Arc<dyn Outbox>) {
        self.write().conns.insert(conn, Entry { outbox, user: None, detached: false });
    }

    /// The outbox a connection is delivered to.
    pub fn outbox_of(&self, conn: ConnId) -> Option<Arc<dyn Outbox>> {
        self.read().conns.get(&conn).map(|e| e.outbox.clone())
    }

    /// Delivers to `outbox` from now on instead of the connection's own queue (a resumable
    /// session, docs/design/resume.md#session-not-socket).
    pub fn replace_outbox(&self, conn: ConnId, outbox: Arc<dyn Outbox>) {
        if let Some(entry) = self.write().conns.get_mut(&conn) {
            entry.outbox = outbox;
        }
    }

    /// Marks an authenticated session as detached (its connection is gone, it waits for a
    /// resume) or attached again. A detached session keeps its user online but does not
    /// count as reachable ([`Hub::is_online`]).
    pub fn set_detached(&self, conn: ConnId, detached: bool) {
        let mut st = self.write();
        let Some(entry) = st.conns.get_mut(&conn) else { return };
        if entry.detached == detached {
            return;
        }
        entry.detached = detached;
        let Some(id) = entry.user.as_ref().map(|u| u.id.clone()) else { return };
        if detached {
            *st.detached.entry(id).or_insert(0) += 1;
        } else {
            st.reattached(&id);
        }
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
        let entry = st.conns.remove(&conn)?;
        let user = entry.user?;
        if entry.detached {
            st.reattached(&user.id);
        }
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

    /// The authenticated connections.
    pub fn authenticated_conns(&self) -> Vec<ConnId> {
        self.read().conns.iter().filter(|(_, e)| e.user.is_some()).map(|(c, _)| *c).collect()
    }

    /// The users of the authenticated connections (once per connection).
    pub fn authenticated_users(&self) -> Vec<SessionUser> {
        self.read().conns.values().filter_map(|e| e.user.clone()).collect()
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

    /// Whether the user has an authenticated, attached connection here, or one on another
    /// node (a detached session is offline for Web Push, docs/design/resume.md#detached).
    pub fn is_online(&self, user: &UserId) -> bool {
        let st = self.read();
        let here = st.online.get(user).copied().unwrap_or(0) > st.detached.get(user).copied().unwrap_or(0);
        drop(st);
        here || self.presence.is_elsewhere(user)
    }

    /// Number of open connections.
    pub fn connection_count(&self) -> usize {
        self.read().conns.len()
    }

    pub(crate) fn deliver(&self, targets: &[ConnId], frame: &Frame) {
        let frames = std::slice::from_ref(frame);
        self.push_each(frames, |st, push| {
            for outbox in targets.iter().filter_map(|c| st.conns.get(c)).map(|e| &e.outbox) {
                push(outbox);
            }
        });
    }

    /// Queues `frames`, in order, to every outbox `visit` hands to its `push`, while the
    /// connection table is read-locked (a push takes only its queue's lock), so a
    /// broadcast copies no list of recipients. Those whose queue is full are closed as
    /// slow consumers once the table is unlocked.
    fn push_each(&self, frames: &[Frame], visit: impl FnOnce(&State, &mut dyn FnMut(&Arc<dyn Outbox>))) {
        let mut slow: Vec<Arc<dyn Outbox>> = Vec::new();
        {
            let st = self.read();
            visit(&st, &mut |outbox| {
                let queued = match frames {
                    [frame] => outbox.push(frame.clone()),
                    _ => outbox.push_all(frames),
                };
                if !queued {
                    slow.push(outbox.clone());
                }
            });
        }
        for outbox in slow {
            outbox.close(SLOW_CONSUMER.0, SLOW_CONSUMER.1);
        }
    }

    /// Delivers an encoded frame to one connection.
    pub fn deliver_to(&self, conn: ConnId, frame: &Frame) {
        self.deliver(&[conn], frame);
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
        self.fan_out_frame(packet, shared, recipients, origin);
    }

    /// [`Hub::fan_out`] with the shared copy already encoded.
    pub fn fan_out_frame(&self, packet: &Packet, shared: Frame, recipients: &[ConnId], origin: &Origin) {
        crate::telemetry::fan_out(recipients.len());
        let Some(conn) = origin.conn else {
            // No sender among them: everyone gets the shared copy, and no list is copied.
            return self.deliver(recipients, &shared);
        };
        let others: Vec<ConnId> = recipients.iter().copied().filter(|c| *c != conn).collect();
        self.deliver(&others, &shared);
        let own = match origin.listener.as_deref() {
            Some(l) => self.encoder.encode(packet, Some(l)),
            None => shared,
        };
        self.deliver(&[conn], &own);
    }

    /// Sends a packet to every authenticated connection, on every node.
    pub fn send_all_authenticated(&self, packet: &Packet) {
        self.send_all_authenticated_many(std::slice::from_ref(packet));
    }

    /// Sends packets, in order, to every authenticated connection, on every node: each
    /// connection is visited once and gets them together (a login's presence packets).
    pub fn send_all_authenticated_many(&self, packets: &[Packet]) {
        let frames: Vec<Frame> = packets.iter().map(|p| self.encoder.encode(p, None)).collect();
        for frame in &frames {
            self.publish(|| ClusterEvent::Deliver { target: Target::Everyone, frame: frame.clone() });
        }
        self.deliver_all_authenticated(&frames);
    }

    /// [`Hub::send_all_authenticated`] where the origin connection's copy carries its
    /// `listener`.
    pub fn send_all_authenticated_from(&self, packet: &Packet, origin: &Origin) {
        if origin.conn.is_none() {
            return self.send_all_authenticated(packet);
        }
        let shared = self.encoder.encode(packet, None);
        self.publish(|| ClusterEvent::Deliver { target: Target::Everyone, frame: shared.clone() });
        self.fan_out_frame(packet, shared, &self.authenticated_conns(), origin);
    }

    /// Sends a packet to every authenticated connection of this node only (what every
    /// node does by itself for a change it learnt of).
    pub fn send_all_here(&self, packet: &Packet) {
        self.deliver_all_authenticated(std::slice::from_ref(&self.encoder.encode(packet, None)));
    }

    fn deliver_all_authenticated(&self, frames: &[Frame]) {
        let mut count = 0;
        self.push_each(frames, |st, push| {
            for entry in st.conns.values().filter(|e| e.user.is_some()) {
                count += 1;
                push(&entry.outbox);
            }
        });
        for _ in frames {
            crate::telemetry::fan_out(count);
        }
    }

    /// Sends a packet to every connection of a user, on every node, counted as a fan-out.
    pub fn send_user(&self, user: &UserId, packet: &Packet) {
        self.send_user_counted(user, packet, true);
    }

    /// [`Hub::send_user`], not counted as a fan-out (a notice before closing).
    pub fn notify_user(&self, user: &UserId, packet: &Packet) {
        self.send_user_counted(user, packet, false);
    }

    fn send_user_counted(&self, user: &UserId, packet: &Packet, counted: bool) {
        let shared = self.encoder.encode(packet, None);
        self.publish(|| ClusterEvent::Deliver { target: Target::User(user.clone()), frame: shared.clone() });
        let conns = self.connections_of(user);
        if counted {
            crate::telemetry::fan_out(conns.len());
        }
        self.deliver(&conns, &shared);
    }

    /// Does what another node asked of this node's connections; `false` when the event is
    /// not the hub's.
    pub fn receive(&self, event: &ClusterEvent) -> bool {
        match event {
            ClusterEvent::Deliver { target: Target::Everyone, frame } => {
                self.deliver_all_authenticated(std::slice::from_ref(frame))
            }
            ClusterEvent::Deliver { target: Target::User(user), frame } => {
                self.deliver(&self.connections_of(user), frame);
            }
            ClusterEvent::CloseUser { user, code, reason } => self.close_local(user, *code, reason),
            _ => return false,
        }
        true
    }

    /// Closes every connection of a user, on every node.
    pub fn close_user(&self, user: &UserId, code: u16, reason: &str) {
        self.publish(|| ClusterEvent::CloseUser { user: user.clone(), code, reason: reason.to_owned() });
        self.close_local(user, code, reason);
    }

    fn close_local(&self, user: &UserId, code: u16, reason: &str) {
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
