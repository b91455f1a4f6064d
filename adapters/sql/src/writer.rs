//! Group commit for new messages: appends from every channel queue up here and are written
//! in one transaction per batch, so many senders share one fsync instead of each waiting
//! for its own. Each sender is answered only after its batch committed. The batch writes
//! the messages' mention targets too (mention_index.rs); on SQLite the writer fills the
//! search index between batches (search_index.rs).
//!
//! The batch finds its channels inside the transaction (IMMEDIATE on SQLite, `FOR SHARE` on
//! Postgres): a message names its channel and the batch looks all of them up at once, so a
//! message costs no read of its own before it is queued, and one whose channel was deleted
//! meanwhile is refused instead of being left behind as a row without a channel.

use std::collections::{HashMap, HashSet};

use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use tokio::sync::{mpsc, oneshot};

use application::ports::{Commit, StoreError, StoreErrorKind, StoreResult};

use super::entities::{channels, messages};
use super::mention_index::{self, Inserted};
use super::search_index::Backlog;
use super::text::TextCodec;

/// Largest batch written in one transaction.
const MAX_BATCH: usize = 256;

/// Where a message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A channel, by its name in stored form; the batch finds its seq.
    Channel(String),
    /// A thread, by its message key: its negated seq (threads.rs).
    Thread(i64),
}

struct Pending {
    place: Place,
    row: messages::ActiveModel,
    /// Mention targets of the message, as given.
    targets: Vec<String>,
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
        let text = TextCodec::of(db.get_database_backend());
        spawn_on_own_thread("message-writer", run(db, text, rx));
        Self { queue }
    }

    /// Writes a row (in stored form; its channel is set from `place`) with the mention
    /// `targets` of its message (as given); returns once it is committed, or an error when
    /// the channel does not exist.
    #[cfg(test)]
    pub async fn append(&self, place: Place, row: messages::ActiveModel, targets: Vec<String>) -> StoreResult<()> {
        self.submit(place, row, targets).await?.await
    }

    /// Rows queued and not yet taken by the writer.
    #[cfg(test)]
    pub fn queued(&self) -> usize {
        self.queue.max_capacity() - self.queue.capacity()
    }

    /// Queues a row like [`MessageWriter::append`] and returns once it is queued (rows
    /// are written in the order they are queued), with the wait for its commit.
    pub async fn submit(&self, place: Place, row: messages::ActiveModel, targets: Vec<String>) -> StoreResult<Commit> {
        let (done, answer) = oneshot::channel();
        self.queue.send(Pending { place, row, targets, done }).await.map_err(|_| stopped())?;
        Ok(Box::pin(async move { answer.await.map_err(|_| stopped())? }))
    }
}

/// Runs a group-commit writer on a thread of its own with a one-thread runtime, so that the
/// steps of a commit (each a hop to the database driver's thread and back) are not queued
/// behind the connections' tasks on a busy server (docs/design/storage.md#group-commit). The
/// thread ends when the writer's queue is closed.
pub(crate) fn spawn_on_own_thread(name: &str, writer: impl Future<Output = ()> + Send + 'static) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    let started =
        runtime.and_then(|rt| std::thread::Builder::new().name(name.into()).spawn(move || rt.block_on(writer)));
    if let Err(e) = started {
        panic!("cannot start the {name} thread: {e}");
    }
}

/// Waits for the next queued item, then takes whatever else is queued already, up to `max`
/// in all (a group commit's batch); `None` once every sender is gone.
pub(crate) async fn next_batch<T>(rx: &mut mpsc::Receiver<T>, max: usize) -> Option<Vec<T>> {
    let mut batch = vec![rx.recv().await?];
    while batch.len() < max {
        match rx.try_recv() {
            Ok(item) => batch.push(item),
            Err(_) => break,
        }
    }
    Some(batch)
}

fn stopped() -> StoreError {
    StoreError::new(StoreErrorKind::Unavailable, "append_message", "message writer stopped")
}

