//! The SQL store: sea-orm over SQLite or Postgres, chosen by the URL alone.
//!
//! SQLite runs in WAL mode with `synchronous=FULL`, so a committed write survives a crash
//! or power loss; every Postgres connection sets `synchronous_commit=on`. Transactions that
//! read before they write begin IMMEDIATE on SQLite ([`connect::begin_write`]). On Postgres,
//! every text value is escaped on its way in and unescaped on its way out ([`text`]), so
//! that U+0000 can be stored.

mod connect;
mod emojis;
mod entities;
mod import;
pub mod import_tables;
mod mention_index;
mod migration;
mod push;
mod record_locks;
mod search;
mod search_index;
pub(crate) mod state;
pub mod text;
mod threads;
mod user_writer;
mod writer;

use std::collections::HashMap;

use application::ports::{
    ChannelRepository, Commit, MessageRepository, PendingChange, RoleRepository, Store, StoreError, StoreErrorKind,
    StoreResult, UserRepository,
};
use async_trait::async_trait;
use domain::mentions::message_targets;
use domain::{Channel, Message, Role, User, UserId};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use codec::records::*;
pub use connect::{AdvisoryLock, STARTUP_LOCK, StorageUrl, connect, schema_version};
use entities::{channels, mentions, messages, meta, pending_user_changes, roles, users};
pub use record_locks::PgRecordLocks;
use text::TextCodec;

/// A store over a sea-orm connection.
#[derive(Clone)]
pub struct SqlStore {
    db: DatabaseConnection,
    writer: writer::MessageWriter,
    users: user_writer::UserWriter,
    text: TextCodec,
}

/// The message of a stored row.
fn message_from_model(text: TextCodec, r: messages::Model) -> Message {
    let r = text.load(r);
    let mut m = Message::new(r.id, UserId(r.user_id), r.content, r.timestamp);
    m.pinned = r.pinned;
    apply_message_document(&mut m, &r.data);
    m
}

/// The kind of a database error.
fn kind_of(e: &DbErr) -> StoreErrorKind {
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => StoreErrorKind::Unavailable,
        DbErr::Json(_) | DbErr::Type(_) | DbErr::TryIntoErr { .. } => StoreErrorKind::Corrupt,
        DbErr::RecordNotFound(_) | DbErr::RecordNotUpdated => StoreErrorKind::Missing,
        _ if matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => StoreErrorKind::Conflict,
        _ => StoreErrorKind::Other,
    }
}

/// A [`StoreError`] for a database error in `operation`.
pub(crate) fn store_error(operation: impl Into<String>, e: DbErr) -> StoreError {
    StoreError::new(kind_of(&e), operation, e.to_string())
}

/// Maps database errors of `operation` to [`StoreError`]s.
fn err(operation: &'static str) -> impl Fn(DbErr) -> StoreError {
    move |e| store_error(operation, e)
}

/// Maps database errors of `operation` on one channel's records to [`StoreError`]s.
fn err_in(operation: &'static str, channel: &str) -> impl Fn(DbErr) -> StoreError {
    let operation = format!("{operation} channel={channel}");
    move |e| store_error(operation.clone(), e)
}

impl SqlStore {
    /// Wraps a migrated connection and starts its group-commit writers (messages and
    /// users; needs a runtime).
    pub fn new(db: DatabaseConnection) -> Self {
        let text = TextCodec::of(db.get_database_backend());
        let (writer, users) = (writer::MessageWriter::spawn(db.clone()), user_writer::UserWriter::spawn(db.clone()));
        Self { writer, users, db, text }
    }

    /// The underlying connection.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Where the writer puts a message for `key`: a channel by name, found by the batch, or
    /// a thread, whose seq is read here (a missing thread is refused before queueing).
    async fn place_of(&self, key: &str) -> StoreResult<writer::Place> {
        if let Some(id) = domain::thread::thread_of_key(key) {
            let seq = self.thread_seq(id).await?.ok_or_else(|| {
                StoreError::new(StoreErrorKind::Missing, "append_message", format!("no channel {key}"))
            })?;
            return Ok(writer::Place::Thread(seq));
        }
        Ok(writer::Place::Channel(self.text.put(key)))
    }

