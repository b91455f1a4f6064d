//! Read markers over a real socket (docs/design/unreads.md): `unreads_get`,
//! `unreads_count`, `unreads_ack`, and `unreads_update` to every connection of the reader
//! (the acknowledging one included) and to nobody else; channels the caller cannot view are
//! neither listed nor acknowledged; markers survive a restart; `messages_get` moves none.

use originchats_tests::expect::{err, settle};
use originchats_tests::scenes::{cast, create_channel, post, start};
use originchats_tests::{Backend, backend_tests};
use serde_json::{Value, json};

fn state(last_read: Value, unread: u64, total: u64) -> Value {
    json!({"last_read": last_read, "unread_count": unread, "total_messages": total})
}

fn count(channel: &str, last_read: Value, unread: u64, total: u64) -> Value {
    let mut v = state(last_read, unread, total);
    v["cmd"] = json!("unreads_count");
    v["channel"] = json!(channel);
    v
}

async fn markers_and_updates(b: Backend) {
    let mut s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    let mut alice2 = s.login("alice").await;
    settle(&mut [&mut boss, &mut alice, &mut bob]).await;
    let get = json!({"cmd": "unreads_get"});
    assert_eq!(
        alice.request(get.clone()).await,
        json!({"cmd": "unreads_get", "unreads": {"general": state(Value::Null, 0, 0)}})
    );
    let ids: Vec<Value> = {
        let mut ids = vec![];
        for i in 0..3 {
            ids.push(post(&mut bob, &format!("m{i}")).await["id"].clone());
        }
        ids
    };
    settle(&mut [&mut boss, &mut alice, &mut alice2]).await;
    let c = json!({"cmd": "unreads_count", "channel": "general"});
    assert_eq!(alice.request(c.clone()).await, count("general", Value::Null, 3, 3));
    // A marker on the first message: every alice connection hears it, the sender first the
    // update and then its reply; nobody else hears anything.
    alice.send(json!({"cmd": "unreads_ack", "channel": "general", "message_id": ids[0], "listener": "a1"})).await;
    let update = json!({"cmd": "unreads_update", "channel": "general", "last_read": ids[0]});
    assert_eq!(alice.recv().await, update);
    assert_eq!(
        alice.recv().await,
        json!({"cmd": "unreads_ack", "channel": "general", "last_read": ids[0], "listener": "a1"})
    );
    assert_eq!(alice2.recv().await, update);
    assert_eq!(alice.request(c.clone()).await, count("general", ids[0].clone(), 2, 3));
    assert_eq!(bob.request(c.clone()).await, count("general", Value::Null, 3, 3), "markers are per user");
    for other in [&mut boss, &mut bob, &mut alice2] {
        assert!(other.sync().await.is_empty(), "nobody else heard of alice's marker");
    }
    // Without message_id: the newest message.
    let r = alice.request(json!({"cmd": "unreads_ack", "channel": "general"})).await;
    assert_eq!(r, update_like(&ids[2]));
    assert_eq!(alice.recv().await, json!({"cmd": "unreads_ack", "channel": "general", "last_read": ids[2]}));
    assert_eq!(alice2.recv().await, update_like(&ids[2]));
    assert_eq!(alice.request(get.clone()).await["unreads"]["general"], state(ids[2].clone(), 0, 3));
    // messages_get moves no marker and sends no update (the client acknowledges itself).
    let page = alice.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    assert_eq!(page["cmd"], "messages_get");
    post(&mut bob, "m3").await;
    settle(&mut [&mut alice, &mut alice2]).await;
    alice.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    assert!(alice.sync().await.is_empty() && alice2.sync().await.is_empty());
    assert_eq!(alice.request(c.clone()).await, count("general", ids[2].clone(), 1, 4));
    // A marker on a deleted message counts everything as unread.
    bob.request(json!({"cmd": "message_delete", "channel": "general", "id": ids[2]})).await;
    settle(&mut [&mut alice, &mut alice2, &mut bob, &mut boss]).await;
    assert_eq!(alice.request(c.clone()).await, count("general", ids[2].clone(), 3, 3));
    // A marker survives a restart.
    alice.request(json!({"cmd": "unreads_ack", "channel": "general", "message_id": ids[1]})).await;
    drop((alice, alice2, bob, boss));
    s.restart();
    let mut alice = s.login("alice").await;
    assert_eq!(alice.request(c).await, count("general", ids[1].clone(), 1, 3));
}

