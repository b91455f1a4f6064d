//! Resumable sessions on one node (docs/design/resume.md, docs/protocol.md#26-resuming-a-session):
//! a dropped connection resumes with exactly the packets it missed, once and in order, each
//! with its original `seq`; refusals leave the session resumable; the window and the ring
//! end it; clients that did not opt in see nothing new.

use originchats_tests::expect::{err, settle};
use originchats_tests::push::{Browser, FakePushService};
use originchats_tests::resume::{Resumable, validator};
use originchats_tests::scenes::{post, start_with};
use originchats_tests::{Backend, Client, backend_tests};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// Cuts a connection the way a client does when it goes: a close frame, then waits for
/// the server's answer (so the server has seen the connection end).
async fn hang_up(mut c: Client) {
    let _ = c.try_message(Message::Close(None)).await;
    let _ = c.close_frame().await;
}

fn not_resumable() -> Value {
    err("resume", "Session cannot be resumed")
}

fn cmds(packets: &[Value]) -> Vec<&str> {
    packets.iter().map(|p| p["cmd"].as_str().unwrap_or("?")).collect()
}

async fn a_dropped_session_resumes_with_exactly_what_it_missed(b: Backend) {
    let s = start_with(b, json!({})).await;
    let mut boss = s.login("boss").await;
    let mut bob = s.login("bob").await;
    // dave has alice's rights: what he receives is what alice's session must receive.
    let mut dave = s.login("dave").await;
    let mut alice = Resumable::login(&s, "alice").await;
    settle(&mut [&mut boss, &mut bob, &mut dave]).await;

    let one = post(&mut bob, "one").await;
    assert_eq!(alice.recv().await["message"], one);
    assert_eq!(dave.recv().await["message"], one);
    let seen = alice.last;
    // "two" is sent to alice's connection but never read: the connection drops (a reset).
    post(&mut bob, "two").await;
    let fresh = s.connect().await;
    drop(alice.swap(fresh));

    // Meanwhile: an edit, typing, a reaction, a login, a status, another message.
    bob.request(json!({"cmd": "message_edit", "channel": "general", "id": one["id"], "content": "one!"})).await;
    bob.request(json!({"cmd": "typing", "channel": "general"})).await;
    bob.request(json!({"cmd": "message_react_add", "channel": "general", "id": one["id"], "emoji": "👍"})).await;
    let carol = s.login("carol").await;
    bob.sync().await;
    bob.request(json!({"cmd": "status_set", "status": "dnd", "text": "busy"})).await;
    post(&mut bob, "three").await;
    let missed = dave.sync().await;
    for cmd in ["message_new", "message_edit", "typing", "message_react_add", "user_connect"] {
        assert!(cmds(&missed).contains(&cmd), "the scene sends a {cmd}: {missed:?}");
    }

    let replayed = alice.resume(seen).await;
    assert_eq!(replayed, missed, "exactly the missed packets, once, in order");
    assert_eq!(replayed[0]["message"]["content"], "two", "the packet sent before the drop is replayed");

    // Live from LAST+1 on, nothing repeated.
    let four = post(&mut bob, "four").await;
    assert_eq!(alice.recv().await["message"], four);
    assert_eq!(alice.sync().await, Vec::<Value>::new());
    assert_eq!(dave.recv().await["message"], four);
    // alice never went offline.
    for c in [&mut boss, &mut bob] {
        let seen = c.sync().await;
        assert!(!seen.iter().any(|p| p["username"] == "alice"), "no presence change for alice: {seen:?}");
    }
    drop(carol);
}

async fn the_old_connection_is_closed_when_its_session_resumes_elsewhere(b: Backend) {
    let s = start_with(b, json!({})).await;
    let mut bob = s.login("bob").await;
    let mut alice = Resumable::login(&s, "alice").await;
    bob.sync().await;
    let fresh = s.connect().await;
    let mut old = alice.swap(fresh);
    let from = alice.last;
    assert_eq!(alice.resume(from).await, Vec::<Value>::new(), "nothing was missed");
    assert_eq!(old.close_frame().await, Some((4000, "session resumed elsewhere".to_owned())));
    let m = post(&mut bob, "hello").await;
    assert_eq!(alice.recv().await["message"], m, "numbered from LAST+1");
    assert_eq!(
        alice.client.request(json!({"cmd": "ping"})).await,
        json!({"cmd": "pong", "val": "pong", "seq": alice.last + 1})
    );
    alice.last += 1;
    let seen = bob.sync().await;
    assert!(!seen.iter().any(|p| p["username"] == "alice"), "no presence change: {seen:?}");
}