    /// The key of a channel's messages (its `seq`), or of a thread's (`thread/<id>`: its
    /// negated `seq`, see threads.rs).
    async fn channel_seq(&self, name: &str) -> StoreResult<Option<i64>> {
        if let Some(id) = domain::thread::thread_of_key(name) {
            return self.thread_seq(id).await;
        }
        let row = channels::Entity::find()
            .filter(channels::Column::Name.eq(self.text.put(name)))
            .one(&self.db)
            .await
            .map_err(err("channel_seq"))?;
        Ok(row.map(|r| r.seq))
    }

    fn user_from_row(&self, r: users::Model) -> User {
        let r = self.text.load(r);
        let mut extra = extras_from_document(&r.extra);
        let profile = take_profile(&mut extra);
        User {
            id: UserId(r.id),
            username: r.username,
            roles: serde_json::from_str(&r.roles).unwrap_or_default(),
            validator: r.validator,
            extra,
            timeout_until: r.timeout_until,
            profile,
        }
    }

    /// The row of a user, escaped for `text`.
    fn user_row(text: TextCodec, u: &User) -> users::ActiveModel {
        text.store(users::ActiveModel {
            seq: NotSet,
            id: Set(u.id.0.clone()),
            username: Set(u.username.clone()),
            username_lower: Set(u.username.as_ref().map(|n| n.to_lowercase())),
            roles: Set(serde_json::to_string(&u.roles).unwrap_or_else(|_| "[]".into())),
            validator: Set(u.validator.clone()),
            extra: Set(extras_document(&extras_with_profile(&u.extra, &u.profile))),
            timeout_until: Set(u.timeout_until),
        })
    }

    fn message_from_row(&self, r: messages::Model) -> Message {
        message_from_model(self.text, r)
    }

    /// The row of a message, escaped for `text`.
    fn message_row(text: TextCodec, channel_seq: i64, m: &Message) -> messages::ActiveModel {
        text.store(messages::ActiveModel {
            seq: NotSet,
            channel_seq: Set(channel_seq),
            id: Set(m.id.clone()),
            user_id: Set(m.author.0.clone()),
            content: Set(m.content.clone()),
            content_lower: Set(m.content.to_lowercase()),
            timestamp: Set(m.timestamp),
            pinned: Set(m.pinned),
            reply_to_id: Set(m.reply_to.as_ref().map(|r| r.id.clone())),
            reply_to_user: Set(m.reply_to.as_ref().map(|r| r.author.0.clone())),
            data: Set(message_document(m)),
        })
    }

    fn role_from_row(&self, r: roles::Model) -> Role {
        let r = self.text.load(r);
        role_from_document(&r.name, &r.data)
    }

    fn channel_from_row(&self, r: channels::Model) -> Channel {
        let r = self.text.load(r);
        channel_from_document(&r.name, &r.data)
    }
}

#[async_trait]
impl UserRepository for SqlStore {
    async fn user(&self, id: &UserId) -> StoreResult<Option<User>> {
        let row = users::Entity::find()
            .filter(users::Column::Id.eq(self.text.put(id.as_str())))
            .one(&self.db)
            .await
            .map_err(err("user"))?;
        Ok(row.map(|r| self.user_from_row(r)))
    }

    async fn user_by_name(&self, name: &str) -> StoreResult<Option<User>> {
        let row = users::Entity::find()
            .filter(users::Column::UsernameLower.eq(self.text.put(&name.to_lowercase())))
            .order_by_asc(users::Column::Seq)
            .one(&self.db)
            .await
            .map_err(err("user_by_name"))?;
        Ok(row.map(|r| self.user_from_row(r)))
    }

    async fn users(&self) -> StoreResult<Vec<User>> {
        let rows = users::Entity::find().order_by_asc(users::Column::Seq).all(&self.db).await.map_err(err("users"))?;
        Ok(rows.into_iter().map(|r| self.user_from_row(r)).collect())
    }

    async fn insert_user(&self, user: &User) -> StoreResult<()> {
        let row = Self::user_row(self.text, user);
        self.users.write(user_writer::UserWrite::Insert(row)).await.map_err(err("insert_user"))?;
        Ok(())
    }

