//! Plugins from the application's side: telling them about events, `plugins_list` and
//! `plugins_reload`, and carrying out the actions they ask for (docs/design/plugins.md).
//!
//! Actions go through the same checks and pushes as commands: messages are persisted
//! before they are sent and reach only the channel's viewers; a ban ejects; role changes
//! refresh everyone's lists.

use std::sync::Arc;

use domain::{Message, User, UserId};
use tokio::sync::mpsc::UnboundedReceiver;

use super::{Audience, Community, Directory, Lists, Outcome, Pushes, Reply};
use crate::errors::{ActionError, PluginError};
use crate::hub::Hub;
use crate::ports::{Clock, IdSource, PendingChange, PluginAction, PluginEvent, PluginHost, Queued, Requested, Store};
use crate::views::NameBook;
use crate::{Origin, Packet, Session};

/// Close code for connections a plugin kicks.
const KICK_CLOSE: u16 = 1008;

/// The plugins service.
pub struct Plugins {
    host: Arc<dyn PluginHost>,
    store: Arc<dyn Store>,
    directory: Arc<Directory>,
    audience: Arc<Audience>,
    hub: Arc<Hub>,
    lists: Arc<Lists>,
    community: Arc<Community>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
}

/// The parts a [`Plugins`] service is built from.
pub struct PluginsParts {
    /// The plugin host.
    pub host: Arc<dyn PluginHost>,
    /// Storage.
    pub store: Arc<dyn Store>,
    /// Lookups and record locks.
    pub directory: Arc<Directory>,
    /// Channel audiences.
    pub audience: Arc<Audience>,
    /// Connections.
    pub hub: Arc<Hub>,
    /// Live list pushes.
    pub lists: Arc<Lists>,
    /// Bans and timeouts.
    pub community: Arc<Community>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Message ids.
    pub ids: Arc<dyn IdSource>,
}

impl Plugins {
    /// The plugins service.
    pub fn new(p: PluginsParts) -> Self {
        Self {
            host: p.host,
            store: p.store,
            directory: p.directory,
            audience: p.audience,
            hub: p.hub,
            lists: p.lists,
            community: p.community,
            clock: p.clock,
            ids: p.ids,
        }
    }

    /// Tells every plugin handling it about `event`.
    pub fn emit(&self, event: PluginEvent) {
        self.host.notify(&event);
    }

    /// `plugins_list` (owner only).
    pub async fn list(&self, session: &Session) -> Outcome<PluginError> {
        self.directory.require_owner(session).await?;
        Ok(Reply::Packet(Packet::PluginsList(self.host.list())))
    }

    /// `plugins_reload` (owner only): one plugin, or all of them.
    pub async fn reload(&self, session: &Session, plugin: Option<String>) -> Outcome<PluginError> {
        self.directory.require_owner(session).await?;
        match self.host.reload(plugin.clone()).await {
            Ok(()) => Ok(Reply::Packet(Packet::PluginsReloaded(plugin))),
            Err(name) => Err(PluginError::ReloadFailed(name)),
        }
    }

    /// Carries out actions at once (those of built-in screening, so that a timeout is in
    /// force before the author hears of it).
    pub async fn perform_all(&self, actions: Vec<Requested>) {
        for requested in actions {
            self.perform_one(requested).await;
        }
    }

    /// Carries out the actions plugins ask for, one at a time, until every sender is gone.
    pub async fn run_actions(self: Arc<Self>, mut actions: UnboundedReceiver<Queued>) {
        while let Some(Queued { requested, ticket }) = actions.recv().await {
            self.perform_one(requested).await;
            drop(ticket);
        }
    }

    async fn perform_one(&self, Requested { plugin, action }: Requested) {
        tracing::debug!(plugin, ?action, "plugin action");
        if let Err(e) = self.perform(action).await {
            tracing::warn!(plugin, error = %e, "plugin action refused");
        }
    }

