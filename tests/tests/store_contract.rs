//! The repository contract (application/src/ports/store.rs), run case for case on every
//! `Store`: the in-memory reference model, the SQL store over SQLite and over PostgreSQL,
//! and the read-through cache over the memory and the SQLite store. A test is called
//! `<store>::<case>`, so a failure names the store that breaks the contract.
//!
//! Every store is fresh per test (a new SQLite file, a new Postgres database cloned from
//! the migrated template and dropped at the end). Postgres runs when
//! `ORIGINCHATS_TEST_POSTGRES_URL` is set, else its tests print a SKIPPED line and pass.
//! Cases read before they write where a cache could serve a stale answer.

use std::sync::Arc;

use ::memory::MemoryStore; // `::`: the `memory` test module below has the same name
use application::ports::{PendingChange, Store, StoreErrorKind, StoreResult, Subscription};
use cache::CachedStore;
use domain::message::Interaction;
use domain::thread::thread_key;
use domain::{
    Channel, ChannelKind, Emoji, MentionRule, Message, PermissionMap, RawJson, ReplyRef, Role, Thread, User, UserId,
};
use sql::{SqlStore, StorageUrl, connect};

// ---------------------------------------------------------------------------------------
// Stores under test
// ---------------------------------------------------------------------------------------

/// A store under test and what keeps its database alive until the test ends (fields drop
/// in order: the store first, then its folder or database).
struct Subject {
    store: Arc<dyn Store>,
    _sqlite_dir: Option<tempfile::TempDir>,
    _postgres: Option<PgDatabase>,
}

/// A fresh Postgres database, dropped with the test.
struct PgDatabase {
    admin: String,
    url: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        originchats_tests::pg::drop_database(&self.admin, &self.url);
    }
}

impl Subject {
    fn of(store: Arc<dyn Store>) -> Self {
        Self { store, _sqlite_dir: None, _postgres: None }
    }

    async fn memory() -> Self {
        Self::of(Arc::new(MemoryStore::new()))
    }

    async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = connect(&StorageUrl::Sqlite(dir.path().join("contract.db"))).await.unwrap();
        Self { _sqlite_dir: Some(dir), ..Self::of(Arc::new(SqlStore::new(db))) }
    }

    /// `None` when no Postgres server is configured.
    async fn postgres() -> Option<Self> {
        let admin = std::env::var("ORIGINCHATS_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty())?;
        let url = originchats_tests::pg::fresh_database(&admin).await;
        let database = PgDatabase { admin, url };
        let db = connect(&StorageUrl::Postgres(database.url.clone())).await.unwrap();
        Some(Self { _postgres: Some(database), ..Self::of(Arc::new(SqlStore::new(db))) })
    }

    async fn cached() -> Self {
        Self::of(Arc::new(CachedStore::new(Arc::new(MemoryStore::new()))))
    }

    async fn cached_sqlite() -> Self {
        let Self { store, _sqlite_dir, .. } = Self::sqlite().await;
        Self { _sqlite_dir, ..Self::of(Arc::new(CachedStore::new(store))) }
    }
}

// ---------------------------------------------------------------------------------------
// Records and helpers
// ---------------------------------------------------------------------------------------

/// A JSON string value, as stored extras hold it (canonical form, so that it reads back
/// byte for byte).
fn json_string(text: &str) -> RawJson {
    RawJson(serde_json::Value::String(text.to_owned()).to_string())
}

fn user(id: &str, name: &str) -> User {
    User {
        id: UserId(id.into()),
        username: Some(name.into()),
        roles: vec!["user".into()],
        validator: Some(format!("token-{id}")),
        extra: vec![("bio".into(), json_string(&format!("I am {name}"))), ("level".into(), RawJson("3".into()))],
        timeout_until: None,
        profile: Default::default(),
    }
}

/// A user record of the original's files without a username.
fn legacy_user(id: &str) -> User {
    User { username: None, roles: vec![], validator: None, extra: vec![], ..user(id, "") }
}

fn role(name: &str, color: Option<&str>) -> Role {
    Role { description: Some(format!("the {name} role")), ..Role::named(name, color) }
}

/// A role whose `mention` rule comes from its stored `permissions` object, as the server
/// keeps them.
fn role_mentionable_by(name: &str, allowed: &[&str]) -> Role {
    let list = serde_json::to_string(allowed).unwrap();
    Role {
        mention: MentionRule::Roles(allowed.iter().map(|r| r.to_string()).collect()),
        extra: vec![
            ("permissions".into(), RawJson(format!("{{\"mention_roles\":{list}}}"))),
            ("hoisted".into(), RawJson("true".into())),
        ],
        ..role(name, Some("#00FF00"))
    }
}

fn channel(name: &str) -> Channel {
    Channel {
        name: name.into(),
        kind: ChannelKind::Text,
        permissions: Some(PermissionMap(vec![
            ("view".into(), vec!["user".into()]),
            ("send".into(), vec!["user".into(), "admin".into()]),
        ])),
        extra: vec![("description".into(), json_string(&format!("about {name}")))],
    }
}

fn message(id: &str, content: &str, timestamp: f64) -> Message {
    Message::new(id.into(), UserId("u-author".into()), content.into(), timestamp)
}

/// A message replying to `parent`.
fn reply(id: &str, content: &str, timestamp: f64, parent: &Message) -> Message {
    Message {
        reply_to: Some(ReplyRef { id: parent.id.clone(), author: parent.author.clone() }),
        ..message(id, content, timestamp)
    }
}

/// Creates channel `name` and appends one message per content: ids `<name>-1`, `<name>-2`,
/// …, timestamps 1000.5, 1001.5, …. Returns the messages in creation order.
async fn channel_with(s: &dyn Store, name: &str, contents: &[&str]) -> Vec<Message> {
    assert!(s.insert_channel(&channel(name)).await.unwrap(), "channel {name} is new");
    let mut appended = vec![];
    for (i, content) in contents.iter().enumerate() {
        let m = message(&format!("{name}-{}", i + 1), content, 1_000.5 + i as f64);
        s.append_message(name, &m).await.unwrap();
        appended.push(m);
    }
    appended
}

fn ids(messages: &[Message]) -> Vec<&str> {
    messages.iter().map(|m| m.id.as_str()).collect()
}

fn user_ids(users: &[User]) -> Vec<&str> {
    users.iter().map(|u| u.id.as_str()).collect()
}

fn role_names(roles: &[Role]) -> Vec<&str> {
    roles.iter().map(|r| r.name.as_str()).collect()
}

fn channel_names(channels: &[Channel]) -> Vec<&str> {
    channels.iter().map(|c| c.name.as_str()).collect()
}

/// The kind of error a call that must fail failed with.
fn failure<T: std::fmt::Debug>(result: StoreResult<T>) -> StoreErrorKind {
    result.expect_err("the call must fail").kind
}

// ---------------------------------------------------------------------------------------
// Users
// ---------------------------------------------------------------------------------------

async fn users_insert_then_read_back(s: &dyn Store) {
    let alice = User { timeout_until: Some(1_700_000_000.125), ..user("u-alice", "Alice") };
    assert_eq!(s.user(&alice.id).await.unwrap(), None);
    assert_eq!(s.users().await.unwrap(), vec![]);
    s.insert_user(&alice).await.unwrap();
    assert_eq!(s.user(&alice.id).await.unwrap(), Some(alice.clone()));
    assert_eq!(s.users().await.unwrap(), vec![alice.clone()]);
    assert_eq!(s.user(&UserId("u-ALICE".into())).await.unwrap(), None, "ids are exact");
    let legacy = legacy_user("u-legacy");
    s.insert_user(&legacy).await.unwrap();
    assert_eq!(s.user(&legacy.id).await.unwrap(), Some(legacy.clone()));
}

async fn users_insert_existing_id_conflicts(s: &dyn Store) {
    let first = user("u-1", "First");
    s.insert_user(&first).await.unwrap();
    assert_eq!(s.users().await.unwrap(), vec![first.clone()]);
    let again = User { username: Some("Second".into()), roles: vec![], ..first.clone() };
    assert_eq!(failure(s.insert_user(&again).await), StoreErrorKind::Conflict);
    assert_eq!(s.user(&first.id).await.unwrap(), Some(first.clone()), "the stored record is untouched");
    assert_eq!(s.users().await.unwrap(), vec![first]);
    assert_eq!(s.user_by_name("second").await.unwrap(), None);
}

async fn users_update_replaces_the_record(s: &dyn Store) {
    let (alice, bob) = (user("u-alice", "Alice"), user("u-bob", "Bob"));
    s.insert_user(&alice).await.unwrap();
    s.insert_user(&bob).await.unwrap();
    assert_eq!(s.user(&alice.id).await.unwrap(), Some(alice.clone()));
    assert_eq!(s.users().await.unwrap().len(), 2);
    let changed = User {
        username: Some("Alicia".into()),
        roles: vec!["owner".into(), "user".into()],
        validator: None,
        extra: vec![("bio".into(), json_string("new")), ("age".into(), RawJson("7".into()))],
        timeout_until: Some(1_800_000_000.5),
        ..alice.clone()
    };
    s.update_user(&changed).await.unwrap();
    assert_eq!(s.user(&alice.id).await.unwrap(), Some(changed.clone()));
    assert_eq!(s.users().await.unwrap(), vec![changed.clone(), bob.clone()], "the record keeps its place");
    assert_eq!(s.user_by_name("alicia").await.unwrap(), Some(changed.clone()));
    assert_eq!(s.user_by_name("alice").await.unwrap(), None, "the old name is gone");
    let nameless = User { username: None, ..changed };
    s.update_user(&nameless).await.unwrap();
    assert_eq!(s.user(&alice.id).await.unwrap(), Some(nameless));
    assert_eq!(s.user_by_name("alicia").await.unwrap(), None);
}

async fn users_update_missing_fails(s: &dyn Store) {
    let ghost = user("u-ghost", "Ghost");
    assert_eq!(s.user(&ghost.id).await.unwrap(), None);
    assert_eq!(failure(s.update_user(&ghost).await), StoreErrorKind::Missing);
    assert_eq!(s.user(&ghost.id).await.unwrap(), None, "an update never creates");
    assert_eq!(s.users().await.unwrap(), vec![]);
    assert_eq!(s.user_by_name("ghost").await.unwrap(), None);
}

async fn one_bad_user_write_among_concurrent_ones_fails_alone(s: &dyn Store) {
    let taken = user("u-taken", "Taken");
    s.insert_user(&taken).await.unwrap();
    const MANY: usize = 100;
    const BAD: usize = MANY / 2;
    const GHOST: usize = MANY / 3;
    let fresh: Vec<User> = (0..MANY).map(|i| user(&format!("u-{i}"), &format!("User{i}"))).collect();
    let taken = &taken;
    let writes = fresh.iter().enumerate().map(|(i, u)| async move {
        match i {
            BAD => s.insert_user(&User { username: Some("Impostor".into()), ..taken.clone() }).await,
            GHOST => s.update_user(&user("u-ghost", "Ghost")).await,
            i if i % 2 == 0 => s.insert_user(u).await,
            _ => s.update_user(taken).await,
        }
    });
    let results = futures_util::future::join_all(writes).await;
    for (i, result) in results.into_iter().enumerate() {
        match i {
            BAD => assert_eq!(failure(result), StoreErrorKind::Conflict, "the duplicate id fails"),
            GHOST => assert_eq!(failure(result), StoreErrorKind::Missing, "an update never creates"),
            i => result.unwrap_or_else(|e| panic!("write {i} failed with its bad neighbours: {e}")),
        }
    }
    assert_eq!(s.user(&taken.id).await.unwrap(), Some(taken.clone()), "the stored record is untouched");
    assert_eq!(s.user(&UserId("u-ghost".into())).await.unwrap(), None);
    let inserted: Vec<&User> =
        fresh.iter().enumerate().filter(|(i, _)| *i != BAD && *i != GHOST && i % 2 == 0).map(|(_, u)| u).collect();
    for u in &inserted {
        assert_eq!(s.user(&u.id).await.unwrap().as_ref(), Some(*u), "every other write is kept");
    }
    assert_eq!(s.users().await.unwrap().len(), 1 + inserted.len());
}