    async fn update_user(&self, user: &User) -> StoreResult<()> {
        let mut row = Self::user_row(self.text, user);
        row.id = NotSet;
        let id = self.text.put(user.id.as_str());
        let found = self.users.write(user_writer::UserWrite::Update { id, row }).await.map_err(err("update_user"))?;
        if !found {
            return Err(StoreError::new(StoreErrorKind::Missing, "update_user", format!("user {} missing", user.id)));
        }
        Ok(())
    }

    async fn delete_user(&self, id: &UserId) -> StoreResult<bool> {
        let tx = connect::begin_write(&self.db).await.map_err(err("delete_user"))?;
        let done = users::Entity::delete_many()
            .filter(users::Column::Id.eq(self.text.put(id.as_str())))
            .exec(&tx)
            .await
            .map_err(err("delete_user"))?;
        state::forget_unreads(&tx, self.text, None, Some(id)).await.map_err(err("delete_user"))?;
        tx.commit().await.map_err(err("delete_user"))?;
        Ok(done.rows_affected > 0)
    }

    async fn pending_changes(&self, username: &str) -> StoreResult<Vec<PendingChange>> {
        let rows = pending_user_changes::Entity::find()
            .filter(pending_user_changes::Column::UsernameLower.eq(self.text.put(&username.to_lowercase())))
            .order_by_asc(pending_user_changes::Column::Seq)
            .all(&self.db)
            .await
            .map_err(err("pending_changes"))?;
        Ok(rows
            .into_iter()
            .map(|r| self.text.load(r))
            .filter_map(|r| match (r.action.as_str(), r.role) {
                ("grant", Some(role)) => Some(PendingChange::Grant(role)),
                ("revoke", Some(role)) => Some(PendingChange::Revoke(role)),
                ("ban", _) => Some(PendingChange::Ban),
                ("unban", _) => Some(PendingChange::Unban),
                ("timeout", Some(until)) => until.parse().ok().map(PendingChange::Timeout),
                _ => None,
            })
            .collect())
    }

    async fn add_pending_change(&self, username: &str, change: &PendingChange) -> StoreResult<()> {
        let (action, role) = match change {
            PendingChange::Grant(r) => ("grant", Some(r.clone())),
            PendingChange::Revoke(r) => ("revoke", Some(r.clone())),
            PendingChange::Ban => ("ban", None),
            PendingChange::Unban => ("unban", None),
            PendingChange::Timeout(until) => ("timeout", Some(until.to_string())),
        };
        let row = pending_user_changes::ActiveModel {
            seq: NotSet,
            username_lower: Set(username.to_lowercase()),
            action: Set(action.into()),
            role: Set(role),
        };
        self.text.store(row).insert(&self.db).await.map_err(err("add_pending_change"))?;
        Ok(())
    }

    async fn clear_pending_changes(&self, username: &str) -> StoreResult<()> {
        pending_user_changes::Entity::delete_many()
            .filter(pending_user_changes::Column::UsernameLower.eq(self.text.put(&username.to_lowercase())))
            .exec(&self.db)
            .await
            .map_err(err("clear_pending_changes"))?;
        Ok(())
    }
}

#[async_trait]
impl RoleRepository for SqlStore {
    async fn roles(&self) -> StoreResult<Vec<Role>> {
        let rows = roles::Entity::find().order_by_asc(roles::Column::Seq).all(&self.db).await.map_err(err("roles"))?;
        let mut roles: Vec<Role> = rows.into_iter().map(|r| self.role_from_row(r)).collect();
        domain::role::sort_by_position(&mut roles);
        Ok(roles)
    }

    async fn role(&self, name: &str) -> StoreResult<Option<Role>> {
        let row = roles::Entity::find()
            .filter(roles::Column::Name.eq(self.text.put(name)))
            .one(&self.db)
            .await
            .map_err(err("role"))?;
        Ok(row.map(|r| self.role_from_row(r)))
    }

