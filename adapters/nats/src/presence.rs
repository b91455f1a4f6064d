//! Shared presence (docs/design/cluster.md#presence): bucket `<cluster>_presence` holds, per
//! user (key: the id in hex), the username and the nodes where the user has connections.
//! Every change is a compare-and-set on the key's revision, so of two nodes that change
//! the same user at once exactly one sees the set go from empty to not empty (and
//! announces `user_connect`) or from not empty to empty (and announces `user_disconnect`).
//! A sweeper removes nodes whose lease expired; the node whose compare-and-set empties a
//! set announces that user's disconnect.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use application::ports::Presence;
use async_nats::jetstream::kv;
use bytes::Bytes;
use domain::UserId;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::{HEARTBEAT, Incoming, Node, bucket};

#[derive(Debug, Default, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct Seen {
    name: String,
    nodes: BTreeSet<String>,
}

/// Presence in NATS key-value.
pub struct KvPresence {
    me: String,
    kv: kv::Store,
    /// What the bucket holds, as watched: user → nodes.
    mirror: Arc<RwLock<HashMap<UserId, BTreeSet<String>>>>,
    /// Serialises this node's changes of one user.
    locks: application::locks::Locks,
    /// The live nodes at the last sweep, to notice the ones whose lease expired since.
    known: std::sync::Mutex<BTreeSet<String>>,
    /// For the census of connections ([`crate::census`]).
    client: async_nats::Client,
    nodes: kv::Store,
    cluster: String,
    census: crate::census::Census,
    /// The highest revision this node wrote (reported, so that a test can wait until every
    /// node's mirror has seen every node's writes).
    written: AtomicU64,
}

fn key(user: &UserId) -> String {
    user.0.bytes().map(|b| format!("{b:02x}")).collect()
}

fn user_of(key: &str) -> Option<UserId> {
    let bytes: Option<Vec<u8>> =
        (0..key.len()).step_by(2).map(|i| key.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect();
    String::from_utf8(bytes?).ok().map(UserId)
}

impl KvPresence {
    /// Opens the bucket, mirrors it, and sweeps out nodes whose lease expired; users that
    /// had no other node are reported as [`Incoming::Gone`].
    pub async fn start(node: &Node, events: mpsc::Sender<Incoming>) -> anyhow::Result<Arc<Self>> {
        let kv = bucket(&node.js, &format!("{}_presence", node.config.cluster), std::time::Duration::ZERO).await?;
        let presence = Arc::new(Self {
            me: node.config.node_id.clone(),
            kv,
            mirror: Arc::default(),
            locks: application::locks::Locks::default(),
            known: std::sync::Mutex::default(),
            written: AtomicU64::new(0),
            client: node.client.clone(),
            nodes: node.nodes.clone(),
            cluster: node.config.cluster.clone(),
            census: crate::census::Census::default(),
        });
        let mut watch = presence.kv.watch_all().await?;
        let mirror = presence.mirror.clone();
        tokio::spawn(async move {
            let mut seen = 0;
            while let Some(entry) = watch.next().await {
                let Ok(entry) = entry else { continue };
                seen = seen.max(entry.revision);
                let Some(user) = user_of(&entry.key) else { continue };
                let nodes = match entry.operation {
                    kv::Operation::Put => serde_json::from_slice::<Seen>(&entry.value).unwrap_or_default().nodes,
                    _ => BTreeSet::new(),
                };
                let mut m = mirror.write().unwrap_or_else(|p| p.into_inner());
                if nodes.is_empty() {
                    m.remove(&user);
                } else {
                    m.insert(user, nodes);
                }
                drop(m);
                application::telemetry::cluster_presence_seen(seen);
            }
        });
        let sweeper = presence.clone();
        let nodes = node.nodes.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(HEARTBEAT);
            loop {
                tick.tick().await;
                if let Err(e) = sweeper.sweep(&nodes, &events).await {
                    tracing::warn!(error = %e, "presence sweep failed");
                }
            }
        });
        Ok(presence)
    }

    /// Changes a user's entry with compare-and-set; returns the sets before and after.
    async fn change(&self, user: &UserId, f: impl Fn(&mut Seen)) -> anyhow::Result<(Seen, Seen)> {
        let key = key(user);
        for _ in 0..64 {
            let entry = self.kv.entry(key.clone()).await?;
            let (before, revision) = match &entry {
                Some(e) if e.operation == kv::Operation::Put => {
                    (serde_json::from_slice::<Seen>(&e.value).unwrap_or_default(), Some(e.revision))
                }
                Some(e) => (Seen::default(), Some(e.revision)),
                None => (Seen::default(), None),
            };
            let mut after = before.clone();
            f(&mut after);
            if after == before {
                return Ok((before, after));
            }
            let value = Bytes::from(serde_json::to_vec(&after)?);
            let written = match revision {
                Some(r) => self.kv.update(&key, value, r).await.map_err(anyhow::Error::from),
                None => self.kv.create(&key, value).await.map_err(anyhow::Error::from),
            };
            if let Ok(revision) = written {
                let highest = self.written.fetch_max(revision, Ordering::Relaxed).max(revision);
                application::telemetry::cluster_presence_written(highest);
                return Ok((before, after));
            }
        }
        anyhow::bail!("presence of a user kept changing under this node")
    }

    /// Removes nodes without a lease from every entry.
    async fn sweep(&self, nodes: &kv::Store, events: &mpsc::Sender<Incoming>) -> anyhow::Result<()> {
        let mut live = BTreeSet::new();
        let mut keys = nodes.keys().await?;
        while let Some(k) = keys.next().await {
            live.insert(k?);
        }
        if !live.contains(&self.me) {
            // This node's own lease is not visible: do not judge the others.
            return Ok(());
        }
        let vanished: Vec<String> = {
            let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
            let vanished = known.difference(&live).cloned().collect();
            known.clone_from(&live);
            vanished
        };
        for node in vanished {
            tracing::info!(node, "a node's lease expired");
            let _ = events.send(Incoming::NodeGone(node)).await;
        }
        let stale: Vec<UserId> = {
            let m = self.mirror.read().unwrap_or_else(|p| p.into_inner());
            m.iter().filter(|(_, n)| n.iter().any(|n| !live.contains(n))).map(|(u, _)| u.clone()).collect()
        };
        for user in stale {
            let _lock = self.locks.user(&user).await;
            let (before, after) = self.change(&user, |s| s.nodes.retain(|n| live.contains(n))).await?;
            if !before.nodes.is_empty() && after.nodes.is_empty() {
                tracing::info!(user = %after.name, "user's only node is gone");
                let _ = events.send(Incoming::Gone { username: after.name }).await;
            }
        }
        Ok(())
    }

    /// After a loss of NATS: puts this node back for users connected here.
    pub async fn reassert(&self, here: &[(UserId, String)]) -> Vec<String> {
        let mut back = vec![];
        for (user, name) in here {
            if self.arrived(user, name).await {
                back.push(name.clone());
            }
        }
        back
    }
}

