//! Threads of forum channels in `threads` (docs/design/threads.md#storage): one row per
//! thread, keyed by the parent's `channels.seq` so that a renamed forum keeps its threads.
//! A thread's messages, mention rows and read markers use the negated `threads.seq` where
//! a channel's use its `channels.seq`, so the message code serves both unchanged.

use application::ports::{StoreResult, ThreadRepository};
use async_trait::async_trait;
use domain::{Thread, UserId};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Schema, Set,
};
use sea_orm_migration::prelude::*;
use serde_json::{Value, json};

use super::entities::{channels, messages};
use super::{SqlStore, connect, err, mention_index, state};

/// One thread.
pub mod rows {
    use sea_orm::entity::prelude::*;

    /// A thread row.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "threads")]
    pub struct Model {
        /// Creation order; its negation keys the thread's messages.
        #[sea_orm(primary_key)]
        pub seq: i64,
        /// The thread id.
        #[sea_orm(unique)]
        pub id: String,
        /// The parent channel (`channels.seq`).
        pub channel_seq: i64,
        /// JSON object: name, created_by, created_at, locked, archived, participants.
        #[sea_orm(column_type = "Text")]
        pub data: String,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

crate::text::text_columns!(rows; text: [id, data]; optional: []);

/// Creates `threads` (m0008), with an index by parent channel. Nothing stored before
/// changes: an existing database upgrades in place.
pub struct ThreadsTable;

impl MigrationName for ThreadsTable {
    fn name(&self) -> &str {
        "m0008_threads"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for ThreadsTable {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let schema = Schema::new(manager.get_database_backend());
        manager.create_table(schema.create_table_from_entity(rows::Entity)).await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_threads_channel_seq")
                    .table(rows::Entity)
                    .col(rows::Column::ChannelSeq)
                    .col(rows::Column::Seq)
                    .to_owned(),
            )
            .await
    }
}

/// The `data` document of a thread.
pub(crate) fn document(t: &Thread) -> String {
    json!({
        "name": t.name,
        "created_by": t.created_by.as_str(),
        "created_at": t.created_at,
        "locked": t.locked,
        "archived": t.archived,
        "participants": t.participants.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
    })
    .to_string()
}

/// A thread from its row (already unescaped) and its parent's name.
fn thread_of(row: rows::Model, parent: String) -> Thread {
    let doc: Value = serde_json::from_str(&row.data).unwrap_or(Value::Null);
    let text = |k: &str| doc.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    let flag = |k: &str| doc.get(k).and_then(Value::as_bool).unwrap_or(false);
    Thread {
        id: row.id,
        name: text("name"),
        parent_channel: parent,
        created_by: UserId(text("created_by")),
        created_at: doc.get("created_at").and_then(Value::as_f64).unwrap_or(0.0),
        locked: flag("locked"),
        archived: flag("archived"),
        participants: doc
            .get("participants")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(|s| UserId(s.to_owned())).collect())
            .unwrap_or_default(),
    }
}

/// Deletes the messages, mention rows and read markers of the thread with `seq`, inside
/// the caller's transaction (after its row went, see writer.rs).
async fn forget_contents(c: &impl ConnectionTrait, text: crate::text::TextCodec, seq: i64) -> Result<(), DbErr> {
    messages::Entity::delete_many().filter(messages::Column::ChannelSeq.eq(-seq)).exec(c).await?;
    mention_index::forget_channel(c, -seq).await?;
    state::forget_unreads(c, text, Some(-seq), None).await
}

/// Deletes every thread of the channel with `channel_seq` and their contents, inside the
/// caller's transaction.
pub(crate) async fn forget_channel_threads(
    c: &impl ConnectionTrait,
    text: crate::text::TextCodec,
    channel_seq: i64,
) -> Result<(), DbErr> {
    let seqs: Vec<i64> = rows::Entity::find()
        .select_only()
        .column(rows::Column::Seq)
        .filter(rows::Column::ChannelSeq.eq(channel_seq))
        .into_tuple()
        .all(c)
        .await?;
    rows::Entity::delete_many().filter(rows::Column::ChannelSeq.eq(channel_seq)).exec(c).await?;
    for seq in seqs {
        forget_contents(c, text, seq).await?;
    }
    Ok(())
}

impl SqlStore {
    /// The negated `seq` of the thread with this id: the key of its messages.
    pub(crate) async fn thread_seq(&self, id: &str) -> StoreResult<Option<i64>> {
        let row = rows::Entity::find()
            .select_only()
            .column(rows::Column::Seq)
            .filter(rows::Column::Id.eq(self.text.put(id)))
            .into_tuple::<i64>()
            .one(&self.db)
            .await
            .map_err(err("thread_seq"))?;
        Ok(row.map(|seq| -seq))
    }

