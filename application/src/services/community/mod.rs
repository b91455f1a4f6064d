//! The community: users and moderation, roles, channels, rate-limit status, and what the
//! operator does from the command line.

mod admin;
mod channels;
mod limits;
mod moderation;
mod profiles;
mod roles;
mod users;

use std::sync::Arc;

pub use admin::{AdminAction, AdminOutcome};
pub use channels::{ChannelChanges, NewChannel, creatable_kind, valid_channel_name};
pub use moderation::TimeoutRequest;
pub use profiles::{MAX_NICKNAME, MAX_STATUS_TEXT, UserUpdate};
pub use roles::{RoleChanges, RolePermissions, permissions_of};

use super::{Directory, Lists};
use crate::hub::Hub;
use crate::limiter::Limiter;
use crate::ports::{Clock, IdSource, PluginEvent, PluginHost, Store};

/// The community service.
pub struct Community {
    store: Arc<dyn Store>,
    directory: Arc<Directory>,
    hub: Arc<Hub>,
    limiter: Arc<Limiter>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    lists: Arc<Lists>,
    host: Arc<dyn PluginHost>,
}

/// The parts a [`Community`] service is built from.
pub struct CommunityParts {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// Lookups and record locks.
    pub directory: Arc<Directory>,
    /// Connections.
    pub hub: Arc<Hub>,
    /// Rate limits (status, reset, history cleared by a timeout).
    pub limiter: Arc<Limiter>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Fresh ids (new roles).
    pub ids: Arc<dyn IdSource>,
    /// Live list pushes.
    pub lists: Arc<Lists>,
    /// Plugins that hear events.
    pub host: Arc<dyn PluginHost>,
}

impl Community {
    /// The community service.
    pub fn new(p: CommunityParts) -> Self {
        Self {
            store: p.store,
            directory: p.directory,
            hub: p.hub,
            limiter: p.limiter,
            clock: p.clock,
            ids: p.ids,
            lists: p.lists,
            host: p.host,
        }
    }

    fn emit(&self, event: PluginEvent) {
        self.host.notify(&event);
    }
}
