//! Resumable sessions across the nodes of a cluster (docs/design/resume.md#across-nodes):
//! a session dropped on one node resumes on another with exactly the packets it missed, once
//! and in order, then on the same node again; refusals leave it resumable; a session whose
//! node died cannot be resumed. PostgreSQL and NATS as for tests/tests/cluster.rs.

use originchats_tests::client::through_marker;
use originchats_tests::cluster::TestCluster;
use originchats_tests::expect::err;
use originchats_tests::resume::{Resumable, validator};
use originchats_tests::{Client, cluster_tests};
use serde_json::{Value, json};

async fn post(c: &mut Client, content: &str) {
    c.send(json!({"cmd": "message_new", "channel": "general", "content": content})).await;
}

fn not_resumable() -> Value {
    err("resume", "Session cannot be resumed")
}

async fn a_session_resumes_on_another_node_with_exactly_what_it_missed() {
    let Some(cl) = TestCluster::start(3).await else { return };
    let mut boss = cl.login(0, "boss").await;
    let mut bob = cl.login(1, "bob").await;
    // dave, on the session's node, has alice's rights: he receives what her session must.
    let mut dave = cl.login(0, "dave").await;
    let mut alice = Resumable::login(&cl.nodes[0], "alice").await;
    // Everyone past every login: a marker from each node.
    for (i, marker) in ["ready0", "ready1"].into_iter().enumerate() {
        post(if i == 0 { &mut boss } else { &mut bob }, marker).await;
        for c in [&mut boss, &mut bob, &mut dave] {
            through_marker(c, marker).await;
        }
        through_marker(&mut alice, marker).await;
    }

    post(&mut bob, "one").await;
    let one = through_marker(&mut dave, "one").await;
    let seen_one = through_marker(&mut alice, "one").await.pop().unwrap();
    assert_eq!(seen_one, *one.last().unwrap());
    let id = seen_one["message"]["id"].clone();
    let seen = alice.last;
    // "two" reaches alice's connection but is never read: the connection drops.
    post(&mut bob, "two").await;
    let fresh = cl.nodes[1].connect().await;
    drop(alice.swap(fresh));
    bob.send(json!({"cmd": "message_edit", "channel": "general", "id": id, "content": "one!"})).await;
    bob.send(json!({"cmd": "typing", "channel": "general"})).await;
    bob.send(json!({"cmd": "message_react_add", "channel": "general", "id": id, "emoji": "👍"})).await;
    let carol = cl.login(2, "carol").await;
    post(&mut bob, "three").await;
    // Once dave has "three", so has the node that holds alice's session.
    let missed = through_marker(&mut dave, "three").await;
    let cmds: Vec<&str> = missed.iter().map(|p| p["cmd"].as_str().unwrap()).collect();
    for cmd in ["message_new", "message_edit", "typing", "message_react_add", "user_connect"] {
        assert!(cmds.contains(&cmd), "the scene sends a {cmd}: {missed:?}");
    }

    // Refusals on another node leave the session as it was.
    let mallory =
        json!({"cmd": "resume", "session_id": alice.session_id, "seq": seen, "validator": validator("mallory")});
    assert_eq!(alice.client.request(mallory).await, not_resumable(), "another user's validator");
    let ahead =
        json!({"cmd": "resume", "session_id": alice.session_id, "seq": seen + 100, "validator": alice.validator});
    assert_eq!(alice.client.request(ahead).await, not_resumable(), "seq ahead of LAST");

    let replayed = alice.resume(seen).await;
    assert_eq!(replayed, missed, "exactly the missed packets, once, in order, on another node");
    assert!(replayed.iter().any(|p| p["message"]["content"] == "two"), "the packet sent before the drop: {replayed:?}");

    // Live from LAST+1 on the new node.
    post(&mut bob, "four").await;
    let four = through_marker(&mut dave, "four").await;
    assert_eq!(through_marker(&mut alice, "four").await, [four.last().unwrap().clone()]);
    // Nobody was told alice left or came back: the old node handed her over quietly.
    post(&mut dave, "end").await;
    for c in [&mut boss, &mut bob] {
        let seen = through_marker(c, "end").await;
        assert!(!seen.iter().any(|p| p["username"] == "alice"), "no presence change for alice: {seen:?}");
    }
    through_marker(&mut dave, "end").await;
    through_marker(&mut alice, "end").await;

    // Dropped again, resumed on the same node (node 1, which holds it now).
    let seen = alice.last;
    post(&mut bob, "five").await;
    through_marker(&mut dave, "five").await;
    let fresh = cl.nodes[1].connect().await;
    drop(alice.swap(fresh));
    post(&mut dave, "six").await;
    let missed = through_marker(&mut bob, "six").await;
    let replayed = alice.resume(seen).await;
    let contents: Vec<&str> = replayed.iter().filter_map(|p| p["message"]["content"].as_str()).collect();
    assert_eq!(contents, ["five", "six"], "{replayed:?} / bob saw {missed:?}");
    drop(carol);
}

async fn a_session_whose_node_died_cannot_be_resumed() {
    let Some(mut cl) = TestCluster::start(2).await else { return };
    let mut bob = cl.login(0, "bob").await;
    let mut alice = Resumable::login(&cl.nodes[1], "alice").await;
    assert_eq!(bob.expect_cmd("user_connect").await["user"]["username"], "alice");
    let fresh = cl.nodes[0].connect().await;
    drop(alice.swap(fresh));
    cl.nodes[1].kill();
    let request = alice.request(alice.last);
    assert_eq!(
        alice.client.request(request).await,
        json!({"cmd": "error", "src": "resume", "val": "Session cannot be resumed", "listener": "r"})
    );
    // The user's presence follows the rule for a dead node; the connection may log in.
    let killed = std::time::Instant::now();
    loop {
        assert!(killed.elapsed() < std::time::Duration::from_secs(40), "alice never went offline");
        // Waits a little at a time: the announcement may take longer than one packet wait.
        if let Ok(v) = tokio::time::timeout(std::time::Duration::from_secs(5), bob.recv()).await
            && v["cmd"] == "user_disconnect"
        {
            assert_eq!(v["username"], "alice");
            break;
        }
    }
    alice.client.auth(&validator("alice")).await;
}

cluster_tests!(
    a_session_resumes_on_another_node_with_exactly_what_it_missed,
    a_session_whose_node_died_cannot_be_resumed
);