async fn users_listed_in_creation_order(s: &dyn Store) {
    for u in [user("u-c", "Carol"), user("u-a", "Alice"), legacy_user("u-legacy"), user("u-b", "Bob")] {
        s.insert_user(&u).await.unwrap();
    }
    assert_eq!(user_ids(&s.users().await.unwrap()), ["u-c", "u-a", "u-legacy", "u-b"]);
    s.update_user(&User { username: Some("Aaron".into()), ..user("u-a", "Alice") }).await.unwrap();
    assert_eq!(user_ids(&s.users().await.unwrap()), ["u-c", "u-a", "u-legacy", "u-b"], "updates keep the order");
    assert!(s.delete_user(&UserId("u-c".into())).await.unwrap());
    s.insert_user(&user("u-c", "Carol")).await.unwrap();
    assert_eq!(user_ids(&s.users().await.unwrap()), ["u-a", "u-legacy", "u-b", "u-c"], "re-created = newest");
}

async fn user_by_name_ignores_case_and_prefers_the_oldest(s: &dyn Store) {
    let (first, second, emile) = (user("u-1", "Alice"), user("u-2", "ALICE"), user("u-3", "Émile"));
    for u in [&first, &second, &emile, &legacy_user("u-4")] {
        s.insert_user(u).await.unwrap();
    }
    for name in ["alice", "ALICE", "aLiCe"] {
        assert_eq!(s.user_by_name(name).await.unwrap(), Some(first.clone()), "{name}");
    }
    for name in ["émile", "ÉMILE", "Émile"] {
        assert_eq!(s.user_by_name(name).await.unwrap(), Some(emile.clone()), "{name}");
    }
    for name in ["ali", "alice ", "al_ce", "al%", "", "u-4", "u-1"] {
        assert_eq!(s.user_by_name(name).await.unwrap(), None, "{name:?} names nobody");
    }
    assert!(s.delete_user(&first.id).await.unwrap());
    assert_eq!(s.user_by_name("alice").await.unwrap(), Some(second.clone()));
    // Creation order, not the order of the last change.
    let (older, younger) = (user("u-5", "Other"), user("u-6", "dup"));
    s.insert_user(&older).await.unwrap();
    s.insert_user(&younger).await.unwrap();
    let renamed = User { username: Some("DUP".into()), ..older };
    s.update_user(&renamed).await.unwrap();
    assert_eq!(s.user_by_name("Dup").await.unwrap(), Some(renamed));
}

async fn users_delete_reports_whether_it_existed(s: &dyn Store) {
    let alice = user("u-alice", "Alice");
    assert!(!s.delete_user(&alice.id).await.unwrap());
    s.insert_user(&alice).await.unwrap();
    s.insert_user(&user("u-bob", "Bob")).await.unwrap();
    assert_eq!(s.user(&alice.id).await.unwrap(), Some(alice.clone()));
    assert_eq!(s.users().await.unwrap().len(), 2);
    assert!(s.delete_user(&alice.id).await.unwrap());
    assert_eq!(s.user(&alice.id).await.unwrap(), None);
    assert_eq!(user_ids(&s.users().await.unwrap()), ["u-bob"]);
    assert_eq!(s.user_by_name("alice").await.unwrap(), None);
    assert!(!s.delete_user(&alice.id).await.unwrap(), "already gone");
}

async fn pending_changes_kept_in_order_per_username(s: &dyn Store) {
    assert_eq!(s.pending_changes("bob").await.unwrap(), vec![]);
    let until = 1_712_345_678.987_654_3;
    s.add_pending_change("Bob", &PendingChange::Grant("mod".into())).await.unwrap();
    s.add_pending_change("carol", &PendingChange::Ban).await.unwrap();
    s.add_pending_change("BOB", &PendingChange::Timeout(until)).await.unwrap();
    s.add_pending_change("bob", &PendingChange::Revoke("user".into())).await.unwrap();
    s.add_pending_change("Émile", &PendingChange::Unban).await.unwrap();
    s.add_pending_change("bOb", &PendingChange::Ban).await.unwrap();
    s.add_pending_change("bob", &PendingChange::Unban).await.unwrap();
    let bob = vec![
        PendingChange::Grant("mod".into()),
        PendingChange::Timeout(until),
        PendingChange::Revoke("user".into()),
        PendingChange::Ban,
        PendingChange::Unban,
    ];
    assert_eq!(s.pending_changes("bob").await.unwrap(), bob);
    assert_eq!(s.pending_changes("BoB").await.unwrap(), bob);
    assert_eq!(s.pending_changes("carol").await.unwrap(), vec![PendingChange::Ban]);
    assert_eq!(s.pending_changes("ÉMILE").await.unwrap(), vec![PendingChange::Unban]);
    assert_eq!(s.pending_changes("bo").await.unwrap(), vec![]);
}

async fn pending_changes_cleared_per_username(s: &dyn Store) {
    s.add_pending_change("bob", &PendingChange::Ban).await.unwrap();
    s.add_pending_change("Bob", &PendingChange::Grant("mod".into())).await.unwrap();
    s.add_pending_change("carol", &PendingChange::Grant("mod".into())).await.unwrap();
    s.clear_pending_changes("BOB").await.unwrap();
    assert_eq!(s.pending_changes("bob").await.unwrap(), vec![]);
    assert_eq!(s.pending_changes("carol").await.unwrap(), vec![PendingChange::Grant("mod".into())]);
    s.clear_pending_changes("nobody").await.unwrap();
    s.add_pending_change("bob", &PendingChange::Unban).await.unwrap();
    assert_eq!(s.pending_changes("bob").await.unwrap(), vec![PendingChange::Unban], "new changes after a clear");
}

// ---------------------------------------------------------------------------------------
// Roles
// ---------------------------------------------------------------------------------------

async fn roles_kept_in_creation_order(s: &dyn Store) {
    assert_eq!(s.roles().await.unwrap(), vec![]);
    let (zeta, alpha, mid) = (role("zeta", Some("#000001")), role_mentionable_by("alpha", &["mod"]), role("mid", None));
    for r in [&zeta, &alpha, &mid] {
        assert!(s.insert_role(r).await.unwrap(), "{}", r.name);
    }
    assert_eq!(s.roles().await.unwrap(), vec![zeta, alpha.clone(), mid]);
    assert_eq!(s.role("alpha").await.unwrap(), Some(alpha));
    assert_eq!(s.role("Alpha").await.unwrap(), None, "names are case-sensitive");
    assert_eq!(s.role("nope").await.unwrap(), None);
}

async fn roles_are_listed_by_position_and_reordered_at_once(s: &dyn Store) {
    for (name, position) in [("a", 2), ("b", 0), ("c", 2), ("d", 1)] {
        assert!(s.insert_role(&Role { position, ..role(name, None) }).await.unwrap());
    }
    assert_eq!(role_names(&s.roles().await.unwrap()), ["b", "d", "a", "c"], "ties keep creation order");
    let order: Vec<String> = ["c", "a", "d", "b"].map(String::from).to_vec();
    assert!(!s.reorder_roles(&["c".to_string(), "nope".to_string()]).await.unwrap());
    assert_eq!(role_names(&s.roles().await.unwrap()), ["b", "d", "a", "c"], "an unknown name changes nothing");
    assert!(s.reorder_roles(&order).await.unwrap());
    let roles = s.roles().await.unwrap();
    assert_eq!(role_names(&roles), ["c", "a", "d", "b"]);
    assert_eq!(roles.iter().map(|r| r.position).collect::<Vec<_>>(), [0, 1, 2, 3]);
    assert_eq!(s.role("d").await.unwrap().map(|r| r.position), Some(2));
    assert_eq!(roles[0].description.as_deref(), Some("the c role"), "nothing else changes");
}

async fn roles_insert_existing_name_is_refused(s: &dyn Store) {
    let staff = role("staff", Some("#111111"));
    assert!(s.insert_role(&staff).await.unwrap());
    assert_eq!(s.roles().await.unwrap(), vec![staff.clone()]);
    assert!(!s.insert_role(&role("staff", Some("#222222"))).await.unwrap());
    assert_eq!(s.roles().await.unwrap(), vec![staff.clone()]);
    assert_eq!(s.role("staff").await.unwrap(), Some(staff));
}

async fn roles_update_replaces_an_existing_role(s: &dyn Store) {
    assert!(!s.update_role(&role("ghost", None)).await.unwrap());
    assert_eq!(s.role("ghost").await.unwrap(), None, "an update never creates");
    assert_eq!(s.roles().await.unwrap(), vec![]);
    let (a, b) = (role("a", Some("#AAAAAA")), role("b", Some("#BBBBBB")));
    assert!(s.insert_role(&a).await.unwrap());
    assert!(s.insert_role(&b).await.unwrap());
    assert_eq!(s.role("a").await.unwrap(), Some(a.clone()));
    let changed = Role {
        description: None,
        color: None,
        mention: MentionRule::Nobody,
        extra: vec![("permissions".into(), RawJson("{\"mention_roles\":false}".into()))],
        ..a
    };
    assert!(s.update_role(&changed).await.unwrap());
    assert_eq!(s.role("a").await.unwrap(), Some(changed.clone()));
    assert_eq!(s.roles().await.unwrap(), vec![changed, b], "the role keeps its place");
}

async fn roles_delete_reports_whether_it_existed(s: &dyn Store) {
    assert!(!s.delete_role("x").await.unwrap());
    let (a, b, c) = (role("a", None), role("b", None), role("c", None));
    for r in [&a, &b, &c] {
        assert!(s.insert_role(r).await.unwrap());
    }
    assert_eq!(s.roles().await.unwrap().len(), 3);
    assert!(s.delete_role("b").await.unwrap());
    assert_eq!(s.roles().await.unwrap(), vec![a.clone(), c.clone()]);
    assert_eq!(s.role("b").await.unwrap(), None);
    assert!(!s.delete_role("b").await.unwrap(), "already gone");
    assert!(s.insert_role(&b).await.unwrap());
    assert_eq!(role_names(&s.roles().await.unwrap()), ["a", "c", "b"], "re-created = newest");
}

// ---------------------------------------------------------------------------------------
// Channels
// ---------------------------------------------------------------------------------------

async fn channels_kept_in_display_order(s: &dyn Store) {
    assert_eq!(s.channels().await.unwrap(), vec![]);
    let voice = Channel { kind: ChannelKind::Voice, permissions: None, extra: vec![], ..channel("a") };
    for c in [&channel("b"), &voice, &channel("c")] {
        assert!(s.insert_channel(c).await.unwrap(), "{}", c.name);
    }
    assert_eq!(s.channels().await.unwrap(), vec![channel("b"), voice.clone(), channel("c")], "each at the end");
    assert_eq!(s.channel("a").await.unwrap(), Some(voice));
    assert_eq!(s.channel("A").await.unwrap(), None, "names are case-sensitive");
    assert_eq!(s.channel("d").await.unwrap(), None);
}

