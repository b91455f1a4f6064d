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
}

/// Connects to NATS (retrying for up to 30 s) and takes this node's lease.
pub async fn join(cfg: &ClusterConfig) -> anyhow::Result<Joined> {
    let config = NodeConfig { url: cfg.nats_url.clone(), cluster: cfg.name.clone(), node_id: cfg.node_id.clone() };
    let (node, presence, incoming) = nats::join(config).await?;
    tracing::info!(node = %cfg.node_id, cluster = %cfg.name, nats = %cfg.nats_url, "joined the cluster");
    Ok(Joined { node, presence, incoming: Mutex::new(Some(incoming)) })
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
        // The other nodes' counts of connections, for `/info`.
        let (client, cluster, me) =
            (self.node.client.clone(), self.node.config.cluster.clone(), self.node.config.node_id.clone());
        let hub = app.hub.clone();
        let count: nats::census::Count = Arc::new(move || hub.connection_count());
        tokio::spawn(async move {
            if let Err(e) = nats::census::serve(client, &cluster, me, count).await {
                tracing::error!(error = %e, "census: cannot answer the other nodes' counts");
            }
        });
        tokio::spawn(async move {
            while let Some(next) = incoming.recv().await {
                match next {
                    Incoming::Event { node, seq, event } => {
                        app.cluster.receive(&node, *event).await;
                        application::telemetry::cluster_applied(&node, seq);
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

    /// Leaves the cluster at a clean stop.
    pub async fn leave(&self) {
        self.node.leave().await;
    }
}
