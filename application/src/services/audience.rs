//! Who receives a channel's events: the authenticated connections whose user may view the
//! channel at send time (docs/design/permissions.md: view first).

use std::collections::HashMap;
use std::sync::Arc;

use domain::{Action, UserId, may};

use crate::hub::Hub;
use crate::ports::Store;
use crate::{ConnId, Origin, Packet};

/// Computes audiences and fans packets out to them.
pub struct Audience {
    store: Arc<dyn Store>,
    hub: Arc<Hub>,
}

impl Audience {
    /// An audience over the store and the hub.
    pub fn new(store: Arc<dyn Store>, hub: Arc<Hub>) -> Self {
        Self { store, hub }
    }

    /// Authenticated connections whose user may view `channel` now.
    pub async fn viewers(&self, channel: &str) -> Vec<ConnId> {
        let conns = self.hub.authenticated();
        let chan = match self.store.channel(channel).await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, channel, "broadcast: channel lookup failed");
                None
            }
        };
        let mut verdicts: HashMap<UserId, bool> = HashMap::new();
        let mut targets: Vec<ConnId> = Vec::with_capacity(conns.len());
        for (conn, user_id) in conns {
            let allowed = match verdicts.get(&user_id) {
                Some(v) => *v,
                None => {
                    let v = match self.store.user(&user_id).await {
                        Ok(Some(u)) => may(&u.roles, chan.as_ref(), Action::View),
                        _ => false,
                    };
                    verdicts.insert(user_id, v);
                    v
                }
            };
            if allowed {
                targets.push(conn);
            }
        }
        targets
    }

    /// Sends `packet` to every authenticated connection whose user may view `channel`,
    /// then to the origin connection (with its listener) without re-checking it.
    pub async fn broadcast(&self, packet: &Packet, channel: &str, origin: &Origin) {
        let targets = self.viewers(channel).await;
        self.hub.fan_out(packet, &targets, origin);
    }
}
