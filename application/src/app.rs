//! The application: one service per context, wired from the ports (docs/design/architecture.md).

use std::sync::Arc;

use crate::hub::Hub;
use crate::limiter::Limiter;
use crate::ports::{
    AuthValidator, CacheControl, Clock, EmojiImages, EventBus, IdSource, LocalBus, LocalPresence, Notifier,
    PacketEncoder, PluginHost, Presence, SharedLocks, Store,
};
use crate::services::audience::Observed;
use crate::services::community::CommunityParts;
use crate::services::emojis::EmojisParts;
use crate::services::hot_history::HotHistory;
use crate::services::messaging::MessagingParts;
use crate::services::plugins::PluginsParts;
use crate::services::push::PushParts;
use crate::services::sessions::SessionsParts;
use crate::services::slash::SlashParts;
use crate::services::{
    Audience, Cluster, ClusterParts, Community, Directory, Emojis, Gate, Lists, Messaging, Plugins, Push, ServerInfo,
    Sessions, Slash, Voice,
};
use crate::settings::Settings;
use crate::voice::VoiceRooms;

/// The services of a running server. Transports drive [`App::sessions`] and hand parsed
/// requests to the other services; nothing else reaches the ports.
pub struct App {
    /// Configuration the wire adapter needs to parse requests (limits).
    pub settings: Arc<Settings>,
    /// Who is connected; fan-out.
    pub hub: Arc<Hub>,
    /// Connection lifecycles: handshake, auth, answers, cleanup.
    pub sessions: Arc<Sessions>,
    /// Text messages.
    pub messaging: Arc<Messaging>,
    /// Users, moderation, roles, channels.
    pub community: Arc<Community>,
    /// Voice channels.
    pub voice: Arc<Voice>,
    /// Slash commands.
    pub slash: Arc<Slash>,
    /// Plugins.
    pub plugins: Arc<Plugins>,
    /// Live list pushes (what follows a change of users, roles or channels).
    pub lists: Arc<Lists>,
    /// Who may view each channel, kept current (docs/design/audiences.md).
    pub audience: Arc<Audience>,
    /// Web Push; its worker is started with `tokio::spawn(app.push.clone().run())`.
    pub push: Arc<Push>,
    /// Custom emoji.
    pub emojis: Arc<Emojis>,
    /// What other nodes of a cluster ask of this one (docs/design/cluster.md).
    pub cluster: Arc<Cluster>,
    /// The server's name, icon and banner; [`ServerInfo::load`] before serving.
    pub server: Arc<ServerInfo>,
}

/// How a node reaches the other nodes of a cluster; [`ClusterPorts::single`] for none.
pub struct ClusterPorts {
    /// The event bus.
    pub bus: Arc<dyn EventBus>,
    /// The cache under the store, which other nodes' writes make stale.
    pub cache: Option<Arc<dyn CacheControl>>,
    /// Who is online on which node.
    pub presence: Arc<dyn Presence>,
    /// Record locks across the nodes (none for a single node).
    pub locks: Option<Arc<dyn SharedLocks>>,
    /// Resuming sessions held by other nodes (docs/design/resume.md#across-nodes).
    pub resume: Option<Arc<dyn crate::ports::ResumeRelay>>,
}

impl ClusterPorts {
    /// A single node: no peers.
    pub fn single() -> Self {
        Self { bus: Arc::new(LocalBus), cache: None, presence: Arc::new(LocalPresence), locks: None, resume: None }
    }
}

/// The ports an [`App`] is built from.
pub struct Ports {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// Auth validator.
    pub auth: Arc<dyn AuthValidator>,
    /// Clock.
    pub clock: Arc<dyn Clock>,
    /// Id source.
    pub ids: Arc<dyn IdSource>,
    /// Packet encoder of the transport layer.
    pub encoder: Arc<dyn PacketEncoder>,
    /// Plugin host ([`crate::ports::NoPlugins`] for none).
    pub plugins: Arc<dyn PluginHost>,
    /// Web Push notifier ([`crate::ports::NoNotifier`] for none).
    pub notifier: Arc<dyn Notifier>,
    /// Emoji image checks and the emoji folder.
    pub images: Arc<dyn EmojiImages>,
}

impl App {
    /// Wires the services of a single node.
    pub fn new(ports: Ports, settings: Settings) -> Self {
        Self::with_cluster(ports, settings, ClusterPorts::single())
    }

