//! The application in-process, for tests of use cases and their ports: the in-memory
//! store, the real wire encoder, a ticking clock, counting ids and recording outboxes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use application::app::Ports;
use application::ports::{AuthValidator, Clock, Frame, IdSource, Notifier, Outbox, PluginHost, Store};
use application::{App, Settings};
use codec::JsonEncoder;
use memory::MemoryStore;
use serde_json::Value;

/// A clock that moves one second per reading.
pub struct Ticking(pub AtomicU64);

impl Clock for Ticking {
    fn now(&self) -> f64 {
        1.7e9 + self.0.fetch_add(1, Ordering::SeqCst) as f64
    }
}

/// Ids `m0`, `m1`, … and fixed tokens.
pub struct Counter(pub AtomicU64);

impl IdSource for Counter {
    fn message_id(&self) -> String {
        format!("m{}", self.0.fetch_add(1, Ordering::SeqCst))
    }
    fn session_token(&self) -> String {
        "t".repeat(43)
    }
    fn validator_key(&self) -> String {
        format!("originChats-{}", self.0.fetch_add(1, Ordering::SeqCst))
    }
}

/// Records every frame a connection is sent, parsed.
#[derive(Default)]
pub struct Recorder(pub Mutex<Vec<Value>>);

impl Outbox for Recorder {
    fn push(&self, frame: Frame) -> bool {
        self.0.lock().unwrap().push(serde_json::from_str(frame.as_str()).unwrap());
        true
    }
    fn close(&self, _: u16, _: &str) {}
}

impl Recorder {
    /// Everything recorded so far.
    pub fn frames(&self) -> Vec<Value> {
        self.0.lock().unwrap().clone()
    }
}

/// An application over `store` with the given auth and plugin ports (no Web Push).
pub fn app(
    store: Arc<dyn Store>,
    auth: Arc<dyn AuthValidator>,
    plugins: Arc<dyn PluginHost>,
    settings: Settings,
) -> App {
    app_with_notifier(store, auth, plugins, Arc::new(application::ports::NoNotifier), settings)
}

/// An application over `store` with the given auth, plugin and Web Push ports.
pub fn app_with_notifier(
    store: Arc<dyn Store>,
    auth: Arc<dyn AuthValidator>,
    plugins: Arc<dyn PluginHost>,
    notifier: Arc<dyn Notifier>,
    settings: Settings,
) -> App {
    let ports = Ports {
        store,
        auth,
        clock: Arc::new(Ticking(AtomicU64::new(0))),
        ids: Arc::new(Counter(AtomicU64::new(0))),
        encoder: Arc::new(JsonEncoder),
        plugins,
        notifier,
        images: Arc::new(memory::MemoryImages::default()),
    };
    App::new(ports, settings)
}

/// A fresh in-memory store with the default roles and channels.
pub async fn seeded_store() -> Arc<MemoryStore> {
    let store = Arc::new(MemoryStore::new());
    store.seed_defaults(&domain::role::default_roles(), &domain::channel::default_channels()).await.unwrap();
    store
}
