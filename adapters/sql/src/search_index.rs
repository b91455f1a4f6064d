//! SQLite's trigram index for search (`messages_fts`) is filled behind the message writer
//! instead of inside every message commit (docs/design/messages.md#search-index).
//!
//! `search_index_state.indexed_upto` is the highest message `seq` the index holds; every
//! row at or below it is indexed, none above it. The message writer indexes the rows above
//! it in passes of its own ([`Backlog`]), between its batches; edits and deletes keep the
//! index exact for indexed rows only (triggers conditioned on the mark), and a search
//! matches the rows above the mark by themselves (search.rs). Postgres keeps its `pg_trgm`
//! index inside each commit, as before: nothing here runs there.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};
use sea_orm_migration::prelude::*;
use tokio::time::Instant;

/// Rows indexed in one transaction at most.
const PASS_ROWS: i64 = 4096;
/// How long a new row may wait unindexed.
const INDEX_DELAY: Duration = Duration::from_millis(500);
/// Rows waiting past which a pass runs before the next batch, whatever the delay.
const MAX_BACKLOG: usize = 2048;
/// How often the writer looks for rows written by others (an import) when it wrote none.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Moves the index's upkeep on insert out of the message commit (m0009).
pub struct DeferredSearchIndex;

impl MigrationName for DeferredSearchIndex {
    fn name(&self) -> &str {
        "m0009_deferred_search_index"
    }
}

/// Every row stored so far was indexed by the insert trigger this drops.
const SQLITE_DEFER: &str = "
DROP TRIGGER messages_fts_ai;
CREATE TABLE search_index_state (id INTEGER PRIMARY KEY CHECK (id = 1), indexed_upto INTEGER NOT NULL);
INSERT INTO search_index_state (id, indexed_upto) SELECT 1, COALESCE(MAX(seq), 0) FROM messages;
DROP TRIGGER messages_fts_ad;
DROP TRIGGER messages_fts_au;
CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages
WHEN old.seq <= (SELECT indexed_upto FROM search_index_state) BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, content_lower) VALUES ('delete', old.seq, old.content_lower);
END;
CREATE TRIGGER messages_fts_au AFTER UPDATE OF content_lower ON messages
WHEN old.seq <= (SELECT indexed_upto FROM search_index_state) BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, content_lower) VALUES ('delete', old.seq, old.content_lower);
  INSERT INTO messages_fts(rowid, content_lower) VALUES (new.seq, new.content_lower);
END;
";

#[async_trait::async_trait]
impl MigrationTrait for DeferredSearchIndex {
    /// All of it or nothing: a crash halfway must not leave a schema the migration cannot
    /// run on again (the migrator uses no transaction on SQLite by default).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            manager.get_connection().execute_unprepared(SQLITE_DEFER).await?;
        }
        Ok(())
    }
}

/// The seqs of the rows the index does not hold yet, as a subquery.
pub(crate) const UNINDEXED_SEQS: &str =
    "SELECT seq FROM messages WHERE seq > (SELECT indexed_upto FROM search_index_state)";

/// Indexes up to [`PASS_ROWS`] of the rows above the mark in one transaction and moves the
/// mark past them. Returns how many it indexed.
pub(crate) async fn index_pass(db: &DatabaseConnection) -> Result<i64, DbErr> {
    let waiting =
        format!("SELECT MAX(seq) AS hi, COUNT(*) AS n FROM ({UNINDEXED_SEQS} ORDER BY seq LIMIT {PASS_ROWS})");
    let probe = |row: Option<sea_orm::QueryResult>| -> Result<(Option<i64>, i64), DbErr> {
        let Some(row) = row else { return Ok((None, 0)) };
        Ok((row.try_get("", "hi")?, row.try_get("", "n")?))
    };
    // A plain read first: a pass with nothing to do takes no write lock.
    if probe(db.query_one_raw(Statement::from_string(DbBackend::Sqlite, waiting.clone())).await?)?.1 == 0 {
        return Ok(0);
    }
    let tx = super::connect::begin_write(db).await?;
    let (Some(hi), n) = probe(tx.query_one_raw(Statement::from_string(DbBackend::Sqlite, waiting)).await?)? else {
        tx.commit().await?;
        return Ok(0);
    };
    let fill = format!(
        "INSERT INTO messages_fts(rowid, content_lower) SELECT seq, content_lower FROM messages \
         WHERE seq > (SELECT indexed_upto FROM search_index_state) AND seq <= {hi}"
    );
    tx.execute_unprepared(&fill).await?;
    tx.execute_unprepared(&format!("UPDATE search_index_state SET indexed_upto = {hi}")).await?;
    tx.commit().await?;
    Ok(n)
}

/// The message writer's account of rows it wrote and the index does not hold yet: when the
/// next indexing pass is due. One pass per turn of the writer's loop, so batches still go
/// between the passes of a long catch-up. Inactive on Postgres.
pub(crate) struct Backlog {
    active: bool,
    rows: usize,
    /// When the next pass is due; `None`: nothing known to wait (a sweep is due later).
    next: Option<Instant>,
    last_pass: Instant,
}

