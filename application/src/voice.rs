//! Voice rooms: who sits in which voice channel, muted or not, with the opaque peer id of
//! their WebRTC endpoint (docs/design/voice.md#roster-only). Memory only; media never passes through here.
//!
//! Seats are keyed by user: one user holds at most one seat in the whole server, and the
//! seat remembers the connection that took it (docs/design/voice.md#seats). A new join by the same
//! user moves the seat, whichever connection asks.

use std::collections::HashMap;
use std::sync::Mutex;

use domain::UserId;

use crate::ConnId;

/// Longest `peer_id` accepted (docs/design/voice.md#peer-id Recommended).
pub const MAX_PEER_ID_CHARS: usize = 256;

/// One participant of a voice channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    /// The connection in the call (meaningful only when `node` is `None`).
    pub conn: ConnId,
    /// The node holding the connection: `None` for this node, else the other node's id
    /// (docs/design/cluster.md#voice).
    pub node: Option<String>,
    /// Who.
    pub user: UserId,
    /// Their display name.
    pub username: String,
    /// Client-chosen id of their WebRTC endpoint, relayed verbatim.
    pub peer_id: String,
    /// Advisory mute flag.
    pub muted: bool,
}

impl Seat {
    /// Whether this seat is held through `conn` of this node.
    pub fn is_here(&self, conn: ConnId) -> bool {
        self.node.is_none() && self.conn == conn
    }
}

/// A seat together with the channel it is in.
pub type Placed = (String, Seat);

/// Every voice room of the server.
#[derive(Debug, Default)]
pub struct VoiceRooms {
    rooms: Mutex<HashMap<String, Vec<Seat>>>,
}

impl VoiceRooms {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<Seat>>> {
        self.rooms.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn find(&self, pred: impl Fn(&Seat) -> bool) -> Option<Placed> {
        let rooms = self.lock();
        rooms.iter().find_map(|(name, seats)| seats.iter().find(|s| pred(s)).map(|s| (name.clone(), s.clone())))
    }

    /// The seat held through `conn`.
    pub fn seat_of_conn(&self, conn: ConnId) -> Option<Placed> {
        self.find(|s| s.is_here(conn))
    }

    /// Seats `seat` at the end of `channel` (join order) and, in the same step, takes away
    /// any other seat of the same user, which it returns.
    pub fn take_seat(&self, channel: &str, seat: Seat) -> Option<Placed> {
        let mut rooms = self.lock();
        let old = rooms.iter_mut().find_map(|(name, seats)| {
            let i = seats.iter().position(|s| s.user == seat.user)?;
            Some((name.clone(), seats.remove(i)))
        });
        rooms.retain(|_, seats| !seats.is_empty());
        rooms.entry(channel.to_owned()).or_default().push(seat);
        old
    }

    /// Seats `seat` at the end of `channel` unless its user holds a seat already (a seat
    /// another node reports again); whether it was taken.
    pub fn take_seat_if_unknown(&self, channel: &str, seat: Seat) -> bool {
        let mut rooms = self.lock();
        if rooms.values().flatten().any(|s| s.user == seat.user) {
            return false;
        }
        rooms.entry(channel.to_owned()).or_default().push(seat);
        true
    }

    /// Removes the seat held through `conn`, wherever it is.
    pub fn leave(&self, conn: ConnId) -> Option<Placed> {
        let placed = self.seat_of_conn(conn)?;
        self.remove_seat(&placed.0, conn).map(|seat| (placed.0, seat))
    }

    /// Removes the seat `conn` holds in `channel`, if it still does; a room left empty
    /// disappears.
    pub fn remove_seat(&self, channel: &str, conn: ConnId) -> Option<Seat> {
        let mut rooms = self.lock();
        let room = rooms.get_mut(channel)?;
        let index = room.iter().position(|s| s.is_here(conn))?;
        let seat = room.remove(index);
        if room.is_empty() {
            rooms.remove(channel);
        }
        Some(seat)
    }

    /// Sets the mute flag of the seat held through `conn`; returns the updated seat.
    pub fn set_muted(&self, conn: ConnId, muted: bool) -> Option<Placed> {
        let mut rooms = self.lock();
        rooms.iter_mut().find_map(|(name, seats)| {
            let seat = seats.iter_mut().find(|s| s.is_here(conn))?;
            seat.muted = muted;
            Some((name.clone(), seat.clone()))
        })
    }

    /// Sets the mute flag of `user`'s seat held on `node`; returns the updated seat.
    pub fn set_muted_remote(&self, node: &str, user: &UserId, muted: bool) -> Option<Placed> {
        let mut rooms = self.lock();
        rooms.iter_mut().find_map(|(name, seats)| {
            let seat = seats.iter_mut().find(|s| s.node.as_deref() == Some(node) && s.user == *user)?;
            seat.muted = muted;
            Some((name.clone(), seat.clone()))
        })
    }