#[async_trait::async_trait]
impl Presence for KvPresence {
    async fn arrived(&self, user: &UserId, username: &str) -> bool {
        let _lock = self.locks.user(user).await;
        match self
            .change(user, |s| {
                s.name = username.to_owned();
                s.nodes.insert(self.me.clone());
            })
            .await
        {
            Ok((before, _)) => before.nodes.is_empty(),
            Err(e) => {
                tracing::error!(error = %e, "presence unavailable; announcing the connection");
                true
            }
        }
    }

    async fn departed(&self, user: &UserId) -> bool {
        let _lock = self.locks.user(user).await;
        match self
            .change(user, |s| {
                s.nodes.remove(&self.me);
            })
            .await
        {
            Ok((_, after)) => after.nodes.is_empty(),
            Err(e) => {
                tracing::error!(error = %e, "presence unavailable; announcing the disconnection");
                true
            }
        }
    }

    fn elsewhere(&self) -> Vec<UserId> {
        let m = self.mirror.read().unwrap_or_else(|p| p.into_inner());
        m.iter().filter(|(_, n)| n.iter().any(|n| *n != self.me)).map(|(u, _)| u.clone()).collect()
    }

    fn is_elsewhere(&self, user: &UserId) -> bool {
        let m = self.mirror.read().unwrap_or_else(|p| p.into_inner());
        m.get(user).is_some_and(|n| n.iter().any(|n| *n != self.me))
    }

    async fn connections_elsewhere(&self) -> usize {
        self.census.others(&self.client, &self.nodes, &self.cluster, &self.me).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for id in ["", "abc", "ünï/.*>", "a b"] {
            let k = key(&UserId(id.into()));
            assert!(k.bytes().all(|b| b.is_ascii_hexdigit()));
            assert_eq!(user_of(&k), Some(UserId(id.into())));
        }
    }
}