impl Backlog {
    /// Rows of an earlier run may be waiting: the first pass is due after the delay.
    pub(crate) fn new(backend: DbBackend) -> Self {
        let now = Instant::now();
        Self { active: backend == DbBackend::Sqlite, rows: 0, next: Some(now + INDEX_DELAY), last_pass: now }
    }

    /// The writer committed `rows` new messages.
    pub(crate) fn wrote(&mut self, rows: usize) {
        if self.active && rows > 0 {
            self.rows += rows;
            self.next.get_or_insert_with(|| Instant::now() + INDEX_DELAY);
        }
    }

    /// So many rows wait that a pass goes before the next batch.
    pub(crate) fn overdue(&self) -> bool {
        self.active && self.rows >= MAX_BACKLOG
    }

    /// Resolves when a pass is due: [`INDEX_DELAY`] after the oldest waiting row, at once
    /// while a catch-up has more to do, or a sweep for rows written by others; never on
    /// Postgres.
    pub(crate) async fn due(&self) {
        if !self.active {
            return std::future::pending().await;
        }
        tokio::time::sleep_until(self.next.unwrap_or(self.last_pass + SWEEP_EVERY)).await;
    }

    /// Runs one pass. A failure is logged and retried after the delay; search stays exact
    /// meanwhile (it matches unindexed rows by themselves).
    pub(crate) async fn pass(&mut self, db: &DatabaseConnection) {
        if !self.active {
            return;
        }
        let now = Instant::now();
        match index_pass(db).await {
            Ok(n) => {
                if n > 0 {
                    tracing::debug!(rows = n, took = ?now.elapsed(), "search index: rows indexed");
                }
                self.rows = 0;
                self.last_pass = now;
                self.next = (n == PASS_ROWS).then_some(now);
            }
            Err(e) => {
                tracing::warn!(error = %e, "search index: pass failed; retrying later");
                self.rows = 0;
                self.next = Some(now + INDEX_DELAY);
            }
        }
    }