    async fn insert_role(&self, role: &Role) -> StoreResult<bool> {
        if self.role(&role.name).await?.is_some() {
            return Ok(false);
        }
        let row = roles::ActiveModel { seq: NotSet, name: Set(role.name.clone()), data: Set(role_document(role)) };
        self.text.store(row).insert(&self.db).await.map_err(err("insert_role"))?;
        Ok(true)
    }

    async fn update_role(&self, role: &Role) -> StoreResult<bool> {
        let done = roles::Entity::update_many()
            .col_expr(roles::Column::Data, sea_orm::sea_query::Expr::value(self.text.put(&role_document(role))))
            .filter(roles::Column::Name.eq(self.text.put(&role.name)))
            .exec(&self.db)
            .await
            .map_err(err("update_role"))?;
        Ok(done.rows_affected > 0)
    }

    async fn delete_role(&self, name: &str) -> StoreResult<bool> {
        let done = roles::Entity::delete_many()
            .filter(roles::Column::Name.eq(self.text.put(name)))
            .exec(&self.db)
            .await
            .map_err(err("delete_role"))?;
        Ok(done.rows_affected > 0)
    }

    async fn reorder_roles(&self, names: &[String]) -> StoreResult<bool> {
        let tx = connect::begin_write(&self.db).await.map_err(err("reorder_roles"))?;
        let rows = roles::Entity::find().all(&tx).await.map_err(err("reorder_roles"))?;
        let mut changed = vec![];
        for (i, name) in names.iter().enumerate() {
            let stored = self.text.put(name);
            let Some(row) = rows.iter().find(|r| r.name == stored) else { return Ok(false) };
            let mut role = self.role_from_row(row.clone());
            if role.position != i as i64 {
                role.position = i as i64;
                changed.push((row.seq, role_document(&role)));
            }
        }
        for (seq, document) in changed {
            roles::Entity::update_many()
                .col_expr(roles::Column::Data, sea_orm::sea_query::Expr::value(self.text.put(&document)))
                .filter(roles::Column::Seq.eq(seq))
                .exec(&tx)
                .await
                .map_err(err("reorder_roles"))?;
        }
        tx.commit().await.map_err(err("reorder_roles"))?;
        Ok(true)
    }
}

#[async_trait]
impl ChannelRepository for SqlStore {
    async fn channels(&self) -> StoreResult<Vec<Channel>> {
        let rows = channels::Entity::find()
            .order_by_asc(channels::Column::Position)
            .order_by_asc(channels::Column::Seq)
            .all(&self.db)
            .await
            .map_err(err("channels"))?;
        Ok(rows.into_iter().map(|r| self.channel_from_row(r)).collect())
    }

    async fn channel(&self, name: &str) -> StoreResult<Option<Channel>> {
        let row = channels::Entity::find()
            .filter(channels::Column::Name.eq(self.text.put(name)))
            .one(&self.db)
            .await
            .map_err(err("channel"))?;
        Ok(row.map(|r| self.channel_from_row(r)))
    }

    async fn insert_channel(&self, channel: &Channel) -> StoreResult<bool> {
        if self.channel(&channel.name).await?.is_some() {
            return Ok(false);
        }
        let last = channels::Entity::find()
            .order_by_desc(channels::Column::Position)
            .one(&self.db)
            .await
            .map_err(err("insert_channel"))?
            .map(|c| c.position + 1)
            .unwrap_or(0);
        let row = channels::ActiveModel {
            seq: NotSet,
            name: Set(channel.name.clone()),
            position: Set(last),
            data: Set(channel_document(channel)),
        };
        self.text.store(row).insert(&self.db).await.map_err(err("insert_channel"))?;
        Ok(true)
    }

    async fn update_channel(&self, name: &str, channel: &Channel) -> StoreResult<bool> {
        let done = channels::Entity::update_many()
            .col_expr(channels::Column::Name, sea_orm::sea_query::Expr::value(self.text.put(&channel.name)))
            .col_expr(
                channels::Column::Data,
                sea_orm::sea_query::Expr::value(self.text.put(&channel_document(channel))),
            )
            .filter(channels::Column::Name.eq(self.text.put(name)))
            .exec(&self.db)
            .await
            .map_err(err("update_channel"))?;
        Ok(done.rows_affected > 0)
    }