async fn channels_insert_existing_name_is_refused(s: &dyn Store) {
    assert!(s.insert_channel(&channel("general")).await.unwrap());
    assert_eq!(s.channels().await.unwrap(), vec![channel("general")]);
    let other = Channel { kind: ChannelKind::Voice, ..channel("general") };
    assert!(!s.insert_channel(&other).await.unwrap());
    assert_eq!(s.channels().await.unwrap(), vec![channel("general")]);
    assert!(s.insert_channel(&channel("General")).await.unwrap(), "another name");
    assert_eq!(channel_names(&s.channels().await.unwrap()), ["general", "General"]);
}

async fn channels_update_replaces_in_place(s: &dyn Store) {
    assert!(!s.update_channel("ghost", &channel("ghost")).await.unwrap());
    assert_eq!(s.channels().await.unwrap(), vec![], "an update never creates");
    for name in ["a", "b", "c"] {
        assert!(s.insert_channel(&channel(name)).await.unwrap());
    }
    assert_eq!(s.channel("b").await.unwrap(), Some(channel("b")));
    let changed = Channel {
        kind: ChannelKind::Other("forum".into()),
        permissions: Some(PermissionMap(vec![("view".into(), vec![])])),
        extra: vec![("description".into(), json_string("new")), ("size".into(), RawJson("12".into()))],
        ..channel("b")
    };
    assert!(s.update_channel("b", &changed).await.unwrap());
    assert_eq!(s.channel("b").await.unwrap(), Some(changed.clone()));
    assert_eq!(s.channels().await.unwrap(), vec![channel("a"), changed, channel("c")]);
}

async fn channels_rename_keeps_position_and_messages(s: &dyn Store) {
    assert!(s.insert_channel(&channel("a")).await.unwrap());
    let m = channel_with(s, "b", &["first", "second"]).await;
    assert!(s.insert_channel(&channel("c")).await.unwrap());
    assert_eq!(s.channel("b").await.unwrap(), Some(channel("b")));
    let renamed = Channel { name: "b2".into(), ..channel("b") };
    assert!(s.update_channel("b", &renamed).await.unwrap());
    assert_eq!(s.channels().await.unwrap(), vec![channel("a"), renamed.clone(), channel("c")]);
    assert_eq!(s.channel("b").await.unwrap(), None);
    assert_eq!(s.channel("b2").await.unwrap(), Some(renamed));
    assert_eq!(s.messages_page("b2", 0, 10).await.unwrap(), m);
    assert_eq!(s.messages_page("b", 0, 10).await.unwrap(), vec![]);
    assert_eq!(s.message("b2", "b-2").await.unwrap(), Some((m[1].clone(), 2)));
    assert_eq!(s.search("b2", "second", 10).await.unwrap(), vec![m[1].clone()]);
    assert_eq!(s.last_message_time("b2").await.unwrap(), Some(m[1].timestamp));
    assert_eq!(s.last_message_time("b").await.unwrap(), None);
    assert_eq!(failure(s.append_message("b", &message("late", "x", 5.0)).await), StoreErrorKind::Missing);
    s.append_message("b2", &message("b-3", "third", 1_002.5)).await.unwrap();
    assert_eq!(ids(&s.messages_page("b2", 0, 10).await.unwrap()), ["b-1", "b-2", "b-3"]);
    assert!(s.insert_channel(&channel("b")).await.unwrap(), "the old name is free");
    assert_eq!(s.messages_page("b", 0, 10).await.unwrap(), vec![], "and starts empty");
    assert_eq!(channel_names(&s.channels().await.unwrap()), ["a", "b2", "c", "b"]);
}

async fn channels_rename_onto_an_existing_name_conflicts(s: &dyn Store) {
    let a = channel_with(s, "a", &["in a"]).await;
    let b = channel_with(s, "b", &["in b"]).await;
    assert_eq!(s.channels().await.unwrap().len(), 2);
    let onto_b = Channel { name: "b".into(), kind: ChannelKind::Voice, ..channel("a") };
    assert_eq!(failure(s.update_channel("a", &onto_b).await), StoreErrorKind::Conflict);
    assert_eq!(s.channels().await.unwrap(), vec![channel("a"), channel("b")], "nothing changed");
    assert_eq!(s.messages_page("a", 0, 10).await.unwrap(), a);
    assert_eq!(s.messages_page("b", 0, 10).await.unwrap(), b);
}

async fn channels_move_to_a_position(s: &dyn Store) {
    for name in ["a", "b", "c", "d"] {
        assert!(s.insert_channel(&channel(name)).await.unwrap());
    }
    assert_eq!(s.channels().await.unwrap().len(), 4);
    let order = move || async move { s.channels().await.unwrap().into_iter().map(|c| c.name).collect::<Vec<_>>() };
    assert!(s.move_channel("a", 2).await.unwrap());
    assert_eq!(order().await, ["b", "c", "a", "d"]);
    assert!(s.move_channel("d", 0).await.unwrap());
    assert_eq!(order().await, ["d", "b", "c", "a"]);
    assert!(s.move_channel("b", 99).await.unwrap(), "past the end = last");
    assert_eq!(order().await, ["d", "c", "a", "b"]);
    assert!(s.move_channel("c", usize::MAX).await.unwrap());
    assert_eq!(order().await, ["d", "a", "b", "c"]);
    assert!(s.move_channel("a", 1).await.unwrap(), "to where it is");
    assert_eq!(order().await, ["d", "a", "b", "c"]);
    assert!(!s.move_channel("zzz", 0).await.unwrap());
    assert!(!s.move_channel("A", 0).await.unwrap());
    assert_eq!(order().await, ["d", "a", "b", "c"]);
    assert!(s.insert_channel(&channel("e")).await.unwrap());
    assert_eq!(order().await, ["d", "a", "b", "c", "e"], "new channels still go last");
    assert!(s.move_channel("e", 0).await.unwrap());
    assert_eq!(s.channels().await.unwrap()[0], channel("e"), "moving keeps the record");
    assert_eq!(order().await, ["e", "d", "a", "b", "c"]);
    assert!(s.delete_channel("a").await.unwrap());
    assert!(s.move_channel("c", 1).await.unwrap(), "after a deletion");
    assert_eq!(order().await, ["e", "c", "d", "b"]);
    assert!(s.insert_channel(&channel("f")).await.unwrap());
    assert_eq!(order().await, ["e", "c", "d", "b", "f"]);
}

async fn channels_delete_removes_their_messages(s: &dyn Store) {
    assert!(!s.delete_channel("ghost").await.unwrap());
    let a = channel_with(s, "a", &["one", "two"]).await;
    let b = channel_with(s, "b", &["three"]).await;
    assert_eq!(s.channels().await.unwrap().len(), 2);
    assert!(s.delete_channel("a").await.unwrap());
    assert_eq!(s.channels().await.unwrap(), vec![channel("b")]);
    assert_eq!(s.channel("a").await.unwrap(), None);
    assert_eq!(s.messages_page("a", 0, 10).await.unwrap(), vec![]);
    assert_eq!(s.message("a", &a[0].id).await.unwrap(), None);
    assert_eq!(s.last_message_time("a").await.unwrap(), None);
    assert_eq!(s.search("a", "one", 10).await.unwrap(), vec![]);
    assert_eq!(s.messages_page("b", 0, 10).await.unwrap(), b, "other channels keep theirs");
    assert!(!s.delete_channel("a").await.unwrap(), "already gone");
    assert_eq!(failure(s.append_message("a", &a[0]).await), StoreErrorKind::Missing);
    assert!(s.insert_channel(&channel("a")).await.unwrap());
    assert_eq!(s.messages_page("a", 0, 10).await.unwrap(), vec![], "a new channel of that name starts empty");
    s.append_message("a", &a[1]).await.unwrap();
    assert_eq!(s.message("a", &a[1].id).await.unwrap(), Some((a[1].clone(), 1)));
}

// ---------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------

async fn append_needs_an_existing_channel(s: &dyn Store) {
    let m = message("m-1", "hello", 1.0);
    assert_eq!(failure(s.append_message("nowhere", &m).await), StoreErrorKind::Missing);
    assert_eq!(s.messages_page("nowhere", 0, 10).await.unwrap(), vec![]);
    assert_eq!(s.message("nowhere", "m-1").await.unwrap(), None);
    assert_eq!(s.last_message_time("nowhere").await.unwrap(), None);
    assert!(s.insert_channel(&channel("nowhere")).await.unwrap());
    assert_eq!(s.messages_page("nowhere", 0, 10).await.unwrap(), vec![], "nothing was left behind");
    assert_eq!(failure(s.append_message("Nowhere", &m).await), StoreErrorKind::Missing, "names are exact");
}

async fn append_existing_id_conflicts(s: &dyn Store) {
    let m = channel_with(s, "room", &["one", "two"]).await;
    let twin = Message { content: "an impostor".into(), ..m[0].clone() };
    assert_eq!(failure(s.append_message("room", &twin).await), StoreErrorKind::Conflict);
    assert_eq!(s.messages_page("room", 0, 10).await.unwrap(), m, "nothing was added");
    assert_eq!(s.message("room", &m[0].id).await.unwrap(), Some((m[0].clone(), 1)));
    assert!(s.insert_channel(&channel("other")).await.unwrap());
    s.append_message("other", &twin).await.unwrap();
    assert_eq!(s.messages_page("other", 0, 10).await.unwrap(), vec![twin], "ids are unique per channel only");
}

/// Many appends at once (so that a group-committing store writes them in shared batches),
/// one of which reuses an id of its channel: that one fails with a conflict and stores
/// nothing; every other one is acknowledged and stored.
async fn one_bad_append_among_concurrent_ones_fails_alone(s: &dyn Store) {
    let a = channel_with(s, "a", &["first"]).await;
    let b = channel_with(s, "b", &["first"]).await;
    const MANY: usize = 200;
    const BAD: usize = MANY / 2;
    let appends: Vec<(&str, Message)> = (0..MANY)
        .map(|i| match i {
            BAD => ("a", Message { content: "an impostor".into(), ..a[0].clone() }),
            i if i % 3 == 0 => ("b", message(&format!("b-new-{i}"), &format!("text {i}"), 2_000.0 + i as f64)),
            i => ("a", message(&format!("a-new-{i}"), &format!("text {i}"), 2_000.0 + i as f64)),
        })
        .collect();
    let results = futures_util::future::join_all(appends.iter().map(|(channel, m)| s.append_message(channel, m))).await;
    for (i, result) in results.into_iter().enumerate() {
        if i == BAD {
            assert_eq!(failure(result), StoreErrorKind::Conflict, "the duplicate id fails");
        } else {
            result.unwrap_or_else(|e| panic!("append {i} failed with its bad neighbour: {e}"));
        }
    }
    for (name, first) in [("a", &a[0]), ("b", &b[0])] {
        let stored = s.messages_page(name, 0, 1_000).await.unwrap();
        assert_eq!(stored[0], *first, "{name}: the existing message is untouched");
        let mut expected: Vec<&Message> =
            appends.iter().enumerate().filter(|(i, (c, _))| *i != BAD && *c == name).map(|(_, (_, m))| m).collect();
        expected.insert(0, first);
        let mut got: Vec<&Message> = stored.iter().collect();
        let key = |m: &&Message| m.id.clone();
        expected.sort_by_key(key);
        got.sort_by_key(key);
        assert_eq!(got, expected, "{name}: every good append is stored once, the bad one not at all");
    }
    assert_eq!(s.message("a", &a[0].id).await.unwrap(), Some((a[0].clone(), 1)));
}

