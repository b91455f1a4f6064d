//! Fresh Postgres databases for tests (docs/design/testing.md#fresh-database-per-test): a template migrated once per
//! schema version, cloned per test, dropped when the test ends.

use sea_orm::sqlx::{AssertSqlSafe, Connection, PgConnection};
use sql::{StorageUrl, connect, schema_version};

/// Advisory-lock key serialising template creation and cloning across test processes.
const LOCK_KEY: i64 = 0x6f72_6967_696e;

fn with_database(admin_url: &str, name: &str) -> String {
    let (head, query) = admin_url.split_once('?').map(|(h, q)| (h, Some(q))).unwrap_or((admin_url, None));
    let scheme_end = head.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match head[scheme_end..].find('/') {
        Some(i) => &head[..scheme_end + i],
        None => head,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

async fn admin(admin_url: &str) -> PgConnection {
    PgConnection::connect(admin_url).await.unwrap_or_else(|e| panic!("cannot connect to {admin_url}: {e}"))
}

async fn exec(conn: &mut PgConnection, sql: String) {
    sea_orm::sqlx::query(AssertSqlSafe(sql.clone())).execute(&mut *conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Creates a fresh, migrated database and returns its URL.
pub async fn fresh_database(admin_url: &str) -> String {
    let template = format!("originchats_tpl_{}", schema_version());
    let name = format!("originchats_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = admin(admin_url).await;
    exec(&mut conn, format!("SELECT pg_advisory_lock({LOCK_KEY})")).await;
    let exists = sea_orm::sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&template)
        .fetch_optional(&mut conn)
        .await
        .expect("query pg_database")
        .is_some();
    if !exists {
        let building = format!("{template}_building");
        exec(&mut conn, format!("DROP DATABASE IF EXISTS \"{building}\"")).await;
        exec(&mut conn, format!("CREATE DATABASE \"{building}\"")).await;
        let db = connect(&StorageUrl::Postgres(with_database(admin_url, &building))).await.expect("migrate template");
        db.close().await.expect("close template");
        exec(&mut conn, format!("ALTER DATABASE \"{building}\" RENAME TO \"{template}\"")).await;
    }
    exec(&mut conn, format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"")).await;
    exec(&mut conn, format!("SELECT pg_advisory_unlock({LOCK_KEY})")).await;
    let _ = conn.close().await;
    with_database(admin_url, &name)
}

/// Drops a test database (blocking; for `Drop`).
pub fn drop_database(admin_url: &str, url: &str) {
    let Some(name) = url.rsplit('/').next().map(|n| n.split('?').next().unwrap_or(n).to_owned()) else { return };
    let admin_url = admin_url.to_owned();
    let _ = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            let mut conn = admin(&admin_url).await;
            exec(&mut conn, format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
            let _ = conn.close().await;
        });
    })
    .join();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls() {
        assert_eq!(with_database("postgres://u@h:5432/postgres", "x"), "postgres://u@h:5432/x");
        assert_eq!(with_database("postgres://u@h/postgres?sslmode=disable", "x"), "postgres://u@h/x?sslmode=disable");
    }
}
