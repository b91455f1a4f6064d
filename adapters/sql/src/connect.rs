//! Opening a database by URL and migrating it.

use std::path::Path;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use sea_orm::{DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait};
use sea_orm_migration::MigratorTrait;

use super::migration::Migrator;

/// A storage URL with relative SQLite paths already resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageUrl {
    /// An SQLite file.
    Sqlite(std::path::PathBuf),
    /// A Postgres URL.
    Postgres(String),
}

impl StorageUrl {
    /// Parses `sqlite://<path>` or `postgres://…` (`postgresql://` too); a relative SQLite
    /// path is taken relative to `base`. The SQLite path is URL text: it ends at `?` or `#`
    /// and `%XX` escapes are decoded (so `sqlite://a%3Fb.db` names the file `a?b.db`);
    /// `base` is a plain path and is never decoded.
    pub fn parse(url: &str, base: &Path) -> Result<Self, String> {
        if let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            let raw = rest.split(['?', '#']).next().unwrap_or_default();
            let path = percent_decode(raw).ok_or_else(|| format!("storage.url {url:?} has an invalid %-escape"))?;
            if path.is_empty() {
                return Err(format!("storage.url {url:?} names no SQLite file"));
            }
            let p = Path::new(&path);
            return Ok(Self::Sqlite(if p.is_absolute() { p.to_path_buf() } else { base.join(p) }));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        Err(format!("storage.url {url:?} is neither sqlite:// nor postgres://"))
    }

    /// The URL with any password masked, for logs.
    pub fn masked(&self) -> String {
        match self {
            Self::Sqlite(p) => format!("sqlite://{}", p.display()),
            Self::Postgres(u) => mask_password(u),
        }
    }
}

/// Decodes `%XX` escapes; `None` for a malformed escape or a result that is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let Some((creds, host)) = rest.split_once('@') else { return url.to_owned() };
    match creds.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// A Postgres URL pointing at the maintenance database `postgres` of the same server,
/// and the name of the database the original URL names.
fn maintenance_url(url: &str) -> Option<(String, String)> {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (url, None),
    };
    let scheme_end = head.find("://")? + 3;
    let slash = head[scheme_end..].find('/')? + scheme_end;
    let name = head[slash + 1..].to_owned();
    if name.is_empty() {
        return None;
    }
    let mut admin = format!("{}/postgres", &head[..slash]);
    if let Some(q) = query {
        admin = format!("{admin}?{q}");
    }
    Some((admin, name))
}

/// Creates the Postgres database named by `url` when it does not exist yet.
async fn ensure_postgres_database(url: &str) -> anyhow::Result<()> {
    use sea_orm::sqlx::{Connection, PgConnection, Row};
    let Some((admin, name)) = maintenance_url(url) else { return Ok(()) };
    if name == "postgres" {
        return Ok(());
    }
    let mut conn = match PgConnection::connect(&admin).await {
        Ok(c) => c,
        Err(e) => {
            tracing::debug!(error = %e, "cannot reach the maintenance database; assuming the database exists");
            return Ok(());
        }
    };
    let exists = sea_orm::sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_optional(&mut conn)
        .await?
        .map(|row| row.len() == 1)
        .unwrap_or(false);
    if !exists {
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        match sea_orm::sqlx::query(sea_orm::sqlx::AssertSqlSafe(format!("CREATE DATABASE {quoted}")))
            .execute(&mut conn)
            .await
        {
            Ok(_) => tracing::info!(database = %name, "created the Postgres database"),
            Err(e) => tracing::warn!(error = %e, database = %name, "could not create the Postgres database"),
        }
    }
    let _ = conn.close().await;
    Ok(())
}

/// Creates the database file, readable by its owner only, when it does not exist yet
/// (SQLite gives its `-wal` and `-shm` files the same permissions).
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut file, 0o600);
    match file.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Connects, applies every pending migration and returns the connection.