fn update_like(id: &Value) -> Value {
    json!({"cmd": "unreads_update", "channel": "general", "last_read": id})
}

async fn only_viewable_text_channels(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    create_channel(&mut boss, &mut [&mut alice, &mut bob], "staff", json!({"view": ["owner"], "send": ["owner"]}))
        .await;
    let v = boss.request(json!({"cmd": "channel_create", "name": "lounge", "type": "voice"})).await;
    assert_eq!(v["created"], true, "{v}");
    settle(&mut [&mut boss, &mut alice, &mut bob]).await;
    let secret = post_in_staff(&mut boss).await;
    let mine = alice.request(json!({"cmd": "unreads_get"})).await;
    assert_eq!(mine["unreads"], json!({"general": state(Value::Null, 0, 0)}), "no staff, no voice channel");
    let theirs = boss.request(json!({"cmd": "unreads_get"})).await;
    assert_eq!(
        theirs["unreads"],
        json!({"general": state(Value::Null, 0, 0), "staff": state(Value::Null, 1, 1)}),
        "the owner sees staff"
    );
    let e = |cmd: &str, v: &str| err(cmd, v);
    let denied = "Access denied to this channel";
    for (req, expected) in [
        (json!({"cmd": "unreads_ack"}), e("unreads_ack", "Channel or thread_id is required")),
        (json!({"cmd": "unreads_ack", "channel": ""}), e("unreads_ack", "Channel or thread_id is required")),
        (json!({"cmd": "unreads_ack", "thread_id": "t1"}), e("unreads_ack", "Thread not found")),
        (json!({"cmd": "unreads_ack", "channel": "nope"}), e("unreads_ack", "Channel not found")),
        (json!({"cmd": "unreads_ack", "channel": "staff"}), e("unreads_ack", denied)),
        (json!({"cmd": "unreads_ack", "channel": "staff", "message_id": secret}), e("unreads_ack", denied)),
        (json!({"cmd": "unreads_ack", "channel": "lounge"}), e("unreads_ack", denied)),
        (
            json!({"cmd": "unreads_ack", "channel": "general", "message_id": 5}),
            e("unreads_ack", "Message ID must be a string"),
        ),
        (json!({"cmd": "unreads_count"}), e("unreads_count", "Channel or thread_id is required")),
        (json!({"cmd": "unreads_count", "thread_id": "t1"}), e("unreads_count", "Thread not found")),
        (json!({"cmd": "unreads_count", "channel": "nope"}), e("unreads_count", denied)),
        (json!({"cmd": "unreads_count", "channel": "staff"}), e("unreads_count", denied)),
    ] {
        assert_eq!(alice.request(req.clone()).await, expected, "{req}");
    }
    assert!(alice.sync().await.is_empty(), "a refused ack sends no update");
    assert_eq!(
        boss.request(json!({"cmd": "unreads_count", "channel": "staff"})).await,
        count("staff", Value::Null, 1, 1),
        "alice's refused ack stored nothing, and boss has no marker either"
    );
    // An empty channel: nothing to mark, no update.
    let r = alice.request(json!({"cmd": "unreads_ack", "channel": "general"})).await;
    assert_eq!(r, json!({"cmd": "unreads_ack", "channel": "general", "last_read": null}));
    assert!(alice.sync().await.is_empty() && bob.sync().await.is_empty() && boss.sync().await.is_empty());
}

async fn post_in_staff(boss: &mut originchats_tests::Client) -> Value {
    originchats_tests::scenes::post_in(boss, "staff", "secret").await["id"].clone()
}

backend_tests!(markers_and_updates, only_viewable_text_channels);
