//! Record locks shared by the nodes of a cluster (docs/design/cluster.md#record-locks): a
//! PostgreSQL transaction-scoped advisory lock, keyed by a hash of the record's key, taken
//! in a transaction that stays open while the caller reads, changes and writes the record
//! on other connections of the pool, and released when that transaction ends.

use std::sync::Arc;

use application::ports::{SharedGuard, SharedLocks, StoreResult};
use async_trait::async_trait;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement, TransactionTrait};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::store_error;

/// How many record locks one node holds at once. Each holds a pooled connection while its
/// holder needs another one for the read and the write, so this stays well below the pool
/// size (16 on PostgreSQL) and the pool can never be filled by lock holders alone.
pub const HELD_AT_ONCE: usize = 4;

/// Namespace of record-lock keys, apart from the start-up and migration locks.
const NAMESPACE: u64 = 0x6f63_7265_636f_7264;

/// Advisory locks of one PostgreSQL database.
pub struct PgRecordLocks {
    db: DatabaseConnection,
    slots: Arc<Semaphore>,
}

impl PgRecordLocks {
    /// Locks of `db`; `None` unless it is PostgreSQL (SQLite serves a single node).
    pub fn of(db: &DatabaseConnection) -> Option<Self> {
        (db.get_database_backend() == DbBackend::Postgres)
            .then(|| Self { db: db.clone(), slots: Arc::new(Semaphore::new(HELD_AT_ONCE)) })
    }
}

/// The 64-bit key of a record (FNV-1a, stable across nodes and builds).
pub fn lock_key(key: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325 ^ NAMESPACE;
    for b in key.bytes() {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

struct Held {
    tx: Option<DatabaseTransaction>,
    _slot: OwnedSemaphorePermit,
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(tx) = self.tx.take() {
            // Ending the transaction releases the lock.
            tokio::spawn(async move {
                if let Err(e) = tx.commit().await {
                    tracing::warn!(error = %e, "releasing a record lock");
                }
            });
        }
    }
}

#[async_trait]
impl SharedLocks for PgRecordLocks {
    async fn lock(&self, key: &str) -> StoreResult<SharedGuard> {
        let slot = self.slots.clone().acquire_owned().await.map_err(|e| {
            application::ports::StoreError::new(application::ports::StoreErrorKind::Other, "record lock", e.to_string())
        })?;
        let tx = self.db.begin().await.map_err(|e| store_error("record lock", e))?;
        let lock = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [lock_key(key).into()],
        );
        tx.execute_raw(lock).await.map_err(|e| store_error("record lock", e))?;
        Ok(Box::new(Held { tx: Some(tx), _slot: slot }))
    }
}

#[cfg(test)]
mod tests {
    use super::lock_key;

    #[test]
    fn keys_are_stable_and_distinct() {
        assert_eq!(lock_key("message\0general\0a"), lock_key("message\0general\0a"));
        assert_ne!(lock_key("message\0general\0a"), lock_key("message\0general\0b"));
        assert_ne!(lock_key("user\0a"), lock_key("message\0a"));
    }
}
