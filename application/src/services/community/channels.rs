//! Channels: listing for everyone, management for the owner (docs/design/channels.md).

use domain::permission::named::MANAGE_CHANNELS;
use domain::{Channel, ChannelKind, Extras, PermissionMap};

use super::Community;
use crate::errors::ChannelError;
use crate::ports::PluginEvent;
use crate::services::{Outcome, Pushes, Reply};
use crate::{Packet, Session};

/// Input of `channel_create`: a valid name and kind.
#[derive(Debug, Clone, PartialEq)]
pub struct NewChannel {
    /// Name (see [`valid_channel_name`]).
    pub name: String,
    /// `text`, `voice`, `separator` or `forum` (docs/design/threads.md#forums).
    pub kind: ChannelKind,
    /// Permission lists.
    pub permissions: Option<PermissionMap>,
    /// Other stored keys (`description`, `wallpaper`, `size`), in order.
    pub extra: Extras,
}

/// The keys `channel_update` applies, as given (`None` = absent); each key's error is
/// reported once the channel is found, in the original's order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChannelChanges {
    /// New name.
    pub name: Option<Result<String, ChannelError>>,
    /// New type.
    pub kind: Option<Result<ChannelKind, ChannelError>>,
    /// New permission lists (`Ok(None)` = null: removes them).
    pub permissions: Option<Result<Option<PermissionMap>, ChannelError>>,
    /// Other keys set verbatim (null included).
    pub extra: Extras,
}

/// Whether `name` can be a channel name (docs/design/channels.md#channel-names).
pub fn valid_channel_name(name: &str) -> bool {
    !name.trim().is_empty()
        && name.chars().count() <= 100
        && !name.contains(['/', '\\'])
        && !name.contains("..")
        && !name.chars().any(char::is_control)
}

/// A channel kind `channel_create` and `channel_update` accept.
pub fn creatable_kind(kind: &str) -> Option<ChannelKind> {
    matches!(kind, "text" | "voice" | "separator" | "forum").then(|| ChannelKind::parse(kind))
}

impl Community {
    /// `channels_get`: what the caller may view.
    pub async fn visible_channels(&self, session: &Session) -> Outcome<ChannelError> {
        let user = self.directory.caller_found(session).await?;
        Ok(Reply::Packet(Packet::ChannelsGet(self.lists.channel_views(&user).await?)))
    }

    /// `channel_create`; a request that names no valid channel is refused after the
    /// owner check.
    pub async fn create_channel(
        &self,
        session: &Session,
        req: Result<NewChannel, ChannelError>,
    ) -> Outcome<ChannelError> {
        self.directory.require_owner_or(session, MANAGE_CHANNELS).await?;
        let NewChannel { name, kind, permissions, extra } = req?;
        let permissions = match (&kind, permissions) {
            (_, Some(p)) => Some(p),
            (ChannelKind::Separator, None) => None,
            (_, None) => {
                Some(PermissionMap(vec![("view".into(), vec!["owner".into()]), ("send".into(), vec!["owner".into()])]))
            }
        };
        let extra = extra.into_iter().filter(|(k, _)| k != "size" || kind == ChannelKind::Separator).collect();
        let channel = Channel { name, kind, permissions, extra };
        let inserted = self.store.insert_channel(&channel).await.map_err(|e| {
            tracing::error!(error = %e, "channel_create: storage failure");
            ChannelError::ChannelCreateFailed
        })?;
        if !inserted {
            return Err(ChannelError::ChannelExists);
        }
        self.emit(PluginEvent::ChannelCreate { channel: Box::new(channel.clone()) });
        Ok(Reply::then(Packet::ChannelCreated(Box::new(channel)), Pushes::CHANNELS))
    }

    /// `channel_update`.
    pub async fn update_channel(
        &self,
        session: &Session,
        current: Result<String, ChannelError>,
        changes: Result<ChannelChanges, ChannelError>,
    ) -> Outcome<ChannelError> {
        self.directory.require_owner_or(session, MANAGE_CHANNELS).await?;
        let current = current?;
        let changes = changes?;
        let mut channel = self.store.channel(&current).await?.ok_or(ChannelError::ChannelNotFound)?;
        if let Some(kind) = changes.kind {
            let kind = kind?;
            // A forum keeps its type, so its threads never lose their forum.
            if channel.is_forum() && kind != channel.kind {
                return Err(ChannelError::ChannelTypeInvalid);
            }
            channel.kind = kind;
        }
        if let Some(name) = changes.name {
            let name = name?;
            if name != current && self.store.channel(&name).await?.is_some() {
                return Err(ChannelError::ChannelNameTaken);
            }
            channel.name = name;
        }
        if let Some(p) = changes.permissions {
            channel.permissions = p?;
        }
        for (k, v) in changes.extra {
            match channel.extra.iter_mut().find(|(key, _)| *key == k) {
                Some(slot) => slot.1 = v,
                None => channel.extra.push((k, v)),
            }
        }
        if !self.store.update_channel(&current, &channel).await? {
            return Err(ChannelError::ChannelNotFound);
        }
        self.emit(PluginEvent::ChannelUpdate { old_name: current, channel: Box::new(channel.clone()) });
        Ok(Reply::then(Packet::ChannelUpdated(Box::new(channel)), Pushes::CHANNELS))
    }

    /// `channel_move`.
    pub async fn move_channel(
        &self,
        session: &Session,
        name: Result<String, ChannelError>,
        position: Result<i64, ChannelError>,
    ) -> Outcome<ChannelError> {
        self.directory.require_owner_or(session, MANAGE_CHANNELS).await?;
        let name = name?;
        let position = position?;
        let moved = self.store.move_channel(&name, position as usize).await?;
        let pushes = if moved { Pushes::CHANNELS } else { Pushes::default() };
        if moved {
            self.emit(PluginEvent::ChannelMove { channel: name.clone(), position });
        }
        Ok(Reply::then(Packet::ChannelMoved { name, position, moved }, pushes))
    }

    /// `channel_delete` (exact name, else the first case-insensitive match).
    pub async fn delete_channel(&self, session: &Session, name: Result<String, ChannelError>) -> Outcome<ChannelError> {
        self.directory.require_owner_or(session, MANAGE_CHANNELS).await?;
        let name = name?;
        let actual = match self.store.channel(&name).await? {
            Some(c) => c.name,
            None => {
                let lower = name.to_lowercase();
                let found = self.store.channels().await?.into_iter().find(|c| c.name.to_lowercase() == lower);
                found.ok_or(ChannelError::ChannelNotFound)?.name
            }
        };
        if !self.store.delete_channel(&actual).await? {
            return Err(ChannelError::ChannelNotFound);
        }
        self.emit(PluginEvent::ChannelDelete { name: actual.clone() });
        Ok(Reply::then(Packet::ChannelDeleted(actual), Pushes::CHANNELS))
    }
}
