//! Schema migrations, applied at start-up on both backends.

use domain::mentions::message_targets;
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use sea_orm_migration::prelude::*;

use super::entities::{messages, roles};
use super::mention_index;
use super::text::TextCodec;

/// All migrations in order.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(Initial),
            Box::new(super::import_tables::ImportTables),
            Box::new(EscapeText),
            Box::new(Mentions),
            Box::new(PushEndpoints),
            Box::new(RolePositions),
            Box::new(super::state::UnreadsTable),
            Box::new(super::threads::ThreadsTable),
            Box::new(super::search_index::DeferredSearchIndex),
        ]
    }
}

/// The first schema. Written out explicitly (not derived from the entities) so that it
/// stays the same when entities grow; later changes are new migrations.
#[derive(DeriveMigrationName)]
struct Initial;

fn pk(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).big_integer().not_null().auto_increment().primary_key().to_owned()
}

fn col(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
}

fn index(table: &str, name: &str, cols: &[&str], unique: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(Alias::new(table));
    for c in cols {
        i.col(Alias::new(*c));
    }
    if unique {
        i.unique();
    }
    i.to_owned()
}

/// SQLite: an FTS5 trigram index over `messages.content_lower`, kept by triggers.
const SQLITE_SEARCH_INDEX: &str = "
CREATE VIRTUAL TABLE messages_fts USING fts5(content_lower, content='messages', content_rowid='seq', tokenize='trigram');
CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts(rowid, content_lower) VALUES (new.seq, new.content_lower);
END;
CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, content_lower) VALUES ('delete', old.seq, old.content_lower);
END;
CREATE TRIGGER messages_fts_au AFTER UPDATE OF content_lower ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, content_lower) VALUES ('delete', old.seq, old.content_lower);
  INSERT INTO messages_fts(rowid, content_lower) VALUES (new.seq, new.content_lower);
END;
";

/// Postgres: a pg_trgm GIN index over `messages.content_lower`, when the extension can be
/// created (it is trusted since PostgreSQL 13); otherwise searches scan.
const POSTGRES_SEARCH_INDEX: &str = "
DO $$ BEGIN
  CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'pg_trgm is not available; message search will scan';
END $$;
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    EXECUTE 'CREATE INDEX ix_messages_content_trgm ON messages USING gin (content_lower gin_trgm_ops)';
  END IF;
END $$;
";

#[async_trait::async_trait]
impl MigrationTrait for Initial {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            Table::create()
                .table(Alias::new("users"))
                .col(pk("seq"))
                .col(col("id").string().not_null().unique_key())
                .col(col("username").string().null())
                .col(col("username_lower").string().null())
                .col(col("roles").text().not_null())
                .col(col("validator").string().null())
                .col(col("extra").text().not_null())
                .col(col("timeout_until").double().null())
                .to_owned(),
            Table::create()
                .table(Alias::new("roles"))
                .col(pk("seq"))
                .col(col("name").string().not_null().unique_key())
                .col(col("data").text().not_null())
                .to_owned(),
            Table::create()
                .table(Alias::new("channels"))
                .col(pk("seq"))
                .col(col("name").string().not_null().unique_key())
                .col(col("position").big_integer().not_null())
                .col(col("data").text().not_null())
                .to_owned(),
            Table::create()
                .table(Alias::new("messages"))
                .col(pk("seq"))
                .col(col("channel_seq").big_integer().not_null())
                .col(col("id").string().not_null())
                .col(col("user_id").string().not_null())
                .col(col("content").text().not_null())
                .col(col("content_lower").text().not_null())
                .col(col("timestamp").double().not_null())
                .col(col("pinned").boolean().not_null())
                .col(col("reply_to_id").string().null())
                .col(col("reply_to_user").string().null())
                .col(col("data").text().not_null())
                .to_owned(),
            Table::create()
                .table(Alias::new("meta"))
                .col(col("key").string().not_null().primary_key())
                .col(col("value").text().not_null())
                .to_owned(),
            Table::create()
                .table(Alias::new("pending_user_changes"))
                .col(pk("seq"))
                .col(col("username_lower").string().not_null())
                .col(col("action").string().not_null())
                .col(col("role").string().null())
                .to_owned(),
        ];
        for t in tables {
            manager.create_table(t).await?;
        }
        for i in [
            index("users", "ix_users_username_lower", &["username_lower"], false),
            index("messages", "ux_messages_channel_id", &["channel_seq", "id"], true),
            index("messages", "ix_messages_channel_seq", &["channel_seq", "seq"], false),
            index("messages", "ix_messages_reply_to", &["channel_seq", "reply_to_id"], false),
            index("messages", "ix_messages_reply_to_user", &["reply_to_user"], false),
            index("messages", "ix_messages_pinned", &["channel_seq", "pinned"], false),
            index("pending_user_changes", "ix_pending_user", &["username_lower"], false),
        ] {
            manager.create_index(i).await?;
        }
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Sqlite => db.execute_unprepared(SQLITE_SEARCH_INDEX).await?,
            _ => db.execute_unprepared(POSTGRES_SEARCH_INDEX).await?,
        };
        Ok(())
    }
}

