//! Use cases against mocked ports (mockall), where the interaction with a port is what is
//! under test: what the auth validator is asked, and what plugins are told and when.
//! Also: nothing is broadcast that was not stored (persist before broadcast), and how much
//! `messages_pinned` asks the store for.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use application::errors::{AccessError, MessageError};
use application::ports::{
    AuthFailure, ChannelRepository, MessageRepository, MockAuthValidator, MockPluginHost, NoPlugins, PluginEvent,
    RoleRepository, RoturIdentity, Screening, Store, StoreError, StoreErrorKind, StoreResult, UserRepository,
};
use application::services::{NewMessage, ReplyTarget};
use application::{App, Origin, Settings};
use async_trait::async_trait;
use domain::rate_limit::Denial;
use domain::{Channel, Message, Role, User, UserId};
use originchats_tests::inproc::{Recorder, app, seeded_store};
use rotur::MockAuth;

fn new_message(content: &str) -> NewMessage {
    let content = domain::MessageContent::parse(content, 2000).unwrap();
    NewMessage { channel: "general".into(), content, reply_to: ReplyTarget::None, ping: None }
}

async fn logged_in(app: &App, name: &str) -> (application::Session, Arc<Recorder>) {
    let outbox = Arc::new(Recorder::default());
    let mut session = app.sessions.open(1, outbox.clone());
    app.sessions.login(&mut session, Some(&format!("mock:USR:{name}:{name}"))).await;
    assert!(session.user.is_some(), "login failed: {:?}", outbox.frames());
    (session, outbox)
}

#[tokio::test]
async fn login_asks_the_validator_with_this_connections_key() {
    let store = seeded_store().await;
    let mut auth = MockAuthValidator::new();
    auth.expect_validate()
        .withf(|key, validator| key.starts_with("originChats-") && validator.as_deref() == Some("token-1"))
        .times(1)
        .returning(|_, _| Ok(RoturIdentity { id: "USR:1".into(), username: "alice".into() }));
    let app = app(store.clone(), Arc::new(auth), Arc::new(NoPlugins), Settings::default());
    let outbox = Arc::new(Recorder::default());
    let mut session = app.sessions.open(7, outbox.clone());
    let key = outbox.frames()[0]["val"]["validator_key"].as_str().unwrap().to_owned();
    assert_eq!(key, session.validator_key, "the key checked is the one this handshake announced");
    app.sessions.login(&mut session, Some("token-1")).await;
    let cmds: Vec<String> = outbox.frames().iter().map(|f| f["cmd"].as_str().unwrap().to_owned()).collect();
    assert_eq!(cmds, ["handshake", "auth_success", "ready", "user_join", "user_connect"]);
    assert!(store.user(&UserId("USR:1".into())).await.unwrap().is_some());
}

#[tokio::test]
async fn an_unreachable_validator_changes_nothing() {
    let store = seeded_store().await;
    let mut auth = MockAuthValidator::new();
    auth.expect_validate().times(1).returning(|_, _| Err(AuthFailure::Unavailable));
    let app = app(store.clone(), Arc::new(auth), Arc::new(NoPlugins), Settings::default());
    let outbox = Arc::new(Recorder::default());
    let mut session = app.sessions.open(1, outbox.clone());
    app.sessions.login(&mut session, None).await;
    assert_eq!(
        outbox.frames().last().unwrap(),
        &serde_json::json!({"cmd": "auth_error", "val": "Authentication service unavailable"})
    );
    assert!(session.user.is_none());
    assert!(store.users().await.unwrap().is_empty(), "no user was created");
}

