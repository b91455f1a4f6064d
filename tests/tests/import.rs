//! `originchats import --from <original folder> [--merge]` and `storage.import_from`, run
//! on the real binary against fixture folders written the way the original writes them
//! (docs/design/import.md#original-layout), then checked over WebSocket (docs/design/import.md).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use originchats_tests::http::http_bytes;
use originchats_tests::server::server_binary;
use originchats_tests::{Backend, Client, TestServer, backend_tests};
use serde_json::{Value, json};

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap()
}

/// One stored message line, compact like the original's NDJSON.
fn line(id: &str, user: &str, content: &str, ts: f64, extra: Value) -> String {
    let mut m =
        json!({"user": user, "content": content, "timestamp": ts, "type": "message", "pinned": false, "id": id});
    if let (Some(m), Some(x)) = (m.as_object_mut(), extra.as_object()) {
        m.extend(x.clone());
    }
    m.to_string()
}

/// A complete original server folder: users (one legacy record keyed by username), roles,
/// channels, NDJSON and legacy-array message files with pins, replies and reactions, a bad
/// line, an orphan message file, emojis, push subscriptions, VAPID keys and an asset.
fn write_original(root: &Path) {
    let db = root.join("db");
    for d in ["channels", "serverEmojis", "serverAssets"] {
        std::fs::create_dir_all(db.join(d)).unwrap();
    }
    std::fs::create_dir_all(root.join("vapid")).unwrap();
    let users = json!({
        "USR:alice": {"roles": ["owner", "user"], "username": "alice", "validator": "old",
                      "nickname": "Al", "status": {"status": "idle", "text": "away"}},
        "USR:bob": {"roles": ["user"], "username": "bob"},
        "carol": {"roles": ["user"]}
    });
    std::fs::write(db.join("users.json"), pretty(&users)).unwrap();
    let unreads = json!({
        "USR:alice": {"general": "g2", "thread/t1": "x", "removed": "r1"},
        "USR:bob": {"news": 5}
    });
    std::fs::write(db.join("unreads.json"), pretty(&unreads)).unwrap();
    let roles = json!({
        "owner": {"description": "Server owner with ultimate permissions.", "color": "#9400D3"},
        "admin": {"description": "Administrator role with full permissions.", "color": "#FF0000"},
        "user": {"description": "Regular user role with standard permissions.", "color": "#FFFFFF"},
        "helper": {"color": "#00FF00", "hoisted": true}
    });
    std::fs::write(db.join("roles.json"), pretty(&roles)).unwrap();
    let channels = json!([
        {"type": "text", "name": "general", "description": "General chat channel for everyone",
         "permissions": {"view": ["user"], "send": ["user"], "delete": ["admin", "moderator"]}},
        {"type": "separator", "name": "sep", "size": 10, "permissions": {"view": ["user"]}},
        {"type": "text", "name": "news", "permissions": {"view": ["user"], "send": ["owner"]}},
        {"type": "voice", "name": "talk", "permissions": {"view": ["user"]}}
    ]);
    std::fs::write(db.join("channels.json"), pretty(&channels)).unwrap();
    let general = [
        line("g1", "USR:alice", "hello", 1_700_000_000.5, json!({"pinned": true})),
        line(
            "g2",
            "USR:bob",
            "hi alice",
            1_700_000_001.25,
            json!({"reply_to": {"id": "g1", "user": "USR:alice"}, "ping": false}),
        ),
        "{\"user\":\"USR:bob\",\"content\":\"trunc".to_owned(),
        String::new(),
        line(
            "g3",
            "carol",
            "héllo 👋",
            1_700_000_002.0,
            json!({"reactions": {"👍": ["USR:alice", "USR:bob"]}, "edited": true}),
        ),
    ];
    std::fs::write(db.join("channels/general.json"), general.join("\n")).unwrap();
    let news = format!("[{}]", line("n1", "USR:gone", "from a deleted user", 1.0, json!({})));
    std::fs::write(db.join("channels/news.json"), news).unwrap();
    std::fs::write(db.join("channels/talk.json"), "").unwrap();
    std::fs::write(db.join("channels/removed.json"), line("r1", "USR:bob", "lost", 3.0, json!({}))).unwrap();
    let emojis = json!({"0": {"name": "blob", "fileName": "0.png"}});
    std::fs::write(db.join("serverEmojis.json"), pretty(&emojis)).unwrap();
    std::fs::write(db.join("serverEmojis/0.png"), b"\x89PNG\r\n\x1a\nblob").unwrap();
    std::fs::write(db.join("serverAssets/icon.png"), b"\x89PNG\r\n\x1a\nicon").unwrap();
    let push = json!({"alice": [{"endpoint": "https://push.example/a", "p256dh": "BKEY", "auth": "AUTH"}]});
    std::fs::write(db.join("push_subscriptions.json"), pretty(&push)).unwrap();
    std::fs::write(root.join("vapid/private_key.pem"), ORIGINAL_KEY).unwrap();
    std::fs::write(root.join("vapid/vapid_config.json"), r#"{"public_key_b64":"BPUB","claims_email":"mailto:a@b.c"}"#)
        .unwrap();
}

/// The original's VAPID private key file (not a usable key: only its place matters here).
const ORIGINAL_KEY: &str = "-----BEGIN PRIVATE KEY-----\nX\n-----END PRIVATE KEY-----\n";

/// Whether the original's VAPID key was put in place in the server folder `dir` (the
/// server generates its own at its first start).
fn originals_key_in_place(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("vapid/private_key.pem")).is_ok_and(|k| k == ORIGINAL_KEY)
}

