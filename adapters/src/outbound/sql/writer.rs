//! Group commit for new messages: appends from every channel queue up here and are written
//! in one transaction per batch, so many senders share one fsync instead of each waiting
//! for its own. Each sender is answered only after its batch committed.

use sea_orm::{DatabaseConnection, EntityTrait, TransactionTrait};
use tokio::sync::{mpsc, oneshot};

use application::ports::{StoreError, StoreResult};

use super::entities::messages;

/// Largest batch written in one transaction.
const MAX_BATCH: usize = 256;

struct Pending {
    row: messages::ActiveModel,
    done: oneshot::Sender<StoreResult<()>>,
}

/// Handle to the writer task.
#[derive(Clone)]
pub struct MessageWriter {
    queue: mpsc::Sender<Pending>,
}

impl MessageWriter {
    /// Starts the writer task on the current runtime.
    pub fn spawn(db: DatabaseConnection) -> Self {
        let (queue, rx) = mpsc::channel(4096);
        tokio::spawn(run(db, rx));
        Self { queue }
    }

    /// Writes a row; returns once it is committed.
    pub async fn append(&self, row: messages::ActiveModel) -> StoreResult<()> {
        let (done, answer) = oneshot::channel();
        self.queue.send(Pending { row, done }).await.map_err(|_| StoreError("message writer stopped".into()))?;
        answer.await.map_err(|_| StoreError("message writer stopped".into()))?
    }
}

async fn write_batch(db: &DatabaseConnection, rows: Vec<messages::ActiveModel>) -> Result<(), sea_orm::DbErr> {
    let tx = db.begin().await?;
    messages::Entity::insert_many(rows).exec(&tx).await?;
    tx.commit().await
}

async fn run(db: DatabaseConnection, mut rx: mpsc::Receiver<Pending>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let rows: Vec<_> = batch.iter().map(|p| p.row.clone()).collect();
        match write_batch(&db, rows).await {
            Ok(()) => {
                for p in batch {
                    let _ = p.done.send(Ok(()));
                }
            }
            Err(e) if batch.len() == 1 => {
                let _ = batch.pop().map(|p| p.done.send(Err(StoreError(e.to_string()))));
            }
            Err(_) => {
                // One bad row must not fail its neighbours: retry one by one.
                for p in batch {
                    let result = write_batch(&db, vec![p.row.clone()]).await.map_err(|e| StoreError(e.to_string()));
                    let _ = p.done.send(result);
                }
            }
        }
    }
}
