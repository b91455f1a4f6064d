//! The SQL store under conditions the black-box suite cannot set up: database defaults
//! that differ from ours, writes racing a channel deletion, and databases written by an
//! earlier version (before the mentions table, before the push endpoint index, before role
//! positions, before threads).

use application::ports::{
    ChannelRepository, MessageRepository, PushSubscriptionRepository, RoleRepository, Subscription, UserRepository,
};
use domain::{Channel, Message, User, UserId};
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
    let url = fresh_url(&b, dir.path(), "race.db").await;
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
    drop_url(&b, &url);
}

/// A fresh database for `b`: the file `file` in `dir` for SQLite, a database of its own
/// for PostgreSQL (dropped by [`drop_url`]).
async fn fresh_url(b: &Backend, dir: &std::path::Path, file: &str) -> StorageUrl {
    match b {
        Backend::Sqlite => StorageUrl::Sqlite(dir.join(file)),
        Backend::Postgres(admin) => StorageUrl::Postgres(originchats_tests::pg::fresh_database(admin).await),
    }
}

/// Drops a PostgreSQL database made by [`fresh_url`] (a SQLite file goes with its folder).
fn drop_url(b: &Backend, url: &StorageUrl) {
    if let (Backend::Postgres(admin), StorageUrl::Postgres(u)) = (b, url) {
        originchats_tests::pg::drop_database(admin, u);
    }
}

/// Runs `sql` with `values` on `db`.
async fn execute(db: &sea_orm::DatabaseConnection, sql: &str, values: Vec<sea_orm::Value>) {
    db.execute_raw(Statement::from_sql_and_values(db.get_database_backend(), sql, values))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// A Postgres database written before text was escaped holds U+E000 (now the escape
/// character) as it is; the upgrade at start-up escapes it, so it reads back unchanged
/// (docs/design/storage.md#text-on-postgresql).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_text_written_before_escaping_reads_back_unchanged() {
    let Some(Backend::Postgres(admin)) = Backend::postgres() else {
        eprintln!("SKIPPED (ORIGINCHATS_TEST_POSTGRES_URL not set): postgres escape migration");
        return;
    };
    let url = originchats_tests::pg::fresh_database(&admin).await;
    let storage = StorageUrl::Postgres(url.clone());
    let db = connect(&storage).await.unwrap();
    // What the earlier version wrote: text as it is, U+E000 included.
    let e = '\u{E000}';
    let (room, author, name) = (format!("room {e}0 {e}e {e}"), format!("u{e}1"), format!("Old{e}0Name"));
    let content = format!("x{e}0y {e}e {e}");
    let channel = Channel { name: room.clone(), ..domain::channel::default_channels().remove(0) };
    execute(
        &db,
        "INSERT INTO channels (name, position, data) VALUES ($1, 0, $2)",
        vec![room.clone().into(), codec::records::channel_document(&channel).into()],
    )
    .await;
    execute(
        &db,
        "INSERT INTO users (id, username, username_lower, roles, validator, extra) VALUES ($1, $2, $3, $4, NULL, '{}')",
        vec![author.clone().into(), name.clone().into(), name.to_lowercase().into(), format!("[\"user{e}\"]").into()],
    )
    .await;
    execute(
        &db,
        "INSERT INTO messages (channel_seq, id, user_id, content, content_lower, timestamp, pinned, data) \
         SELECT seq, $1, $2, $3, $4, 1.5, false, '{}' FROM channels WHERE name = $5",
        vec![
            format!("m{e}0").into(),
            author.clone().into(),
            content.clone().into(),
            content.to_lowercase().into(),
            room.clone().into(),
        ],
    )
    .await;
    execute(&db, "DELETE FROM seaql_migrations WHERE version = 'm0003_escape_text_on_postgres'", vec![]).await;
    db.close().await.unwrap();

    let db = connect(&storage).await.unwrap();
    let store = SqlStore::new(db.clone());
    assert_eq!(store.channel(&room).await.unwrap(), Some(channel));
    let message = Message::new(format!("m{e}0"), UserId(author.clone()), content.clone(), 1.5);
    assert_eq!(store.messages_page(&room, 0, 10).await.unwrap(), vec![message.clone()]);
    assert_eq!(store.message(&room, &message.id).await.unwrap(), Some((message.clone(), 1)));
    assert_eq!(store.search(&room, &format!("{e}0y"), 10).await.unwrap(), vec![message.clone()]);
    assert_eq!(store.search(&room, &format!("{e}e"), 10).await.unwrap(), vec![message]);
    let user = User {
        id: UserId(author.clone()),
        username: Some(name.clone()),
        roles: vec![format!("user{e}")],
        validator: None,
        extra: vec![],
        timeout_until: None,
        profile: Default::default(),
    };
    assert_eq!(store.user(&user.id).await.unwrap(), Some(user.clone()));
    assert_eq!(store.user_by_name(&name).await.unwrap(), Some(user));
    db.close().await.unwrap();
    originchats_tests::pg::drop_database(&admin, &url);
}

