//! Voice signalling (docs/design/voice.md): a roster service for WebRTC peer-to-peer calls. The server
//! records who is in which voice channel with their opaque `peer_id` and tells the channel's
//! viewers about changes; media never touches it.
//!
//! Choices (docs/design/voice.md): `view` is required; a user holds one seat, and a join
//! from another connection moves it (the old connection is told with a `voice_leave`
//! notice); `peer_id`s go only to connections in the call, viewers get the same events
//! without them; seats of users who lost `view`, or of channels deleted or retyped, are
//! cleared after every channel or role change.

use std::sync::Arc;

use domain::{Action, ChannelKind, User, may};

use super::{Audience, Directory, Gate, Outcome, Reply};
use crate::errors::VoiceError;
use crate::hub::Hub;
use crate::limiter::Purpose;
use crate::ports::{ClusterEvent, Store, VoiceChange};
use crate::voice::{Seat, VoiceRooms};
use crate::{ConnId, Packet, Session};

/// Voice channel rosters.
pub struct Voice {
    rooms: Arc<VoiceRooms>,
    store: Arc<dyn Store>,
    directory: Arc<Directory>,
    audience: Arc<Audience>,
    gate: Arc<Gate>,
    hub: Arc<Hub>,
}

impl Voice {
    /// The voice service.
    pub fn new(
        rooms: Arc<VoiceRooms>,
        store: Arc<dyn Store>,
        directory: Arc<Directory>,
        audience: Arc<Audience>,
        gate: Arc<Gate>,
        hub: Arc<Hub>,
    ) -> Self {
        Self { rooms, store, directory, audience, gate, hub }
    }

    /// The voice-channel access check of `voice_join` and `voice_state`.
    async fn access(&self, session: &Session, channel: &str) -> Result<User, VoiceError> {
        let user = self.directory.caller_found(session).await?;
        let chan = self.store.channel(channel).await?;
        if !may(&user.roles, chan.as_ref(), Action::View) {
            return Err(VoiceError::VoiceAccessDenied);
        }
        if !chan.is_some_and(|c| c.kind == ChannelKind::Voice) {
            return Err(VoiceError::NotVoiceChannel);
        }
        Ok(user)
    }

    /// Sends a voice event to the viewers of `channel`: connections in the call get the
    /// `peer_id` variant, the others the variant without it; `also` are added to the call
    /// audience (a leaver who is no longer seated).
    async fn event(&self, channel: &str, event: impl Fn(bool) -> Packet, also: &[ConnId]) {
        let in_call: Vec<ConnId> = self
            .rooms
            .seats(channel)
            .iter()
            .filter(|s| s.node.is_none())
            .map(|s| s.conn)
            .chain(also.iter().copied())
            .collect();
        let (callers, watchers): (Vec<ConnId>, Vec<ConnId>) =
            self.audience.viewers(channel).await.iter().partition(|c| in_call.contains(c));
        let mut targets: Vec<ConnId> = also.iter().copied().filter(|c| !callers.contains(c)).collect();
        targets.extend(callers);
        let (with_peer, without) = (event(true), event(false));
        if with_peer == without {
            targets.extend(watchers);
            return self.hub.fan_out(&with_peer, &targets, &Default::default());
        }
        self.hub.fan_out(&with_peer, &targets, &Default::default());
        if !watchers.is_empty() {
            self.hub.fan_out(&without, &watchers, &Default::default());
        }
    }

    /// Tells the viewers of `channel` (and `also`) that `seat`, already taken away, left.
    async fn announce_left(&self, channel: &str, seat: &Seat, also: &[ConnId]) {
        let left = Packet::VoiceUserLeft { channel: channel.to_owned(), username: seat.username.clone() };
        self.event(channel, |_| left.clone(), also).await;
    }

    /// `voice_join`: take a seat, leaving any other seat of the same user first.
    pub async fn join(&self, session: &Session, channel: String, peer_id: String) -> Outcome<VoiceError> {
        let user = self.access(session, &channel).await?;
        self.gate.take(session, Purpose::Voice)?;
        let seat = Seat {
            conn: session.conn,
            node: None,
            user: user.id.clone(),
            username: user.display_name().to_owned(),
            peer_id,
            muted: false,
        };
        self.publish(VoiceChange::Joined {
            channel: channel.clone(),
            user: seat.user.clone(),
            username: seat.username.clone(),
            peer_id: seat.peer_id.clone(),
        });
        self.seat(&channel, seat).await;
        let participants = self.rooms.seats(&channel).into_iter().filter(|s| s.user != user.id).collect();
        Ok(Reply::Packet(Packet::VoiceJoined { channel, participants }))
    }

    fn publish(&self, change: VoiceChange) {
        self.hub.bus().publish(ClusterEvent::Voice(change));
    }

    /// Seats `seat` (of this node or another) and tells this node's connections: the
    /// user's old seat, wherever it was, goes as this one comes.
    async fn seat(&self, channel: &str, seat: Seat) {
        let here = seat.node.is_none().then_some(seat.conn);
        if let Some((old_channel, old)) = self.rooms.take_seat(channel, seat.clone()) {
            let old_here: Vec<ConnId> = old.node.is_none().then_some(old.conn).into_iter().collect();
            self.announce_left(&old_channel, &old, &old_here).await;
            if old.node.is_none() && Some(old.conn) != here {
                self.hub.send(old.conn, &Packet::VoiceLeft { channel: old_channel }, None);
            }
        }
        let event = |with_peer| Packet::VoiceUserJoined { channel: channel.to_owned(), seat: seat.clone(), with_peer };
        self.event(channel, event, &[]).await;
    }