async fn messages_page_skips_newest(s: &dyn Store) {
    let mut m = channel_with(s, "room", &["one", "two"]).await;
    // Creation order, not timestamp order.
    for (id, t) in [("room-3", 10.0), ("room-4", 2_000.0), ("room-5", 1_500.25)] {
        let next = message(id, &format!("text of {id}"), t);
        s.append_message("room", &next).await.unwrap();
        m.push(next);
    }
    channel_with(s, "other", &["elsewhere"]).await;
    assert_eq!(s.messages_page("room", 0, 10).await.unwrap(), m);
    assert_eq!(s.messages_page("room", 0, 2).await.unwrap(), m[3..5].to_vec());
    assert_eq!(s.messages_page("room", 2, 2).await.unwrap(), m[1..3].to_vec());
    assert_eq!(s.messages_page("room", 4, 2).await.unwrap(), m[0..1].to_vec());
    assert_eq!(s.messages_page("room", 1, 10).await.unwrap(), m[0..4].to_vec());
    assert_eq!(s.messages_page("room", 5, 2).await.unwrap(), vec![]);
    assert_eq!(s.messages_page("room", 99, 2).await.unwrap(), vec![]);
    assert_eq!(s.messages_page("room", i64::MAX as u64, 2).await.unwrap(), vec![], "any skip a client can send");
    assert_eq!(s.messages_page("room", 0, 0).await.unwrap(), vec![]);
    assert_eq!(s.messages_page("ghost", 0, 10).await.unwrap(), vec![]);
}

async fn messages_before_an_id(s: &dyn Store) {
    let m = channel_with(s, "room", &["one", "two", "three", "four", "five"]).await;
    let elsewhere = channel_with(s, "other", &["x"]).await;
    assert_eq!(s.messages_before("room", "room-4", 2).await.unwrap(), m[1..3].to_vec());
    assert_eq!(s.messages_before("room", "room-4", 10).await.unwrap(), m[0..3].to_vec());
    assert_eq!(s.messages_before("room", "room-5", 1).await.unwrap(), m[3..4].to_vec());
    assert_eq!(s.messages_before("room", "room-1", 5).await.unwrap(), vec![], "nothing before the oldest");
    assert_eq!(s.messages_before("room", "room-4", 0).await.unwrap(), vec![]);
    assert_eq!(s.messages_before("room", "unknown", 5).await.unwrap(), vec![], "unknown id");
    assert_eq!(s.messages_before("room", &elsewhere[0].id, 5).await.unwrap(), vec![], "id of another channel");
    assert_eq!(s.messages_before("ghost", "room-4", 5).await.unwrap(), vec![]);
    assert!(s.delete_message("room", "room-3").await.unwrap());
    assert_eq!(ids(&s.messages_before("room", "room-4", 2).await.unwrap()), ["room-1", "room-2"]);
}

async fn messages_after_an_id_and_the_count(s: &dyn Store) {
    assert_eq!(s.message_count("room").await.unwrap(), 0, "no channel yet");
    let m = channel_with(s, "room", &["one", "two", "three", "four", "five"]).await;
    let elsewhere = channel_with(s, "other", &["x"]).await;
    assert_eq!(s.message_count("room").await.unwrap(), 5);
    assert_eq!(s.message_count("other").await.unwrap(), 1);
    assert_eq!(s.messages_after("room", "room-2", 2).await.unwrap(), m[2..4].to_vec());
    assert_eq!(s.messages_after("room", "room-2", 10).await.unwrap(), m[2..5].to_vec());
    assert_eq!(s.messages_after("room", "room-1", 1).await.unwrap(), m[1..2].to_vec());
    assert_eq!(s.messages_after("room", "room-5", 5).await.unwrap(), vec![], "nothing after the newest");
    assert_eq!(s.messages_after("room", "room-2", 0).await.unwrap(), vec![]);
    assert_eq!(s.messages_after("room", "unknown", 5).await.unwrap(), vec![], "unknown id");
    assert_eq!(s.messages_after("room", &elsewhere[0].id, 5).await.unwrap(), vec![], "id of another channel");
    assert_eq!(s.messages_after("ghost", "room-2", 5).await.unwrap(), vec![]);
    assert!(s.delete_message("room", "room-3").await.unwrap());
    assert_eq!(ids(&s.messages_after("room", "room-2", 2).await.unwrap()), ["room-4", "room-5"]);
    assert_eq!(s.message_count("room").await.unwrap(), 4);
    assert_eq!(s.message_count("ghost").await.unwrap(), 0);
}

async fn read_markers_per_user_and_channel(s: &dyn Store) {
    let (alice, bob) = (UserId("u-alice".into()), UserId("u-bob".into()));
    s.insert_user(&user("u-alice", "Alice")).await.unwrap();
    s.insert_user(&user("u-bob", "Bob")).await.unwrap();
    assert_eq!(s.last_reads(&alice).await.unwrap(), vec![]);
    assert_eq!(s.last_read(&alice, "room").await.unwrap(), None);
    assert!(!s.set_last_read(&alice, "room", "room-1").await.unwrap(), "no such channel");
    channel_with(s, "room", &["one", "two"]).await;
    channel_with(s, "other", &["x"]).await;
    assert!(s.set_last_read(&alice, "room", "room-1").await.unwrap());
    assert!(s.set_last_read(&alice, "room", "room-2").await.unwrap(), "replaced");
    assert!(s.set_last_read(&alice, "other", "any\u{0}id").await.unwrap(), "the id is stored as given");
    assert!(s.set_last_read(&bob, "room", "room-1").await.unwrap());
    assert!(!s.set_last_read(&alice, "ROOM", "room-1").await.unwrap(), "names are exact");
    let mut mine = s.last_reads(&alice).await.unwrap();
    mine.sort();
    assert_eq!(mine, vec![("other".into(), "any\u{0}id".into()), ("room".into(), "room-2".into())]);
    assert_eq!(s.last_read(&bob, "room").await.unwrap(), Some("room-1".into()));
    let renamed = Channel { name: "hall".into(), ..channel("room") };
    assert!(s.update_channel("room", &renamed).await.unwrap());
    assert_eq!(s.last_read(&alice, "hall").await.unwrap(), Some("room-2".into()), "a rename keeps the markers");
    assert_eq!(s.last_read(&alice, "room").await.unwrap(), None);
    assert!(s.delete_channel("hall").await.unwrap());
    assert!(s.insert_channel(&channel("hall")).await.unwrap());
    assert_eq!(s.last_read(&alice, "hall").await.unwrap(), None, "a deleted channel loses its markers");
    assert_eq!(s.last_reads(&alice).await.unwrap(), vec![("other".into(), "any\u{0}id".into())]);
    assert!(s.delete_user(&alice).await.unwrap());
    assert_eq!(s.last_reads(&alice).await.unwrap(), vec![], "a deleted user loses them");
    assert_eq!(s.last_reads(&bob).await.unwrap(), vec![], "bob's marker went with the channel");
}

async fn the_server_profile_round_trips(s: &dyn Store) {
    use application::ports::ServerProfile;
    assert_eq!(s.server_profile().await.unwrap(), ServerProfile::default());
    let p = ServerProfile { name: Some("Zöne \u{0}".into()), icon: None, banner: Some(String::new()) };
    s.save_server_profile(&p).await.unwrap();
    assert_eq!(s.server_profile().await.unwrap(), p);
    let q = ServerProfile { name: None, icon: Some("https://x/i.png".into()), banner: None };
    s.save_server_profile(&q).await.unwrap();
    assert_eq!(s.server_profile().await.unwrap(), q);
}

async fn message_gives_its_one_based_position(s: &dyn Store) {
    let m = channel_with(s, "room", &["one", "two", "three"]).await;
    channel_with(s, "other", &["x", "y", "z", "w"]).await;
    assert_eq!(s.message("room", "room-1").await.unwrap(), Some((m[0].clone(), 1)));
    assert_eq!(s.message("room", "room-3").await.unwrap(), Some((m[2].clone(), 3)));
    assert!(s.delete_message("room", "room-2").await.unwrap());
    assert_eq!(s.message("room", "room-3").await.unwrap(), Some((m[2].clone(), 2)), "positions close up");
    assert_eq!(s.message("room", "room-2").await.unwrap(), None);
    assert_eq!(s.message("room", "other-1").await.unwrap(), None, "id of another channel");
    assert_eq!(s.message("ghost", "room-1").await.unwrap(), None);
}

async fn last_message_time_of_the_newest_message(s: &dyn Store) {
    assert!(s.insert_channel(&channel("room")).await.unwrap());
    assert_eq!(s.last_message_time("room").await.unwrap(), None, "no messages yet");
    assert_eq!(s.last_message_time("ghost").await.unwrap(), None);
    s.append_message("room", &message("m-1", "one", 1_700_000_100.5)).await.unwrap();
    assert_eq!(s.last_message_time("room").await.unwrap(), Some(1_700_000_100.5));
    // The newest is the last appended, even with an older timestamp.
    s.append_message("room", &message("m-2", "two", 1_700_000_050.25)).await.unwrap();
    assert_eq!(s.last_message_time("room").await.unwrap(), Some(1_700_000_050.25));
    assert!(s.delete_message("room", "m-2").await.unwrap());
    assert_eq!(s.last_message_time("room").await.unwrap(), Some(1_700_000_100.5));
    assert!(s.delete_message("room", "m-1").await.unwrap());
    assert_eq!(s.last_message_time("room").await.unwrap(), None);
}

async fn update_message_replaces_in_place(s: &dyn Store) {
    let m = channel_with(s, "room", &["one", "two", "three"]).await;
    channel_with(s, "other", &["x"]).await;
    assert!(!s.update_message("room", &message("ghost", "x", 1.0)).await.unwrap());
    assert!(!s.update_message("ghost", &m[1]).await.unwrap(), "unknown channel");
    assert!(!s.update_message("other", &m[1]).await.unwrap(), "id of another channel");
    assert_eq!(s.messages_page("other", 0, 10).await.unwrap().len(), 1, "an update never creates");
    let mut changed = Message {
        content: "TWO, edited".into(),
        timestamp: 1_001.75,
        pinned: true,
        reply_to: Some(ReplyRef { id: m[0].id.clone(), author: UserId("u-someone".into()) }),
        ping: Some(false),
        edited: true,
        interaction: Some(Interaction { command: "roll".into(), username: "bob".into() }),
        extra: vec![("thread_id".into(), json_string("t-1"))],
        ..m[1].clone()
    };
    changed.add_reaction("👍", &UserId("u-1".into()));
    changed.add_reaction("🎉", &UserId("u-2".into()));
    changed.add_reaction("👍", &UserId("u-3".into()));
    assert!(s.update_message("room", &changed).await.unwrap());
    assert_eq!(s.message("room", "room-2").await.unwrap(), Some((changed.clone(), 2)));
    assert_eq!(s.messages_page("room", 0, 10).await.unwrap(), vec![m[0].clone(), changed.clone(), m[2].clone()]);
    assert_eq!(s.search("room", "edited", 10).await.unwrap(), vec![changed.clone()], "search sees the new text");
    assert_eq!(s.search("room", "two", 10).await.unwrap(), vec![changed.clone()]);
    assert_eq!(s.pinned("room", 10).await.unwrap(), vec![changed.clone()]);
    assert_eq!(s.replies("room", "room-1", 10).await.unwrap(), vec![changed.clone()]);
    let plain = Message { content: "plain again".into(), ..m[1].clone() };
    assert!(s.update_message("room", &plain).await.unwrap());
    assert_eq!(s.message("room", "room-2").await.unwrap(), Some((plain, 2)), "optional parts can be removed");
    assert_eq!(s.search("room", "edited", 10).await.unwrap(), vec![]);
    assert_eq!(s.pinned("room", 10).await.unwrap(), vec![]);
    assert_eq!(s.replies("room", "room-1", 10).await.unwrap(), vec![]);
}

