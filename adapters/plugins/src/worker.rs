//! One thread per plugin: events queue up (bounded), the plugin handles them one at a time
//! off the async workers, and the actions it asks for go to the application. A plugin that
//! panics, errs or breaks its limits loses that event; one that breaks its limits several
//! times in a row, or holds more memory than its budget once, is stopped until it is
//! reloaded. Sending actions never blocks: a plugin
//! with too many actions still waiting to be carried out loses the new ones, which counts
//! as breaking a limit, so one flooding plugin cannot hold up the others.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::AtomicUsize;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};

use application::ports::{ActionSender, PluginAction, PluginEvent, Queued, Requested, Ticket};

/// Limit faults in a row after which a plugin is stopped.
pub const STRIKES: u32 = 3;

/// Why a plugin did not finish an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// A runtime error of the plugin's own making.
    Error(String),
    /// A limit was reached: operations, sizes, memory, call depth or time.
    Limit(String),
    /// The plugin cannot go on (it held more memory than its budget): it stops at once.
    Stop(String),
}

/// Something that handles events.
pub trait Handler: Send + 'static {
    /// Handles one event; the actions are carried out only when it finishes.
    fn handle(&mut self, event: &PluginEvent) -> Result<Vec<PluginAction>, Fault>;
}

/// The queue in front of a plugin's thread.
pub struct Worker {
    key: String,
    queue: SyncSender<Arc<PluginEvent>>,
    stopped: Arc<Mutex<Option<String>>>,
}

impl Worker {
    /// Starts the thread of plugin `key`: at most `queue` events wait for it, and at most
    /// `waiting` of its actions wait to be carried out.
    pub fn spawn(
        key: &str,
        handler: Box<dyn Handler>,
        actions: ActionSender,
        queue: usize,
        waiting: usize,
    ) -> std::io::Result<Self> {
        let (tx, rx) = sync_channel(queue.max(1));
        let stopped = Arc::new(Mutex::new(None));
        let outlet = Outlet { key: key.to_owned(), actions, waiting: Arc::default(), max: waiting.max(1) };
        let flag = stopped.clone();
        std::thread::Builder::new().name(format!("plugin-{key}")).spawn(move || run(handler, rx, outlet, flag))?;
        Ok(Self { key: key.to_owned(), queue: tx, stopped })
    }

    /// Offers an event without waiting; a full queue drops it (logged).
    pub fn offer(&self, event: Arc<PluginEvent>) {
        if self.stopped().is_some() {
            return;
        }
        match self.queue.try_send(event) {
            Ok(()) => {}
            Err(TrySendError::Full(e)) => {
                tracing::warn!(plugin = %self.key, event = e.name(), "plugin is behind; event dropped")
            }
            Err(TrySendError::Disconnected(_)) => {}
        }
    }

