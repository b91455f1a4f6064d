//! Random commands over a real socket (docs/design/testing.md#black-box-first): the owner
//! `boss` and the user `bob` send packets whose `cmd` is one of the handshake's
//! `capabilities` (or an unknown name) and whose fields, named as the commands name them,
//! hold values of every JSON type. For each packet, sent with a unique `listener` and
//! followed by a `ping` (so commands that answer nothing are waited for too):
//! - every packet either client receives is a JSON object with a string `cmd`;
//! - an `error` has exactly `cmd`, `src` (the request's `cmd`) and a non-empty `val`, plus
//!   the `listener` of the request it answers;
//! - no connection closes, except after the client's own `user_leave` or a ban notice;
//! - a command answered with an `error` or a `rate_limit` changed nothing the owner can see
//!   (channels, roles, users, bans, every text channel's messages).
//!
//! Each case runs on a fresh server. `PROPTEST_CASES` sets the number of cases (default 32).

use std::sync::atomic::{AtomicU64, Ordering};

use originchats_tests::{Backend, Client, TestServer};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use serde_json::{Map, Value, json};

/// Names that are not commands (`auth` is in the capabilities, and unknown once logged in).
const UNKNOWN: [&str; 5] = ["nope", "", "MESSAGE_NEW", "push_send", "emoji_fly"];

/// Field names the commands read.
const FIELDS: [&str; 36] = [
    "channel",
    "id",
    "content",
    "user",
    "roles",
    "name",
    "type",
    "position",
    "limit",
    "start",
    "offset",
    "emoji",
    "peer_id",
    "command",
    "args",
    "updates",
    "permissions",
    "timeout",
    "query",
    "reply_to",
    "ping",
    "pinned",
    "current_name",
    "description",
    "color",
    "hoisted",
    "invoker",
    "response",
    "ephemeral",
    "commands",
    "plugin",
    "validator",
    "options",
    "display_name",
    "size",
    "mention_roles",
];

/// Keys of nested objects: the fields, and the keys of permission maps and slash options.
const KEYS: [&str; 12] = [
    "name",
    "description",
    "type",
    "permissions",
    "view",
    "send",
    "delete",
    "pin",
    "react",
    "required",
    "choices",
    "options",
];

/// Strings that mean something to the server; `$m0` and `$m1` become the ids of the two
/// messages of the setup.
const WORDS: [&str; 27] = [
    "general",
    "lounge",
    "boss",
    "bob",
    "BOB",
    "USR:bob",
    "user",
    "admin",
    "moderator",
    "owner",
    "banned",
    "helper",
    "text",
    "voice",
    "separator",
    "roll",
    "int",
    "view",
    "send",
    "👍",
    "🎉",
    "$m0",
    "$m1",
    "@bob hi",
    "@&user",
    "mention_roles",
    "nowhere",
];

/// The fields each command reads (any other field may come too).
const READS: [(&str, &[&str]); 41] = [
    ("message_new", &["channel", "content", "reply_to", "ping"]),
    ("message_edit", &["id", "channel", "content"]),
    ("message_delete", &["id", "channel"]),
    ("typing", &["channel"]),
    ("messages_get", &["channel", "start", "limit"]),
    ("message_get", &["channel", "id"]),
    ("message_replies", &["channel", "id", "limit"]),
    ("messages_search", &["channel", "query"]),
    ("pings_get", &["limit", "offset"]),
    ("messages_pinned", &["channel"]),
    ("message_pin", &["channel", "id", "pinned"]),
    ("message_unpin", &["channel", "id"]),
    ("message_react_add", &["channel", "id", "emoji"]),
    ("message_react_remove", &["channel", "id", "emoji"]),
    ("user_ban", &["user"]),
    ("user_unban", &["user"]),
    ("user_timeout", &["user", "timeout"]),
    ("user_roles_add", &["user", "roles"]),
    ("user_roles_remove", &["user", "roles"]),
    ("user_roles_get", &["user"]),
    ("role_create", &["name", "description", "color", "permissions", "hoisted"]),
    ("role_update", &["name", "description", "color", "permissions", "hoisted"]),
    ("role_delete", &["name"]),
    ("role_permissions_set", &["name", "permissions"]),
    ("role_permissions_get", &["name"]),
    ("channel_create", &["name", "type", "description", "permissions", "size"]),
    ("channel_update", &["current_name", "updates"]),
    ("channel_move", &["name", "position"]),
    ("channel_delete", &["name"]),
    ("rate_limit_status", &["user"]),
    ("rate_limit_reset", &["user"]),
    ("plugins_reload", &["plugin"]),
    ("voice_join", &["channel", "peer_id"]),
    ("voice_leave", &["channel"]),
    ("voice_mute", &["channel"]),
    ("voice_unmute", &["channel"]),
    ("voice_state", &["channel"]),
    ("slash_register", &["commands"]),
    ("slash_call", &["channel", "command", "args"]),
    ("slash_response", &["channel", "invoker", "response", "command", "ephemeral"]),
    ("auth", &["validator"]),
];