/// A database written before the `mentions` table existed gets it filled from the stored
/// messages at start-up (docs/design/messages.md#pings-list).
async fn pings_of_messages_stored_before_the_mentions_table_are_found(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_url(&b, dir.path(), "old.db").await;
    let db = connect(&url).await.unwrap();
    let store = SqlStore::new(db.clone());
    let template = domain::channel::default_channels().remove(0);
    let odd = "\u{0}\u{E000}e";
    let (room, other) = (format!("room{odd}"), "other".to_owned());
    for name in [&room, &other] {
        assert!(store.insert_channel(&Channel { name: name.clone(), ..template.clone() }).await.unwrap());
    }
    let alice = User {
        id: UserId(format!("u-alice{odd}")),
        username: Some("Alice".into()),
        roles: vec!["staff".into()],
        validator: None,
        extra: vec![],
        timeout_until: None,
        profile: Default::default(),
    };
    let asked = Message::new("q".into(), alice.id.clone(), "question".into(), 1.0);
    let answer = |id: &str, ping: Option<bool>, t: f64| Message {
        reply_to: Some(domain::ReplyRef { id: "q".into(), author: alice.id.clone() }),
        ping,
        ..Message::new(id.into(), UserId("u-bob".into()), format!("answer {odd}"), t)
    };
    let stored = [
        (&room, asked.clone()),
        (&room, Message::new(format!("m1{odd}"), UserId("u-bob".into()), "hi @ALICE".into(), 2.0)),
        (&room, answer("m2", None, 3.0)),
        (&room, answer("m3", Some(false), 4.0)),
        (&other, Message::new("m4".into(), UserId("u-bob".into()), "@&staff meeting".into(), 5.0)),
        (&other, Message::new("m5".into(), UserId("u-bob".into()), "@alicex".into(), 6.0)),
    ];
    for (channel, m) in &stored {
        store.append_message(channel, m).await.unwrap();
    }
    let channels = vec![room.clone(), other.clone()];
    let targets = domain::mentions::user_targets(&alice);
    let expected = (
        vec![
            (other.clone(), stored[4].1.clone()),
            (room.clone(), stored[2].1.clone()),
            (room.clone(), stored[1].1.clone()),
        ],
        3,
    );
    assert_eq!(store.mentions_page(&channels, &targets, 0, 10).await.unwrap(), expected);
    // The database as the version before the table wrote it.
    let backend = db.get_database_backend();
    for sql in ["DROP TABLE mentions", "DELETE FROM seaql_migrations WHERE version = 'm0004_mentions'"] {
        db.execute_raw(Statement::from_string(backend, sql)).await.unwrap();
    }
    db.close().await.unwrap();

    let db = connect(&url).await.unwrap();
    let store = SqlStore::new(db.clone());
    assert_eq!(store.mentions_page(&channels, &targets, 0, 10).await.unwrap(), expected, "backfilled");
    assert!(store.delete_message(&room, &stored[2].1.id).await.unwrap());
    assert_eq!(store.mentions_page(&channels, &targets, 0, 10).await.unwrap().1, 2, "and kept from then on");
    db.close().await.unwrap();
    drop_url(&b, &url);
}

