//! Joining a cluster (docs/scaling.md): the NATS connection, this node's lease, the event
//! bus, and the task that applies other nodes' events to this node.

use std::sync::{Arc, Mutex};

use application::App;
use application::app::ClusterPorts;
use application::ports::{CacheControl, SharedLocks};
use nats::presence::KvPresence;
use nats::{Incoming, Node, NodeConfig};
use tokio::sync::mpsc;

use crate::config::ClusterConfig;

/// This node in its cluster.
pub struct Joined {
    node: Node,
    presence: Arc<KvPresence>,
    incoming: Mutex<Option<mpsc::Receiver<Incoming>>>,
    /// What this node answers to the other nodes' census ([`nats::census`]).
    count: nats::census::Count,
}

/// Connects to NATS (retrying for up to 30 s) and takes this node's lease.
pub async fn join(cfg: &ClusterConfig) -> anyhow::Result<Joined> {
    let config = NodeConfig { url: cfg.nats_url.clone(), cluster: cfg.name.clone(), node_id: cfg.node_id.clone() };
    let (node, presence, incoming) = nats::join(config).await?;
    tracing::info!(node = %cfg.node_id, cluster = %cfg.name, nats = %cfg.nats_url, "joined the cluster");
    // Answered from the start: the other nodes count this one as soon as its lease exists.
    let count = nats::census::Count::default();
    let (client, cluster, me, answers) = (node.client.clone(), cfg.name.clone(), cfg.node_id.clone(), count.clone());
    tokio::spawn(async move {
        if let Err(e) = nats::census::serve(client, &cluster, me, answers).await {
            tracing::error!(error = %e, "census: cannot answer the other nodes' counts");
        }
    });
    Ok(Joined { node, presence, incoming: Mutex::new(Some(incoming)), count })
}

impl Joined {
    /// The ports the application uses to reach the other nodes.
    pub fn ports(&self, cache: Arc<dyn CacheControl>, locks: Option<Arc<dyn SharedLocks>>) -> ClusterPorts {
        let relay = nats::resume::NatsRelay::new(self.node.client.clone(), self.node.config.cluster.clone());
        ClusterPorts {
            bus: self.node.bus(),
            cache: Some(cache),
            presence: self.presence.clone(),
            locks,
            resume: Some(Arc::new(relay)),
        }
    }

    /// Applies other nodes' events to `app`, one after the other.
    pub fn start(&self, app: Arc<App>) {
        let Some(mut incoming) = self.incoming.lock().unwrap_or_else(|p| p.into_inner()).take() else { return };
        let presence = self.presence.clone();
        // The other nodes answer with their bots' commands and voice seats.
        app.cluster.hello();
        // Hand-overs of this node's resumable sessions (docs/design/resume.md#across-nodes).
        let (client, cluster) = (self.node.client.clone(), self.node.config.cluster.clone());
        let sessions = app.sessions.clone();
        let handler: nats::resume::Handler = Arc::new(move |request| {
            let sessions = sessions.clone();
            Box::pin(async move { sessions.hand_off(request).await })
        });
        tokio::spawn(async move {
            if let Err(e) = nats::resume::serve(client, &cluster, handler).await {
                tracing::error!(error = %e, "resume: cannot answer hand-overs of this node's sessions");
            }
        });
        // This node's count of connections for the other nodes' `/info` (0 until now).
        let hub = app.hub.clone();
        let _ = self.count.set(Box::new(move || hub.connection_count()));
        tokio::spawn(async move {
            let mut applied = std::collections::HashMap::new();
            while let Some(next) = incoming.recv().await {
                match next {
                    Incoming::Event { node, seq, event } => {
                        app.cluster.receive(&node, *event).await;
                        // Events of nodes that do not number theirs (older versions) leave it.
                        if seq > 0 {
                            applied
                                .entry(node)
                                .or_insert_with_key(|node| application::telemetry::cluster_applied(node))
                                .set(seq as f64);
                        }
                    }
                    Incoming::NodeGone(node) => app.cluster.node_gone(&node).await,
                    Incoming::Resync => {
                        app.cluster.forget_everything().await;
                        let here = app.cluster.users_here();
                        presence.reassert(&here).await;
                        app.cluster.hello();
                        app.cluster.announce();
                        tracing::info!("resynchronised with the cluster");
                    }
                    Incoming::Gone { username } => app.cluster.user_gone(username),
                }
            }
        });
    }

    /// The value the cluster agreed on for `key`, offering `offer` ([`Node::agree`]).
    pub async fn agree(&self, key: &str, offer: Vec<u8>) -> anyhow::Result<Vec<u8>> {
        Ok(self.node.agree(key, offer.into()).await?.to_vec())
    }

    /// The value the cluster agreed on for `key`, if any ([`Node::agreed`]).
    pub async fn agreed(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(self.node.agreed(key).await?.map(|v| v.to_vec()))
    }

    /// Leaves the cluster at a clean stop.
    pub async fn leave(&self) {
        self.node.leave().await;
    }
}
