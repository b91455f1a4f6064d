//! Web Push over a real socket (docs/push.md): the `push_*` commands, and pushes that
//! really arrive at a push service on loopback, where the test decrypts them with the
//! subscription's keys and verifies their VAPID signature against the server's key. Who
//! gets a push (offline users who may view the channel, once per message, the reply title
//! first), the clean-up of gone subscriptions, retries, the endpoint checks, push turned
//! off, and an import of the original's subscriptions and keys into a server imported
//! before.
//!
//! A push that must not be sent is proved absent by a later one: the server works off
//! posted messages in order and starts a message's deliveries before it looks at the next
//! message, so the next request the push service receives is the later push.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::UserId;
use originchats_tests::client::TIMEOUT;
use originchats_tests::expect::err;
use originchats_tests::push::{Browser, FakePushService, PushRequest, verify_vapid};
use originchats_tests::scenes::{create_channel, post, start_with};
use originchats_tests::server::run_to_end;
use originchats_tests::{Backend, Client, TestServer, backend_tests};
use serde_json::{Value, json};

const SUBJECT: &str = "mailto:ops@example.com";

/// Push on, with private endpoints allowed so that the loopback push service may be used.
fn loopback_push() -> Value {
    json!({"push": {"allow_private_endpoints": true, "subject": SUBJECT}})
}

/// The server's VAPID public key, from `push_get_vapid`.
async fn vapid_key(c: &mut Client) -> String {
    let reply = c.request(json!({"cmd": "push_get_vapid"})).await;
    assert_eq!(reply["cmd"], "push_vapid", "{reply}");
    reply["key"].as_str().unwrap().to_owned()
}

/// Subscribes `c` with `browser`'s keys at `endpoint`; returns the reply.
async fn subscribe(c: &mut Client, browser: &Browser, endpoint: &str) -> Value {
    c.request(json!({"cmd": "push_subscribe", "subscription": browser.subscription(endpoint), "vapid_public_key": "x"}))
        .await
}

/// Closes `c` (logged in as `name`) and waits until `watcher` hears that `name` is offline.
async fn go_offline(c: Client, name: &str, watcher: &mut Client) {
    c.close().await;
    loop {
        let v = watcher.expect_cmd("user_disconnect").await;
        if v["username"] == name {
            return;
        }
    }
}

/// `name` logs in, subscribes `browser` at the push service's `path`, and goes offline.
async fn offline_subscriber(s: &TestServer, name: &str, browser: &Browser, endpoint: &str, watcher: &mut Client) {
    let mut c = s.login(name).await;
    assert_eq!(subscribe(&mut c, browser, endpoint).await, json!({"cmd": "push_subscribed", "success": true}));
    go_offline(c, name, watcher).await;
}

/// Posts `content` to `general` with a reply target.
async fn reply(c: &mut Client, to: &Value, content: &str) -> Value {
    let v = c.request(json!({"cmd": "message_new", "channel": "general", "content": content, "reply_to": to})).await;
    assert_eq!(v["cmd"], "message_new", "{v}");
    v["message"].clone()
}

