//! Reading fixture folders written the way the original writes them, and importing them
//! into a real SQLite store.

use std::path::Path;

use application::ports::{ChannelRepository, MessageRepository, RoleRepository, Store, UserRepository};
use domain::UserId;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

use super::import::{ImportOutcome, import_snapshot};
use super::*;
use crate::outbound::sql::import_tables::{emojis, push_subscriptions};
use crate::outbound::sql::{ImportError, ImportOptions, SqlStore, StorageUrl, connect};

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap()
}

fn line(id: &str, user: &str, content: &str, ts: f64, extra: serde_json::Value) -> String {
    let mut m =
        json!({"user": user, "content": content, "timestamp": ts, "type": "message", "pinned": false, "id": id});
    if let (Some(m), Some(x)) = (m.as_object_mut(), extra.as_object()) {
        m.extend(x.clone());
    }
    m.to_string()
}

/// Writes a complete original server folder into `root`.
pub(crate) fn write_fixture(root: &Path) {
    let db = root.join("db");
    std::fs::create_dir_all(db.join("channels")).unwrap();
    std::fs::create_dir_all(db.join("serverEmojis")).unwrap();
    std::fs::create_dir_all(db.join("serverAssets")).unwrap();
    std::fs::create_dir_all(root.join("vapid")).unwrap();
    std::fs::write(
        db.join("users.json"),
        pretty(&json!({
            "USR:alice": {"roles": ["owner", "user"], "username": "Alice", "validator": "tok"},
            "USR:bob": {"roles": ["user"], "username": "bob"},
            "carol": {"roles": ["user"]},
            "USR:dave": {"username": "dave"}
        })),
    )
    .unwrap();
    std::fs::write(
        db.join("roles.json"),
        pretty(&json!({
            "owner": {"description": "Server owner", "color": "#9400D3"},
            "admin": {"color": "#FF0000"},
            "user": {"color": "#FFFFFF"},
            "helper": {"color": "#00FF00", "hoisted": true, "permissions": {"mention_roles": ["owner"]}}
        })),
    )
    .unwrap();
    std::fs::write(
        db.join("channels.json"),
        pretty(&json!([
            {"type": "text", "name": "general", "description": "chat",
             "permissions": {"view": ["user"], "send": ["user"], "delete": ["admin"]}},
            {"type": "separator", "size": 10},
            {"type": "text", "name": "news", "permissions": {"view": ["user"], "send": ["owner"]}},
            {"type": "voice", "name": "talk", "permissions": {"view": ["user"]}},
            {"type": "text", "name": "empty", "permissions": {"view": ["user"]}}
        ])),
    )
    .unwrap();
    let general = [
        line("g1", "USR:alice", "hello", 1_700_000_000.5, json!({"pinned": true})),
        line(
            "g2",
            "USR:bob",
            "hi alice",
            1_700_000_001.25,
            json!({"reply_to": {"id": "g1", "user": "USR:alice"}, "ping": false}),
        ),
        "{\"user\":\"USR:bob\",\"content\":\"trunc".to_owned(),
        String::new(),
        line(
            "g3",
            "carol",
            "héllo 👋",
            1_700_000_002.0,
            json!({"reactions": {"👍": ["USR:alice", "USR:bob"]}, "edited": true}),
        ),
    ]
    .join("\n");
    std::fs::write(db.join("channels/general.json"), general).unwrap();
    let news = format!(
        "[{},{}]",
        line("n1", "USR:alice", "first", 1.0, json!({})),
        line("n2", "USR:gone", "second", 2.0, json!({}))
    );
    std::fs::write(db.join("channels/news.json"), news).unwrap();
    std::fs::write(db.join("channels/empty.json"), "").unwrap();
    std::fs::write(db.join("channels/deleted.json"), line("d1", "USR:bob", "lost", 3.0, json!({}))).unwrap();
    std::fs::write(
        db.join("serverEmojis.json"),
        pretty(&json!({"0": {"name": "blob", "fileName": "0.png"}, "1": {"name": "missing", "fileName": "1.gif"}})),
    )
    .unwrap();
    std::fs::write(db.join("serverEmojis/0.png"), b"\x89PNG\r\n\x1a\nimage").unwrap();
    std::fs::write(db.join("serverEmojis/.gitkeep"), b"").unwrap();
    std::fs::write(db.join("serverAssets/icon.png"), b"\x89PNG\r\n\x1a\nicon").unwrap();
    std::fs::write(
        db.join("push_subscriptions.json"),
        pretty(&json!({
            "alice": [{"endpoint": "https://push.example/a", "p256dh": "BKEY", "auth": "AUTH"}],
            "carol": [{"endpoint": "https://push.example/c", "p256dh": "BKEY", "auth": "AUTH"}],
            "nobody": [{"endpoint": "https://push.example/n", "p256dh": "BKEY", "auth": "AUTH"}]
        })),
    )
    .unwrap();
    std::fs::write(root.join("vapid/private_key.pem"), "-----BEGIN PRIVATE KEY-----\nX\n-----END PRIVATE KEY-----\n")
        .unwrap();
    std::fs::write(
        root.join("vapid/vapid_config.json"),
        r#"{"public_key_b64": "BPUB", "claims_email": "mailto:a@b.c"}"#,
    )
    .unwrap();
}

