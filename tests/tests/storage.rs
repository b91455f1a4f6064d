//! The SQL store under conditions the black-box suite cannot set up: database defaults
//! that differ from ours, and writes racing a channel deletion.

use application::ports::{ChannelRepository, MessageRepository};
use domain::{Channel, Message, UserId};
use originchats_tests::Backend;
use sea_orm::sqlx::{AssertSqlSafe, Connection, PgConnection};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sql::{SqlStore, StorageUrl, connect};

/// Every connection commits synchronously even when the database's own default says
/// otherwise (docs/storage.md, Durability).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_commit_synchronously_whatever_the_database_default() {
    let Some(Backend::Postgres(admin)) = Backend::postgres() else {
        eprintln!("SKIPPED (ORIGINCHATS_TEST_POSTGRES_URL not set): postgres synchronous_commit");
        return;
    };
    let url = originchats_tests::pg::fresh_database(&admin).await;
    let name = url.rsplit('/').next().unwrap().split('?').next().unwrap().to_owned();
    let mut conn = PgConnection::connect(&admin).await.unwrap();
    let alter = format!("ALTER DATABASE \"{name}\" SET synchronous_commit = off");
    sea_orm::sqlx::query(AssertSqlSafe(alter)).execute(&mut conn).await.unwrap();
    let _ = conn.close().await;

    let mut plain = PgConnection::connect(&url).await.unwrap();
    let (default,): (String,) = sea_orm::sqlx::query_as("SHOW synchronous_commit").fetch_one(&mut plain).await.unwrap();
    assert_eq!(default, "off", "the database default is off, so the check below means something");
    let _ = plain.close().await;

    let db = connect(&StorageUrl::Postgres(url.clone())).await.unwrap();
    // Several at once, so that more than one pooled connection answers.
    let show = || async {
        let row = db
            .query_one_raw(Statement::from_string(DbBackend::Postgres, "SHOW synchronous_commit"))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by::<String, _>(0).unwrap()
    };
    let answers = futures_util::future::join_all((0..6).map(|_| show())).await;
    assert!(answers.iter().all(|a| a == "on"), "{answers:?}");
    db.close().await.unwrap();
    originchats_tests::pg::drop_database(&admin, &url);
}

/// Messages appended while their channel is deleted never stay behind without a channel.
async fn no_message_outlives_its_channel(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = match &b {
        Backend::Sqlite => StorageUrl::Sqlite(dir.path().join("race.db")),
        Backend::Postgres(admin) => StorageUrl::Postgres(originchats_tests::pg::fresh_database(admin).await),
    };
    let db = connect(&url).await.unwrap();
    let store = std::sync::Arc::new(SqlStore::new(db.clone()));
    let template = domain::channel::default_channels().remove(0);
    for round in 0..20 {
        let name = format!("room{round}");
        assert!(store.insert_channel(&Channel { name: name.clone(), ..template.clone() }).await.unwrap());
        let mut senders = vec![];
        for s in 0..6 {
            let (store, name) = (store.clone(), name.clone());
            senders.push(tokio::spawn(async move {
                for i in 0..8 {
                    let m = Message::new(format!("{s}-{i}"), UserId("u".into()), "x".into(), 1.0);
                    let _ = store.append_message(&name, &m).await;
                }
            }));
        }
        tokio::task::yield_now().await;
        assert!(store.delete_channel(&name).await.unwrap());
        for s in senders {
            s.await.unwrap();
        }
    }
    let orphans = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) FROM messages m WHERE NOT EXISTS (SELECT 1 FROM channels c WHERE c.seq = m.channel_seq)",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by::<i64, _>(0)
        .unwrap();
    assert_eq!(orphans, 0, "messages left without a channel");
    db.close().await.unwrap();
    if let (Backend::Postgres(admin), StorageUrl::Postgres(u)) = (&b, &url) {
        originchats_tests::pg::drop_database(admin, u);
    }
}

originchats_tests::backend_tests!(no_message_outlives_its_channel);
