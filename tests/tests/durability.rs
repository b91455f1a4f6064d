//! Nothing acknowledged is lost: acknowledged writes survive SIGKILL (issue: crash safety).

use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use originchats_tests::client::TIMEOUT;
use originchats_tests::scenes::{act, start};
use originchats_tests::{Backend, Client, TestServer, backend_tests};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

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

/// The whole history of a channel, oldest first, read in pages of 200.
async fn full_history(c: &mut Client, channel: &str) -> Vec<Value> {
    let mut pages = vec![];
    loop {
        let skip = pages.iter().map(Vec::len).sum::<usize>();
        let page = c.request(json!({"cmd": "messages_get", "channel": channel, "start": skip, "limit": 200})).await;
        let messages = page["messages"].as_array().cloned().unwrap_or_default();
        if messages.is_empty() {
            break;
        }
        pages.push(messages);
    }
    pages.into_iter().rev().flatten().collect()
}

/// Most messages a sender tries to send; it is killed long before.
const PLANNED: usize = 5000;

async fn acknowledged_messages_survive_sigkill_mid_stream(b: Backend) {
    // A queue large enough that no reader is cut off as a slow consumer.
    let mut s = TestServer::start_with(b, json!({"transport": {"outbound_queue": 100_000}})).await;
    let names = ["a", "b", "c"];
    let (acks_tx, mut acks_rx) = tokio::sync::watch::channel(0usize);
    let acks_tx = Arc::new(acks_tx);
    let mut senders = vec![];
    let mut readers = vec![];
    for name in names {
        let (mut sink, mut stream) = s.login(name).await.into_stream().split();
        senders.push(tokio::spawn(async move {
            let mut sent = 0;
            for i in 0..PLANNED {
                let content = format!("{name}-{i}");
                let packet =
                    json!({"cmd": "message_new", "channel": "general", "content": content, "listener": content});
                if sink.send(Message::Text(packet.to_string().into())).await.is_err() {
                    break;
                }
                sent += 1;
            }
            sent
        }));
        let acks_tx = acks_tx.clone();
        let acked = Arc::new(Mutex::new(Vec::<String>::new()));
        let mine = acked.clone();
        readers.push((
            name,
            acked,
            tokio::spawn(async move {
                // Ends when the killed server's socket closes.
                while let Ok(Some(Ok(msg))) = tokio::time::timeout(TIMEOUT, stream.next()).await {
                    let Message::Text(text) = msg else { continue };
                    let v: Value = serde_json::from_str(text.as_str()).unwrap();
                    if v["cmd"] == "message_new" && v.get("listener").is_some() {
                        assert_eq!(v["listener"], v["message"]["content"]);
                        mine.lock().unwrap().push(v["message"]["content"].as_str().unwrap().to_owned());
                        acks_tx.send_modify(|n| *n += 1);
                    }
                }
            }),
        ));
    }
    // Kill while every sender still has most of its messages queued or unsent.
    acks_rx.wait_for(|n| *n >= 90).await.unwrap();
    s.kill();
    let mut sent_total = 0;
    for t in senders {
        sent_total += t.await.unwrap();
    }
    let mut acked = vec![];
    for (name, list, reader) in readers {
        reader.await.unwrap();
        acked.push((name, list.lock().unwrap().clone()));
    }
    let acked_total: usize = acked.iter().map(|(_, l)| l.len()).sum();
    assert!(acked_total < names.len() * PLANNED, "the kill came before the senders were done");
    eprintln!("killed after {acked_total} acknowledgements of {sent_total} sent");

    s.start_again();
    let mut c = s.login("reader").await;
    let stored: Vec<String> =
        full_history(&mut c, "general").await.iter().map(|m| m["content"].as_str().unwrap().to_owned()).collect();
    for (name, list) in acked {
        let sequence = |n: usize| (0..n).map(|i| format!("{name}-{i}")).collect::<Vec<_>>();
        assert_eq!(list, sequence(list.len()), "acks of {name} come in send order");
        let mine: Vec<String> = stored.iter().filter(|m| m.starts_with(&format!("{name}-"))).cloned().collect();
        assert!(mine.len() >= list.len(), "{name}: {} acknowledged but only {} stored", list.len(), mine.len());
        assert_eq!(mine, sequence(mine.len()), "{name}'s stored messages are a prefix of what it sent, in order");
    }
}

async fn acknowledged_changes_survive_sigkill(b: Backend) {
    let mut s = start(b).await;
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
    let add = act(&mut boss, json!({"cmd": "user_roles_add", "user": "alice", "roles": ["moderator"]})).await.0;
    assert_eq!(add["added"], true);
    // The ban's reply comes first; mallory's user_disconnect follows when her connection
    // has been closed, which may be after a ping round trip: wait for both.
    boss.send(json!({"cmd": "user_ban", "user": "mallory"})).await;
    let (mut banned, mut gone) = (None, false);
    while banned.is_none() || !gone {
        let v = boss.recv().await;
        match v["cmd"].as_str() {
            Some("user_ban") => banned = Some(v),
            Some("user_disconnect") if v["username"] == "mallory" => gone = true,
            _ => {}
        }
    }
    assert_eq!(banned.unwrap()["banned"], true);
    boss.sync().await;
    let t = act(&mut boss, json!({"cmd": "user_timeout", "user": "alice", "timeout": 600})).await.0;
    assert_eq!(t["cmd"], "user_timeout");
    let role = act(&mut boss, json!({"cmd": "role_create", "name": "helper", "color": "#123456"})).await.0;
    assert_eq!(role["created"], true);
    let chan = act(&mut boss, json!({"cmd": "channel_create", "name": "news", "type": "text"})).await.0;
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
    let mut helper = boss.request(json!({"cmd": "roles_list"})).await["roles"]["helper"].clone();
    assert!(helper.as_object_mut().unwrap().remove("id").is_some_and(|id| id.is_string()));
    assert_eq!(helper, json!({"color": "#123456", "self_assignable": false, "position": 4, "permissions": []}));
    let channels = boss.request(json!({"cmd": "channels_get"})).await;
    assert_eq!(channels["val"][1]["name"], "news");
    let mut alice = s.login("alice").await;
    let blocked = alice.request(json!({"cmd": "message_new", "channel": "general", "content": "x"})).await;
    assert_eq!(blocked["cmd"], "rate_limit", "the timeout survived");
    let mut mallory = s.connect().await;
    let refused = mallory.request(json!({"cmd": "auth", "validator": "good:USR:mallory:mallory"})).await;
    assert_eq!(refused["val"], "Access denied: You are banned from this server");
}

backend_tests!(
    acknowledged_messages_survive_sigkill_in_order,
    acknowledged_messages_survive_sigkill_mid_stream,
    acknowledged_changes_survive_sigkill,
);
