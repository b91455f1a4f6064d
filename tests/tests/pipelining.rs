//! Pipelined requests (docs/design/connections.md#pipelining): a client may send requests
//! without waiting for answers; they take effect in the order sent and are answered in that
//! order, while one sender's messages share group commits.

use originchats_tests::scenes::start;
use originchats_tests::{Backend, backend_tests};
use serde_json::{Value, json};

async fn requests_take_effect_and_are_answered_in_the_order_sent(b: Backend) {
    let s = start(b).await;
    let mut alice = s.login("alice").await;
    let mut expected = vec![];
    for i in 0..30 {
        alice.send(json!({"cmd": "message_new", "channel": "general", "content": format!("n{i}"), "listener": format!("n{i}")})).await;
        expected.push(format!("n{i}"));
        if i % 3 == 0 {
            alice.send(json!({"cmd": "ping", "listener": format!("p{i}")})).await;
            expected.push(format!("p{i}"));
        }
        if i % 5 == 0 {
            alice
                .send(json!({"cmd": "messages_get", "channel": "general", "limit": 50, "listener": format!("g{i}")}))
                .await;
            expected.push(format!("g{i}"));
        }
    }
    let mut answered = vec![];
    while answered.len() < expected.len() {
        let v = alice.recv().await;
        let Some(tag) = v["listener"].as_str() else { continue };
        if let Some(i) = tag.strip_prefix('g') {
            // Every message sent before the read is in it, in order.
            let i: usize = i.parse().unwrap();
            let got: Vec<&str> =
                v["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
            let want: Vec<String> = (0..=i).map(|k| format!("n{k}")).collect();
            assert_eq!(got, want, "{tag}");
        }
        if tag.starts_with('n') {
            assert_eq!(v["cmd"], "message_new");
            assert_eq!(v["message"]["content"], tag);
        }
        answered.push(tag.to_owned());
    }
    assert_eq!(answered, expected, "answers come in the order the requests were sent");
    let history = alice.request(json!({"cmd": "messages_get", "channel": "general", "limit": 50})).await;
    let stored: Vec<Value> = history["messages"].as_array().unwrap().iter().map(|m| m["content"].clone()).collect();
    let sent: Vec<Value> = (0..30).map(|i| json!(format!("n{i}"))).collect();
    assert_eq!(stored, sent, "stored in the order sent");
}

async fn a_refused_request_in_the_pipeline_changes_nothing_after_it(b: Backend) {
    let s = start(b).await;
    let mut alice = s.login("alice").await;
    alice.send(json!({"cmd": "message_new", "channel": "general", "content": "one", "listener": "1"})).await;
    alice.send(json!({"cmd": "message_new", "channel": "nowhere", "content": "lost", "listener": "2"})).await;
    alice.send(json!({"cmd": "message_new", "channel": "general", "content": "three", "listener": "3"})).await;
    let mut tags = vec![];
    while tags.len() < 3 {
        let v = alice.recv().await;
        if let Some(tag) = v["listener"].as_str() {
            tags.push((tag.to_owned(), v["cmd"].as_str().unwrap().to_owned()));
        }
    }
    assert_eq!(
        tags,
        [("1".into(), "message_new".into()), ("2".into(), "error".into()), ("3".into(), "message_new".into())]
    );
}

backend_tests!(
    requests_take_effect_and_are_answered_in_the_order_sent,
    a_refused_request_in_the_pipeline_changes_nothing_after_it
);