fn issue_texts(snap: &LegacySnapshot) -> Vec<String> {
    snap.issues.iter().map(ToString::to_string).collect()
}

#[test]
fn a_complete_folder_is_read_with_every_kind_of_record() {
    let dir = tempfile::tempdir().unwrap();
    write_fixture(dir.path());
    let snap = read_folder(dir.path()).unwrap();
    assert_eq!(snap.users.len(), 4);
    assert_eq!(snap.roles.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["owner", "admin", "user", "helper"]);
    let names: Vec<_> = snap.channels.iter().map(|c| c.channel.name.as_str()).collect();
    assert_eq!(names, ["general", "news", "talk", "empty"]);
    assert_eq!(snap.channels[0].messages.len(), 3);
    assert_eq!(snap.channels[1].messages.len(), 2);
    assert_eq!(snap.message_count(), 5);
    assert_eq!(snap.emojis.len(), 1);
    assert_eq!(snap.push.len(), 3);
    assert_eq!(snap.vapid_files.len(), 2);
    assert_eq!(snap.asset_files.len(), 1);
    let issues = issue_texts(&snap);
    assert!(issues.iter().any(|i| i.starts_with("db/channels/general.json:3: not valid JSON")), "{issues:#?}");
    assert!(issues.iter().any(|i| i.starts_with("db/channels/deleted.json: no channel \"deleted\"")), "{issues:#?}");
    assert!(issues.iter().any(|i| i.starts_with("db/channels.json [entry 2]")), "{issues:#?}");
    assert!(issues.iter().any(|i| i.starts_with("db/serverEmojis.json [key \"1\"]")), "{issues:#?}");
    assert_eq!(issues.len(), 4, "{issues:#?}");
    assert!(snap.notes.is_empty());

    // The db/ folder itself works too, and reading is deterministic.
    let again = read_folder(&dir.path().join("db")).unwrap();
    assert_eq!(again.fingerprint, snap.fingerprint);
    assert_eq!(again.source, snap.source);
    std::fs::write(dir.path().join("db/channels/empty.json"), line("e1", "USR:bob", "x", 1.0, json!({}))).unwrap();
    assert_ne!(read_folder(dir.path()).unwrap().fingerprint, snap.fingerprint);
}

#[test]
fn unusable_spine_files_abort_and_missing_ones_take_defaults() {
    let dir = tempfile::tempdir().unwrap();
    write_fixture(dir.path());
    for file in ["users.json", "roles.json", "channels.json"] {
        let path = dir.path().join("db").join(file);
        let keep = std::fs::read(&path).unwrap();
        std::fs::write(&path, "{\"truncated\": ").unwrap();
        let e = read_folder(dir.path()).unwrap_err();
        assert!(matches!(&e, LegacyError::Unparsable { file: f, .. } if f == &format!("db/{file}")), "{e}");
        std::fs::write(&path, keep).unwrap();
    }
    std::fs::remove_file(dir.path().join("db/roles.json")).unwrap();
    std::fs::remove_file(dir.path().join("db/channels.json")).unwrap();
    let snap = read_folder(dir.path()).unwrap();
    assert_eq!(snap.roles, domain::role::default_roles());
    assert_eq!(snap.channels.len(), 1);
    assert_eq!(snap.notes.len(), 2);
    let elsewhere = tempfile::tempdir().unwrap();
    assert!(matches!(read_folder(elsewhere.path()), Err(LegacyError::NotAServer(_))));
    assert!(matches!(read_folder(&elsewhere.path().join("nope")), Err(LegacyError::Io { .. })));
}

async fn sqlite_store(dir: &Path) -> SqlStore {
    let db = connect(&StorageUrl::Sqlite(dir.join("data/test.db"))).await.unwrap();
    SqlStore::new(db)
}

fn opts(merge: bool) -> ImportOptions {
    ImportOptions { merge, now: 1_800_000_000.0 }
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
        matches!(&refused, Err(super::import::ImportFailure::Store(ImportError::NotEmpty(what))) if what.contains("4 users")),
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
