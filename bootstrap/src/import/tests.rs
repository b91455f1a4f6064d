//! Reading fixture folders written the way the original writes them and importing them
//! into a real SQLite store.

use std::path::Path;

use application::import::{ImportError, ImportOptions, ImportScope, ImportTarget};
use application::ports::{ChannelRepository, MessageRepository, RoleRepository, Store, UserRepository};
use domain::UserId;
use legacy::fixture::{line, write_fixture};
use legacy::read_folder;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;
use sql::import_tables::{emojis, push_subscriptions};
use sql::{SqlStore, StorageUrl, connect};

use super::apply::{ImportFailure, ImportOutcome, import_snapshot};

async fn sqlite_store(dir: &Path) -> SqlStore {
    let db = connect(&StorageUrl::Sqlite(dir.join("data/test.db"))).await.unwrap();
    SqlStore::new(db)
}

fn opts(merge: bool) -> ImportOptions {
    ImportOptions { merge, now: 1_800_000_000.0, scope: ImportScope::Everything }
}

#[tokio::test]
async fn importing_replaces_the_defaults_and_a_second_run_is_a_no_op() {
    let src = tempfile::tempdir().unwrap();
    write_fixture(src.path());
    let dest = tempfile::tempdir().unwrap();
    let store = sqlite_store(dest.path()).await;
    assert!(store.seed_defaults(&domain::role::default_roles(), &domain::channel::default_channels()).await.unwrap());
    assert!(store.holds_only_defaults().await.unwrap());

    let seen = std::sync::Mutex::new(vec![]);
    let progress = |n: u64| seen.lock().unwrap().push(n);
    let snap = read_folder(src.path()).unwrap();
    let outcome = import_snapshot(&store, snap.clone(), dest.path(), opts(false), &progress).await.unwrap();
    let ImportOutcome::Imported(summary) = outcome else { panic!("not imported: {outcome:?}") };
    let c = &summary.counts;
    assert!(c.replaced_defaults);
    assert_eq!((c.users, c.roles, c.channels, c.messages), (4, 4, 4, 5));
    assert_eq!((c.pinned, c.replies, c.reactions), (1, 1, 2));
    assert_eq!((c.emojis, c.push, c.push_unmatched), (1, 2, 1));
    assert_eq!((summary.files.vapid, summary.files.emoji_images, summary.files.assets), (2, 1, 1));
    assert_eq!(*seen.lock().unwrap().last().unwrap(), 5);
    assert!(summary.issues.iter().any(|i| i.to_string().contains("[key \"nobody\"]")));

    let roles: Vec<_> = store.roles().await.unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(roles, ["owner", "admin", "user", "helper"]);
    let channels: Vec<_> = store.channels().await.unwrap().into_iter().map(|c| c.name).collect();
    assert_eq!(channels, ["general", "news", "talk", "empty"]);
    assert_eq!(store.user(&UserId("USR:alice".into())).await.unwrap().unwrap().roles, ["owner", "user"]);
    assert_eq!(store.user_by_name("alice").await.unwrap().unwrap().id.0, "USR:alice");
    assert_eq!(store.user(&UserId("carol".into())).await.unwrap().unwrap().display_name(), "carol");
    let general = store.messages_page("general", 0, 100).await.unwrap();
    assert_eq!(general.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["g1", "g2", "g3"]);
    assert!(general[0].pinned);
    assert_eq!(general[1].reply_to.as_ref().unwrap().author.0, "USR:alice");
    assert_eq!(general[1].ping, Some(false));
    assert_eq!(general[2].reactions[0].1.len(), 2);
    assert!(general[2].edited);
    assert_eq!(store.messages_page("news", 0, 100).await.unwrap().len(), 2);
    let conn = store.connection();
    let subs = push_subscriptions::Entity::find().all(conn).await.unwrap();
    let owners: Vec<_> = subs.iter().map(|s| s.user_id.as_str()).collect();
    assert_eq!(owners, ["USR:alice", "carol"]);
    let emoji = emojis::Entity::find().one(conn).await.unwrap().unwrap();
    assert_eq!((emoji.id, emoji.name.as_str(), emoji.content_type.as_str()), (0, "blob", "image/png"));
    assert!(dest.path().join("db/serverEmojis/0.png").is_file());
    assert!(dest.path().join("db/serverAssets/icon.png").is_file());
    assert!(dest.path().join("vapid/private_key.pem").is_file());

    // Same source again: recognised, nothing changes.
    let outcome = import_snapshot(&store, read_folder(src.path()).unwrap(), dest.path(), opts(false), &|_| {}).await;
    assert!(matches!(outcome, Ok(ImportOutcome::AlreadyImported { .. })), "{outcome:?}");
    assert_eq!(store.messages_page("general", 0, 100).await.unwrap().len(), 3);
    // The server's own seeding does not add the defaults back.
    assert!(!store.seed_defaults(&domain::role::default_roles(), &domain::channel::default_channels()).await.unwrap());
}

