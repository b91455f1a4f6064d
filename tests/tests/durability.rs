//! Nothing acknowledged is lost: acknowledged writes survive SIGKILL (issue: crash safety).

use originchats_tests::{Backend, Client, TestServer, backend_tests};
use serde_json::json;

/// Sends `n` messages without waiting, then collects the `n` acknowledgements (the sender's
/// own copies, recognised by their listener) and returns the acknowledged contents in order.
async fn pipelined(c: &mut Client, who: &str, n: usize) -> Vec<String> {
    for i in 0..n {
        let content = format!("{who}-{i}");
        c.send(json!({"cmd": "message_new", "channel": "general", "content": content, "listener": content})).await;
    }
    let mut acked = vec![];
    while acked.len() < n {
        let v = c.recv().await;
        if v["cmd"] == "message_new" && v.get("listener").is_some() {
            assert_eq!(v["listener"], v["message"]["content"]);
            acked.push(v["message"]["content"].as_str().unwrap().to_owned());
        }
    }
    acked
}

async fn acknowledged_messages_survive_sigkill_in_order(b: Backend) {
    let mut s = TestServer::start(b).await;
    let mut clients = vec![];
    for name in ["a", "b", "c"] {
        clients.push((name, s.login(name).await));
    }
    let mut tasks = vec![];
    for (name, mut c) in clients {
        tasks.push(tokio::spawn(async move { (name, pipelined(&mut c, name, 60).await, c) }));
    }
    let mut acked = vec![];
    let mut keep = vec![];
    for t in tasks {
        let (name, list, c) = t.await.unwrap();
        assert_eq!(list, (0..60).map(|i| format!("{name}-{i}")).collect::<Vec<_>>(), "acks come in send order");
        acked.push((name, list));
        keep.push(c);
    }
    s.kill();
    drop(keep);
    s.restart();
    let mut c = s.login("reader").await;
    let history = c.request(json!({"cmd": "messages_get", "channel": "general", "limit": 200})).await;
    let stored: Vec<String> =
        history["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap().to_owned()).collect();
    assert_eq!(stored.len(), 180);
    for (name, list) in acked {
        let mine: Vec<String> = stored.iter().filter(|s| s.starts_with(&format!("{name}-"))).cloned().collect();
        assert_eq!(mine, list, "every acknowledged message of {name} is there, in order");
    }
}

backend_tests!(acknowledged_messages_survive_sigkill_in_order);
