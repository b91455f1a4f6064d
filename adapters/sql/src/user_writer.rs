//! Group commit for user records. Every login writes its user (a first login inserts it, a
//! returning one stores a new session token), and each write is a durable commit; on
//! SQLite they all wait for the one writer. Writes queued while a batch commits go together
//! in the next transaction, and each caller is answered once its batch committed. A batch
//! that fails is written again one write at a time, so that one bad write (the duplicate
//! insert of a concurrent first login) fails alone.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter,
};
use tokio::sync::{mpsc, oneshot};

use super::entities::users;

/// Largest batch written in one transaction.
const MAX_BATCH: usize = 128;

/// One write of a user record.
pub enum UserWrite {
    /// A new record.
    Insert(users::ActiveModel),
    /// The record whose (stored) id is `id` becomes `row`.
    Update {
        /// The stored id.
        id: String,
        /// The new values, without the id.
        row: users::ActiveModel,
    },
}

struct Pending {
    write: UserWrite,
    done: oneshot::Sender<Result<bool, DbErr>>,
}

/// Handle to the writer task.
#[derive(Clone)]
pub struct UserWriter {
    queue: mpsc::Sender<Pending>,
}

impl UserWriter {
    /// Starts the writer task on the current runtime.
    pub fn spawn(db: DatabaseConnection) -> Self {
        let (queue, rx) = mpsc::channel(1024);
        super::writer::spawn_on_own_thread("user-writer", run(db, rx));
        Self { queue }
    }

    /// Writes once committed; `false` when an update found no such record.
    pub async fn write(&self, write: UserWrite) -> Result<bool, DbErr> {
        let (done, answer) = oneshot::channel();
        self.queue.send(Pending { write, done }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> DbErr {
    DbErr::Custom("user writer stopped".into())
}

async fn apply(tx: &DatabaseTransaction, write: &UserWrite) -> Result<bool, DbErr> {
    match write {
        UserWrite::Insert(row) => row.clone().insert(tx).await.map(|_| true),
        UserWrite::Update { id, row } => {
            let done = users::Entity::update_many()
                .set(row.clone())
                .filter(users::Column::Id.eq(id.as_str()))
                .exec(tx)
                .await?;
            Ok(done.rows_affected > 0)
        }
    }
}

/// Writes a batch in one transaction; per write, whether it found its record.
async fn write_batch(db: &DatabaseConnection, batch: &[Pending]) -> Result<Vec<bool>, DbErr> {
    let tx = super::connect::begin_write(db).await?;
    let mut written = Vec::with_capacity(batch.len());
    for p in batch {
        written.push(apply(&tx, &p.write).await?);
    }
    tx.commit().await?;
    Ok(written)
}

async fn run(db: DatabaseConnection, mut rx: mpsc::Receiver<Pending>) {
    while let Some(mut batch) = super::writer::next_batch(&mut rx, MAX_BATCH).await {
        match write_batch(&db, &batch).await {
            Ok(written) => {
                for (p, found) in batch.into_iter().zip(written) {
                    let _ = p.done.send(Ok(found));
                }
            }
            Err(e) if batch.len() == 1 => {
                let _ = batch.pop().map(|p| p.done.send(Err(e)));
            }
            Err(_) => {
                for p in batch {
                    let one = write_batch(&db, std::slice::from_ref(&p)).await;
                    let _ = p.done.send(one.map(|w| w.first().copied().unwrap_or(false)));
                }
            }
        }
    }
}
