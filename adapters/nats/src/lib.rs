//! The cluster side of a node over NATS (docs/design/cluster.md): the event bus on one core
//! NATS subject per cluster, the node's lease in a JetStream key-value bucket, and shared
//! presence in another.
//!
//! - Subject `<cluster>.events`: every [`ClusterEvent`] a node publishes, in the order it
//!   published them ([`wire`]), with its sequence number in the [`SEQ_HEADER`] header.
//! - Bucket `<cluster>_nodes`: one key per live node, refreshed every
//!   [`HEARTBEAT`]; a node that stops refreshing is gone after [`LEASE`].
//! - Bucket `<cluster>_presence`: per user, the nodes where they have connections
//!   ([`presence`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use application::ports::{ClusterEvent, EventBus};
use async_nats::jetstream::{self, kv};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::mpsc;

pub mod census;
pub mod presence;
pub mod resume;
pub mod wire;

/// How often a node refreshes its lease.
pub const HEARTBEAT: Duration = Duration::from_secs(2);
/// How long a lease lives without a refresh.
pub const LEASE: Duration = Duration::from_secs(8);
/// The most events a node queues for publishing; while NATS is away more are dropped
/// (the other nodes resynchronise when it is back).
pub const PUBLISH_QUEUE: usize = 65_536;
/// The most received events waiting to be applied; beyond it NATS holds them.
pub const RECEIVE_QUEUE: usize = 8_192;
/// The header carrying an event's sequence number: 1 for the first event its node
/// published since it started, then one more for each. A node reports the number of the
/// last event it applied from each other node, and of the last it published, in its metrics,
/// so that anyone can tell whether it has caught up (docs/design/cluster.md#catching-up).
pub const SEQ_HEADER: &str = "Originchats-Seq";
/// How long start-up keeps trying to reach NATS.
pub const CONNECT_FOR: Duration = Duration::from_secs(30);

/// Where and who this node is.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// The NATS server.
    pub url: String,
    /// The cluster's name: prefix of its subject and buckets.
    pub cluster: String,
    /// This node's id (unique in the cluster while it runs).
    pub node_id: String,
}

/// What the node hears from the cluster.
#[derive(Debug)]
pub enum Incoming {
    /// Another node's event.
    Event {
        /// The publishing node.
        node: String,
        /// Its sequence number at that node (0 when it came without one).
        seq: u64,
        /// What it published.
        event: Box<ClusterEvent>,
    },
    /// A node's lease expired (seen by every node that had seen the lease).
    NodeGone(String),
    /// The connection to NATS came back after a loss: events may have been missed.
    Resync,
    /// A user's only node is gone (its lease expired): this node announces the disconnect.
    Gone {
        /// The user's name.
        username: String,
    },
}

/// A node's connection to the cluster.
pub struct Node {
    /// The NATS client.
    pub client: async_nats::Client,
    /// JetStream.
    pub js: jetstream::Context,
    /// The configuration.
    pub config: NodeConfig,
    /// The live nodes' leases.
    pub nodes: kv::Store,
}

/// Connects to NATS, retrying with backoff for up to [`CONNECT_FOR`], and takes this node's
/// lease; fails when NATS stays unreachable or another live node has the same id.
pub async fn join(config: NodeConfig) -> anyhow::Result<(Node, Arc<presence::KvPresence>, mpsc::Receiver<Incoming>)> {
    let (tx, rx) = mpsc::channel(RECEIVE_QUEUE);
    let client = connect_with_retry(&config.url, tx.clone()).await?;
    let js = jetstream::new(client.clone());
    let nodes = bucket(&js, &format!("{}_nodes", config.cluster), LEASE).await?;
    match nodes.create(&config.node_id, Bytes::from_static(b"alive")).await {
        Ok(_) => {}
        Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => bail!(
            "cluster.node_id {:?} is in use by a running node of cluster {:?}; give each node its own id",
            config.node_id,
            config.cluster
        ),
        Err(e) => return Err(e).context("taking this node's lease in NATS"),
    }
    let node = Node { client, js, config, nodes };
    node.spawn_heartbeat();
    let presence = presence::KvPresence::start(&node, tx.clone()).await?;
    node.spawn_subscriber(tx).await?;
    Ok((node, presence, rx))
}

