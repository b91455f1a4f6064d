//! Graceful shutdown: one signal that every connection and listener watches, and a count
//! of the connections still open so the server can wait for them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, watch};

#[derive(Debug, Default)]
struct Live {
    count: AtomicUsize,
    idle: Notify,
}

/// The side that starts a shutdown and waits for connections to finish.
#[derive(Debug)]
pub struct ShutdownSignal {
    tx: watch::Sender<bool>,
    live: Arc<Live>,
}

/// What connections and listeners hold: they learn of the shutdown and are counted.
#[derive(Debug, Clone)]
pub struct Shutdown {
    rx: watch::Receiver<bool>,
    live: Arc<Live>,
}

/// Counts one open connection until dropped.
#[derive(Debug)]
pub struct Holder(Arc<Live>);

impl Drop for Holder {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl ShutdownSignal {
    /// A new signal and the handle to watch it.
    pub fn new() -> (Self, Shutdown) {
        let (tx, rx) = watch::channel(false);
        let live = Arc::new(Live::default());
        (Self { tx, live: live.clone() }, Shutdown { rx, live })
    }

    /// Tells everyone watching to wind down.
    pub fn begin(&self) {
        self.tx.send_replace(true);
    }

    /// Connections still open.
    pub fn open_connections(&self) -> usize {
        self.live.count.load(Ordering::SeqCst)
    }

    /// Waits until every counted connection ended, or `deadline` passed; true when all
    /// ended.
    pub async fn wait_idle(&self, deadline: Duration) -> bool {
        let wait = async {
            loop {
                let idle = self.live.idle.notified();
                if self.open_connections() == 0 {
                    return;
                }
                idle.await;
            }
        };
        tokio::time::timeout(deadline, wait).await.is_ok()
    }
}

impl Shutdown {
    /// A handle that is never signalled (tests, tools).
    pub fn never() -> Self {
        ShutdownSignal::new().1
    }

    /// Whether the shutdown has begun.
    pub fn is_requested(&self) -> bool {
        *self.rx.borrow()
    }

    /// Resolves once the shutdown has begun (at once if it already has); never, when the
    /// signal was dropped without beginning one.
    pub async fn requested(&mut self) {
        if self.rx.wait_for(|begun| *begun).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Counts the caller as an open connection until the holder is dropped.
    pub fn hold(&self) -> Holder {
        self.live.count.fetch_add(1, Ordering::SeqCst);
        Holder(self.live.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waiting_ends_when_the_last_connection_ends() {
        let (signal, shutdown) = ShutdownSignal::new();
        let held = shutdown.hold();
        let also = shutdown.hold();
        assert_eq!(signal.open_connections(), 2);
        assert!(!signal.wait_idle(Duration::from_millis(20)).await, "two are open");
        let mut watcher = shutdown.clone();
        signal.begin();
        tokio::time::timeout(Duration::from_secs(5), watcher.requested()).await.unwrap();
        let closer = tokio::spawn(async move {
            drop(held);
            drop(also);
        });
        assert!(signal.wait_idle(Duration::from_secs(5)).await);
        closer.await.unwrap();
    }
}
