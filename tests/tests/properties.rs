//! Property tests of the use cases with the in-memory store and the real wire encoder,
//! against a reference model:
//! - view first: a user who may not view a channel learns nothing of it, anywhere;
//! - live updates (in the style of Zulip's event tests): a client that only applies the
//!   broadcasts it receives ends with the same view as one that re-fetches history; with
//!   role changes mid-run, a client that also re-fetches a channel when its `channels_get`
//!   push shows it gained view (and drops it when it lost view) ends the same way.
//!
//! Channel lists include `!role` denials, so both properties hold under negation too.

use std::collections::BTreeMap;
use std::sync::Arc;

use application::errors::{AccessError, MessageError};
use application::ports::{MessageRepository, Store, UserRepository};
use application::services::{
    EditMessage, HistoryRequest, HistoryStart, NewMessage, PingsPage, ReactRequest, Reply, ReplyTarget,
};
use application::{App, Origin, Packet, Session, Settings};
use domain::{Action, Channel, ChannelKind, PermissionMap, may};
use memory::MemoryStore;
use originchats_tests::inproc::{self, Recorder};
use proptest::prelude::*;
use rotur::MockAuth;
use serde_json::Value;

/// Message text as the wire adapter would parse it.
fn content(text: &str) -> domain::MessageContent {
    domain::MessageContent::parse(text, 2000).unwrap()
}

const ROLES: [&str; 4] = ["user", "admin", "moderator", "guest"];
const CHANNELS: [&str; 3] = ["alpha", "beta", "gamma"];
const EMOJI: [&str; 2] = ["👍", "🎉"];

#[derive(Debug, Clone)]
enum Op {
    Post { user: usize, channel: usize, reply: bool },
    Edit { user: usize, nth: usize },
    Delete { user: usize, nth: usize },
    Pin { user: usize, nth: usize, pinned: bool },
    React { user: usize, nth: usize, emoji: usize, add: bool },
    Typing { user: usize, channel: usize },
}

/// A step of a run with role changes: an ordinary operation, or the owner granting or
/// revoking one of `ROLES`.
#[derive(Debug, Clone)]
enum Step {
    Op(Op),
    Grant { user: usize, role: usize },
    Revoke { user: usize, role: usize },
}

fn arb_roles() -> impl Strategy<Value = Vec<String>> {
    proptest::sample::subsequence(ROLES.to_vec(), 1..=3).prop_map(|r| r.into_iter().map(str::to_owned).collect())
}

fn arb_perms() -> impl Strategy<Value = Vec<(String, Vec<String>)>> {
    let keys = vec!["view", "send", "delete", "pin", "react", "edit_own", "delete_own"];
    proptest::sample::subsequence(keys, 1..=7).prop_flat_map(|ks| {
        let n = ks.len();
        // Lists may deny roles with `!role` (docs/design/permissions.md#negation).
        let pool: Vec<String> = ROLES.iter().flat_map(|r| [r.to_string(), format!("!{r}")]).collect();
        proptest::collection::vec(proptest::sample::subsequence(pool, 0..=4).prop_shuffle(), n)
            .prop_map(move |lists| ks.iter().map(|k| k.to_string()).zip(lists).collect::<Vec<_>>())
    })
}

fn arb_op(users: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..users, 0..CHANNELS.len(), any::<bool>()).prop_map(|(user, channel, reply)| Op::Post { user, channel, reply }),
        1 => (0..users, 0..8usize).prop_map(|(user, nth)| Op::Edit { user, nth }),
        1 => (0..users, 0..8usize).prop_map(|(user, nth)| Op::Delete { user, nth }),
        1 => (0..users, 0..8usize, any::<bool>()).prop_map(|(user, nth, pinned)| Op::Pin { user, nth, pinned }),
        2 => (0..users, 0..8usize, 0..2usize, any::<bool>()).prop_map(|(user, nth, emoji, add)| Op::React { user, nth, emoji, add }),
        1 => (0..users, 0..CHANNELS.len()).prop_map(|(user, channel)| Op::Typing { user, channel }),
    ]
}

