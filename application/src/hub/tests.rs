use super::*;
use crate::ports::MockOutbox;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts encodings so the tests can prove "once per variant".
struct CountingEncoder(AtomicUsize);

impl PacketEncoder for CountingEncoder {
    fn encode(&self, packet: &Packet, listener: Option<&str>) -> Frame {
        self.0.fetch_add(1, Ordering::SeqCst);
        Frame::new(format!("{packet:?}|{listener:?}"))
    }
}

fn user(id: &str) -> SessionUser {
    SessionUser { id: UserId(id.into()), username: id.into() }
}

fn accepting(expected: usize) -> Arc<dyn Outbox> {
    let mut m = MockOutbox::new();
    m.expect_push().times(expected).returning(|_| true);
    m.expect_close().never();
    Arc::new(m)
}

#[test]
fn broadcast_is_encoded_once_for_many_recipients() {
    let enc = Arc::new(CountingEncoder(AtomicUsize::new(0)));
    let hub = Hub::new(enc.clone());
    for c in 0..50 {
        hub.register(c, accepting(1));
        hub.authenticate(c, user(&format!("u{c}")));
    }
    hub.send_all_authenticated(&Packet::Ping);
    assert_eq!(enc.0.load(Ordering::SeqCst), 1);
}

#[test]
fn sender_copy_with_listener_is_a_second_variant() {
    let enc = Arc::new(CountingEncoder(AtomicUsize::new(0)));
    let hub = Hub::new(enc.clone());
    for c in 0..3 {
        hub.register(c, accepting(1));
    }
    hub.fan_out(&Packet::Pong, &[0, 1, 2], &Origin::of(0, Some("l".into())));
    assert_eq!(enc.0.load(Ordering::SeqCst), 2);
}

#[test]
fn packets_sent_together_reach_each_connection_in_one_push_in_order() {
    let enc = Arc::new(CountingEncoder(AtomicUsize::new(0)));
    let bus = Arc::new(RecordingBus::default());
    let hub = Hub::with_bus(enc.clone(), bus.clone(), Arc::new(LocalPresence));
    let expected = [Packet::Ping, Packet::Pong].map(|p| Frame::new(format!("{p:?}|{:?}", None::<&str>)));
    for c in 0..3 {
        let mut m = MockOutbox::new();
        let want = expected.to_vec();
        m.expect_push_all().withf(move |frames| frames == want.as_slice()).times(1).returning(|_| true);
        m.expect_push().never();
        m.expect_close().never();
        hub.register(c, Arc::new(m));
        hub.authenticate(c, user(&format!("u{c}")));
    }
    // Not authenticated: gets nothing (its mock fails on any push).
    let mut stranger = MockOutbox::new();
    stranger.expect_push_all().never();
    stranger.expect_push().never();
    hub.register(3, Arc::new(stranger));
    hub.send_all_authenticated_many(&[Packet::Ping, Packet::Pong]);
    assert_eq!(enc.0.load(Ordering::SeqCst), 2, "each packet encoded once");
    let published = std::mem::take(&mut *bus.0.lock().unwrap());
    let deliver = |frame: &Frame| ClusterEvent::Deliver { target: Target::Everyone, frame: frame.clone() };
    assert_eq!(published, expected.iter().map(deliver).collect::<Vec<_>>(), "published in order");
}

/// A queue taking one packet (`push`) or several together (`push_all`) and answering
/// `accepts`.
fn taking(together: bool, accepts: bool) -> MockOutbox {
    let mut m = MockOutbox::new();
    if together {
        m.expect_push_all().times(1).return_const(accepts);
    } else {
        m.expect_push().times(1).return_const(accepts);
    }
    m
}

#[test]
fn full_queue_closes_the_slow_consumer_only() {
    for together in [false, true] {
        let hub = Hub::new(Arc::new(CountingEncoder(AtomicUsize::new(0))));
        let mut slow = taking(together, false);
        slow.expect_close().withf(|code, reason| *code == 1008 && reason == "slow consumer").times(1).return_const(());
        let mut fine = taking(together, true);
        fine.expect_close().never();
        for (c, outbox) in [(1, slow), (2, fine)] {
            hub.register(c, Arc::new(outbox));
            hub.authenticate(c, user(&format!("u{c}")));
        }
        if together {
            hub.send_all_authenticated_many(&[Packet::Ping, Packet::Pong]);
        } else {
            hub.fan_out(&Packet::Ping, &[1, 2], &Origin::default());
        }
    }
}

#[test]
fn presence_counts_connections_per_user_and_cleans_up_once() {
    let hub = Hub::new(Arc::new(CountingEncoder(AtomicUsize::new(0))));
    hub.register(1, accepting(0));
    hub.register(2, accepting(0));
    assert!(hub.authenticate(1, user("a")));
    assert!(!hub.authenticate(2, user("a")));
    assert_eq!(hub.unregister(1).map(|d| d.last), Some(false));
    assert_eq!(hub.unregister(1), None);
    assert_eq!(hub.unregister(2).map(|d| d.last), Some(true));
    assert!(!hub.is_online(&UserId("a".into())));
}

/// Records what the hub publishes to other nodes.
#[derive(Default)]
struct RecordingBus(std::sync::Mutex<Vec<ClusterEvent>>);

impl EventBus for RecordingBus {
    fn publish(&self, event: ClusterEvent) {
        self.0.lock().unwrap().push(event);
    }
    fn clustered(&self) -> bool {
        true
    }
}

#[test]
fn a_clustered_broadcast_is_encoded_once_and_published_once() {
    let enc = Arc::new(CountingEncoder(AtomicUsize::new(0)));
    let bus = Arc::new(RecordingBus::default());
    let hub = Hub::with_bus(enc.clone(), bus.clone(), Arc::new(LocalPresence));
    for c in 0..5 {
        hub.register(c, accepting(2));
        hub.authenticate(c, user(&format!("u{c}")));
    }
    hub.send_all_authenticated(&Packet::Ping);
    assert_eq!(enc.0.load(Ordering::SeqCst), 1, "one encoding for local and remote recipients");
    let published = std::mem::take(&mut *bus.0.lock().unwrap());
    let frame = Frame::new(format!("{:?}|{:?}", Packet::Ping, None::<&str>));
    assert_eq!(published, [ClusterEvent::Deliver { target: Target::Everyone, frame: frame.clone() }]);
    // What another node published is delivered here, and not published again.
    assert!(hub.receive(&ClusterEvent::Deliver { target: Target::Everyone, frame }));
    assert!(bus.0.lock().unwrap().is_empty(), "received events are never re-published");
    assert_eq!(enc.0.load(Ordering::SeqCst), 1);
}

#[test]
fn a_closed_user_is_closed_on_every_node() {
    let bus = Arc::new(RecordingBus::default());
    let hub = Hub::with_bus(Arc::new(CountingEncoder(AtomicUsize::new(0))), bus.clone(), Arc::new(LocalPresence));
    let mut m = MockOutbox::new();
    m.expect_close().times(2).returning(|code, reason| assert_eq!((code, reason), (1008, "banned")));
    hub.register(1, Arc::new(m));
    hub.authenticate(1, user("m"));
    hub.close_user(&UserId("m".into()), 1008, "banned");
    let close = ClusterEvent::CloseUser { user: UserId("m".into()), code: 1008, reason: "banned".into() };
    assert_eq!(bus.0.lock().unwrap().as_slice(), std::slice::from_ref(&close));
    assert!(hub.receive(&close));
    assert_eq!(bus.0.lock().unwrap().len(), 1);
}
