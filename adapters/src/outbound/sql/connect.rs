//! Opening a database by URL and migrating it.

use std::path::Path;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
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
    /// path is taken relative to `base`.
    pub fn parse(url: &str, base: &Path) -> Result<Self, String> {
        if let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            let path = rest.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(format!("storage.url {url:?} names no SQLite file"));
            }
            let p = Path::new(path);
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

fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let Some((creds, host)) = rest.split_once('@') else { return url.to_owned() };
    match creds.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// Connects, applies every pending migration and returns the connection.
pub async fn connect(url: &StorageUrl) -> anyhow::Result<DatabaseConnection> {
    let mut opts = match url {
        StorageUrl::Sqlite(path) => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let mut o = ConnectOptions::new(format!("sqlite://{}?mode=rwc", path.display()));
            o.map_sqlx_sqlite_opts(|s| {
                s.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(Duration::from_secs(30))
                    .create_if_missing(true)
            });
            o.max_connections(8);
            o
        }
        StorageUrl::Postgres(u) => {
            let mut o = ConnectOptions::new(u.clone());
            o.max_connections(16);
            o
        }
    };
    opts.sqlx_logging(false).connect_timeout(Duration::from_secs(10));
    let db = Database::connect(opts).await?;
    Migrator::up(&db, None).await?;
    Ok(db)
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
        let pg = StorageUrl::parse("postgres://u:secret@h:5432/db", base).unwrap();
        assert_eq!(pg.masked(), "postgres://u:***@h:5432/db");
    }
}