    async fn move_channel(&self, name: &str, position: usize) -> StoreResult<bool> {
        let tx = connect::begin_write(&self.db).await.map_err(err("move_channel"))?;
        let mut rows = channels::Entity::find()
            .order_by_asc(channels::Column::Position)
            .order_by_asc(channels::Column::Seq)
            .all(&tx)
            .await
            .map_err(err("move_channel"))?;
        let stored_name = self.text.put(name);
        let Some(i) = rows.iter().position(|c| c.name == stored_name) else { return Ok(false) };
        let moved = rows.remove(i);
        let at = position.min(rows.len());
        rows.insert(at, moved);
        for (pos, row) in rows.into_iter().enumerate() {
            if row.position != pos as i64 {
                channels::Entity::update_many()
                    .col_expr(channels::Column::Position, sea_orm::sea_query::Expr::value(pos as i64))
                    .filter(channels::Column::Seq.eq(row.seq))
                    .exec(&tx)
                    .await
                    .map_err(err("move_channel"))?;
            }
        }
        tx.commit().await.map_err(err("move_channel"))?;
        Ok(true)
    }

    async fn delete_channel(&self, name: &str) -> StoreResult<bool> {
        let tx = connect::begin_write(&self.db).await.map_err(err("delete_channel"))?;
        let Some(row) = channels::Entity::find()
            .filter(channels::Column::Name.eq(self.text.put(name)))
            .one(&tx)
            .await
            .map_err(err("delete_channel"))?
        else {
            return Ok(false);
        };
        // The channel row goes first: on Postgres its row lock makes a concurrent message
        // batch (which reads the channel FOR SHARE, see writer.rs) either finish before this
        // statement, so its rows are deleted below, or wait and then find the channel gone.
        channels::Entity::delete_many()
            .filter(channels::Column::Seq.eq(row.seq))
            .exec(&tx)
            .await
            .map_err(err("delete_channel"))?;
        messages::Entity::delete_many()
            .filter(messages::Column::ChannelSeq.eq(row.seq))
            .exec(&tx)
            .await
            .map_err(err("delete_channel"))?;
        mention_index::forget_channel(&tx, row.seq).await.map_err(err("delete_channel"))?;
        state::forget_unreads(&tx, self.text, Some(row.seq), None).await.map_err(err("delete_channel"))?;
        threads::forget_channel_threads(&tx, self.text, row.seq).await.map_err(err("delete_channel"))?;
        tx.commit().await.map_err(err("delete_channel"))?;
        Ok(true)
    }
}

#[async_trait]
impl MessageRepository for SqlStore {
    async fn append_message(&self, channel: &str, message: &Message) -> StoreResult<()> {
        self.submit_message(channel, message).await?.await
    }

    async fn submit_message(&self, channel: &str, message: &Message) -> StoreResult<Commit> {
        let place = self.place_of(channel).await?;
        // The writer sets the row's channel once it has found it (writer.rs).
        self.writer.submit(place, Self::message_row(self.text, 0, message), message_targets(message)).await
    }

    async fn messages_page(&self, channel: &str, skip_newest: u64, limit: u64) -> StoreResult<Vec<Message>> {
        let Some(seq) = self.channel_seq(channel).await? else { return Ok(vec![]) };
        let mut rows = messages::Entity::find()
            .filter(messages::Column::ChannelSeq.eq(seq))
            .order_by_desc(messages::Column::Seq)
            .offset(skip_newest)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(err_in("messages_page", channel))?;
        rows.reverse();
        Ok(rows.into_iter().map(|r| self.message_from_row(r)).collect())
    }

    async fn messages_before(&self, channel: &str, before_id: &str, limit: u64) -> StoreResult<Vec<Message>> {
        let Some(seq) = self.channel_seq(channel).await? else { return Ok(vec![]) };
        let Some(anchor) = messages::Entity::find()
            .filter(messages::Column::ChannelSeq.eq(seq))
            .filter(messages::Column::Id.eq(self.text.put(before_id)))
            .one(&self.db)
            .await
            .map_err(err_in("messages_before", channel))?
        else {
            return Ok(vec![]);
        };
        let mut rows = messages::Entity::find()
            .filter(messages::Column::ChannelSeq.eq(seq))
            .filter(messages::Column::Seq.lt(anchor.seq))
            .order_by_desc(messages::Column::Seq)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(err_in("messages_before", channel))?;
        rows.reverse();
        Ok(rows.into_iter().map(|r| self.message_from_row(r)).collect())
    }

