//! SQLite-backed tests of the store's transactions (Postgres is covered by the black-box
//! suite and tests/tests/storage.rs).

use std::sync::Arc;

use super::writer::Place;
use super::*;

async fn store_in(dir: &std::path::Path) -> SqlStore {
    let db = connect(&StorageUrl::Sqlite(dir.join("test.db"))).await.unwrap();
    let store = SqlStore::new(db);
    store.seed_defaults(&domain::role::default_roles(), &domain::channel::default_channels()).await.unwrap();
    store
}

fn channel(name: &str) -> Channel {
    Channel { name: name.into(), ..domain::channel::default_channels().remove(0) }
}

fn message(id: &str) -> Message {
    Message::new(id.into(), UserId("u".into()), format!("text {id}"), 1.0)
}

#[tokio::test]
async fn a_message_for_a_channel_deleted_meanwhile_is_refused_not_orphaned() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path()).await;
    assert!(store.insert_channel(&channel("doomed")).await.unwrap());
    // The sender checked the channel, then the channel went away before the batch ran.
    let seq = store.channel_seq("doomed").await.unwrap().unwrap();
    assert!(store.delete_channel("doomed").await.unwrap());
    let late = store
        .writer
        .append(Place::Channel("doomed".into()), SqlStore::message_row(store.text, seq, &message("m1")), vec![])
        .await;
    assert!(late.is_err(), "the append is refused");
    let orphans = messages::Entity::find().filter(messages::Column::ChannelSeq.eq(seq)).count(&store.db).await.unwrap();
    assert_eq!(orphans, 0, "no row without a channel is left");
    // Neighbours in other channels are unaffected.
    store.append_message("general", &message("m2")).await.unwrap();
    assert_eq!(store.messages_page("general", 0, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_message_names_its_channel_and_the_batch_finds_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path()).await;
    let missing = store.append_message("nowhere", &message("m0")).await.unwrap_err();
    assert_eq!(missing.kind, StoreErrorKind::Missing);
    assert_eq!(messages::Entity::find().count(&store.db).await.unwrap(), 0, "nothing written");
    assert!(store.insert_channel(&channel("late")).await.unwrap());
    // Queued by name before and after other channels' messages: each lands in its own.
    let first = store.submit_message("late", &message("m1")).await.unwrap();
    let second = store.submit_message("general", &message("m2")).await.unwrap();
    first.await.unwrap();
    second.await.unwrap();
    let late = store.messages_page("late", 0, 10).await.unwrap();
    assert_eq!(late.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["m1"]);
    let general = store.messages_page("general", 0, 10).await.unwrap();
    assert_eq!(general.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["m2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_then_write_transactions_do_not_fail_under_concurrent_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(store_in(dir.path()).await);
    for i in 0..4 {
        assert!(store.insert_channel(&channel(&format!("c{i}"))).await.unwrap());
    }
    let mut tasks = vec![];
    for i in 0..48 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            match i % 3 {
                0 => store.move_channel(&format!("c{}", i % 4), i % 5).await.map(|_| ()),
                1 => store.insert_channel(&channel(&format!("n{i}"))).await.map(|_| ()),
                _ => store.delete_channel(&format!("n{}", i - 1)).await.map(|_| ()),
            }
        }));
    }
    for t in tasks {
        t.await.unwrap().expect("no SQLITE_BUSY under concurrent writers");
    }
    let names: Vec<String> = store.channels().await.unwrap().into_iter().map(|c| c.name).collect();
    for i in 0..4 {
        assert!(names.contains(&format!("c{i}")), "{names:?}");
    }
}

#[tokio::test]
async fn a_sqlite_path_with_url_characters_is_used_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("odd %41 ? # name");
    let db = connect(&StorageUrl::Sqlite(folder.join("chat.db"))).await.unwrap();
    SqlStore::new(db.clone()).insert_channel(&channel("x")).await.unwrap();
    db.close().await.unwrap();
    assert!(folder.join("chat.db").is_file(), "the file is at the exact path");
    let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(entries, vec![std::ffi::OsString::from("odd %41 ? # name")], "and nowhere else");
}

#[tokio::test]
async fn a_bad_row_fails_alone_in_a_shared_batch() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path()).await;
    store.append_message("general", &message("taken")).await.unwrap();
    let seq = store.channel_seq("general").await.unwrap().unwrap();
    let row = |id: &str| SqlStore::message_row(store.text, seq, &message(id));
    // The writer runs on its own thread: to get the 50 rows into one batch, hold SQLite's
    // write lock while the writer takes a first row, so that the 50 queue up behind it.
    let blocker = connect::begin_write(&store.db).await.unwrap();
    let first = store.writer.submit(Place::Channel("general".into()), row("first"), vec![]).await.unwrap();
    let taken = async {
        while store.writer.queued() > 0 {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), taken).await.expect("the writer takes the first row");
    let mut commits = vec![];
    for i in 0..50 {
        let id = if i == 25 { "taken".to_owned() } else { format!("m{i}") };
        let place = Place::Channel("general".into());
        commits.push(store.writer.submit(place, row(&id), vec![format!("@{id}")]).await.unwrap());
    }
    assert_eq!(store.writer.queued(), 50, "all 50 wait for the next batch");
    blocker.rollback().await.unwrap();
    first.await.unwrap();
    for (i, commit) in commits.into_iter().enumerate() {
        let result = commit.await;
        if i == 25 {
            assert_eq!(result.unwrap_err().kind, StoreErrorKind::Conflict);
        } else {
            result.unwrap_or_else(|e| panic!("row {i} failed with its bad neighbour: {e}"));
        }
    }
    let stored = store.messages_page("general", 0, 100).await.unwrap();
    assert_eq!(stored.len(), 51, "the 49 good rows, the first one and the one before");
    assert_eq!(stored[0], message("taken"));
    assert_eq!(stored[1], message("first"));
    let targets: Vec<String> = (0..50).map(|i| format!("@m{i}")).chain(["@taken".to_owned()]).collect();
    let (_, total) = store.mentions_page(&["general".to_owned()], &targets, 0, 100).await.unwrap();
    assert_eq!(total, 49, "the mention rows of the good rows, none of the bad one");
    let rows = mentions::Entity::find().count(&store.db).await.unwrap();
    assert_eq!(rows, 49);
}

#[tokio::test]
async fn search_sees_a_message_at_once_and_the_writer_indexes_it_soon_after() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path()).await;
    let found = |hits: Vec<Message>| hits.into_iter().map(|m| m.id).collect::<Vec<_>>();
    store
        .append_message("general", &Message::new("m1".into(), UserId("u".into()), "a Needle here".into(), 1.0))
        .await
        .unwrap();
    assert_eq!(found(store.search("general", "needle", 10).await.unwrap()), ["m1"], "found right after its commit");
    let waited = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        while search_index::tests::mark(&store.db).await < 1 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    });
    waited.await.expect("the writer indexed the new row");
    // One match in the index, one above its mark: both, newest first.
    store
        .append_message("general", &Message::new("m2".into(), UserId("u".into()), "needles".into(), 2.0))
        .await
        .unwrap();
    store
        .append_message("general", &Message::new("m3".into(), UserId("u".into()), "nothing".into(), 3.0))
        .await
        .unwrap();
    assert_eq!(found(store.search("general", "needle", 10).await.unwrap()), ["m2", "m1"]);
    assert_eq!(found(store.search("general", "needle", 1).await.unwrap()), ["m2"]);
}