/// Opens a key-value bucket, creating it when missing. The stream is created with a plain
/// JetStream API request, which every server with JetStream (2.9 and later) answers; the
/// client library's own creation first reads account details that 2.9 does not send.
pub async fn bucket(js: &jetstream::Context, name: &str, max_age: Duration) -> anyhow::Result<kv::Store> {
    if let Ok(b) = js.get_key_value(name).await {
        return Ok(b);
    }
    let config = serde_json::json!({
        "name": format!("KV_{name}"),
        "subjects": [format!("$KV.{name}.>")],
        "retention": "limits",
        "max_msgs_per_subject": 1,
        "max_age": u64::try_from(max_age.as_nanos()).unwrap_or(u64::MAX),
        "discard": "new",
        "storage": "file",
        "num_replicas": 1,
        "allow_rollup_hdrs": true,
        "deny_delete": true,
        "allow_direct": true,
    });
    let answer: serde_json::Value = js
        .request(format!("STREAM.CREATE.KV_{name}"), &config)
        .await
        .with_context(|| format!("creating the NATS key-value bucket {name}"))?;
    if let Some(error) = answer.get("error") {
        // Another node may have created it meanwhile.
        if let Ok(b) = js.get_key_value(name).await {
            return Ok(b);
        }
        bail!("creating the NATS key-value bucket {name}: {error}");
    }
    js.get_key_value(name).await.with_context(|| format!("opening the NATS key-value bucket {name}"))
}

async fn connect_with_retry(url: &str, tx: mpsc::Sender<Incoming>) -> anyhow::Result<async_nats::Client> {
    let started = Instant::now();
    let mut delay = Duration::from_millis(200);
    loop {
        let lost = Arc::new(AtomicBool::new(false));
        let events = tx.clone();
        let options = async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_secs(2))
            .max_reconnects(None)
            .event_callback(move |event| {
                let lost = lost.clone();
                let events = events.clone();
                async move {
                    match event {
                        async_nats::Event::Disconnected => {
                            lost.store(true, Ordering::SeqCst);
                            tracing::warn!("lost the connection to NATS; reconnecting");
                        }
                        async_nats::Event::Connected if lost.swap(false, Ordering::SeqCst) => {
                            tracing::info!("reconnected to NATS; resynchronising");
                            let _ = events.send(Incoming::Resync).await;
                        }
                        other => tracing::debug!(event = %other, "NATS"),
                    }
                }
            });
        match options.connect(url).await {
            Ok(client) => return Ok(client),
            Err(e) if started.elapsed() + delay < CONNECT_FOR => {
                tracing::warn!(error = %e, url, "NATS unreachable; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(4));
            }
            Err(e) => bail!("cluster.nats_url {url}: NATS unreachable for {}s ({e}); giving up", CONNECT_FOR.as_secs()),
        }
    }
}

impl Node {
    /// The subject of the cluster's events.
    pub fn subject(&self) -> String {
        format!("{}.events", self.config.cluster)
    }

