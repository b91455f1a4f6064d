//! The push use cases against a mocked notifier (mockall): which deliveries a posted
//! message asks for, exactly (one per user and message, the reply first; never the
//! sender, an online, banned or blind user), what happens to a gone subscription, that a
//! stuck push service never holds up posting, and that a subscription reaches the
//! notifier's checks only past the original's.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use application::errors::PushError;
use application::ports::{
    Delivery, MessageRepository, MockNotifier, NoPlugins, Notifier, PushMessage, PushSubscriptionRepository,
    Subscription, SubscriptionProblem, UserRepository,
};
use application::services::{NewMessage, ReplyTarget};
use application::settings::PushSettings;
use application::{App, Origin, Session, Settings};
use async_trait::async_trait;
use domain::{Message, MessageContent, User, UserId};
use memory::MemoryStore;
use originchats_tests::inproc::{Recorder, app_with_notifier, seeded_store};
use rotur::MockAuth;

fn sub(endpoint: &str) -> Subscription {
    Subscription { endpoint: endpoint.into(), p256dh: "P".into(), auth: "A".into() }
}

/// A stored user who never logged in (so is offline), with `roles` and one subscription.
async fn offline_user(store: &MemoryStore, name: &str, roles: &[&str]) -> UserId {
    let id = UserId(format!("USR:{name}"));
    let roles = roles.iter().map(|r| r.to_string()).collect();
    store.insert_user(&User::new(id.clone(), name.into(), roles, vec![])).await.unwrap();
    store.save_subscription(&id, &sub(&format!("https://push.example/{name}")), 10, 1.0).await.unwrap();
    id
}

async fn logged_in(app: &App, conn: u64, name: &str) -> Session {
    let outbox = Arc::new(Recorder::default());
    let mut session = app.sessions.open(conn, outbox.clone());
    app.sessions.login(&mut session, Some(&format!("mock:USR:{name}:{name}"))).await;
    assert!(session.user.is_some(), "login failed: {:?}", outbox.frames());
    session
}

fn message(content: &str, reply_to: ReplyTarget) -> NewMessage {
    let content = MessageContent::parse(content, 2000).unwrap();
    NewMessage { channel: "general".into(), content, reply_to, ping: None }
}

/// A notifier with a key that accepts every subscription.
fn keyed() -> MockNotifier {
    let mut n = MockNotifier::new();
    n.expect_public_key().returning(|| Some("KEY".into()));
    n.expect_check().returning(|_| Ok(()));
    n
}

async fn app_over(store: Arc<MemoryStore>, notifier: impl Notifier + 'static, push: PushSettings) -> App {
    let settings = Settings { push, ..Settings::default() };
    app_with_notifier(store, Arc::new(MockAuth), Arc::new(NoPlugins), Arc::new(notifier), settings)
}

#[tokio::test]
async fn a_reply_that_also_mentions_makes_one_push_titled_as_a_reply() {
    let store = seeded_store().await;
    let alice = offline_user(&store, "alice", &["user"]).await;
    store.append_message("general", &Message::new("q1".into(), alice, "question".into(), 1.0)).await.unwrap();
    let mut notifier = keyed();
    notifier
        .expect_deliver()
        .withf(|s, m| {
            s.endpoint == "https://push.example/alice"
                && *m
                    == PushMessage {
                        title: "#general \u{2014} bob replied".into(),
                        body: "@alice @ALICE look".into(),
                        channel: "general".into(),
                    }
        })
        .times(1)
        .returning(|_, _| Delivery::Delivered);
    let app = app_over(store, notifier, PushSettings::default()).await;
    let bob = logged_in(&app, 1, "bob").await;
    let post = message("@alice @ALICE look", ReplyTarget::Id("q1".into()));
    app.messaging.post(&bob, post, &Origin::of(1, None)).await.unwrap();
    app.push.deliver_queued().await;
}

#[tokio::test]
async fn the_sender_and_online_banned_or_blind_users_get_no_push() {
    let store = seeded_store().await;
    offline_user(&store, "dave", &["banned", "user"]).await;
    offline_user(&store, "erin", &["guest"]).await;
    let mut notifier = keyed();
    notifier.expect_deliver().times(0);
    let app = app_over(store.clone(), notifier, PushSettings::default()).await;
    let carol = logged_in(&app, 1, "carol").await;
    store.save_subscription(&UserId("USR:carol".into()), &sub("https://push.example/carol"), 10, 1.0).await.unwrap();
    let bob = logged_in(&app, 2, "bob").await;
    store.save_subscription(&UserId("USR:bob".into()), &sub("https://push.example/bob"), 10, 1.0).await.unwrap();
    let post = message("@carol @dave @erin @bob @nobody", ReplyTarget::None);
    app.messaging.post(&bob, post, &Origin::of(2, None)).await.unwrap();
    app.push.deliver_queued().await;
    drop(carol);
}