/// Postgres: escapes the escape character in every text column (`ESC` → `ESC e`, see
/// text.rs), so that text stored before escaping existed reads back as it was. Nothing
/// before this migration could hold U+0000, so only the escape character itself needs it.
/// SQLite stores text as it is: nothing to do.
struct EscapeText;

impl MigrationName for EscapeText {
    fn name(&self) -> &str {
        "m0003_escape_text_on_postgres"
    }
}

/// Every text column of every table, as of this migration.
const TEXT_COLUMNS: &[(&str, &[&str])] = &[
    ("users", &["id", "username", "username_lower", "roles", "validator", "extra"]),
    ("roles", &["name", "data"]),
    ("channels", &["name", "data"]),
    ("messages", &["id", "user_id", "content", "content_lower", "reply_to_id", "reply_to_user", "data"]),
    ("meta", &["key", "value"]),
    ("pending_user_changes", &["username_lower", "action", "role"]),
    ("emojis", &["name", "name_lower", "file_name", "content_type", "created_by", "extra"]),
    ("push_subscriptions", &["user_id", "endpoint", "p256dh", "auth", "extra"]),
];

/// One `UPDATE` per table rewriting the rows that hold U+E000 (the escape character).
fn escape_statements() -> Vec<String> {
    const ESC: &str = "chr(57344)";
    TEXT_COLUMNS
        .iter()
        .map(|(table, columns)| {
            let set: Vec<String> =
                columns.iter().map(|c| format!("\"{c}\" = replace(\"{c}\", {ESC}, {ESC} || 'e')")).collect();
            let any: Vec<String> = columns.iter().map(|c| format!("strpos(\"{c}\", {ESC}) > 0")).collect();
            format!("UPDATE \"{table}\" SET {} WHERE {}", set.join(", "), any.join(" OR "))
        })
        .collect()
}

#[async_trait::async_trait]
impl MigrationTrait for EscapeText {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for statement in escape_statements() {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }
}

/// The `mentions` table (mention_index.rs): one row per mention target of a message, and
/// the rows of every message stored before it existed. The targets are computed by the
/// current rules (`domain::mentions::message_targets`); a change to those rules needs a new
/// migration that rebuilds the table.
struct Mentions;

impl MigrationName for Mentions {
    fn name(&self) -> &str {
        "m0004_mentions"
    }
}

/// Messages read per step of the backfill.
const BACKFILL_STEP: u64 = 1000;

/// Looking up a target: a B-tree on SQLite; a hash index on Postgres, whose B-tree entries
/// cannot exceed about 2.7 kB (a target is as long as a name in the text or a user id).
const SQLITE_MENTIONS_TARGET_INDEX: &str = "CREATE INDEX ix_mentions_target ON mentions (target, channel_seq)";
const POSTGRES_MENTIONS_TARGET_INDEX: &str = "CREATE INDEX ix_mentions_target ON mentions USING hash (target)";

