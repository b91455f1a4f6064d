//! Resumable sessions (docs/design/resume.md). A client that opted in at `auth` gets a
//! [`ResumableSession`]: the hub delivers to it instead of to the socket's queue. It numbers
//! every packet (`seq`, spliced into the shared bytes), keeps the last `max_buffered` in a
//! ring, and forwards them to the connection attached to it, if any. When the connection
//! goes, the session stays in the hub (same audience, same presence) and keeps filling its
//! ring until a `resume` attaches a new connection or its window ends.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::hub::SLOW_CONSUMER;
use crate::ports::{Frame, Outbox};
use crate::{ConnId, SessionUser};

/// Close code and reason for the connection a session was taken from.
pub const RESUMED_ELSEWHERE: (u16, &str) = (4000, "session resumed elsewhere");

/// Detached sessions one user may have at once on a node; past it, the oldest ends
/// (docs/design/resume.md#bounds).
pub const MAX_DETACHED_PER_USER: usize = 8;

/// `resume.*` (docs/config.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeSettings {
    /// `resume.window_seconds`: how long a detached session waits for a `resume`.
    pub window: Duration,
    /// `resume.max_buffered`: packets kept per session (and arrivals tolerated while detached).
    pub max_buffered: usize,
    /// `resume.max_total_bytes`: all rings of the node together.
    pub max_total_bytes: usize,
    /// Bytes one session's ring keeps (half the connection's outbound byte budget), so a
    /// replay always fits the new connection's queue (docs/design/resume.md#bounds).
    pub max_session_bytes: usize,
}

impl Default for ResumeSettings {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(120),
            max_buffered: 1000,
            max_total_bytes: 256 * 1024 * 1024,
            max_session_bytes: 4 * 1024 * 1024,
        }
    }
}

/// The copy of `frame` that carries `"seq":seq` as its last key: the shared bytes with the
/// number spliced in before the closing brace, no re-serializing (docs/design/resume.md#seq).
pub fn splice_seq(frame: &Frame, seq: u64) -> Frame {
    let text = frame.as_str();
    let Some(at) = text.rfind('}') else { return frame.clone() };
    let head = &text[..at];
    let mut out = String::with_capacity(text.len() + 28);
    out.push_str(head);
    if !head.trim_end().ends_with('{') {
        out.push(',');
    }
    out.push_str("\"seq\":");
    out.push_str(&seq.to_string());
    out.push_str(&text[at..]);
    Frame::new(out)
}

/// The shared bytes `splice_seq(frame, seq)` was made from, if it was.
fn unsplice(frame: &Frame, seq: u64) -> Option<String> {
    let text = frame.as_str();
    let tail = format!("\"seq\":{seq}}}");
    let head = text.strip_suffix(&tail)?;
    let head = head.strip_suffix(',').unwrap_or(head);
    Some(format!("{head}}}"))
}

/// A connection's queue as a session's current link.
#[derive(Clone)]
pub struct Link {
    /// The physical connection.
    pub id: ConnId,
    /// Its outbound queue.
    pub outbox: Arc<dyn Outbox>,
}

struct State {
    last: u64,
    ring: VecDeque<(u64, Frame)>,
    bytes: usize,
    link: Option<Link>,
    detached_at: Option<Instant>,
    since_detach: usize,
    generation: u64,
    ended: bool,
    /// False once something closed the session on purpose (a ban): it then ends with its
    /// connection.
    resumable: bool,
    /// While the session is being fetched from another node: the packets delivered here
    /// meanwhile, not numbered yet (docs/design/resume.md#across-nodes).
    holding: Option<Vec<Frame>>,
}

/// What [`ResumableSession::detach`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detach {
    /// The session waits for a resume; its window task runs with this generation.
    Detached(u64),
    /// The session is over: clean it up now.
    Ended,
    /// Another connection holds the session now (it was resumed elsewhere).
    NotMine,
}

/// Why a `resume` was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused;

/// One resumable session: the hub's outbox for its connection id.
pub struct ResumableSession {
    id: String,
    conn: ConnId,
    user: SessionUser,
    state: Mutex<State>,
    changed: Notify,
    registry: Weak<Resumes>,
    max_buffered: usize,
    max_session_bytes: usize,
}

impl ResumableSession {
    /// The opaque id the client resumes with.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The connection id the hub knows the session by.
    pub fn conn(&self) -> ConnId {
        self.conn
    }