async fn a_client_that_did_not_opt_in_sees_no_seq_and_no_session_id(b: Backend) {
    let s = start_with(b, json!({})).await;
    let mut bob = s.login("bob").await;
    for opt in [json!(false), json!("yes"), Value::Null] {
        let mut c = s.connect().await;
        let mut auth = json!({"cmd": "auth", "validator": validator("alice")});
        if !opt.is_null() {
            auth["resumable"] = opt;
        }
        assert_eq!(c.request(auth).await["cmd"], "auth_success");
        let ready = c.recv().await;
        assert_eq!(ready["cmd"], "ready");
        assert!(ready.get("session_id").is_none(), "{ready}");
        c.sync().await;
        assert_eq!(c.request(json!({"cmd": "ping"})).await, json!({"cmd": "pong", "val": "pong"}));
        bob.sync().await;
        let m = post(&mut bob, "plain").await;
        assert_eq!(c.recv().await, json!({"cmd": "message_new", "message": m, "channel": "general", "global": true}));
    }
    // The handshake offers it to those who want it.
    let c = s.connect().await;
    assert!(c.handshake["val"]["capabilities"].as_array().unwrap().contains(&json!("resume")));
}

async fn refused_resumes_leave_the_session_as_it_was(b: Backend) {
    let s = start_with(b, json!({})).await;
    let mut bob = s.login("bob").await;
    let mut alice = Resumable::login(&s, "alice").await;
    bob.sync().await;
    let seen = alice.last;
    post(&mut bob, "missed").await;
    let fresh = s.connect().await;
    hang_up(alice.swap(fresh)).await;
    let last = seen + 1;
    let id = alice.session_id.clone();
    let c = &mut alice.client;
    let ask = |session: &str, seq: u64, validator: &str| json!({"cmd": "resume", "session_id": session, "seq": seq, "validator": validator});
    assert_eq!(c.request(ask("no-such-session", seen, &validator("alice"))).await, not_resumable());
    assert_eq!(c.request(ask(&id, last + 1, &validator("alice"))).await, not_resumable(), "seq ahead of LAST");
    assert_eq!(c.request(ask(&id, seen, &validator("mallory"))).await, not_resumable(), "another user's validator");
    assert_eq!(
        c.request(ask(&id, seen, "invalid")).await,
        json!({"cmd": "auth_error", "val": "Invalid authentication"}),
        "a validator Rotur rejects"
    );
    assert_eq!(
        c.request(ask(&id, seen, "status:500")).await,
        json!({"cmd": "auth_error", "val": "Authentication service unavailable"}),
        "Rotur down"
    );
    assert_eq!(
        c.request(json!({"cmd": "resume", "session_id": id, "validator": validator("alice")})).await,
        not_resumable(),
        "no seq"
    );
    // Resuming on an authenticated connection is refused too.
    assert_eq!(
        bob.request(json!({"cmd": "resume", "session_id": id, "seq": seen, "validator": validator("bob")})).await,
        not_resumable()
    );
    // The session is untouched: it resumes on this very connection.
    let replayed = alice.resume(seen).await;
    assert_eq!(cmds(&replayed), ["message_new"]);
    assert_eq!(replayed[0]["message"]["content"], "missed");
    // And a refused connection can still log in normally.
    let mut other = s.connect().await;
    assert_eq!(other.request(ask("gone", 0, &validator("carol"))).await, not_resumable());
    other.auth(&validator("carol")).await;
}

