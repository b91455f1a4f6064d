//! Slash commands over a real socket, with one socket acting as a bot exactly the way the
//! chats.py SDK does: register on `ready`, answer `slash_call` with `slash_response`
//! (without `command`). docs/design/slash-commands.md, docs/design/permissions.md#view-first, docs/design/moderation.md#timeouts, docs/design/slash-commands.md.
//! The defences of responses: at most ten answers per call, none from a bot in timeout, a
//! rate-limit bucket of their own, automod screening (and no automod command run through
//! a bot's answer).

use originchats_tests::expect::{err, settle};
use originchats_tests::scenes::{start, start_with, start_with_files};
use originchats_tests::{Backend, Client, TestServer, backend_tests};
use serde_json::{Value, json};

/// A command as chats.py serialises it (`required` false, `choices` [] by default).
fn chats_py_command(name: &str, options: Value) -> Value {
    json!({"name": name, "description": format!("The {name} command"), "options": options,
           "whitelistRoles": [], "blacklistRoles": [], "ephemeral": false})
}

fn roll() -> Value {
    chats_py_command(
        "roll",
        json!([{"name": "sides", "type": "int", "description": "Sides", "required": false, "choices": []},
               {"name": "label", "type": "str", "description": "Label", "required": false, "choices": []}]),
    )
}

/// What `slash_add`/`slash_list` show for a registered command.
fn listed(command: &Value, by: &str) -> Value {
    let mut v = command.clone();
    v["registeredBy"] = json!(by);
    v
}

/// Logs a bot in and registers `commands` on `ready`, as chats.py does.
async fn bot(s: &TestServer, name: &str, commands: Value) -> Client {
    let mut c = s.connect().await;
    c.auth(&format!("good:USR:{name}:{name}")).await;
    c.send(json!({"cmd": "slash_register", "commands": commands})).await;
    loop {
        let p = c.recv().await;
        if p["cmd"] == "slash_register" {
            let n = commands.as_array().unwrap().len();
            assert_eq!(p, json!({"cmd": "slash_register", "val": format!("{n} commands registered successfully")}));
            break;
        }
    }
    c.sync().await;
    c
}

async fn a_bot_registers_is_called_and_answers_like_chats_py(b: Backend) {
    let s = start(b).await;
    let mut alice = s.login("alice").await;
    let mut bot = bot(&s, "dicebot", json!([roll()])).await;
    let add = alice.expect_cmd("slash_add").await;
    assert_eq!(add, json!({"cmd": "slash_add", "commands": [listed(&roll(), "dicebot")]}));
    settle(&mut [&mut alice]).await;
    let list = alice.request(json!({"cmd": "slash_list", "listener": "l"})).await;
    assert_eq!(list, json!({"cmd": "slash_list", "commands": [listed(&roll(), "dicebot")], "listener": "l"}));

    let call =
        json!({"cmd": "slash_call", "channel": "general", "command": "roll", "args": {"sides": 6}, "listener": "c"});
    assert_eq!(
        alice.request(call).await,
        json!({"cmd": "slash_call_sent", "val": "Command /roll invoked", "listener": "c"})
    );
    let routed = bot.recv().await;
    assert_eq!(
        routed,
        json!({"cmd": "slash_call", "val": {"command": "roll", "args": {"sides": 6}, "commander": "dicebot"},
               "invoker": "USR:alice", "invokerUsername": "alice", "channel": "general"})
    );
    // chats.py's ctx.respond(): no `command` field.
    bot.send(json!({"cmd": "slash_response", "response": " You rolled 4 ", "invoker": routed["invoker"],
                    "channel": "general", "ephemeral": false, "listener": "r"}))
        .await;
    let own = bot.recv().await;
    assert_eq!(own["listener"], "r");
    let seen = alice.recv().await;
    assert_eq!(seen["cmd"], "message_new");
    assert_eq!(seen["channel"], "general");
    assert_eq!(seen["global"], true);
    let m = &seen["message"];
    assert_eq!(m["user"], "dicebot");
    assert_eq!(m["content"], "You rolled 4");
    assert_eq!(m["interaction"], json!({"command": "roll", "username": "alice"}));
    let history = alice.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    assert_eq!(history["messages"][0]["interaction"], json!({"command": "roll", "username": "alice"}), "persisted");

    // A follow-up to the same call is allowed; a response to nobody's call is not.
    bot.send(json!({"cmd": "slash_response", "response": "again", "invoker": "USR:alice", "channel": "general"})).await;
    assert_eq!(bot.recv().await["message"]["content"], "again");
    assert_eq!(alice.recv().await["message"]["content"], "again");
    for forged in [
        json!({"cmd": "slash_response", "response": "x", "invoker": "USR:bob", "channel": "general"}),
        json!({"cmd": "slash_response", "response": "x", "invoker": "USR:alice", "channel": "random"}),
        json!({"cmd": "slash_response", "response": "x", "invoker": "USR:alice", "channel": "general", "command": "other"}),
    ] {
        assert_eq!(bot.request(forged).await, err("slash_response", "No pending slash command call to respond to"));
    }
    let forged = json!({"cmd": "slash_response", "response": "fake", "invoker": "USR:alice", "channel": "general", "command": "roll"});
    assert_eq!(
        alice.request(forged).await,
        err("slash_response", "No pending slash command call to respond to"),
        "only the bot that got the call may answer it"
    );
    assert!(alice.sync().await.is_empty());
}

