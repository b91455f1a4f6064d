//! Channels: kinds, per-channel permission lists and the defaults of a fresh server.

use crate::{Extras, RawJson};

/// What a channel is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelKind {
    /// Holds messages.
    Text,
    /// WebRTC signalling room.
    Voice,
    /// A visual divider in the channel list.
    Separator,
    /// A type written by another version (kept, but fails text-only checks).
    Other(String),
}

impl ChannelKind {
    /// Parses the stored `type` string.
    pub fn parse(s: &str) -> Self {
        match s {
            "text" => Self::Text,
            "voice" => Self::Voice,
            "separator" => Self::Separator,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The stored `type` string.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Text => "text",
            Self::Voice => "voice",
            Self::Separator => "separator",
            Self::Other(s) => s,
        }
    }
}

/// Permission name → role names, in stored order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PermissionMap(pub Vec<(String, Vec<String>)>);

impl PermissionMap {
    /// The role list for a permission, or `None` when the key is absent.
    pub fn get(&self, permission: &str) -> Option<&[String]> {
        self.0.iter().find(|(k, _)| k == permission).map(|(_, v)| v.as_slice())
    }

    /// Sets (or adds) the list of a permission.
    pub fn set(&mut self, permission: &str, roles: Vec<String>) {
        match self.0.iter_mut().find(|(k, _)| k == permission) {
            Some((_, v)) => *v = roles,
            None => self.0.push((permission.to_owned(), roles)),
        }
    }
}

/// A channel record.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    /// Unique, case-sensitive name.
    pub name: String,
    /// Its kind.
    pub kind: ChannelKind,
    /// Per-permission role lists; `None` when the record has no `permissions` key.
    pub permissions: Option<PermissionMap>,
    /// Other stored keys (`description`, `wallpaper`, `size`, `display_name`, …) in order.
    pub extra: Extras,
}

impl Channel {
    /// Whether messages may be read and written here.
    pub fn is_text(&self) -> bool {
        self.kind == ChannelKind::Text
    }

    /// Whether it is a forum: it holds threads, not messages (docs/design/threads.md#forums).
    pub fn is_forum(&self) -> bool {
        self.kind.as_str() == "forum"
    }

    /// The role list of a permission, if the channel names it.
    pub fn roles_for(&self, permission: &str) -> Option<&[String]> {
        self.permissions.as_ref().and_then(|p| p.get(permission))
    }
}

/// The channel list of a fresh server.
pub fn default_channels() -> Vec<Channel> {
    let list = |roles: &[&str]| roles.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![Channel {
        name: "general".into(),
        kind: ChannelKind::Text,
        permissions: Some(PermissionMap(vec![
            ("view".into(), list(&["user"])),
            ("send".into(), list(&["user"])),
            ("delete".into(), list(&["admin", "moderator"])),
        ])),
        extra: vec![("description".into(), RawJson("\"General chat channel for everyone\"".into()))],
    }]
}