    /// Removes the seats matching `pred`; rooms left empty disappear.
    fn remove_where(&self, pred: impl Fn(&Seat) -> bool) -> Vec<Placed> {
        let mut rooms = self.lock();
        let mut out = vec![];
        for (name, seats) in rooms.iter_mut() {
            let (gone, kept): (Vec<Seat>, Vec<Seat>) = seats.drain(..).partition(|s| pred(s));
            *seats = kept;
            out.extend(gone.into_iter().map(|s| (name.clone(), s)));
        }
        rooms.retain(|_, seats| !seats.is_empty());
        out
    }

    /// Removes `user`'s seat held on `node`, if it still is there.
    pub fn leave_remote(&self, node: &str, user: &UserId) -> Option<Placed> {
        self.remove_where(|s| s.node.as_deref() == Some(node) && s.user == *user).pop()
    }

    /// Removes every seat held on `node` (a node that is gone).
    pub fn remove_node(&self, node: &str) -> Vec<Placed> {
        self.remove_where(|s| s.node.as_deref() == Some(node))
    }

    /// The participants of `channel`, in join order.
    pub fn seats(&self, channel: &str) -> Vec<Seat> {
        self.lock().get(channel).cloned().unwrap_or_default()
    }

    /// Every occupied room with its participants.
    pub fn all(&self) -> Vec<(String, Vec<Seat>)> {
        self.lock().iter().map(|(n, s)| (n.clone(), s.clone())).collect()
    }
}

/// Whether `peer_id` is usable: non-empty, at most [`MAX_PEER_ID_CHARS`] characters.
pub fn valid_peer_id(peer_id: &str) -> bool {
    !peer_id.is_empty() && peer_id.chars().count() <= MAX_PEER_ID_CHARS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seat(conn: ConnId, user: &str) -> Seat {
        Seat {
            conn,
            node: None,
            user: UserId(user.into()),
            username: user.into(),
            peer_id: format!("peer-{conn}"),
            muted: false,
        }
    }

    #[test]
    fn seats_of_other_nodes_are_never_matched_by_a_local_connection() {
        let rooms = VoiceRooms::default();
        rooms.take_seat("a", Seat { node: Some("n2".into()), ..seat(1, "bob") });
        assert!(rooms.seat_of_conn(1).is_none());
        assert!(rooms.set_muted(1, true).is_none());
        assert!(rooms.leave(1).is_none());
        assert!(rooms.leave_remote("n3", &UserId("bob".into())).is_none());
        assert!(rooms.set_muted_remote("n2", &UserId("bob".into()), true).unwrap().1.muted);
        rooms.take_seat("a", seat(1, "alice"));
        rooms.take_seat("b", Seat { node: Some("n2".into()), ..seat(2, "carol") });
        let gone: Vec<String> = rooms.remove_node("n2").into_iter().map(|(_, s)| s.username).collect();
        assert_eq!(gone.len(), 2);
        assert_eq!(rooms.all().len(), 1);
        assert_eq!(rooms.seats("a")[0].username, "alice");
    }

    #[test]
    fn a_user_holds_one_seat_and_rooms_vanish_when_empty() {
        let rooms = VoiceRooms::default();
        assert_eq!(rooms.take_seat("lounge", seat(1, "alice")), None);
        assert_eq!(rooms.take_seat("lounge", seat(2, "bob")), None);
        assert_eq!(rooms.seats("lounge").iter().map(|s| s.conn).collect::<Vec<_>>(), vec![1, 2]);
        // alice again from another connection and channel: her old seat comes back, one seat.
        let old = rooms.take_seat("studio", seat(3, "alice")).unwrap();
        assert_eq!((old.0.as_str(), old.1.conn), ("lounge", 1));
        assert_eq!(rooms.seats("lounge").iter().map(|s| s.conn).collect::<Vec<_>>(), vec![2]);
        assert!(rooms.seat_of_conn(1).is_none());
        // Removing by an old connection does not touch the new seat.
        assert!(rooms.remove_seat("studio", 1).is_none());
        assert_eq!(rooms.leave(3).unwrap().0, "studio");
        assert_eq!(rooms.leave(2).unwrap().0, "lounge");
        assert!(rooms.all().is_empty());
    }

    #[test]
    fn mute_changes_only_the_seat_of_that_connection() {
        let rooms = VoiceRooms::default();
        rooms.take_seat("a", seat(1, "alice"));
        rooms.take_seat("b", seat(2, "bob"));
        let (channel, s) = rooms.set_muted(2, true).unwrap();
        assert_eq!((channel.as_str(), s.muted), ("b", true));
        assert!(!rooms.seats("a")[0].muted);
        assert!(rooms.set_muted(9, true).is_none());
    }

    #[test]
    fn peer_ids_must_be_short_non_empty_strings() {
        assert!(valid_peer_id("abc"));
        assert!(!valid_peer_id(""));
        assert!(!valid_peer_id(&"x".repeat(257)));
        assert!(valid_peer_id(&"x".repeat(256)));
        assert!(valid_peer_id(&"é".repeat(256)), "characters, not bytes");
    }
}
