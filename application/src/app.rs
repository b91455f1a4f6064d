//! The application: ports, settings and shared state, with use cases as methods
//! (one `impl App` block per command family under [`crate::usecases`]).

use std::sync::Arc;

use crate::hub::Hub;
use crate::limiter::Limiter;
use crate::locks::Locks;
use crate::ports::{AuthValidator, Clock, IdSource, PacketEncoder, PluginHost, Store};
use crate::settings::Settings;
use crate::slash::SlashRegistry;
use crate::voice::VoiceRooms;

/// Everything a use case may touch.
pub struct App {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// Rotur (or mock) validation.
    pub auth: Arc<dyn AuthValidator>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Ids and tokens.
    pub ids: Arc<dyn IdSource>,
    /// Connections and fan-out.
    pub hub: Hub,
    /// Rate limits.
    pub limiter: Limiter,
    /// Configuration.
    pub settings: Settings,
    /// Voice channel participants.
    pub voice: VoiceRooms,
    /// Slash commands registered by bots, and their pending calls.
    pub slash: SlashRegistry,
    /// Plugins.
    pub plugins: Arc<dyn PluginHost>,
    /// Per-record locks for read-modify-write.
    pub locks: Locks,
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
}

impl App {
    /// Wires an application.
    pub fn new(ports: Ports, settings: Settings) -> Self {
        Self {
            store: ports.store,
            auth: ports.auth,
            clock: ports.clock,
            ids: ports.ids,
            hub: Hub::new(ports.encoder),
            limiter: Limiter::new(settings.rate_limit),
            settings,
            voice: VoiceRooms::default(),
            slash: SlashRegistry::default(),
            plugins: ports.plugins,
            locks: Locks::default(),
        }
    }
}
