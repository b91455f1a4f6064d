//! The in-process server the fuzz targets drive: the application over the in-memory store
//! and the mock validator, the real wire encoder, a clock and ids that depend on nothing but
//! the input, and outboxes that keep every frame sent (docs/security.md#fuzzing).
//!
//! A fresh server is built for every input, so that a crash replays from its input alone;
//! only the tokio runtime lives across inputs.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use application::app::Ports;
use application::ports::{Clock, Frame, IdSource, NoNotifier, NoPlugins, Outbox, Store};
use application::{App, Session, Settings};
use domain::rate_limit::RateSettings;
use domain::{Channel, ChannelKind, PermissionMap, RawJson};
use memory::MemoryStore;
use serde_json::Value;

/// `transport.max_json_depth` of the default configuration.
pub const MAX_DEPTH: usize = 32;

/// The one current-thread runtime the targets block on (the application spawns no tasks).
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap())
}

/// A clock that moves a tenth of a second per reading, so that the rate limiter trips.
struct Steps(AtomicU64);

impl Clock for Steps {
    fn now(&self) -> f64 {
        1.7e9 + self.0.fetch_add(1, Ordering::Relaxed) as f64 / 10.0
    }
}

/// Message ids `m0`, `m1`, … (the seed corpus and the dictionary name them), fixed tokens.
#[derive(Default)]
struct Ids {
    messages: AtomicU64,
    keys: AtomicU64,
}

impl IdSource for Ids {
    fn message_id(&self) -> String {
        format!("m{}", self.messages.fetch_add(1, Ordering::Relaxed))
    }
    fn session_token(&self) -> String {
        "t".repeat(43)
    }
    fn validator_key(&self) -> String {
        format!("originChats-{}", self.keys.fetch_add(1, Ordering::Relaxed))
    }
}

/// Keeps every frame a connection is sent, and whether the server asked to close it.
#[derive(Default)]
pub struct Recorder {
    frames: Mutex<Vec<String>>,
    closed: AtomicBool,
}

impl Outbox for Recorder {
    fn push(&self, frame: Frame) -> bool {
        self.frames.lock().unwrap().push(frame.as_str().to_owned());
        true
    }
    fn close(&self, _: u16, _: &str) {
        self.closed.store(true, Ordering::Relaxed);
    }
}

/// Who sends a frame: the owner `boss`, the plain user `alice`, or a connection that has
/// not logged in (it may send `auth` itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// Logged in as `boss`, listed in `auth.owners`.
    Owner,
    /// Logged in as `alice`, a new user.
    User,
    /// Not logged in.
    Anonymous,
}

impl Sender {
    fn validator(self) -> Option<&'static str> {
        match self {
            Sender::Owner => Some("mock:U0:boss"),
            Sender::User => Some("mock:U1:alice"),
            Sender::Anonymous => None,
        }
    }
}

struct Connection {
    sender: Sender,
    session: Session,
    outbox: Arc<Recorder>,
    read: usize,
}

/// A server with three connections.
pub struct World {
    /// The application.
    pub app: App,
    connections: Vec<Connection>,
    next_conn: u64,
}

fn channel(name: &str, kind: ChannelKind, view: &[&str]) -> Channel {
    let roles = view.iter().map(|r| (*r).to_owned()).collect();
    Channel {
        name: name.into(),
        kind,
        permissions: Some(PermissionMap(vec![("view".into(), roles)])),
        extra: vec![("description".into(), RawJson("\"seeded\"".into()))],
    }
}

impl World {
    /// A fresh server (default roles, `general`, a voice channel `lounge`, an owner-only
    /// text channel `secret`), rate limiting on, with the owner and the user logged in and
    /// one connection that is not.
    pub async fn new() -> Self {
        let store = Arc::new(MemoryStore::new());
        let mut channels = domain::channel::default_channels();
        channels.push(channel("lounge", ChannelKind::Voice, &["user"]));
        channels.push(channel("secret", ChannelKind::Text, &["owner"]));
        store.seed_defaults(&domain::role::default_roles(), &channels).await.unwrap();
        let settings = Settings {
            owners: vec!["boss".into()],
            rate_limit: Some(RateSettings { per_minute: 20, burst_limit: 5, burst_window: 10.0, cooldown: 2.5 }),
            capabilities: codec::capabilities(),
            ..Settings::default()
        };
        let ports = Ports {
            store,
            auth: Arc::new(rotur::MockAuth),
            clock: Arc::new(Steps(AtomicU64::new(0))),
            ids: Arc::new(Ids::default()),
            encoder: Arc::new(codec::JsonEncoder),
            plugins: Arc::new(NoPlugins),
            notifier: Arc::new(NoNotifier),
            images: Arc::new(memory::MemoryImages::default()),
        };
        let mut world = World { app: App::new(ports, settings), connections: vec![], next_conn: 0 };
        for sender in [Sender::Owner, Sender::User, Sender::Anonymous] {
            let c = world.connect(sender).await;
            assert_eq!(c.session.user.is_some(), sender != Sender::Anonymous, "{sender:?} logged in");
            world.connections.push(c);
        }
        world.check_new_frames();
        world
    }