async fn a_seq_no_longer_in_the_ring_is_refused(b: Backend) {
    let s = start_with(b, json!({"resume": {"max_buffered": 3}})).await;
    let mut bob = s.login("bob").await;
    let mut alice = Resumable::login(&s, "alice").await;
    bob.sync().await;
    let start = alice.last;
    for n in 0..4 {
        post(&mut bob, &format!("m{n}")).await;
        alice.recv().await;
    }
    let fresh = s.connect().await;
    hang_up(alice.swap(fresh)).await;
    let request = alice.request(start);
    assert_eq!(alice.client.request(request).await, with_listener(not_resumable()), "start+1 is gone");
    // The last three are still there.
    let replayed = alice.resume(start + 1).await;
    assert_eq!(replayed.len(), 3);
    assert_eq!(replayed[2]["message"]["content"], "m3");
}

fn with_listener(mut v: Value) -> Value {
    v["listener"] = json!("r");
    v
}

async fn the_user_goes_offline_when_the_window_ends(b: Backend) {
    let s = start_with(b, json!({"resume": {"window_seconds": 1}})).await;
    let mut bob = s.login("bob").await;
    let mut alice = Resumable::login(&s, "alice").await;
    bob.sync().await;
    let fresh = s.connect().await;
    hang_up(alice.swap(fresh)).await;
    assert_eq!(bob.expect_cmd("user_disconnect").await, json!({"cmd": "user_disconnect", "username": "alice"}));
    let request = alice.request(alice.last);
    assert_eq!(alice.client.request(request).await, with_listener(not_resumable()));
    // The connection is open for a normal login.
    alice.client.auth(&validator("alice")).await;
    assert_eq!(bob.expect_cmd("user_connect").await["user"]["username"], "alice");
}

async fn a_detached_session_that_overflows_ends_at_once(b: Backend) {
    let s = start_with(b, json!({"resume": {"max_buffered": 5, "window_seconds": 600}})).await;
    let mut bob = s.login("bob").await;
    let mut alice = Resumable::login(&s, "alice").await;
    bob.sync().await;
    let fresh = s.connect().await;
    hang_up(alice.swap(fresh)).await;
    let mut posted = 0;
    let gone = loop {
        assert!(posted < 50, "the session never ended");
        bob.send(json!({"cmd": "message_new", "channel": "general", "content": "flood"})).await;
        posted += 1;
        if bob.sync().await.iter().any(|p| p == &json!({"cmd": "user_disconnect", "username": "alice"})) {
            break posted;
        }
    };
    assert!(gone > 5, "the session ends only past max_buffered packets ({gone})");
    let request = alice.request(alice.last);
    assert_eq!(alice.client.request(request).await, with_listener(not_resumable()));
}

async fn the_oldest_detached_session_ends_first_past_the_byte_budget(b: Backend) {
    let s = start_with(b, json!({"resume": {"max_total_bytes": 6000, "window_seconds": 600}})).await;
    let mut bob = s.login("bob").await;
    let mut alice = Resumable::login(&s, "alice").await;
    let mut carol = Resumable::login(&s, "carol").await;
    bob.sync().await;
    alice.sync().await;
    let fresh = s.connect().await;
    hang_up(alice.swap(fresh)).await;
    let fresh = s.connect().await;
    hang_up(carol.swap(fresh)).await;
    let text = "x".repeat(400);
    let mut posted = 0;
    loop {
        assert!(posted < 50, "the budget was never enforced");
        bob.send(json!({"cmd": "message_new", "channel": "general", "content": text})).await;
        posted += 1;
        let seen = bob.sync().await;
        assert!(!seen.iter().any(|p| p["username"] == "carol"), "carol detached later, she goes second");
        if seen.iter().any(|p| p == &json!({"cmd": "user_disconnect", "username": "alice"})) {
            break;
        }
    }
    let request = alice.request(alice.last);
    assert_eq!(alice.client.request(request).await, with_listener(not_resumable()));
    let from = carol.last;
    let replayed = carol.resume(from).await;
    assert!(cmds(&replayed).contains(&"message_new"), "{replayed:?}");
    let alice_gone = json!({"cmd": "user_disconnect", "username": "alice"});
    assert!(replayed.iter().all(|p| p["cmd"] == "message_new" || p == &alice_gone), "{replayed:?}");
}

