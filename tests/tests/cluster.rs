//! Three nodes of one cluster on this machine (docs/scaling.md, docs/design/cluster.md):
//! clients spread over the nodes see exactly the packets one node would send them —
//! messages, edits, deletes, reactions, typing, presence, bans, role and channel changes —
//! and a node killed with SIGKILL loses no acknowledged message and its users are
//! announced gone by the others. Every node shares one fresh PostgreSQL database and NATS,
//! under a cluster name of its own. The tests need PostgreSQL (skipped without
//! `ORIGINCHATS_TEST_POSTGRES_URL`) and NATS with JetStream (`ORIGINCHATS_TEST_NATS_URL`,
//! else 127.0.0.1:4222).

use std::time::{Duration, Instant};

use originchats_tests::cluster::{TestCluster, nats_url};
use originchats_tests::expect::next_cmd;
use originchats_tests::http::http;
use originchats_tests::server::run_to_end;
use originchats_tests::{Backend, Client, TestServer, cluster_tests};
use serde_json::{Value, json};

/// Packets that logins and list pushes may interleave with what a test waits for.
const BACKGROUND: [&str; 6] =
    ["users_list", "channels_get", "roles_list", "user_connect", "user_join", "user_disconnect"];

/// Reads up to the `message_new` whose content is `marker`, returning what came before it,
/// presence and list pushes left out. Events of one node reach every other node in order,
/// so a marker posted after an action proves the action's packets (or their absence) were
/// delivered first.
async fn before_marker(c: &mut Client, marker: &str) -> Vec<Value> {
    let mut seen = vec![];
    loop {
        let v = c.recv().await;
        if v["cmd"] == "message_new" && v["message"]["content"] == marker {
            return seen;
        }
        if !BACKGROUND.contains(&v["cmd"].as_str().unwrap_or("")) {
            seen.push(v);
        }
    }
}