    async fn messages_after(&self, channel: &str, after_id: &str, limit: u64) -> StoreResult<Vec<Message>> {
        let Some(seq) = self.channel_seq(channel).await? else { return Ok(vec![]) };
        let Some(anchor) = messages::Entity::find()
            .filter(messages::Column::ChannelSeq.eq(seq))
            .filter(messages::Column::Id.eq(self.text.put(after_id)))
            .one(&self.db)
            .await
            .map_err(err_in("messages_after", channel))?
        else {
            return Ok(vec![]);
        };
        let rows = messages::Entity::find()
            .filter(messages::Column::ChannelSeq.eq(seq))
            .filter(messages::Column::Seq.gt(anchor.seq))
            .order_by_asc(messages::Column::Seq)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(err_in("messages_after", channel))?;
        Ok(rows.into_iter().map(|r| self.message_from_row(r)).collect())
    }

    async fn message_count(&self, channel: &str) -> StoreResult<u64> {
        let Some(seq) = self.channel_seq(channel).await? else { return Ok(0) };
        messages::Entity::find()
            .filter(messages::Column::ChannelSeq.eq(seq))
            .count(&self.db)
            .await
            .map_err(err_in("message_count", channel))
    }

    async fn message(&self, channel: &str, id: &str) -> StoreResult<Option<(Message, u64)>> {
        let Some(seq) = self.channel_seq(channel).await? else { return Ok(None) };
        let Some(row) = messages::Entity::find()
            .filter(messages::Column::ChannelSeq.eq(seq))
            .filter(messages::Column::Id.eq(self.text.put(id)))
            .one(&self.db)
            .await
            .map_err(err_in("message", channel))?
        else {
            return Ok(None);
        };
        let position = messages::Entity::find()
            .filter(messages::Column::ChannelSeq.eq(seq))
            .filter(messages::Column::Seq.lte(row.seq))
            .count(&self.db)
            .await
            .map_err(err_in("message", channel))?;
        Ok(Some((self.message_from_row(row), position)))
    }

    async fn last_message_time(&self, channel: &str) -> StoreResult<Option<f64>> {
        let Some(seq) = self.channel_seq(channel).await? else { return Ok(None) };
        let row = messages::Entity::find()
            .filter(messages::Column::ChannelSeq.eq(seq))
            .order_by_desc(messages::Column::Seq)
            .one(&self.db)
            .await
            .map_err(err_in("last_message_time", channel))?;
        Ok(row.map(|r| r.timestamp))
    }

    async fn update_message(&self, channel: &str, message: &Message) -> StoreResult<bool> {
        let Some(seq) = self.channel_seq(channel).await? else { return Ok(false) };
        let e = err_in("update_message", channel);
        let mut row = Self::message_row(self.text, seq, message);
        row.channel_seq = NotSet;
        row.id = NotSet;
        let stored_id = self.text.put(&message.id);
        let tx = connect::begin_write(&self.db).await.map_err(&e)?;
        // The row first: on Postgres its lock makes a concurrent deletion of the message
        // (or its channel) wait, then remove the mention rows written below too.
        let done = messages::Entity::update_many()
            .set(row)
            .filter(messages::Column::ChannelSeq.eq(seq))
            .filter(messages::Column::Id.eq(stored_id.as_str()))
            .exec(&tx)
            .await
            .map_err(&e)?;
        if done.rows_affected == 0 {
            return Ok(false);
        }
        let message_seq = mention_index::message_seqs(&tx, &[(seq, stored_id.clone())])
            .await
            .map_err(&e)?
            .get(&(seq, stored_id))
            .copied()
            .ok_or_else(|| StoreError::new(StoreErrorKind::Missing, "update_message", "the message vanished"))?;
        mention_index::forget_message(&tx, message_seq).await.map_err(&e)?;
        let targets = message_targets(message);
        let rows = mention_index::rows(self.text, message_seq, seq, message.timestamp, &targets).collect();
        mention_index::insert(&tx, rows).await.map_err(&e)?;
        tx.commit().await.map_err(&e)?;
        Ok(true)
    }

