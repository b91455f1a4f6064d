//! Posting and history over a real socket (docs/design/channels.md#channel-names): `message_new` (what reaches whom:
//! the sender's listener, viewers only; validation in the original order; replies with
//! their author, `ping` and same-channel rule; the `pings` object of a mention) and
//! `messages_get` (paging by offset or by message id, wrongly typed `start` / `limit`, and
//! history across a restart). Wrongly typed `pings_get` paging rides along with the paging
//! case; `pings_get` itself is in pings.rs. Text made only of whitespace and invisible
//! format characters is empty, while a joined emoji is content.

use originchats_tests::expect::err;
use originchats_tests::scenes::{cast, contents, create_channel, get_message, post, post_in, start, start_with_guests};
use originchats_tests::{Backend, TestServer, backend_tests};
use serde_json::{Value, json};

fn strip_volatile(mut m: Value) -> Value {
    let obj = m.as_object_mut().unwrap();
    assert!(obj.remove("id").unwrap().as_str().unwrap().len() == 36, "uuid id");
    assert!(obj.remove("timestamp").unwrap().as_f64().unwrap() > 1.7e9, "unix seconds");
    m
}

async fn a_message_reaches_every_viewer_and_the_sender_gets_its_listener(b: Backend) {
    let s = TestServer::start(b).await;
    let mut alice = s.login("alice").await;
    let mut bob = s.login("bob").await;
    alice.sync().await;
    bob.sync().await;
    alice
        .send(json!({"cmd": "message_new", "channel": "general", "content": "  hello @bob  ", "listener": "m1"}))
        .await;
    let own = alice.recv().await;
    let seen = bob.recv().await;
    assert_eq!(own["listener"], "m1");
    assert!(seen.get("listener").is_none(), "others never see the sender's listener");
    let mut own_without_listener = own.clone();
    own_without_listener.as_object_mut().unwrap().remove("listener");
    assert_eq!(own_without_listener, seen);
    assert_eq!(seen["cmd"], "message_new");
    assert_eq!(seen["channel"], "general");
    assert_eq!(seen["global"], true);
    assert_eq!(seen.as_object().unwrap().len(), 4);
    assert_eq!(
        strip_volatile(seen["message"].clone()),
        json!({"user": "alice", "content": "hello @bob", "type": "message", "pinned": false,
               "pings": {"users": ["bob"], "roles": [], "replies": []}})
    );
}

async fn users_who_cannot_view_receive_nothing(b: Backend) {
    let s = start_with_guests(b).await;
    let mut guest = s.login("guest").await;
    let mut boss = s.login("boss").await;
    guest.sync().await;
    boss.sync().await;
    boss.send(json!({"cmd": "message_new", "channel": "general", "content": "secret"})).await;
    assert_eq!(boss.recv().await["message"]["content"], "secret");
    assert!(guest.sync().await.is_empty(), "a guest without view sees nothing");
    let reply = guest.request(json!({"cmd": "message_new", "channel": "general", "content": "hi"})).await;
    assert_eq!(
        reply,
        json!({"cmd": "error", "src": "message_new", "val": "You do not have permission to send messages in this channel"})
    );
    let reply = guest.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    assert_eq!(reply, json!({"cmd": "error", "src": "messages_get", "val": "Access denied to this channel"}));
    let channels = guest.request(json!({"cmd": "channels_get"})).await;
    assert_eq!(channels, json!({"cmd": "channels_get", "val": []}));
}