fn arb_step(users: usize) -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => arb_op(users).prop_map(Step::Op),
        1 => (0..users, 0..ROLES.len()).prop_map(|(user, role)| Step::Grant { user, role }),
        1 => (0..users, 0..ROLES.len()).prop_map(|(user, role)| Step::Revoke { user, role }),
    ]
}

struct World {
    app: App,
    store: Arc<MemoryStore>,
    /// Index of the owner's session, when the run has one (it takes no part in `Op`s).
    owner: Option<usize>,
    sessions: Vec<Session>,
    outboxes: Vec<Arc<Recorder>>,
    roles: Vec<Vec<String>>,
    channels: Vec<Channel>,
    posted: Vec<(String, String)>,
}

async fn world(user_roles: Vec<Vec<String>>, perms: Vec<Vec<(String, Vec<String>)>>) -> World {
    let store = Arc::new(MemoryStore::new());
    let channels: Vec<Channel> = CHANNELS
        .iter()
        .zip(perms)
        .map(|(name, p)| Channel {
            name: (*name).into(),
            kind: ChannelKind::Text,
            permissions: Some(PermissionMap(p)),
            extra: vec![],
        })
        .collect();
    let mut roles = domain::role::default_roles();
    roles.push(domain::Role::named("guest", None));
    store.seed_defaults(&roles, &channels).await.unwrap();
    let settings = Settings { new_user_roles: Some(vec!["guest".into()]), ..Settings::default() };
    let app = inproc::app(store.clone(), Arc::new(MockAuth), Arc::new(application::ports::NoPlugins), settings);
    let mut sessions = vec![];
    let mut outboxes = vec![];
    for (i, r) in user_roles.iter().enumerate() {
        // The users exist with their roles before they log in (the app keeps its audience
        // index from what it sees, so the store is not edited behind its back).
        store
            .insert_user(&domain::User::new(domain::UserId(format!("U{i}")), format!("user{i}"), r.clone(), vec![]))
            .await
            .unwrap();
        let outbox = Arc::new(Recorder::default());
        let mut session = app.sessions.open(i as u64, outbox.clone());
        app.sessions.login(&mut session, Some(&format!("mock:U{i}:user{i}"))).await;
        outbox.0.lock().unwrap().clear();
        sessions.push(session);
        outboxes.push(outbox);
    }
    World { app, store, owner: None, sessions, outboxes, roles: user_roles, channels, posted: vec![] }
}

impl World {
    /// Logs in an owner (`boss`), who changes roles in [`Step`] runs.
    async fn add_owner(&mut self) {
        let i = self.sessions.len();
        let boss = domain::User::new(domain::UserId(format!("U{i}")), "boss".into(), vec!["owner".into()], vec![]);
        self.store.insert_user(&boss).await.unwrap();
        let outbox = Arc::new(Recorder::default());
        let mut session = self.app.sessions.open(i as u64, outbox.clone());
        self.app.sessions.login(&mut session, Some(&format!("mock:U{i}:boss"))).await;
        self.sessions.push(session);
        self.outboxes.push(outbox);
        self.owner = Some(i);
    }

    /// The owner grants or revokes a role through the use case, then the pushes follow as
    /// the dispatcher sends them.
    async fn change_role(&mut self, user: usize, role: usize, grant: bool) {
        let owner = &self.sessions[self.owner.expect("a run with role changes has an owner")];
        let target = Ok(format!("user{user}"));
        let roles = Ok(vec![ROLES[role].to_owned()]);
        let result = if grant {
            self.app.community.roles_add(owner, target, roles).await
        } else {
            self.app.community.roles_remove(owner, target, roles).await
        };
        if let Ok(Reply::Then(_, pushes)) = result {
            self.app.lists.run(pushes).await;
        }
        self.roles[user] = self.store.user(&domain::UserId(format!("U{user}"))).await.unwrap().unwrap().roles;
    }