async fn a_ban_ends_a_detached_session(b: Backend) {
    let s = start_with(b, json!({})).await;
    let mut boss = s.login("boss").await;
    let mut alice = Resumable::login(&s, "alice").await;
    boss.sync().await;
    let fresh = s.connect().await;
    hang_up(alice.swap(fresh)).await;
    boss.send(json!({"cmd": "user_ban", "user": "alice"})).await;
    assert_eq!(boss.expect_cmd("user_disconnect").await, json!({"cmd": "user_disconnect", "username": "alice"}));
    let request = alice.request(alice.last);
    assert_eq!(alice.client.request(request).await, with_listener(not_resumable()));
}

async fn a_detached_session_counts_as_offline_for_web_push(b: Backend) {
    let mut push = FakePushService::start().await;
    let s =
        start_with(b, json!({"push": {"allow_private_endpoints": true, "subject": "mailto:ops@example.com"}})).await;
    let mut boss = s.login("boss").await;
    let mut alice = Resumable::login(&s, "alice").await;
    let browser = Browser::new();
    let subscribe = json!({"cmd": "push_subscribe", "subscription": browser.subscription(&push.endpoint("/alice")), "vapid_public_key": "x"});
    alice.client.send(subscribe).await;
    assert_eq!(alice.recv().await, json!({"cmd": "push_subscribed", "success": true}));
    boss.sync().await;
    let fresh = s.connect().await;
    hang_up(alice.swap(fresh)).await;
    post(&mut boss, "@alice while detached").await;
    let request = push.next().await;
    assert_eq!(browser.decrypt(&request.body)["body"], "@alice while detached");
    assert!(push.pending().is_empty());
    // Nobody was told she left.
    assert!(!boss.sync().await.iter().any(|p| p["cmd"] == "user_disconnect"));
}

async fn a_bots_commands_and_calls_wait_for_its_resume(b: Backend) {
    let s = start_with(b, json!({})).await;
    let mut alice = s.login("alice").await;
    let mut bot = Resumable::login(&s, "dicebot").await;
    let roll = json!({"name": "roll", "description": "Roll", "options": [], "whitelistRoles": [], "blacklistRoles": [], "ephemeral": false});
    bot.client.send(json!({"cmd": "slash_register", "commands": [roll]})).await;
    assert_eq!(bot.recv().await["cmd"], "slash_add");
    assert_eq!(bot.recv().await["cmd"], "slash_register");
    assert_eq!(alice.expect_cmd("slash_add").await["commands"][0]["name"], "roll");
    let seen = bot.last;
    let fresh = s.connect().await;
    hang_up(bot.swap(fresh)).await;
    // Detached, the bot keeps its command, and a call waits for it.
    let call = json!({"cmd": "slash_call", "channel": "general", "command": "roll", "args": {}});
    assert_eq!(alice.request(call).await, json!({"cmd": "slash_call_sent", "val": "Command /roll invoked"}));
    assert!(!alice.sync().await.iter().any(|p| p["cmd"] == "slash_remove"), "the command stays");
    let replayed = bot.resume(seen).await;
    assert_eq!(cmds(&replayed), ["slash_call"], "{replayed:?}");
    assert_eq!(replayed[0]["invokerUsername"], "alice");
    let answer = json!({"cmd": "slash_response", "response": "4", "invoker": "USR:alice", "channel": "general"});
    bot.client.send(answer).await;
    assert_eq!(bot.recv().await["message"]["content"], "4");
    assert_eq!(alice.expect_cmd("message_new").await["message"]["content"], "4");
}

backend_tests!(
    a_bots_commands_and_calls_wait_for_its_resume,
    a_detached_session_counts_as_offline_for_web_push,
    a_ban_ends_a_detached_session,
    a_dropped_session_resumes_with_exactly_what_it_missed,
    the_old_connection_is_closed_when_its_session_resumes_elsewhere,
    a_client_that_did_not_opt_in_sees_no_seq_and_no_session_id,
    refused_resumes_leave_the_session_as_it_was,
    a_seq_no_longer_in_the_ring_is_refused,
    the_user_goes_offline_when_the_window_ends,
    a_detached_session_that_overflows_ends_at_once,
    the_oldest_detached_session_ends_first_past_the_byte_budget,
);
