//! Read markers in `unreads` (one row per user and channel, keyed by the channel's `seq`
//! so that a renamed channel keeps them) and the server profile in `meta`
//! (`server_profile`, a JSON object), with the migration that creates the table
//! (docs/design/unreads.md#storage, docs/design/server-info.md#storage).

use application::ports::{ServerProfile, ServerProfileRepository, StoreResult, UnreadRepository};
use async_trait::async_trait;
use domain::UserId;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Schema, Set};
use sea_orm_migration::prelude::*;
use serde_json::{Value, json};

use super::entities::{channels, meta};
use super::import::set_meta;
use super::{SqlStore, connect, err};

/// The `meta` key of the server profile.
pub const SERVER_PROFILE_KEY: &str = "server_profile";

/// One read marker.
pub mod unreads {
    use sea_orm::entity::prelude::*;

    /// A marker row.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "unreads")]
    pub struct Model {
        /// The reader's user id.
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: String,
        /// The channel (`channels.seq`).
        #[sea_orm(primary_key, auto_increment = false)]
        pub channel_seq: i64,
        /// Id of the last message read.
        #[sea_orm(column_type = "Text")]
        pub last_read: String,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

crate::text::text_columns!(unreads; text: [user_id, last_read]; optional: []);

/// Creates `unreads` (with an index by channel, for deleting a channel's markers).
pub struct UnreadsTable;

impl MigrationName for UnreadsTable {
    fn name(&self) -> &str {
        "m0007_unreads"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for UnreadsTable {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let schema = Schema::new(manager.get_database_backend());
        manager.create_table(schema.create_table_from_entity(unreads::Entity)).await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_unreads_channel_seq")
                    .table(unreads::Entity)
                    .col(unreads::Column::ChannelSeq)
                    .to_owned(),
            )
            .await
    }
}

#[async_trait]
impl UnreadRepository for SqlStore {
    async fn last_reads(&self, user: &UserId) -> StoreResult<Vec<(String, String)>> {
        let rows = unreads::Entity::find()
            .filter(unreads::Column::UserId.eq(self.text.put(user.as_str())))
            .all(&self.db)
            .await
            .map_err(err("last_reads"))?;
        let names: std::collections::HashMap<i64, String> = channels::Entity::find()
            .all(&self.db)
            .await
            .map_err(err("last_reads"))?
            .into_iter()
            .map(|c| self.text.load(c))
            .map(|c| (c.seq, c.name))
            .collect();
        Ok(rows
            .into_iter()
            .map(|r| self.text.load(r))
            .filter_map(|r| names.get(&r.channel_seq).map(|n| (n.clone(), r.last_read)))
            .collect())
    }

    async fn last_read(&self, user: &UserId, channel: &str) -> StoreResult<Option<String>> {
        let Some(seq) = self.channel_seq(channel).await? else { return Ok(None) };
        let row = unreads::Entity::find_by_id((self.text.put(user.as_str()), seq))
            .one(&self.db)
            .await
            .map_err(err("last_read"))?;
        Ok(row.map(|r| self.text.load(r).last_read))
    }

    async fn set_last_read(&self, user: &UserId, channel: &str, message_id: &str) -> StoreResult<bool> {
        let fail = err("set_last_read");
        let tx = connect::begin_write(&self.db).await.map_err(&fail)?;
        let seq = match domain::thread::thread_of_key(channel) {
            // A thread's markers use its negated seq (threads.rs).
            Some(id) => crate::threads::rows::Entity::find()
                .filter(crate::threads::rows::Column::Id.eq(self.text.put(id)))
                .one(&tx)
                .await
                .map_err(&fail)?
                .map(|t| -t.seq),
            None => channels::Entity::find()
                .filter(channels::Column::Name.eq(self.text.put(channel)))
                .one(&tx)
                .await
                .map_err(&fail)?
                .map(|c| c.seq),
        };
        let Some(seq) = seq else { return Ok(false) };
        let row = self.text.store(unreads::ActiveModel {
            user_id: Set(user.as_str().to_owned()),
            channel_seq: Set(seq),
            last_read: Set(message_id.to_owned()),
        });
        unreads::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([unreads::Column::UserId, unreads::Column::ChannelSeq])
                    .update_column(unreads::Column::LastRead)
                    .to_owned(),
            )
            .exec(&tx)
            .await
            .map_err(&fail)?;
        tx.commit().await.map_err(&fail)?;
        Ok(true)
    }
}

/// Deletes the markers of a channel or of a user, inside the caller's transaction.
pub(crate) async fn forget_unreads(
    c: &impl ConnectionTrait,
    text: crate::text::TextCodec,
    channel_seq: Option<i64>,
    user: Option<&UserId>,
) -> Result<(), DbErr> {
    let mut delete = unreads::Entity::delete_many();
    if let Some(seq) = channel_seq {
        delete = delete.filter(unreads::Column::ChannelSeq.eq(seq));
    }
    if let Some(user) = user {
        delete = delete.filter(unreads::Column::UserId.eq(text.put(user.as_str())));
    }
    delete.exec(c).await.map(drop)
}

fn field(doc: &Value, key: &str) -> Option<String> {
    doc.get(key).and_then(Value::as_str).map(str::to_owned)
}

#[async_trait]
impl ServerProfileRepository for SqlStore {
    async fn server_profile(&self) -> StoreResult<ServerProfile> {
        let row = meta::Entity::find_by_id(self.text.put(SERVER_PROFILE_KEY))
            .one(&self.db)
            .await
            .map_err(err("server_profile"))?;
        let Some(row) = row else { return Ok(ServerProfile::default()) };
        let doc: Value = serde_json::from_str(&self.text.load(row).value).unwrap_or(Value::Null);
        Ok(ServerProfile { name: field(&doc, "name"), icon: field(&doc, "icon"), banner: field(&doc, "banner") })
    }

    async fn save_server_profile(&self, profile: &ServerProfile) -> StoreResult<()> {
        let fail = err("save_server_profile");
        let doc = json!({"name": profile.name, "icon": profile.icon, "banner": profile.banner});
        let tx = connect::begin_write(&self.db).await.map_err(&fail)?;
        set_meta(&tx, self.text, SERVER_PROFILE_KEY, doc.to_string()).await.map_err(&fail)?;
        tx.commit().await.map_err(&fail)
    }
}