    /// Whose session it is.
    pub fn user(&self) -> &SessionUser {
        &self.user
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn total(&self) -> Option<Arc<Resumes>> {
        self.registry.upgrade()
    }

    fn end_locked(&self, st: &mut State) {
        st.ended = true;
        st.ring.clear();
        if let Some(r) = self.total() {
            r.total.fetch_sub(st.bytes, Ordering::AcqRel);
        }
        st.bytes = 0;
    }

    /// Ends the session at once (its window task cleans up).
    pub fn end(&self) {
        {
            let mut st = self.lock();
            if st.ended {
                return;
            }
            self.end_locked(&mut st);
        }
        self.changed.notify_waiters();
    }

    /// Whether it is detached, and since when.
    pub fn detached_since(&self) -> Option<Instant> {
        let st = self.lock();
        if st.ended { None } else { st.detached_at }
    }

    /// Whether it is still being fetched from another node.
    pub fn is_holding(&self) -> bool {
        self.lock().holding.is_some()
    }

    /// The last number sent so far.
    pub fn last(&self) -> u64 {
        self.lock().last
    }

    /// The connection `link` went away: the session detaches when `link` was its link and
    /// it may still be resumed.
    pub fn detach(&self, link: ConnId) -> Detach {
        let mut st = self.lock();
        if st.link.as_ref().map(|l| l.id) != Some(link) {
            return Detach::NotMine;
        }
        st.link = None;
        if st.ended || !st.resumable {
            if !st.ended {
                self.end_locked(&mut st);
            }
            return Detach::Ended;
        }
        st.detached_at = Some(Instant::now());
        st.since_detach = 0;
        st.generation += 1;
        Detach::Detached(st.generation)
    }

    /// Waits until the window of detachment `generation` ends; true when the session is
    /// over (window passed, overflow, evicted, closed), false when it was resumed.
    pub async fn wait_window(&self, generation: u64, window: Duration) -> bool {
        let deadline = Instant::now() + window;
        loop {
            let changed = self.changed.notified();
            {
                let mut st = self.lock();
                if st.generation != generation {
                    return false;
                }
                if st.ended {
                    return true;
                }
                if Instant::now() >= deadline {
                    self.end_locked(&mut st);
                    return true;
                }
            }
            tokio::select! {
                _ = changed => {}
                _ = tokio::time::sleep_until(deadline) => {}
            }
        }
    }

    /// Whether `seq` can be resumed from: nothing after it is lost and it is not ahead.
    fn resumable_from(st: &State, seq: u64) -> bool {
        let first = st.ring.front().map_or(st.last + 1, |(s, _)| *s);
        !st.ended && st.resumable && st.holding.is_none() && seq <= st.last && seq + 1 >= first
    }

    /// The frames after `seq` and the last number, or why not (the session is unchanged).
    /// Used to hand the session to another node: the session ends here.
    pub fn take_after(&self, seq: u64) -> Result<(Vec<Frame>, u64, Option<Link>), Refused> {
        let (frames, last, old) = {
            let mut st = self.lock();
            if !Self::resumable_from(&st, seq) {
                return Err(Refused);
            }
            let frames: Vec<Frame> = st.ring.iter().filter(|(s, _)| *s > seq).map(|(_, f)| f.clone()).collect();
            let last = st.last;
            let old = st.link.take();
            // Handed over, not over: the window task must not clean up as for an end.
            st.generation += 1;
            self.end_locked(&mut st);
            (frames, last, old)
        };
        self.changed.notify_waiters();
        Ok((frames, last, old))
    }

    /// Attaches `link`: replays every packet after `seq` to it, then `resumed(LAST)`, then
    /// it gets the live packets from LAST+1. The previous connection, if still open, is
    /// closed. Refused (and nothing changed) when `seq` is not resumable.
    pub fn attach(&self, link: Link, seq: u64, resumed: impl FnOnce(u64) -> Frame) -> Result<(), Refused> {
        let old = {
            let mut st = self.lock();
            if !Self::resumable_from(&st, seq) {
                return Err(Refused);
            }
            let mut ok = true;
            for (_, frame) in st.ring.iter().filter(|(s, _)| *s > seq) {
                ok = ok && link.outbox.push(frame.clone());
            }
            ok = ok && link.outbox.push(resumed(st.last));
            if !ok {
                link.outbox.close(SLOW_CONSUMER.0, SLOW_CONSUMER.1);
            }
            let old = st.link.replace(link);
            st.detached_at = None;
            st.since_detach = 0;
            st.generation += 1;
            old
        };
        self.changed.notify_waiters();
        if let Some(old) = old {
            old.outbox.close(RESUMED_ELSEWHERE.0, RESUMED_ELSEWHERE.1);
        }
        Ok(())
    }

    /// Completes a session fetched from another node: its packets after `seq` (numbered up
    /// to `last`) come first, then those delivered here meanwhile that the other node did not
    /// have (the same shared bytes reach both nodes: a held packet equal to one of the last
    /// fetched ones is that one), numbered on from `last`. Everything after `seq` is sent to
    /// `link`, then `resumed`, and `link` gets the live packets from then on.
    pub fn complete(
        &self,
        fetched: Vec<Frame>,
        last: u64,
        seq: u64,
        link: Link,
        resumed: impl FnOnce(u64) -> Frame,
    ) -> Result<(), Refused> {
        let registry = self.total();
        {
            let mut st = self.lock();
            let Some(held) = st.holding.take() else { return Err(Refused) };
            if st.ended || fetched.len() as u64 != last.saturating_sub(seq) {
                return Err(Refused);
            }
            let first = seq + 1;
            let mut overlap: Vec<Option<String>> = fetched
                .iter()
                .enumerate()
                .skip(fetched.len().saturating_sub(held.len()))
                .map(|(i, f)| unsplice(f, first + i as u64))
                .collect();
            st.ring = fetched.into_iter().enumerate().map(|(i, f)| (first + i as u64, f)).collect();
            st.last = last;
            for frame in held {
                if let Some(at) = overlap.iter().position(|o| o.as_deref() == Some(frame.as_str())) {
                    overlap[at] = None;
                    continue;
                }
                st.last += 1;
                let n = st.last;
                st.ring.push_back((n, splice_seq(&frame, n)));
            }
            // Everything in the ring is missed by the client: if it no longer fits the bounds, a
            // replay could not be complete, so the session ends (docs/design/resume.md#bounds).
            let bytes: usize = st.ring.iter().map(|(_, f)| f.bytes().len()).sum();
            if st.ring.len() > self.max_buffered || (st.ring.len() > 1 && bytes > self.max_session_bytes) {
                st.bytes = 0;
                self.end_locked(&mut st);
                drop(st);
                self.changed.notify_waiters();
                return Err(Refused);
            }
            st.bytes = bytes;
            if let Some(r) = &registry {
                r.total.fetch_add(st.bytes, Ordering::AcqRel);
            }
            let mut ok = true;
            for (_, frame) in st.ring.iter() {
                ok = ok && link.outbox.push(frame.clone());
            }
            ok = ok && link.outbox.push(resumed(st.last));
            if !ok {
                link.outbox.close(SLOW_CONSUMER.0, SLOW_CONSUMER.1);
            }
            st.link = Some(link);
        }
        self.changed.notify_waiters();
        Ok(())
    }

    /// Drops the oldest buffered packets until the node is under its byte budget (or one
    /// packet is left).
    fn trim(&self, registry: &Resumes) {
        let mut st = self.lock();
        while st.ring.len() > 1 && registry.total.load(Ordering::Acquire) > registry.settings.max_total_bytes {
            if let Some((_, f)) = st.ring.pop_front() {
                st.bytes -= f.bytes().len();
                registry.total.fetch_sub(f.bytes().len(), Ordering::AcqRel);
            }
        }
    }
}

impl Outbox for ResumableSession {
    fn push(&self, frame: Frame) -> bool {
        let registry = self.total();
        let (accepted, ended, over) = {
            let mut st = self.lock();
            if st.ended {
                return true;
            }
            if let Some(held) = st.holding.as_mut() {
                held.push(frame);
                if held.len() > self.max_buffered {
                    self.end_locked(&mut st);
                    drop(st);
                    self.changed.notify_waiters();
                }
                return true;
            }
            st.last += 1;
            let seq = st.last;
            let numbered = splice_seq(&frame, seq);
            let len = numbered.bytes().len();
            st.ring.push_back((seq, numbered.clone()));
            st.bytes += len;
            let mut freed = 0;
            while st.ring.len() > self.max_buffered.max(1)
                || (st.ring.len() > 1 && st.bytes - freed > self.max_session_bytes)
            {
                if let Some((_, f)) = st.ring.pop_front() {
                    freed += f.bytes().len();
                }
            }
            st.bytes -= freed;
            let total = registry.as_ref().map_or(0, |r| {
                r.total.fetch_add(len, Ordering::AcqRel);
                r.total.fetch_sub(freed, Ordering::AcqRel);
                r.total.load(Ordering::Acquire)
            });
            let accepted = match &st.link {
                Some(link) => link.outbox.push(numbered),
                None => {
                    st.since_detach += 1;
                    if st.since_detach > self.max_buffered {
                        self.end_locked(&mut st);
                    }
                    true
                }
            };
            let over = registry.as_ref().is_some_and(|r| total > r.settings.max_total_bytes);
            (accepted, st.ended, over)
        };
        if ended {
            self.changed.notify_waiters();
        }
        if over && let Some(r) = registry {
            r.shed(self);
        }
        accepted
    }

