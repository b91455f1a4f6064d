//! Plugins over a real socket: the built-ins `welcome` and `automod`, rhai scripts (events,
//! actions, limits, memory budget, hot reload), and `plugins_list` / `plugins_reload` (including the reload
//! of an unknown plugin, which changes nothing) (docs/design/plugins.md, docs/design/plugins.md).
//! Edits are screened by automod like new messages, but run no `!automod` command.

use std::time::{Duration, Instant};

use originchats_tests::expect::{err, settle};
use originchats_tests::scenes::{community, no_pushes, snapshot, start, start_with_files};
use originchats_tests::{Backend, Client, TestServer, backend_tests};
use serde_json::{Value, json};

const ECHO: &str = r#"
fn info() { #{ name: "Echo", description: "Answers !ping" } }
fn on_new_message(e) { if e.content == "!ping" { send_message(e.channel, "pong"); } }
"#;

/// Skips packets until a `message_new` by `author` arrives and returns its content.
async fn next_message_by(c: &mut Client, author: &str) -> String {
    loop {
        let p = c.expect_cmd("message_new").await;
        if p["message"]["user"] == author {
            return p["message"]["content"].as_str().unwrap().to_owned();
        }
    }
}

/// Asks `plugins_list` until `done` holds for its answer (hot reload is asynchronous).
async fn plugins_until(owner: &mut Client, done: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        owner.sync().await;
        let list = owner.request(json!({"cmd": "plugins_list"})).await;
        if done(&list["plugins"]) {
            return list;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "plugins never reached the state: {list}");
    }
}

async fn welcome_greets_a_new_user_once(b: Backend) {
    let config = r#"{"welcome_channel": "general", "welcome_message": "Hello {username}, welcome!"}"#;
    let s = TestServer::start_with_files(
        b,
        json!({"plugins": {"enabled": ["welcome"]}}),
        &[("plugins/welcome_config.json", config)],
    )
    .await;
    let mut watcher = s.connect().await;
    watcher.auth("good:USR:watcher:watcher").await;
    assert_eq!(next_message_by(&mut watcher, "originChats").await, "Hello watcher, welcome!");
    let alice = s.login("alice").await;
    assert_eq!(next_message_by(&mut watcher, "originChats").await, "Hello alice, welcome!");
    alice.close().await;
    let mut again = s.connect().await;
    again.auth("good:USR:alice:alice").await;
    again.sync().await;
    let history = again.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    let greetings: Vec<&Value> = history["messages"].as_array().unwrap().iter().collect();
    assert_eq!(greetings.len(), 2, "stored, and alice is not greeted twice: {greetings:?}");
    assert_eq!(greetings[1]["content"], "Hello alice, welcome!");
}

async fn automod_refuses_blocked_words_and_obeys_admins(b: Backend) {
    let config = r#"{"blocked_words": ["darn"], "timeout_duration": 120}"#;
    let s =
        start_with_files(b, json!({"plugins": {"enabled": ["automod"]}}), &[("plugins/automod_config.json", config)])
            .await;
    let mut boss = s.login("boss").await;
    let mut alice = s.login("alice").await;
    settle(&mut [&mut boss]).await;
    let bad = json!({"cmd": "message_new", "channel": "general", "content": "oh DARN", "listener": "m"});
    alice.send(bad).await;
    let mod_note = "alice was automatically timed out for violating chat rules.";
    assert_eq!(next_message_by(&mut alice, "AutoMod").await, mod_note);
    assert_eq!(
        alice.recv().await,
        json!({"cmd": "rate_limit", "reason": "Automoderation: Message contains blocked words", "length": 120000, "listener": "m"})
    );
    let seen = boss.recv().await;
    assert_eq!(
        (seen["message"]["user"].clone(), seen["message"]["content"].clone()),
        (json!("AutoMod"), json!(mod_note))
    );
    assert!(boss.sync().await.is_empty(), "the offending message never went out");
    let history = boss.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    assert_eq!(history["messages"].as_array().unwrap().len(), 1, "only the notice was stored");
    let again = alice.request(json!({"cmd": "message_new", "channel": "general", "content": "hello"})).await;
    assert_eq!(again["cmd"], "rate_limit");
    assert!(again["reason"].as_str().unwrap().starts_with("You are in timeout for"));

    // Owners manage the list with !automod; the reply follows their message.
    boss.send(json!({"cmd": "message_new", "channel": "general", "content": "!automod add heck"})).await;
    assert_eq!(boss.recv().await["message"]["content"], "!automod add heck");
    assert_eq!(next_message_by(&mut boss, "AutoMod").await, "✅ Added 'heck' to blocked words");
    let saved: Value =
        serde_json::from_slice(&std::fs::read(s.path().join("plugins/automod_config.json")).unwrap()).unwrap();
    assert_eq!(saved["blocked_words"], json!(["darn", "heck"]));
    let mut bob = s.login("bob").await;
    bob.send(json!({"cmd": "message_new", "channel": "general", "content": "!automod clear"})).await;
    assert_eq!(bob.recv().await["message"]["content"], "!automod clear", "users who are no admins are ignored");
    bob.send(json!({"cmd": "message_new", "channel": "general", "content": "heck"})).await;
    assert_eq!(bob.expect_cmd("rate_limit").await["reason"], "Automoderation: Message contains blocked words");
}

