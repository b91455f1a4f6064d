//! sea-orm entities. One schema for SQLite and Postgres.

/// Users, in creation order (`seq`).
pub mod users {
    use sea_orm::entity::prelude::*;

    /// A user row.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        /// Creation order.
        #[sea_orm(primary_key)]
        pub seq: i64,
        /// Rotur id.
        #[sea_orm(unique)]
        pub id: String,
        /// Current username.
        pub username: Option<String>,
        /// Lowercased username for case-insensitive lookups.
        #[sea_orm(indexed)]
        pub username_lower: Option<String>,
        /// JSON array of role names.
        #[sea_orm(column_type = "Text")]
        pub roles: String,
        /// Last session token.
        pub validator: Option<String>,
        /// JSON object of legacy keys.
        #[sea_orm(column_type = "Text")]
        pub extra: String,
        /// End of a moderation timeout, Unix seconds.
        pub timeout_until: Option<f64>,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Roles, in creation order.
pub mod roles {
    use sea_orm::entity::prelude::*;

    /// A role row.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "roles")]
    pub struct Model {
        /// Creation order.
        #[sea_orm(primary_key)]
        pub seq: i64,
        /// Unique name.
        #[sea_orm(unique)]
        pub name: String,
        /// The role's JSON object minus its name.
        #[sea_orm(column_type = "Text")]
        pub data: String,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Channels; `seq` is the stable internal id that messages refer to.
pub mod channels {
    use sea_orm::entity::prelude::*;

    /// A channel row.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "channels")]
    pub struct Model {
        /// Stable internal id (survives renames).
        #[sea_orm(primary_key)]
        pub seq: i64,
        /// Unique, case-sensitive name.
        #[sea_orm(unique)]
        pub name: String,
        /// Display order.
        pub position: i64,
        /// The channel's JSON object minus its name.
        #[sea_orm(column_type = "Text")]
        pub data: String,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Messages; `seq` gives creation order across the whole server.
pub mod messages {
    use sea_orm::entity::prelude::*;

    /// A message row.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "messages")]
    pub struct Model {
        /// Creation order.
        #[sea_orm(primary_key)]
        pub seq: i64,
        /// The channel's internal id.
        pub channel_seq: i64,
        /// Message id, unique per channel.
        pub id: String,
        /// Author's user id.
        pub user_id: String,
        /// Text.
        #[sea_orm(column_type = "Text")]
        pub content: String,
        /// Unicode-lowercased text for search.
        #[sea_orm(column_type = "Text")]
        pub content_lower: String,
        /// Creation time, Unix seconds.
        pub timestamp: f64,
        /// Pinned flag.
        pub pinned: bool,
        /// Id of the replied message.
        pub reply_to_id: Option<String>,
        /// Author of the replied message.
        pub reply_to_user: Option<String>,
        /// JSON object: reply_to, ping, edited, reactions, interaction, extra.
        #[sea_orm(column_type = "Text")]
        pub data: String,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Key/value facts about the database itself (e.g. whether defaults were seeded).
pub mod meta {
    use sea_orm::entity::prelude::*;

    /// A meta row.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "meta")]
    pub struct Model {
        /// Key.
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        /// Value.
        #[sea_orm(column_type = "Text")]
        pub value: String,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Role grants, revocations and bans named by username before that user ever logged in
/// (docs/design/authentication.md#pending-changes); applied and deleted at the user's first login.
pub mod pending_user_changes {
    use sea_orm::entity::prelude::*;

    /// A pending change.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "pending_user_changes")]
    pub struct Model {
        /// Order of the changes.
        #[sea_orm(primary_key)]
        pub seq: i64,
        /// Lowercased username it applies to.
        pub username_lower: String,
        /// `grant`, `revoke`, `ban` or `unban`.
        pub action: String,
        /// Role name for grants and revocations.
        pub role: Option<String>,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Who each message pings (docs/design/messages.md#pings-list): one row per mention target of
/// a message (`domain::mentions::message_targets`), written, rewritten and deleted with the
/// message, so that `pings_get` pages in SQL.
pub mod mentions {
    use sea_orm::entity::prelude::*;

    /// A target of a message.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "mentions")]
    pub struct Model {
        /// Row id.
        #[sea_orm(primary_key)]
        pub seq: i64,
        /// The message's `seq`.
        pub message_seq: i64,
        /// The message's channel (`channels.seq`).
        pub channel_seq: i64,
        /// `@name`, `@&role` or `reply:<user id>`.
        #[sea_orm(column_type = "Text")]
        pub target: String,
        /// The message's timestamp, for ordering.
        pub timestamp: f64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use crate::text::text_columns;

text_columns!(users; text: [id, roles, extra]; optional: [username, username_lower, validator]);
text_columns!(roles; text: [name, data]; optional: []);
text_columns!(channels; text: [name, data]; optional: []);
text_columns!(messages; text: [id, user_id, content, content_lower, data]; optional: [reply_to_id, reply_to_user]);
text_columns!(meta; text: [key, value]; optional: []);
text_columns!(pending_user_changes; text: [username_lower, action]; optional: [role]);
text_columns!(mentions; text: [target]; optional: []);