    async fn connect(&mut self, sender: Sender) -> Connection {
        let outbox = Arc::new(Recorder::default());
        let conn = self.next_conn;
        self.next_conn += 1;
        let mut session = self.app.sessions.open(conn, outbox.clone());
        if let Some(validator) = sender.validator() {
            // A banned user's login is refused; the connection then stays unauthenticated.
            self.app.sessions.login(&mut session, Some(validator)).await;
        }
        Connection { sender, session, outbox, read: 0 }
    }

    /// Hands one frame to the connection of `sender` as the WebSocket adapter would. A
    /// connection the server closed is forgotten as the adapter does when its socket ends,
    /// and `sender` connects (and logs in) again.
    pub async fn frame(&mut self, sender: Sender, text: &str) {
        let i = self.connections.iter().position(|c| c.sender == sender).unwrap();
        if self.connections[i].outbox.closed.load(Ordering::Relaxed) {
            self.app.sessions.close(&self.connections[i].session).await;
            self.connections[i] = self.connect(sender).await;
        }
        codec::handle_frame(&self.app, &mut self.connections[i].session, text, MAX_DEPTH).await;
        self.check_new_frames();
    }

    /// Every frame sent to `sender`'s current connection so far.
    pub fn frames(&self, sender: Sender) -> Vec<String> {
        let c = self.connections.iter().find(|c| c.sender == sender).unwrap();
        c.outbox.frames.lock().unwrap().clone()
    }

    /// Closes every connection, as when the clients go away.
    pub async fn close_all(&mut self) {
        for c in &self.connections {
            self.app.sessions.close(&c.session).await;
        }
        self.check_new_frames();
    }

    /// Checks every frame sent since the last call, to any connection.
    fn check_new_frames(&mut self) {
        for c in &mut self.connections {
            let frames = c.outbox.frames.lock().unwrap();
            for frame in &frames[c.read..] {
                check_packet(frame);
            }
            c.read = frames.len();
        }
    }
}

/// A packet the server sent must be a JSON object with a string `cmd`; an `error` has a
/// non-empty string `val`, a string `src` when present, and nothing but `listener` besides.
pub fn check_packet(frame: &str) {
    let value: Value =
        serde_json::from_str(frame).unwrap_or_else(|e| panic!("server sent invalid JSON ({e}): {frame}"));
    let Value::Object(fields) = &value else { panic!("server sent a non-object: {frame}") };
    let Some(Value::String(cmd)) = fields.get("cmd") else {
        panic!("server sent a packet without a string cmd: {frame}")
    };
    if let Some(listener) = fields.get("listener") {
        assert!(listener.is_string(), "non-string listener: {frame}");
    }
    if cmd == "error" {
        assert!(matches!(fields.get("val"), Some(Value::String(v)) if !v.is_empty()), "error without a text: {frame}");
        assert!(fields.get("src").is_none_or(Value::is_string), "error with a non-string src: {frame}");
        assert!(
            fields.keys().all(|k| ["cmd", "src", "val", "listener"].contains(&k.as_str())),
            "error with extra keys: {frame}"
        );
    }
}

/// Splits an input into frames: one per line; a line starting with `~` is sent by the plain
/// user, one starting with `?` by the connection that has not logged in, any other by the
/// owner. Bytes that are not UTF-8 are handled as the WebSocket adapter handles a binary
/// frame that is not UTF-8.
pub fn frames(data: &[u8]) -> impl Iterator<Item = (Sender, &str)> {
    data.split(|b| *b == b'\n').map(|line| {
        let (sender, rest) = match line.first() {
            Some(b'~') => (Sender::User, &line[1..]),
            Some(b'?') => (Sender::Anonymous, &line[1..]),
            _ => (Sender::Owner, line),
        };
        (sender, std::str::from_utf8(rest).unwrap_or("\u{0}"))
    })
}