    /// Applies a seat change another node made (docs/design/cluster.md#voice).
    pub async fn remote(&self, node: &str, change: VoiceChange) {
        match change {
            VoiceChange::Joined { channel, user, username, peer_id } => {
                let seat = Seat { conn: 0, node: Some(node.to_owned()), user, username, peer_id, muted: false };
                self.seat(&channel, seat).await;
            }
            VoiceChange::Muted { user, muted } => {
                if let Some((channel, seat)) = self.rooms.set_muted_remote(node, &user, muted) {
                    let event = |with_peer| Packet::VoiceUserUpdated {
                        channel: channel.clone(),
                        seat: seat.clone(),
                        with_peer,
                    };
                    self.event(&channel, event, &[]).await;
                }
            }
            VoiceChange::Left(user) => {
                if let Some((channel, seat)) = self.rooms.leave_remote(node, &user) {
                    self.announce_left(&channel, &seat, &[]).await;
                }
            }
            VoiceChange::Present { channel, user, username, peer_id, muted } => {
                let seat = Seat { conn: 0, node: Some(node.to_owned()), user, username, peer_id, muted };
                self.rooms.take_seat_if_unknown(&channel, seat);
            }
        }
    }

    /// Publishes the seats held on this node again (for a node that just joined).
    pub fn announce(&self) {
        for (channel, seats) in self.rooms.all() {
            for seat in seats.into_iter().filter(|s| s.node.is_none()) {
                self.publish(VoiceChange::Present {
                    channel: channel.clone(),
                    user: seat.user,
                    username: seat.username,
                    peer_id: seat.peer_id,
                    muted: seat.muted,
                });
            }
        }
    }

    /// A node is gone: its seats are released as if its connections had closed.
    pub async fn node_gone(&self, node: &str) {
        for (channel, seat) in self.rooms.remove_node(node) {
            self.announce_left(&channel, &seat, &[]).await;
        }
    }

    /// `voice_leave`: leave the call this connection is in.
    pub async fn leave(&self, session: &Session) -> Outcome<VoiceError> {
        let (channel, seat) = self.rooms.leave(session.conn).ok_or(VoiceError::NotInVoiceChannel)?;
        self.publish(VoiceChange::Left(seat.user.clone()));
        self.announce_left(&channel, &seat, &[session.conn]).await;
        Ok(Reply::Packet(Packet::VoiceLeft { channel }))
    }

    /// `voice_mute` / `voice_unmute`: set the advisory mute flag and tell the channel.
    pub async fn mute(&self, session: &Session, muted: bool) -> Outcome<VoiceError> {
        if self.rooms.seat_of_conn(session.conn).is_none() {
            return Err(VoiceError::NotInVoiceChannel);
        }
        self.gate.take(session, Purpose::Voice)?;
        let (channel, seat) = self.rooms.set_muted(session.conn, muted).ok_or(VoiceError::NotInVoiceChannel)?;
        self.publish(VoiceChange::Muted { user: seat.user.clone(), muted });
        let event = |with_peer| Packet::VoiceUserUpdated { channel: channel.clone(), seat: seat.clone(), with_peer };
        self.event(&channel, event, &[]).await;
        Ok(Reply::Packet(Packet::VoiceMuted { channel, muted }))
    }

    /// `voice_state`: who is in a voice channel; `peer_id`s only for a connection in it.
    pub async fn state(&self, session: &Session, channel: String) -> Outcome<VoiceError> {
        self.access(session, &channel).await?;
        let participants = self.rooms.seats(&channel);
        let with_peer = participants.iter().any(|s| s.is_here(session.conn));
        Ok(Reply::Packet(Packet::VoiceState { channel, participants, with_peer }))
    }

    /// A closed connection leaves its call; the others in the channel are told.
    pub async fn disconnect(&self, conn: ConnId) {
        if let Some((channel, seat)) = self.rooms.leave(conn) {
            self.publish(VoiceChange::Left(seat.user.clone()));
            self.announce_left(&channel, &seat, &[]).await;
        }
    }

    /// Clears seats that no longer hold after a channel or role change: the channel is
    /// gone or no longer a voice channel, or the participant lost `view`. Each node clears
    /// its own seats and tells the others.
    pub async fn reconcile(&self) {
        for (channel, seats) in self.rooms.all() {
            let seats: Vec<Seat> = seats.into_iter().filter(|s| s.node.is_none()).collect();
            if seats.is_empty() {
                continue;
            }
            let chan = match self.store.channel(&channel).await {
                Ok(c) => c,
                Err(e) => return tracing::error!(error = %e, "voice: channel lookup failed"),
            };
            for seat in seats {
                let keeps = match (&chan, self.store.user(&seat.user).await) {
                    (Some(c), Ok(Some(u))) => c.kind == ChannelKind::Voice && may(&u.roles, Some(c), Action::View),
                    (_, Err(e)) => {
                        tracing::error!(error = %e, "voice: user lookup failed");
                        true
                    }
                    _ => false,
                };
                if !keeps && let Some(seat) = self.rooms.remove_seat(&channel, seat.conn) {
                    tracing::info!(channel, user = %seat.username, "voice: seat cleared after a change");
                    self.publish(VoiceChange::Left(seat.user.clone()));
                    self.announce_left(&channel, &seat, &[]).await;
                    self.hub.send(seat.conn, &Packet::VoiceLeft { channel: channel.clone() }, None);
                }
            }
        }
    }
}