    fn origin(&self, user: usize) -> Origin {
        Origin::of(self.sessions[user].conn, None)
    }

    fn target(&self, nth: usize) -> Option<(String, String)> {
        (!self.posted.is_empty()).then(|| self.posted[nth % self.posted.len()].clone())
    }

    async fn apply(&mut self, op: &Op) {
        match op.clone() {
            Op::Post { user, channel, reply } => {
                let channel = CHANNELS[channel].to_string();
                let reply_to = if reply {
                    self.posted.iter().rev().find(|(c, _)| *c == channel).map(|(_, id)| id.clone())
                } else {
                    None
                };
                let req = NewMessage {
                    channel: channel.clone(),
                    content: content(&format!("hello @user{user}")),
                    reply_to: reply_to.map_or(ReplyTarget::None, ReplyTarget::Id),
                    ping: None,
                };
                let before = self.outboxes[user].0.lock().unwrap().len();
                let _ = self.app.messaging.post(&self.sessions[user], req, &self.origin(user)).await;
                let frames = self.outboxes[user].0.lock().unwrap();
                if let Some(v) = frames[before..].iter().find(|v| v["cmd"] == "message_new") {
                    self.posted.push((channel, v["message"]["id"].as_str().unwrap().to_owned()));
                }
            }
            Op::Edit { user, nth } => {
                if let Some((c, id)) = self.target(nth) {
                    let req = EditMessage { id, channel: c, content: Ok(content(&format!("edit by {user}"))) };
                    let _ = self.app.messaging.edit(&self.sessions[user], Ok(req), &self.origin(user)).await;
                }
            }
            Op::Delete { user, nth } => {
                if let Some((c, id)) = self.target(nth) {
                    let _ = self.app.messaging.delete(&self.sessions[user], c, id, &self.origin(user)).await;
                }
            }
            Op::Pin { user, nth, pinned } => {
                if let Some((c, id)) = self.target(nth) {
                    let _ = self
                        .app
                        .messaging
                        .set_pinned(&self.sessions[user], Ok(c), Ok(id), pinned, None, &self.origin(user))
                        .await;
                }
            }
            Op::React { user, nth, emoji, add } => {
                if let Some((c, id)) = self.target(nth) {
                    let req = ReactRequest { channel: Some(c), id: Ok(id), emoji: Ok(EMOJI[emoji].to_string()), add };
                    let _ = self.app.messaging.react(&self.sessions[user], req, &self.origin(user)).await;
                }
            }
            Op::Typing { user, channel } => {
                let c = Ok(CHANNELS[channel].to_string());
                let _ = self.app.messaging.typing(&self.sessions[user], c, &self.origin(user)).await;
            }
        }
    }

    fn can_view(&self, user: usize, channel: usize) -> bool {
        may(&self.roles[user], Some(&self.channels[channel]), Action::View)
    }
}

/// A client's view: per channel, message id → (content, pinned, edited, reactions).
type View = BTreeMap<String, Vec<(String, Value)>>;

fn summary(m: &Value) -> Value {
    serde_json::json!({"content": m["content"], "pinned": m["pinned"], "edited": m.get("edited").cloned().unwrap_or(Value::Bool(false)),
        "reactions": m.get("reactions").cloned().unwrap_or(serde_json::json!({}))})
}

/// Applies broadcasts to an empty view, as a client that never re-fetches would.
fn replay(frames: &[Value]) -> View {
    let mut view = View::new();
    for f in frames {
        apply_frame(&mut view, f);
    }
    view
}

