//! `messages_around` over a real socket (docs/design/messages.md#around): `below` older
//! messages, the target, `above` newer ones, oldest first, with `range` the 0-based index of
//! the first and one past the last; the same answer from the store and from the hot tail;
//! the newest message is never dropped; errors in the original's order.

use originchats_tests::expect::err;
use originchats_tests::scenes::{cast, contents, post, start, start_with_guests};
use originchats_tests::{Backend, Client, backend_tests};
use serde_json::{Value, json};

fn around(id: &Value, above: Value, below: Value) -> Value {
    json!({"cmd": "messages_around", "channel": "general", "around": id, "bounds": {"above": above, "below": below}})
}

async fn ten(c: &mut Client) -> Vec<Value> {
    let mut ids = vec![];
    for i in 0..10 {
        ids.push(post(c, &format!("m{i}")).await["id"].clone());
    }
    ids
}

fn names(from: usize, to: usize) -> Vec<String> {
    (from..to).map(|i| format!("m{i}")).collect()
}

async fn pages_around_a_message(b: Backend) {
    let s = start(b).await;
    let (_boss, mut alice, mut bob) = cast(&s).await;
    let ids = ten(&mut alice).await;
    bob.sync().await;
    // First from the store (no tail read yet), then, after messages_get read the tail, from it.
    let mut answers = vec![];
    for round in 0..2 {
        let r = bob.request(around(&ids[4], json!(2), json!(3))).await;
        assert_eq!(r["cmd"], "messages_around");
        assert_eq!(r["channel"], "general");
        assert_eq!(contents(&r["messages"]), names(1, 7), "below = older, above = newer (round {round})");
        assert_eq!(r["range"], json!({"start": 1, "end": 7}), "end is exclusive");
        assert_eq!(r.as_object().unwrap().len(), 4, "cmd, channel, messages, range: {r}");
        let target = r["messages"][3].clone();
        let got = bob.request(json!({"cmd": "message_get", "channel": "general", "id": ids[4]})).await;
        let mut expected = got["message"].clone();
        expected.as_object_mut().unwrap().remove("position");
        assert_eq!(target, expected, "messages look as messages_get shows them");
        let default = bob.request(json!({"cmd": "messages_around", "channel": "general", "around": ids[4]})).await;
        assert_eq!(contents(&default["messages"]), names(0, 10), "50 either side by default");
        assert_eq!(default["range"], json!({"start": 0, "end": 10}));
        let newest = bob.request(around(&ids[9], json!(100), json!(2))).await;
        assert_eq!(contents(&newest["messages"]), names(7, 10), "the newest message is kept");
        assert_eq!(newest["range"], json!({"start": 7, "end": 10}));
        let only = bob.request(around(&ids[0], json!(0), json!(0))).await;
        assert_eq!((contents(&only["messages"]), only["range"].clone()), (names(0, 1), json!({"start": 0, "end": 1})));
        let negative = bob.request(around(&ids[5], json!(-4), json!(1))).await;
        assert_eq!(contents(&negative["messages"]), names(4, 6), "a negative bound is zero");
        let huge = bob.request(around(&ids[5], json!(1_000_000), json!(1_000_000))).await;
        assert_eq!(contents(&huge["messages"]), names(0, 10), "bounds are capped, not refused");
        answers.push((r, default, newest));
        let page = bob.request(json!({"cmd": "messages_get", "channel": "general"})).await;
        assert_eq!(page["messages"].as_array().unwrap().len(), 10);
    }
    assert_eq!(answers[0], answers[1], "the store and the hot tail agree");
    // After a deletion the indices close up.
    let del = alice.request(json!({"cmd": "message_delete", "channel": "general", "id": ids[1]})).await;
    assert_eq!(del["cmd"], "message_delete", "{del}");
    bob.sync().await;
    let r = bob.request(around(&ids[4], json!(1), json!(2))).await;
    assert_eq!(contents(&r["messages"]), ["m2", "m3", "m4", "m5"]);
    assert_eq!(r["range"], json!({"start": 1, "end": 5}));
    assert!(alice.sync().await.is_empty() && bob.sync().await.is_empty(), "reads broadcast nothing");
}

async fn errors_in_the_original_order(b: Backend) {
    let s = start_with_guests(b).await;
    let mut boss = s.login("boss").await;
    let mut guest = s.login("guest").await;
    boss.sync().await;
    let id = post(&mut boss, "hello").await["id"].clone();
    let e = |v: &str| err("messages_around", v);
    let req = |v: Value| {
        let mut r = v;
        r["cmd"] = json!("messages_around");
        r
    };
    assert_eq!(boss.request(req(json!({"channel": "general"}))).await, e("around (message ID) is required"));
    assert_eq!(
        boss.request(req(json!({"channel": "general", "around": ""}))).await,
        e("around (message ID) is required")
    );
    assert_eq!(boss.request(req(json!({"around": id}))).await, e("Channel or thread_id required"));
    assert_eq!(boss.request(req(json!({"channel": "nope", "around": id}))).await, e("Channel not found"));
    assert_eq!(boss.request(req(json!({"channel": "general", "around": "nope"}))).await, e("Message not found"));
    for bounds in [json!("x"), json!({"above": "x"}), json!({"below": 1.5}), json!([1])] {
        let r = boss.request(req(json!({"channel": "general", "around": id, "bounds": bounds}))).await;
        assert_eq!(r, e("Bounds must be an object of integers"), "{bounds}");
    }
    let denied = guest.request(req(json!({"channel": "general", "around": id}))).await;
    assert_eq!(denied, e("Access denied to this channel"), "a channel the caller cannot view");
    let denied = guest.request(req(json!({"channel": "general", "around": "nope"}))).await;
    assert_eq!(denied, e("Access denied to this channel"), "no hint whether the message exists");
    let ok = boss.request(req(json!({"channel": "general", "around": id, "bounds": null}))).await;
    assert_eq!(contents(&ok["messages"]), ["hello"]);
}

backend_tests!(pages_around_a_message, errors_in_the_original_order);
