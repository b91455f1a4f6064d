//! Typing indicators over a real socket (docs/design/channels.md#channel-names `typing`, docs/design/rate-limits.md): the
//! broadcast to viewers and the sender, the error texts, typing's own rate-limit bucket, and
//! silence where one may view but not send.

use originchats_tests::expect::err;
use originchats_tests::scenes::{cast, create_channel, post, start, start_with_guests};
use originchats_tests::{Backend, TestServer, backend_tests};
use serde_json::json;

async fn typing_reaches_viewers_and_the_sender(b: Backend) {
    let s = start_with_guests(b).await;
    let mut boss = s.login("boss").await;
    let mut guest = s.login("guest").await;
    boss.sync().await;
    let own = boss.request(json!({"cmd": "typing", "channel": "general", "listener": "t"})).await;
    assert_eq!(own, json!({"cmd": "typing", "user": "boss", "channel": "general", "global": true, "listener": "t"}));
    assert!(guest.sync().await.is_empty(), "no typing for someone who cannot view");
    assert_eq!(
        guest.request(json!({"cmd": "typing", "channel": "general"})).await,
        err("typing", "Access denied to this channel")
    );
    assert_eq!(boss.request(json!({"cmd": "typing"})).await, err("typing", "Channel name not provided"));
    assert_eq!(
        boss.request(json!({"cmd": "typing", "channel": "nope"})).await,
        err("typing", "Access denied to this channel")
    );
}

async fn typing_has_its_own_rate_limit_bucket(b: Backend) {
    let limits = json!({"rate_limiting": {"enabled": true, "messages_per_minute": 60, "burst_limit": 2, "cooldown_seconds": 30}});
    let s = TestServer::start_with(b, limits).await;
    let mut c = s.login("alice").await;
    for _ in 0..2 {
        assert_eq!(c.request(json!({"cmd": "typing", "channel": "general"})).await["cmd"], "typing");
    }
    let limited = c.request(json!({"cmd": "typing", "channel": "general", "listener": "l"})).await;
    assert_eq!(limited["cmd"], "rate_limit");
    assert_eq!(limited["reason"], "Burst limit exceeded. You're in cooldown for 30 seconds");
    assert_eq!(limited["length"], 30000);
    assert_eq!(limited["wait_time"], 30000);
    assert_eq!(limited["listener"], "l");
    assert_eq!(
        post(&mut c, "still allowed").await["content"],
        "still allowed",
        "typing did not use the message budget"
    );
}

async fn typing_where_one_may_view_but_not_send_is_dropped(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    create_channel(&mut boss, &mut [&mut alice, &mut bob], "news", json!({"view": ["user"], "send": ["admin"]})).await;
    alice.send(json!({"cmd": "typing", "channel": "news", "listener": "t"})).await;
    assert!(alice.sync().await.is_empty(), "no reply, no error, no own copy");
    assert!(bob.sync().await.is_empty(), "no typing broadcast to viewers");
    assert!(boss.sync().await.is_empty(), "no typing broadcast to the owner");
    // Where alice may send, typing is broadcast (so the silence above is the rule at work).
    let own = alice.request(json!({"cmd": "typing", "channel": "general"})).await;
    assert_eq!(own, json!({"cmd": "typing", "user": "alice", "channel": "general", "global": true}));
    assert_eq!(bob.recv().await, own);
}

backend_tests!(
    typing_reaches_viewers_and_the_sender,
    typing_has_its_own_rate_limit_bucket,
    typing_where_one_may_view_but_not_send_is_dropped,
);