#[async_trait::async_trait]
impl MigrationTrait for Mentions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("mentions"))
                    .col(pk("seq"))
                    .col(col("message_seq").big_integer().not_null())
                    .col(col("channel_seq").big_integer().not_null())
                    .col(col("target").text().not_null())
                    .col(col("timestamp").double().not_null())
                    .to_owned(),
            )
            .await?;
        for i in [
            index("mentions", "ix_mentions_message", &["message_seq"], false),
            index("mentions", "ix_mentions_channel", &["channel_seq"], false),
        ] {
            manager.create_index(i).await?;
        }
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        db.execute_unprepared(match backend {
            DbBackend::Sqlite => SQLITE_MENTIONS_TARGET_INDEX,
            _ => POSTGRES_MENTIONS_TARGET_INDEX,
        })
        .await?;
        backfill_mentions(db, TextCodec::of(backend)).await
    }
}

/// Writes the mention rows of every stored message, in steps of [`BACKFILL_STEP`].
async fn backfill_mentions(db: &impl ConnectionTrait, text: TextCodec) -> Result<(), DbErr> {
    let mut after = i64::MIN;
    loop {
        let rows = messages::Entity::find()
            .filter(messages::Column::Seq.gt(after))
            .order_by_asc(messages::Column::Seq)
            .limit(BACKFILL_STEP)
            .all(db)
            .await?;
        let Some(last) = rows.last() else { return Ok(()) };
        after = last.seq;
        let mut all = vec![];
        for row in rows {
            let (seq, channel_seq) = (row.seq, row.channel_seq);
            let m = super::message_from_model(text, row);
            all.extend(mention_index::rows(text, seq, channel_seq, m.timestamp, &message_targets(&m)));
        }
        mention_index::insert(db, all).await?;
    }
}

/// Web Push (docs/design/push.md#storage): an index on `push_subscriptions.endpoint`, so
/// that a subscription moving to another user and the 404/410 clean-up find their rows
/// without a scan. The table itself came with the importer (`m0002`); an existing
/// database keeps its rows. On Postgres a hash index: an endpoint may be longer than a
/// B-tree entry can be.
struct PushEndpoints;

impl MigrationName for PushEndpoints {
    fn name(&self) -> &str {
        "m0005_push_subscription_endpoints"
    }
}

const SQLITE_PUSH_ENDPOINT_INDEX: &str = "CREATE INDEX ix_push_subscriptions_endpoint ON push_subscriptions (endpoint)";
const POSTGRES_PUSH_ENDPOINT_INDEX: &str =
    "CREATE INDEX ix_push_subscriptions_endpoint ON push_subscriptions USING hash (endpoint)";

#[async_trait::async_trait]
impl MigrationTrait for PushEndpoints {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statement = match manager.get_database_backend() {
            DbBackend::Sqlite => SQLITE_PUSH_ENDPOINT_INDEX,
            _ => POSTGRES_PUSH_ENDPOINT_INDEX,
        };
        manager.get_connection().execute_unprepared(statement).await?;
        Ok(())
    }
}

/// Named permissions and the role hierarchy (docs/design/roles.md#positions): every role
/// stored before gets a `position` in its current (creation) order and an `id` when it has
/// none. The keys live in the role's JSON document, as in the original's `roles.json`.
struct RolePositions;

impl MigrationName for RolePositions {
    fn name(&self) -> &str {
        "m0006_role_positions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for RolePositions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let text = TextCodec::of(manager.get_database_backend());
        let rows = roles::Entity::find().order_by_asc(roles::Column::Seq).all(db).await?;
        for (position, row) in rows.into_iter().enumerate() {
            let seq = row.seq;
            let row = text.load(row);
            let mut role = codec::records::role_from_document(&row.name, &row.data);
            role.position = position as i64;
            if role.id.is_empty() {
                role.id = uuid::Uuid::new_v4().to_string();
            }
            let document = text.put(&codec::records::role_document(&role));
            roles::Entity::update_many()
                .col_expr(roles::Column::Data, Expr::value(document))
                .filter(roles::Column::Seq.eq(seq))
                .exec(db)
                .await?;
        }
        Ok(())
    }
}