#[tokio::test]
async fn a_message_a_plugin_blocks_is_neither_stored_nor_announced() {
    let store = seeded_store().await;
    let told = Arc::new(AtomicUsize::new(0));
    let mut plugins = MockPluginHost::new();
    plugins.expect_screen_message().times(1).returning(|draft| {
        assert_eq!(draft.content, "bad words");
        Screening { block: Some(Denial { reason: "no".into(), wait_seconds: 1.0 }), actions: vec![] }
    });
    let counter = told.clone();
    plugins.expect_notify().returning(move |e| {
        if e.name() == "new_message" {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    let app = app(store.clone(), Arc::new(MockAuth), Arc::new(plugins), Settings::default());
    let (session, outbox) = logged_in(&app, "alice").await;
    let before = outbox.frames().len();
    let outcome = app.messaging.post(&session, new_message("bad words"), &Origin::of(1, None)).await;
    assert!(matches!(outcome, Err(MessageError::Limited(_))));
    assert_eq!(outbox.frames().len(), before, "no broadcast");
    assert!(store.messages_page("general", 0, 10).await.unwrap().is_empty(), "not stored");
    assert_eq!(told.load(Ordering::SeqCst), 0, "plugins never hear of it");
}

#[tokio::test]
async fn plugins_hear_of_a_message_once_it_is_stored_and_broadcast() {
    let store = seeded_store().await;
    let mut plugins = MockPluginHost::new();
    plugins.expect_screen_message().times(1).returning(|_| Screening::default());
    let seen: Arc<std::sync::Mutex<Vec<PluginEvent>>> = Arc::default();
    let log = seen.clone();
    plugins.expect_notify().returning(move |e| log.lock().unwrap().push(e.clone()));
    let app = app(store.clone(), Arc::new(MockAuth), Arc::new(plugins), Settings::default());
    let (session, outbox) = logged_in(&app, "alice").await;
    assert_eq!(seen.lock().unwrap().iter().map(|e| e.name()).collect::<Vec<_>>(), ["user_join", "user_connect"]);
    app.messaging.post(&session, new_message(" hi "), &Origin::of(1, None)).await.unwrap();
    let events = seen.lock().unwrap().clone();
    let Some(PluginEvent::NewMessage { channel, message, by, .. }) = events.last() else { panic!("{events:?}") };
    assert_eq!((channel.as_str(), message.content.as_str(), by.username.as_str()), ("general", "hi", "alice"));
    let stored = store.messages_page("general", 0, 10).await.unwrap();
    assert_eq!(stored.iter().map(|m| &m.id).collect::<Vec<_>>(), [&message.id]);
    assert_eq!(outbox.frames().last().unwrap()["message"]["id"], message.id.as_str(), "broadcast before the event");
}

/// `messages_pinned` asks the store for at most `MAX_PINNED` (200) messages and answers
/// with the newest ones (docs/design/messages.md#pins).
#[tokio::test]
async fn messages_pinned_answers_the_newest_two_hundred() {
    let store = seeded_store().await;
    for i in 0..205 {
        let m = Message { pinned: i != 3, ..Message::new(format!("p{i}"), UserId("u".into()), "x".into(), i as f64) };
        store.append_message("general", &m).await.unwrap();
    }
    let app = app(store.clone(), Arc::new(MockAuth), Arc::new(NoPlugins), Settings::default());
    let (session, _) = logged_in(&app, "alice").await;
    let Ok(application::services::Reply::Packet(application::Packet::MessagesPinned { messages, .. })) =
        app.messaging.pinned(&session, "general".into(), None).await
    else {
        panic!("messages_pinned failed")
    };
    let ids: Vec<&str> = messages.iter().map(|v| v.message.id.as_str()).collect();
    let expected: Vec<String> = (5..205).rev().map(|i| format!("p{i}")).collect();
    assert_eq!(ids, expected, "the 200 newest pinned, newest first");
    assert_eq!(application::services::messaging::MAX_PINNED, 200);
}

/// The in-memory store, counting writes of user records, and whose message appends fail
/// when asked to.
struct Watched {
    inner: Arc<dyn Store>,
    failing_appends: bool,
    user_writes: AtomicUsize,
}

impl Watched {
    fn new(inner: Arc<dyn Store>, failing_appends: bool) -> Self {
        Self { inner, failing_appends, user_writes: AtomicUsize::new(0) }
    }
}

#[async_trait]
impl UserRepository for Watched {
    async fn user(&self, id: &UserId) -> StoreResult<Option<User>> {
        self.inner.user(id).await
    }
    async fn user_by_name(&self, name: &str) -> StoreResult<Option<User>> {
        self.inner.user_by_name(name).await
    }
    async fn users(&self) -> StoreResult<Vec<User>> {
        self.inner.users().await
    }
    async fn insert_user(&self, user: &User) -> StoreResult<()> {
        self.user_writes.fetch_add(1, Ordering::SeqCst);
        self.inner.insert_user(user).await
    }
    async fn update_user(&self, user: &User) -> StoreResult<()> {
        self.user_writes.fetch_add(1, Ordering::SeqCst);
        self.inner.update_user(user).await
    }
    async fn delete_user(&self, id: &UserId) -> StoreResult<bool> {
        self.inner.delete_user(id).await
    }
    async fn pending_changes(&self, username: &str) -> StoreResult<Vec<application::ports::PendingChange>> {
        self.inner.pending_changes(username).await
    }
    async fn add_pending_change(&self, username: &str, change: &application::ports::PendingChange) -> StoreResult<()> {
        self.inner.add_pending_change(username, change).await
    }
    async fn clear_pending_changes(&self, username: &str) -> StoreResult<()> {
        self.inner.clear_pending_changes(username).await
    }
}

#[async_trait]
impl RoleRepository for Watched {
    async fn roles(&self) -> StoreResult<Vec<Role>> {
        self.inner.roles().await
    }
    async fn role(&self, name: &str) -> StoreResult<Option<Role>> {
        self.inner.role(name).await
    }
    async fn insert_role(&self, role: &Role) -> StoreResult<bool> {
        self.inner.insert_role(role).await
    }
    async fn update_role(&self, role: &Role) -> StoreResult<bool> {
        self.inner.update_role(role).await
    }
    async fn delete_role(&self, name: &str) -> StoreResult<bool> {
        self.inner.delete_role(name).await
    }
    async fn reorder_roles(&self, names: &[String]) -> StoreResult<bool> {
        self.inner.reorder_roles(names).await
    }
}

#[async_trait]
impl ChannelRepository for Watched {
    async fn channels(&self) -> StoreResult<Vec<Channel>> {
        self.inner.channels().await
    }
    async fn channel(&self, name: &str) -> StoreResult<Option<Channel>> {
        self.inner.channel(name).await
    }
    async fn insert_channel(&self, channel: &Channel) -> StoreResult<bool> {
        self.inner.insert_channel(channel).await
    }
    async fn update_channel(&self, name: &str, channel: &Channel) -> StoreResult<bool> {
        self.inner.update_channel(name, channel).await
    }
    async fn move_channel(&self, name: &str, position: usize) -> StoreResult<bool> {
        self.inner.move_channel(name, position).await
    }
    async fn delete_channel(&self, name: &str) -> StoreResult<bool> {
        self.inner.delete_channel(name).await
    }
}

#[async_trait]
impl MessageRepository for Watched {
    async fn append_message(&self, channel: &str, message: &Message) -> StoreResult<()> {
        if self.failing_appends {
            return Err(StoreError::new(StoreErrorKind::Other, "append_message", "disk full"));
        }
        self.inner.append_message(channel, message).await
    }
    async fn messages_page(&self, channel: &str, skip: u64, limit: u64) -> StoreResult<Vec<Message>> {
        self.inner.messages_page(channel, skip, limit).await
    }
    async fn messages_before(&self, channel: &str, before: &str, limit: u64) -> StoreResult<Vec<Message>> {
        self.inner.messages_before(channel, before, limit).await
    }
    async fn messages_after(&self, channel: &str, after_id: &str, limit: u64) -> StoreResult<Vec<Message>> {
        self.inner.messages_after(channel, after_id, limit).await
    }
    async fn message_count(&self, channel: &str) -> StoreResult<u64> {
        self.inner.message_count(channel).await
    }
    async fn message(&self, channel: &str, id: &str) -> StoreResult<Option<(Message, u64)>> {
        self.inner.message(channel, id).await
    }
    async fn last_message_time(&self, channel: &str) -> StoreResult<Option<f64>> {
        self.inner.last_message_time(channel).await
    }
    async fn update_message(&self, channel: &str, message: &Message) -> StoreResult<bool> {
        self.inner.update_message(channel, message).await
    }
    async fn delete_message(&self, channel: &str, id: &str) -> StoreResult<bool> {
        self.inner.delete_message(channel, id).await
    }
    async fn replies(&self, channel: &str, parent: &str, limit: u64) -> StoreResult<Vec<Message>> {
        self.inner.replies(channel, parent, limit).await
    }
    async fn search(&self, channel: &str, needle: &str, limit: u64) -> StoreResult<Vec<Message>> {
        self.inner.search(channel, needle, limit).await
    }
    async fn pinned(&self, channel: &str, limit: u64) -> StoreResult<Vec<Message>> {
        self.inner.pinned(channel, limit).await
    }
    async fn mentions_page(
        &self,
        channels: &[String],
        targets: &[String],
        offset: u64,
        limit: u64,
    ) -> StoreResult<(Vec<(String, Message)>, u64)> {
        self.inner.mentions_page(channels, targets, offset, limit).await
    }
}

application::delegate_push_subscriptions!(Watched, inner);
application::delegate_emoji_repository!(Watched, inner);
application::delegate_state!(Watched, inner);
application::delegate_threads!(Watched, inner);

#[async_trait]
impl Store for Watched {
    async fn seed_defaults(&self, roles: &[Role], channels: &[Channel]) -> StoreResult<bool> {
        self.inner.seed_defaults(roles, channels).await
    }
}

#[tokio::test]
async fn a_message_that_cannot_be_stored_is_never_broadcast() {
    let inner: Arc<dyn Store> = seeded_store().await;
    let store = Arc::new(Watched::new(inner, true));
    let app = app(store, Arc::new(MockAuth), Arc::new(NoPlugins), Settings::default());
    let (session, outbox) = logged_in(&app, "alice").await;
    let watcher = Arc::new(Recorder::default());
    let mut other = app.sessions.open(2, watcher.clone());
    app.sessions.login(&mut other, Some("mock:USR:bob:bob")).await;
    let (mine, theirs) = (outbox.frames().len(), watcher.frames().len());
    let outcome = app.messaging.post(&session, new_message("lost?"), &Origin::of(1, None)).await;
    let failure = StoreError::new(StoreErrorKind::Other, "append_message", "disk full");
    assert_eq!(outcome, Err(MessageError::Access(AccessError::Store(failure))), "the sender hears of the failure");
    assert_eq!(outcome.unwrap_err().to_string(), "Internal error", "without the storage details");
    assert_eq!(outbox.frames().len(), mine, "no copy for the sender");
    assert_eq!(watcher.frames().len(), theirs, "nothing for anyone else");
}

#[tokio::test]
async fn a_login_writes_the_user_record_once_even_the_first() {
    let inner: Arc<dyn Store> = seeded_store().await;
    inner.add_pending_change("alice", &application::ports::PendingChange::Grant("moderator".into())).await.unwrap();
    let store = Arc::new(Watched::new(inner.clone(), false));
    let app = app(store.clone(), Arc::new(MockAuth), Arc::new(NoPlugins), Settings::default());
    logged_in(&app, "alice").await;
    assert_eq!(store.user_writes.load(Ordering::SeqCst), 1, "a first login is one write, not an insert then an update");
    let stored = inner.user(&UserId("USR:alice".into())).await.unwrap().expect("stored");
    assert!(stored.roles.iter().any(|r| r == "moderator"), "the pending grant is in that write: {:?}", stored.roles);
    assert!(stored.validator.is_some(), "and the session token");
    assert!(inner.pending_changes("alice").await.unwrap().is_empty(), "pending changes are forgotten once written");
    let mut again = app.sessions.open(2, Arc::new(Recorder::default()));
    app.sessions.login(&mut again, Some("mock:USR:alice:alice")).await;
    assert!(again.user.is_some());
    assert_eq!(store.user_writes.load(Ordering::SeqCst), 2, "a returning login is one update");
}