    async fn target(&self, user: &str) -> Result<User, ActionError> {
        self.directory.resolve_user(user).await?.ok_or_else(|| ActionError::UserNotFound(user.to_owned()))
    }

    async fn perform(&self, action: PluginAction) -> Result<(), ActionError> {
        match action {
            PluginAction::SendMessage { channel, content, author } => {
                self.post_as_plugin(&channel, content, &author).await
            }
            PluginAction::DeleteMessage { channel, id } => {
                if self.store.delete_message(&channel, &id).await? {
                    let packet = Packet::MessageDelete { channel: channel.clone(), id };
                    self.audience.broadcast(&packet, &channel, &Origin::default()).await;
                }
                Ok(())
            }
            PluginAction::Timeout { user, seconds, notice } => {
                let target = self.target(&user).await?;
                self.community.set_timeout(&target.id, seconds.max(0), notice).await?;
                Ok(())
            }
            PluginAction::Ban { user, banned } => {
                let id = self.target(&user).await?.id;
                if self.community.set_banned(&id, banned).await?.is_some() {
                    self.lists.run(Pushes::USERS.ejecting(banned.then_some(id))).await;
                }
                Ok(())
            }
            PluginAction::Kick { user, reason } => {
                let target = self.target(&user).await?;
                self.hub.send_user(&target.id, &Packet::Disconnect { reason });
                self.hub.close_user(&target.id, KICK_CLOSE, "kicked");
                Ok(())
            }
            PluginAction::Role { user, role, grant } => self.plugin_role(&user, &role, grant).await,
            PluginAction::SendToUser { user, packet } => {
                let target = self.target(&user).await?;
                self.hub.send_user(&target.id, &Packet::Custom(packet));
                Ok(())
            }
            PluginAction::Broadcast { packet, channel } => {
                let packet = Packet::Custom(packet);
                match channel {
                    Some(c) => self.audience.broadcast(&packet, &c, &Origin::default()).await,
                    None => self.hub.send_all_authenticated(&packet),
                }
                Ok(())
            }
            PluginAction::Emit(event) => {
                self.emit(*event);
                Ok(())
            }
        }
    }

    /// A plugin's message: persisted, then sent to the channel's viewers. Plugin messages
    /// raise no events, so plugins cannot set each other off in a loop.
    async fn post_as_plugin(&self, channel: &str, content: String, author: &str) -> Result<(), ActionError> {
        let chan =
            self.store.channel(channel).await?.ok_or_else(|| ActionError::ChannelNotFound(channel.to_owned()))?;
        if !chan.is_text() {
            return Err(ActionError::NotText(channel.to_owned()));
        }
        let content = content.trim().to_owned();
        if content.is_empty() {
            return Err(ActionError::EmptyContent);
        }
        let message = Message::new(self.ids.message_id(), UserId(author.to_owned()), content, self.clock.now());
        self.store.append_message(channel, &message).await?;
        let view = NameBook::default().view(message);
        let packet = Packet::MessageNew { channel: channel.to_owned(), message: Box::new(view) };
        self.audience.broadcast(&packet, channel, &Origin::default()).await;
        Ok(())
    }

    async fn plugin_role(&self, user: &str, role: &str, grant: bool) -> Result<(), ActionError> {
        let id = self.target(user).await?.id;
        if grant && role != domain::user::BANNED_ROLE && self.store.role(role).await?.is_none() {
            return Err(ActionError::RoleNotFound(role.to_owned()));
        }
        let change = if grant { PendingChange::Grant(role.to_owned()) } else { PendingChange::Revoke(role.to_owned()) };
        let apply = |u: &mut User| Ok::<_, ActionError>(change.apply_to(u));
        if let Some((target, true)) = self.directory.update_user_with(&id, apply).await? {
            let eject = target.is_banned().then(|| target.id.clone());
            self.lists.run(Pushes::MEMBERSHIP.ejecting(eject)).await;
        }
        Ok(())
    }
}