async fn message_new_validates_in_the_original_order(b: Backend) {
    let s = TestServer::start_with(b, json!({"limits": {"post_content": 5}})).await;
    let mut c = s.login("alice").await;
    c.sync().await;
    let err = |val: &str| json!({"cmd": "error", "src": "message_new", "val": val});
    let cases = [
        (json!({}), err("Missing fields: channel, content")),
        (json!({"channel": "general"}), err("Missing fields: content")),
        (json!({"content": "x"}), err("Missing fields: channel")),
        (json!({"channel": "general", "content": ""}), err("Missing fields: content")),
        (json!({"channel": "general", "content": 5}), err("Missing fields: content")),
        (json!({"channel": "general", "content": null}), err("Missing fields: content")),
        (json!({"channel": "general", "content": "   "}), err("Message content cannot be empty")),
        (json!({"channel": "general", "content": "toolong"}), err("Message too long. Maximum length is 5 characters")),
        (
            json!({"channel": "nowhere", "content": "hi"}),
            err("You do not have permission to send messages in this channel"),
        ),
        (
            json!({"channel": "general", "content": "hi", "reply_to": "missing"}),
            err("The message you're trying to reply to was not found"),
        ),
    ];
    for (mut req, expected) in cases {
        req["cmd"] = json!("message_new");
        assert_eq!(c.request(req.clone()).await, expected, "for {req}");
    }
    let ok = c.request(json!({"cmd": "message_new", "channel": "general", "content": " ééééé "})).await;
    assert_eq!(ok["message"]["content"], "ééééé", "length counts code points after stripping");
    let history = c.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    assert_eq!(history["messages"].as_array().unwrap().len(), 1, "refused messages changed nothing");
}

async fn replies_carry_the_author_and_ping(b: Backend) {
    let s = TestServer::start(b).await;
    let mut alice = s.login("alice").await;
    let mut bob = s.login("bob").await;
    alice.sync().await;
    bob.sync().await;
    let first = bob.request(json!({"cmd": "message_new", "channel": "general", "content": "q"})).await;
    alice.recv().await;
    let id = first["message"]["id"].as_str().unwrap();
    let reply = alice
        .request(json!({"cmd": "message_new", "channel": "general", "content": "a", "reply_to": id, "ping": false}))
        .await;
    assert_eq!(reply["message"]["reply_to"], json!({"id": id, "user": "bob"}));
    assert_eq!(reply["message"]["ping"], false);
    assert_eq!(bob.recv().await["message"]["reply_to"]["user"], "bob");
}

async fn a_reply_must_target_the_same_channel(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    create_channel(&mut boss, &mut [&mut alice, &mut bob], "other", json!({"view": ["user"], "send": ["user"]})).await;
    let elsewhere = post_in(&mut alice, "other", "in other").await;
    bob.sync().await;
    boss.sync().await;
    let reply = json!({"cmd": "message_new", "channel": "general", "content": "answer", "reply_to": elsewhere["id"]});
    assert_eq!(bob.request(reply).await, err("message_new", "The message you're trying to reply to was not found"));
    assert!(alice.sync().await.is_empty(), "nothing was broadcast");
    assert!(boss.sync().await.is_empty(), "nothing was broadcast");
    let history = alice.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    assert_eq!(history["messages"], json!([]), "nothing was stored");
    // The same reply in the right channel works.
    let ok = bob
        .request(json!({"cmd": "message_new", "channel": "other", "content": "answer", "reply_to": elsewhere["id"]}))
        .await;
    assert_eq!(ok["message"]["reply_to"], json!({"id": elsewhere["id"], "user": "alice"}), "{ok}");
}

