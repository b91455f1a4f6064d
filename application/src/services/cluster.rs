//! What this node does with the events other nodes publish (docs/design/cluster.md): it
//! forgets what their writes made stale, then delivers their packets to its own
//! connections by the same rules a single node applies to all of them.

use std::sync::Arc;

use super::hot_history::HotHistory;
use super::{Audience, Emojis, Lists, ServerInfo, Slash, Voice};
use crate::hub::Hub;
use crate::limiter::Limiter;
use crate::ports::{CacheControl, ClusterEvent, Forget, Store, Target};

/// Applies other nodes' events to this node.
pub struct Cluster {
    hub: Arc<Hub>,
    audience: Arc<Audience>,
    lists: Arc<Lists>,
    emojis: Arc<Emojis>,
    history: Arc<HotHistory>,
    store: Arc<dyn Store>,
    cache: Option<Arc<dyn CacheControl>>,
    limiter: Arc<Limiter>,
    voice: Arc<Voice>,
    slash: Arc<Slash>,
    server: Arc<ServerInfo>,
}

/// The parts a [`Cluster`] is built from.
pub struct ClusterParts {
    /// Connections and fan-out.
    pub hub: Arc<Hub>,
    /// Channel audiences.
    pub audience: Arc<Audience>,
    /// Live list pushes.
    pub lists: Arc<Lists>,
    /// The emoji catalogue.
    pub emojis: Arc<Emojis>,
    /// Hot message history.
    pub history: Arc<HotHistory>,
    /// The (observed) store.
    pub store: Arc<dyn Store>,
    /// The cache under the store, when there is one.
    pub cache: Option<Arc<dyn CacheControl>>,
    /// The rate limiter.
    pub limiter: Arc<Limiter>,
    /// Voice rosters.
    pub voice: Arc<Voice>,
    /// Slash commands.
    pub slash: Arc<Slash>,
    /// The server's name, icon and banner.
    pub server: Arc<ServerInfo>,
}

impl Cluster {
    /// A receiver over these parts.
    pub fn new(parts: ClusterParts) -> Self {
        let ClusterParts { hub, audience, lists, emojis, history, store, cache, limiter, voice, slash, server } = parts;
        Self { hub, audience, lists, emojis, history, store, cache, limiter, voice, slash, server }
    }

    /// Applies one event from another node. Events are applied one after the other, in
    /// the order their node published them; `from` is the publishing node.
    pub async fn receive(&self, from: &str, event: ClusterEvent) {
        if self.hub.receive(&event) {
            return;
        }
        match event {
            ClusterEvent::Deliver { target: Target::Channel(channel), frame } => {
                self.audience.deliver_remote(&channel, &frame).await;
            }
            ClusterEvent::Forget(what) => {
                let rights = matches!(what, Forget::User(_) | Forget::Roles | Forget::Channels(_));
                self.forget(what).await;
                if rights {
                    // Seats held here whose user lost the channel are cleared here.
                    self.voice.reconcile().await;
                }
            }
            ClusterEvent::ChannelLists => self.lists.push_own_channel_lists().await,
            ClusterEvent::Voice(change) => self.voice.remote(from, change).await,
            ClusterEvent::Limiter(change) => self.limiter.apply(&change),
            ClusterEvent::Slash(change) => self.slash.remote(from, change),
            ClusterEvent::Hello { answer: false } => {
                self.announce();
                self.hub.publish(|| ClusterEvent::Hello { answer: true });
            }
            ClusterEvent::Hello { answer: true } => {}
            ClusterEvent::Deliver { .. } | ClusterEvent::CloseUser { .. } => {}
        }
    }

    /// Drops what another node's write made stale: the cache first, then what is derived
    /// from it here.
    async fn forget(&self, what: Forget) {
        if let Some(cache) = &self.cache {
            cache.forget(&what).await;
        }
        match what {
            Forget::User(id) => match self.store.user(&id).await {
                Ok(Some(user)) => self.audience.user_changed(&user),
                Ok(None) => self.audience.user_removed(&id),
                Err(e) => {
                    tracing::error!(error = %e, "cluster: user unavailable; channel audiences re-read");
                    self.audience.channels_changed();
                }
            },
            Forget::Roles => {}
            Forget::Channels(names) => {
                self.audience.channels_changed();
                for name in names {
                    self.history.channel_changed(&name);
                }
            }
            Forget::Messages(channel) => self.history.channel_changed(&channel),
            Forget::Emojis => self.emojis.forget(),
            Forget::Server => {
                if let Err(e) = self.server.load().await {
                    tracing::error!(error = %e, "cluster: the server profile could not be read again");
                }
            }
        }
    }

    /// After this node lost the bus for a while: everything cached may be stale, and so may
    /// the roles of its online users.
    pub async fn forget_everything(&self) {
        if let Some(cache) = &self.cache {
            cache.clear();
        }
        self.audience.channels_changed();
        self.history.clear();
        self.emojis.forget();
        if let Err(e) = self.server.load().await {
            tracing::error!(error = %e, "cluster: the server profile could not be read again");
        }
        let mut users: Vec<_> = self.hub.authenticated().into_iter().map(|(_, u)| u).collect();
        users.sort_by(|a, b| a.0.cmp(&b.0));
        users.dedup();
        for id in users {
            if let Ok(Some(user)) = self.store.user(&id).await {
                self.audience.user_changed(&user);
            }
        }
    }

    /// Another node's lease expired: what it held here is released.
    pub async fn node_gone(&self, node: &str) {
        self.voice.node_gone(node).await;
        self.slash.node_gone(node);
    }

    /// Asks the other nodes for what they hold (this node just started, or missed events):
    /// they answer with their bots' commands and their voice seats.
    pub fn hello(&self) {
        self.hub.publish(|| ClusterEvent::Hello { answer: false });
    }

    /// Publishes what this node holds: its bots' commands and its voice seats.
    pub fn announce(&self) {
        self.slash.announce();
        self.voice.announce();
    }

    /// The users connected to this node, with their names.
    pub fn users_here(&self) -> Vec<(domain::UserId, String)> {
        let mut out: Vec<(domain::UserId, String)> = vec![];
        for user in self.hub.authenticated_users() {
            if !out.iter().any(|(id, _)| *id == user.id) {
                out.push((user.id, user.username));
            }
        }
        out
    }

    /// A user's only node is gone: everyone is told, as when a last connection closes.
    pub fn user_gone(&self, username: String) {
        self.hub.send_all_authenticated(&crate::Packet::UserDisconnect { username });
    }
}
