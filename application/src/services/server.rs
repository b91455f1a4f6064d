//! The server's name, icon and banner: `server_info`, `server_update`, and what the
//! handshake and HTTP `/info` show (docs/design/server-info.md).

use std::sync::{Arc, RwLock};

use domain::permission::named::MANAGE_SERVER;

use super::{Directory, Outcome, Reply};
use crate::errors::ServerError;
use crate::hub::Hub;
use crate::packets::Packet;
use crate::ports::{ClusterEvent, Forget, ServerProfile, Store, StoreResult};
use crate::{Origin, Session};

/// Longest server name (characters).
pub const MAX_SERVER_NAME: usize = 100;

/// Longest icon or banner URL (characters).
pub const MAX_SERVER_URL: usize = 2048;

/// What `server_update` changes: per field, `Ok(None)` when absent or null (unchanged).
#[derive(Debug, Clone, PartialEq)]
pub struct ServerUpdate {
    /// New name.
    pub name: Result<Option<String>, ServerError>,
    /// New icon URL.
    pub icon: Result<Option<String>, ServerError>,
    /// New banner URL.
    pub banner: Result<Option<String>, ServerError>,
    /// Whether the request named any of the three fields (null counts).
    pub any: bool,
}

/// The counters of HTTP `/info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerStats {
    /// Stored users.
    pub total_users: usize,
    /// Open connections, authenticated or not, on every node of a cluster.
    pub connected_users: usize,
    /// Distinct users authenticated, on any node of a cluster.
    pub online_users: usize,
    /// Channels.
    pub total_channels: usize,
    /// Roles.
    pub total_roles: usize,
}

/// The server profile service.
pub struct ServerInfo {
    store: Arc<dyn Store>,
    directory: Arc<Directory>,
    hub: Arc<Hub>,
    /// The configuration's values (icon/banner rewritten).
    defaults: ServerProfile,
    /// The stored profile, read at start and kept current by `server_update`.
    stored: RwLock<ServerProfile>,
    /// Held while the stored profile is read or written, so that a reload cannot put an
    /// older copy over a newer one.
    writing: tokio::sync::Mutex<()>,
}

impl ServerInfo {
    /// The service; [`ServerInfo::load`] reads the stored profile.
    pub fn new(store: Arc<dyn Store>, directory: Arc<Directory>, hub: Arc<Hub>, defaults: ServerProfile) -> Self {
        Self { store, directory, hub, defaults, stored: RwLock::default(), writing: Default::default() }
    }

    /// Reads the stored profile (at start, and when another node changed it).
    pub async fn load(&self) -> StoreResult<()> {
        let _writing = self.writing.lock().await;
        let stored = self.store.server_profile().await?;
        *self.stored.write().unwrap_or_else(|e| e.into_inner()) = stored;
        Ok(())
    }

    /// The stored fields, which override the configuration's `server` section.
    pub fn overrides(&self) -> ServerProfile {
        self.stored.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The current values: each stored field, else the configuration's.
    pub fn current(&self) -> ServerProfile {
        let s = self.overrides();
        let d = &self.defaults;
        ServerProfile {
            name: s.name.or_else(|| d.name.clone()),
            icon: s.icon.or_else(|| d.icon.clone()),
            banner: s.banner.or_else(|| d.banner.clone()),
        }
    }

    /// The counters of HTTP `/info`.
    pub async fn stats(&self) -> StoreResult<ServerStats> {
        let here = self.hub.authenticated().into_iter().map(|(_, u)| u);
        let mut online: Vec<_> = here.chain(self.hub.presence().elsewhere()).collect();
        online.sort();
        online.dedup();
        Ok(ServerStats {
            total_users: self.store.users().await?.len(),
            connected_users: self.hub.connection_count() + self.hub.presence().connections_elsewhere().await,
            online_users: online.len(),
            total_channels: self.store.channels().await?.len(),
            total_roles: self.store.roles().await?.len(),
        })
    }

    /// `server_info`, before and after `auth`.
    pub fn info(&self) -> Packet {
        Packet::ServerInfo(self.current())
    }

    /// `server_update`: with `manage_server`, stores the given fields and tells every
    /// authenticated connection; the sender's copy carries its `listener`.
    pub async fn update(&self, session: &Session, req: ServerUpdate, origin: &Origin) -> Outcome<ServerError> {
        self.directory.require_permission(session, MANAGE_SERVER).await?;
        let (name, icon, banner) = (req.name?, req.icon?, req.banner?);
        if !req.any {
            return Err(ServerError::NoUpdates);
        }
        let writing = self.writing.lock().await;
        // Another node may have changed other fields a moment ago: read them under the lock.
        let _shared = self.directory.lock_across_nodes("server\0profile").await?;
        let mut next = self.store.server_profile().await?;
        next.name = name.or(next.name);
        next.icon = icon.or(next.icon);
        next.banner = banner.or(next.banner);
        self.store.save_server_profile(&next).await?;
        *self.stored.write().unwrap_or_else(|e| e.into_inner()) = next;
        self.hub.publish(|| ClusterEvent::Forget(Forget::Server));
        drop(writing);
        session.before_output().await;
        self.hub.send_all_authenticated_from(&Packet::ServerUpdate(self.current()), origin);
        Ok(Reply::Done)
    }
}