    /// Wires the services of a node that shares its database with other nodes.
    pub fn with_cluster(ports: Ports, settings: Settings, cluster: ClusterPorts) -> Self {
        let Ports { store, auth, clock, ids, encoder, plugins: host, notifier, images } = ports;
        let settings = Arc::new(settings);
        let relay = cluster.resume;
        let hub = Arc::new(Hub::with_bus(encoder, cluster.bus, cluster.presence));
        // Every write goes through the observer, which keeps the audience index current.
        let history = Arc::new(HotHistory::default());
        let observed = Arc::new(Observed::new(store, history.clone()));
        let store: Arc<dyn Store> = observed.clone();
        let limiter = Arc::new(Limiter::with_bus(settings.rate_limit, hub.bus().clone()));
        let rooms = Arc::new(VoiceRooms::default());
        let directory = Arc::new(Directory::shared(store.clone(), cluster.locks, cluster.cache.clone()));
        let gate = Arc::new(Gate::new(store.clone(), limiter.clone(), clock.clone()));
        let audience = Arc::new(Audience::new(store.clone(), hub.clone()));
        observed.watch(audience.clone());
        let voice = Arc::new(Voice::new(
            rooms.clone(),
            store.clone(),
            directory.clone(),
            audience.clone(),
            gate.clone(),
            hub.clone(),
        ));
        let lists = Arc::new(Lists::new(store.clone(), hub.clone(), rooms, voice.clone()));
        let community = Arc::new(Community::new(CommunityParts {
            store: store.clone(),
            directory: directory.clone(),
            hub: hub.clone(),
            limiter: limiter.clone(),
            clock: clock.clone(),
            ids: ids.clone(),
            lists: lists.clone(),
            host: host.clone(),
        }));
        let plugins = Arc::new(Plugins::new(PluginsParts {
            host: host.clone(),
            store: store.clone(),
            directory: directory.clone(),
            audience: audience.clone(),
            hub: hub.clone(),
            lists: lists.clone(),
            community: community.clone(),
            clock: clock.clone(),
            ids: ids.clone(),
        }));
        let push = Arc::new(Push::new(PushParts {
            store: store.clone(),
            notifier,
            hub: hub.clone(),
            clock: clock.clone(),
            settings: settings.clone(),
        }));
        let emojis = Arc::new(Emojis::new(EmojisParts {
            store: store.clone(),
            directory: directory.clone(),
            images,
            hub: hub.clone(),
            clock: clock.clone(),
            settings: settings.clone(),
        }));
        let messaging = Arc::new(Messaging::new(MessagingParts {
            store: store.clone(),
            directory: directory.clone(),
            gate: gate.clone(),
            audience: audience.clone(),
            clock: clock.clone(),
            ids: ids.clone(),
            host: host.clone(),
            plugins: plugins.clone(),
            settings: settings.clone(),
            history: history.clone(),
            push: push.clone(),
            emojis: emojis.clone(),
        }));
        let slash = Arc::new(Slash::new(SlashParts {
            store: store.clone(),
            directory: directory.clone(),
            gate,
            audience: audience.clone(),
            hub: hub.clone(),
            clock: clock.clone(),
            ids: ids.clone(),
            settings: settings.clone(),
            host: host.clone(),
            plugins: plugins.clone(),
        }));
        let server =
            Arc::new(ServerInfo::new(store.clone(), directory.clone(), hub.clone(), settings.server_profile.clone()));
        let cluster = Arc::new(Cluster::new(ClusterParts {
            hub: hub.clone(),
            audience: audience.clone(),
            lists: lists.clone(),
            emojis: emojis.clone(),
            history,
            store: store.clone(),
            cache: cluster.cache,
            limiter: limiter.clone(),
            voice: voice.clone(),
            slash: slash.clone(),
            server: server.clone(),
        }));
        let sessions = Arc::new(Sessions::new(SessionsParts {
            auth,
            ids,
            store,
            directory,
            hub: hub.clone(),
            voice: voice.clone(),
            slash: slash.clone(),
            lists: lists.clone(),
            audience: audience.clone(),
            host,
            settings: settings.clone(),
            clock,
            server: server.clone(),
            resumes: crate::resume::Resumes::new(settings.resume.clone()),
            relay,
        }));
        Self {
            settings,
            hub,
            sessions,
            messaging,
            community,
            voice,
            slash,
            plugins,
            lists,
            audience,
            push,
            emojis,
            cluster,
            server,
        }
    }
}
