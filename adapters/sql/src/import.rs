//! Writing an imported snapshot of the original server (docs/design/import.md).
//!
//! Everything happens in one transaction: the record check, the "only defaults?" check,
//! every row. [`SqlStore::stage_import`] leaves the transaction open so the caller can put
//! files in place before [`PendingImport::commit`]; dropping a [`PendingImport`] rolls
//! everything back.
//!
//! - The same source (canonical path + content fingerprint) imported again is recognised
//!   by its record in `meta` (`import:<digest>`) and nothing happens.
//! - A database holding only the start-up defaults (or nothing) gets the defaults
//!   replaced by the imported roles and channels.
//! - A database with any other data is refused unless `merge` is set; a merge adds what is
//!   missing and keeps every existing record as it is (same user id, role name, channel
//!   name, message id within its channel, emoji id, or subscription endpoint of a user).

use std::collections::{HashMap, HashSet};

use domain::{Message, User};
use sea_orm::ActiveValue::NotSet;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use super::entities::{channels, mentions, messages, meta, roles, users};
use super::import_tables::{emojis, push_subscriptions};
use super::mention_index::{self, Inserted};
use super::text::TextCodec;
use super::{SEEDED_KEY, SqlStore};
use application::import::{
    ImportCounts, ImportError, ImportOptions, ImportScope, ImportTarget, Issue, PendingImport, Snapshot, Staged,
};
use async_trait::async_trait;
use codec::records::{channel_document, channel_from_document, extras_document, role_document, role_from_document};

/// Most rows in one multi-row `INSERT` (9 columns × 500 stays far below both backends'
/// parameter limits).
pub const BATCH_ROWS: usize = 500;

/// Most bytes of row data in one multi-row `INSERT`. sqlx does not set `TCP_NODELAY`, and
/// a statement that leaves the client in more than one write (over TLS: more than one
/// 16 KiB record) waits for a delayed ACK, about 40 ms per batch. Keeping each statement
/// within one record keeps a 100,000-message import on Postgres at a few seconds.
pub const BATCH_BYTES: usize = 12 * 1024;