/// A missing Postgres database is created first when the user may.
pub async fn connect(url: &StorageUrl) -> anyhow::Result<DatabaseConnection> {
    let mut opts = match url {
        StorageUrl::Sqlite(path) => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            create_private(path)?;
            // The path is set as a path, never pasted into the URL, so a folder name with
            // `%`, `?` or `#` in it cannot change its meaning. The URL only selects SQLite.
            let mut o = ConnectOptions::new("sqlite://originchats.db?mode=rwc");
            let path = path.clone();
            o.map_sqlx_sqlite_opts(move |s| {
                s.filename(&path)
                    .in_memory(false)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(Duration::from_secs(30))
                    .create_if_missing(true)
            });
            o.max_connections(8);
            // A file has no other end that could hang up: no ping before each use, which
            // on SQLite is a hop to the connection's thread (docs/design/storage.md#group-commit).
            o.test_before_acquire(false);
            o
        }
        StorageUrl::Postgres(u) => {
            ensure_postgres_database(u).await?;
            let mut o = ConnectOptions::new(u.clone());
            // A commit returns only once its WAL is flushed, whatever the server's or the
            // database's default says (docs/storage.md, Durability).
            o.map_sqlx_postgres_opts(|p| p.options([("synchronous_commit", "on")]));
            o.max_connections(16);
            // Ping a pooled connection only when it sat idle long enough for the server or
            // something between to have dropped it; a busy one goes straight to work.
            o.test_before_acquire_if_idle_for(Duration::from_secs(30));
            o
        }
    };
    opts.sqlx_logging(false).connect_timeout(Duration::from_secs(10));
    let db = Database::connect(opts).await?;
    // Nodes of a cluster may start at once: one migrates, the others wait and then find
    // nothing left to do.
    let lock = match url {
        StorageUrl::Postgres(u) => Some(AdvisoryLock::take(u, MIGRATION_LOCK).await?),
        StorageUrl::Sqlite(_) => None,
    };
    let migrated = Migrator::up(&db, None).await;
    if let Some(lock) = lock {
        lock.release().await;
    }
    migrated?;
    Ok(db)
}

/// The PostgreSQL advisory lock held while migrating.
const MIGRATION_LOCK: i64 = 0x6f63_6d69_6772;
/// The PostgreSQL advisory lock a cluster node holds while it starts (migrations and the
/// default roles and channels).
pub const STARTUP_LOCK: i64 = 0x6f63_7374_6172;

/// A session-level PostgreSQL advisory lock on a connection of its own.
pub struct AdvisoryLock(sea_orm::sqlx::PgConnection, i64);

impl AdvisoryLock {
    /// Waits for and takes the lock `key` of the database at `url`.
    pub async fn take(url: &str, key: i64) -> anyhow::Result<Self> {
        use sea_orm::sqlx::Connection;
        let mut conn = sea_orm::sqlx::PgConnection::connect(url).await?;
        sea_orm::sqlx::query("SELECT pg_advisory_lock($1)").bind(key).execute(&mut conn).await?;
        Ok(Self(conn, key))
    }

    /// Releases the lock (closing the connection would too).
    pub async fn release(mut self) {
        use sea_orm::sqlx::Connection;
        let _ = sea_orm::sqlx::query("SELECT pg_advisory_unlock($1)").bind(self.1).execute(&mut self.0).await;
        let _ = self.0.close().await;
    }
}

/// Begins a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`: the write lock
/// is taken at once, so a transaction that reads before it writes waits for other writers
/// (busy timeout) instead of failing with `SQLITE_BUSY_SNAPSHOT` when one committed after
/// its first read. Postgres ignores the mode.
pub(crate) async fn begin_write<C: TransactionTrait<Transaction = DatabaseTransaction>>(
    db: &C,
) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// The source of every migration, so that editing one (before release) changes the version.
const MIGRATION_SOURCES: &[&str] = &[include_str!("migration.rs"), include_str!("import_tables.rs")];

/// Identifies the schema: changes whenever a migration is added or edited.
pub fn schema_version() -> String {
    let names: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
    let mut hash: u64 = 0xcbf29ce484222325;
    for b in names.join(",").bytes().chain(MIGRATION_SOURCES.iter().flat_map(|s| s.bytes())) {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x100000001b3);
    }
    format!("{}_{hash:016x}", names.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_resolves_urls() {
        let base = Path::new("/srv/chat");
        assert_eq!(
            StorageUrl::parse("sqlite://originchats.db", base),
            Ok(StorageUrl::Sqlite("/srv/chat/originchats.db".into()))
        );
        assert_eq!(StorageUrl::parse("sqlite:///var/x.db", base), Ok(StorageUrl::Sqlite("/var/x.db".into())));
        assert!(StorageUrl::parse("mysql://x", base).is_err());
        assert_eq!(
            StorageUrl::parse("sqlite://data/a%3Fb%23c%25.db?mode=rwc", base),
            Ok(StorageUrl::Sqlite("/srv/chat/data/a?b#c%.db".into()))
        );
        assert!(StorageUrl::parse("sqlite://a%zz.db", base).is_err());
        assert_eq!(
            StorageUrl::parse("sqlite://x.db", Path::new("/a%20b?c#d")),
            Ok(StorageUrl::Sqlite("/a%20b?c#d/x.db".into())),
            "the config folder is a path, not URL text"
        );
        let pg = StorageUrl::parse("postgres://u:secret@h:5432/db", base).unwrap();
        assert_eq!(pg.masked(), "postgres://u:***@h:5432/db");
        assert_eq!(
            maintenance_url("postgres://u@h:5432/chat?sslmode=disable"),
            Some(("postgres://u@h:5432/postgres?sslmode=disable".into(), "chat".into()))
        );
        assert_eq!(maintenance_url("postgres://u@h:5432"), None);
    }
}