async fn delete_message_reports_whether_it_existed(s: &dyn Store) {
    let m = channel_with(s, "room", &["one", "two", "three"]).await;
    let other = channel_with(s, "other", &["x"]).await;
    assert!(!s.delete_message("room", "ghost").await.unwrap());
    assert!(!s.delete_message("room", &other[0].id).await.unwrap(), "id of another channel");
    assert!(!s.delete_message("ghost", "room-1").await.unwrap());
    assert!(s.delete_message("room", "room-2").await.unwrap());
    assert_eq!(s.messages_page("room", 0, 10).await.unwrap(), vec![m[0].clone(), m[2].clone()]);
    assert_eq!(s.message("room", "room-2").await.unwrap(), None);
    assert!(!s.delete_message("room", "room-2").await.unwrap(), "already gone");
    assert_eq!(s.search("room", "two", 10).await.unwrap(), vec![], "search forgets it");
    assert_eq!(ids(&s.search("room", "o", 10).await.unwrap()), ["room-1"]);
    assert_eq!(s.messages_page("other", 0, 10).await.unwrap(), other);
}

async fn replies_oldest_first_limited(s: &dyn Store) {
    assert!(s.insert_channel(&channel("room")).await.unwrap());
    let parent = message("p", "question", 1.0);
    let other_parent = message("q", "another question", 2.0);
    let r1 = reply("r-1", "answer one", 3.0, &parent);
    let noise = message("n", "unrelated", 4.0);
    let r2 = Message { ping: Some(false), ..reply("r-2", "answer two", 5.0, &parent) };
    let elsewhere = reply("x", "to q", 6.0, &other_parent);
    let r3 = reply("r-3", "answer three", 7.0, &parent);
    for m in [&parent, &other_parent, &r1, &noise, &r2, &elsewhere, &r3] {
        s.append_message("room", m).await.unwrap();
    }
    assert!(s.insert_channel(&channel("other")).await.unwrap());
    s.append_message("other", &reply("o-1", "same parent id, other channel", 8.0, &parent)).await.unwrap();
    assert_eq!(s.replies("room", "p", 10).await.unwrap(), vec![r1.clone(), r2.clone(), r3.clone()]);
    assert_eq!(s.replies("room", "p", 2).await.unwrap(), vec![r1, r2], "the oldest ones");
    assert_eq!(s.replies("room", "p", 0).await.unwrap(), vec![]);
    assert_eq!(s.replies("room", "q", 10).await.unwrap(), vec![elsewhere]);
    assert_eq!(s.replies("room", "n", 10).await.unwrap(), vec![]);
    assert_eq!(s.replies("room", "unknown", 10).await.unwrap(), vec![]);
    assert_eq!(s.replies("ghost", "p", 10).await.unwrap(), vec![]);
    assert_eq!(ids(&s.replies("other", "p", 10).await.unwrap()), ["o-1"]);
    assert!(s.delete_message("room", "p").await.unwrap());
    assert_eq!(ids(&s.replies("room", "p", 10).await.unwrap()), ["r-1", "r-2", "r-3"], "replies outlive the parent");
}

async fn search_case_insensitive_substring_newest_first(s: &dyn Store) {
    let m = channel_with(
        s,
        "room",
        &["Hello World", "nothing here", "say HELLO", "ÉCOLE de musique", "othello", "hello again"],
    )
    .await;
    channel_with(s, "other", &["hello from elsewhere"]).await;
    assert_eq!(ids(&s.search("room", "hello", 10).await.unwrap()), ["room-6", "room-5", "room-3", "room-1"]);
    assert_eq!(ids(&s.search("room", "hello", 2).await.unwrap()), ["room-6", "room-5"], "the newest ones");
    assert_eq!(s.search("room", "hello", 0).await.unwrap(), vec![]);
    assert_eq!(s.search("room", "nothing", 10).await.unwrap(), vec![m[1].clone()], "whole records");
    assert_eq!(ids(&s.search("room", "lo wo", 10).await.unwrap()), ["room-1"], "across words");
    assert_eq!(ids(&s.search("room", "école", 10).await.unwrap()), ["room-4"], "non-ASCII");
    assert_eq!(ids(&s.search("room", "ll", 10).await.unwrap()), ["room-6", "room-5", "room-3", "room-1"]);
    assert_eq!(ids(&s.search("room", "", 3).await.unwrap()), ["room-6", "room-5", "room-4"], "empty = all");
    assert_eq!(s.search("room", "absent", 10).await.unwrap(), vec![]);
    assert_eq!(s.search("ghost", "hello", 10).await.unwrap(), vec![]);
    // The needle is matched case-insensitively too, whoever lowercased it.
    assert_eq!(ids(&s.search("room", "WORLD", 10).await.unwrap()), ["room-1"]);
    assert_eq!(ids(&s.search("room", "ÉCOLE", 10).await.unwrap()), ["room-4"]);
    assert_eq!(ids(&s.search("room", "Hello", 10).await.unwrap()), ["room-6", "room-5", "room-3", "room-1"]);
}

async fn search_wildcards_are_literal(s: &dyn Store) {
    channel_with(
        s,
        "room",
        &["100% sure", "100 percent", "snake_case", "snakeXcase", "C:\\path", "C:path", "50%_off", "[a-z]* ?"],
    )
    .await;
    let found = |needle: &'static str| async move { s.search("room", needle, 10).await.unwrap() };
    assert_eq!(ids(&found("%").await), ["room-7", "room-1"]);
    assert_eq!(ids(&found("0%").await), ["room-7", "room-1"]);
    assert_eq!(ids(&found("_").await), ["room-7", "room-3"]);
    assert_eq!(ids(&found("e_c").await), ["room-3"]);
    assert_eq!(ids(&found("%_").await), ["room-7"]);
    assert_eq!(ids(&found("\\").await), ["room-5"]);
    assert_eq!(ids(&found(":\\p").await), ["room-5"]);
    assert_eq!(ids(&found("[a-z]").await), ["room-8"]);
    assert_eq!(ids(&found("* ?").await), ["room-8"]);
    assert_eq!(ids(&found("\"").await), Vec::<&str>::new());
}

async fn pinned_newest_first(s: &dyn Store) {
    let m = channel_with(s, "room", &["one", "two", "three", "four", "five"]).await;
    channel_with(s, "other", &["x"]).await;
    assert_eq!(s.pinned("room", 10).await.unwrap(), vec![]);
    let pin = |m: &Message| Message { pinned: true, ..m.clone() };
    for i in [2, 0, 3] {
        assert!(s.update_message("room", &pin(&m[i])).await.unwrap());
    }
    let six = Message { pinned: true, ..message("room-6", "six", 1.0) };
    s.append_message("room", &six).await.unwrap();
    assert!(s.update_message("other", &pin(&message("other-1", "x", 1_000.5))).await.unwrap());
    assert_eq!(s.pinned("room", 10).await.unwrap(), vec![six.clone(), pin(&m[3]), pin(&m[2]), pin(&m[0])]);
    assert!(s.update_message("room", &m[2]).await.unwrap());
    assert_eq!(ids(&s.pinned("room", 10).await.unwrap()), ["room-6", "room-4", "room-1"], "unpinned");
    assert_eq!(ids(&s.pinned("other", 10).await.unwrap()), ["other-1"]);
    assert_eq!(s.pinned("ghost", 10).await.unwrap(), vec![]);
    assert_eq!(ids(&s.pinned("room", 2).await.unwrap()), ["room-6", "room-4"], "the newest ones");
    assert_eq!(ids(&s.pinned("room", 1).await.unwrap()), ["room-6"]);
    assert_eq!(s.pinned("room", 0).await.unwrap(), vec![]);
}

/// One page of `mentions_page` as (channel, message id) pairs, and the total.
async fn pings_of(s: &dyn Store, channels: &[&str], targets: &[&str], offset: u64, limit: u64) -> (Vec<String>, u64) {
    let channels: Vec<String> = channels.iter().map(|c| c.to_string()).collect();
    let targets: Vec<String> = targets.iter().map(|t| t.to_string()).collect();
    let (page, total) = s.mentions_page(&channels, &targets, offset, limit).await.unwrap();
    (page.into_iter().map(|(c, m)| format!("{c}/{}", m.id)).collect(), total)
}

/// `(pairs, total)` as `pings_of` gives them.
fn paged(pairs: &[&str], total: u64) -> (Vec<String>, u64) {
    (pairs.iter().map(|p| p.to_string()).collect(), total)
}

async fn mentions_page_newest_first_with_total(s: &dyn Store) {
    let alice = UserId("u-alice".into());
    let asked = Message { author: alice.clone(), ..message("a-0", "a question", 1.0) };
    // Timestamps out of creation order; a-6 has two of the targets; b-2 ties with a-1.
    let a = [
        message("a-1", "hi @alice", 50.0),
        message("a-2", "hello", 60.0),
        reply("a-3", "sure", 40.0, &asked),
        message("a-4", "HEY @ALICE!", 70.0),
        message("a-5", "ping @&mods", 20.0),
        message("a-6", "@alice and @&mods", 30.0),
        message("a-7", "@alicex is someone else", 80.0),
        message("a-8", "@&Mods is another role", 85.0),
    ];
    let b = [message("b-1", "@alice in b", 55.0), message("b-2", "tie @alice", 50.0)];
    let c = [message("c-1", "@alice in c", 100.0)];
    for (name, list) in [("a", &a[..]), ("b", &b[..]), ("c", &c[..])] {
        assert!(s.insert_channel(&channel(name)).await.unwrap());
        if name == "a" {
            s.append_message(name, &asked).await.unwrap();
        }
        for m in list {
            s.append_message(name, m).await.unwrap();
        }
    }
    let targets = ["@alice", "@&mods", "reply:u-alice"];
    let all = ["a/a-4", "b/b-1", "b/b-2", "a/a-1", "a/a-3", "a/a-6", "a/a-5"];
    assert_eq!(pings_of(s, &["a", "b"], &targets, 0, 50).await, paged(&all, 7));
    let channels: Vec<String> = vec!["a".into(), "b".into()];
    let targets_owned: Vec<String> = targets.iter().map(|t| t.to_string()).collect();
    let (first, _) = s.mentions_page(&channels, &targets_owned, 0, 1).await.unwrap();
    assert_eq!(first, vec![("a".to_owned(), a[3].clone())], "whole records with their channel");
    assert_eq!(pings_of(s, &["a", "b"], &targets, 2, 2).await, paged(&all[2..4], 7), "a page");
    assert_eq!(pings_of(s, &["a", "b"], &targets, 6, 5).await, paged(&all[6..], 7), "the last page");
    assert_eq!(pings_of(s, &["a", "b"], &targets, 7, 5).await, paged(&[], 7), "past the end");
    assert_eq!(pings_of(s, &["a", "b"], &targets, i64::MAX as u64, 5).await, paged(&[], 7));
    assert_eq!(pings_of(s, &["a", "b"], &targets, 0, 0).await, paged(&[], 7), "no page, still the total");
    assert_eq!(pings_of(s, &["b", "a", "a", "ghost"], &targets, 0, 50).await, paged(&all, 7), "each once");
    assert_eq!(pings_of(s, &["b"], &targets, 0, 50).await, paged(&["b/b-1", "b/b-2"], 2), "channels filter");
    assert_eq!(pings_of(s, &["c", "b"], &targets, 0, 50).await, paged(&["c/c-1", "b/b-1", "b/b-2"], 3));
    assert_eq!(pings_of(s, &["a"], &["@&mods"], 0, 50).await, paged(&["a/a-6", "a/a-5"], 2));
    assert_eq!(pings_of(s, &["a"], &["@&Mods"], 0, 50).await, paged(&["a/a-8"], 1), "roles are case-sensitive");
    assert_eq!(pings_of(s, &["a"], &["reply:u-alice"], 0, 50).await, paged(&["a/a-3"], 1));
    assert_eq!(pings_of(s, &["a"], &["@ALICE"], 0, 50).await, paged(&[], 0), "targets are exact");
    assert_eq!(pings_of(s, &["a"], &["@alicex", "@alice"], 0, 2).await, paged(&["a/a-7", "a/a-4"], 4));
    assert_eq!(pings_of(s, &["a", "b"], &[], 0, 50).await, paged(&[], 0));
    assert_eq!(pings_of(s, &[], &targets, 0, 50).await, paged(&[], 0));
    assert_eq!(pings_of(s, &["ghost"], &targets, 0, 50).await, paged(&[], 0));
}