#[tokio::test]
async fn real_data_is_refused_without_merge_and_merge_adds_only_what_is_missing() {
    let src = tempfile::tempdir().unwrap();
    write_fixture(src.path());
    let dest = tempfile::tempdir().unwrap();
    let store = sqlite_store(dest.path()).await;
    let first = import_snapshot(&store, read_folder(src.path()).unwrap(), dest.path(), opts(false), &|_| {}).await;
    assert!(matches!(first, Ok(ImportOutcome::Imported(_))));

    // The source changes: a new message, a new channel file line, another VAPID key.
    let general = src.path().join("db/channels/general.json");
    let mut text = std::fs::read_to_string(&general).unwrap();
    text.push('\n');
    text.push_str(&line("g4", "USR:dave", "new one", 1_700_000_003.0, json!({})));
    std::fs::write(&general, text).unwrap();
    std::fs::write(src.path().join("vapid/private_key.pem"), "other key").unwrap();
    let snap = read_folder(src.path()).unwrap();
    let refused = import_snapshot(&store, snap.clone(), dest.path(), opts(false), &|_| {}).await;
    assert!(
        matches!(&refused, Err(ImportFailure::Store(ImportError::NotEmpty(what))) if what.contains("4 users")),
        "{refused:?}"
    );
    assert_eq!(store.messages_page("general", 0, 100).await.unwrap().len(), 3);

    let merged = import_snapshot(&store, snap, dest.path(), opts(true), &|_| {}).await.unwrap();
    let ImportOutcome::Imported(summary) = merged else { panic!() };
    let c = &summary.counts;
    assert!(!c.replaced_defaults);
    assert_eq!((c.users, c.users_existing, c.roles, c.roles_existing), (0, 4, 0, 4));
    assert_eq!((c.channels, c.channels_existing, c.messages, c.messages_existing), (0, 4, 1, 5));
    assert_eq!((c.emojis, c.emojis_existing, c.push), (0, 1, 0));
    assert!(summary.issues.iter().any(|i| i.file == "vapid/private_key.pem"), "{:#?}", summary.issues);
    assert_ne!(std::fs::read_to_string(dest.path().join("vapid/private_key.pem")).unwrap(), "other key");
    let ids: Vec<_> = store.messages_page("general", 0, 100).await.unwrap().into_iter().map(|m| m.id).collect();
    assert_eq!(ids, ["g1", "g2", "g3", "g4"]);
    assert_eq!(push_subscriptions::Entity::find().count(store.connection()).await.unwrap(), 2);
}

#[tokio::test]
async fn many_messages_go_in_batches_in_one_transaction() {
    let src = tempfile::tempdir().unwrap();
    write_fixture(src.path());
    let n = 1234;
    let lines: Vec<String> =
        (0..n).map(|i| line(&format!("b{i}"), "USR:bob", &format!("bulk {i}"), 1.0 + i as f64, json!({}))).collect();
    std::fs::write(src.path().join("db/channels/empty.json"), lines.join("\n")).unwrap();
    let dest = tempfile::tempdir().unwrap();
    let store = sqlite_store(dest.path()).await;
    let seen = std::sync::Mutex::new(vec![]);
    let progress = |n: u64| seen.lock().unwrap().push(n);
    let out = import_snapshot(&store, read_folder(src.path()).unwrap(), dest.path(), opts(false), &progress).await;
    let Ok(ImportOutcome::Imported(summary)) = out else { panic!("{out:?}") };
    assert_eq!(summary.counts.messages, 5 + n);
    // Several batches per channel, each reported; the last report covers every message.
    let seen = seen.into_inner().unwrap();
    assert!(seen.len() >= 5, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert_eq!(*seen.last().unwrap(), 5 + n);
    let page = store.messages_page("empty", 0, 2).await.unwrap();
    assert_eq!(page.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), [format!("b{}", n - 2), format!("b{}", n - 1)]);
}
