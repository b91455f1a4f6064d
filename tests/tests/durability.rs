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

/// An owner request: its reply, with the pushes it caused read and dropped.
async fn act(c: &mut Client, req: serde_json::Value) -> serde_json::Value {
    let reply = c.request(req).await;
    c.sync().await;
    reply
}

async fn acknowledged_changes_survive_sigkill(b: Backend) {
    let mut s = TestServer::start_with(b, json!({"auth": {"owners": ["boss"]}})).await;
    let mut boss = s.login("boss").await;
    let mut alice = s.login("alice").await;
    let _mallory = s.login("mallory").await;
    boss.sync().await;
    alice.sync().await;
    let mut ids = vec![];
    for i in 0..3 {
        let m = alice.request(json!({"cmd": "message_new", "channel": "general", "content": format!("m{i}")})).await;
        ids.push(m["message"]["id"].as_str().unwrap().to_owned());
    }
    let edit = json!({"cmd": "message_edit", "channel": "general", "id": ids[0], "content": "edited"});
    assert_eq!(alice.request(edit).await["cmd"], "message_edit");
    let del = json!({"cmd": "message_delete", "channel": "general", "id": ids[1]});
    assert_eq!(alice.request(del).await["cmd"], "message_delete");
    boss.sync().await;
    let add = act(&mut boss, json!({"cmd": "user_roles_add", "user": "alice", "roles": ["moderator"]})).await;
    assert_eq!(add["added"], true);
    assert_eq!(boss.request(json!({"cmd": "user_ban", "user": "mallory"})).await["banned"], true);
    // The ejection's `user_disconnect` follows the reply; wait for it so it cannot be
    // mistaken for the next reply.
    boss.expect_cmd("user_disconnect").await;
    boss.sync().await;
    let t = act(&mut boss, json!({"cmd": "user_timeout", "user": "alice", "timeout": 600})).await;
    assert_eq!(t["cmd"], "user_timeout");
    let role = act(&mut boss, json!({"cmd": "role_create", "name": "helper", "color": "#123456"})).await;
    assert_eq!(role["created"], true);
    let chan = act(&mut boss, json!({"cmd": "channel_create", "name": "news", "type": "text"})).await;
    assert_eq!(chan["created"], true);

    s.kill();
    s.restart();
    let mut boss = s.login("boss").await;
    let history = boss.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    let contents: Vec<&str> =
        history["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(contents, ["edited", "m2"], "the edit and the delete survived");
    assert_eq!(history["messages"][0]["edited"], true);
    let roles = boss.request(json!({"cmd": "user_roles_get", "user": "alice"})).await;
    assert_eq!(roles["roles"], json!(["moderator", "user"]));
    assert_eq!(boss.request(json!({"cmd": "users_banned_list"})).await["users"], json!(["mallory"]));
    assert_eq!(boss.request(json!({"cmd": "roles_list"})).await["roles"]["helper"], json!({"color": "#123456"}));
    let channels = boss.request(json!({"cmd": "channels_get"})).await;
    assert_eq!(channels["val"][1]["name"], "news");
    let mut alice = s.login("alice").await;
    let blocked = alice.request(json!({"cmd": "message_new", "channel": "general", "content": "x"})).await;
    assert_eq!(blocked["cmd"], "rate_limit", "the timeout survived");
    let mut mallory = s.connect().await;
    let refused = mallory.request(json!({"cmd": "auth", "validator": "good:USR:mallory:mallory"})).await;
    assert_eq!(refused["val"], "Access denied: You are banned from this server");
}

backend_tests!(acknowledged_messages_survive_sigkill_in_order, acknowledged_changes_survive_sigkill);