    /// Why the plugin was stopped, if it was.
    pub fn stopped(&self) -> Option<String> {
        self.stopped.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Where a plugin's actions go, with its count of actions still waiting.
struct Outlet {
    key: String,
    actions: ActionSender,
    waiting: Arc<AtomicUsize>,
    max: usize,
}

impl Outlet {
    /// Sends the actions; `Err` with how many were dropped because too many wait.
    fn send(&self, list: Vec<PluginAction>) -> Result<(), Fault> {
        let mut dropped = 0;
        for action in list {
            let Some(ticket) = Ticket::take(&self.waiting, self.max) else {
                dropped += 1;
                continue;
            };
            let requested = Requested { plugin: self.key.clone(), action };
            let _ = self.actions.send(Queued { requested, ticket });
        }
        match dropped {
            0 => Ok(()),
            n => Err(Fault::Limit(format!("{n} actions dropped: {} are still waiting to be carried out", self.max))),
        }
    }
}

fn run(
    mut handler: Box<dyn Handler>,
    events: Receiver<Arc<PluginEvent>>,
    outlet: Outlet,
    stopped: Arc<Mutex<Option<String>>>,
) {
    let key = outlet.key.as_str();
    let mut strikes = 0;
    while let Ok(event) = events.recv() {
        if outlet.actions.is_closed() {
            return;
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| handler.handle(&event)))
            .unwrap_or_else(|_| Err(Fault::Error("the plugin panicked".into())))
            .and_then(|list| outlet.send(list));
        match outcome {
            Ok(()) => strikes = 0,
            Err(Fault::Error(why)) => {
                strikes = 0;
                tracing::warn!(plugin = key, event = event.name(), error = %why, "plugin failed on an event");
            }
            Err(Fault::Stop(why)) => {
                let reason = format!("stopped: {why}");
                tracing::error!(plugin = key, event = event.name(), "{reason}; it runs again after a reload");
                *stopped.lock().unwrap_or_else(|p| p.into_inner()) = Some(reason);
                return;
            }
            Err(Fault::Limit(why)) => {
                strikes += 1;
                tracing::error!(plugin = key, event = event.name(), limit = %why, strikes, "plugin stopped on a limit");
                if strikes >= STRIKES {
                    let reason = format!("stopped after {STRIKES} limit faults in a row (last: {why})");
                    tracing::error!(plugin = key, "{reason}; it runs again after a reload");
                    *stopped.lock().unwrap_or_else(|p| p.into_inner()) = Some(reason);
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Scripted(Vec<Result<Vec<PluginAction>, Fault>>);

    impl Handler for Scripted {
        fn handle(&mut self, _event: &PluginEvent) -> Result<Vec<PluginAction>, Fault> {
            if self.0.is_empty() { panic!("out of answers") } else { self.0.remove(0) }
        }
    }

    fn send(channel: &str) -> PluginAction {
        PluginAction::SendMessage { channel: channel.into(), content: "x".into(), author: "p".into() }
    }

    #[test]
    fn actions_arrive_and_faults_neither_stop_nor_leak_actions() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let answers = vec![Ok(vec![send("a")]), Err(Fault::Error("boom".into())), Ok(vec![send("b")])];
        let w = Worker::spawn("t", Box::new(Scripted(answers)), tx, 8, 8).unwrap();
        for _ in 0..3 {
            w.offer(Arc::new(PluginEvent::ServerStart));
        }
        let first = rx.blocking_recv().unwrap();
        let second = rx.blocking_recv().unwrap();
        assert_eq!((first.requested.plugin.as_str(), first.requested.action), ("t", send("a")));
        assert_eq!(second.requested.action, send("b"));
        assert!(w.stopped().is_none());
    }

    #[test]
    fn repeated_limit_faults_stop_the_plugin() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let limit = || Err(Fault::Limit("time".into()));
        let answers = vec![limit(), limit(), Ok(vec![send("ok")]), limit(), limit(), limit(), Ok(vec![send("late")])];
        let w = Worker::spawn("t", Box::new(Scripted(answers)), tx, 16, 8).unwrap();
        for _ in 0..7 {
            w.offer(Arc::new(PluginEvent::ServerStart));
        }
        assert_eq!(rx.blocking_recv().unwrap().requested.action, send("ok"));
        // The thread ends after the third strike in a row: the channel closes, "late" never comes.
        assert!(rx.blocking_recv().is_none());
        assert!(w.stopped().unwrap().contains("3 limit faults"));
    }

    #[test]
    fn a_fatal_fault_stops_the_plugin_at_once() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let answers = vec![Ok(vec![send("ok")]), Err(Fault::Stop("too big".into())), Ok(vec![send("late")])];
        let w = Worker::spawn("t", Box::new(Scripted(answers)), tx, 8, 8).unwrap();
        for _ in 0..3 {
            w.offer(Arc::new(PluginEvent::ServerStart));
        }
        assert_eq!(rx.blocking_recv().unwrap().requested.action, send("ok"));
        assert!(rx.blocking_recv().is_none(), "the thread ended: \"late\" never comes");
        assert_eq!(w.stopped().as_deref(), Some("stopped: too big"));
    }

    #[test]
    fn a_panicking_plugin_loses_the_event_only() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let w = Worker::spawn("t", Box::new(Scripted(vec![])), tx, 8, 8).unwrap();
        w.offer(Arc::new(PluginEvent::ServerStart));
        w.offer(Arc::new(PluginEvent::ServerStart));
        drop(w);
        assert!(rx.blocking_recv().is_none());
    }

    #[test]
    fn a_flooding_plugin_loses_actions_and_is_stopped_without_blocking() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let flood = || Ok((0..10).map(|_| send("x")).collect());
        let answers = vec![flood(), flood(), flood(), Ok(vec![send("never")])];
        let w = Worker::spawn("flood", Box::new(Scripted(answers)), tx.clone(), 8, 4).unwrap();
        let calm = Worker::spawn("calm", Box::new(Scripted(vec![Ok(vec![send("calm")])])), tx, 8, 4).unwrap();
        for _ in 0..4 {
            w.offer(Arc::new(PluginEvent::ServerStart));
        }
        // Nothing is carried out meanwhile: the flood's first 4 actions wait, the rest drop.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while w.stopped().is_none() {
            assert!(std::time::Instant::now() < deadline, "the flooding plugin was never stopped");
            std::thread::yield_now();
        }
        assert!(w.stopped().unwrap().contains("actions dropped"));
        calm.offer(Arc::new(PluginEvent::ServerStart));
        let mut got = vec![];
        while got.iter().all(|q: &Queued| q.requested.plugin != "calm") {
            got.push(rx.blocking_recv().unwrap());
        }
        assert_eq!(got.iter().filter(|q| q.requested.plugin == "flood").count(), 4, "only what fitted");
    }
}