/// How many indexes named `name` the database has.
async fn indexes_named(db: &sea_orm::DatabaseConnection, name: &str) -> i64 {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => format!("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = '{name}'"),
        _ => format!("SELECT COUNT(*) FROM pg_indexes WHERE indexname = '{name}'"),
    };
    let row = db.query_one_raw(Statement::from_string(backend, sql)).await.unwrap().unwrap();
    row.try_get_by::<i64, _>(0).unwrap()
}

/// A database written before `m0005` (subscriptions imported, no index on their endpoint)
/// upgrades in place and keeps its subscriptions (docs/design/push.md#storage).
async fn push_subscriptions_stored_before_m0005_are_kept(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_url(&b, dir.path(), "old.db").await;
    let db = connect(&url).await.unwrap();
    let store = SqlStore::new(db.clone());
    let (alice, bob) = (UserId("USR:alice".into()), UserId("USR:bob".into()));
    let sub = |endpoint: &str| Subscription { endpoint: endpoint.into(), p256dh: "P".into(), auth: "A".into() };
    store.save_subscription(&alice, &sub("https://push.example/1"), 10, 1.0).await.unwrap();
    store.save_subscription(&alice, &sub("https://push.example/2"), 10, 2.0).await.unwrap();
    let backend = db.get_database_backend();
    for sql in [
        "DROP INDEX ix_push_subscriptions_endpoint",
        "DELETE FROM seaql_migrations WHERE version = 'm0005_push_subscription_endpoints'",
    ] {
        db.execute_raw(Statement::from_string(backend, sql)).await.unwrap();
    }
    assert_eq!(indexes_named(&db, "ix_push_subscriptions_endpoint").await, 0);
    db.close().await.unwrap();

    let db = connect(&url).await.unwrap();
    assert_eq!(indexes_named(&db, "ix_push_subscriptions_endpoint").await, 1, "m0005 ran again");
    let store = SqlStore::new(db.clone());
    let endpoints = |subs: Vec<Subscription>| subs.into_iter().map(|s| s.endpoint).collect::<Vec<_>>();
    assert_eq!(
        endpoints(store.subscriptions(&alice).await.unwrap()),
        ["https://push.example/1", "https://push.example/2"]
    );
    store.save_subscription(&bob, &sub("https://push.example/1"), 10, 3.0).await.unwrap();
    assert_eq!(endpoints(store.subscriptions(&alice).await.unwrap()), ["https://push.example/2"]);
    db.close().await.unwrap();
    drop_url(&b, &url);
}