    /// Passes until nothing waits (or one fails): when the writer stops.
    pub(crate) async fn finish(&mut self, db: &DatabaseConnection) {
        self.pass(db).await;
        while self.active && self.next.is_some_and(|at| at <= self.last_pass) {
            self.pass(db).await;
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use sea_orm::{Database, QueryResult};
    use sea_orm_migration::MigratorTrait;

    use super::*;
    use crate::connect::{StorageUrl, connect};
    use crate::migration::Migrator;

    async fn exec(db: &DatabaseConnection, sql: &str) {
        db.execute_unprepared(sql).await.unwrap();
    }

    async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<QueryResult> {
        db.query_all_raw(Statement::from_string(DbBackend::Sqlite, sql.to_owned())).await.unwrap()
    }

    /// A message row in channel 1 with this (lowercase) text.
    async fn insert(db: &DatabaseConnection, text: &str) {
        exec(
            db,
            &format!(
                "INSERT INTO messages (channel_seq, id, user_id, content, content_lower, timestamp, pinned, data) \
                 VALUES (1, '{text}', 'u', '{text}', '{text}', 1.0, 0, '{{}}')"
            ),
        )
        .await;
    }

    /// The seqs the index matches for `needle`.
    async fn indexed(db: &DatabaseConnection, needle: &str) -> Vec<i64> {
        let sql = format!("SELECT rowid FROM messages_fts WHERE messages_fts MATCH '\"{needle}\"' ORDER BY rowid");
        rows(db, &sql).await.iter().map(|r| r.try_get_by_index(0).unwrap()).collect()
    }

    /// The index's mark.
    pub(crate) async fn mark(db: &DatabaseConnection) -> i64 {
        rows(db, "SELECT indexed_upto FROM search_index_state").await[0].try_get_by_index(0).unwrap()
    }

    /// FTS5's own check of the index against the messages table (all of it: it fails
    /// while messages wait above the mark).
    async fn consistent(db: &DatabaseConnection) -> Result<(), DbErr> {
        db.execute_unprepared("INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)")
            .await
            .map(drop)
    }

    async fn migrated() -> (tempfile::TempDir, DatabaseConnection) {
        let dir = tempfile::tempdir().unwrap();
        let db = connect(&StorageUrl::Sqlite(dir.path().join("t.db"))).await.unwrap();
        (dir, db)
    }

    #[tokio::test]
    async fn the_check_sees_an_index_that_disagrees_with_the_messages() {
        let (_dir, db) = migrated().await;
        insert(&db, "alpha").await;
        assert_eq!(index_pass(&db).await.unwrap(), 1);
        consistent(&db).await.unwrap();
        // What a 'delete' of a row the index never held would leave behind.
        exec(&db, "INSERT INTO messages_fts(rowid, content_lower) VALUES (1, 'stale')").await;
        assert!(consistent(&db).await.is_err());
    }

    #[tokio::test]
    async fn passes_index_new_rows_and_edits_and_deletes_keep_the_index_exact() {
        let (_dir, db) = migrated().await;
        assert_eq!(mark(&db).await, 0);
        for text in ["alpha one", "beta two", "gamma three"] {
            insert(&db, text).await;
        }
        assert_eq!(indexed(&db, "alp").await, Vec::<i64>::new(), "a commit indexes nothing");
        // Rows the index does not hold yet: an edit and a delete must not touch it.
        exec(&db, "UPDATE messages SET content_lower = 'beta changed' WHERE seq = 2").await;
        exec(&db, "DELETE FROM messages WHERE seq = 3").await;
        assert_eq!(index_pass(&db).await.unwrap(), 2);
        assert_eq!(mark(&db).await, 2);
        // (The check compares the index with every message, so it holds once all are indexed.)
        consistent(&db).await.unwrap();
        assert_eq!(indexed(&db, "alp").await, [1]);
        assert_eq!(indexed(&db, "changed").await, [2]);
        assert_eq!(indexed(&db, "two").await, Vec::<i64>::new());
        assert_eq!(indexed(&db, "gam").await, Vec::<i64>::new());
        assert_eq!(index_pass(&db).await.unwrap(), 0, "nothing left");
        // Indexed rows: the index follows an edit and a delete.
        exec(&db, "UPDATE messages SET content_lower = 'alpha edited' WHERE seq = 1").await;
        exec(&db, "DELETE FROM messages WHERE seq = 2").await;
        assert_eq!(indexed(&db, "one").await, Vec::<i64>::new());
        assert_eq!(indexed(&db, "edited").await, [1]);
        assert_eq!(indexed(&db, "changed").await, Vec::<i64>::new());
        consistent(&db).await.unwrap();
        insert(&db, "delta four").await;
        assert_eq!(index_pass(&db).await.unwrap(), 1);
        assert_eq!((mark(&db).await, indexed(&db, "delta").await), (4, vec![4]));
        consistent(&db).await.unwrap();
    }

    /// The store's search condition (search.rs) on rows on both sides of the mark.
    #[tokio::test]
    async fn the_search_condition_matches_indexed_and_waiting_rows_alike() {
        use sea_orm::{EntityTrait, QueryFilter, QueryOrder, QuerySelect};

        use crate::entities::messages;
        use crate::search::{content_contains, index_prefilter};

        let (_dir, db) = migrated().await;
        let search = |needle: &'static str| {
            let db = db.clone();
            async move {
                let prefilter = index_prefilter(DbBackend::Sqlite, needle).expect("a long enough needle");
                let found: Vec<i64> = messages::Entity::find()
                    .select_only()
                    .column(messages::Column::Seq)
                    .filter(content_contains(DbBackend::Sqlite, needle))
                    .filter(prefilter)
                    .order_by_desc(messages::Column::Seq)
                    .into_tuple()
                    .all(&db)
                    .await
                    .unwrap();
                found
            }
        };
        insert(&db, "old needle").await;
        insert(&db, "old hay").await;
        assert_eq!(index_pass(&db).await.unwrap(), 2);
        insert(&db, "new needle").await;
        insert(&db, "new hay").await;
        assert_eq!(mark(&db).await, 2, "rows 3 and 4 wait above the mark");
        assert_eq!(search("needle").await, [3, 1]);
        assert_eq!(search("hay").await, [4, 2]);
        assert_eq!(index_pass(&db).await.unwrap(), 2);
        assert_eq!(search("needle").await, [3, 1], "the same once indexed");
    }

    #[tokio::test]
    async fn a_long_backlog_is_indexed_in_bounded_passes() {
        let (_dir, db) = migrated().await;
        let values: Vec<String> =
            (0..PASS_ROWS + 10).map(|i| format!("(1, 'm{i}', 'u', 'row {i}', 'row {i}', 1.0, 0, '{{}}')")).collect();
        exec(
            &db,
            &format!(
                "INSERT INTO messages (channel_seq, id, user_id, content, content_lower, timestamp, pinned, data) VALUES {}",
                values.join(",")
            ),
        )
        .await;
        assert_eq!(index_pass(&db).await.unwrap(), PASS_ROWS);
        assert_eq!(mark(&db).await, PASS_ROWS);
        assert_eq!(index_pass(&db).await.unwrap(), 10);
        assert_eq!(indexed(&db, "row 4100").await, [4101]);
        consistent(&db).await.unwrap();
    }

    #[tokio::test]
    async fn a_database_indexed_by_the_old_trigger_is_marked_whole() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
        let db = Database::connect(url).await.unwrap();
        let this = DeferredSearchIndex.name().to_owned();
        let before = Migrator::migrations().iter().position(|m| m.name() == this).unwrap() as u32;
        Migrator::up(&db, Some(before)).await.unwrap();
        insert(&db, "kept one").await;
        insert(&db, "kept two").await;
        Migrator::up(&db, None).await.unwrap();
        assert_eq!(mark(&db).await, 2);
        assert_eq!(indexed(&db, "kept").await, [1, 2]);
        assert_eq!(index_pass(&db).await.unwrap(), 0);
        exec(&db, "DELETE FROM messages WHERE seq = 1").await;
        assert_eq!(indexed(&db, "kept").await, [2]);
        consistent(&db).await.unwrap();
    }
}