    fn close(&self, code: u16, reason: &str) {
        let link = {
            let mut st = self.lock();
            if (code, reason) != SLOW_CONSUMER {
                // Closed on purpose (a ban, a deleted user): no resume.
                st.resumable = false;
                if st.link.is_none() && !st.ended {
                    self.end_locked(&mut st);
                }
            }
            st.link.clone()
        };
        self.changed.notify_waiters();
        if let Some(link) = link {
            link.outbox.close(code, reason);
        }
    }
}

/// An outbox that takes nothing (a placeholder link).
struct Nowhere;

impl Outbox for Nowhere {
    fn push(&self, _frame: Frame) -> bool {
        false
    }
    fn close(&self, _code: u16, _reason: &str) {}
}

#[derive(Default)]
struct Maps {
    by_id: HashMap<String, Arc<ResumableSession>>,
    by_conn: HashMap<ConnId, Arc<ResumableSession>>,
}

/// The resumable sessions of this node and their shared byte budget.
pub struct Resumes {
    settings: ResumeSettings,
    maps: Mutex<Maps>,
    total: AtomicUsize,
}

impl Resumes {
    /// No sessions yet.
    pub fn new(settings: ResumeSettings) -> Arc<Self> {
        Arc::new(Self { settings, maps: Mutex::default(), total: AtomicUsize::new(0) })
    }