/// A field: one the command reads (chosen once the command's name is known), or any.
#[derive(Debug, Clone)]
enum Field {
    Read(Index),
    Any(&'static str),
}

/// A value that makes sense for a field (chosen once the field's name is known), or any.
#[derive(Debug, Clone)]
enum Val {
    Plausible(Index),
    Any(Value),
}

/// Values a field would hold in a valid request (or nearly: an unknown name, a bad type).
fn plausible(field: &str) -> Vec<Value> {
    let some = match field {
        "channel" | "current_name" => json!(["general", "lounge", "GENERAL", "nowhere"]),
        "id" | "reply_to" => json!(["$m0", "$m1", "nope"]),
        "content" | "query" | "response" => json!(["hello @bob", "@&user hi", "  trimmed  ", "👍", "@boss"]),
        "user" | "invoker" => json!(["bob", "boss", "BOB", "USR:bob", "nobody"]),
        "roles" => json!([["admin"], ["moderator", "admin"], ["banned"], ["owner"], ["nope"], ["user"], [5, "admin"]]),
        "name" => json!(["helper", "admin", "user", "moderator", "lounge", "general", "news", "-- more --"]),
        "type" => json!(["text", "voice", "separator", "bogus"]),
        "position" | "limit" | "start" | "offset" | "timeout" | "size" => json!([0, 1, 5, 50, 300, -1, "$m0"]),
        "emoji" => json!(["👍", "🎉", "👍🏽", "x"]),
        "peer_id" => json!(["peer-1", "peer-2"]),
        "command" => json!(["roll", "nope"]),
        "args" => json!([{"sides": 6}, {}, {"sides": "six"}]),
        "updates" => {
            json!([{"name": "renamed"}, {"description": "d", "display_name": "D"}, {"permissions": {"view": ["user"]}},
            {"type": "voice"}, {"permissions": null}, {"name": "lounge"}])
        }
        "permissions" => {
            json!([{"view": ["user"], "send": ["user"]}, {"mention_roles": false}, {}, {"view": ["admin"]}])
        }
        "commands" => json!([[{"name": "roll", "description": "Roll", "options": [{"name": "sides", "description": "s",
            "type": "int", "required": false}]}], [{"name": "roll"}], [{"name": "echo", "description": "e", "ephemeral": true}]]),
        "description" | "display_name" => json!(["d", ""]),
        "color" => json!(["#FF0000", null]),
        "plugin" => json!(["welcome", "nope"]),
        "validator" => json!(["good:USR:carol:carol"]),
        _ => json!([true, false, null]),
    };
    let Value::Array(values) = some else { unreachable!() };
    values
}

#[derive(Debug, Clone)]
enum Cmd {
    Known(Index),
    Unknown(usize),
}

#[derive(Debug, Clone)]
struct Step {
    owner: bool,
    cmd: Cmd,
    fields: Vec<(Field, Val)>,
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => select(WORDS.to_vec()).prop_map(str::to_owned),
        1 => Just(String::new()),
        1 => Just("  \t ".to_owned()),
        2 => "\\PC{0,12}",
        1 => Just("é\u{200d}🎉ñ\u{0}\u{7}x/..\\".to_owned()),
        1 => (1usize..4).prop_map(|n| "long ".repeat(n * 300)),
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => (-3i64..300).prop_map(Value::from),
        2 => select(vec![i64::MIN, i64::MAX, -1, 0, 1, 1 << 53, -(1 << 40)]).prop_map(Value::from),
        1 => Just(json!(u64::MAX)),
        2 => select(vec![0.5, -0.0, 2.0, 1e300, -1e300, 1e-300, 299.9]).prop_map(Value::from),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        2 => number(),
        5 => text().prop_map(Value::String),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 16, 4, |inner| {
        let key = prop_oneof![select(FIELDS.to_vec()), select(KEYS.to_vec())].prop_map(str::to_owned);
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((key, inner), 0..4).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn step() -> impl Strategy<Value = Step> {
    let cmd = prop_oneof![
        12 => any::<Index>().prop_map(Cmd::Known),
        1 => (0..UNKNOWN.len()).prop_map(Cmd::Unknown),
    ];
    let field = prop_oneof![
        5 => any::<Index>().prop_map(Field::Read),
        1 => select(FIELDS.to_vec()).prop_map(Field::Any),
    ];
    // Mostly plausible values or scalars, so that commands get past their first check.
    let top = prop_oneof![
        6 => any::<Index>().prop_map(Val::Plausible),
        2 => leaf().prop_map(Val::Any),
        1 => value().prop_map(Val::Any),
    ];
    let fields = proptest::collection::vec((field, top), 0..8);
    (prop::bool::weighted(0.6), cmd, fields).prop_map(|(owner, cmd, fields)| Step { owner, cmd, fields })
}

/// A listener no other request uses.
fn tag(kind: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("{kind}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Checks the shape of any packet the server sent.
fn check_packet(v: &Value) {
    let Value::Object(fields) = v else { panic!("server sent a non-object: {v}") };
    assert!(matches!(fields.get("cmd"), Some(Value::String(_))), "packet without a string cmd: {v}");
    if let Some(listener) = fields.get("listener") {
        assert!(listener.is_string(), "non-string listener: {v}");
    }
    match v["cmd"].as_str().unwrap() {
        "error" => {
            let mut keys: Vec<&str> = fields.keys().map(String::as_str).filter(|k| *k != "listener").collect();
            keys.sort_unstable();
            assert_eq!(keys, ["cmd", "src", "val"], "error keys: {v}");
            assert!(v["src"].is_string(), "error src: {v}");
            assert!(v["val"].as_str().is_some_and(|t| !t.is_empty()), "error val: {v}");
        }
        "rate_limit" => {
            assert!(v["reason"].as_str().is_some_and(|t| !t.is_empty()), "rate_limit reason: {v}");
            assert!(v["length"].is_u64(), "rate_limit length: {v}");
        }
        _ => {}
    }
}

/// A packet that tells its connection it is about to be closed.
fn announces_close(v: &Value) -> bool {
    (v["cmd"] == "auth_error" && v["val"].as_str().is_some_and(|t| t.starts_with("Access denied: You are banned")))
        || (v["cmd"] == "user_leave" && v["val"] == "User left server")
}

/// One of the two users.
struct Conn {
    name: &'static str,
    client: Option<Client>,
    /// It was told that it will be closed.
    doomed: bool,
}

impl Conn {
    fn client(&mut self) -> &mut Client {
        self.client.as_mut().expect("connected")
    }

    /// Reads (and checks) packets until one carries `listener`; `false` when the connection
    /// ended first, which must have been announced.
    async fn until(&mut self, listener: &str, log: &dyn Fn() -> String) -> (Vec<Value>, bool) {
        let mut packets = vec![];
        loop {
            let Some(v) = self.client().recv_any().await else {
                assert!(
                    self.doomed,
                    "{}'s connection closed unannounced after {packets:?}; server log:\n{}",
                    self.name,
                    log()
                );
                self.client = None;
                return (packets, false);
            };
            check_packet(&v);
            // Deleting a user (oneself, say) tells everyone that they left, then closes their
            // connections.
            let deleted = (v["cmd"] == "user_delete" && v["deleted"] == true && v["user"] == self.name)
                || (v["cmd"] == "user_leave" && v["username"] == self.name);
            self.doomed |= announces_close(&v) || deleted;
            let hit = v["listener"] == listener;
            packets.push(v);
            if hit {
                return (packets, true);
            }
        }
    }

    /// Sends `request` with a fresh listener, then a `ping`; returns the packets that carry
    /// the request's listener, and whether the `pong` came (`false`: the connection ended).
    async fn send(&mut self, mut request: Value, log: &dyn Fn() -> String) -> (Vec<Value>, bool) {
        let (listener, ping) = (tag("req"), tag("ping"));
        request["listener"] = json!(listener);
        let ping_request = json!({"cmd": "ping", "listener": ping});
        let client = self.client();
        if !client.try_send(&request).await || !client.try_send(&ping_request).await {
            assert!(self.doomed, "{} could not send {request}", self.name);
        }
        let (packets, open) = self.until(&ping, log).await;
        (packets.into_iter().filter(|v| v["listener"] == listener.as_str()).collect(), open)
    }

    /// A request whose answer must come: the packet that carries its listener.
    async fn ask(&mut self, request: Value, log: &dyn Fn() -> String) -> Value {
        let listener = tag("ask");
        let mut request = request;
        request["listener"] = json!(listener);
        assert!(self.client().try_send(&request).await, "{} could not send {request}", self.name);
        let (mut packets, answered) = self.until(&listener, log).await;
        assert!(answered, "no answer to {request}");
        let mut answer = packets.pop().unwrap();
        answer.as_object_mut().unwrap().remove("listener");
        answer
    }

    /// A ping round trip, reading everything sent before it.
    async fn sync(&mut self, log: &dyn Fn() -> String) {
        if self.client.is_none() {
            return;
        }
        let listener = tag("sync");
        if !self.client().try_send(&json!({"cmd": "ping", "listener": listener})).await {
            assert!(self.doomed, "{}'s connection closed unannounced; server log:\n{}", self.name, log());
        }
        self.until(&listener, log).await;
    }
}

struct World<'a> {
    server: &'a TestServer,
    capabilities: Vec<String>,
    /// `boss` then `bob`.
    conns: [Conn; 2],
    /// Ids of the setup's messages (`$m0`, `$m1`).
    ids: [String; 2],
    /// What the owner sees, when nothing changed since it was taken.
    snapshot: Option<Vec<Value>>,
}

impl<'a> World<'a> {
    async fn new(server: &'a TestServer) -> Self {
        let conn = |name| Conn { name, client: None, doomed: false };
        let mut w = World {
            server,
            capabilities: vec![],
            conns: [conn("boss"), conn("bob")],
            ids: [String::new(), String::new()],
            snapshot: None,
        };
        w.ensure_connected().await;
        let caps = &w.conns[0].client().handshake["val"]["capabilities"];
        w.capabilities = caps.as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
        assert!(w.capabilities.iter().any(|c| c == "message_new"), "capabilities: {caps}");
        let log = || server.log();
        let lounge =
            json!({"cmd": "channel_create", "name": "lounge", "type": "voice", "permissions": {"view": ["user"]}});
        assert_eq!(w.conns[0].ask(lounge, &log).await["created"], true);
        let post = json!({"cmd": "message_new", "channel": "general", "content": "hello @bob"});
        let first = w.conns[0].ask(post, &log).await;
        w.ids[0] = first["message"]["id"].as_str().expect("posted").to_owned();
        let reply = json!({"cmd": "message_new", "channel": "general", "content": "hi", "reply_to": w.ids[0]});
        let second = w.conns[1].ask(reply, &log).await;
        w.ids[1] = second["message"]["id"].as_str().expect("replied").to_owned();
        w.conns[0].sync(&log).await;
        w
    }

    /// Logs in whichever user has no open connection (after its announced close), lifting
    /// a ban through the operator command line if the login is refused for it.
    async fn ensure_connected(&mut self) {
        let server = self.server;
        let log = || server.log();
        for conn in &mut self.conns {
            if conn.doomed {
                while let Some(c) = conn.client.as_mut() {
                    match c.recv_any().await {
                        Some(v) => check_packet(&v),
                        None => conn.client = None,
                    }
                }
            }
            if conn.client.is_some() {
                continue;
            }
            self.snapshot = None;
            let mut c = server.connect().await;
            let auth = json!({"cmd": "auth", "validator": format!("good:USR:{0}:{0}", conn.name)});
            let mut first = c.request(auth.clone()).await;
            if first["cmd"] == "auth_error" {
                assert_eq!(first["val"], "Access denied: You are banned from this server", "{}", conn.name);
                let (ok, out, err) = server.cli(&["user", "unban", conn.name]);
                assert!(ok, "unban {}: {out}{err}", conn.name);
                first = c.request(auth).await;
            }
            assert_eq!(first, json!({"cmd": "auth_success", "val": "Authentication successful"}), "{}", conn.name);
            assert_eq!(c.recv().await["cmd"], "ready");
            conn.client = Some(c);
            conn.doomed = false;
            conn.sync(&log).await;
        }
    }

    /// What the owner sees, or `None` when `boss` is not the owner (any more).
    async fn try_snapshot(&mut self) -> Option<Vec<Value>> {
        let server = self.server;
        let log = || server.log();
        let boss = &mut self.conns[0];
        let banned = boss.ask(json!({"cmd": "users_banned_list"}), &log).await;
        if banned["cmd"] == "error" {
            return None;
        }
        let channels = boss.ask(json!({"cmd": "channels_get"}), &log).await;
        let mut out = vec![
            banned,
            boss.ask(json!({"cmd": "roles_list"}), &log).await,
            boss.ask(json!({"cmd": "users_list"}), &log).await,
        ];
        for c in channels["val"].as_array().expect("channels").iter().filter(|c| c["type"] == "text") {
            out.push(boss.ask(json!({"cmd": "messages_get", "channel": c["name"], "limit": 200}), &log).await);
        }
        out.push(channels);
        Some(out)
    }

    /// The snapshot before a step; `boss` logs in again first if it lost `owner`.
    async fn snapshot_before(&mut self) -> Vec<Value> {
        if let Some(s) = &self.snapshot {
            return s.clone();
        }
        for _ in 0..3 {
            if let Some(s) = self.try_snapshot().await {
                self.snapshot = Some(s.clone());
                return s;
            }
            // A new login gives `boss` its `owner` role back (`auth.owners`).
            if let Some(c) = self.conns[0].client.take() {
                c.close().await;
            }
            self.ensure_connected().await;
        }
        panic!("boss did not get the owner role back by logging in again");
    }

    fn request(&self, step: &Step) -> Value {
        let cmd = match &step.cmd {
            Cmd::Known(i) => i.get(&self.capabilities).clone(),
            Cmd::Unknown(i) => UNKNOWN[*i].to_owned(),
        };
        let reads = READS.iter().find(|(c, _)| *c == cmd).map_or(&[][..], |(_, r)| *r);
        let mut fields = Map::new();
        for (field, value) in &step.fields {
            let name = match field {
                Field::Read(i) if !reads.is_empty() => i.get(reads),
                Field::Read(i) => i.get(&FIELDS),
                Field::Any(name) => name,
            };
            let value = match value {
                Val::Plausible(i) => i.get(&plausible(name)).clone(),
                Val::Any(v) => v.clone(),
            };
            fields.insert((*name).to_owned(), self.substitute(&value));
        }
        fields.insert("cmd".into(), Value::String(cmd));
        Value::Object(fields)
    }

    fn substitute(&self, v: &Value) -> Value {
        match v {
            Value::String(s) if s == "$m0" => json!(self.ids[0]),
            Value::String(s) if s == "$m1" => json!(self.ids[1]),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.substitute(x)).collect()),
            Value::Object(o) => Value::Object(o.iter().map(|(k, x)| (k.clone(), self.substitute(x))).collect()),
            other => other.clone(),
        }
    }

    async fn run(&mut self, step: &Step) {
        self.ensure_connected().await;
        let before = self.snapshot_before().await;
        let request = self.request(step);
        let server = self.server;
        let log = || server.log();
        let (actor, other) = if step.owner { (0, 1) } else { (1, 0) };
        let (answers, open) = self.conns[actor].send(request.clone(), &log).await;
        self.conns[other].sync(&log).await;
        let cmd = request["cmd"].as_str().unwrap();
        for a in &answers {
            if a["cmd"] == "error" {
                assert_eq!(a["src"], cmd, "error for {request}: {a}");
            }
        }
        let refused = answers.iter().any(|a| a["cmd"] == "error" || a["cmd"] == "rate_limit");
        if !refused {
            self.snapshot = None;
            return;
        }
        assert!(open, "{request} was refused, yet the connection closed");
        assert_eq!(answers.len(), 1, "a refusal is the only answer to {request}: {answers:?}");
        let after = self.try_snapshot().await;
        assert_eq!(after.as_ref(), Some(&before), "{request} was answered {} and changed something", answers[0]);
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(32)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_commands_keep_packets_well_formed_and_refusals_change_nothing(
        steps in proptest::collection::vec(step(), 1..=20),
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(async {
            let server = TestServer::start_with(Backend::Sqlite, json!({"auth": {"owners": ["boss"]}})).await;
            let mut world = World::new(&server).await;
            for step in &steps {
                world.run(step).await;
            }
        });
    }
}