    async fn delete_message(&self, channel: &str, id: &str) -> StoreResult<bool> {
        let Some(seq) = self.channel_seq(channel).await? else { return Ok(false) };
        let e = err_in("delete_message", channel);
        let tx = connect::begin_write(&self.db).await.map_err(&e)?;
        let Some(row) = messages::Entity::find()
            .select_only()
            .column(messages::Column::Seq)
            .filter(messages::Column::ChannelSeq.eq(seq))
            .filter(messages::Column::Id.eq(self.text.put(id)))
            .into_tuple::<i64>()
            .one(&tx)
            .await
            .map_err(&e)?
        else {
            return Ok(false);
        };
        // The message first, then its mention rows: a concurrent update holding the row
        // commits its new mention rows before this deletion goes on (Postgres).
        let done = messages::Entity::delete_many().filter(messages::Column::Seq.eq(row)).exec(&tx).await.map_err(&e)?;
        mention_index::forget_message(&tx, row).await.map_err(&e)?;
        tx.commit().await.map_err(&e)?;
        Ok(done.rows_affected > 0)
    }

    async fn replies(&self, channel: &str, parent_id: &str, limit: u64) -> StoreResult<Vec<Message>> {
        let Some(seq) = self.channel_seq(channel).await? else { return Ok(vec![]) };
        let rows = messages::Entity::find()
            .filter(messages::Column::ChannelSeq.eq(seq))
            .filter(messages::Column::ReplyToId.eq(self.text.put(parent_id)))
            .order_by_asc(messages::Column::Seq)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(err_in("replies", channel))?;
        Ok(rows.into_iter().map(|r| self.message_from_row(r)).collect())
    }

    async fn search(&self, channel: &str, needle: &str, limit: u64) -> StoreResult<Vec<Message>> {
        let Some(seq) = self.channel_seq(channel).await? else { return Ok(vec![]) };
        let needle = needle.to_lowercase();
        let stored_needle = self.text.put(&needle);
        let backend = self.db.get_database_backend();
        let mut found = vec![];
        let mut before: Option<i64> = None;
        // On escaped text a row can match inside an escape pair (text.rs): such rows are
        // dropped and the next rows fetched, so the page stays full.
        while (found.len() as u64) < limit {
            let wanted = limit - found.len() as u64;
            let mut query = messages::Entity::find()
                .filter(messages::Column::ChannelSeq.eq(seq))
                .filter(search::content_contains(backend, &stored_needle));
            if let Some(prefilter) = search::index_prefilter(backend, &stored_needle) {
                query = query.filter(prefilter);
            }
            if let Some(b) = before {
                query = query.filter(messages::Column::Seq.lt(b));
            }
            let rows = query
                .order_by_desc(messages::Column::Seq)
                .limit(wanted)
                .all(&self.db)
                .await
                .map_err(err_in("search", channel))?;
            let complete = (rows.len() as u64) < wanted;
            before = rows.last().map(|r| r.seq);
            found.extend(
                rows.into_iter()
                    .filter(|r| self.text.contains(&r.content_lower, &needle))
                    .map(|r| self.message_from_row(r)),
            );
            if complete || before.is_none() {
                break;
            }
        }
        Ok(found)
    }

    async fn pinned(&self, channel: &str, limit: u64) -> StoreResult<Vec<Message>> {
        let Some(seq) = self.channel_seq(channel).await? else { return Ok(vec![]) };
        let rows = messages::Entity::find()
            .filter(messages::Column::ChannelSeq.eq(seq))
            .filter(messages::Column::Pinned.eq(true))
            .order_by_desc(messages::Column::Seq)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(err_in("pinned", channel))?;
        Ok(rows.into_iter().map(|r| self.message_from_row(r)).collect())
    }