/// Applies one broadcast to a client's view (packets without a channel are ignored).
fn apply_frame(view: &mut View, f: &Value) {
    {
        let Some(channel) = f["channel"].as_str() else { return };
        let list = view.entry(channel.to_owned()).or_default();
        let find = |list: &mut Vec<(String, Value)>, id: &Value| {
            list.iter().position(|(i, _)| Some(i.as_str()) == id.as_str())
        };
        match f["cmd"].as_str().unwrap_or_default() {
            "message_new" => list.push((f["message"]["id"].as_str().unwrap().to_owned(), summary(&f["message"]))),
            "message_edit" => {
                if let Some(i) = find(list, &f["id"]) {
                    list[i].1["content"] = f["content"].clone();
                    list[i].1["edited"] = Value::Bool(true);
                }
            }
            "message_delete" => {
                if let Some(i) = find(list, &f["id"]) {
                    list.remove(i);
                }
            }
            "message_pin" | "message_unpin" => {
                if let Some(i) = find(list, &f["id"]) {
                    list[i].1["pinned"] = f["pinned"].clone();
                }
            }
            cmd @ ("message_react_add" | "message_react_remove") => {
                if let Some(i) = find(list, &f["id"]) {
                    let emoji = f["emoji"].as_str().unwrap().to_owned();
                    let reactions = list[i].1["reactions"].as_object_mut().unwrap();
                    let users = reactions.entry(emoji.clone()).or_insert(serde_json::json!([]));
                    let arr = users.as_array_mut().unwrap();
                    if cmd == "message_react_add" {
                        if !arr.contains(&f["from"]) {
                            arr.push(f["from"].clone());
                        }
                    } else {
                        arr.retain(|u| *u != f["from"]);
                        if arr.is_empty() {
                            reactions.remove(&emoji);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// The newest `limit` messages of a channel.
fn history(channel: &str, limit: i64) -> HistoryRequest {
    HistoryRequest { channel: channel.to_owned(), start: HistoryStart::Skip(0), limit }
}

/// One channel's history as the client re-fetching it sees it.
async fn fetch_channel(world: &World, user: usize, name: &str) -> Vec<(String, Value)> {
    let Ok(Reply::Packet(Packet::MessagesGet { messages, .. })) =
        world.app.messaging.history(&world.sessions[user], history(name, 200)).await
    else {
        panic!("history refused for a viewer")
    };
    messages
        .iter()
        .map(|v| {
            let json = codec::render::message_json(v);
            (v.message.id.clone(), summary(&json))
        })
        .collect()
}

async fn fetched(world: &World, user: usize) -> View {
    let mut view = View::new();
    for (ci, name) in CHANNELS.iter().enumerate() {
        if !world.can_view(user, ci) {
            continue;
        }
        let list = fetch_channel(world, user, name).await;
        if !list.is_empty() {
            view.insert((*name).to_owned(), list);
        }
    }
    view
}

/// A client that applies broadcasts as they come and re-fetches or drops a channel when
/// its `channels_get` push shows that it gained or lost view of it.
struct Listener {
    view: View,
    known: Vec<String>,
    read: usize,
}

impl Listener {
    fn new(world: &World, user: usize) -> Self {
        let known = (0..CHANNELS.len()).filter(|&c| world.can_view(user, c)).map(|c| CHANNELS[c].to_owned()).collect();
        Self { view: View::new(), known, read: 0 }
    }

    /// Reads what arrived since the last call.
    async fn catch_up(&mut self, world: &World, user: usize) {
        let frames: Vec<Value> = world.outboxes[user].0.lock().unwrap()[self.read..].to_vec();
        self.read += frames.len();
        for f in &frames {
            if f["cmd"] == "channels_get" {
                let now: Vec<String> = f["val"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["name"].as_str().unwrap().to_owned())
                    .filter(|n| CHANNELS.contains(&n.as_str()))
                    .collect();
                for name in &now {
                    if !self.known.contains(name) {
                        let list = fetch_channel(world, user, name).await;
                        self.view.insert(name.clone(), list);
                    }
                }
                self.view.retain(|name, _| now.contains(name));
                self.known = now;
            } else if let Some(channel) = f["channel"].as_str() {
                assert!(
                    self.known.iter().any(|k| k == channel),
                    "user {user} got {f} for a channel it may not view (roles {:?})",
                    world.roles[user]
                );
                apply_frame(&mut self.view, f);
            }
        }
    }
}

fn run<F: Future<Output = ()>>(f: F) {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64), ..ProptestConfig::default() })]

    #[test]
    fn listening_clients_end_with_the_refetched_view(
        roles in proptest::collection::vec(arb_roles(), 3),
        perms in proptest::collection::vec(arb_perms(), 3),
        ops in proptest::collection::vec(arb_op(3), 1..40),
    ) {
        run(async {
            let mut w = world(roles, perms).await;
            for op in &ops {
                w.apply(op).await;
            }
            for user in 0..3 {
                let frames = w.outboxes[user].0.lock().unwrap().clone();
                let mut live = replay(&frames);
                live.retain(|_, list| !list.is_empty());
                assert_eq!(live, fetched(&w, user).await, "user {user} roles {:?}", w.roles[user]);
            }
        });
    }

    #[test]
    fn listening_clients_follow_role_changes(
        roles in proptest::collection::vec(arb_roles(), 3),
        perms in proptest::collection::vec(arb_perms(), 3),
        steps in proptest::collection::vec(arb_step(3), 1..40),
    ) {
        run(async {
            let mut w = world(roles, perms).await;
            w.add_owner().await;
            let mut listeners: Vec<Listener> = (0..3).map(|u| Listener::new(&w, u)).collect();
            for step in &steps {
                match step {
                    Step::Op(op) => w.apply(op).await,
                    Step::Grant { user, role } => w.change_role(*user, *role, true).await,
                    Step::Revoke { user, role } => w.change_role(*user, *role, false).await,
                }
                for (user, l) in listeners.iter_mut().enumerate() {
                    l.catch_up(&w, user).await;
                    let visible: Vec<String> =
                        (0..CHANNELS.len()).filter(|&c| w.can_view(user, c)).map(|c| CHANNELS[c].to_owned()).collect();
                    assert_eq!(l.known, visible, "user {user}'s pushed channel list is current after {step:?}");
                }
            }
            for (user, l) in listeners.iter_mut().enumerate() {
                l.view.retain(|_, list| !list.is_empty());
                assert_eq!(l.view, fetched(&w, user).await, "user {user} roles {:?}", w.roles[user]);
            }
        });
    }

    #[test]
    fn a_user_who_cannot_view_a_channel_learns_nothing_of_it(
        roles in proptest::collection::vec(arb_roles(), 3),
        perms in proptest::collection::vec(arb_perms(), 3),
        ops in proptest::collection::vec(arb_op(3), 1..40),
    ) {
        run(async {
            let mut w = world(roles, perms).await;
            for op in &ops {
                w.apply(op).await;
            }
            // Everyone is pushed their channel list, as after any channel change.
            w.app.lists.push_channel_lists().await;
            for user in 0..3 {
                let s = &w.sessions[user];
                let Ok(Reply::Packet(Packet::ChannelsGet(listed))) = w.app.community.visible_channels(s).await else {
                    panic!("channels_get failed")
                };
                for (ci, name) in CHANNELS.iter().enumerate() {
                    if w.can_view(user, ci) {
                        continue;
                    }
                    let frames = w.outboxes[user].0.lock().unwrap().clone();
                    assert!(frames.iter().all(|f| f["channel"] != *name), "a broadcast of {name} reached user {user}");
                    let some_id = w.posted.iter().find(|(c, _)| c == name).map(|(_, id)| id.clone()).unwrap_or_else(|| "m0".into());
                    let denied = MessageError::Access(AccessError::ChannelAccessDenied);
                    let m = &w.app.messaging;
                    assert_eq!(m.history(s, history(name, 100)).await.unwrap_err(), denied);
                    assert_eq!(m.get(s, name.to_string(), some_id.clone(), None).await.unwrap_err(), denied);
                    assert_eq!(m.replies(s, name.to_string(), some_id.clone(), 50, None).await.unwrap_err(), denied);
                    assert_eq!(m.search(s, name.to_string(), "hello".into(), None).await.unwrap_err(), denied);
                    assert_eq!(m.pinned(s, name.to_string(), None).await.unwrap_err(), denied);
                    let page = PingsPage { limit: Ok(100), offset: Ok(0) };
                    let Ok(Reply::Packet(Packet::PingsGet { messages, .. })) = m.pings(s, page).await else {
                        panic!("pings_get failed")
                    };
                    assert!(messages.iter().all(|m| m.channel.as_deref() != Some(name)), "a ping from {name} reached user {user}");
                    assert!(listed.iter().all(|c| c.channel.name != *name), "channels_get listed {name} to user {user}");
                    let pushed: Vec<&Value> = frames.iter().filter(|f| f["cmd"] == "channels_get").collect();
                    assert!(!pushed.is_empty(), "user {user} got a channels_get push");
                    for p in pushed {
                        assert!(p["val"].as_array().unwrap().iter().all(|c| c["name"] != *name), "pushed {name} to user {user}: {p}");
                    }
                    // Commands naming the hidden channel answer exactly as for an unknown one,
                    // and change nothing.
                    let stored = w.store.messages_page(name, 0, 200).await.unwrap();
                    let sent: Vec<usize> = w.outboxes.iter().map(|o| o.0.lock().unwrap().len()).collect();
                    let origin = w.origin(user);
                    let (hidden, unknown) = (name.to_string(), "nowhere".to_string());
                    let id = some_id.clone();
                    let edit = |c: &String| Ok(EditMessage { id: id.clone(), channel: c.clone(), content: Ok(content("x")) });
                    let a = m.edit(s, edit(&hidden), &origin).await;
                    let b = m.edit(s, edit(&unknown), &origin).await;
                    assert!(a.is_err(), "edit in {name} by user {user} went through");
                    assert_eq!(a, b, "edit in {name} vs an unknown channel");
                    let a = m.delete(s, hidden.clone(), id.clone(), &origin).await;
                    let b = m.delete(s, unknown.clone(), id.clone(), &origin).await;
                    assert!(a.is_err(), "delete in {name} by user {user} went through");
                    assert_eq!(a, b, "delete in {name} vs an unknown channel");
                    for pinned in [true, false] {
                        let a = m.set_pinned(s, Ok(hidden.clone()), Ok(id.clone()), pinned, None, &origin).await;
                        let b = m.set_pinned(s, Ok(unknown.clone()), Ok(id.clone()), pinned, None, &origin).await;
                        assert!(a.is_err(), "pin {pinned} in {name} by user {user} went through");
                        assert_eq!(a, b, "pin {pinned} in {name} vs an unknown channel");
                    }
                    for add in [true, false] {
                        let react = |c: &String| ReactRequest {
                            channel: Some(c.clone()),
                            id: Ok(id.clone()),
                            emoji: Ok(EMOJI[0].to_string()),
                            add,
                        };
                        let a = m.react(s, react(&hidden), &origin).await;
                        let b = m.react(s, react(&unknown), &origin).await;
                        assert!(a.is_err(), "react {add} in {name} by user {user} went through");
                        assert_eq!(a, b, "react {add} in {name} vs an unknown channel");
                    }
                    let a = m.typing(s, Ok(hidden.clone()), &origin).await;
                    let b = m.typing(s, Ok(unknown.clone()), &origin).await;
                    assert!(a.is_err(), "typing in {name} by user {user} was accepted");
                    assert_eq!(a, b, "typing in {name} vs an unknown channel");
                    assert_eq!(w.store.messages_page(name, 0, 200).await.unwrap(), stored, "{name} changed");
                    let after: Vec<usize> = w.outboxes.iter().map(|o| o.0.lock().unwrap().len()).collect();
                    assert_eq!(after, sent, "refused commands in {name} sent something");
                }
            }
        });
    }
}