/// Splits `items` into runs of at most [`BATCH_ROWS`] items and, unless a single item is
/// larger, at most [`BATCH_BYTES`] bytes as measured by `size`.
pub fn batches<T>(items: &[T], size: impl Fn(&T) -> usize) -> Vec<&[T]> {
    let mut out = vec![];
    let (mut start, mut bytes) = (0, 0);
    for (i, item) in items.iter().enumerate() {
        let n = size(item);
        if i > start && (i - start == BATCH_ROWS || bytes + n > BATCH_BYTES) {
            out.push(&items[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += n;
    }
    if start < items.len() {
        out.push(&items[start..]);
    }
    out
}

/// Rough encoded size of a message row.
fn message_bytes(m: &Message) -> usize {
    64 + m.id.len()
        + m.author.0.len()
        + 2 * m.content.len()
        + m.extra.iter().map(|(k, v)| k.len() + v.0.len()).sum::<usize>()
        + m.reactions.iter().map(|(e, us)| e.len() + us.iter().map(|u| u.0.len() + 3).sum::<usize>()).sum::<usize>()
        + if m.reply_to.is_some() { 80 } else { 0 }
}

/// Rough encoded size of a user row.
fn user_bytes(u: &User) -> usize {
    64 + u.id.0.len()
        + 2 * u.username.as_ref().map_or(0, String::len)
        + u.roles.iter().map(|r| r.len() + 3).sum::<usize>()
        + u.validator.as_ref().map_or(0, String::len)
        + u.extra.iter().map(|(k, v)| k.len() + v.0.len()).sum::<usize>()
}

/// Meta key holding the next emoji id (ids are never reused).
pub const EMOJI_NEXT_ID_KEY: &str = "emoji_next_id";

/// What, besides the defaults, the database holds; `None` when it holds only them.
async fn real_data(c: &impl ConnectionTrait, text: TextCodec) -> Result<Option<String>, sea_orm::DbErr> {
    let mut found = vec![];
    for (n, what) in [
        (users::Entity::find().count(c).await?, "users"),
        (messages::Entity::find().count(c).await?, "messages"),
        (emojis::Entity::find().count(c).await?, "custom emojis"),
        (push_subscriptions::Entity::find().count(c).await?, "push subscriptions"),
    ] {
        if n > 0 {
            found.push(format!("{n} {what}"));
        }
    }
    let role_rows = roles::Entity::find().order_by_asc(roles::Column::Seq).all(c).await?;
    // Ids are fresh per server, so they do not tell defaults apart.
    let stored_roles: Vec<_> = role_rows
        .into_iter()
        .map(|r| text.load(r))
        .map(|r| domain::Role { id: String::new(), ..role_from_document(&r.name, &r.data) })
        .collect();
    if !stored_roles.is_empty() && stored_roles != domain::role::default_roles() {
        found.push("roles other than the defaults".into());
    }
    let channel_rows = channels::Entity::find()
        .order_by_asc(channels::Column::Position)
        .order_by_asc(channels::Column::Seq)
        .all(c)
        .await?;
    let stored_channels: Vec<_> =
        channel_rows.into_iter().map(|r| text.load(r)).map(|r| channel_from_document(&r.name, &r.data)).collect();
    if !stored_channels.is_empty() && stored_channels != domain::channel::default_channels() {
        found.push("channels other than the defaults".into());
    }
    Ok(if found.is_empty() { None } else { Some(found.join(", ")) })
}

pub(crate) async fn set_meta(
    c: &impl ConnectionTrait,
    text: TextCodec,
    key: &str,
    value: String,
) -> Result<(), sea_orm::DbErr> {
    let row = text.store(meta::ActiveModel { key: Set(key.to_owned()), value: Set(value) });
    if meta::Entity::find_by_id(text.put(key)).one(c).await?.is_some() {
        row.update(c).await?;
    } else {
        row.insert(c).await?;
    }
    Ok(())
}

/// An import whose rows are written but not committed.
struct SqlPendingImport {
    tx: DatabaseTransaction,
    counts: ImportCounts,
    issues: Vec<Issue>,
    emoji_ids: Vec<i64>,
}

#[async_trait]
impl PendingImport for SqlPendingImport {
    fn counts(&self) -> &ImportCounts {
        &self.counts
    }

    fn issues(&self) -> &[Issue] {
        &self.issues
    }

    fn emoji_ids(&self) -> &[i64] {
        &self.emoji_ids
    }

    async fn commit(self: Box<Self>) -> Result<(), ImportError> {
        self.tx.commit().await.map_err(db)?;
        Ok(())
    }
}

fn db(e: sea_orm::DbErr) -> ImportError {
    ImportError::Store(super::store_error("import", e))
}

/// The import record's `counts` object.
fn counts_json(c: &ImportCounts) -> serde_json::Value {
    json!({
        "users": c.users, "users_existing": c.users_existing,
        "roles": c.roles, "roles_existing": c.roles_existing,
        "channels": c.channels, "channels_existing": c.channels_existing,
        "threads": c.threads, "threads_existing": c.threads_existing,
        "messages": c.messages, "messages_existing": c.messages_existing,
        "pinned": c.pinned, "replies": c.replies, "reactions": c.reactions,
        "emojis": c.emojis, "emojis_existing": c.emojis_existing,
        "push": c.push, "push_existing": c.push_existing, "push_unmatched": c.push_unmatched,
        "replaced_defaults": c.replaced_defaults,
    })
}

/// Why staging stopped: a database error, or real data without `merge`.
enum Fail {
    Db(sea_orm::DbErr),
    NotEmpty(String),
}

impl From<sea_orm::DbErr> for Fail {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Db(e)
    }
}

impl From<Fail> for ImportError {
    fn from(f: Fail) -> Self {
        match f {
            Fail::Db(e) => db(e),
            Fail::NotEmpty(what) => ImportError::NotEmpty(what),
        }
    }
}

#[async_trait]
impl ImportTarget for SqlStore {
    async fn holds_only_defaults(&self) -> Result<bool, ImportError> {
        Ok(real_data(&self.db, self.text).await.map_err(db)?.is_none())
    }

    async fn holds_push_subscriptions(&self) -> Result<bool, ImportError> {
        Ok(push_subscriptions::Entity::find().count(&self.db).await.map_err(db)? > 0)
    }

    async fn stage_import(
        &self,
        snapshot: &Snapshot,
        options: ImportOptions,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<Staged, ImportError> {
        Ok(self.stage(snapshot, options, progress).await?)
    }
}

impl SqlStore {
    async fn stage(
        &self,
        snapshot: &Snapshot,
        options: ImportOptions,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<Staged, Fail> {
        let tx = super::connect::begin_write(&self.db).await?;
        let text = self.text;
        let key = snapshot.record_key.clone();
        if let Some(row) = meta::Entity::find_by_id(text.put(&key)).one(&tx).await? {
            return Ok(Staged::AlreadyImported { record: text.get(row.value) });
        }
        let mut w = Writer { tx: &tx, text, options, counts: ImportCounts::default(), issues: vec![] };
        let mut emoji_ids = vec![];
        match options.scope {
            ImportScope::Everything => emoji_ids = w.everything(snapshot, progress).await?,
            ImportScope::Push => w.push(snapshot).await?,
        }
        let record = json!({
            "source": snapshot.source.display().to_string(),
            "fingerprint": snapshot.fingerprint,
            "imported_at": options.now,
            "merge": options.merge,
            "only": if options.scope == ImportScope::Push { Some("push") } else { None },
            "counts": counts_json(&w.counts),
        });
        set_meta(&tx, text, &key, record.to_string()).await?;
        let (counts, issues) = (w.counts, w.issues);
        Ok(Staged::Ready(Box::new(SqlPendingImport { tx, counts, issues, emoji_ids })))
    }
}

struct Writer<'a> {
    tx: &'a DatabaseTransaction,
    text: TextCodec,
    options: ImportOptions,
    counts: ImportCounts,
    issues: Vec<Issue>,
}

impl Writer<'_> {
    /// A complete import: refused on real data without `merge`, the defaults replaced on
    /// a store that holds nothing else. Returns the ids of the emojis written.
    async fn everything(
        &mut self,
        snapshot: &Snapshot,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<Vec<i64>, Fail> {
        let (tx, text, options) = (self.tx, self.text, self.options);
        let existing = real_data(tx, text).await?;
        if let Some(what) = &existing
            && !options.merge
        {
            return Err(Fail::NotEmpty(what.clone()));
        }
        if existing.is_none() {
            mentions::Entity::delete_many().exec(tx).await?;
            crate::state::unreads::Entity::delete_many().exec(tx).await?;
            crate::threads::rows::Entity::delete_many().exec(tx).await?;
            messages::Entity::delete_many().exec(tx).await?;
            let gone = channels::Entity::delete_many().exec(tx).await?.rows_affected
                + roles::Entity::delete_many().exec(tx).await?.rows_affected;
            self.counts.replaced_defaults = gone > 0;
        }
        self.users(snapshot).await?;
        self.roles(snapshot).await?;
        self.channels_and_messages(snapshot, progress).await?;
        let emoji_ids = self.emojis(snapshot).await?;
        self.push(snapshot).await?;
        self.threads(snapshot, progress).await?;
        self.unreads(snapshot).await?;
        set_meta(tx, text, SEEDED_KEY, "1".into()).await?;
        Ok(emoji_ids)
    }

    async fn users(&mut self, snap: &Snapshot) -> Result<(), Fail> {
        let existing: HashSet<String> = users::Entity::find()
            .select_only()
            .column(users::Column::Id)
            .into_tuple()
            .all(self.tx)
            .await?
            .into_iter()
            .map(|id| self.text.get(id))
            .collect();
        let fresh: Vec<_> = snap.users.iter().filter(|u| !existing.contains(&u.id.0)).collect();
        self.counts.users_existing = (snap.users.len() - fresh.len()) as u64;
        for batch in batches(&fresh, |u| user_bytes(u)) {
            users::Entity::insert_many(batch.iter().map(|u| SqlStore::user_row(self.text, u)))
                .exec_without_returning(self.tx)
                .await?;
            self.counts.users += batch.len() as u64;
        }
        Ok(())
    }

    async fn roles(&mut self, snap: &Snapshot) -> Result<(), Fail> {
        let existing: HashSet<String> = roles::Entity::find()
            .select_only()
            .column(roles::Column::Name)
            .into_tuple()
            .all(self.tx)
            .await?
            .into_iter()
            .map(|name| self.text.get(name))
            .collect();
        for r in &snap.roles {
            if existing.contains(&r.name) {
                self.counts.roles_existing += 1;
                continue;
            }
            let row = roles::ActiveModel { seq: NotSet, name: Set(r.name.clone()), data: Set(role_document(r)) };
            self.text.store(row).insert(self.tx).await?;
            self.counts.roles += 1;
        }
        Ok(())
    }

    async fn channels_and_messages(
        &mut self,
        snap: &Snapshot,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<(), Fail> {
        let rows = channels::Entity::find().all(self.tx).await?;
        let mut position = rows.iter().map(|r| r.position + 1).max().unwrap_or(0);
        let seqs: HashMap<String, i64> = rows.into_iter().map(|r| (self.text.get(r.name), r.seq)).collect();
        let mut handled = 0u64;
        for lc in &snap.channels {
            let (seq, known_ids) = match seqs.get(&lc.channel.name) {
                Some(&seq) => {
                    self.counts.channels_existing += 1;
                    (seq, self.stored_ids(seq).await?)
                }
                None => {
                    let row = channels::ActiveModel {
                        seq: NotSet,
                        name: Set(lc.channel.name.clone()),
                        position: Set(position),
                        data: Set(channel_document(&lc.channel)),
                    };
                    let row = self.text.store(row).insert(self.tx).await?;
                    position += 1;
                    self.counts.channels += 1;
                    (row.seq, HashSet::new())
                }
            };
            for batch in batches(&lc.messages, message_bytes) {
                let fresh: Vec<_> = batch.iter().filter(|m| !known_ids.contains(&m.id)).collect();
                self.counts.messages_existing += (batch.len() - fresh.len()) as u64;
                for m in &fresh {
                    self.counts.pinned += u64::from(m.pinned);
                    self.counts.replies += u64::from(m.reply_to.is_some());
                    self.counts.reactions += m.reactions.iter().map(|(_, us)| us.len() as u64).sum::<u64>();
                }
                self.counts.messages += fresh.len() as u64;
                self.insert_fresh(seq, &fresh).await?;
                handled += batch.len() as u64;
                progress(handled);
            }
        }
        Ok(())
    }

    /// The ids of the messages already stored under `seq` (a channel, or a thread's `-seq`).
    async fn stored_ids(&self, seq: i64) -> Result<HashSet<String>, Fail> {
        let ids: Vec<String> = messages::Entity::find()
            .select_only()
            .column(messages::Column::Id)
            .filter(messages::Column::ChannelSeq.eq(seq))
            .into_tuple()
            .all(self.tx)
            .await?;
        Ok(ids.into_iter().map(|id| self.text.get(id)).collect())
    }

    /// Inserts messages not stored yet under `seq`, with their mention index entries.
    async fn insert_fresh(&mut self, seq: i64, fresh: &[&Message]) -> Result<(), Fail> {
        messages::Entity::insert_many(fresh.iter().map(|m| SqlStore::message_row(self.text, seq, m)))
            .exec_without_returning(self.tx)
            .await?;
        let keys: Vec<(String, Vec<String>)> =
            fresh.iter().map(|m| (self.text.put(&m.id), domain::mentions::message_targets(m))).collect();
        let inserted: Vec<Inserted> = fresh
            .iter()
            .zip(&keys)
            .map(|(m, (stored_id, targets))| Inserted { channel_seq: seq, stored_id, timestamp: m.timestamp, targets })
            .collect();
        mention_index::index_inserted(self.tx, self.text, &inserted).await?;
        Ok(())
    }

    async fn emojis(&mut self, snap: &Snapshot) -> Result<Vec<i64>, Fail> {
        let rows: Vec<_> = emojis::Entity::find().all(self.tx).await?.into_iter().map(|r| self.text.load(r)).collect();
        let ids: HashSet<i64> = rows.iter().map(|r| r.id).collect();
        let mut names: HashSet<String> = rows.iter().map(|r| r.name_lower.clone()).collect();
        let mut next = rows.iter().map(|r| r.id + 1).max().unwrap_or(0);
        if let Some(row) = meta::Entity::find_by_id(self.text.put(EMOJI_NEXT_ID_KEY)).one(self.tx).await? {
            next = next.max(self.text.get(row.value).parse().unwrap_or(0));
        }
        let mut written = vec![];
        let mut models = vec![];
        for e in &snap.emojis {
            if ids.contains(&e.id) {
                self.counts.emojis_existing += 1;
                continue;
            }
            let mut name = e.name.clone();
            let mut n = 1;
            while names.contains(&name.to_lowercase()) {
                name = if n == 1 { format!("emoji_{}", e.id) } else { format!("emoji_{}_{n}", e.id) };
                n += 1;
            }
            if name != e.name {
                let msg = format!("name {:?} is taken on this server; imported as {name:?}", e.name);
                self.issues.push(Issue::key("db/serverEmojis.json", &e.id.to_string(), msg));
            }
            names.insert(name.to_lowercase());
            next = next.max(e.id + 1);
            written.push(e.id);
            models.push(self.text.store(emojis::ActiveModel {
                id: Set(e.id),
                name_lower: Set(name.to_lowercase()),
                name: Set(name),
                file_name: Set(e.file_name.clone()),
                content_type: Set(e.content_type.clone()),
                byte_size: Set(i64::try_from(e.byte_size).unwrap_or(i64::MAX)),
                created_by: Set(None),
                created_at: Set(self.options.now),
                extra: Set(extras_document(&e.extra)),
            }));
        }
        self.counts.emojis = models.len() as u64;
        for batch in models.chunks(BATCH_ROWS) {
            emojis::Entity::insert_many(batch.to_vec()).exec_without_returning(self.tx).await?;
        }
        if !snap.emojis.is_empty() || next > 0 {
            set_meta(self.tx, self.text, EMOJI_NEXT_ID_KEY, next.to_string()).await?;
        }
        Ok(written)
    }

    /// Threads of imported forums with their messages (docs/design/threads.md#import); a
    /// thread whose id exists keeps its record, and only its new messages are added.
    async fn threads(&mut self, snap: &Snapshot, progress: &(dyn Fn(u64) + Send + Sync)) -> Result<(), Fail> {
        use crate::threads::rows;
        let mut handled = snap.channels.iter().map(|c| c.messages.len() as u64).sum::<u64>();
        for st in &snap.threads {
            let Some(parent) = channels::Entity::find()
                .filter(channels::Column::Name.eq(self.text.put(&st.thread.parent_channel)))
                .one(self.tx)
                .await?
            else {
                continue;
            };
            let existing =
                rows::Entity::find().filter(rows::Column::Id.eq(self.text.put(&st.thread.id))).one(self.tx).await?;
            let (seq, known_ids) = match existing {
                Some(row) => {
                    self.counts.threads_existing += 1;
                    (-row.seq, self.stored_ids(-row.seq).await?)
                }
                None => {
                    let row = self.text.store(rows::ActiveModel {
                        seq: NotSet,
                        id: Set(st.thread.id.clone()),
                        channel_seq: Set(parent.seq),
                        data: Set(crate::threads::document(&st.thread)),
                    });
                    let row = row.insert(self.tx).await?;
                    self.counts.threads += 1;
                    (-row.seq, HashSet::new())
                }
            };
            for batch in batches(&st.messages, message_bytes) {
                let fresh: Vec<_> = batch.iter().filter(|m| !known_ids.contains(&m.id)).collect();
                self.counts.messages_existing += (batch.len() - fresh.len()) as u64;
                self.counts.messages += fresh.len() as u64;
                self.insert_fresh(seq, &fresh).await?;
                handled += batch.len() as u64;
                progress(handled);
            }
        }
        Ok(())
    }

    /// Read markers of imported users in imported channels; a marker already stored wins.
    async fn unreads(&mut self, snap: &Snapshot) -> Result<(), Fail> {
        use crate::state::unreads as table;
        for u in &snap.unreads {
            let user =
                users::Entity::find().filter(users::Column::Id.eq(self.text.put(u.user.as_str()))).one(self.tx).await?;
            // A thread's marker uses the thread's negated seq (threads.rs).
            let seq = match domain::thread::thread_of_key(&u.channel) {
                Some(id) => crate::threads::rows::Entity::find()
                    .filter(crate::threads::rows::Column::Id.eq(self.text.put(id)))
                    .one(self.tx)
                    .await?
                    .map(|t| -t.seq),
                None => channels::Entity::find()
                    .filter(channels::Column::Name.eq(self.text.put(&u.channel)))
                    .one(self.tx)
                    .await?
                    .map(|c| c.seq),
            };
            let (Some(_), Some(seq)) = (user, seq) else { continue };
            if table::Entity::find_by_id((self.text.put(u.user.as_str()), seq)).one(self.tx).await?.is_some() {
                continue;
            }
            let row = self.text.store(table::ActiveModel {
                user_id: Set(u.user.as_str().to_owned()),
                channel_seq: Set(seq),
                last_read: Set(u.last_read.clone()),
            });
            table::Entity::insert(row).exec(self.tx).await?;
        }
        Ok(())
    }

    async fn push(&mut self, snap: &Snapshot) -> Result<(), Fail> {
        if snap.push.is_empty() {
            return Ok(());
        }
        let people: Vec<(String, Option<String>)> = users::Entity::find()
            .select_only()
            .column(users::Column::Id)
            .column(users::Column::UsernameLower)
            .order_by_asc(users::Column::Seq)
            .into_tuple::<(String, Option<String>)>()
            .all(self.tx)
            .await?
            .into_iter()
            .map(|(id, lower)| (self.text.get(id), lower.map(|l| self.text.get(l))))
            .collect();
        let mut by_name: HashMap<String, String> = HashMap::new();
        for (id, lower) in &people {
            if let Some(l) = lower {
                by_name.entry(l.clone()).or_insert_with(|| id.clone());
            }
        }
        // Legacy records keyed by username (no `username` field) are found by their id.
        for (id, _) in people.iter().filter(|(_, l)| l.is_none()) {
            by_name.entry(id.to_lowercase()).or_insert_with(|| id.clone());
        }
        let mut taken: HashSet<(String, String)> = push_subscriptions::Entity::find()
            .select_only()
            .column(push_subscriptions::Column::UserId)
            .column(push_subscriptions::Column::Endpoint)
            .into_tuple::<(String, String)>()
            .all(self.tx)
            .await?
            .into_iter()
            .map(|(user, endpoint)| (self.text.get(user), self.text.get(endpoint)))
            .collect();
        let mut models = vec![];
        for p in &snap.push {
            let Some(user_id) = by_name.get(&p.username_lower) else {
                self.counts.push_unmatched += 1;
                let msg = "no user has this username; subscription not imported";
                self.issues.push(Issue::key("db/push_subscriptions.json", &p.username_lower, msg));
                continue;
            };
            if !taken.insert((user_id.clone(), p.endpoint.clone())) {
                self.counts.push_existing += 1;
                continue;
            }
            models.push(self.text.store(push_subscriptions::ActiveModel {
                seq: NotSet,
                user_id: Set(user_id.clone()),
                endpoint: Set(p.endpoint.clone()),
                p256dh: Set(p.p256dh.clone()),
                auth: Set(p.auth.clone()),
                created_at: Set(self.options.now),
                extra: Set(extras_document(&p.extra)),
            }));
        }
        self.counts.push = models.len() as u64;
        for batch in models.chunks(BATCH_ROWS) {
            push_subscriptions::Entity::insert_many(batch.to_vec()).exec_without_returning(self.tx).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_respect_rows_and_bytes() {
        let items: Vec<usize> = vec![1; 1201];
        let lens: Vec<usize> = batches(&items, |n| *n).iter().map(|b| b.len()).collect();
        assert_eq!(lens, [500, 500, 201]);
        let items = vec![5000, 5000, 5000, 20_000, 1];
        let lens: Vec<usize> = batches(&items, |n| *n).iter().map(|b| b.len()).collect();
        assert_eq!(lens, [2, 1, 1, 1]);
        assert!(batches(&Vec::<usize>::new(), |n| *n).is_empty());
    }
}