    async fn mentions_page(
        &self,
        channel_names: &[String],
        targets: &[String],
        offset: u64,
        limit: u64,
    ) -> StoreResult<(Vec<(String, Message)>, u64)> {
        let e = err("mentions_page");
        if channel_names.is_empty() || targets.is_empty() {
            return Ok((vec![], 0));
        }
        let names: Vec<String> = channel_names
            .iter()
            .filter(|n| domain::thread::thread_of_key(n).is_none())
            .map(|n| self.text.put(n))
            .collect();
        let mut by_seq: HashMap<i64, String> = channels::Entity::find()
            .select_only()
            .column(channels::Column::Seq)
            .column(channels::Column::Name)
            .filter(channels::Column::Name.is_in(names))
            .into_tuple::<(i64, String)>()
            .all(&self.db)
            .await
            .map_err(&e)?
            .into_iter()
            .map(|(seq, name)| (seq, self.text.get(name)))
            .collect();
        // Threads (`thread/<id>`) are keyed by their row's negated seq (threads.rs).
        by_seq.extend(self.thread_seqs(channel_names).await?);
        if by_seq.is_empty() {
            return Ok((vec![], 0));
        }
        let matching = sea_orm::Condition::all()
            .add(mentions::Column::ChannelSeq.is_in(by_seq.keys().copied()))
            .add(mentions::Column::Target.is_in(targets.iter().map(|t| self.text.put(t))));
        let total = mentions::Entity::find()
            .select_only()
            .column_as(sea_orm::sea_query::Expr::cust("COUNT(DISTINCT message_seq)"), "total")
            .filter(matching.clone())
            .into_tuple::<i64>()
            .one(&self.db)
            .await
            .map_err(&e)?
            .unwrap_or(0);
        let page: Vec<(i64, f64)> = mentions::Entity::find()
            .select_only()
            .column(mentions::Column::MessageSeq)
            .column(mentions::Column::Timestamp)
            .distinct()
            .filter(matching)
            .order_by_desc(mentions::Column::Timestamp)
            .order_by_desc(mentions::Column::MessageSeq)
            .offset(offset)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(&e)?;
        let mut rows: HashMap<i64, messages::Model> = messages::Entity::find()
            .filter(messages::Column::Seq.is_in(page.iter().map(|(seq, _)| *seq)))
            .all(&self.db)
            .await
            .map_err(&e)?
            .into_iter()
            .map(|r| (r.seq, r))
            .collect();
        let found = page
            .into_iter()
            .filter_map(|(seq, _)| rows.remove(&seq))
            .filter_map(|r| by_seq.get(&r.channel_seq).cloned().map(|c| (c, self.message_from_row(r))))
            .collect();
        Ok((found, u64::try_from(total).unwrap_or(0)))
    }
}

const SEEDED_KEY: &str = "defaults_seeded";

#[async_trait]
impl Store for SqlStore {
    async fn seed_defaults(&self, roles_list: &[Role], channel_list: &[Channel]) -> StoreResult<bool> {
        let tx = connect::begin_write(&self.db).await.map_err(err("seed_defaults"))?;
        let seeded = meta::Entity::find_by_id(SEEDED_KEY.to_owned()).one(&tx).await.map_err(err("seed_defaults"))?;
        if seeded.is_some() {
            return Ok(false);
        }
        self.text
            .store(meta::ActiveModel { key: Set(SEEDED_KEY.into()), value: Set("1".into()) })
            .insert(&tx)
            .await
            .map_err(err("seed_defaults"))?;
        for r in roles_list {
            let row = roles::ActiveModel { seq: NotSet, name: Set(r.name.clone()), data: Set(role_document(r)) };
            self.text.store(row).insert(&tx).await.map_err(err("seed_defaults"))?;
        }
        for (i, c) in channel_list.iter().enumerate() {
            let row = channels::ActiveModel {
                seq: NotSet,
                name: Set(c.name.clone()),
                position: Set(i as i64),
                data: Set(channel_document(c)),
            };
            self.text.store(row).insert(&tx).await.map_err(err("seed_defaults"))?;
        }
        tx.commit().await.map_err(err("seed_defaults"))?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests;
