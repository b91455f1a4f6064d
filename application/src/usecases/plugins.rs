//! Plugins from the application's side: telling them about events, `plugins_list` and
//! `plugins_reload`, and carrying out the actions they ask for (slash-and-plugins.md B.6).
//!
//! Actions go through the same checks and pushes as commands: messages are persisted
//! before they are sent and reach only the channel's viewers; a ban ejects; role changes
//! refresh everyone's lists.

use std::sync::Arc;

use domain::{Message, User, UserId};
use tokio::sync::mpsc::UnboundedReceiver;

use super::{CommandResult, Pushes, Reply};
use crate::ports::{PendingChange, PluginAction, PluginEvent, Queued, Requested};
use crate::views::NameBook;
use crate::{App, AppError, Origin, Packet, Session};

impl App {
    /// Tells every plugin handling it about `event`.
    pub fn emit(&self, event: PluginEvent) {
        self.plugins.notify(&event);
    }

    /// `plugins_list` (owner only).
    pub async fn plugins_list(&self, session: &Session) -> CommandResult {
        self.require_owner(session).await?;
        Ok(Reply::Packet(Packet::PluginsList(self.plugins.list())))
    }

    /// `plugins_reload` (owner only): one plugin, or all of them.
    pub async fn plugins_reload(&self, session: &Session, plugin: Option<String>) -> CommandResult {
        self.require_owner(session).await?;
        match self.plugins.reload(plugin.clone()).await {
            Ok(()) => Ok(Reply::Packet(Packet::PluginsReloaded(plugin))),
            Err(name) => Err(AppError::PluginReloadFailed(name).into()),
        }
    }

    /// Carries out actions at once (those of built-in screening, so that a timeout is in
    /// force before the author hears of it).
    pub(crate) async fn perform_all(&self, actions: Vec<Requested>) {
        for requested in actions {
            self.perform_one(requested).await;
        }
    }

    /// Carries out the actions plugins ask for, one at a time, until every sender is gone.
    pub async fn run_plugin_actions(self: Arc<Self>, mut actions: UnboundedReceiver<Queued>) {
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

    async fn target(&self, user: &str) -> Result<User, AppError> {
        self.resolve_user(user).await?.ok_or(AppError::UserNotFound)
    }

    async fn perform(&self, action: PluginAction) -> Result<(), AppError> {
        match action {
            PluginAction::SendMessage { channel, content, author } => {
                self.post_as_plugin(&channel, content, &author).await
            }
            PluginAction::DeleteMessage { channel, id } => {
                if self.store.delete_message(&channel, &id).await? {
                    let packet = Packet::MessageDelete { channel: channel.clone(), id };
                    self.broadcast_to_channel(&packet, &channel, &Origin::default()).await;
                }
                Ok(())
            }
            PluginAction::Timeout { user, seconds, notice } => {
                let target = self.target(&user).await?;
                self.set_timeout(&target.id, seconds.max(0), notice).await.map(|_| ())
            }
            PluginAction::Ban { user, banned } => {
                let id = self.target(&user).await?.id;
                if self.set_banned(&id, banned).await?.is_some() {
                    self.run_pushes(Pushes::USERS.ejecting(banned.then_some(id))).await;
                }
                Ok(())
            }
            PluginAction::Kick { user, reason } => {
                let target = self.target(&user).await?;
                let conns = self.hub.connections_of(&target.id);
                self.hub.fan_out(&Packet::Disconnect { reason }, &conns, &Origin::default());
                self.hub.close_user(&target.id, super::users::POLICY_CLOSE, "kicked");
                Ok(())
            }
            PluginAction::Role { user, role, grant } => self.plugin_role(&user, &role, grant).await,
            PluginAction::SendToUser { user, packet } => {
                let packet = custom_packet(packet)?;
                let target = self.target(&user).await?;
                let conns = self.hub.connections_of(&target.id);
                self.hub.fan_out(&packet, &conns, &Origin::default());
                Ok(())
            }
            PluginAction::Broadcast { packet, channel } => {
                let packet = custom_packet(packet)?;
                match channel {
                    Some(c) => self.broadcast_to_channel(&packet, &c, &Origin::default()).await,
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
    async fn post_as_plugin(&self, channel: &str, content: String, author: &str) -> Result<(), AppError> {
        let chan = self.store.channel(channel).await?.ok_or(AppError::ChannelNotFound)?;
        if !chan.is_text() {
            return Err(AppError::SendDenied);
        }
        let content = content.trim().to_owned();
        if content.is_empty() {
            return Err(AppError::EmptyContent);
        }
        let message = Message::new(self.ids.message_id(), UserId(author.to_owned()), content, self.clock.now());
        self.store.append_message(channel, &message).await?;
        let view = NameBook::default().view(message);
        let packet = Packet::MessageNew { channel: channel.to_owned(), message: Box::new(view) };
        self.broadcast_to_channel(&packet, channel, &Origin::default()).await;
        Ok(())
    }

    async fn plugin_role(&self, user: &str, role: &str, grant: bool) -> Result<(), AppError> {
        let id = self.target(user).await?.id;
        if grant && role != domain::user::BANNED_ROLE && self.store.role(role).await?.is_none() {
            return Err(AppError::RoleDoesNotExist(role.to_owned()));
        }
        let change = if grant { PendingChange::Grant(role.to_owned()) } else { PendingChange::Revoke(role.to_owned()) };
        if let Some((target, true)) = self.update_user_with(&id, |u| Ok(change.apply_to(u))).await? {
            let eject = target.is_banned().then(|| target.id.clone());
            self.run_pushes(Pushes::MEMBERSHIP.ejecting(eject)).await;
        }
        Ok(())
    }
}

/// A plugin-built packet: a JSON object whose `cmd` is a non-empty string.
fn custom_packet(packet: serde_json::Value) -> Result<Packet, AppError> {
    match packet.get("cmd") {
        Some(serde_json::Value::String(c)) if !c.is_empty() && packet.is_object() => Ok(Packet::Custom(packet)),
        _ => Err(AppError::PluginPacketInvalid),
    }
}