async fn mentions_page_follows_edits_and_deletes(s: &dyn Store) {
    let alice = User { roles: vec!["staff".into()], ..user("u-alice", "Alice") };
    let targets = domain::mentions::user_targets(&alice);
    let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
    let asked = Message { author: alice.id.clone(), ..message("q", "question", 1.0) };
    let m = channel_with(s, "room", &["@alice one", "nothing", "@bob"]).await;
    s.append_message("room", &asked).await.unwrap();
    let pings = |channel: &'static str| {
        let targets = targets.clone();
        async move { pings_of(s, &[channel], &targets, 0, 50).await }
    };
    assert_eq!(pings("room").await, paged(&["room/room-1"], 1));
    let edit = |i: usize, content: &str| Message { content: content.into(), edited: true, ..m[i].clone() };
    assert!(s.update_message("room", &edit(1, "now @ALICE")).await.unwrap());
    assert_eq!(pings("room").await, paged(&["room/room-2", "room/room-1"], 2), "an edit that adds a mention");
    assert!(s.update_message("room", &edit(0, "no longer")).await.unwrap());
    assert_eq!(pings("room").await, paged(&["room/room-2"], 1), "an edit that removes one");
    let earlier = Message { timestamp: 5.0, ..edit(2, "@&staff late") };
    assert!(s.update_message("room", &earlier).await.unwrap());
    assert_eq!(pings("room").await, paged(&["room/room-2", "room/room-3"], 2), "ordered by the new timestamp");
    let silent = Message { ping: Some(false), ..reply("room-2", "quiet", m[1].timestamp, &asked) };
    assert!(s.update_message("room", &silent).await.unwrap());
    assert_eq!(pings("room").await, paged(&["room/room-3"], 1), "a silent reply does not ping");
    let loud = Message { ping: None, ..silent.clone() };
    assert!(s.update_message("room", &loud).await.unwrap());
    assert_eq!(pings("room").await, paged(&["room/room-2", "room/room-3"], 2), "a reply that is not silent does");
    assert!(!s.update_message("room", &message("ghost", "@alice", 9.0)).await.unwrap());
    assert_eq!(pings("room").await, paged(&["room/room-2", "room/room-3"], 2), "a failed update indexes nothing");
    assert!(s.delete_message("room", "room-2").await.unwrap());
    assert_eq!(pings("room").await, paged(&["room/room-3"], 1), "a deleted message is gone");
    s.append_message("room", &message("room-2", "@alice again", 2.0)).await.unwrap();
    assert_eq!(pings("room").await, paged(&["room/room-3", "room/room-2"], 2), "a new message with its id");

    let renamed = Channel { name: "hall".into(), ..channel("room") };
    assert!(s.update_channel("room", &renamed).await.unwrap());
    assert_eq!(pings("hall").await, paged(&["hall/room-3", "hall/room-2"], 2), "pings follow a renamed channel");
    assert_eq!(pings("room").await, paged(&[], 0));
    channel_with(s, "other", &["@alice elsewhere"]).await;
    assert!(s.delete_channel("hall").await.unwrap());
    assert_eq!(pings("hall").await, paged(&[], 0), "a deleted channel's pings are gone");
    assert!(s.insert_channel(&channel("hall")).await.unwrap());
    assert_eq!(pings("hall").await, paged(&[], 0), "a new channel of that name starts empty");
    assert_eq!(pings("other").await, paged(&["other/other-1"], 1), "other channels keep theirs");
}

async fn mentions_page_silent_replies(s: &dyn Store) {
    let alice = user("u-alice", "Alice");
    let targets = domain::mentions::user_targets(&alice);
    let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
    assert!(s.insert_channel(&channel("room")).await.unwrap());
    let asked = Message { author: alice.id.clone(), ..message("q", "question", 1.0) };
    let by_bob = Message { author: UserId("u-bob".into()), ..message("q-bob", "other question", 2.0) };
    let quiet = |m: Message| Message { ping: Some(false), ..m };
    let loud = |m: Message| Message { ping: Some(true), ..m };
    for m in [
        asked.clone(),
        by_bob.clone(),
        reply("r-1", "ok", 3.0, &asked),
        loud(reply("r-2", "sure", 4.0, &asked)),
        quiet(reply("r-3", "quiet", 5.0, &asked)),
        quiet(reply("r-4", "@alice explicitly", 6.0, &asked)),
        quiet(reply("r-5", "to bob, @Alice", 7.0, &by_bob)),
        reply("r-6", "to bob", 8.0, &by_bob),
        Message { author: alice.id.clone(), ..reply("r-7", "own reply to self", 9.0, &asked) },
    ] {
        s.append_message("room", &m).await.unwrap();
    }
    assert_eq!(
        pings_of(s, &["room"], &targets, 0, 50).await,
        paged(&["room/r-7", "room/r-5", "room/r-4", "room/r-2", "room/r-1"], 5),
        "a silent reply pings only by an explicit mention; one's own messages count"
    );
}

// ---------------------------------------------------------------------------------------
// Seeding
// ---------------------------------------------------------------------------------------

fn subscription(endpoint: &str, key: &str) -> Subscription {
    Subscription { endpoint: endpoint.into(), p256dh: format!("P-{key}"), auth: format!("A-{key}") }
}

fn endpoints(subs: &[Subscription]) -> Vec<&str> {
    subs.iter().map(|s| s.endpoint.as_str()).collect()
}

async fn push_subscriptions_are_kept_per_user_and_replaced_in_place(s: &dyn Store) {
    let (alice, bob) = (UserId("USR:alice".into()), UserId("USR:bob".into()));
    assert!(s.subscriptions(&alice).await.unwrap().is_empty());
    s.save_subscription(&alice, &subscription("https://p/1", "a"), 10, 1.0).await.unwrap();
    s.save_subscription(&alice, &subscription("https://p/2", "b"), 10, 2.0).await.unwrap();
    s.save_subscription(&bob, &subscription("https://p/3", "c"), 10, 3.0).await.unwrap();
    s.save_subscription(&alice, &subscription("https://p/1", "new"), 10, 4.0).await.unwrap();
    let mine = s.subscriptions(&alice).await.unwrap();
    assert_eq!(endpoints(&mine), ["https://p/1", "https://p/2"], "replaced in place, oldest first");
    assert_eq!(mine[0], subscription("https://p/1", "new"));
    assert_eq!(endpoints(&s.subscriptions(&bob).await.unwrap()), ["https://p/3"]);
}

async fn push_subscription_endpoint_moves_to_the_last_subscriber(s: &dyn Store) {
    let (alice, bob) = (UserId("USR:alice".into()), UserId("USR:bob".into()));
    s.save_subscription(&alice, &subscription("https://p/shared", "a"), 10, 1.0).await.unwrap();
    s.save_subscription(&bob, &subscription("https://p/shared", "b"), 10, 2.0).await.unwrap();
    assert!(s.subscriptions(&alice).await.unwrap().is_empty(), "one browser, one owner");
    assert_eq!(s.subscriptions(&bob).await.unwrap(), [subscription("https://p/shared", "b")]);
}

async fn push_subscriptions_keep_only_the_newest(s: &dyn Store) {
    let alice = UserId("USR:alice".into());
    for i in 0..5 {
        s.save_subscription(&alice, &subscription(&format!("https://p/{i}"), "k"), 3, f64::from(i)).await.unwrap();
    }
    assert_eq!(endpoints(&s.subscriptions(&alice).await.unwrap()), ["https://p/2", "https://p/3", "https://p/4"]);
}

async fn push_subscription_delete_is_scoped_to_its_user(s: &dyn Store) {
    let (alice, bob) = (UserId("USR:alice".into()), UserId("USR:bob".into()));
    s.save_subscription(&alice, &subscription("https://p/1", "a"), 10, 1.0).await.unwrap();
    assert!(!s.delete_subscription(&bob, "https://p/1").await.unwrap(), "not bob's");
    assert!(!s.delete_subscription(&alice, "https://p/9").await.unwrap());
    assert_eq!(s.subscriptions(&alice).await.unwrap().len(), 1);
    assert!(s.delete_subscription(&alice, "https://p/1").await.unwrap());
    assert!(s.subscriptions(&alice).await.unwrap().is_empty());
    let odd = UserId("USR:\u{0}\u{E000}".into());
    let sub = subscription("https://p/\u{0}\u{E000}e", "\u{E000}0");
    s.save_subscription(&odd, &sub, 10, 1.0).await.unwrap();
    s.save_subscription(&odd, &sub, 10, 2.0).await.unwrap();
    assert_eq!(
        s.subscriptions(&odd).await.unwrap(),
        std::slice::from_ref(&sub),
        "text round-trips and matches exactly"
    );
    assert!(s.delete_subscription(&odd, &sub.endpoint).await.unwrap());
}

async fn seed_defaults_once(s: &dyn Store) {
    assert_eq!(s.roles().await.unwrap(), vec![]);
    assert_eq!(s.channels().await.unwrap(), vec![]);
    let roles = domain::role::default_roles();
    let mut channels = domain::channel::default_channels();
    channels.push(channel("news"));
    assert!(s.seed_defaults(&roles, &channels).await.unwrap());
    assert_eq!(s.roles().await.unwrap(), roles);
    assert_eq!(s.channels().await.unwrap(), channels);
    assert!(!s.seed_defaults(&[role("other", None)], &[channel("other")]).await.unwrap());
    assert_eq!(s.roles().await.unwrap(), roles, "a second seed writes nothing");
    assert_eq!(s.channels().await.unwrap(), channels);
    assert!(s.delete_role("moderator").await.unwrap());
    assert!(s.delete_channel("news").await.unwrap());
    assert!(!s.seed_defaults(&roles, &channels).await.unwrap());
    assert_eq!(s.role("moderator").await.unwrap(), None, "deleted defaults stay deleted");
    assert_eq!(s.channel("news").await.unwrap(), None);
    assert!(s.insert_channel(&channel("later")).await.unwrap());
    // The service places a new role below the others (docs/design/roles.md#positions).
    assert!(s.insert_role(&Role { position: 4, ..role("later", None) }).await.unwrap());
    assert_eq!(channel_names(&s.channels().await.unwrap()), ["general", "later"]);
    assert_eq!(role_names(&s.roles().await.unwrap()), ["owner", "admin", "user", "later"]);
}

// ---------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------

/// Text that every text field must give back byte for byte.
const TRICKY: &str = concat!(
    "emoji 👋🏽 👨‍👩‍👧 🇫🇷 | ",
    "combining e\u{301} a\u{30A}\u{323} Å | ",
    "rtl שָׁלוֹם مرحبا \u{202E}abc\u{202C} \u{200F} | ",
    "4-byte 𝄞 𠜎 \u{10FFFF} | ",
    "quotes \"double\" 'single' `back` «» | ",
    "backslashes \\ \\\\ \\n \\u0000 | ",
    "lines a\nb\r\nc\td | ",
    "Mixed CASE Ünïcödé % _ [x] * ?",
);