const PROBE: &str = r#"
fn on_channel_create(e) { send_message("general", `channel_create ${e.channel.name} ${e.channel.type}`); }
fn on_role_create(e) { send_message("general", `role_create ${e.role_name} ${e.color}`); }
fn on_user_ban(e) { send_message("general", `user_ban ${e.username} ${e.user_id}`); }
fn on_message_edit(e) { send_message(e.channel, `message_edit ${e.username} ${e.content}`); }
fn on_user_connect(e) { send_message("general", `user_connect ${e.username} ${e.user_id} ${e.roles}`); }
fn on_new_message(e) {
    switch e.content {
        "!whoami" => send_message(e.channel, `${e.username} ${e.user_id} ${e.message.user} ${e.message.content}`),
        "!kick bob" => kick_user("bob", "bye now"),
        "!mute bob" => timeout_user("bob", 60),
        "!shout" => broadcast(#{ cmd: "announcement", text: "hi all" }),
        "!dm" => send_to_user(e.username, #{ cmd: "notice", val: "just you" }),
        "!as" => send_message(e.channel, "disguised", "Narrator"),
    }
}
"#;

async fn scripts_see_events_and_act(b: Backend) {
    let s = start_with_files(b, json!({}), &[("plugins/probe.rhai", PROBE)]).await;
    let mut boss = s.connect().await;
    boss.auth("good:USR:boss:boss").await;
    assert_eq!(next_message_by(&mut boss, "probe").await, r#"user_connect boss USR:boss ["owner", "user"]"#);
    let mut bob = s.login("bob").await;
    assert_eq!(next_message_by(&mut boss, "probe").await, r#"user_connect bob USR:bob ["user"]"#);
    settle(&mut [&mut boss, &mut bob]).await;

    boss.send(json!({"cmd": "message_new", "channel": "general", "content": "!whoami"})).await;
    assert_eq!(next_message_by(&mut boss, "probe").await, "boss USR:boss USR:boss !whoami");
    let id = boss.request(json!({"cmd": "messages_get", "channel": "general"})).await["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["content"] == "!whoami")
        .unwrap()["id"]
        .clone();
    boss.send(json!({"cmd": "message_edit", "channel": "general", "id": id, "content": "edited"})).await;
    assert_eq!(next_message_by(&mut boss, "probe").await, "message_edit boss edited");
    boss.send(json!({"cmd": "channel_create", "name": "news", "type": "text"})).await;
    assert_eq!(next_message_by(&mut boss, "probe").await, "channel_create news text");
    boss.send(json!({"cmd": "role_create", "name": "helper", "color": "#00ff00"})).await;
    assert_eq!(next_message_by(&mut boss, "probe").await, "role_create helper #00ff00");
    boss.send(json!({"cmd": "message_new", "channel": "general", "content": "!as"})).await;
    assert_eq!(next_message_by(&mut boss, "Narrator").await, "disguised");

    settle(&mut [&mut boss, &mut bob]).await;
    boss.send(json!({"cmd": "message_new", "channel": "general", "content": "!shout"})).await;
    assert_eq!(bob.expect_cmd("announcement").await, json!({"cmd": "announcement", "text": "hi all"}));
    boss.send(json!({"cmd": "message_new", "channel": "general", "content": "!dm"})).await;
    assert_eq!(boss.expect_cmd("notice").await, json!({"cmd": "notice", "val": "just you"}));
    assert!(bob.sync().await.iter().all(|p| p["cmd"] != "notice"), "send_to_user reaches that user only");
    boss.send(json!({"cmd": "message_new", "channel": "general", "content": "!mute bob"})).await;
    assert_eq!(
        bob.expect_cmd("rate_limit").await,
        json!({"cmd": "rate_limit", "reason": "User timeout set", "length": 60000})
    );
    let muted = bob.request(json!({"cmd": "message_new", "channel": "general", "content": "x"})).await;
    assert_eq!(muted["cmd"], "rate_limit");
    boss.send(json!({"cmd": "message_new", "channel": "general", "content": "!kick bob"})).await;
    assert_eq!(bob.expect_cmd("disconnect").await, json!({"cmd": "disconnect", "reason": "bye now"}));
    bob.closed().await;
    boss.send(json!({"cmd": "user_ban", "user": "bob"})).await;
    assert_eq!(next_message_by(&mut boss, "probe").await, "user_ban bob USR:bob");
}

async fn an_endless_plugin_cannot_stall_the_server(b: Backend) {
    let spin = "fn on_new_message(e) { let s = \"\"; loop { s += \"x\"; if s.len() > 1000 { s = \"\"; } } }";
    let s = start_with_files(
        b,
        json!({"plugins": {"limits": {"time_budget_ms": 200, "max_operations": 100000000}}}),
        &[("plugins/spin.rhai", spin), ("plugins/echo.rhai", ECHO)],
    )
    .await;
    let mut boss = s.login("boss").await;
    let mut alice = s.login("alice").await;
    settle(&mut [&mut boss, &mut alice]).await;
    for i in 0..4 {
        let tag = format!("m{i}");
        let sent = alice
            .request(json!({"cmd": "message_new", "channel": "general", "content": "!ping", "listener": tag}))
            .await;
        assert_eq!(sent["listener"], tag, "messages go through while the plugin spins");
        assert_eq!(next_message_by(&mut alice, "echo").await, "pong", "other plugins keep working");
        alice.sync().await; // a round trip: the server still answers at once
    }
    let list = plugins_until(&mut boss, |p| p["spin"]["stopped"].is_string()).await;
    assert!(list["plugins"]["spin"]["stopped"].as_str().unwrap().contains("limit"));
    assert!(list["plugins"]["echo"].get("stopped").is_none());
    assert!(s.log().contains("plugin stopped on a limit"), "the fault is logged");
    // A reload starts it afresh.
    assert_eq!(
        boss.request(json!({"cmd": "plugins_reload", "plugin": "spin"})).await,
        json!({"cmd": "plugins_reload", "val": "Plugin 'spin' reloaded successfully"})
    );
    assert!(boss.request(json!({"cmd": "plugins_list"})).await["plugins"]["spin"].get("stopped").is_none());
}

async fn plugins_list_and_reload_follow_the_folder(b: Backend) {
    let s = start_with_files(
        b,
        json!({"plugins": {"enabled": ["welcome", "automod", "cli"]}}),
        // Welcome is loaded but quiet, so that logins stay predictable.
        &[("plugins/echo.rhai", ECHO), ("plugins/welcome_config.json", r#"{"enabled": false}"#)],
    )
    .await;
    let mut boss = s.login("boss").await;
    let mut bob = s.login("bob").await;
    settle(&mut [&mut boss, &mut bob]).await;
    for cmd in ["plugins_list", "plugins_reload"] {
        assert_eq!(bob.request(json!({"cmd": cmd})).await, err(cmd, "Access denied: 'owner' role required"));
    }
    let list = boss.request(json!({"cmd": "plugins_list"})).await;
    assert_eq!(
        list,
        json!({"cmd": "plugins_list", "plugins": {
            "welcome": {"name": "Welcome Plugin", "description": "Sends a welcome message to users when they join the server.", "handles": ["user_join"]},
            "automod": {"name": "AutoMod Plugin", "description": "Automatically timeout users who send messages containing blocked words. Admins/owners use !automod <command> to manage.", "handles": ["new_message"]},
            "echo": {"name": "Echo", "description": "Answers !ping", "handles": ["new_message"]}
        }})
    );
    assert!(s.log().contains("\"cli\": it is not carried over"), "cli is warned about and ignored");

    // Hot reload: a new file loads, a change takes effect, a deletion unloads.
    let dir = s.path().join("plugins");
    std::fs::write(
        dir.join("shout.rhai"),
        r#"fn on_new_message(e) { if e.content == "!up" { send_message(e.channel, "UP"); } }"#,
    )
    .unwrap();
    plugins_until(&mut boss, |p| p.get("shout").is_some()).await;
    boss.send(json!({"cmd": "message_new", "channel": "general", "content": "!up"})).await;
    assert_eq!(next_message_by(&mut boss, "shout").await, "UP");
    std::fs::write(dir.join("shout.rhai"), "fn info() { #{ name: \"Loud\" } }\nfn on_new_message(e) { if e.content == \"!up\" { send_message(e.channel, \"LOUDER\"); } }").unwrap();
    plugins_until(&mut boss, |p| p["shout"]["name"] == "Loud").await;
    boss.send(json!({"cmd": "message_new", "channel": "general", "content": "!up"})).await;
    assert_eq!(next_message_by(&mut boss, "shout").await, "LOUDER");
    std::fs::remove_file(dir.join("shout.rhai")).unwrap();
    plugins_until(&mut boss, |p| p.get("shout").is_none()).await;

    // plugins_reload, by name and for all.
    boss.sync().await;
    let reload = |plugin: Value| json!({"cmd": "plugins_reload", "plugin": plugin});
    assert_eq!(boss.request(reload(json!("echo"))).await["val"], "Plugin 'echo' reloaded successfully");
    assert_eq!(boss.request(reload(json!("automod"))).await["val"], "Plugin 'automod' reloaded successfully");
    assert_eq!(boss.request(reload(json!("nope"))).await, err("plugins_reload", "Failed to reload plugin 'nope'"));
    std::fs::write(dir.join("echo.rhai"), "fn on_new_message(e) {").unwrap();
    assert_eq!(boss.request(reload(json!("echo"))).await, err("plugins_reload", "Failed to reload plugin 'echo'"));
    // A script that no longer loads stays listed, with the reason.
    let list = plugins_until(&mut boss, |p| p["echo"]["stopped"].is_string()).await;
    assert!(list["plugins"]["echo"]["stopped"].as_str().unwrap().starts_with("not loaded: echo.rhai: "), "{list}");
    std::fs::write(dir.join("echo.rhai"), ECHO).unwrap();
    boss.sync().await;
    assert_eq!(
        boss.request(json!({"cmd": "plugins_reload", "listener": "all"})).await,
        json!({"cmd": "plugins_reload", "val": "All plugins reloaded successfully", "listener": "all"})
    );
    plugins_until(&mut boss, |p| p["echo"]["name"] == "Echo" && p["echo"].get("stopped").is_none()).await;
}

async fn the_shipped_example_plugin_works(b: Backend) {
    let example = include_str!("../../docs/examples/plugins/karma.rhai");
    let s = TestServer::start_with_files(b, json!({}), &[("plugins/karma.rhai", example)]).await;
    let mut alice = s.login("alice").await;
    alice.request(json!({"cmd": "message_new", "channel": "general", "content": "thanks bob++"})).await;
    alice.send(json!({"cmd": "message_new", "channel": "general", "content": "!karma bob"})).await;
    assert_eq!(next_message_by(&mut alice, "karma").await, "bob has 1 karma");
}

const LOOP: &str = r#"
fn on_user_timeout(e) { timeout_user(e.user_id, 60); }
fn on_user_ban(e) { unban_user(e.user_id); }
fn on_user_unban(e) { ban_user(e.user_id); }
fn on_new_message(e) { if e.content.starts_with("!mark") { send_message(e.channel, e.content + " done"); } }
"#;

async fn a_plugin_cannot_set_itself_off_in_a_loop(b: Backend) {
    let s = start_with_files(b, json!({}), &[("plugins/loop.rhai", LOOP)]).await;
    let mut boss = s.login("boss").await;
    let mut bob = s.login("bob").await;
    let _carol = s.login("carol").await;
    settle(&mut [&mut boss, &mut bob]).await;
    boss.request(json!({"cmd": "user_timeout", "user": "bob", "timeout": 30})).await;
    boss.request(json!({"cmd": "user_ban", "user": "carol"})).await;
    // Each mark is answered after every action the plugin asked for before it.
    for mark in ["!mark1", "!mark2"] {
        boss.send(json!({"cmd": "message_new", "channel": "general", "content": mark})).await;
    }
    let mut timeouts = 0;
    loop {
        let p = bob.recv().await;
        if p["cmd"] == "rate_limit" {
            timeouts += 1;
        }
        if p["cmd"] == "message_new" && p["message"]["content"] == "!mark2 done" {
            break;
        }
    }
    assert_eq!(timeouts, 2, "the owner's timeout and the plugin's one, then nothing: no loop");
    boss.sync().await;
    let banned = boss.request(json!({"cmd": "users_banned_list"})).await;
    assert_eq!(banned["users"], json!([]), "the plugin lifted the ban once and did not ban again");
    assert!(bob.sync().await.iter().all(|p| p["cmd"] != "rate_limit"));
}

async fn a_script_that_sleeps_cannot_hold_up_the_server(b: Backend) {
    let s = start_with_files(
        b,
        json!({}),
        &[("plugins/nap.rhai", "sleep(3600);"), ("plugins/doze.rhai", "fn on_new_message(e) { sleep(3600); }")],
    )
    .await;
    let mut boss = s.login("boss").await;
    let list = boss.request(json!({"cmd": "plugins_list"})).await;
    let why = list["plugins"]["nap"]["stopped"].as_str().unwrap_or_default();
    assert!(why.starts_with("not loaded: nap.rhai") && why.contains("sleep is not available"), "{list}");
    assert_eq!(
        boss.request(json!({"cmd": "plugins_reload", "plugin": "nap"})).await,
        err("plugins_reload", "Failed to reload plugin 'nap'")
    );
    for i in 0..3 {
        let sent = boss.request(json!({"cmd": "message_new", "channel": "general", "content": format!("m{i}")})).await;
        assert_eq!(sent["cmd"], "message_new");
    }
    assert!(s.log().contains("sleep is not available to plugins"), "the refused sleep is logged");
}

const CURRY: &str =
    r#"fn on_new_message(e) { let s = "x"; s.pad(60000, 'y'); this.f = Fn("g").curry(s); } fn g(a) { a }"#;

/// Keeps about 480 KB more in its state at every message.
const HOARD: &str = r#"
fn on_new_message(e) {
    let big = "x"; big.pad(60000, 'y');
    let n = this.n ?? 0;
    for i in 0..8 { n += 1; this[`k${n}`] = big + n; }
    this["n"] = n;
}"#;

async fn plugins_over_their_memory_budget_are_listed_with_the_reason_and_the_server_keeps_serving(b: Backend) {
    let s = TestServer::start_with_files(
        b,
        json!({"auth": {"owners": ["boss"]}, "plugins": {"limits": {"max_memory_bytes": 1048576}}}),
        &[("plugins/curry.rhai", CURRY), ("plugins/hoard.rhai", HOARD), ("plugins/echo.rhai", ECHO)],
    )
    .await;
    let mut boss = s.login("boss").await;
    let mut alice = s.login("alice").await;
    settle(&mut [&mut boss, &mut alice]).await;
    let list = boss.request(json!({"cmd": "plugins_list"})).await;
    assert_eq!(
        list["plugins"]["curry"],
        json!({"name": "curry", "description": "", "handles": [],
            "stopped": "not loaded: curry.rhai: curry is not available to plugins"}),
        "a script refused at load is listed with the reason"
    );
    assert!(list["plugins"]["hoard"].get("stopped").is_none(), "{list}");
    // 480 KB, 960 KB, then over 1 MiB at the third message.
    for i in 0..5 {
        let tag = format!("m{i}");
        let sent = alice
            .request(json!({"cmd": "message_new", "channel": "general", "content": "!ping", "listener": tag}))
            .await;
        assert_eq!(sent["listener"], tag, "messages go through");
        assert_eq!(next_message_by(&mut alice, "echo").await, "pong", "other plugins keep working");
    }
    let list = plugins_until(&mut boss, |p| p["hoard"]["stopped"].is_string()).await;
    let why = list["plugins"]["hoard"]["stopped"].as_str().unwrap();
    assert!(why.starts_with("stopped: Memory (about") && why.contains("budget 1.0 MiB"), "{why}");
    assert!(list["plugins"]["echo"].get("stopped").is_none());
    assert!(s.log().contains("stopped: Memory (about"), "the stop is logged");
    alice.sync().await;
    let sent = alice.request(json!({"cmd": "message_new", "channel": "general", "content": "!ping"})).await;
    assert_eq!(sent["cmd"], "message_new");
    assert_eq!(next_message_by(&mut alice, "echo").await, "pong");
    // A reload runs it afresh, with an empty state.
    boss.sync().await;
    assert_eq!(
        boss.request(json!({"cmd": "plugins_reload", "plugin": "hoard"})).await,
        json!({"cmd": "plugins_reload", "val": "Plugin 'hoard' reloaded successfully"})
    );
    assert!(boss.request(json!({"cmd": "plugins_list"})).await["plugins"]["hoard"].get("stopped").is_none());
}

async fn plugins_reload_of_an_unknown_plugin_changes_nothing(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut bob) = community(&s).await;
    let before = snapshot(&mut boss, &mut bob).await;
    assert_eq!(
        boss.request(json!({"cmd": "plugins_reload", "plugin": "nope"})).await,
        err("plugins_reload", "Failed to reload plugin 'nope'")
    );
    no_pushes(&mut boss, &mut bob, "a failed reload").await;
    assert_eq!(snapshot(&mut boss, &mut bob).await, before, "nothing changed");
}

async fn automod_screens_edits_like_new_messages(b: Backend) {
    let config = r#"{"blocked_words": ["darn"], "timeout_duration": 120}"#;
    let s =
        start_with_files(b, json!({"plugins": {"enabled": ["automod"]}}), &[("plugins/automod_config.json", config)])
            .await;
    let mut boss = s.login("boss").await;
    let mut alice = s.login("alice").await;
    settle(&mut [&mut boss]).await;
    let m = alice.request(json!({"cmd": "message_new", "channel": "general", "content": "hello"})).await;
    assert_eq!(m["message"]["content"], "hello");
    let id = m["message"]["id"].clone();
    boss.sync().await;
    let get = json!({"cmd": "message_get", "channel": "general", "id": id});
    let before = boss.request(get.clone()).await;
    assert_eq!(before["message"]["content"], "hello");
    alice
        .send(json!({"cmd": "message_edit", "channel": "general", "id": id, "content": "oh DARN", "listener": "e"}))
        .await;
    let mod_note = "alice was automatically timed out for violating chat rules.";
    let note = alice.recv().await;
    assert_eq!((&note["message"]["user"], &note["message"]["content"]), (&json!("AutoMod"), &json!(mod_note)));
    assert_eq!(
        alice.recv().await,
        json!({"cmd": "rate_limit", "reason": "Automoderation: Message contains blocked words", "length": 120000, "listener": "e"}),
        "refused like message_new"
    );
    assert_eq!(boss.recv().await, note, "the owner sees the notice");
    assert!(boss.sync().await.is_empty(), "and no edit");
    assert_eq!(boss.request(get).await, before, "the stored message keeps its content");
    let again = alice.request(json!({"cmd": "message_edit", "channel": "general", "id": id, "content": "fine"})).await;
    assert_eq!(again["cmd"], "rate_limit", "alice is in timeout: {again}");
}

async fn an_edit_runs_no_automod_command(b: Backend) {
    let config = r#"{"blocked_words": ["darn"], "timeout_duration": 120}"#;
    let s =
        start_with_files(b, json!({"plugins": {"enabled": ["automod"]}}), &[("plugins/automod_config.json", config)])
            .await;
    let mut boss = s.login("boss").await;
    let mut bob = s.login("bob").await;
    settle(&mut [&mut boss]).await;
    let m = boss.request(json!({"cmd": "message_new", "channel": "general", "content": "hello"})).await;
    let id = m["message"]["id"].clone();
    bob.sync().await;
    // Commands are obeyed when posted (automod handles new messages), not when edited in.
    let edit = json!({"cmd": "message_edit", "channel": "general", "id": id, "content": "!automod clear"});
    let edited = boss.request(edit).await;
    assert_eq!((&edited["cmd"], &edited["content"]), (&json!("message_edit"), &json!("!automod clear")), "{edited}");
    boss.sync().await;
    assert_eq!(bob.sync().await, [edited], "the edit and no AutoMod answer");
    let saved: Value =
        serde_json::from_slice(&std::fs::read(s.path().join("plugins/automod_config.json")).unwrap()).unwrap();
    assert_eq!(saved["blocked_words"], json!(["darn"]), "the list was not cleared");
    bob.send(json!({"cmd": "message_new", "channel": "general", "content": "darn"})).await;
    assert_eq!(bob.expect_cmd("rate_limit").await["reason"], "Automoderation: Message contains blocked words");
}

backend_tests!(
    a_plugin_cannot_set_itself_off_in_a_loop,
    a_script_that_sleeps_cannot_hold_up_the_server,
    welcome_greets_a_new_user_once,
    automod_refuses_blocked_words_and_obeys_admins,
    automod_screens_edits_like_new_messages,
    an_edit_runs_no_automod_command,
    scripts_see_events_and_act,
    an_endless_plugin_cannot_stall_the_server,
    plugins_list_and_reload_follow_the_folder,
    the_shipped_example_plugin_works,
    plugins_reload_of_an_unknown_plugin_changes_nothing,
    plugins_over_their_memory_budget_are_listed_with_the_reason_and_the_server_keeps_serving,
);