async fn history_pages_like_the_original(b: Backend) {
    let s = TestServer::start(b).await;
    let mut c = s.login("alice").await;
    c.sync().await;
    for i in 0..5 {
        c.request(json!({"cmd": "message_new", "channel": "general", "content": format!("m{i}")})).await;
    }
    let contents = |v: &Value| -> Vec<String> {
        v["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap().to_owned()).collect()
    };
    let all = c.request(json!({"cmd": "messages_get", "channel": "general", "listener": "h"})).await;
    assert_eq!(all["range"], json!({"start": 0, "end": 100}));
    assert_eq!(all["listener"], "h");
    assert_eq!(contents(&all), ["m0", "m1", "m2", "m3", "m4"]);
    let page = c.request(json!({"cmd": "messages_get", "channel": "general", "start": 1, "limit": 2})).await;
    assert_eq!(contents(&page), ["m2", "m3"]);
    assert_eq!(page["range"], json!({"start": 1, "end": 3}));
    let big = c.request(json!({"cmd": "messages_get", "channel": "general", "limit": 500})).await;
    assert_eq!(big["range"], json!({"start": 0, "end": 500}));
    assert_eq!(contents(&big).len(), 5);
    let beyond = c.request(json!({"cmd": "messages_get", "channel": "general", "start": 9})).await;
    assert_eq!(contents(&beyond), Vec::<String>::new());
    let negative = c.request(json!({"cmd": "messages_get", "channel": "general", "limit": -1})).await;
    assert_eq!(contents(&negative), Vec::<String>::new());
    let m3_id = all["messages"][3]["id"].as_str().unwrap();
    let before = c.request(json!({"cmd": "messages_get", "channel": "general", "start": m3_id, "limit": 2})).await;
    assert_eq!(contents(&before), ["m1", "m2"]);
    assert_eq!(before["range"], json!({"start": 0, "end": 2}));
    let bad = c.request(json!({"cmd": "messages_get", "channel": "general", "limit": "x"})).await;
    assert_eq!(bad, json!({"cmd": "error", "src": "messages_get", "val": "Invalid start or limit"}));
    let none = c.request(json!({"cmd": "messages_get"})).await;
    assert_eq!(none, json!({"cmd": "error", "src": "messages_get", "val": "Invalid channel name"}));
    let unknown = c.request(json!({"cmd": "messages_get", "channel": "nope"})).await;
    assert_eq!(unknown, json!({"cmd": "error", "src": "messages_get", "val": "Access denied to this channel"}));
}

async fn paging_and_pings_reject_wrong_types(b: Backend) {
    let s = start(b).await;
    let mut alice = s.login("alice").await;
    // 101 messages, pipelined, then their broadcasts read back.
    for i in 0..101 {
        alice.send(json!({"cmd": "message_new", "channel": "general", "content": format!("m{i}")})).await;
    }
    for i in 0..101 {
        let v = alice.recv().await;
        assert_eq!((v["cmd"].clone(), v["message"]["content"].clone()), (json!("message_new"), json!(format!("m{i}"))));
    }
    let zero = alice.request(json!({"cmd": "messages_get", "channel": "general", "limit": 0})).await;
    let got: Vec<&str> = zero["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    let expected: Vec<String> = (1..101).map(|i| format!("m{i}")).collect();
    assert_eq!(got, expected, "limit 0 means 100: the newest 100, oldest first");
    assert_eq!(zero["range"], json!({"start": 0, "end": 0}), "range echoes the raw values");
    let bad = err("messages_get", "Invalid start or limit");
    for req in [
        json!({"start": 1.5}),
        json!({"start": 0.0}),
        json!({"start": {"id": "x"}}),
        json!({"start": [0]}),
        json!({"limit": 2.5}),
        json!({"limit": "5"}),
        json!({"limit": {}}),
    ] {
        let mut req = req;
        req["cmd"] = json!("messages_get");
        req["channel"] = json!("general");
        assert_eq!(alice.request(req.clone()).await, bad, "{req}");
    }
    let offset = err("pings_get", "Offset must be a non-negative number");
    for o in [json!("0"), json!("x"), json!(1.5), json!([])] {
        assert_eq!(alice.request(json!({"cmd": "pings_get", "offset": o})).await, offset, "offset {o}");
    }
    assert_eq!(
        alice.request(json!({"cmd": "pings_get", "limit": 2.5})).await,
        err("pings_get", "Limit must be a number between 1 and 100")
    );
}

async fn history_survives_a_restart(b: Backend) {
    let mut s = TestServer::start(b).await;
    let mut c = s.login("alice").await;
    c.sync().await;
    let mut sent = vec![];
    for i in 0..20 {
        let m = c.request(json!({"cmd": "message_new", "channel": "general", "content": format!("n{i}")})).await;
        sent.push(m["message"].clone());
    }
    s.restart();
    let mut c = s.login("alice").await;
    c.sync().await;
    let history = c.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    assert_eq!(history["messages"], Value::Array(sent));
}

/// Texts made only of whitespace and invisible format characters (zero-width space,
/// zero-width joiner, word joiner, byte-order mark).
const INVISIBLE: [&str; 7] = [
    "\u{200B}",
    "\u{200D}",
    "\u{2060}",
    "\u{FEFF}",
    "\u{200B}\u{200D}\u{2060}\u{FEFF}",
    " \u{200B} \u{FEFF} ",
    "\t\u{2060}\n\u{200D} ",
];

/// A family: three emoji joined by U+200D.
const FAMILY: &str = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}";

async fn invisible_text_is_empty_and_a_joined_emoji_is_content(b: Backend) {
    let s = start(b).await;
    let (_boss, mut alice, mut bob) = cast(&s).await;
    for content in INVISIBLE {
        assert_eq!(
            alice.request(json!({"cmd": "message_new", "channel": "general", "content": content})).await,
            err("message_new", "Message content cannot be empty"),
            "{content:?}"
        );
    }
    assert!(bob.sync().await.is_empty(), "nothing was broadcast");
    let history = bob.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    assert_eq!(history["messages"], json!([]), "nothing was stored");
    let family = post_in(&mut alice, "general", FAMILY).await;
    assert_eq!(family["content"], FAMILY);
    let inside = post_in(&mut alice, "general", "a\u{200B}b").await;
    assert_eq!(inside["content"], "a\u{200B}b", "invisible characters inside text are kept");
    assert_eq!(bob.recv().await["message"], family);
    assert_eq!(bob.recv().await["message"], inside);
}

/// U+0000 and U+E000 (the escape character the SQL store uses on Postgres, see
/// docs/design/storage.md#text-on-postgresql) come back exactly from every command that
/// stores or reads text.
async fn text_with_nul_and_the_escape_character_round_trips(b: Backend) {
    let s = start(b).await;
    let (_boss, mut alice, mut bob) = cast(&s).await;
    let tricky = "a\u{0}b \u{E000} \u{E000}0 \u{E000}e \u{0}\u{0} end";
    let m = post(&mut alice, tricky).await;
    assert_eq!(m["content"], tricky);
    let id = m["id"].clone();
    let other = post(&mut alice, "a0b").await;
    bob.sync().await;
    let edited_text = "edited \u{0}\u{E000}e \u{E000}\u{0} 0b";
    let edited =
        alice.request(json!({"cmd": "message_edit", "id": id, "channel": "general", "content": edited_text})).await;
    assert_eq!(edited["content"], edited_text, "{edited}");
    assert_eq!(edited["message"]["content"], edited_text);
    let seen = bob.expect_cmd("message_edit").await;
    assert_eq!(seen["content"], edited_text);
    let reply =
        bob.request(json!({"cmd": "message_new", "channel": "general", "content": "\u{0} re", "reply_to": id})).await;
    assert_eq!(reply["message"]["content"], "\u{0} re");
    assert_eq!(reply["message"]["reply_to"], json!({"id": id, "user": "alice"}));
    alice.sync().await;

    let got = get_message(&mut alice, "general", &id).await;
    assert_eq!((got["content"].clone(), got["edited"].clone()), (json!(edited_text), json!(true)));
    let history = alice.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    assert_eq!(contents(&history["messages"]), [edited_text, "a0b", "\u{0} re"]);
    let search = |q: &str| json!({"cmd": "messages_search", "channel": "general", "query": q});
    for (query, expected) in [
        ("\u{0}", vec!["\u{0} re", edited_text]),
        ("\u{E000}e", vec![edited_text]),
        ("\u{E000}\u{0}", vec![edited_text]),
        ("EDITED \u{0}", vec![edited_text]),
        ("0b", vec!["a0b", edited_text]),
        ("\u{E000}0", vec![]),
        ("b \u{E000}", vec![]),
    ] {
        let r = alice.request(search(query)).await;
        assert_eq!(r["query"], query);
        assert_eq!(contents(&r["results"]), expected, "search {query:?}");
    }
    assert_eq!(other["content"], "a0b");
}

backend_tests!(
    text_with_nul_and_the_escape_character_round_trips,
    a_message_reaches_every_viewer_and_the_sender_gets_its_listener,
    users_who_cannot_view_receive_nothing,
    message_new_validates_in_the_original_order,
    replies_carry_the_author_and_ping,
    a_reply_must_target_the_same_channel,
    history_pages_like_the_original,
    paging_and_pings_reject_wrong_types,
    history_survives_a_restart,
    invisible_text_is_empty_and_a_joined_emoji_is_content,
);
