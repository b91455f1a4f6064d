//! Tables for custom emojis and Web Push subscriptions, and the migration creating them.
//!
//! They arrived with the importer (the original keeps both in JSON files); the emoji and
//! push features use the same tables.

use sea_orm::Schema;
use sea_orm_migration::prelude::*;

/// Custom emojis (docs/design/import.md#emojis); the id counter lives in `meta`
/// (`emoji_next_id`) so ids are never reused.
pub mod emojis {
    use sea_orm::entity::prelude::*;

    /// An emoji row.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "emojis")]
    pub struct Model {
        /// The emoji id (decimal string on the wire).
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        /// Name as shown, `[A-Za-z0-9_]{1,64}`.
        pub name: String,
        /// ASCII-lowercased name; unique.
        #[sea_orm(unique)]
        pub name_lower: String,
        /// Image file name inside `db/serverEmojis/`.
        pub file_name: String,
        /// Detected content type.
        pub content_type: String,
        /// Image size in bytes.
        pub byte_size: i64,
        /// Creator's user id (`None` for imported emojis).
        pub created_by: Option<String>,
        /// Creation (or import) time, Unix seconds.
        pub created_at: f64,
        /// JSON object of hand-edited extra keys.
        #[sea_orm(column_type = "Text")]
        pub extra: String,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Web Push subscriptions, keyed by user id (docs/design/import.md#push-subscriptions).
pub mod push_subscriptions {
    use sea_orm::entity::prelude::*;

    /// A subscription row.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "push_subscriptions")]
    pub struct Model {
        /// Creation order.
        #[sea_orm(primary_key)]
        pub seq: i64,
        /// Owner's user id.
        #[sea_orm(indexed)]
        pub user_id: String,
        /// Push service URL.
        #[sea_orm(column_type = "Text")]
        pub endpoint: String,
        /// Browser public key (base64url).
        pub p256dh: String,
        /// Browser auth secret (base64url).
        pub auth: String,
        /// Creation (or import) time, Unix seconds.
        pub created_at: f64,
        /// JSON object of other stored keys (`last_used`, …).
        #[sea_orm(column_type = "Text")]
        pub extra: String,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Creates `emojis` and `push_subscriptions`.
pub struct ImportTables;

impl MigrationName for ImportTables {
    fn name(&self) -> &str {
        "m0002_emojis_and_push_subscriptions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for ImportTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let schema = Schema::new(manager.get_database_backend());
        manager.create_table(schema.create_table_from_entity(emojis::Entity)).await?;
        manager.create_table(schema.create_table_from_entity(push_subscriptions::Entity)).await?;
        for index in schema.create_index_from_entity(push_subscriptions::Entity) {
            manager.create_index(index).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ux_push_subscriptions_user_endpoint")
                    .table(push_subscriptions::Entity)
                    .col(push_subscriptions::Column::UserId)
                    .col(push_subscriptions::Column::Endpoint)
                    .unique()
                    .to_owned(),
            )
            .await
    }
}

crate::text::text_columns!(emojis; text: [name, name_lower, file_name, content_type, extra]; optional: [created_by]);
crate::text::text_columns!(push_subscriptions; text: [user_id, endpoint, p256dh, auth, extra]; optional: []);
