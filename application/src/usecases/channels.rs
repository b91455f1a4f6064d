//! Channels: listing for everyone, management for the owner (users-roles-channels.md).

use domain::{Channel, ChannelKind, Extras, PermissionMap};

use super::{CommandResult, Pushes, Reply};
use crate::ports::PluginEvent;
use crate::{App, AppError, Packet, Session};

/// Input of `channel_create`, falsy values mapped to `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewChannel {
    /// Name.
    pub name: Option<String>,
    /// `text`, `voice` or `separator`.
    pub kind: Option<String>,
    /// Permission lists.
    pub permissions: Option<PermissionMap>,
    /// Other stored keys (`description`, `wallpaper`, `size`), in order.
    pub extra: Extras,
}

/// The keys `channel_update` applies, as given (`None` = absent).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChannelChanges {
    /// New name.
    pub name: Option<String>,
    /// New type.
    pub kind: Option<String>,
    /// New permission lists (`Some(None)` = null: removes them; `Some(Some(Err))` = not an object).
    pub permissions: Option<Option<Result<PermissionMap, ()>>>,
    /// Other keys set verbatim (null included).
    pub extra: Extras,
}

/// Whether `name` can be a channel name (messages.md Recommended).
pub fn valid_channel_name(name: &str) -> bool {
    !name.trim().is_empty()
        && name.chars().count() <= 100
        && !name.contains(['/', '\\'])
        && !name.contains("..")
        && !name.chars().any(char::is_control)
}

fn valid_kind(kind: &str) -> Option<ChannelKind> {
    matches!(kind, "text" | "voice" | "separator").then(|| ChannelKind::parse(kind))
}

impl App {
    /// `channels_get`: what the caller may view.
    pub async fn visible_channels(&self, session: &Session) -> CommandResult {
        let user = self.caller_or(session, AppError::UserNotFound).await?;
        Ok(Reply::Packet(Packet::ChannelsGet(self.channel_views(&user).await?)))
    }

    /// `channel_create`.
    pub async fn create_channel(&self, session: &Session, req: NewChannel) -> CommandResult {
        self.require_owner(session).await?;
        let name = req.name.ok_or(AppError::ChannelNameRequired)?;
        let kind = req.kind.ok_or(AppError::ChannelTypeRequired)?;
        let kind = valid_kind(&kind).ok_or(AppError::ChannelTypeInvalidCreate)?;
        if !valid_channel_name(&name) {
            return Err(AppError::ChannelNameInvalid.into());
        }
        let permissions = match (&kind, req.permissions) {
            (_, Some(p)) => Some(p),
            (ChannelKind::Separator, None) => None,
            (_, None) => {
                Some(PermissionMap(vec![("view".into(), vec!["owner".into()]), ("send".into(), vec!["owner".into()])]))
            }
        };
        let extra = req.extra.into_iter().filter(|(k, _)| k != "size" || kind == ChannelKind::Separator).collect();
        let channel = Channel { name, kind, permissions, extra };
        let inserted = self.store.insert_channel(&channel).await.map_err(|e| {
            tracing::error!(error = %e, "channel_create: storage failure");
            AppError::ChannelCreateFailed
        })?;
        if !inserted {
            return Err(AppError::ChannelExists.into());
        }
        self.emit(PluginEvent::ChannelCreate { channel: Box::new(channel.clone()) });
        Ok(Reply::then(Packet::ChannelCreated(Box::new(channel)), Pushes::CHANNELS))
    }

    /// `channel_update`.
    pub async fn update_channel(
        &self,
        session: &Session,
        current: Option<String>,
        changes: Option<ChannelChanges>,
    ) -> CommandResult {
        self.require_owner(session).await?;
        let current = current.ok_or(AppError::CurrentNameRequired)?;
        let changes = changes.ok_or(AppError::UpdatesRequired)?;
        let mut channel = self.store.channel(&current).await?.ok_or(AppError::ChannelNotFound)?;
        if let Some(kind) = &changes.kind {
            channel.kind = valid_kind(kind).ok_or(AppError::ChannelTypeInvalid)?;
        }
        if let Some(name) = &changes.name {
            if !valid_channel_name(name) {
                return Err(AppError::ChannelNameInvalid.into());
            }
            if *name != current && self.store.channel(name).await?.is_some() {
                return Err(AppError::ChannelNameTaken.into());
            }
            channel.name = name.clone();
        }
        if let Some(p) = changes.permissions {
            channel.permissions = p.transpose().map_err(|_| AppError::PermissionsNotObject)?;
        }
        for (k, v) in changes.extra {
            match channel.extra.iter_mut().find(|(key, _)| *key == k) {
                Some(slot) => slot.1 = v,
                None => channel.extra.push((k, v)),
            }
        }
        if !self.store.update_channel(&current, &channel).await? {
            return Err(AppError::ChannelNotFound.into());
        }
        self.emit(PluginEvent::ChannelUpdate { old_name: current, channel: Box::new(channel.clone()) });
        Ok(Reply::then(Packet::ChannelUpdated(Box::new(channel)), Pushes::CHANNELS))
    }

    /// `channel_move`.
    pub async fn move_channel(
        &self,
        session: &Session,
        name: Option<String>,
        position: Option<Result<i64, ()>>,
    ) -> CommandResult {
        self.require_owner(session).await?;
        let name = name.ok_or(AppError::ChannelNameRequired)?;
        let position = position.ok_or(AppError::PositionRequired)?.map_err(|_| AppError::PositionInvalid)?;
        if position < 0 {
            return Err(AppError::PositionInvalid.into());
        }
        let moved = self.store.move_channel(&name, position as usize).await?;
        let pushes = if moved { Pushes::CHANNELS } else { Pushes::default() };
        if moved {
            self.emit(PluginEvent::ChannelMove { channel: name.clone(), position });
        }
        Ok(Reply::then(Packet::ChannelMoved { name, position, moved }, pushes))
    }

    /// `channel_delete` (exact name, else the first case-insensitive match).
    pub async fn delete_channel(&self, session: &Session, name: Option<String>) -> CommandResult {
        self.require_owner(session).await?;
        let name = name.ok_or(AppError::ChannelNameRequired)?;
        let actual = match self.store.channel(&name).await? {
            Some(c) => c.name,
            None => {
                let lower = name.to_lowercase();
                let found = self.store.channels().await?.into_iter().find(|c| c.name.to_lowercase() == lower);
                found.ok_or(AppError::ChannelNotFound)?.name
            }
        };
        if !self.store.delete_channel(&actual).await? {
            return Err(AppError::ChannelNotFound.into());
        }
        self.emit(PluginEvent::ChannelDelete { name: actual.clone() });
        Ok(Reply::then(Packet::ChannelDeleted(actual), Pushes::CHANNELS))
    }
}