/// Writes the rows whose channel exists, in one transaction. Returns, per row, whether it
/// was written (`false`: its channel is gone).
async fn write_batch(db: &DatabaseConnection, text: TextCodec, batch: &[Pending]) -> Result<Vec<bool>, sea_orm::DbErr> {
    let tx = super::connect::begin_write(db).await?;
    let mut names = HashSet::new();
    let mut thread_seqs = HashSet::new();
    for p in batch {
        match &p.place {
            Place::Channel(name) => names.insert(name.clone()),
            Place::Thread(key) => thread_seqs.insert(-key),
        };
    }
    let mut by_name = HashMap::new();
    if !names.is_empty() {
        let found: Vec<(i64, String)> = channels::Entity::find()
            .select_only()
            .column(channels::Column::Seq)
            .column(channels::Column::Name)
            .filter(channels::Column::Name.is_in(names))
            .lock_shared()
            .into_tuple()
            .all(&tx)
            .await?;
        by_name.extend(found.into_iter().map(|(seq, name)| (name, seq)));
    }
    let mut threads = HashSet::new();
    if !thread_seqs.is_empty() {
        let found: Vec<i64> = crate::threads::rows::Entity::find()
            .select_only()
            .column(crate::threads::rows::Column::Seq)
            .filter(crate::threads::rows::Column::Seq.is_in(thread_seqs))
            .lock_shared()
            .into_tuple()
            .all(&tx)
            .await?;
        threads.extend(found.into_iter().map(|s| -s));
    }
    let resolved: Vec<Option<i64>> = batch
        .iter()
        .map(|p| match &p.place {
            Place::Channel(name) => by_name.get(name).copied(),
            Place::Thread(key) => threads.contains(key).then_some(*key),
        })
        .collect();
    let live: Vec<(&Pending, i64)> = batch.iter().zip(&resolved).filter_map(|(p, seq)| Some((p, (*seq)?))).collect();
    if !live.is_empty() {
        let rows = live.iter().map(|(p, seq)| {
            let mut row = p.row.clone();
            row.channel_seq = Set(*seq);
            row
        });
        messages::Entity::insert_many(rows).exec(&tx).await?;
        let inserted: Vec<Inserted> = live
            .iter()
            .map(|(p, seq)| Inserted {
                channel_seq: *seq,
                stored_id: p.row.id.try_as_ref().map_or("", String::as_str),
                timestamp: p.row.timestamp.try_as_ref().copied().unwrap_or_default(),
                targets: &p.targets,
            })
            .collect();
        mention_index::index_inserted(&tx, text, &inserted).await?;
    }
    tx.commit().await?;
    Ok(resolved.iter().map(Option::is_some).collect())
}

fn answer(p: Pending, written: bool) {
    let result = if written {
        Ok(())
    } else {
        Err(StoreError::new(StoreErrorKind::Missing, "append_message", "the channel was deleted"))
    };
    let _ = p.done.send(result);
}

async fn run(db: DatabaseConnection, text: TextCodec, mut rx: mpsc::Receiver<Pending>) {
    // The search index is filled between batches, not inside them (search_index.rs).
    let mut backlog = Backlog::new(db.get_database_backend());
    loop {
        if backlog.overdue() {
            backlog.pass(&db).await;
        }
        let next = tokio::select! {
            next = next_batch(&mut rx, MAX_BATCH) => next,
            () = backlog.due() => {
                backlog.pass(&db).await;
                continue;
            }
        };
        let Some(batch) = next else { break };
        let written = write_and_answer(&db, text, batch).await;
        backlog.wrote(written);
    }
    backlog.finish(&db).await;
}

/// Writes a batch and answers each of its senders; returns how many rows were written.
async fn write_and_answer(db: &DatabaseConnection, text: TextCodec, mut batch: Vec<Pending>) -> usize {
    let started = std::time::Instant::now();
    let written = write_batch(db, text, &batch).await;
    application::telemetry::store_commit(batch.len(), started.elapsed());
    let mut rows = 0;
    match written {
        Ok(kept) => {
            for (p, written) in batch.into_iter().zip(kept) {
                rows += usize::from(written);
                answer(p, written);
            }
        }
        Err(e) if batch.len() == 1 => {
            let _ = batch.pop().map(|p| p.done.send(Err(crate::store_error("append_message batch", e))));
        }
        Err(_) => {
            // One bad row must not fail its neighbours: retry one by one.
            for p in batch {
                match write_batch(db, text, std::slice::from_ref(&p)).await {
                    Ok(kept) => {
                        let written = kept.first().copied().unwrap_or(false);
                        rows += usize::from(written);
                        answer(p, written);
                    }
                    Err(e) => {
                        let _ = p.done.send(Err(crate::store_error("append_message batch", e)));
                    }
                }
            }
        }
    }
    rows
}