/// Runs `originchats --config <server>/config.json import --from <from> [--merge]`.
async fn import(server: &Path, from: &Path, merge: bool) -> Output {
    let (server, from) = (server.to_path_buf(), from.to_path_buf());
    tokio::task::spawn_blocking(move || {
        let mut cmd = Command::new(server_binary());
        cmd.arg("--config").arg(server.join("config.json")).arg("import").arg("--from").arg(&from);
        if merge {
            cmd.arg("--merge");
        }
        cmd.current_dir(&server)
            .env_remove("ORIGINCHATS_DATABASE_URL")
            .stdin(Stdio::null())
            .output()
            .expect("run originchats import")
    })
    .await
    .unwrap()
}

/// stdout and stderr together.
fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn succeeded(o: &Output) -> String {
    let t = text(o);
    assert!(o.status.success(), "import failed ({}):\n{t}", o.status);
    t
}

async fn history(c: &mut Client, channel: &str) -> Vec<Value> {
    c.sync().await;
    let reply = c.request(json!({"cmd": "messages_get", "channel": channel})).await;
    assert_eq!(reply["cmd"], "messages_get", "{reply}");
    reply["messages"].as_array().cloned().unwrap_or_default()
}

async fn channel_names(c: &mut Client) -> Vec<String> {
    c.sync().await;
    let reply = c.request(json!({"cmd": "channels_get"})).await;
    reply["val"].as_array().unwrap().iter().filter_map(|ch| ch["name"].as_str().map(str::to_owned)).collect()
}

fn ids(messages: &[Value]) -> Vec<&str> {
    messages.iter().map(|m| m["id"].as_str().unwrap()).collect()
}

