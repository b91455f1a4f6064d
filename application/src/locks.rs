//! Per-record locks. Every read-modify-write of one user or one message holds the lock of
//! its record, so two concurrent changes never overwrite each other (a ban racing a login,
//! two reactions on one message). Locks are striped; a task never holds two at once.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use domain::UserId;
use tokio::sync::{Mutex, MutexGuard};

const STRIPES: usize = 256;

/// The lock table.
pub struct Locks {
    stripes: Vec<Mutex<()>>,
}

impl Default for Locks {
    fn default() -> Self {
        Self { stripes: (0..STRIPES).map(|_| Mutex::new(())).collect() }
    }
}

impl Locks {
    async fn of(&self, key: impl Hash) -> MutexGuard<'_, ()> {
        let mut h = DefaultHasher::new();
        key.hash(&mut h);
        self.stripes[(h.finish() as usize) % STRIPES].lock().await
    }

    /// The lock of one user record.
    pub async fn user(&self, id: &UserId) -> MutexGuard<'_, ()> {
        self.of(("user", id.as_str())).await
    }

    /// The lock of one message.
    pub async fn message(&self, channel: &str, id: &str) -> MutexGuard<'_, ()> {
        self.of(("message", channel, id)).await
    }
}