/// Sends `request` with a listener of its own and returns the answer (the packet that
/// carries that listener, without it); packets of other clients' doings are skipped.
async fn ask(c: &mut Client, mut request: Value) -> Value {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let tag = format!("q{}", NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    request["listener"] = json!(tag);
    c.send(request).await;
    loop {
        let mut v = c.recv().await;
        if v["listener"] == tag.as_str() {
            v.as_object_mut().unwrap().remove("listener");
            return v;
        }
    }
}

/// Reads packets until one with `cmd`, skipping background packets and `message_new`.
async fn skip_to(c: &mut Client, cmd: &str) -> Value {
    loop {
        let v = c.recv().await;
        if v["cmd"] == cmd {
            return v;
        }
        let skippable = BACKGROUND.contains(&v["cmd"].as_str().unwrap_or("")) || v["cmd"] == "message_new";
        assert!(skippable, "unexpected packet before {cmd}: {v}");
    }
}

/// Posts `marker` in general from `from` and reads past it on every client in `all`.
async fn barrier(from: &mut Client, all: &mut [&mut Client], marker: &str) -> Vec<Vec<Value>> {
    let own = ask(from, json!({"cmd": "message_new", "channel": "general", "content": marker})).await;
    assert_eq!(own["cmd"], "message_new", "{own}");
    let mut out = vec![];
    for c in all.iter_mut() {
        out.push(before_marker(c, marker).await);
    }
    out
}

/// Waits until `c` has seen `user_connect` for each of `names` (in any order), skipping
/// other background packets.
async fn connected(c: &mut Client, names: &[&str]) {
    let mut missing: Vec<&str> = names.to_vec();
    while !missing.is_empty() {
        let v = c.recv().await;
        if v["cmd"] == "user_connect" {
            let name = v["user"]["username"].as_str().unwrap_or_default().to_owned();
            missing.retain(|n| *n != name);
        } else {
            assert!(BACKGROUND.contains(&v["cmd"].as_str().unwrap_or("")), "unexpected {v}");
        }
    }
}

async fn messages_edits_deletes_and_reactions_cross_nodes() {
    let Some(cl) = TestCluster::start(3).await else { return };
    let mut boss = cl.login(0, "boss").await;
    let mut dave = cl.login(0, "dave").await;
    let mut alice = cl.login(1, "alice").await;
    let mut carol = cl.login(2, "carol").await;
    connected(&mut boss, &["alice", "carol"]).await;
    let sent = ask(&mut alice, json!({"cmd": "message_new", "channel": "general", "content": "hello"})).await;
    assert_eq!(sent["cmd"], "message_new");
    let shared = sent.clone();
    for c in [&mut boss, &mut dave, &mut carol] {
        assert_eq!(next_cmd(c, "message_new").await, shared, "every node delivers the same packet");
    }
    let id = sent["message"]["id"].clone();
    let edit =
        ask(&mut alice, json!({"cmd": "message_edit", "channel": "general", "id": id, "content": "edited"})).await;
    assert_eq!(edit["cmd"], "message_edit", "{edit}");
    for c in [&mut boss, &mut dave, &mut carol] {
        assert_eq!(next_cmd(c, "message_edit").await, edit);
    }
    let react = json!({"cmd": "message_react_add", "channel": "general", "id": id, "emoji": "👍"});
    let reacted = ask(&mut carol, react).await;
    assert_eq!(reacted["cmd"], "message_react_add", "{reacted}");
    for c in [&mut boss, &mut dave, &mut alice] {
        assert_eq!(next_cmd(c, "message_react_add").await, reacted);
    }
    // History read on another node shows the edit and the reaction (no stale cache).
    let page = ask(&mut boss, json!({"cmd": "messages_get", "channel": "general"})).await;
    let last = page["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["content"], "edited", "{page}");
    assert_eq!(last["reactions"], json!({"👍": ["carol"]}), "{page}");
    let deleted = ask(&mut alice, json!({"cmd": "message_delete", "channel": "general", "id": id})).await;
    assert_eq!(deleted["cmd"], "message_delete", "{deleted}");
    for c in [&mut boss, &mut dave, &mut carol] {
        assert_eq!(next_cmd(c, "message_delete").await, deleted);
    }
    let page = ask(&mut carol, json!({"cmd": "messages_get", "channel": "general"})).await;
    assert!(!page.to_string().contains(&id.as_str().unwrap().to_string()), "deleted everywhere: {page}");
    // Typing crosses nodes too, to the channel's viewers only.
    let typing = ask(&mut dave, json!({"cmd": "typing", "channel": "general"})).await;
    assert_eq!(typing["cmd"], "typing");
    for c in [&mut boss, &mut alice, &mut carol] {
        assert_eq!(next_cmd(c, "typing").await, typing);
    }
}

async fn channel_and_role_changes_reach_every_node() {
    let Some(cl) = TestCluster::start(3).await else { return };
    let mut boss = cl.login(0, "boss").await;
    let mut alice = cl.login(1, "alice").await;
    let mut carol = cl.login(2, "carol").await;
    connected(&mut boss, &["alice", "carol"]).await;
    let create = json!({"cmd": "channel_create", "name": "staff", "type": "text",
        "permissions": {"view": ["admin"], "send": ["admin"]}});
    assert_eq!(ask(&mut boss, create).await["cmd"], "channel_create");
    for c in [&mut alice, &mut carol] {
        let list = next_cmd(c, "channels_get").await;
        assert!(!list.to_string().contains("\"staff\""), "a hidden channel is not listed: {list}");
    }
    let secret = ask(&mut boss, json!({"cmd": "message_new", "channel": "staff", "content": "secret"})).await;
    assert_eq!(secret["cmd"], "message_new");
    for seen in barrier(&mut boss, &mut [&mut alice, &mut carol], "after secret").await {
        assert!(seen.is_empty(), "nobody without the role sees the staff channel: {seen:?}");
    }
    let granted = ask(&mut boss, json!({"cmd": "user_roles_add", "user": "carol", "roles": ["admin"]})).await;
    assert_eq!(granted["cmd"], "user_roles_add", "{granted}");
    let list = loop {
        let v = next_cmd(&mut carol, "channels_get").await;
        if v.to_string().contains("\"staff\"") {
            break v;
        }
    };
    assert!(list.to_string().contains("\"staff\""));
    let second = ask(&mut boss, json!({"cmd": "message_new", "channel": "staff", "content": "for admins"})).await;
    assert_eq!(next_cmd(&mut carol, "message_new").await["message"], second["message"]);
    let seen = barrier(&mut boss, &mut [&mut alice], "after admins").await;
    assert!(seen[0].is_empty(), "alice still may not view staff: {:?}", seen[0]);
    // Carol's node checks her new role when she posts there.
    let hers = ask(&mut carol, json!({"cmd": "message_new", "channel": "staff", "content": "mine"})).await;
    assert_eq!(hers["cmd"], "message_new", "{hers}");
    assert_eq!(next_cmd(&mut boss, "message_new").await["message"]["content"], "mine");
}

async fn presence_counts_users_once_across_nodes() {
    let Some(cl) = TestCluster::start(3).await else { return };
    let mut boss = cl.login(0, "boss").await;
    let mut bob = cl.login(1, "bob").await;
    let mut watcher = cl.login(2, "watcher").await;
    connected(&mut boss, &["bob", "watcher"]).await;
    let a1 = cl.login(1, "alice").await;
    connected(&mut boss, &["alice"]).await;
    let a2 = cl.login(2, "alice").await;
    // A second connection, on another node, is no news.
    ask(&mut watcher, json!({"cmd": "message_new", "channel": "general", "content": "after a2"})).await;
    loop {
        let v = boss.recv().await;
        if v["message"]["content"] == "after a2" {
            break;
        }
        assert_ne!(v["cmd"], "user_connect", "alice connected once already: {v}");
    }
    let online = ask(&mut watcher, json!({"cmd": "users_online"})).await;
    let mut names: Vec<&str> =
        online["users"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(names, ["alice", "bob", "boss", "watcher"], "one entry per user, whatever the node: {online}");
    a1.close().await;
    a2.close().await;
    let gone = next_cmd(&mut boss, "user_disconnect").await;
    assert_eq!(gone, json!({"cmd": "user_disconnect", "username": "alice"}));
    let gone = next_cmd(&mut watcher, "user_disconnect").await;
    assert_eq!(gone, json!({"cmd": "user_disconnect", "username": "alice"}));
    // Only one disconnect: markers from both nodes alice was on come after nothing else.
    for from in [&mut bob, &mut watcher] {
        let marker = format!(
            "after close {}",
            from.ready.as_ref().map(|r| r["user"]["username"].to_string()).unwrap_or_default()
        );
        ask(from, json!({"cmd": "message_new", "channel": "general", "content": marker})).await;
        loop {
            let v = boss.recv().await;
            if v["message"]["content"] == marker.as_str() {
                break;
            }
            assert_ne!(v["cmd"], "user_disconnect", "alice disconnected once: {v}");
        }
    }
    let online = ask(&mut boss, json!({"cmd": "users_online"})).await;
    assert!(!online.to_string().contains("alice"), "{online}");
}

async fn a_ban_closes_every_connection_on_every_node() {
    let Some(cl) = TestCluster::start(3).await else { return };
    let mut boss = cl.login(0, "boss").await;
    let mut m1 = cl.login(1, "mallory").await;
    let mut m2 = cl.login(2, "mallory").await;
    connected(&mut boss, &["mallory"]).await;
    let started = Instant::now();
    let banned = ask(&mut boss, json!({"cmd": "user_ban", "user": "mallory"})).await;
    assert_eq!(banned, json!({"cmd": "user_ban", "user": "mallory", "banned": true}));
    for m in [&mut m1, &mut m2] {
        let notice = next_cmd(m, "auth_error").await;
        assert_eq!(notice, json!({"cmd": "auth_error", "val": "Access denied: You are banned from this server"}));
        assert_eq!(m.close_frame().await, Some((1008, "banned".into())));
    }
    assert!(started.elapsed() < Duration::from_secs(1), "closed within a second: {:?}", started.elapsed());
    let gone = next_cmd(&mut boss, "user_disconnect").await;
    assert_eq!(gone, json!({"cmd": "user_disconnect", "username": "mallory"}));
    let mut again = cl.nodes[2].connect().await;
    let refused = again.request(json!({"cmd": "auth", "validator": "good:USR:mallory:mallory"})).await;
    assert_eq!(refused, json!({"cmd": "auth_error", "val": "Access denied: You are banned from this server"}));
}

async fn a_killed_node_loses_no_acknowledged_message_and_its_users_go() {
    let Some(mut cl) = TestCluster::start(3).await else { return };
    let mut boss = cl.login(0, "boss").await;
    let mut alice = cl.login(1, "alice").await;
    let mut carol = cl.login(2, "carol").await;
    connected(&mut boss, &["alice", "carol"]).await;
    connected(&mut alice, &["carol"]).await;
    // Carol posts as fast as she can; every acknowledged message must survive the kill.
    let mut acked = vec![];
    for i in 0..40 {
        let r = ask(&mut carol, json!({"cmd": "message_new", "channel": "general", "content": format!("m{i}")})).await;
        assert_eq!(r["cmd"], "message_new");
        acked.push(r["message"]["id"].as_str().unwrap().to_owned());
    }
    carol.send(json!({"cmd": "message_new", "channel": "general", "content": "in flight"})).await;
    cl.nodes[2].kill();
    let killed = Instant::now();
    let gone = skip_to(&mut boss, "user_disconnect").await;
    assert_eq!(gone, json!({"cmd": "user_disconnect", "username": "carol"}));
    assert!(killed.elapsed() < Duration::from_secs(30), "announced within 30 s: {:?}", killed.elapsed());
    let gone = skip_to(&mut alice, "user_disconnect").await;
    assert_eq!(gone, json!({"cmd": "user_disconnect", "username": "carol"}), "announced once, to everyone");
    for seen in barrier(&mut boss, &mut [&mut alice], "after the kill").await {
        assert!(seen.iter().all(|v| v["cmd"] == "message_new"), "{seen:?}");
    }
    let page = ask(&mut alice, json!({"cmd": "messages_get", "channel": "general", "limit": 100})).await;
    let stored: Vec<&str> = page["messages"].as_array().unwrap().iter().filter_map(|m| m["id"].as_str()).collect();
    for id in &acked {
        assert!(stored.contains(&id.as_str()), "acknowledged message {id} lost");
    }
    let online = ask(&mut alice, json!({"cmd": "users_online"})).await;
    assert!(!online.to_string().contains("carol"), "{online}");
}

async fn a_cluster_needs_postgres_and_nats_and_unique_node_ids() {
    // SQLite with cluster.nats_url: refused, naming PostgreSQL.
    let dir = tempfile::tempdir().unwrap();
    let config = json!({"storage": {"url": "sqlite://x.db"}, "cluster": {"nats_url": nats_url()}});
    std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
    let (ok, _, err) = run_to_end(dir.path(), &[]);
    assert!(!ok, "a SQLite cluster node must not start");
    assert!(err.contains("PostgreSQL"), "{err}");
    // A second node with a live node's id: refused.
    let Some(cl) = TestCluster::start(1).await else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut config = cl.node_config("node0", &json!({"websocket": {"host": "127.0.0.1", "port": 0}}));
    config["storage"] = json!({"url": cl.storage_url()});
    std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
    let (ok, _, err) = run_to_end(dir.path(), &[]);
    assert!(!ok, "a duplicate node id must be refused");
    assert!(err.contains("node_id") && err.contains("in use"), "{err}");
    // NATS unreachable: retried, then a clear failure.
    let dir = tempfile::tempdir().unwrap();
    let mut config = cl.node_config("lonely", &json!({"websocket": {"host": "127.0.0.1", "port": 0}}));
    config["storage"] = json!({"url": cl.storage_url()});
    config["cluster"]["nats_url"] = json!("nats://127.0.0.1:1");
    std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
    let started = Instant::now();
    let (ok, _, err) = tokio::task::spawn_blocking({
        let path = dir.path().to_owned();
        move || run_to_end(&path, &[])
    })
    .await
    .unwrap();
    assert!(!ok);
    assert!(err.contains("NATS unreachable"), "{err}");
    assert!(started.elapsed() >= Duration::from_secs(25), "retried for about 30 s: {:?}", started.elapsed());
}

async fn rate_limits_and_timeouts_hold_across_nodes() {
    let limits =
        json!({"rate_limiting": {"enabled": true, "messages_per_minute": 5, "burst_limit": 2, "cooldown_seconds": 30}});
    let Some(cl) = TestCluster::start_with(3, limits).await else { return };
    let mut boss = cl.login(0, "boss").await;
    let mut b1 = cl.login(1, "bob").await;
    let mut b2 = cl.login(2, "bob").await;
    connected(&mut boss, &["bob"]).await;
    // Two messages from node 1; node 2 has seen them (its limiter heard first) ...
    for i in 0..2 {
        let sent = ask(&mut b1, json!({"cmd": "message_new", "channel": "general", "content": format!("b{i}")})).await;
        assert_eq!(sent["cmd"], "message_new");
        assert_eq!(next_cmd(&mut b2, "message_new").await, sent);
    }
    // ... so the third, on node 2, is over the burst limit, with the same packet one node sends.
    let limited = ask(&mut b2, json!({"cmd": "message_new", "channel": "general", "content": "b2"})).await;
    assert_eq!(
        limited,
        json!({"cmd": "rate_limit", "reason": "Burst limit exceeded. You're in cooldown for 30 seconds", "length": 30000})
    );
    let status = ask(&mut boss, json!({"cmd": "rate_limit_status", "user": "bob"})).await;
    assert_eq!(status["status"]["messages_this_minute"], 2, "{status}");
    // A reset on node 0 frees bob on every node.
    let reset = ask(&mut boss, json!({"cmd": "rate_limit_reset", "user": "bob"})).await;
    assert_eq!(reset["cmd"], "rate_limit_reset", "{reset}");
    let marker = ask(&mut boss, json!({"cmd": "message_new", "channel": "general", "content": "reset done"})).await;
    assert_eq!(before_marker(&mut b2, "reset done").await.len(), 0, "{marker}");
    let sent = ask(&mut b2, json!({"cmd": "message_new", "channel": "general", "content": "free"})).await;
    assert_eq!(sent["cmd"], "message_new", "{sent}");
    // A timeout set on node 0 holds on node 1 at once.
    let t = ask(&mut boss, json!({"cmd": "user_timeout", "user": "bob", "timeout": 300})).await;
    assert_eq!(t, json!({"cmd": "user_timeout", "user": "bob", "timeout": 300}));
    for b in [&mut b1, &mut b2] {
        assert_eq!(
            skip_to(b, "rate_limit").await,
            json!({"cmd": "rate_limit", "reason": "User timeout set", "length": 300000})
        );
    }
    let blocked = ask(&mut b1, json!({"cmd": "message_new", "channel": "general", "content": "no"})).await;
    assert_eq!(blocked["cmd"], "rate_limit", "{blocked}");
    assert!(blocked["reason"].as_str().unwrap().starts_with("You are in timeout for "), "{blocked}");
}

/// A process killed when dropped, so that a failing test leaves nothing behind.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A NATS server of this test's own, on a free port, with JetStream storing in `store`.
fn private_nats(port: u16, store: &std::path::Path) -> Killed {
    Killed(
        std::process::Command::new("nats-server")
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(store)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("nats-server (apt-get install nats-server)"),
    )
}

/// Waits (at most `within`) until `server`'s log contains `text`.
async fn log_shows(server: &TestServer, text: &str, within: Duration) {
    let deadline = Instant::now() + within;
    while !server.log().contains(text) {
        assert!(Instant::now() < deadline, "the log never showed {text:?}:\n{}", server.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_node_that_loses_nats_reconnects_and_resynchronises() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let store = tempfile::tempdir().unwrap();
    let nats = private_nats(port, store.path());
    let url = format!("nats://127.0.0.1:{port}");
    let up = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(up.elapsed() < Duration::from_secs(10), "the private NATS server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let Some(cl) = TestCluster::start_with(2, json!({"cluster": {"nats_url": url}})).await else { return };
    let mut boss = cl.login(0, "boss").await;
    let mut alice = cl.login(1, "alice").await;
    connected(&mut boss, &["alice"]).await;
    drop(nats);
    for node in &cl.nodes {
        log_shows(node, "lost the connection to NATS", Duration::from_secs(10)).await;
    }
    let _nats = private_nats(port, store.path());
    for node in &cl.nodes {
        log_shows(node, "reconnected to NATS; resynchronising", Duration::from_secs(20)).await;
        log_shows(node, "resynchronised with the cluster", Duration::from_secs(10)).await;
    }
    // Events cross again, without a restart.
    let sent = ask(&mut alice, json!({"cmd": "message_new", "channel": "general", "content": "back"})).await;
    assert_eq!(next_cmd(&mut boss, "message_new").await, sent);
    let sent = ask(&mut boss, json!({"cmd": "message_new", "channel": "general", "content": "again"})).await;
    assert_eq!(next_cmd(&mut alice, "message_new").await, sent);
}

fn who(name: &str, muted: bool, peer: Option<&str>) -> Value {
    let mut v = json!({"id": format!("USR:{name}"), "username": name, "muted": muted});
    if let Some(p) = peer {
        v["peer_id"] = json!(p);
    }
    v
}

fn voice_joined(name: &str, peer: Option<&str>) -> Value {
    json!({"cmd": "voice_user_joined", "channel": "lounge", "user": who(name, false, peer)})
}

/// `voice_join` from `c`: its own event first (with its peer id), then the reply.
async fn voice_join(c: &mut Client, name: &str, peer: &str) -> Value {
    c.send(json!({"cmd": "voice_join", "channel": "lounge", "peer_id": peer, "listener": "j"})).await;
    assert_eq!(skip_to(c, "voice_user_joined").await, voice_joined(name, Some(peer)));
    let mut reply = skip_to(c, "voice_join").await;
    assert_eq!(reply["listener"], "j");
    reply.as_object_mut().unwrap().remove("listener");
    reply
}

fn lounge_in(list: &Value) -> Value {
    list["val"].as_array().unwrap().iter().find(|c| c["name"] == "lounge").unwrap()["voice_state"].clone()
}

async fn voice_rosters_cross_nodes_and_a_killed_node_releases_its_seats() {
    let Some(mut cl) = TestCluster::start(3).await else { return };
    let mut boss = cl.login(0, "boss").await;
    let mut dave = cl.login(0, "dave").await;
    let mut alice = cl.login(1, "alice").await;
    let mut bob = cl.login(2, "bob").await;
    connected(&mut boss, &["alice", "bob"]).await;
    let create = json!({"cmd": "channel_create", "name": "lounge", "type": "voice", "permissions": {"view": ["user"]}});
    assert_eq!(ask(&mut boss, create).await["created"], true);
    barrier(&mut boss, &mut [&mut dave, &mut alice, &mut bob], "lounge exists").await;

    // alice (node 1) joins: viewers on every node get the event without her peer id.
    let reply = voice_join(&mut alice, "alice", "peer-a").await;
    assert_eq!(reply, json!({"cmd": "voice_join", "channel": "lounge", "participants": []}));
    for c in [&mut boss, &mut dave, &mut bob] {
        assert_eq!(skip_to(c, "voice_user_joined").await, voice_joined("alice", None));
    }
    // bob (node 2) joins: he is told alice's peer id, and she his.
    let reply = voice_join(&mut bob, "bob", "peer-b").await;
    assert_eq!(reply["participants"], json!([{"username": "alice", "peer_id": "peer-a", "muted": false}]));
    assert_eq!(skip_to(&mut alice, "voice_user_joined").await, voice_joined("bob", Some("peer-b")));
    for c in [&mut boss, &mut dave] {
        assert_eq!(skip_to(c, "voice_user_joined").await, voice_joined("bob", None));
    }
    // Every node shows the same roster.
    let both = json!([{"username": "alice", "muted": false}, {"username": "bob", "muted": false}]);
    assert_eq!(lounge_in(&ask(&mut dave, json!({"cmd": "channels_get"})).await), both);
    assert_eq!(lounge_in(&ask(&mut bob, json!({"cmd": "channels_get"})).await), both);
    let watcher = ask(&mut dave, json!({"cmd": "voice_state", "channel": "lounge"})).await;
    assert_eq!(watcher["participants"], json!([who("alice", false, None), who("bob", false, None)]));
    let member = ask(&mut bob, json!({"cmd": "voice_state", "channel": "lounge"})).await;
    assert_eq!(member["participants"], json!([who("alice", false, Some("peer-a")), who("bob", false, Some("peer-b"))]));

    // alice mutes on node 1: bob (in the call, node 2) gets her peer id, watchers do not.
    alice.send(json!({"cmd": "voice_mute", "listener": "m"})).await;
    let update = json!({"cmd": "voice_user_updated", "channel": "lounge", "user": who("alice", true, Some("peer-a"))});
    assert_eq!(skip_to(&mut alice, "voice_user_updated").await, update);
    let muted = json!({"cmd": "voice_mute", "channel": "lounge", "muted": true, "listener": "m"});
    assert_eq!(skip_to(&mut alice, "voice_mute").await, muted);
    assert_eq!(skip_to(&mut bob, "voice_user_updated").await, update);
    for c in [&mut boss, &mut dave] {
        assert_eq!(skip_to(c, "voice_user_updated").await["user"], who("alice", true, None));
    }

    // A second connection of alice on node 0 takes her seat from node 1.
    let mut alice2 = cl.login(0, "alice").await;
    let left_alice = json!({"cmd": "voice_user_left", "channel": "lounge", "username": "alice"});
    let reply = voice_join_after_left(&mut alice2, &left_alice).await;
    assert_eq!(reply["participants"], json!([{"username": "bob", "peer_id": "peer-b", "muted": false}]));
    assert_eq!(skip_to(&mut alice, "voice_user_left").await, left_alice);
    assert_eq!(skip_to(&mut alice, "voice_leave").await, json!({"cmd": "voice_leave", "channel": "lounge"}));
    assert_eq!(skip_to(&mut alice, "voice_user_joined").await, voice_joined("alice", None));
    assert_eq!(skip_to(&mut bob, "voice_user_left").await, left_alice);
    assert_eq!(skip_to(&mut bob, "voice_user_joined").await, voice_joined("alice", Some("peer-a2")));
    for c in [&mut boss, &mut dave] {
        assert_eq!(skip_to(c, "voice_user_left").await, left_alice);
        assert_eq!(skip_to(c, "voice_user_joined").await, voice_joined("alice", None));
    }
    let err = ask(&mut alice, json!({"cmd": "voice_leave"})).await;
    assert_eq!(err, json!({"cmd": "error", "src": "voice_leave", "val": "You are not in a voice channel"}));

    // bob's node dies: within 30 s every other node releases his seat as if he had closed.
    cl.nodes[2].kill();
    let killed = Instant::now();
    let left_bob = json!({"cmd": "voice_user_left", "channel": "lounge", "username": "bob"});
    for c in [&mut alice2, &mut boss, &mut dave, &mut alice] {
        // The lease (8 s) and its check may together outlast one read's 10 s on a busy machine.
        c.set_patience(Duration::from_secs(30));
        assert_eq!(skip_to(c, "voice_user_left").await, left_bob);
        c.set_patience(originchats_tests::client::TIMEOUT);
    }
    assert!(killed.elapsed() < Duration::from_secs(30), "released within 30 s: {:?}", killed.elapsed());
    let only = json!([{"username": "alice", "muted": false}]);
    assert_eq!(lounge_in(&ask(&mut alice, json!({"cmd": "channels_get"})).await), only);
    let member = ask(&mut alice2, json!({"cmd": "voice_state", "channel": "lounge"})).await;
    assert_eq!(member["participants"], json!([who("alice", false, Some("peer-a2"))]));
    // Nothing else arrived anywhere (no second leave, no stray event).
    for seen in barrier(&mut boss, &mut [&mut dave, &mut alice, &mut alice2], "after bob's node").await {
        assert!(seen.is_empty(), "{seen:?}");
    }
}

/// `voice_join` of `lounge` with peer `peer-a2` from a connection that first hears the
/// user's old seat go.
async fn voice_join_after_left(c: &mut Client, left: &Value) -> Value {
    c.send(json!({"cmd": "voice_join", "channel": "lounge", "peer_id": "peer-a2", "listener": "j"})).await;
    assert_eq!(&skip_to(c, "voice_user_left").await, left);
    assert_eq!(skip_to(c, "voice_user_joined").await, voice_joined("alice", Some("peer-a2")));
    let reply = skip_to(c, "voice_join").await;
    assert_eq!(reply["listener"], "j");
    reply
}

/// A command as the chats.py SDK registers it.
fn roll_command(ephemeral: bool) -> Value {
    json!({"name": "roll", "description": "Roll a die",
           "options": [{"name": "sides", "type": "int", "description": "Sides", "required": false, "choices": []}],
           "whitelistRoles": [], "blacklistRoles": [], "ephemeral": ephemeral})
}

/// Registers `roll` from `bot` and returns the `slash_add` that `watcher` (another node) gets.
async fn register_roll(bot: &mut Client, watcher: &mut Client) -> Value {
    let reg = ask(bot, json!({"cmd": "slash_register", "commands": [roll_command(false)]})).await;
    assert_eq!(reg, json!({"cmd": "slash_register", "val": "1 commands registered successfully"}));
    let add = skip_to(watcher, "slash_add").await;
    let mut listed = roll_command(false);
    listed["registeredBy"] = json!("dicebot");
    assert_eq!(add, json!({"cmd": "slash_add", "commands": [listed]}));
    add
}

fn bot_gone() -> Value {
    json!({"cmd": "error", "src": "slash_call", "val": "The bot for this command disconnected"})
}

async fn slash_commands_are_served_across_nodes() {
    let Some(cl) = TestCluster::start(3).await else { return };
    let mut boss = cl.login(0, "boss").await;
    let mut alice = cl.login(1, "alice").await;
    let mut carol = cl.login(2, "carol").await;
    let mut dicebot = cl.login(0, "dicebot").await;
    connected(&mut alice, &["carol", "dicebot"]).await;
    connected(&mut carol, &["dicebot"]).await;
    let add = register_roll(&mut dicebot, &mut alice).await;
    assert_eq!(skip_to(&mut carol, "slash_add").await, add);
    assert_eq!(skip_to(&mut boss, "slash_add").await, add);
    // Every node lists the same commands.
    let list = json!({"cmd": "slash_list", "commands": add["commands"]});
    for c in [&mut boss, &mut alice, &mut carol] {
        assert_eq!(ask(c, json!({"cmd": "slash_list"})).await, list);
    }
    // The name is taken on every node.
    let mut other = cl.login(2, "otherbot").await;
    let taken = ask(&mut other, json!({"cmd": "slash_register", "commands": [roll_command(true)]})).await;
    assert_eq!(
        taken,
        json!({"cmd": "error", "src": "slash_register", "val": "Slash command /roll is already registered"})
    );
    other.close().await;

    // alice (node 1) calls the bot on node 0: the call, the answer, as on one node.
    let call = json!({"cmd": "slash_call", "channel": "general", "command": "roll", "args": {"sides": 6}});
    assert_eq!(ask(&mut alice, call).await, json!({"cmd": "slash_call_sent", "val": "Command /roll invoked"}));
    let routed = skip_to(&mut dicebot, "slash_call").await;
    assert_eq!(
        routed,
        json!({"cmd": "slash_call", "val": {"command": "roll", "args": {"sides": 6}, "commander": "dicebot"},
               "invoker": "USR:alice", "invokerUsername": "alice", "channel": "general"})
    );
    let answer =
        json!({"cmd": "slash_response", "response": "You rolled 4", "invoker": "USR:alice", "channel": "general"});
    let own = ask(&mut dicebot, answer).await;
    assert_eq!(own["cmd"], "message_new", "{own}");
    assert_eq!(own["message"]["interaction"], json!({"command": "roll", "username": "alice"}));
    for c in [&mut boss, &mut alice, &mut carol] {
        assert_eq!(skip_to(c, "message_new").await, own);
    }
    // An ephemeral answer reaches only the caller, on her node.
    let secret = json!({"cmd": "slash_response", "response": "secret", "invoker": "USR:alice", "channel": "general",
                        "ephemeral": true});
    dicebot.send(secret).await;
    let whisper = skip_to(&mut alice, "message_new").await;
    assert_eq!(whisper["message"]["content"], "secret");
    // A call nobody answers fails for its caller when the bot goes; an answered one does not.
    let call = json!({"cmd": "slash_call", "channel": "general", "command": "roll", "args": {}});
    assert_eq!(ask(&mut carol, call).await["cmd"], "slash_call_sent");
    assert_eq!(skip_to(&mut dicebot, "slash_call").await["invoker"], "USR:carol");
    dicebot.close().await;
    let remove = json!({"cmd": "slash_remove", "commands": ["roll"]});
    assert_eq!(skip_to(&mut boss, "slash_remove").await, remove);
    let seen = barrier(&mut boss, &mut [&mut alice, &mut carol], "after the bot").await;
    assert_eq!(seen[0], vec![remove.clone()], "alice's call was answered");
    assert_eq!(seen[1], vec![remove, bot_gone()], "carol waited; she never saw the ephemeral answer");
    let empty = json!({"cmd": "slash_list", "commands": []});
    for c in [&mut boss, &mut alice, &mut carol] {
        assert_eq!(ask(c, json!({"cmd": "slash_list"})).await, empty);
    }
    let call = json!({"cmd": "slash_call", "channel": "general", "command": "roll"});
    let unknown = json!({"cmd": "error", "src": "slash_call", "val": "Unknown slash command: /roll"});
    assert_eq!(ask(&mut carol, call).await, unknown);
}

async fn a_killed_bot_node_releases_its_slash_commands() {
    let Some(mut cl) = TestCluster::start(3).await else { return };
    let mut boss = cl.login(0, "boss").await;
    let mut alice = cl.login(1, "alice").await;
    let mut dicebot = cl.login(2, "dicebot").await;
    connected(&mut boss, &["alice", "dicebot"]).await;
    connected(&mut alice, &["dicebot"]).await;
    let add = register_roll(&mut dicebot, &mut alice).await;
    assert_eq!(skip_to(&mut boss, "slash_add").await, add);
    let call = json!({"cmd": "slash_call", "channel": "general", "command": "roll", "args": {}});
    assert_eq!(ask(&mut alice, call).await["cmd"], "slash_call_sent");
    assert_eq!(skip_to(&mut dicebot, "slash_call").await["invoker"], "USR:alice");
    // The bot's node dies: every node removes its commands and fails the waiting call.
    cl.nodes[2].kill();
    let killed = Instant::now();
    let remove = json!({"cmd": "slash_remove", "commands": ["roll"]});
    assert_eq!(skip_to(&mut alice, "slash_remove").await, remove);
    assert_eq!(skip_to(&mut alice, "error").await, bot_gone());
    assert_eq!(skip_to(&mut boss, "slash_remove").await, remove);
    assert!(killed.elapsed() < Duration::from_secs(30), "released within 30 s: {:?}", killed.elapsed());
    let empty = json!({"cmd": "slash_list", "commands": []});
    for c in [&mut boss, &mut alice] {
        assert_eq!(ask(c, json!({"cmd": "slash_list"})).await, empty);
    }
    for seen in barrier(&mut boss, &mut [&mut alice], "after the bot's node").await {
        assert!(seen.is_empty(), "{seen:?}");
    }
}

/// Asks `c` with `request` until the answer is `expected` (a late node hears the others'
/// state shortly after it starts); fails after 10 s.
async fn eventually(c: &mut Client, request: Value, expected: &Value) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = ask(c, request.clone()).await;
        if &got == expected {
            return;
        }
        assert!(Instant::now() < deadline, "still {got} instead of {expected}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn a_node_started_late_learns_seats_and_commands() {
    let Some(mut cl) = TestCluster::start(2).await else { return };
    let mut boss = cl.login(0, "boss").await;
    let mut dicebot = cl.login(0, "dicebot").await;
    let mut alice = cl.login(1, "alice").await;
    connected(&mut boss, &["alice", "dicebot"]).await;
    let create = json!({"cmd": "channel_create", "name": "lounge", "type": "voice", "permissions": {"view": ["user"]}});
    assert_eq!(ask(&mut boss, create).await["created"], true);
    barrier(&mut boss, &mut [&mut alice], "lounge exists").await;
    voice_join(&mut alice, "alice", "peer-a").await;
    alice.send(json!({"cmd": "voice_mute"})).await;
    assert_eq!(skip_to(&mut alice, "voice_user_updated").await["user"], who("alice", true, Some("peer-a")));
    assert_eq!(skip_to(&mut alice, "voice_mute").await["muted"], true);
    assert_eq!(skip_to(&mut boss, "voice_user_joined").await, voice_joined("alice", None));
    assert_eq!(skip_to(&mut boss, "voice_user_updated").await["user"], who("alice", true, None));
    let add = register_roll(&mut dicebot, &mut boss).await;
    assert_eq!(skip_to(&mut alice, "slash_add").await, add);

    let late = cl.add_node(&json!({})).await;
    let mut carol = cl.login(late, "carol").await;
    let mut bob = cl.login(late, "bob").await;
    eventually(&mut carol, json!({"cmd": "slash_list"}), &json!({"cmd": "slash_list", "commands": add["commands"]}))
        .await;
    let state = ask(&mut boss, json!({"cmd": "voice_state", "channel": "lounge"})).await;
    assert_eq!(state["participants"], json!([who("alice", true, None)]));
    eventually(&mut carol, json!({"cmd": "voice_state", "channel": "lounge"}), &state).await;
    let roster = lounge_in(&ask(&mut boss, json!({"cmd": "channels_get"})).await);
    assert_eq!(lounge_in(&ask(&mut carol, json!({"cmd": "channels_get"})).await), roster);
    // bob on the late node joins the call: he is told alice's seat, and she his.
    let reply = voice_join(&mut bob, "bob", "peer-b").await;
    assert_eq!(reply["participants"], json!([{"username": "alice", "peer_id": "peer-a", "muted": true}]));
    assert_eq!(skip_to(&mut alice, "voice_user_joined").await, voice_joined("bob", Some("peer-b")));
    // carol on the late node calls the bot of node 0.
    let call = json!({"cmd": "slash_call", "channel": "general", "command": "roll", "args": {}});
    assert_eq!(ask(&mut carol, call).await["cmd"], "slash_call_sent");
    loop {
        // The bot also watches the lounge.
        let v = dicebot.recv().await;
        if v["cmd"] == "slash_call" {
            assert_eq!(v["invoker"], "USR:carol");
            break;
        }
    }
}

async fn concurrent_reactions_from_every_node_all_land() {
    let Some(cl) = TestCluster::start(3).await else { return };
    let mut boss = cl.login(0, "boss").await;
    let mut users = vec![];
    for i in 0..12 {
        users.push(cl.login(i % 3, &format!("u{i:02}")).await);
    }
    let sent = ask(&mut boss, json!({"cmd": "message_new", "channel": "general", "content": "react here"})).await;
    let id = sent["message"]["id"].clone();
    let emojis = ["👍", "🎉", "🚀"];
    for emoji in emojis {
        // Every user reacts at once, from all three nodes.
        for c in users.iter_mut() {
            let react =
                json!({"cmd": "message_react_add", "channel": "general", "id": id, "emoji": emoji, "listener": "r"});
            c.send(react).await;
        }
        for c in users.iter_mut() {
            loop {
                let v = c.recv().await;
                if v["listener"] == "r" {
                    assert_eq!(v["cmd"], "message_react_add", "{v}");
                    break;
                }
            }
        }
    }
    let everyone: Vec<String> = (0..12).map(|i| format!("u{i:02}")).collect();
    for node in 0..3 {
        let mut c = cl.login(node, "reader").await;
        let page = ask(&mut c, json!({"cmd": "messages_get", "channel": "general"})).await;
        let m = page["messages"].as_array().unwrap().iter().find(|m| m["id"] == id).unwrap().clone();
        for emoji in emojis {
            let mut got: Vec<String> = m["reactions"][emoji]
                .as_array()
                .unwrap_or_else(|| panic!("no {emoji} in {m}"))
                .iter()
                .map(|u| u.as_str().unwrap().to_owned())
                .collect();
            got.sort();
            assert_eq!(got, everyone, "no reaction lost ({emoji}) on node {node}: {m}");
        }
    }
}

/// The spread re-run of the black-box tests (docs/design/testing.md#spread-over-nodes):
/// with `ORIGINCHATS_TEST_NODES=N`, one `TestServer` is N nodes, its clients land on them in
/// turn, and each sees the others online as on one server. Without the variable it is one
/// node, and the same holds trivially.
async fn a_spread_test_server_puts_its_clients_on_every_node() {
    let Some(backend) = Backend::postgres() else { return };
    let nodes = originchats_tests::spread::nodes_from_env();
    let s = TestServer::start(backend).await;
    let addrs = s.node_addrs();
    assert_eq!(addrs.len(), nodes, "one address per node");
    let mut clients = vec![];
    for i in 0..nodes {
        clients.push(s.login(&format!("u{i}")).await);
    }
    for addr in &addrs {
        let (_, _, metrics) = http(addr, "GET /metrics HTTP/1.1").await;
        assert!(metrics.lines().any(|l| l == "originchats_connections_open 1"), "one client on {addr}:\n{metrics}");
    }
    let last = clients.last_mut().unwrap();
    let online = ask(last, json!({"cmd": "users_online"})).await;
    let mut names: Vec<&str> =
        online["users"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    names.sort_unstable();
    let expected: Vec<String> = (0..nodes).map(|i| format!("u{i}")).collect();
    assert_eq!(names, expected, "everyone online, whatever the node: {online}");
}

cluster_tests!(
    a_spread_test_server_puts_its_clients_on_every_node,
    messages_edits_deletes_and_reactions_cross_nodes,
    channel_and_role_changes_reach_every_node,
    presence_counts_users_once_across_nodes,
    a_ban_closes_every_connection_on_every_node,
    a_killed_node_loses_no_acknowledged_message_and_its_users_go,
    a_cluster_needs_postgres_and_nats_and_unique_node_ids,
    a_node_that_loses_nats_reconnects_and_resynchronises,
    rate_limits_and_timeouts_hold_across_nodes,
    voice_rosters_cross_nodes_and_a_killed_node_releases_its_seats,
    slash_commands_are_served_across_nodes,
    a_killed_bot_node_releases_its_slash_commands,
    a_node_started_late_learns_seats_and_commands,
    concurrent_reactions_from_every_node_all_land,
);