async fn a_complete_original_is_imported_and_served(b: Backend) {
    let mut s = TestServer::start(b).await;
    s.kill();
    let src = tempfile::tempdir().unwrap();
    write_original(src.path());

    let out = succeeded(&import(s.path(), src.path(), false).await);
    for expected in [
        "users               3",
        "roles               4",
        "channels            4",
        "messages            4 (1 pinned, 1 replies, 2 reactions)",
        "custom emojis       1",
        "push subscriptions  1",
        "VAPID key files     2",
        "server assets       1",
        "default roles and channels were replaced",
        "db/channels/general.json:3: not valid JSON",
        "db/channels/removed.json: no channel \"removed\"",
        "marker of unknown thread thread/t1 skipped",
        "marker of unknown channel removed skipped",
        "marker of news is not text; skipped",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    assert!(s.path().join("db/serverEmojis/0.png").is_file());
    assert!(s.path().join("db/serverAssets/icon.png").is_file());
    assert!(originals_key_in_place(s.path()), "the original's key replaced the one this server never used");
    assert!(s.path().join("vapid/vapid_config.json").is_file());

    let again = import(s.path(), src.path(), false).await;
    assert!(succeeded(&again).contains("already imported"), "{}", text(&again));

    s.restart();
    let mut alice = s.login("alice").await;
    assert_eq!(alice.ready.as_ref().unwrap()["user"]["roles"], json!(["owner", "user"]));
    assert_eq!(alice.ready.as_ref().unwrap()["user"]["nickname"], "Al", "the nickname came along");
    assert_eq!(alice.ready.as_ref().unwrap()["user"]["status"], json!({"status": "idle", "text": "away"}));
    let count = alice.request(json!({"cmd": "unreads_count", "channel": "general"})).await;
    assert_eq!(
        count,
        json!({"cmd": "unreads_count", "channel": "general", "unread_count": 1, "last_read": "g2", "total_messages": 3}),
        "db/unreads.json was imported"
    );
    assert_eq!(channel_names(&mut alice).await, ["general", "sep", "news", "talk"]);
    let general = history(&mut alice, "general").await;
    assert_eq!(ids(&general), ["g1", "g2", "g3"]);
    assert_eq!(general[0]["user"], "alice");
    assert_eq!(general[0]["pinned"], true);
    assert_eq!(general[0]["timestamp"], 1_700_000_000.5);
    assert_eq!(general[1]["reply_to"], json!({"id": "g1", "user": "alice"}));
    assert_eq!(general[1]["ping"], false);
    assert_eq!(general[2]["user"], "carol", "a legacy record keyed by username shows its key");
    assert_eq!(general[2]["content"], "héllo 👋");
    assert_eq!(general[2]["reactions"], json!({"👍": ["alice", "bob"]}));
    assert_eq!(general[2]["edited"], true);
    let news = history(&mut alice, "news").await;
    assert_eq!(news[0]["user"], "USR:gone", "authors that no longer exist show their id");
    // The imported emoji is listed and served, and new ones never take its id.
    let emojis = alice.request(json!({"cmd": "emoji_get_all"})).await;
    assert_eq!(emojis["emojis"], json!({"0": {"name": "blob", "fileName": "0.png"}}));
    for path in ["/emojis/0.png", "/emojis/0"] {
        let (status, _, body) = http_bytes(&s.addr, &format!("GET {path} HTTP/1.1"), &[]).await;
        assert_eq!((status, body.as_slice()), (200, &b"\x89PNG\r\n\x1a\nblob"[..]), "{path}");
    }
    let gif = originchats_tests::images::data_url("image/gif", &originchats_tests::images::gif(1, 4));
    let added = alice.request(json!({"cmd": "emoji_add", "name": "fresh", "image": gif})).await;
    assert_eq!(added["id"], "1", "{added}");
    alice.close().await;

    // The server has changed data since (alice logged in); the same source is still a no-op.
    s.kill();
    let third = import(s.path(), src.path(), false).await;
    assert!(succeeded(&third).contains("already imported"), "{}", text(&third));
    s.restart();
    let mut bob = s.login("bob").await;
    assert_eq!(ids(&history(&mut bob, "general").await), ["g1", "g2", "g3"]);
}

/// Threads of the original's later versions (docs/design/threads.md#import): a forum's
/// threads with their messages and read markers come along; a thread of no imported forum,
/// an unusable thread file and messages of no thread are reported and skipped.
async fn threads_of_an_original_are_imported(b: Backend) {
    let mut s = TestServer::start(b).await;
    s.kill();
    let src = tempfile::tempdir().unwrap();
    write_original(src.path());
    let db = src.path().join("db");
    let mut channels: Value =
        serde_json::from_str(&std::fs::read_to_string(db.join("channels.json")).unwrap()).unwrap();
    channels.as_array_mut().unwrap().push(json!({"type": "forum", "name": "ideas",
        "permissions": {"view": ["user"], "send": ["user"], "create_thread": ["user"]}}));
    std::fs::write(db.join("channels.json"), pretty(&channels)).unwrap();
    for d in ["threads", "threadMessages"] {
        std::fs::create_dir_all(db.join(d)).unwrap();
    }
    let t1 = json!({"id": "t1", "name": "First thread", "parent_channel": "ideas", "created_by": "USR:alice",
        "created_at": 1_700_000_100.5, "locked": false, "archived": true, "participants": ["USR:alice", "USR:bob"]});
    std::fs::write(db.join("threads/t1.json"), pretty(&t1)).unwrap();
    let lost = json!({"id": "t2", "name": "Lost", "parent_channel": "general", "created_by": "USR:bob",
        "created_at": 1.0, "locked": false, "archived": false, "participants": []});
    std::fs::write(db.join("threads/t2.json"), pretty(&lost)).unwrap();
    std::fs::write(db.join("threads/t3.json"), "{not json").unwrap();
    let lines = [
        line("tm1", "USR:bob", "in the thread", 1_700_000_101.0, json!({})),
        "garbage".to_owned(),
        line("tm2", "USR:alice", "reply", 1_700_000_102.0, json!({"reply_to": {"id": "tm1", "user": "USR:bob"}})),
    ];
    std::fs::write(db.join("threadMessages/t1.jsonl"), lines.join("\n")).unwrap();
    std::fs::write(db.join("threadMessages/t2.jsonl"), line("x1", "USR:bob", "x", 2.0, json!({}))).unwrap();
    let unreads = json!({"USR:alice": {"general": "g2", "thread/t1": "tm1", "thread/t9": "x"}});
    std::fs::write(db.join("unreads.json"), pretty(&unreads)).unwrap();

    let out = succeeded(&import(s.path(), src.path(), false).await);
    for expected in [
        "channels            5",
        "threads             1",
        "messages            6",
        "db/threads/t2.json: no imported forum channel \"general\"; thread skipped",
        "db/threads/t3.json: cannot be parsed",
        "db/threadMessages/t1.jsonl:2: not valid JSON",
        "db/threadMessages/t2.jsonl: no imported thread \"t2\"",
        "marker of unknown thread thread/t9 skipped",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    s.restart();
    let mut bob = s.login("bob").await;
    bob.sync().await;
    let t = bob.request(json!({"cmd": "thread_get", "thread_id": "t1"})).await;
    assert_eq!(
        t,
        json!({"cmd": "thread_get", "thread": {"id": "t1", "name": "First thread", "parent_channel": "ideas",
            "created_by": "alice", "created_at": 1_700_000_100.5, "locked": false, "archived": true,
            "participants": ["alice", "bob"], "last_message": 1_700_000_102.0, "last_message_id": "tm2"}})
    );
    let msgs = bob.request(json!({"cmd": "thread_messages", "thread_id": "t1"})).await;
    assert_eq!(ids(msgs["messages"].as_array().unwrap()), ["tm1", "tm2"]);
    assert_eq!(msgs["messages"][1]["reply_to"], json!({"id": "tm1", "user": "bob"}));
    let list = bob.request(json!({"cmd": "channels_get"})).await;
    let ideas = list["val"].as_array().unwrap().iter().find(|c| c["name"] == "ideas").unwrap().clone();
    assert_eq!(ideas["threads"][0]["id"], "t1", "{ideas}");
    assert_eq!(bob.request(json!({"cmd": "thread_get", "thread_id": "t2"})).await["val"], "Thread not found");
    bob.close().await;
    let mut alice = s.login("alice").await;
    alice.sync().await;
    let count = alice.request(json!({"cmd": "unreads_count", "thread_id": "t1"})).await;
    assert_eq!(
        count,
        json!({"cmd": "unreads_count", "thread_id": "t1", "unread_count": 1, "last_read": "tm1", "total_messages": 2}),
        "the thread's marker came along"
    );
    alice.close().await;
    // The same source again is a no-op.
    s.kill();
    let again = import(s.path(), src.path(), false).await;
    assert!(succeeded(&again).contains("already imported"), "{}", text(&again));
}

async fn a_database_with_real_data_is_refused_unless_merged(b: Backend) {
    let mut s = TestServer::start(b).await;
    let mut dave = s.login("dave").await;
    dave.sync().await;
    dave.send(json!({"cmd": "message_new", "channel": "general", "content": "mine"})).await;
    assert_eq!(dave.expect_cmd("message_new").await["message"]["content"], "mine");
    dave.close().await;
    s.kill();
    let src = tempfile::tempdir().unwrap();
    write_original(src.path());

    let refused = import(s.path(), src.path(), false).await;
    assert!(!refused.status.success(), "{}", text(&refused));
    let why = text(&refused);
    assert!(why.contains("already holds data") && why.contains("--merge"), "{why}");
    assert!(!originals_key_in_place(s.path()), "a refused import puts no files in place");
    s.restart();
    let mut dave = s.login("dave").await;
    assert_eq!(history(&mut dave, "general").await.len(), 1);
    assert_eq!(channel_names(&mut dave).await, ["general"]);
    dave.close().await;

    s.kill();
    let merged = succeeded(&import(s.path(), src.path(), true).await);
    assert!(merged.contains("channels            3 (1 already there)"), "{merged}");
    assert!(merged.contains("messages            4"), "{merged}");
    s.restart();
    let mut alice = s.login("alice").await;
    let general = history(&mut alice, "general").await;
    let contents: Vec<_> = general.iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(contents, ["mine", "hello", "hi alice", "héllo 👋"]);
    assert_eq!(channel_names(&mut alice).await, ["general", "sep", "news", "talk"]);
}

async fn an_unparsable_users_file_aborts_with_nothing_written(b: Backend) {
    let mut s = TestServer::start(b).await;
    s.kill();
    let src = tempfile::tempdir().unwrap();
    write_original(src.path());
    std::fs::write(src.path().join("db/users.json"), "{\"USR:alice\": {\"roles\": [\"own").unwrap();
    let out = import(s.path(), src.path(), false).await;
    assert!(!out.status.success(), "{}", text(&out));
    let why = text(&out);
    assert!(why.contains("db/users.json") && why.contains("nothing was written"), "{why}");
    assert!(!originals_key_in_place(s.path()));
    assert!(!s.path().join("db/serverEmojis/0.png").exists());
    s.restart();
    let mut bob = s.login("bob").await;
    assert_eq!(channel_names(&mut bob).await, ["general"], "the defaults are untouched");
    assert!(history(&mut bob, "general").await.is_empty());
}

async fn bad_lines_are_reported_with_file_and_line(b: Backend) {
    let mut s = TestServer::start(b).await;
    s.kill();
    let src = tempfile::tempdir().unwrap();
    write_original(src.path());
    let general = [
        line("a", "USR:bob", "one", 1.0, json!({})),
        "{\"user\": \"USR:bob\", \"content\": \"no id\", \"timestamp\": 2}".to_owned(),
        "[]".to_owned(),
        String::new(),
        "   ".to_owned(),
        line("a", "USR:bob", "same id again", 3.0, json!({})),
        "not json at all".to_owned(),
        line("b", "USR:bob", "two", 4.0, json!({})),
    ];
    std::fs::write(src.path().join("db/channels/general.json"), general.join("\n")).unwrap();
    std::fs::write(src.path().join("db/channels/news.json"), "\u{1}\u{2} binary garbage\n{{{").unwrap();
    let out = succeeded(&import(s.path(), src.path(), false).await);
    for expected in [
        "db/channels/general.json:2: no message `id`; skipped",
        "db/channels/general.json:3: not a message object (an array); skipped",
        "db/channels/general.json:6: message id a already used at 1; skipped",
        "db/channels/general.json:7: not valid JSON",
        "db/channels/news.json: cannot be parsed",
        "imported as empty",
        "messages            2",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    s.restart();
    let mut bob = s.login("bob").await;
    let general = history(&mut bob, "general").await;
    assert_eq!(ids(&general), ["a", "b"]);
    assert_eq!(general[0]["content"], "one");
    assert!(history(&mut bob, "news").await.is_empty());
}

async fn every_skipped_line_is_reported_even_past_two_hundred(b: Backend) {
    let mut s = TestServer::start(b).await;
    s.kill();
    let src = tempfile::tempdir().unwrap();
    write_original(src.path());
    let mut general = vec![line("ok", "USR:bob", "kept", 1.0, json!({}))];
    general.extend((0..250).map(|i| format!("broken line {i}")));
    std::fs::write(src.path().join("db/channels/general.json"), general.join("\n")).unwrap();
    let out = succeeded(&import(s.path(), src.path(), false).await);
    assert!(out.contains("db/channels/general.json:2: not valid JSON"), "{out}");
    assert!(!out.contains("db/channels/general.json:251:"), "the output lists the first 200 only:\n{out}");
    let reports: Vec<PathBuf> = std::fs::read_dir(s.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("import-report-"))
        .collect();
    assert_eq!(reports.len(), 1, "one report file next to config.json");
    let name = reports[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(out.contains(&name), "the output names the report file:\n{out}");
    let report = std::fs::read_to_string(&reports[0]).unwrap();
    for n in 2..=251 {
        assert!(report.contains(&format!("db/channels/general.json:{n}: not valid JSON")), "line {n} missing");
    }
    assert!(report.contains("db/channels/removed.json"), "other issues are in it too:\n{report}");
}

async fn import_is_refused_while_a_server_runs_on_the_config(b: Backend) {
    let s = TestServer::start(b).await;
    let mut alice = s.login("alice").await;
    let src = tempfile::tempdir().unwrap();
    write_original(src.path());
    let out = import(s.path(), src.path(), false).await;
    assert!(!out.status.success(), "{}", text(&out));
    let why = text(&out);
    assert!(why.contains("a server is running") && why.contains("nothing was imported"), "{why}");
    assert!(!originals_key_in_place(s.path()), "no files were put in place");
    assert_eq!(channel_names(&mut alice).await, ["general"], "the running server's data is untouched");
}

/// Writes an original whose `general` channel holds `n` messages.
fn write_big_original(root: &Path, n: usize) {
    write_original(root);
    let mut text = String::with_capacity(n * 150);
    for i in 0..n {
        if i > 0 {
            text.push('\n');
        }
        let reactions = if i % 10 == 0 { json!({"reactions": {"🔥": ["USR:bob"]}}) } else { json!({}) };
        text.push_str(&line(
            &format!("m{i:06}"),
            "USR:alice",
            &format!("message number {i}"),
            1.6e9 + i as f64,
            reactions,
        ));
    }
    std::fs::write(root.join("db/channels/general.json"), text).unwrap();
}

async fn a_hundred_thousand_messages_are_imported_in_batches(b: Backend) {
    let mut s = TestServer::start(b).await;
    s.kill();
    let src = tempfile::tempdir().unwrap();
    write_big_original(src.path(), 100_000);
    let started = Instant::now();
    let out = succeeded(&import(s.path(), src.path(), false).await);
    let took = started.elapsed();
    eprintln!("imported 100000 messages in {took:?}");
    assert!(out.contains("messages            100001 (0 pinned, 0 replies, 10000 reactions)"), "{out}");
    // About 6 s on an idle 2-core machine in a debug build; the bound only catches a
    // pathological slowdown (such as a per-batch network stall) on a busy machine.
    assert!(took < Duration::from_secs(90), "too slow: {took:?}");
    s.restart();
    let mut alice = s.login("alice").await;
    let newest = history(&mut alice, "general").await;
    assert_eq!(newest.len(), 100);
    assert_eq!(newest[99]["id"], "m099999");
    assert_eq!(newest[99]["content"], "message number 99999");
    assert_eq!(newest[90]["reactions"], json!({"🔥": ["bob"]}));
    alice.sync().await;
    let oldest =
        alice.request(json!({"cmd": "messages_get", "channel": "general", "start": 99_950, "limit": 50})).await;
    assert_eq!(oldest["messages"][0]["id"], "m000000", "{oldest}");
    s.kill();
    let again = import(s.path(), src.path(), false).await;
    assert!(succeeded(&again).contains("already imported"));
}

async fn import_from_in_the_config_runs_on_first_start_only(b: Backend) {
    let src = tempfile::tempdir().unwrap();
    write_original(src.path());
    let from: PathBuf = src.path().to_path_buf();
    let mut s = TestServer::start_with(b, json!({"storage": {"import_from": from}})).await;
    let mut alice = s.login("alice").await;
    assert_eq!(ids(&history(&mut alice, "general").await), ["g1", "g2", "g3"]);
    alice.close().await;
    assert!(s.path().join("db/serverEmojis/0.png").is_file());
    s.restart();
    let mut bob = s.login("bob").await;
    assert_eq!(ids(&history(&mut bob, "general").await), ["g1", "g2", "g3"], "not imported twice");
    assert!(s.log().contains("already holds data"), "{}", s.log());
}

/// U+0000 and U+E000 (the escape character of the SQL store on Postgres) in imported ids,
/// names and text are stored exactly, and a merge recognises the records whose ids and
/// names hold them (docs/design/storage.md#text-on-postgresql).
async fn text_with_nul_is_imported_exactly(b: Backend) {
    let mut s = TestServer::start(b).await;
    s.kill();
    let src = tempfile::tempdir().unwrap();
    write_original(src.path());
    let db = src.path().join("db");
    let odd = "\u{0}\u{E000}0\u{E000}e\u{0}";
    let (odd_id, odd_name) = (format!("USR:{odd}"), format!("Nul{odd}"));
    let mut users = serde_json::Map::new();
    users.insert("USR:alice".into(), json!({"roles": ["owner", "user"], "username": "alice"}));
    users.insert(odd_id.clone(), json!({"roles": ["user"], "username": odd_name}));
    std::fs::write(db.join("users.json"), pretty(&Value::Object(users))).unwrap();
    let mut push = serde_json::Map::new();
    push.insert(
        odd_name.to_lowercase(),
        json!([{"endpoint": format!("https://push.example/{odd}"), "p256dh": "K", "auth": "A"}]),
    );
    std::fs::write(db.join("push_subscriptions.json"), pretty(&Value::Object(push))).unwrap();
    let first = line(&format!("g{odd}"), &odd_id, &format!("hi {odd}"), 1.0, json!({"reactions": {"👍": [odd_id]}}));
    std::fs::write(db.join("channels/general.json"), &first).unwrap();

    let out = succeeded(&import(s.path(), src.path(), false).await);
    for expected in ["users               2", "messages            2", "push subscriptions  1"] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    s.restart();
    let mut alice = s.login("alice").await;
    let general = history(&mut alice, "general").await;
    assert_eq!(ids(&general), [format!("g{odd}")]);
    assert_eq!(general[0]["content"], format!("hi {odd}"));
    assert_eq!(general[0]["user"], odd_name.as_str());
    assert_eq!(general[0]["reactions"], json!({"👍": [odd_name]}));
    alice.close().await;

    s.kill();
    let second = line("g2", "USR:alice", "later", 2.0, json!({}));
    std::fs::write(db.join("channels/general.json"), format!("{first}\n{second}")).unwrap();
    let merged = succeeded(&import(s.path(), src.path(), true).await);
    for expected in [
        "users               0 (2 already there, kept)",
        "messages            1 (0 pinned, 0 replies, 0 reactions) (2 already there, kept)",
        "push subscriptions  0 (1 already there)",
    ] {
        assert!(merged.contains(expected), "missing {expected:?} in:\n{merged}");
    }
    s.restart();
    let mut alice = s.login("alice").await;
    assert_eq!(ids(&history(&mut alice, "general").await), [format!("g{odd}"), "g2".to_owned()]);
}

backend_tests!(
    text_with_nul_is_imported_exactly,
    a_complete_original_is_imported_and_served,
    a_database_with_real_data_is_refused_unless_merged,
    an_unparsable_users_file_aborts_with_nothing_written,
    bad_lines_are_reported_with_file_and_line,
    a_hundred_thousand_messages_are_imported_in_batches,
    import_from_in_the_config_runs_on_first_start_only,
    every_skipped_line_is_reported_even_past_two_hundred,
    import_is_refused_while_a_server_runs_on_the_config,
    threads_of_an_original_are_imported,
);