/// Stores records whose every text field is built from `text`, then reads them back
/// through every getter.
async fn round_trip(s: &dyn Store, text: &str) {
    let t = |what: &str| format!("{text} {what}");
    let extra = || vec![(t("key"), json_string(&t("value")))];

    let u = User {
        id: UserId(t("id")),
        username: Some(t("name")),
        roles: vec![t("role"), "user".into()],
        validator: Some(t("token")),
        extra: extra(),
        timeout_until: Some(1_712_345_678.123_456_7),
        profile: domain::Profile {
            nickname: Some(t("nick")),
            status: Some(domain::Presence { status: "dnd".into(), text: t("status") }),
        },
    };
    s.insert_user(&u).await.unwrap();
    assert_eq!(s.user(&u.id).await.unwrap(), Some(u.clone()));
    assert_eq!(s.users().await.unwrap(), vec![u.clone()]);
    assert_eq!(s.user_by_name(&t("name")).await.unwrap(), Some(u.clone()));
    assert_eq!(s.user_by_name(&t("name").to_lowercase()).await.unwrap(), Some(u.clone()));
    let changed = User { username: Some(t("renamed")), ..u.clone() };
    s.update_user(&changed).await.unwrap();
    assert_eq!(s.user(&u.id).await.unwrap(), Some(changed.clone()));
    let change = PendingChange::Grant(t("role"));
    s.add_pending_change(&t("pending"), &change).await.unwrap();
    s.add_pending_change(&t("pending"), &PendingChange::Timeout(1_712_345_678.123_456_7)).await.unwrap();
    assert_eq!(
        s.pending_changes(&t("pending")).await.unwrap(),
        vec![change, PendingChange::Timeout(1_712_345_678.123_456_7)]
    );

    let r = Role {
        name: t("role"),
        description: Some(t("description")),
        color: Some(t("colour")),
        mention: MentionRule::Everyone,
        id: t("role id"),
        position: 7,
        self_assignable: true,
        grants: vec![],
        extra: extra(),
    };
    assert!(s.insert_role(&r).await.unwrap());
    assert_eq!(s.role(&r.name).await.unwrap(), Some(r.clone()));
    assert_eq!(s.roles().await.unwrap(), vec![r.clone()]);
    assert!(!s.insert_role(&r).await.unwrap());
    let recoloured =
        Role { color: Some(t("new colour")), extra: vec![(t("other key"), json_string(&t("x")))], ..r.clone() };
    assert!(s.update_role(&recoloured).await.unwrap());
    assert_eq!(s.role(&r.name).await.unwrap(), Some(recoloured.clone()));
    assert_eq!(s.roles().await.unwrap(), vec![recoloured]);

    let c = Channel {
        name: t("channel"),
        kind: ChannelKind::Other(t("kind")),
        permissions: Some(PermissionMap(vec![(t("permission"), vec![t("role"), "user".into()])])),
        extra: extra(),
    };
    assert!(s.insert_channel(&c).await.unwrap());
    assert_eq!(s.channel(&c.name).await.unwrap(), Some(c.clone()));
    assert_eq!(s.channels().await.unwrap(), vec![c.clone()]);

    let parent = Message::new(t("parent"), UserId(t("author")), t("parent content"), 1_712_345_678.000_001);
    let mut m = Message {
        pinned: true,
        reply_to: Some(ReplyRef { id: parent.id.clone(), author: parent.author.clone() }),
        ping: Some(true),
        edited: true,
        interaction: Some(Interaction { command: t("command"), username: t("invoker") }),
        extra: extra(),
        ..Message::new(t("message"), u.id.clone(), t("content"), 1_712_345_679.999_999_9)
    };
    m.add_reaction(&t("reaction"), &UserId(t("reactor")));
    m.add_reaction("👍", &u.id);
    for msg in [&parent, &m] {
        s.append_message(&c.name, msg).await.unwrap();
    }
    assert_eq!(s.messages_page(&c.name, 0, 10).await.unwrap(), vec![parent.clone(), m.clone()]);
    assert_eq!(s.messages_before(&c.name, &m.id, 10).await.unwrap(), vec![parent.clone()]);
    assert_eq!(s.message(&c.name, &m.id).await.unwrap(), Some((m.clone(), 2)));
    assert_eq!(s.replies(&c.name, &parent.id, 10).await.unwrap(), vec![m.clone()]);
    assert_eq!(s.pinned(&c.name, 10).await.unwrap(), vec![m.clone()]);
    assert_eq!(s.search(&c.name, &t("content").to_lowercase(), 10).await.unwrap(), vec![m.clone()]);
    assert_eq!(s.search(&c.name, &t("content").to_uppercase(), 10).await.unwrap(), vec![m.clone()], "any case");
    assert_eq!(s.search(&c.name, text, 10).await.unwrap(), vec![m.clone(), parent.clone()], "the text alone");
    let replied = vec![format!("reply:{}", parent.author)];
    let found = s.mentions_page(std::slice::from_ref(&c.name), &replied, 0, 10).await.unwrap();
    assert_eq!(found, (vec![(c.name.clone(), m.clone())], 1));
    let edited = Message { content: t("edited"), ..m.clone() };
    assert!(s.update_message(&c.name, &edited).await.unwrap());
    assert_eq!(s.message(&c.name, &m.id).await.unwrap(), Some((edited.clone(), 2)));
    assert_eq!(s.search(&c.name, "edited", 10).await.unwrap(), vec![edited.clone()], "a needle after the text");
    assert_eq!(s.search(&c.name, &t("edited"), 10).await.unwrap(), vec![edited.clone()]);

    let renamed = Channel { name: t("renamed channel"), ..c.clone() };
    assert!(s.update_channel(&c.name, &renamed).await.unwrap());
    assert_eq!(s.channel(&renamed.name).await.unwrap(), Some(renamed.clone()));
    assert_eq!(s.channel(&c.name).await.unwrap(), None);
    assert_eq!(s.channels().await.unwrap(), vec![renamed.clone()]);
    let found = s.mentions_page(std::slice::from_ref(&renamed.name), &replied, 0, 10).await.unwrap();
    assert_eq!(found, (vec![(renamed.name.clone(), edited.clone())], 1));
    assert_eq!(s.messages_page(&renamed.name, 0, 10).await.unwrap(), vec![parent.clone(), edited.clone()]);
    assert!(s.move_channel(&renamed.name, 0).await.unwrap());
    assert!(s.delete_message(&renamed.name, &parent.id).await.unwrap());
    assert_eq!(s.message(&renamed.name, &parent.id).await.unwrap(), None);
    assert_eq!(s.replies(&renamed.name, &parent.id, 10).await.unwrap(), vec![edited.clone()], "outlives its parent");
    assert!(s.delete_channel(&renamed.name).await.unwrap());
    assert!(s.delete_role(&r.name).await.unwrap());
    assert!(s.delete_user(&u.id).await.unwrap());
    s.clear_pending_changes(&t("pending")).await.unwrap();
    assert_eq!(s.pending_changes(&t("pending")).await.unwrap(), vec![]);
}

async fn text_round_trips_exactly(s: &dyn Store) {
    round_trip(s, TRICKY).await;
}

/// U+0000 anywhere, and the characters a store might use to escape it: U+E000 (the
/// escape of the SQL store on Postgres) alone, before `0` and `e`, and next to U+0000.
const NUL_AND_ESCAPES: &str =
    "nul \u{0} inside \u{0}\u{0} | esc \u{E000} \u{E000}0 \u{E000}e \u{E000}\u{0}\u{E000} 0e |";

async fn text_with_nul_round_trips_exactly(s: &dyn Store) {
    round_trip(s, &format!("{NUL_AND_ESCAPES} {TRICKY} \u{0}")).await;
    round_trip(s, "\u{0}").await;
    round_trip(s, "\u{E000}").await;
}

/// Searches for needles holding U+0000 or U+E000, or starting with what could follow an
/// escape character, match exactly the messages whose text holds them.
async fn search_with_nul_is_exact(s: &dyn Store) {
    channel_with(
        s,
        "room",
        &[
            "a\u{0}b",      // 1
            "a0b",          // 2
            "x\u{E000}e y", // 3
            "\u{E000}",     // 4
            "E and 0",      // 5
            "\u{0}\u{0}",   // 6
            "\u{E000}0",    // 7
            "\u{0}E",       // 8
            "plain",        // 9
        ],
    )
    .await;
    let found = |needle: &'static str| async move { s.search("room", needle, 20).await.unwrap() };
    assert_eq!(ids(&found("\u{0}").await), ["room-8", "room-6", "room-1"]);
    assert_eq!(ids(&found("\u{0}b").await), ["room-1"]);
    assert_eq!(ids(&found("0b").await), ["room-2"], "not a\\0b");
    assert_eq!(ids(&found("0").await), ["room-7", "room-5", "room-2"]);
    assert_eq!(ids(&found("e").await), ["room-8", "room-5", "room-3"]);
    assert_eq!(ids(&found("\u{E000}").await), ["room-7", "room-4", "room-3"]);
    assert_eq!(ids(&found("\u{E000}e").await), ["room-3"]);
    assert_eq!(ids(&found("\u{E000}0").await), ["room-7"]);
    assert_eq!(ids(&found("\u{0}\u{0}").await), ["room-6"]);
    assert_eq!(ids(&found("\u{0}e").await), ["room-8"], "matched lowercased");
    assert_eq!(ids(&s.search("room", "0", 2).await.unwrap()), ["room-7", "room-5"], "the limit counts exact matches");
    assert_eq!(ids(&s.search("room", "e", 1).await.unwrap()), ["room-8"]);
    assert_eq!(ids(&s.search("room", "b", 1).await.unwrap()), ["room-2"]);
}

fn emoji(id: i64, name: &str) -> Emoji {
    Emoji {
        id,
        name: name.into(),
        file_name: format!("{id}.gif"),
        content_type: "image/gif".into(),
        byte_size: 42,
        created_by: Some(UserId("u-owner".into())),
        created_at: 1_700_000_000.25,
    }
}

async fn emojis_listed_by_id_and_read_back(s: &dyn Store) {
    assert_eq!(s.emojis().await.unwrap(), vec![]);
    let (a, b) =
        (emoji(s.reserve_emoji_id().await.unwrap(), "Wave"), emoji(s.reserve_emoji_id().await.unwrap(), "blob"));
    assert_eq!((a.id, b.id), (0, 1));
    assert!(s.insert_emoji(&b).await.unwrap());
    assert!(s.insert_emoji(&a).await.unwrap());
    let imported = Emoji { created_by: None, ..emoji(7, "old") };
    assert!(s.insert_emoji(&imported).await.unwrap());
    assert_eq!(s.emojis().await.unwrap(), vec![a, b, imported]);
}

async fn emoji_names_are_unique_ignoring_case(s: &dyn Store) {
    assert!(s.insert_emoji(&emoji(0, "Party")).await.unwrap());
    assert!(!s.insert_emoji(&emoji(1, "pARTY")).await.unwrap(), "same name in another case");
    assert!(!s.insert_emoji(&emoji(0, "other")).await.unwrap(), "same id");
    assert!(s.insert_emoji(&emoji(2, "second")).await.unwrap());
    let taken = s.rename_emoji(2, "PARTY").await.unwrap_err();
    assert_eq!(taken.kind, StoreErrorKind::Conflict);
    assert!(s.rename_emoji(0, "PARTY").await.unwrap(), "its own name in another case");
    assert!(!s.rename_emoji(9, "nine").await.unwrap());
    let names: Vec<String> = s.emojis().await.unwrap().into_iter().map(|e| e.name).collect();
    assert_eq!(names, ["PARTY", "second"]);
}