/// The decrypted payload of a push that must have gone to `path`.
fn opened(request: &PushRequest, path: &str, browser: &Browser) -> Value {
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", path));
    browser.decrypt(&request.body)
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

async fn a_mention_reaches_an_offline_subscriber_encrypted_and_signed(b: Backend) {
    let mut push = FakePushService::start().await;
    let s = start_with(b, loopback_push()).await;
    let mut boss = s.login("boss").await;
    let mut alice = s.login("alice").await;
    let key = vapid_key(&mut alice).await;
    let point = URL_SAFE_NO_PAD.decode(&key).unwrap();
    assert_eq!((key.len(), point.len(), point[0]), (87, 65, 0x04), "an uncompressed P-256 point, base64url");
    let config: Value =
        serde_json::from_slice(&std::fs::read(s.path().join("vapid/vapid_config.json")).unwrap()).unwrap();
    assert_eq!(config["public_key_b64"], key.as_str(), "kept in the original's layout");
    let pem = std::fs::read_to_string(s.path().join("vapid/private_key.pem")).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{pem}");

    let browser = Browser::new();
    let endpoint = push.endpoint("/alice/1");
    assert_eq!(subscribe(&mut alice, &browser, &endpoint).await, json!({"cmd": "push_subscribed", "success": true}));
    go_offline(alice, "alice", &mut boss).await;

    let text = format!("hey @alice, {}", "é🎉".repeat(80));
    post(&mut boss, &text).await;
    let request = push.next().await;
    let payload = opened(&request, "/alice/1", &browser);
    let body: String = text.chars().take(120).collect();
    assert_eq!(payload, json!({"title": "#general \u{2014} boss", "body": body, "channelName": "general"}));
    assert_eq!(request.header("ttl"), "86400");
    assert_eq!(request.header("urgency"), "normal");
    assert_eq!(request.header("content-encoding"), "aes128gcm");
    assert_eq!(request.header("content-type"), "application/octet-stream");
    let claims = verify_vapid(request.header("authorization"), &key);
    assert_eq!(claims["aud"], push.origin().as_str(), "the endpoint's origin, port included");
    assert_eq!(claims["sub"], SUBJECT);
    let exp = claims["exp"].as_u64().unwrap();
    assert!(exp > now() && exp <= now() + 24 * 3600, "exp {exp} within 24 h");
}

async fn only_offline_users_who_may_view_the_channel_get_pushes(b: Backend) {
    let mut push = FakePushService::start().await;
    let s = start_with(b, loopback_push()).await;
    let mut boss = s.login("boss").await;
    let (alice_keys, bob_keys) = (Browser::new(), Browser::new());
    offline_subscriber(&s, "alice", &alice_keys, &push.endpoint("/alice"), &mut boss).await;
    let mut bob = s.login("bob").await;
    assert_eq!(subscribe(&mut bob, &bob_keys, &push.endpoint("/bob")).await["success"], true);
    boss.sync().await;
    create_channel(&mut boss, &mut [&mut bob], "owners", json!({"view": ["owner"], "send": ["owner"]})).await;

    let m = boss.request(json!({"cmd": "message_new", "channel": "owners", "content": "@alice @bob secret"})).await;
    assert_eq!(m["cmd"], "message_new", "{m}");
    post(&mut boss, "@bob you are online").await;
    post(&mut boss, "@alice in general").await;
    let request = push.next().await;
    let payload = opened(&request, "/alice", &alice_keys);
    assert_eq!(payload["body"], "@alice in general", "nothing came for the channel alice cannot view, nor for bob");
    assert!(push.pending().is_empty());

    go_offline(bob, "bob", &mut boss).await;
    post(&mut boss, "@bob now you are gone").await;
    let request = push.next().await;
    assert_eq!(opened(&request, "/bob", &bob_keys)["body"], "@bob now you are gone");
}

async fn a_reply_push_wins_over_a_mention_and_silent_replies_send_none(b: Backend) {
    let mut push = FakePushService::start().await;
    let s = start_with(b, loopback_push()).await;
    let mut bob = s.login("bob").await;
    let mut alice = s.login("alice").await;
    let question = post(&mut alice, "a question").await;
    let browser = Browser::new();
    assert_eq!(subscribe(&mut alice, &browser, &push.endpoint("/alice")).await["success"], true);
    go_offline(alice, "alice", &mut bob).await;

    reply(&mut bob, &question["id"], "@alice look at this").await;
    let first = opened(&push.next().await, "/alice", &browser);
    assert_eq!(
        first,
        json!({"title": "#general \u{2014} bob replied", "body": "@alice look at this", "channelName": "general"})
    );
    let silent = json!({"cmd": "message_new", "channel": "general", "content": "quietly", "reply_to": question["id"], "ping": false});
    assert_eq!(bob.request(silent).await["cmd"], "message_new");
    reply(&mut bob, &question["id"], "@bob myself").await;
    post(&mut bob, "@alice again").await;
    // Deliveries run side by side (as push services deliver them), so the two pushes may
    // arrive in either order; the silent reply must have sent none.
    let mut later =
        vec![opened(&push.next().await, "/alice", &browser), opened(&push.next().await, "/alice", &browser)];
    later.sort_by_key(|p| p["body"].as_str().unwrap_or_default().to_owned());
    assert_eq!(
        later,
        [
            json!({"title": "#general \u{2014} bob", "body": "@alice again", "channelName": "general"}),
            json!({"title": "#general \u{2014} bob replied", "body": "@bob myself", "channelName": "general"}),
        ],
        "the silent reply sent nothing; the later reply pings as a reply"
    );
    assert!(push.pending().is_empty(), "one push per message: {:?}", push.pending());
}

/// Waits until the subscriptions of `user` stored in the server's database are
/// `expected` (the clean-up runs after the push service's answer).
async fn stored_endpoints_become(s: &TestServer, user: &str, expected: &[String]) {
    use application::ports::PushSubscriptionRepository;
    let url = sql::StorageUrl::parse(s.storage_url(), s.path()).unwrap();
    let store = sql::SqlStore::new(sql::connect(&url).await.unwrap());
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let stored = store.subscriptions(&UserId(format!("USR:{user}"))).await.unwrap();
        let endpoints: Vec<String> = stored.into_iter().map(|s| s.endpoint).collect();
        if endpoints == expected {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "stored endpoints stay {endpoints:?}, not {expected:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn gone_subscriptions_are_removed_and_failures_retried(b: Backend) {
    let mut push = FakePushService::start().await;
    let s = start_with(b, loopback_push()).await;
    let mut boss = s.login("boss").await;
    let browser = Browser::new();
    let mut alice = s.login("alice").await;
    let paths = ["/alice/gone", "/alice/missing", "/alice/refuse", "/alice/flaky"];
    for path in paths {
        assert_eq!(subscribe(&mut alice, &browser, &push.endpoint(path)).await["success"], true);
    }
    go_offline(alice, "alice", &mut boss).await;

    post(&mut boss, "@alice one").await;
    let mut seen: Vec<String> = vec![];
    for _ in 0..5 {
        let request = push.next().await;
        assert_eq!(opened(&request, &request.path, &browser)["body"], "@alice one");
        seen.push(request.path);
    }
    seen.sort();
    assert_eq!(seen, ["/alice/flaky", "/alice/flaky", "/alice/gone", "/alice/missing", "/alice/refuse"], "503 retried");
    let kept = [push.endpoint("/alice/refuse"), push.endpoint("/alice/flaky")];
    stored_endpoints_become(&s, "alice", &kept).await;

    post(&mut boss, "@alice two").await;
    let mut second: Vec<String> = vec![push.next().await.path, push.next().await.path];
    second.sort();
    assert_eq!(second, ["/alice/flaky", "/alice/refuse"], "404 and 410 removed the subscription, 403 did not");
}

async fn push_subscribe_checks_in_the_original_order_then_its_own(b: Backend) {
    let mut push = FakePushService::start().await;
    let s = start_with(b, loopback_push()).await;
    let mut boss = s.login("boss").await;
    let mut alice = s.login("alice").await;
    let browser = Browser::new();
    let endpoint = push.endpoint("/alice");
    let (p256dh, auth) = (browser.p256dh(), browser.auth());
    let e = |v: &str| err("push_subscribe", v);
    let fields = "subscription must include endpoint, keys.p256dh and keys.auth";
    let long = format!("{endpoint}/{}", "x".repeat(2048));
    let compressed = {
        let mut point = URL_SAFE_NO_PAD.decode(&p256dh).unwrap();
        point.truncate(33);
        point[0] = 0x02;
        URL_SAFE_NO_PAD.encode(point)
    };
    let cases = [
        (json!(null), e("Missing subscription object")),
        (json!("https://x"), e("Missing subscription object")),
        (json!({}), e("Missing subscription object")),
        (json!({"endpoint": endpoint}), e(fields)),
        (json!({"endpoint": "", "keys": {"p256dh": p256dh, "auth": auth}}), e(fields)),
        (json!({"endpoint": "ftp://x", "keys": {"p256dh": p256dh, "auth": ""}}), e(fields)),
        (json!({"endpoint": "ftp://x", "keys": "p256dh auth"}), e(fields)),
        (json!({"endpoint": 5, "keys": {"p256dh": p256dh, "auth": auth}}), e("Push endpoint must be an https:// URL")),
        (
            json!({"endpoint": "ftp://x/y", "keys": {"p256dh": "bad", "auth": "bad"}}),
            e("Push endpoint must be an https:// URL"),
        ),
        (
            json!({"endpoint": long, "keys": {"p256dh": p256dh, "auth": auth}}),
            e("Push endpoint is too long (at most 2048 bytes)"),
        ),
        (
            json!({"endpoint": endpoint, "keys": {"p256dh": "BNcRdreALRFXTkOOUHK", "auth": auth}}),
            e("keys.p256dh must be a P-256 public key: 65 bytes starting with 0x04, base64url-encoded"),
        ),
        (
            json!({"endpoint": endpoint, "keys": {"p256dh": compressed, "auth": auth}}),
            e("keys.p256dh must be a P-256 public key: 65 bytes starting with 0x04, base64url-encoded"),
        ),
        (
            json!({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": "c2hvcnQ"}}),
            e("keys.auth must be a 16-byte secret, base64url-encoded"),
        ),
    ];
    for (subscription, expected) in cases {
        let mut request = json!({"cmd": "push_subscribe", "listener": "l"});
        if !subscription.is_null() {
            request["subscription"] = subscription.clone();
        }
        let mut expected = expected;
        expected["listener"] = json!("l");
        assert_eq!(alice.request(request).await, expected, "subscription {subscription}");
    }
    let u = |v: &str| err("push_unsubscribe", v);
    assert_eq!(alice.request(json!({"cmd": "push_unsubscribe"})).await, u("Missing endpoint"));
    assert_eq!(alice.request(json!({"cmd": "push_unsubscribe", "endpoint": ""})).await, u("Missing endpoint"));
    let done = json!({"cmd": "push_unsubscribed", "success": true});
    assert_eq!(alice.request(json!({"cmd": "push_unsubscribe", "endpoint": endpoint})).await, done, "nothing matched");

    // Nothing refused was stored: the first push goes to the subscription made now.
    let kept = Browser::new();
    assert_eq!(subscribe(&mut alice, &kept, &push.endpoint("/alice/kept")).await["success"], true);
    let mut bob = s.login("bob").await;
    let endpoint_of_alice = push.endpoint("/alice/kept");
    assert_eq!(bob.request(json!({"cmd": "push_unsubscribe", "endpoint": endpoint_of_alice})).await, done);
    go_offline(alice, "alice", &mut boss).await;
    post(&mut boss, "@alice still subscribed").await;
    let request = push.next().await;
    assert_eq!(
        opened(&request, "/alice/kept", &kept)["body"],
        "@alice still subscribed",
        "bob removed nothing of alice's"
    );

    let mut alice = s.login("alice").await;
    assert_eq!(alice.request(json!({"cmd": "push_unsubscribe", "endpoint": endpoint_of_alice})).await, done);
    go_offline(alice, "alice", &mut boss).await;
    post(&mut boss, "@alice unsubscribed").await;
    let again = Browser::new();
    offline_subscriber(&s, "alice", &again, &push.endpoint("/alice/again"), &mut boss).await;
    post(&mut boss, "@alice subscribed again").await;
    // Pushes are worked out after the message is acknowledged, so the push of "@alice
    // unsubscribed" may find the new subscription; it must never find /alice/kept.
    loop {
        let body = opened(&push.next().await, "/alice/again", &again)["body"].clone();
        if body == "@alice subscribed again" {
            break;
        }
        assert_eq!(body, "@alice unsubscribed", "nothing went to /alice/kept");
    }
}

async fn endpoints_must_be_public_https(b: Backend) {
    let s = start_with(b, json!({"push": {"timeout_seconds": 3}})).await;
    let mut alice = s.login("alice").await;
    let browser = Browser::new();
    let e = |v: &str| err("push_subscribe", v);
    let not_public = e("Push endpoint must be a public address, not a private, loopback or link-local one");
    for (endpoint, expected) in [
        ("http://push.example/x", e("Push endpoint must be an https:// URL")),
        ("http://127.0.0.1:9/x", e("Push endpoint must be an https:// URL")),
        ("https://127.0.0.1/x", not_public.clone()),
        ("https://10.0.0.7/x", not_public.clone()),
        ("https://[::1]/x", not_public.clone()),
        ("https://169.254.169.254/latest/meta-data", not_public.clone()),
        ("https://[::ffff:192.168.1.1]/x", not_public.clone()),
        ("https://localhost/x", not_public.clone()),
        ("https://no-such-host.invalid/x", e("Push endpoint host could not be resolved")),
    ] {
        assert_eq!(subscribe(&mut alice, &browser, endpoint).await, expected, "{endpoint}");
    }
}

async fn push_off_answers_that_no_keys_are_configured(b: Backend) {
    let s = start_with(b, json!({"push": {"enabled": false, "allow_private_endpoints": true}})).await;
    let mut alice = s.login("alice").await;
    let caps = alice.handshake["val"]["capabilities"].as_array().unwrap().clone();
    assert!(!caps.iter().any(|c| c.as_str().unwrap().starts_with("push_")), "not advertised: {caps:?}");
    assert!(caps.contains(&json!("message_new")));
    let missing = |src: &str| err(src, "VAPID keys not configured on this server");
    assert_eq!(alice.request(json!({"cmd": "push_get_vapid"})).await, missing("push_get_vapid"));
    let browser = Browser::new();
    assert_eq!(subscribe(&mut alice, &browser, "http://127.0.0.1:9/x").await, missing("push_subscribe"));
    assert_eq!(
        alice.request(json!({"cmd": "push_subscribe"})).await,
        err("push_subscribe", "Missing subscription object"),
        "the original's checks come first"
    );
    let done = json!({"cmd": "push_unsubscribed", "success": true});
    assert_eq!(alice.request(json!({"cmd": "push_unsubscribe", "endpoint": "http://127.0.0.1:9/x"})).await, done);
    assert!(!s.path().join("vapid").exists(), "no keys generated");
}

/// An original server's folder with users, the default channel and a VAPID key pair
/// (as py_vapid writes it); returns the public key.
fn write_original(root: &std::path::Path) -> String {
    use p256::pkcs8::{EncodePrivateKey, LineEnding};
    let db = root.join("db");
    std::fs::create_dir_all(&db).unwrap();
    std::fs::create_dir_all(root.join("vapid")).unwrap();
    let users = json!({"USR:alice": {"roles": ["user"], "username": "alice"}, "USR:bob": {"roles": ["user"], "username": "bob"}});
    std::fs::write(db.join("users.json"), users.to_string()).unwrap();
    let secret = p256::SecretKey::from_slice(&[0x42; 32]).unwrap();
    let pem = secret.to_pkcs8_pem(LineEnding::LF).unwrap();
    std::fs::write(root.join("vapid/private_key.pem"), pem.as_bytes()).unwrap();
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    let public = URL_SAFE_NO_PAD.encode(secret.public_key().to_encoded_point(false).as_bytes());
    let config = json!({"public_key_b64": public, "claims_email": "mailto:original@example.com"});
    std::fs::write(root.join("vapid/vapid_config.json"), config.to_string()).unwrap();
    public
}

/// Runs `originchats import --from <from>` plus `extra` on the server's config.
async fn import(s: &TestServer, from: &std::path::Path, extra: &[&str]) -> String {
    let (dir, from) = (s.path().to_path_buf(), from.to_str().unwrap().to_owned());
    let extra: Vec<String> = extra.iter().map(|a| a.to_string()).collect();
    let (ok, out, errs) = tokio::task::spawn_blocking(move || {
        let mut args = vec!["import", "--from", from.as_str()];
        args.extend(extra.iter().map(String::as_str));
        run_to_end(&dir, &args)
    })
    .await
    .unwrap();
    assert!(ok, "import failed:\n{out}{errs}");
    format!("{out}{errs}")
}

async fn the_originals_keys_and_subscriptions_keep_working_after_import(b: Backend) {
    let mut push = FakePushService::start().await;
    let src = tempfile::tempdir().unwrap();
    let original_key = write_original(src.path());
    let mut s = TestServer::start_with(b, json!({"push": {"allow_private_endpoints": true}})).await;
    s.kill();
    let out = import(&s, src.path(), &[]).await;
    assert!(out.contains("VAPID key files     2"), "{out}");
    s.start_again();
    let mut alice = s.login("alice").await;
    assert_eq!(vapid_key(&mut alice).await, original_key, "the original's key replaced the one never used");
    alice.close().await;

    // Later the original's subscriptions are added to the server imported before.
    s.kill();
    let browser = Browser::new();
    let subscriptions = json!({"alice": [{"endpoint": push.endpoint("/imported"), "p256dh": browser.p256dh(), "auth": browser.auth()}],
                               "nobody": [{"endpoint": push.endpoint("/x"), "p256dh": "K", "auth": "A"}]});
    std::fs::write(src.path().join("db/push_subscriptions.json"), subscriptions.to_string()).unwrap();
    let out = import(&s, src.path(), &["--only", "push"]).await;
    for expected in ["push subscriptions  1 (1 without a matching user, skipped)", "VAPID key files     2"] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    assert!(!out.contains("users "), "nothing but push is imported:\n{out}");
    assert!(import(&s, src.path(), &["--only", "push"]).await.contains("already imported"));
    s.start_again();
    let mut bob = s.login("bob").await;
    post(&mut bob, "@alice welcome back").await;
    let request = push.next().await;
    assert_eq!(opened(&request, "/imported", &browser)["body"], "@alice welcome back");
    let claims = verify_vapid(request.header("authorization"), &original_key);
    assert_eq!(claims["sub"], "mailto:original@example.com", "the subject of the original's vapid_config.json");
}

backend_tests!(
    a_mention_reaches_an_offline_subscriber_encrypted_and_signed,
    only_offline_users_who_may_view_the_channel_get_pushes,
    a_reply_push_wins_over_a_mention_and_silent_replies_send_none,
    gone_subscriptions_are_removed_and_failures_retried,
    push_subscribe_checks_in_the_original_order_then_its_own,
    endpoints_must_be_public_https,
    push_off_answers_that_no_keys_are_configured,
    the_originals_keys_and_subscriptions_keep_working_after_import,
);