    /// The message keys (negated seqs) of the existing threads among `keys` (`thread/<id>`;
    /// other keys are ignored), each with its key.
    pub(crate) async fn thread_seqs(&self, keys: &[String]) -> StoreResult<Vec<(i64, String)>> {
        let ids: Vec<String> =
            keys.iter().filter_map(|k| domain::thread::thread_of_key(k)).map(|id| self.text.put(id)).collect();
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let rows = rows::Entity::find()
            .select_only()
            .column(rows::Column::Seq)
            .column(rows::Column::Id)
            .filter(rows::Column::Id.is_in(ids))
            .into_tuple::<(i64, String)>()
            .all(&self.db)
            .await
            .map_err(err("thread_seqs"))?;
        Ok(rows.into_iter().map(|(seq, id)| (-seq, domain::thread::thread_key(&self.text.get(id)))).collect())
    }

    async fn channel_name(&self, seq: i64) -> StoreResult<Option<String>> {
        let row = channels::Entity::find_by_id(seq).one(&self.db).await.map_err(err("thread"))?;
        Ok(row.map(|r| self.text.load(r).name))
    }
}

#[async_trait]
impl ThreadRepository for SqlStore {
    async fn threads(&self, channel: &str) -> StoreResult<Vec<Thread>> {
        let Some(parent) = channels::Entity::find()
            .filter(channels::Column::Name.eq(self.text.put(channel)))
            .one(&self.db)
            .await
            .map_err(err("threads"))?
        else {
            return Ok(vec![]);
        };
        let rows = rows::Entity::find()
            .filter(rows::Column::ChannelSeq.eq(parent.seq))
            .order_by_asc(rows::Column::Seq)
            .all(&self.db)
            .await
            .map_err(err("threads"))?;
        Ok(rows.into_iter().map(|r| thread_of(self.text.load(r), channel.to_owned())).collect())
    }

    async fn thread(&self, id: &str) -> StoreResult<Option<Thread>> {
        let Some(row) = rows::Entity::find()
            .filter(rows::Column::Id.eq(self.text.put(id)))
            .one(&self.db)
            .await
            .map_err(err("thread"))?
        else {
            return Ok(None);
        };
        let Some(parent) = self.channel_name(row.channel_seq).await? else { return Ok(None) };
        Ok(Some(thread_of(self.text.load(row), parent)))
    }

    async fn insert_thread(&self, thread: &Thread) -> StoreResult<bool> {
        let fail = err("insert_thread");
        let tx = connect::begin_write(&self.db).await.map_err(&fail)?;
        let Some(parent) = channels::Entity::find()
            .filter(channels::Column::Name.eq(self.text.put(&thread.parent_channel)))
            .one(&tx)
            .await
            .map_err(&fail)?
        else {
            return Ok(false);
        };
        let row = self.text.store(rows::ActiveModel {
            seq: NotSet,
            id: Set(thread.id.clone()),
            channel_seq: Set(parent.seq),
            data: Set(document(thread)),
        });
        rows::Entity::insert(row).exec(&tx).await.map_err(&fail)?;
        tx.commit().await.map_err(&fail)?;
        Ok(true)
    }

    async fn update_thread(&self, thread: &Thread) -> StoreResult<bool> {
        let data = self.text.put(&document(thread));
        let done = rows::Entity::update_many()
            .col_expr(rows::Column::Data, Expr::value(data))
            .filter(rows::Column::Id.eq(self.text.put(&thread.id)))
            .exec(&self.db)
            .await
            .map_err(err("update_thread"))?;
        Ok(done.rows_affected > 0)
    }

    async fn delete_thread(&self, id: &str) -> StoreResult<bool> {
        let fail = err("delete_thread");
        let tx = connect::begin_write(&self.db).await.map_err(&fail)?;
        let Some(row) =
            rows::Entity::find().filter(rows::Column::Id.eq(self.text.put(id))).one(&tx).await.map_err(&fail)?
        else {
            return Ok(false);
        };
        // The row first, as for a channel (see writer.rs): a message batch holding it
        // FOR SHARE finishes before, or finds it gone.
        rows::Entity::delete_many().filter(rows::Column::Seq.eq(row.seq)).exec(&tx).await.map_err(&fail)?;
        forget_contents(&tx, self.text, row.seq).await.map_err(&fail)?;
        tx.commit().await.map_err(&fail)?;
        Ok(true)
    }
}
