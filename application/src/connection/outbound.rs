//! A connection's outbound queue: bounded in packets and in bytes, drained in batches by the
//! transport's writer (docs/design/transport.md#limits).

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::sync::Notify;

use crate::ports::{Frame, Outbox};

/// A close the connection was asked for: code and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseRequest {
    /// WebSocket close code (other transports map it).
    pub code: u16,
    /// Why, for the peer.
    pub reason: String,
}

#[derive(Debug, Default)]
struct State {
    frames: VecDeque<Frame>,
    bytes: usize,
    close: Option<CloseRequest>,
}

/// The bounded queue between the hub and a connection's writer.
#[derive(Debug)]
pub struct OutboundQueue {
    state: Mutex<State>,
    ready: Notify,
    closing: Notify,
    max_frames: usize,
    max_bytes: usize,
}

/// What the writer takes from the queue.
#[derive(Debug, PartialEq, Eq)]
pub enum Batch {
    /// Frames to write, in order.
    Frames(Vec<Frame>),
    /// Nothing is queued and the connection is to be closed.
    Close(CloseRequest),
}

impl OutboundQueue {
    /// A queue holding at most `max_frames` packets and `max_bytes` bytes.
    pub fn new(max_frames: usize, max_bytes: usize) -> Self {
        Self {
            state: Mutex::default(),
            ready: Notify::new(),
            closing: Notify::new(),
            max_frames: max_frames.max(1),
            max_bytes: max_bytes.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Bytes queued and not yet taken by the writer.
    pub fn pending_bytes(&self) -> usize {
        self.lock().bytes
    }

    /// The close asked for, if any.
    pub fn close_requested(&self) -> Option<CloseRequest> {
        self.lock().close.clone()
    }

    /// Resolves once a close is asked for (at once if it already was).
    pub async fn closed(&self) {
        loop {
            let notified = self.closing.notified();
            if self.close_requested().is_some() {
                return;
            }
            notified.await;
        }
    }

    /// Waits until something is queued or a close is asked for, then takes up to
    /// `max_frames` frames and `max_bytes` bytes (at least one frame), or the close once
    /// nothing is left to write.
    pub async fn next_batch(&self, max_frames: usize, max_bytes: usize) -> Batch {
        loop {
            let notified = self.ready.notified();
            {
                let mut st = self.lock();
                let whole = st.frames.len() <= max_frames && st.bytes <= max_bytes;
                if !st.frames.is_empty() && whole {
                    // Everything goes: the queue's storage goes with it, so a connection
                    // that is idle after a burst holds none (docs/design/transport.md#lean-connections).
                    st.bytes = 0;
                    return Batch::Frames(Vec::from(std::mem::take(&mut st.frames)));
                }
                if !st.frames.is_empty() {
                    let mut out = Vec::with_capacity(st.frames.len().min(max_frames));
                    let mut taken = 0;
                    while let Some(f) = st.frames.front() {
                        let len = f.bytes().len();
                        if !out.is_empty() && (out.len() >= max_frames || taken + len > max_bytes) {
                            break;
                        }
                        taken += len;
                        out.push(st.frames.pop_front().unwrap_or_else(|| unreachable!("front was Some")));
                    }
                    st.bytes -= taken;
                    return Batch::Frames(out);
                }
                if let Some(close) = &st.close {
                    return Batch::Close(close.clone());
                }
            }
            notified.await;
        }
    }
}

impl Outbox for OutboundQueue {
    fn push(&self, frame: Frame) -> bool {
        self.push_all(std::slice::from_ref(&frame))
    }

    fn push_all(&self, frames: &[Frame]) -> bool {
        let mut st = self.lock();
        let len: usize = frames.iter().map(|f| f.bytes().len()).sum();
        if st.close.is_some() || st.frames.len() + frames.len() > self.max_frames || st.bytes + len > self.max_bytes {
            return false;
        }
        // The writer looks at the queue again after each batch before it waits, so only
        // the first frame after it found the queue empty needs to wake it.
        let was_empty = st.frames.is_empty();
        st.bytes += len;
        st.frames.extend(frames.iter().cloned());
        drop(st);
        if was_empty {
            self.ready.notify_one();
        }
        true
    }

    fn close(&self, code: u16, reason: &str) {
        let mut st = self.lock();
        if st.close.is_none() {
            st.close = Some(CloseRequest { code, reason: reason.to_owned() });
        }
        drop(st);
        self.ready.notify_one();
        self.closing.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: usize) -> Frame {
        Frame::new("x".repeat(n))
    }

    #[test]
    fn the_queue_is_bounded_in_packets_and_in_bytes() {
        let q = OutboundQueue::new(3, 100);
        assert!(q.push(frame(10)));
        assert!(q.push(frame(10)));
        assert!(q.push(frame(10)));
        assert!(!q.push(frame(1)), "a fourth packet is refused");
        let q = OutboundQueue::new(100, 100);
        assert!(q.push(frame(60)));
        assert!(!q.push(frame(41)), "101 bytes are refused");
        assert!(q.push(frame(40)));
        assert_eq!(q.pending_bytes(), 100);
    }

    #[tokio::test]
    async fn batches_drain_in_order_then_the_close_comes_last() {
        let q = OutboundQueue::new(100, 1000);
        for n in 1..=5 {
            assert!(q.push(frame(n)));
        }
        q.close(1008, "bye");
        assert!(!q.push(frame(1)), "nothing is queued after a close");
        let Batch::Frames(first) = q.next_batch(2, 1000).await else { panic!("frames first") };
        assert_eq!(first.iter().map(|f| f.bytes().len()).collect::<Vec<_>>(), [1, 2]);
        let Batch::Frames(rest) = q.next_batch(10, 7).await else { panic!("frames first") };
        assert_eq!(rest.iter().map(|f| f.bytes().len()).collect::<Vec<_>>(), [3, 4], "at most 7 bytes");
        let Batch::Frames(last) = q.next_batch(10, 1).await else { panic!("frames first") };
        assert_eq!(last.len(), 1, "one frame even when it is larger than the byte cap");
        assert_eq!(q.next_batch(10, 1000).await, Batch::Close(CloseRequest { code: 1008, reason: "bye".into() }));
        assert_eq!(q.pending_bytes(), 0);
    }

    #[tokio::test]
    async fn a_queue_drained_whole_keeps_no_storage() {
        let q = OutboundQueue::new(1000, 100_000);
        for n in 1..=300 {
            assert!(q.push(frame(n % 7 + 1)));
        }
        assert!(q.lock().frames.capacity() >= 300);
        let Batch::Frames(all) = q.next_batch(1000, 100_000).await else { panic!("frames") };
        assert_eq!(all.len(), 300);
        assert_eq!(
            all.iter().map(|f| f.bytes().len()).collect::<Vec<_>>(),
            (1..=300).map(|n| n % 7 + 1).collect::<Vec<_>>()
        );
        assert_eq!(q.lock().frames.capacity(), 0, "the burst's storage left with the batch");
        assert_eq!(q.pending_bytes(), 0);
        assert!(q.push(frame(5)), "and the queue still takes packets");
    }

    #[tokio::test]
    async fn the_writer_wakes_for_a_push() {
        let q = std::sync::Arc::new(OutboundQueue::new(10, 1000));
        let waiter = tokio::spawn({
            let q = q.clone();
            async move { q.next_batch(10, 1000).await }
        });
        tokio::task::yield_now().await;
        assert!(q.push(frame(3)));
        let batch = tokio::time::timeout(std::time::Duration::from_secs(5), waiter).await.unwrap().unwrap();
        assert_eq!(batch, Batch::Frames(vec![frame(3)]));
    }

    #[test]
    fn frames_pushed_together_are_queued_all_or_none() {
        let q = OutboundQueue::new(3, 100);
        assert!(q.push_all(&[frame(10), frame(10)]));
        assert!(!q.push_all(&[frame(10), frame(10)]), "four packets do not fit in three");
        assert_eq!(q.pending_bytes(), 20, "nothing of the refused pair was queued");
        assert!(q.push_all(&[frame(80)]));
        assert!(!q.push_all(&[frame(1)]), "101 bytes are refused");
    }

    /// Only a push onto an empty queue wakes the writer: a writer that keeps draining
    /// while frames arrive from another thread must still get every one, in order.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_writer_draining_while_frames_arrive_misses_none() {
        const N: usize = 20_000;
        let q = std::sync::Arc::new(OutboundQueue::new(N, N * 8));
        let producer = std::thread::spawn({
            let q = q.clone();
            move || {
                for n in 0..N {
                    assert!(q.push(Frame::new(n.to_string())));
                }
            }
        });
        let mut seen = 0;
        while seen < N {
            let next = tokio::time::timeout(std::time::Duration::from_secs(10), q.next_batch(7, 1000));
            let Batch::Frames(frames) = next.await.expect("a queued frame woke the writer") else { panic!("frames") };
            for f in frames {
                assert_eq!(f.as_str(), seen.to_string());
                seen += 1;
            }
        }
        producer.join().unwrap();
    }
}
