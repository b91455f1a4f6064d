//! Pipelined requests of one connection (docs/design/connections.md#pipelining): requests
//! take effect in arrival order and their answers go out in arrival order, but a request
//! that only waits for its commit lets the next one start, so one sender's messages share
//! group commits.
//!
//! Each request gets a ticket. Two sequencers keep the order: *effects* (what a request
//! changes) and *replies* (what it sends). A request runs once every earlier one has made
//! its effect; before it sends anything it waits until every earlier one has sent its
//! answers. Most commands simply wait for both before they start; `message_new` starts after
//! the effects of the earlier ones, queues its append, lets the next request start, waits for
//! its commit, then for its turn to send.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

/// Lets tickets through in order: `wait(t)` returns once every ticket before `t` is done.
#[derive(Debug, Default)]
pub struct Sequencer {
    state: Mutex<(u64, BTreeSet<u64>)>,
    moved: Notify,
}

impl Sequencer {
    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, BTreeSet<u64>)> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until every ticket before `ticket` is done.
    pub async fn wait(&self, ticket: u64) {
        loop {
            let moved = self.moved.notified();
            if self.lock().0 >= ticket {
                return;
            }
            moved.await;
        }
    }

    /// Marks `ticket` done (in any order).
    pub fn done(&self, ticket: u64) {
        let mut st = self.lock();
        st.1.insert(ticket);
        let before = st.0;
        let mut next = before;
        while st.1.remove(&next) {
            next += 1;
        }
        st.0 = next;
        let advanced = next != before;
        drop(st);
        if advanced {
            self.moved.notify_waiters();
        }
    }
}

/// The sequencers of one connection and the next ticket.
#[derive(Debug, Default)]
pub struct Pipeline {
    effects: Sequencer,
    replies: Sequencer,
    next: Mutex<u64>,
}

impl Pipeline {
    /// The turn of the next request.
    pub fn next_turn(self: &Arc<Self>) -> Arc<Turn> {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        let ticket = *next;
        *next += 1;
        Arc::new(Turn {
            pipeline: self.clone(),
            ticket,
            effects_done: AtomicBool::new(false),
            replies_done: AtomicBool::new(false),
        })
    }
}

/// One request's place in its connection's pipeline. Dropping it releases both turns, so a
/// request that ends early (or fails) never holds up the ones after it.
#[derive(Debug)]
pub struct Turn {
    pipeline: Arc<Pipeline>,
    ticket: u64,
    effects_done: AtomicBool,
    replies_done: AtomicBool,
}

impl Turn {
    /// Waits for this request's turn to run: after the effects of every earlier request
    /// and, unless `pipelined`, after their answers too.
    pub async fn enter(&self, pipelined: bool) {
        self.pipeline.effects.wait(self.ticket).await;
        if !pipelined {
            self.pipeline.replies.wait(self.ticket).await;
        }
    }

    /// This request has made its effect (it now only waits for a commit): the next one may
    /// start.
    pub fn release_effects(&self) {
        if !self.effects_done.swap(true, Ordering::AcqRel) {
            self.pipeline.effects.done(self.ticket);
        }
    }

    /// Waits until every earlier request has sent its answers.
    pub async fn before_output(&self) {
        self.pipeline.replies.wait(self.ticket).await;
    }

    /// This request is over: both turns pass on.
    pub fn finish(&self) {
        self.release_effects();
        if !self.replies_done.swap(true, Ordering::AcqRel) {
            self.pipeline.replies.done(self.ticket);
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn tickets_pass_in_order_whatever_order_they_finish_in() {
        let s = Arc::new(Sequencer::default());
        s.done(1);
        s.done(2);
        let waiting = tokio::spawn({
            let s = s.clone();
            async move { s.wait(3).await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "0 is not done");
        s.done(0);
        tokio::time::timeout(Duration::from_secs(5), waiting).await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn a_pipelined_request_lets_the_next_start_before_its_answer() {
        let p = Arc::new(Pipeline::default());
        let first = p.next_turn();
        let second = p.next_turn();
        first.enter(true).await;
        first.release_effects();
        // The second may run its effect now…
        tokio::time::timeout(Duration::from_secs(5), second.enter(true)).await.unwrap();
        // …but not send before the first has.
        let sending = tokio::spawn({
            let second = second.clone();
            async move { second.before_output().await }
        });
        tokio::task::yield_now().await;
        assert!(!sending.is_finished());
        first.finish();
        tokio::time::timeout(Duration::from_secs(5), sending).await.unwrap().unwrap();
        drop(first);
        drop(second);
        let third = p.next_turn();
        tokio::time::timeout(Duration::from_secs(5), third.enter(false)).await.unwrap();
    }
}
