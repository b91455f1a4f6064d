//! The Web Push adapter against a push service on loopback: what one delivery sends and
//! how its outcome is told apart (201, 404/410, 403), and that a push service that keeps
//! failing is tried a bounded number of times.

use std::time::Duration;

use application::ports::{Delivery, Notifier, PushMessage, Subscription};
use originchats_tests::push::{Browser, FakePushService, verify_vapid};
use serde_json::json;
use webpush::{VapidKey, WebPush, WebPushSettings};

fn notifier(key: &VapidKey) -> WebPush {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let settings = WebPushSettings {
        subject: "https://chat.example".into(),
        ttl_seconds: 60,
        allow_private_endpoints: true,
        attempts: 3,
        backoff: Duration::from_millis(10),
        ..WebPushSettings::default()
    };
    WebPush::new(Some(key.clone()), settings).unwrap()
}

fn subscription(browser: &Browser, endpoint: String) -> Subscription {
    Subscription { endpoint, p256dh: browser.p256dh(), auth: browser.auth() }
}

fn message() -> PushMessage {
    PushMessage { title: "#general \u{2014} bob".into(), body: "hi".into(), channel: "general".into() }
}

#[tokio::test]
async fn each_answer_of_the_push_service_has_its_outcome() {
    let mut push = FakePushService::start().await;
    let key = VapidKey::generate();
    let web = notifier(&key);
    let browser = Browser::new();
    let delivered = web.deliver(&subscription(&browser, push.endpoint("/a/ok")), &message()).await;
    assert_eq!(delivered, Delivery::Delivered);
    let request = push.next().await;
    assert_eq!(
        browser.decrypt(&request.body),
        json!({"title": "#general \u{2014} bob", "body": "hi", "channelName": "general"})
    );
    assert_eq!(request.header("ttl"), "60");
    let claims = verify_vapid(request.header("authorization"), key.public_b64());
    assert_eq!(
        (claims["aud"].as_str().unwrap(), claims["sub"].as_str().unwrap()),
        (push.origin().as_str(), "https://chat.example")
    );
    for (path, outcome) in
        [("/a/gone", Delivery::Gone), ("/a/missing", Delivery::Gone), ("/a/refuse", Delivery::Failed)]
    {
        assert_eq!(web.deliver(&subscription(&browser, push.endpoint(path)), &message()).await, outcome, "{path}");
        assert_eq!(push.next().await.path, path);
    }
    assert!(push.pending().is_empty(), "none of them was tried again");
}

#[tokio::test]
async fn a_push_service_that_keeps_failing_is_tried_three_times() {
    let mut push = FakePushService::start().await;
    let web = notifier(&VapidKey::generate());
    let browser = Browser::new();
    assert_eq!(web.deliver(&subscription(&browser, push.endpoint("/a/down")), &message()).await, Delivery::Failed);
    assert_eq!(push.pending().len(), 3);
    assert_eq!(web.deliver(&subscription(&browser, push.endpoint("/a/flaky")), &message()).await, Delivery::Delivered);
    assert_eq!(push.pending().len(), 2, "503 once, then accepted");
}

#[tokio::test]
async fn a_subscription_that_cannot_be_used_is_not_sent_to() {
    let mut push = FakePushService::start().await;
    let web = notifier(&VapidKey::generate());
    let bad_key = Subscription { endpoint: push.endpoint("/a/ok"), p256dh: "BAD".into(), auth: Browser::new().auth() };
    assert_eq!(web.deliver(&bad_key, &message()).await, Delivery::Failed);
    let no_key = WebPush::new(None, WebPushSettings::default()).unwrap();
    assert_eq!(no_key.public_key(), None);
    assert_eq!(
        no_key.deliver(&subscription(&Browser::new(), push.endpoint("/a/ok")), &message()).await,
        Delivery::Failed
    );
    assert!(push.pending().is_empty());
}