/// A database written before `m0006` (role documents without `position` or `id`) upgrades
/// in place: every role gets its position in creation order and a fresh id; everything
/// else in the role records stays (docs/design/roles.md#positions).
async fn roles_stored_before_m0006_get_positions_in_creation_order(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_url(&b, dir.path(), "old.db").await;
    let db = connect(&url).await.unwrap();
    let backend = db.get_database_backend();
    // Role rows as the version before wrote them: no position, no id.
    let old = [
        ("owner", r##"{"description":"Server owner","color":"#9400D3"}"##),
        ("zeta", r#"{"description":"z","permissions":{"mention_roles":false},"hoisted":true}"#),
        ("alpha", r##"{"color":"#00FF00","custom":[1,2]}"##),
    ];
    db.execute_raw(Statement::from_string(
        backend,
        "DELETE FROM seaql_migrations WHERE version = 'm0006_role_positions'",
    ))
    .await
    .unwrap();
    let insert = match backend {
        DbBackend::Sqlite => "INSERT INTO roles (name, data) VALUES (?, ?)",
        _ => "INSERT INTO roles (name, data) VALUES ($1, $2)",
    };
    for (name, data) in old {
        execute(&db, insert, vec![name.into(), data.into()]).await;
    }
    let store = SqlStore::new(db.clone());
    assert!(store.roles().await.unwrap().iter().all(|r| r.id.is_empty() && r.position == 0), "the old shape");
    db.close().await.unwrap();

    let db = connect(&url).await.unwrap();
    let store = SqlStore::new(db.clone());
    let roles = store.roles().await.unwrap();
    let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["owner", "zeta", "alpha"], "creation order kept");
    assert_eq!(roles.iter().map(|r| r.position).collect::<Vec<_>>(), [0, 1, 2]);
    assert!(roles.iter().all(|r| r.id.len() == 36), "{roles:?}");
    assert_ne!(roles[0].id, roles[1].id);
    for (role, (name, data)) in roles.iter().zip(old) {
        let before = codec::records::role_from_document(name, data);
        assert_eq!(
            domain::Role { id: String::new(), position: 0, ..role.clone() },
            before,
            "{name} otherwise unchanged"
        );
    }
    assert_eq!(roles[1].mention, domain::MentionRule::Nobody);
    // From then on positions are kept and reordering works.
    let order: Vec<String> = ["alpha", "owner", "zeta"].map(String::from).to_vec();
    assert!(store.reorder_roles(&order).await.unwrap());
    let names: Vec<String> = store.roles().await.unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(names, order);
    db.close().await.unwrap();
    drop_url(&b, &url);
}

/// A database written before `m0008` (no `threads` table) upgrades in place: its channels
/// and messages stay, and threads work from then on (docs/design/threads.md#storage).
async fn a_database_before_threads_upgrades_in_place(b: Backend) {
    use application::ports::ThreadRepository;
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_url(&b, dir.path(), "old.db").await;
    let db = connect(&url).await.unwrap();
    let store = SqlStore::new(db.clone());
    let forum = Channel { kind: domain::ChannelKind::parse("forum"), ..domain::channel::default_channels().remove(0) };
    let forum = Channel { name: "ideas".into(), ..forum };
    assert!(store.insert_channel(&forum).await.unwrap());
    let general = domain::channel::default_channels().remove(0);
    assert!(store.insert_channel(&general).await.unwrap());
    store.append_message("general", &Message::new("m1".into(), UserId("u".into()), "kept".into(), 1.0)).await.unwrap();
    let backend = db.get_database_backend();
    for sql in ["DROP TABLE threads", "DELETE FROM seaql_migrations WHERE version = 'm0008_threads'"] {
        db.execute_raw(Statement::from_string(backend, sql)).await.unwrap();
    }
    db.close().await.unwrap();

    let db = connect(&url).await.unwrap();
    let store = SqlStore::new(db.clone());
    assert_eq!(store.message_count("general").await.unwrap(), 1, "messages kept");
    assert_eq!(store.threads("ideas").await.unwrap(), vec![]);
    let t = domain::Thread {
        id: "t1".into(),
        name: "first".into(),
        parent_channel: "ideas".into(),
        created_by: UserId("u".into()),
        created_at: 2.0,
        locked: false,
        archived: false,
        participants: vec![UserId("u".into())],
    };
    assert!(store.insert_thread(&t).await.unwrap());
    let key = domain::thread::thread_key("t1");
    store.append_message(&key, &Message::new("m2".into(), UserId("u".into()), "in".into(), 3.0)).await.unwrap();
    assert_eq!(store.thread("t1").await.unwrap(), Some(t));
    assert_eq!(store.message_count(&key).await.unwrap(), 1);
    db.close().await.unwrap();
    drop_url(&b, &url);
}

originchats_tests::backend_tests!(
    no_message_outlives_its_channel,
    pings_of_messages_stored_before_the_mentions_table_are_found,
    push_subscriptions_stored_before_m0005_are_kept,
    roles_stored_before_m0006_get_positions_in_creation_order,
    a_database_before_threads_upgrades_in_place
);
