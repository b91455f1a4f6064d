//! Reading fixture folders written the way the original writes them, and importing them
//! into a real SQLite store.

use super::fixture::{line, write_fixture};
use super::*;
use serde_json::json;

fn issue_texts(snap: &Snapshot) -> Vec<String> {
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