async fn emoji_ids_are_never_reused(s: &dyn Store) {
    let first = s.reserve_emoji_id().await.unwrap();
    assert!(s.insert_emoji(&emoji(first, "a")).await.unwrap());
    assert!(s.insert_emoji(&emoji(10, "imported")).await.unwrap());
    assert_eq!(s.delete_emoji(10).await.unwrap(), Some(emoji(10, "imported")));
    assert_eq!(s.delete_emoji(10).await.unwrap(), None);
    assert_eq!(s.reserve_emoji_id().await.unwrap(), 11, "past every id ever stored");
    assert_eq!(s.reserve_emoji_id().await.unwrap(), 12, "a reserved id is never handed out again");
    assert_eq!(s.delete_emoji(first).await.unwrap().map(|e| e.id), Some(first));
    assert_eq!(s.reserve_emoji_id().await.unwrap(), 13);
    assert_eq!(s.emojis().await.unwrap(), vec![]);
}

// ---------------------------------------------------------------------------------------
// Threads (application/src/ports/threads.rs)
// ---------------------------------------------------------------------------------------

fn thread(id: &str, parent: &str, name: &str) -> Thread {
    Thread {
        id: id.into(),
        name: name.into(),
        parent_channel: parent.into(),
        created_by: UserId("u-creator".into()),
        created_at: 1_700_000_000.25,
        locked: false,
        archived: false,
        participants: vec![UserId("u-creator".into()), UserId("u-other".into())],
    }
}

async fn threads_round_trip_per_channel_in_creation_order(s: &dyn Store) {
    assert_eq!(s.threads("forum").await.unwrap(), vec![], "no channel, no threads");
    assert!(!s.insert_thread(&thread("t0", "forum", "orphan")).await.unwrap(), "a thread needs its channel");
    assert_eq!(s.thread("t0").await.unwrap(), None);
    s.insert_channel(&channel("forum")).await.unwrap();
    s.insert_channel(&channel("other")).await.unwrap();
    let t1 = thread("t1", "forum", "Ünïcode \u{0} name");
    let t2 = Thread { locked: true, archived: true, ..thread("t2", "forum", "second") };
    let t3 = thread("t3", "other", "elsewhere");
    for t in [&t1, &t2, &t3] {
        assert!(s.insert_thread(t).await.unwrap());
    }
    assert_eq!(failure(s.insert_thread(&thread("t1", "other", "again")).await), StoreErrorKind::Conflict);
    assert_eq!(s.threads("forum").await.unwrap(), vec![t1.clone(), t2.clone()]);
    assert_eq!(s.threads("other").await.unwrap(), vec![t3.clone()]);
    assert_eq!(s.thread("t2").await.unwrap(), Some(t2.clone()));
    // An update replaces the record but keeps the parent.
    let changed = Thread { name: "renamed".into(), participants: vec![], parent_channel: "other".into(), ..t1.clone() };
    assert!(s.update_thread(&changed).await.unwrap());
    assert_eq!(s.thread("t1").await.unwrap(), Some(Thread { parent_channel: "forum".into(), ..changed }));
    assert!(!s.update_thread(&thread("nope", "forum", "x")).await.unwrap());
    // Renaming the channel: its threads follow.
    let renamed = Channel { name: "forum2".into(), ..channel("forum") };
    assert!(s.update_channel("forum", &renamed).await.unwrap());
    assert_eq!(s.thread("t2").await.unwrap().unwrap().parent_channel, "forum2");
    assert_eq!(s.threads("forum2").await.unwrap().len(), 2);
    assert_eq!(s.threads("forum").await.unwrap(), vec![]);
}

/// `mentions_page` takes thread keys beside channel names and answers with the key.
async fn mentions_page_reads_threads_by_key(s: &dyn Store) {
    assert!(s.insert_channel(&channel("room")).await.unwrap());
    assert!(s.insert_channel(&channel("forum")).await.unwrap());
    s.append_message("room", &message("r-1", "@alice in the room", 10.0)).await.unwrap();
    for id in ["t1", "t2"] {
        assert!(s.insert_thread(&thread(id, "forum", id)).await.unwrap());
    }
    let (k1, k2) = (thread_key("t1"), thread_key("t2"));
    s.append_message(&k1, &message("t1-1", "@alice in t1", 20.0)).await.unwrap();
    s.append_message(&k1, &message("t1-2", "nothing", 25.0)).await.unwrap();
    s.append_message(&k2, &message("t2-1", "@alice in t2", 30.0)).await.unwrap();
    let targets = ["@alice"];
    let all = pings_of(s, &["room", &k1, &k2], &targets, 0, 10).await;
    assert_eq!(all, paged(&["thread/t2/t2-1", "thread/t1/t1-1", "room/r-1"], 3));
    assert_eq!(pings_of(s, &[&k1], &targets, 0, 10).await, paged(&["thread/t1/t1-1"], 1), "only the keys named");
    assert_eq!(pings_of(s, &["room", &k1, &k1], &targets, 1, 10).await, paged(&["room/r-1"], 2), "each once");
    assert_eq!(pings_of(s, &[&thread_key("nope"), "forum"], &targets, 0, 10).await, paged(&[], 0));
    // A deleted thread's mentions go with it.
    assert!(s.delete_thread("t2").await.unwrap());
    assert_eq!(pings_of(s, &["room", &k1, &k2], &targets, 0, 10).await, paged(&["thread/t1/t1-1", "room/r-1"], 2));
}

async fn thread_messages_and_markers_live_under_the_thread_key(s: &dyn Store) {
    let general = channel_with(s, "forum", &["channel message"]).await;
    let key = thread_key("t1");
    let m = message("tm-1", "in the thread", 5.0);
    assert_eq!(failure(s.append_message(&key, &m).await), StoreErrorKind::Missing, "no thread yet");
    assert!(s.insert_thread(&thread("t1", "forum", "t")).await.unwrap());
    s.append_message(&key, &m).await.unwrap();
    s.append_message(&key, &message("tm-2", "second", 6.0)).await.unwrap();
    assert_eq!(ids(&s.messages_page(&key, 0, 10).await.unwrap()), vec!["tm-1", "tm-2"]);
    assert_eq!(ids(&s.messages_page("forum", 0, 10).await.unwrap()), ids(&general), "channel and thread are apart");
    assert_eq!(s.message_count(&key).await.unwrap(), 2);
    assert_eq!(s.message(&key, "tm-2").await.unwrap().map(|(_, p)| p), Some(2));
    assert_eq!(s.message("forum", "tm-1").await.unwrap(), None);
    let reader = UserId("u-reader".into());
    assert!(s.set_last_read(&reader, &key, "tm-1").await.unwrap());
    assert_eq!(s.last_read(&reader, &key).await.unwrap(), Some("tm-1".into()));
    assert!(!s.set_last_read(&reader, &thread_key("nope"), "x").await.unwrap());
    // Deleting the thread takes its messages and markers; the channel keeps its own.
    assert!(s.delete_thread("t1").await.unwrap());
    assert!(!s.delete_thread("t1").await.unwrap());
    assert_eq!(s.thread("t1").await.unwrap(), None);
    assert_eq!(s.message_count(&key).await.unwrap(), 0);
    assert_eq!(s.last_read(&reader, &key).await.unwrap(), None);
    assert_eq!(s.message_count("forum").await.unwrap(), 1);
    // Deleting a channel deletes its threads with their messages.
    assert!(s.insert_thread(&thread("t2", "forum", "t")).await.unwrap());
    s.append_message(&thread_key("t2"), &message("tm-3", "x", 7.0)).await.unwrap();
    assert!(s.delete_channel("forum").await.unwrap());
    assert_eq!(s.thread("t2").await.unwrap(), None);
    assert_eq!(s.message_count(&thread_key("t2")).await.unwrap(), 0);
    s.insert_channel(&channel("forum")).await.unwrap();
    assert_eq!(s.threads("forum").await.unwrap(), vec![], "a new channel of that name starts without threads");
}

// ---------------------------------------------------------------------------------------
// One test per (store, case)
// ---------------------------------------------------------------------------------------

/// `mod $module` with one `#[tokio::test]` per case, on the store `Subject::$open` makes.
macro_rules! store_module {
    ($module:ident, $open:ident, $($case:ident),*) => {
        mod $module {
            $(
                #[tokio::test]
                async fn $case() {
                    let subject = super::Subject::$open().await;
                    super::$case(&*subject.store).await;
                }
            )*
        }
    };
}

/// Every case on every store. `#[ignore_on_postgres = "why"]` before a case ignores it on
/// Postgres only (a known bug, named in the reason).
macro_rules! contract {
    ($( $(#[ignore_on_postgres = $why:literal])? $case:ident ),* $(,)?) => {
        store_module!(memory, memory, $($case),*);
        store_module!(sqlite, sqlite, $($case),*);
        store_module!(cached, cached, $($case),*);
        store_module!(cached_sqlite, cached_sqlite, $($case),*);
        mod postgres {
            $(
                #[tokio::test]
                $(#[ignore = $why])?
                async fn $case() {
                    let Some(subject) = super::Subject::postgres().await else {
                        eprintln!("SKIPPED (ORIGINCHATS_TEST_POSTGRES_URL not set): postgres::{}", stringify!($case));
                        return;
                    };
                    super::$case(&*subject.store).await;
                }
            )*
        }
    };
}

contract! {
    users_insert_then_read_back,
    users_insert_existing_id_conflicts,
    users_update_replaces_the_record,
    users_update_missing_fails,
    one_bad_user_write_among_concurrent_ones_fails_alone,
    users_listed_in_creation_order,
    user_by_name_ignores_case_and_prefers_the_oldest,
    users_delete_reports_whether_it_existed,
    pending_changes_kept_in_order_per_username,
    pending_changes_cleared_per_username,
    roles_kept_in_creation_order,
    roles_are_listed_by_position_and_reordered_at_once,
    roles_insert_existing_name_is_refused,
    roles_update_replaces_an_existing_role,
    roles_delete_reports_whether_it_existed,
    channels_kept_in_display_order,
    channels_insert_existing_name_is_refused,
    channels_update_replaces_in_place,
    channels_rename_keeps_position_and_messages,
    channels_rename_onto_an_existing_name_conflicts,
    channels_move_to_a_position,
    channels_delete_removes_their_messages,
    append_needs_an_existing_channel,
    append_existing_id_conflicts,
    one_bad_append_among_concurrent_ones_fails_alone,
    messages_page_skips_newest,
    messages_before_an_id,
    messages_after_an_id_and_the_count,
    read_markers_per_user_and_channel,
    the_server_profile_round_trips,
    message_gives_its_one_based_position,
    last_message_time_of_the_newest_message,
    update_message_replaces_in_place,
    delete_message_reports_whether_it_existed,
    replies_oldest_first_limited,
    search_case_insensitive_substring_newest_first,
    search_wildcards_are_literal,
    pinned_newest_first,
    mentions_page_newest_first_with_total,
    mentions_page_follows_edits_and_deletes,
    mentions_page_silent_replies,
    seed_defaults_once,
    push_subscriptions_are_kept_per_user_and_replaced_in_place,
    push_subscription_endpoint_moves_to_the_last_subscriber,
    push_subscriptions_keep_only_the_newest,
    push_subscription_delete_is_scoped_to_its_user,
    text_round_trips_exactly,
    text_with_nul_round_trips_exactly,
    search_with_nul_is_exact,
    emojis_listed_by_id_and_read_back,
    emoji_names_are_unique_ignoring_case,
    emoji_ids_are_never_reused,
    threads_round_trip_per_channel_in_creation_order,
    thread_messages_and_markers_live_under_the_thread_key,
    mentions_page_reads_threads_by_key,
}