async fn a_bot_that_leaves_takes_its_commands_and_tells_waiting_callers(b: Backend) {
    let s = start(b).await;
    let mut alice = s.login("alice").await;
    let mut bot = bot(&s, "dicebot", json!([roll()])).await;
    alice.sync().await;
    let call = json!({"cmd": "slash_call", "channel": "general", "command": "roll", "args": {}});
    assert_eq!(alice.request(call).await["cmd"], "slash_call_sent");
    assert_eq!(bot.recv().await["cmd"], "slash_call");
    bot.close().await;
    assert_eq!(alice.recv().await, json!({"cmd": "slash_remove", "commands": ["roll"]}));
    assert_eq!(alice.recv().await, err("slash_call", "The bot for this command disconnected"));
    assert_eq!(alice.recv().await, json!({"cmd": "user_disconnect", "username": "dicebot"}));
    assert_eq!(alice.request(json!({"cmd": "slash_list"})).await, json!({"cmd": "slash_list", "commands": []}));
    let call = json!({"cmd": "slash_call", "channel": "general", "command": "roll"});
    assert_eq!(alice.request(call).await, err("slash_call", "Unknown slash command: /roll"));
}

async fn registration_is_validated_and_all_or_nothing(b: Backend) {
    let s = start(b).await;
    let mut alice = s.login("alice").await;
    let mut bot = s.login("dicebot").await;
    alice.sync().await;
    let reg = |commands: Value| json!({"cmd": "slash_register", "commands": commands});
    for bad in [json!(null), json!([]), json!("roll"), json!({"name": "roll"})] {
        assert_eq!(bot.request(reg(bad)).await, err("slash_register", "Commands must be provided as a list"));
    }
    let bad_type = chats_py_command("x", json!([{"name": "n", "type": "text", "description": ""}]));
    assert_eq!(
        bot.request(reg(json!([roll(), bad_type]))).await,
        err(
            "slash_register",
            "Invalid command schema: 1 validation error for SlashCommand\noptions.0.type\n  Input should be 'str', 'int', 'bool', 'enum' or 'float'"
        )
    );
    let no_name = json!({"description": "d"});
    assert_eq!(
        bot.request(reg(json!([no_name]))).await,
        err("slash_register", "Invalid command schema: 1 validation error for SlashCommand\nname\n  Field required")
    );
    let enum_without_choices = chats_py_command("pick", json!([{"name": "c", "type": "enum", "description": ""}]));
    assert_eq!(
        bot.request(reg(json!([enum_without_choices]))).await["val"],
        "Invalid command schema: 1 validation error for SlashCommand\noptions.0\n  Value error, Enum options must define a non-empty 'choices' list"
    );
    assert!(alice.sync().await.is_empty(), "nothing was announced");
    assert_eq!(alice.request(json!({"cmd": "slash_list"})).await["commands"], json!([]), "nothing was registered");

    // A name another bot holds is refused.
    assert_eq!(bot.request(reg(json!([roll()]))).await["cmd"], "slash_add");
    bot.sync().await;
    let mut other = s.login("otherbot").await;
    bot.sync().await;
    assert_eq!(
        other.request(reg(json!([roll()]))).await,
        err("slash_register", "Slash command /roll is already registered")
    );
    // Registering again replaces the bot's own set.
    let flip = chats_py_command("flip", json!([]));
    bot.send(reg(json!([flip]))).await;
    assert_eq!(bot.recv().await, json!({"cmd": "slash_add", "commands": [listed(&flip, "dicebot")]}));
    assert_eq!(bot.recv().await["val"], "1 commands registered successfully");
    alice.sync().await;
    let names: Vec<Value> = alice.request(json!({"cmd": "slash_list"})).await["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].clone())
        .collect();
    assert_eq!(names, [json!("flip")]);
    // Another session of the same user may not register (the original's rule).
    let mut second = s.login("dicebot").await;
    assert_eq!(
        second.request(reg(json!([roll()]))).await,
        err("slash_register", "You already have slash commands registered from another session")
    );
}

async fn calls_are_checked_before_they_reach_the_bot(b: Backend) {
    let s = start(b).await;
    let mut boss = s.login("boss").await;
    let mut alice = s.login("alice").await;
    let color =
        json!({"name": "color", "type": "enum", "description": "", "required": true, "choices": ["red", "blue"]});
    let mut paint = chats_py_command("paint", json!([color, {"name": "n", "type": "int", "description": ""}]));
    paint["blacklistRoles"] = json!(["muted"]);
    let mut staff = chats_py_command("staff", json!([]));
    staff["whitelistRoles"] = json!(["admin", "moderator"]);
    let mut bot = bot(&s, "painter", json!([paint, staff])).await;
    let create = json!({"cmd": "channel_create", "name": "secret", "type": "text", "permissions": {"view": ["admin"], "send": ["admin"]}});
    boss.request(create).await;
    let readonly = json!({"cmd": "channel_create", "name": "news", "type": "text", "permissions": {"view": ["user"], "send": ["admin"]}});
    boss.request(readonly).await;
    boss.request(json!({"cmd": "role_create", "name": "muted"})).await;
    settle(&mut [&mut boss, &mut alice, &mut bot]).await;
    let call = |fields: Value| {
        let mut v =
            json!({"cmd": "slash_call", "channel": "general", "command": "paint", "args": {"color": "red", "n": 1}});
        for (k, x) in fields.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    for (fields, text) in [
        (json!({"channel": null}), "Channel parameter is required for slash commands"),
        (json!({"channel": "secret"}), "Access denied to this channel"),
        (json!({"channel": "nowhere"}), "Access denied to this channel"),
        (json!({"channel": "news"}), "You do not have permission to send messages in this channel"),
        (json!({"args": [1]}), "Command args must be an object"),
        (json!({"command": 5}), "Command name must be a string"),
        (json!({"command": "nope"}), "Unknown slash command: /nope"),
        (json!({"command": "staff", "args": {}}), "Access denied: 'admin' or 'moderator' role required"),
        (json!({"args": {"color": "red", "z": 1}}), "Unknown argument: z"),
        (json!({"args": {"n": 1}}), "Missing required argument: color"),
        (json!({"args": {"color": "red", "n": "1"}}), "Invalid type for argument 'n': expected int, got str"),
        (json!({"args": {"color": "red", "n": true}}), "Invalid type for argument 'n': expected int, got bool"),
        (
            json!({"args": {"color": "green", "n": 1}}),
            "Invalid value for argument 'color': expected one of [red, blue], got 'green'",
        ),
    ] {
        assert_eq!(alice.request(call(fields)).await, err("slash_call", text));
    }
    assert!(bot.sync().await.is_empty(), "no refused call reached the bot");
    boss.request(json!({"cmd": "user_roles_add", "user": "alice", "roles": ["muted", "moderator"]})).await;
    boss.sync().await;
    alice.sync().await;
    bot.sync().await;
    assert_eq!(alice.request(call(json!({}))).await, err("slash_call", "Access denied: forbidden roles"));
    assert_eq!(alice.request(call(json!({"command": "staff", "args": {}}))).await["cmd"], "slash_call_sent");
    assert_eq!(bot.recv().await["val"]["command"], "staff");

    // A timeout blocks slash calls (docs/design/moderation.md#timeouts).
    boss.request(json!({"cmd": "user_timeout", "user": "alice", "timeout": 60})).await;
    boss.sync().await;
    assert_eq!(alice.recv().await["reason"], "User timeout set");
    let blocked = alice.request(call(json!({"command": "staff", "args": {}}))).await;
    assert_eq!(blocked["cmd"], "rate_limit");
    assert!(blocked["reason"].as_str().unwrap().starts_with("You are in timeout for"));
    assert!(bot.sync().await.is_empty());
}

async fn responses_are_checked_and_ephemeral_ones_reach_only_the_caller(b: Backend) {
    let s = TestServer::start_with(b, json!({"limits": {"post_content": 20}})).await;
    let mut alice = s.login("alice").await;
    let mut bob = s.login("bob").await;
    let mut secret = chats_py_command("whisper", json!([]));
    secret["ephemeral"] = json!(true);
    let mut bot = bot(&s, "quietbot", json!([secret, roll()])).await;
    settle(&mut [&mut alice, &mut bob]).await;
    let respond = |fields: Value| {
        let mut v = json!({"cmd": "slash_response", "channel": "general", "response": "ok", "invoker": "USR:alice"});
        for (k, x) in fields.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    for (fields, text) in [
        (json!({"channel": ""}), "Channel parameter is required for slash commands"),
        (json!({"response": 5}), "Slash response must be a string"),
        (json!({"response": "   "}), "Slash response cannot be empty"),
        (json!({"command": 5}), "Command parameter is required for slash responses"),
        (json!({"response": "x".repeat(21)}), "Message too long. Maximum length is 20 characters"),
        (json!({}), "No pending slash command call to respond to"),
    ] {
        assert_eq!(bot.request(respond(fields)).await, err("slash_response", text));
    }
    alice.request(json!({"cmd": "slash_call", "channel": "general", "command": "whisper"})).await;
    assert_eq!(bot.recv().await["val"]["command"], "whisper");
    bot.send(respond(json!({"response": "only you"}))).await;
    let private = alice.recv().await;
    assert_eq!(private["message"]["content"], "only you");
    assert_eq!(private["message"]["interaction"], json!({"command": "whisper", "username": "alice"}));
    assert!(bob.sync().await.is_empty(), "an ephemeral answer reaches only the caller");
    let history = bob.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    assert_eq!(history["messages"], json!([]), "and is not stored");
    // The request's own flag wins over the command's.
    alice.request(json!({"cmd": "slash_call", "channel": "general", "command": "roll"})).await;
    bot.recv().await;
    bot.send(respond(json!({"response": "kept private", "ephemeral": true}))).await;
    assert_eq!(alice.recv().await["message"]["content"], "kept private");
    assert!(bob.sync().await.is_empty());
}

/// A `slash_response` of `bot` to alice's call in general.
fn answer(response: &str) -> Value {
    json!({"cmd": "slash_response", "response": response, "invoker": "USR:alice", "channel": "general"})
}

/// Alice calls /roll in general and `bot` receives the call.
async fn call_roll(alice: &mut Client, bot: &mut Client) {
    let call = json!({"cmd": "slash_call", "channel": "general", "command": "roll", "args": {}});
    assert_eq!(alice.request(call).await, json!({"cmd": "slash_call_sent", "val": "Command /roll invoked"}));
    assert_eq!(bot.recv().await["val"]["command"], "roll");
}

async fn a_call_takes_at_most_ten_answers(b: Backend) {
    let s = start(b).await;
    let mut alice = s.login("alice").await;
    let mut bot = bot(&s, "dicebot", json!([roll()])).await;
    settle(&mut [&mut alice]).await;
    call_roll(&mut alice, &mut bot).await;
    for n in 1..=10 {
        let text = format!("answer {n}");
        assert_eq!(bot.request(answer(&text)).await["message"]["content"], text);
        assert_eq!(alice.recv().await["message"]["content"], text);
    }
    assert_eq!(
        bot.request(answer("answer 11")).await,
        err("slash_response", "No pending slash command call to respond to")
    );
    assert!(alice.sync().await.is_empty(), "the eleventh answer went nowhere");
    let history = alice.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    assert_eq!(history["messages"].as_array().unwrap().len(), 10, "ten answers stored");
    // A new call may be answered again.
    call_roll(&mut alice, &mut bot).await;
    assert_eq!(bot.request(answer("fresh")).await["message"]["content"], "fresh");
}

async fn a_bot_in_timeout_cannot_answer(b: Backend) {
    let s = start(b).await;
    let mut boss = s.login("boss").await;
    let mut alice = s.login("alice").await;
    let mut bot = bot(&s, "dicebot", json!([roll()])).await;
    settle(&mut [&mut boss, &mut alice]).await;
    call_roll(&mut alice, &mut bot).await;
    let timeout = boss.request(json!({"cmd": "user_timeout", "user": "dicebot", "timeout": 60})).await;
    assert_eq!(timeout, json!({"cmd": "user_timeout", "user": "dicebot", "timeout": 60}));
    assert_eq!(bot.recv().await, json!({"cmd": "rate_limit", "reason": "User timeout set", "length": 60000}));
    settle(&mut [&mut boss, &mut alice]).await;
    let mut late = answer("too late");
    late["listener"] = json!("t");
    let blocked = bot.request(late).await;
    let mut keys: Vec<&str> = blocked.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["cmd", "length", "listener", "reason"], "{blocked}");
    assert_eq!((&blocked["cmd"], &blocked["listener"]), (&json!("rate_limit"), &json!("t")));
    assert!(blocked["reason"].as_str().unwrap().starts_with("You are in timeout for "), "{blocked}");
    assert!(alice.sync().await.is_empty(), "nothing was broadcast");
    assert!(boss.sync().await.is_empty(), "nothing was broadcast");
    let history = alice.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    assert_eq!(history["messages"], json!([]), "nothing was stored");
}

async fn slash_responses_draw_on_a_bucket_of_their_own(b: Backend) {
    let limits = json!({"rate_limiting": {"enabled": true, "messages_per_minute": 1000, "burst_limit": 3,
        "burst_window_seconds": 10, "cooldown_seconds": 5}});
    let s = start_with(b, limits).await;
    let mut alice = s.login("alice").await;
    let mut bot = bot(&s, "dicebot", json!([roll()])).await;
    settle(&mut [&mut alice]).await;
    call_roll(&mut alice, &mut bot).await;
    for n in 1..=3 {
        let text = format!("answer {n}");
        assert_eq!(bot.request(answer(&text)).await["message"]["content"], text);
        assert_eq!(alice.recv().await["message"]["content"], text);
    }
    assert_eq!(
        bot.request(answer("answer 4")).await,
        json!({"cmd": "rate_limit", "reason": "Burst limit exceeded. You're in cooldown for 5 seconds", "length": 5000})
    );
    assert!(alice.sync().await.is_empty(), "the limited answer went nowhere");
    // The bot's own messages draw on another bucket.
    let own = bot.request(json!({"cmd": "message_new", "channel": "general", "content": "my own"})).await;
    assert_eq!((&own["cmd"], &own["message"]["content"]), (&json!("message_new"), &json!("my own")), "{own}");
    alice.sync().await;
    let history = alice.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    let contents: Vec<&Value> = history["messages"].as_array().unwrap().iter().map(|m| &m["content"]).collect();
    assert_eq!(contents, ["answer 1", "answer 2", "answer 3", "my own"]);
}

async fn automod_screens_slash_responses(b: Backend) {
    let config = r#"{"blocked_words": ["darn"], "timeout_duration": 120}"#;
    let s =
        start_with_files(b, json!({"plugins": {"enabled": ["automod"]}}), &[("plugins/automod_config.json", config)])
            .await;
    let mut alice = s.login("alice").await;
    let mut bot = bot(&s, "dicebot", json!([roll()])).await;
    settle(&mut [&mut alice]).await;
    call_roll(&mut alice, &mut bot).await;
    let mut bad = answer("oh DARN");
    bad["listener"] = json!("r");
    bot.send(bad).await;
    let notice = "dicebot was automatically timed out for violating chat rules.";
    let seen = bot.recv().await;
    assert_eq!((&seen["message"]["user"], &seen["message"]["content"]), (&json!("AutoMod"), &json!(notice)), "{seen}");
    assert_eq!(
        bot.recv().await,
        json!({"cmd": "rate_limit", "reason": "Automoderation: Message contains blocked words", "length": 120000, "listener": "r"})
    );
    assert_eq!(alice.recv().await, seen, "alice sees the notice");
    assert!(alice.sync().await.is_empty(), "and not the answer");
    let history = alice.request(json!({"cmd": "messages_get", "channel": "general"})).await;
    let stored: Vec<(&Value, &Value)> =
        history["messages"].as_array().unwrap().iter().map(|m| (&m["user"], &m["content"])).collect();
    assert_eq!(stored, [(&json!("AutoMod"), &json!(notice))], "only the notice was stored");
}

async fn an_admin_bot_cannot_be_made_to_run_automod_commands(b: Backend) {
    let config = r#"{"blocked_words": ["darn"], "timeout_duration": 120}"#;
    let s =
        start_with_files(b, json!({"plugins": {"enabled": ["automod"]}}), &[("plugins/automod_config.json", config)])
            .await;
    let mut boss = s.login("boss").await;
    let mut alice = s.login("alice").await;
    let say = chats_py_command(
        "say",
        json!([{"name": "text", "type": "str", "description": "", "required": true, "choices": []}]),
    );
    let mut bot = bot(&s, "echobot", json!([say])).await;
    settle(&mut [&mut boss]).await;
    let grant = boss.request(json!({"cmd": "user_roles_add", "user": "echobot", "roles": ["admin"]})).await;
    assert_eq!(grant["cmd"], "user_roles_add", "{grant}");
    settle(&mut [&mut boss, &mut alice, &mut bot]).await;
    // Alice, no admin, has the admin bot repeat an automod command, as an echo bot would.
    let call = json!({"cmd": "slash_call", "channel": "general", "command": "say", "args": {"text": "!automod clear"}});
    assert_eq!(alice.request(call).await["cmd"], "slash_call_sent");
    let routed = bot.recv().await;
    let text = routed["val"]["args"]["text"].as_str().unwrap();
    let echoed = bot
        .request(json!({"cmd": "slash_response", "response": text, "invoker": "USR:alice", "channel": "general"}))
        .await;
    assert_eq!(echoed["message"]["content"], "!automod clear", "{echoed}");
    bot.sync().await;
    let seen = alice.sync().await;
    let authors: Vec<&Value> = seen.iter().map(|p| &p["message"]["user"]).collect();
    assert_eq!(authors, [&json!("echobot")], "automod did not answer a command: {seen:?}");
    let saved: Value =
        serde_json::from_slice(&std::fs::read(s.path().join("plugins/automod_config.json")).unwrap()).unwrap();
    assert_eq!(saved["blocked_words"], json!(["darn"]), "the list was not cleared");
    alice.send(json!({"cmd": "message_new", "channel": "general", "content": "darn"})).await;
    assert_eq!(alice.expect_cmd("rate_limit").await["reason"], "Automoderation: Message contains blocked words");
}

backend_tests!(
    a_bot_registers_is_called_and_answers_like_chats_py,
    a_bot_that_leaves_takes_its_commands_and_tells_waiting_callers,
    registration_is_validated_and_all_or_nothing,
    calls_are_checked_before_they_reach_the_bot,
    responses_are_checked_and_ephemeral_ones_reach_only_the_caller,
    a_call_takes_at_most_ten_answers,
    a_bot_in_timeout_cannot_answer,
    slash_responses_draw_on_a_bucket_of_their_own,
    automod_screens_slash_responses,
    an_admin_bot_cannot_be_made_to_run_automod_commands,
);