    /// The settings.
    pub fn settings(&self) -> &ResumeSettings {
        &self.settings
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Maps> {
        self.maps.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new session `id` for connection `conn` of `user`, attached to `link`.
    pub fn create(self: &Arc<Self>, id: String, conn: ConnId, user: SessionUser, link: Link) -> Arc<ResumableSession> {
        let session = Arc::new(ResumableSession {
            id: id.clone(),
            conn,
            user,
            state: Mutex::new(State {
                last: 0,
                ring: VecDeque::new(),
                bytes: 0,
                link: Some(link),
                detached_at: None,
                since_detach: 0,
                generation: 0,
                ended: false,
                resumable: true,
                holding: None,
            }),
            changed: Notify::new(),
            registry: Arc::downgrade(self),
            max_buffered: self.settings.max_buffered.max(1),
            max_session_bytes: self.settings.max_session_bytes,
        });
        let mut maps = self.lock();
        maps.by_id.insert(id, session.clone());
        maps.by_conn.insert(conn, session.clone());
        session
    }

    /// A session `id` being fetched from another node for connection `conn`: it holds what
    /// is delivered to it until [`ResumableSession::complete`].
    pub fn create_holding(self: &Arc<Self>, id: String, conn: ConnId, user: SessionUser) -> Arc<ResumableSession> {
        let placeholder = Link { id: conn, outbox: Arc::new(Nowhere) };
        let session = self.create(id, conn, user, placeholder);
        {
            let mut st = session.lock();
            st.link = None;
            st.holding = Some(vec![]);
        }
        session
    }

    /// The session with this id.
    pub fn get(&self, id: &str) -> Option<Arc<ResumableSession>> {
        self.lock().by_id.get(id).cloned()
    }

    /// The session of a connection id.
    pub fn of_conn(&self, conn: ConnId) -> Option<Arc<ResumableSession>> {
        self.lock().by_conn.get(&conn).cloned()
    }

    /// Forgets an ended session.
    pub fn remove(&self, session: &ResumableSession) {
        session.end();
        let mut maps = self.lock();
        maps.by_id.remove(&session.id);
        maps.by_conn.remove(&session.conn);
    }

    /// Bytes buffered by every session of the node.
    pub fn total_bytes(&self) -> usize {
        self.total.load(Ordering::Acquire)
    }

    fn detached(&self) -> Vec<(Instant, Arc<ResumableSession>)> {
        let all: Vec<Arc<ResumableSession>> = self.lock().by_id.values().cloned().collect();
        let mut out: Vec<_> = all.into_iter().filter_map(|s| s.detached_since().map(|at| (at, s))).collect();
        out.sort_by_key(|(at, _)| *at);
        out
    }

    /// Over the byte budget: the oldest detached sessions end first; if that is not
    /// enough, the session that just grew drops its oldest packets.
    fn shed(&self, growing: &ResumableSession) {
        for (_, session) in self.detached() {
            if self.total_bytes() <= self.settings.max_total_bytes {
                return;
            }
            session.end();
        }
        if self.total_bytes() > self.settings.max_total_bytes {
            growing.trim(self);
        }
    }

    /// Keeps at most [`MAX_DETACHED_PER_USER`] detached sessions of `user`; the oldest end.
    pub fn limit_detached(&self, user: &domain::UserId) {
        let mine: Vec<_> = self.detached().into_iter().filter(|(_, s)| &s.user.id == user).collect();
        let excess = mine.len().saturating_sub(MAX_DETACHED_PER_USER);
        for (_, session) in mine.into_iter().take(excess) {
            session.end();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::OutboundQueue;

    #[test]
    fn seq_is_spliced_before_the_closing_brace() {
        let pong = Frame::new(r#"{"cmd":"pong"}"#.into());
        assert_eq!(splice_seq(&pong, 7).as_str(), r#"{"cmd":"pong","seq":7}"#);
        assert_eq!(splice_seq(&Frame::new("{}".into()), 1).as_str(), r#"{"seq":1}"#);
        assert_eq!(unsplice(&splice_seq(&pong, 12), 12).as_deref(), Some(pong.as_str()));
        assert_eq!(unsplice(&splice_seq(&pong, 12), 2), None);
    }

    #[test]
    fn a_fetched_session_that_no_longer_fits_its_ring_is_refused_not_cut() {
        let r = Resumes::new(ResumeSettings { max_buffered: 3, ..ResumeSettings::default() });
        let s = r.create_holding("s".into(), 9, user());
        for n in [7, 8] {
            assert!(s.push(Frame::new(format!(r#"{{"n":{n}}}"#))));
        }
        let fetched: Vec<Frame> = (4..7).map(|n| splice_seq(&Frame::new(format!(r#"{{"n":{n}}}"#)), n)).collect();
        let (l, _q) = link(1);
        // Five packets after seq 3 were missed, more than the ring keeps: a replay of the last
        // three would silently skip two.
        assert_eq!(s.complete(fetched, 6, 3, l, |_| Frame::new("{}".into())), Err(Refused));
        assert_eq!(r.total_bytes(), 0);
    }

    #[test]
    fn a_fetched_session_drops_what_both_nodes_received() {
        let r = Resumes::new(ResumeSettings::default());
        let s = r.create_holding("s".into(), 9, user());
        let shared = |n: u32| Frame::new(format!(r#"{{"n":{n}}}"#));
        // Held here while the other node answered: 3 and 4 reached both nodes, 5 only this one.
        for n in [3, 4, 5] {
            assert!(s.push(shared(n)));
        }
        let fetched = vec![splice_seq(&shared(2), 11), splice_seq(&shared(3), 12), splice_seq(&shared(4), 13)];
        let (l, q) = link(1);
        s.complete(fetched, 13, 10, l, |last| Frame::new(format!(r#"{{"resumed":{last}}}"#))).unwrap();
        assert_eq!(
            queued(&q),
            [
                r#"{"n":2,"seq":11}"#,
                r#"{"n":3,"seq":12}"#,
                r#"{"n":4,"seq":13}"#,
                r#"{"n":5,"seq":14}"#,
                r#"{"resumed":14}"#
            ]
        );
    }

    fn user() -> SessionUser {
        SessionUser { id: domain::UserId("u".into()), username: "u".into() }
    }

    /// The texts waiting in a connection's queue.
    fn queued(q: &OutboundQueue) -> Vec<String> {
        let crate::connection::Batch::Frames(sent) =
            futures_util::FutureExt::now_or_never(q.next_batch(100, 100_000)).expect("queued")
        else {
            panic!("frames")
        };
        sent.iter().map(|f| f.as_str().to_owned()).collect()
    }

    fn link(id: ConnId) -> (Link, Arc<OutboundQueue>) {
        let q = Arc::new(OutboundQueue::new(100, 100_000));
        (Link { id, outbox: q.clone() }, q)
    }

    /// Packets sent together (a login's presence) to a session whose connection's queue is
    /// full are all numbered and kept for a resume, not only the first.
    #[test]
    fn packets_refused_together_by_a_full_queue_are_all_kept() {
        let r = Resumes::new(ResumeSettings::default());
        let q = Arc::new(OutboundQueue::new(1, 100_000));
        let s = r.create("s".into(), 1, user(), Link { id: 1, outbox: q.clone() });
        assert!(s.push(Frame::new(r#"{"n":1}"#.into())));
        let pair = [Frame::new(r#"{"n":2}"#.into()), Frame::new(r#"{"n":3}"#.into())];
        assert!(!s.push_all(&pair), "the full queue refuses them");
        assert_eq!(s.last(), 3, "both were numbered");
        let (l2, q2) = link(2);
        assert_eq!(s.attach(l2, 1, |_| Frame::new("{}".into())), Ok(()));
        assert_eq!(queued(&q2), [r#"{"n":2,"seq":2}"#, r#"{"n":3,"seq":3}"#, "{}"]);
    }

    #[test]
    fn the_ring_is_bounded_and_a_lost_seq_is_refused() {
        let r = Resumes::new(ResumeSettings { max_buffered: 3, ..ResumeSettings::default() });
        let (l, _) = link(1);
        let s = r.create("s".into(), 1, user(), l);
        for _ in 0..5 {
            assert!(s.push(Frame::new(r#"{"cmd":"x"}"#.into())));
        }
        assert_eq!(s.last(), 5);
        let (l2, _) = link(2);
        assert_eq!(s.attach(l2.clone(), 1, |_| Frame::new("{}".into())), Err(Refused), "2 is gone");
        assert_eq!(s.attach(l2.clone(), 6, |_| Frame::new("{}".into())), Err(Refused), "ahead");
        assert!(s.attach(l2, 2, |_| Frame::new("{}".into())).is_ok());
    }

    #[test]
    fn one_ring_keeps_at_most_its_byte_bound_and_refuses_what_it_dropped() {
        let r = Resumes::new(ResumeSettings { max_session_bytes: 100, ..ResumeSettings::default() });
        let (l, _q) = link(1);
        let s = r.create("s".into(), 1, user(), l);
        for i in 0..10 {
            assert!(s.push(Frame::new(format!("{{\"cmd\":\"x\",\"n\":{i:020}}}"))));
        }
        assert!(r.total_bytes() <= 100, "{}", r.total_bytes());
        assert!(r.total_bytes() > 0);
        let (l2, _q2) = link(2);
        assert_eq!(s.attach(l2, 1, |_| Frame::new("{}".into())), Err(Refused), "seq 2 was dropped");
        let (l3, q3) = link(3);
        assert_eq!(s.attach(l3, 8, |_| Frame::new("{}".into())), Ok(()));
        let texts = queued(&q3);
        assert_eq!(texts.len(), 3, "seq 9, 10 and resumed: {texts:?}");
        assert!(texts[0].ends_with(r#","seq":9}"#) && texts[1].ends_with(r#","seq":10}"#), "{texts:?}");
    }

    #[test]
    fn the_byte_budget_ends_detached_sessions_first() {
        let r = Resumes::new(ResumeSettings { max_total_bytes: 100, ..ResumeSettings::default() });
        let (l1, _) = link(1);
        let (l2, _) = link(2);
        let a = r.create("a".into(), 1, user(), l1);
        let b = r.create("b".into(), 2, user(), l2);
        assert!(a.push(Frame::new("x".repeat(40))));
        assert!(matches!(a.detach(1), Detach::Detached(_)));
        assert!(b.push(Frame::new("y".repeat(40))));
        assert!(a.detached_since().is_some());
        assert!(b.push(Frame::new("y".repeat(40))));
        assert!(a.detached_since().is_none(), "the detached session ended");
        assert!(r.total_bytes() <= 100);
    }
}