#[tokio::test]
async fn a_gone_subscription_is_forgotten_and_a_failed_one_kept() {
    let store = seeded_store().await;
    let alice = offline_user(&store, "alice", &["user"]).await;
    store.save_subscription(&alice, &sub("https://push.example/failing"), 10, 2.0).await.unwrap();
    let mut notifier = keyed();
    notifier
        .expect_deliver()
        .times(2)
        .returning(|s, _| if s.endpoint.ends_with("/alice") { Delivery::Gone } else { Delivery::Failed });
    let app = app_over(store.clone(), notifier, PushSettings::default()).await;
    let bob = logged_in(&app, 1, "bob").await;
    app.messaging.post(&bob, message("hi @alice", ReplyTarget::None), &Origin::of(1, None)).await.unwrap();
    app.push.deliver_queued().await;
    assert_eq!(store.subscriptions(&alice).await.unwrap(), [sub("https://push.example/failing")]);
}

#[tokio::test]
async fn a_full_queue_drops_later_messages_only() {
    let store = seeded_store().await;
    offline_user(&store, "alice", &["user"]).await;
    let delivered = Arc::new(std::sync::Mutex::new(vec![]));
    let log = delivered.clone();
    let mut notifier = keyed();
    notifier.expect_deliver().returning(move |_, m| {
        log.lock().unwrap().push(m.body.clone());
        Delivery::Delivered
    });
    let app = app_over(store, notifier, PushSettings { queue: 2, ..PushSettings::default() }).await;
    let bob = logged_in(&app, 1, "bob").await;
    for n in 1..=4 {
        app.messaging
            .post(&bob, message(&format!("@alice {n}"), ReplyTarget::None), &Origin::of(1, None))
            .await
            .unwrap();
    }
    app.push.deliver_queued().await;
    let mut bodies = delivered.lock().unwrap().clone();
    bodies.sort();
    assert_eq!(bodies, ["@alice 1", "@alice 2"], "nothing dropped while the queue had room");
}

/// A push service that never answers.
struct Stuck(AtomicUsize);

#[async_trait]
impl Notifier for Stuck {
    fn public_key(&self) -> Option<String> {
        Some("KEY".into())
    }
    async fn check(&self, _: &Subscription) -> Result<(), SubscriptionProblem> {
        Ok(())
    }
    async fn deliver(&self, _: &Subscription, _: &PushMessage) -> Delivery {
        self.0.fetch_add(1, Ordering::SeqCst);
        std::future::pending().await
    }
}

#[tokio::test]
async fn a_stuck_push_service_never_holds_up_posting() {
    let store = seeded_store().await;
    offline_user(&store, "alice", &["user"]).await;
    let settings = PushSettings { queue: 4, max_in_flight: 2, ..PushSettings::default() };
    let stuck = Arc::new(Stuck(AtomicUsize::new(0)));
    let app = Arc::new(app_with_notifier(
        store,
        Arc::new(MockAuth),
        Arc::new(NoPlugins),
        stuck.clone(),
        Settings { push: settings, ..Settings::default() },
    ));
    tokio::spawn(app.push.clone().run());
    let bob = logged_in(&app, 1, "bob").await;
    let origin = Origin::of(1, None);
    for n in 0..50 {
        let post = app.messaging.post(&bob, message(&format!("@alice {n}"), ReplyTarget::None), &origin);
        tokio::time::timeout(std::time::Duration::from_secs(5), post)
            .await
            .expect("posting waited for pushes")
            .unwrap();
    }
    assert!(stuck.0.load(Ordering::SeqCst) <= 2, "at most max_in_flight deliveries at once");
}

#[tokio::test]
async fn subscriptions_reach_the_notifiers_checks_only_past_the_originals() {
    let store = seeded_store().await;
    let mut notifier = MockNotifier::new();
    notifier.expect_public_key().returning(|| Some("KEY".into()));
    notifier
        .expect_check()
        .withf(|s| s.endpoint == "https://10.0.0.1/x")
        .times(1)
        .returning(|_| Err(SubscriptionProblem::EndpointNotPublic));
    let app = app_over(store.clone(), notifier, PushSettings::default()).await;
    let alice = logged_in(&app, 1, "alice").await;
    let missing = app.push.subscribe(&alice, Err(PushError::SubscriptionFieldsMissing)).await;
    assert_eq!(missing, Err(PushError::SubscriptionFieldsMissing));
    let private = app.push.subscribe(&alice, Ok(sub("https://10.0.0.1/x"))).await;
    assert_eq!(private, Err(PushError::EndpointNotPublic));
    let long = app.push.subscribe(&alice, Ok(sub(&format!("https://p/{}", "x".repeat(2048))))).await;
    assert_eq!(long, Err(PushError::EndpointTooLong(2048)), "refused before the notifier is asked");
    assert!(store.subscriptions(&UserId("USR:alice".into())).await.unwrap().is_empty());
}