    fn spawn_heartbeat(&self) {
        let nodes = self.nodes.clone();
        let id = self.config.node_id.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(HEARTBEAT);
            loop {
                tick.tick().await;
                if let Err(e) = nodes.put(&id, Bytes::from_static(b"alive")).await {
                    tracing::warn!(error = %e, "could not refresh this node's lease");
                }
            }
        });
    }

    async fn spawn_subscriber(&self, tx: mpsc::Sender<Incoming>) -> anyhow::Result<()> {
        let mut sub = self.client.subscribe(self.subject()).await.context("subscribing to the cluster's events")?;
        let me = self.config.node_id.clone();
        tokio::spawn(async move {
            while let Some(msg) = sub.next().await {
                match wire::decode(&msg.payload) {
                    Ok((node, _)) if node == me => {}
                    Ok((node, event)) => {
                        let seq = msg
                            .headers
                            .as_ref()
                            .and_then(|h| h.get(SEQ_HEADER))
                            .and_then(|v| v.as_str().parse().ok())
                            .unwrap_or(0);
                        if tx.send(Incoming::Event { node, seq, event: Box::new(event) }).await.is_err() {
                            return;
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "undecodable cluster event"),
                }
            }
        });
        Ok(())
    }

    /// The bus that publishes this node's events.
    pub fn bus(&self) -> Arc<NatsBus> {
        let (tx, mut rx) = mpsc::channel::<(u64, Bytes)>(PUBLISH_QUEUE);
        let client = self.client.clone();
        let subject = self.subject();
        tokio::spawn(async move {
            while let Some((seq, payload)) = rx.recv().await {
                let mut headers = async_nats::HeaderMap::new();
                headers.insert(SEQ_HEADER, seq.to_string().as_str());
                if let Err(e) = client.publish_with_headers(subject.clone(), headers, payload).await {
                    tracing::error!(error = %e, "could not publish a cluster event");
                }
            }
        });
        Arc::new(NatsBus { node: self.config.node_id.clone(), tx, published: std::sync::Mutex::new(0) })
    }

    /// The value the cluster agreed on for `key` (bucket `<cluster>_shared`): the first
    /// node to offer one sets it, and every node gets that one back, its own offer or not.
    pub async fn agree(&self, key: &str, offer: Bytes) -> anyhow::Result<Bytes> {
        let shared = self.shared_bucket().await?;
        for _ in 0..8 {
            match shared.create(key, offer.clone()).await {
                Ok(_) => return Ok(offer),
                Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {}
                Err(e) => return Err(e).with_context(|| format!("offering the cluster's {key}")),
            }
            // Taken: read what the first node offered (absent only if it was just removed).
            if let Some(agreed) = shared.get(key).await.with_context(|| format!("reading the cluster's {key}"))? {
                return Ok(agreed);
            }
        }
        bail!("the cluster's {key} kept changing")
    }

    /// The value the cluster agreed on for `key`, if any node offered one yet.
    pub async fn agreed(&self, key: &str) -> anyhow::Result<Option<Bytes>> {
        self.shared_bucket().await?.get(key).await.with_context(|| format!("reading the cluster's {key}"))
    }

    async fn shared_bucket(&self) -> anyhow::Result<kv::Store> {
        bucket(&self.js, &format!("{}_shared", self.config.cluster), Duration::ZERO).await
    }

    /// Releases this node's lease (a clean stop).
    pub async fn leave(&self) {
        let _ = self.nodes.purge(&self.config.node_id).await;
        let _ = self.client.flush().await;
    }
}

/// Publishes events on the cluster's subject, one after the other.
pub struct NatsBus {
    node: String,
    tx: mpsc::Sender<(u64, Bytes)>,
    /// Events queued so far: the sequence number of the last one.
    published: std::sync::Mutex<u64>,
}

impl EventBus for NatsBus {
    fn publish(&self, event: ClusterEvent) {
        let payload = wire::encode(&self.node, &event);
        // Numbers are taken under the lock so that they follow the queue's order.
        let mut published = self.published.lock().unwrap_or_else(|p| p.into_inner());
        match self.tx.try_send((*published + 1, payload)) {
            Ok(()) => {
                *published += 1;
                application::telemetry::cluster_published(*published);
            }
            Err(_) => tracing::error!("cluster event dropped: the publishing queue is full (NATS unavailable?)"),
        }
    }
    fn clustered(&self) -> bool {
        true
    }
    fn node(&self) -> &str {
        &self.node
    }
}

/// Whether `name` may name a cluster or a node (it becomes part of subjects and keys).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
