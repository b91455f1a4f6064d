//! The permission engine: one function answers "may this user do this here".
//!
//! Rules (docs/design/permissions.md):
//! - an unknown channel fails every check, for everyone;
//! - a banned user may do nothing;
//! - the owner passes every check on an existing channel, except editing someone else's
//!   message, which is nobody's right;
//! - everyone else needs `view` first, then the permission of the action, where a
//!   permission key absent from the channel takes its documented default; a list entry
//!   `"!role"` denies holders of `role`, whatever else they hold.
//!
//! Server-wide named permissions and the hierarchy of role positions are in [`named`].

use crate::Channel;
use crate::user::{BANNED_ROLE, OWNER_ROLE};

pub mod named;
pub use named::{ADMINISTRATOR, Rank, SERVER_PERMISSIONS};

/// The channel permissions the server enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// See the channel and its messages.
    View,
    /// Post messages.
    Send,
    /// Delete other users' messages.
    Delete,
    /// Edit one's own messages.
    EditOwn,
    /// Delete one's own messages.
    DeleteOwn,
    /// Pin and unpin messages.
    Pin,
    /// Add and remove reactions.
    React,
    /// Start a thread (evaluated for the threads commands).
    CreateThread,
}

/// Who holds a permission whose key is absent from the channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbsentDefault {
    /// Every user.
    Everyone,
    /// Nobody but the owner.
    OwnerOnly,
}

impl Permission {
    /// Every permission, for iteration in tests and listings.
    pub const ALL: [Permission; 8] = [
        Self::View,
        Self::Send,
        Self::Delete,
        Self::EditOwn,
        Self::DeleteOwn,
        Self::Pin,
        Self::React,
        Self::CreateThread,
    ];

    /// The key in a channel's `permissions` object.
    pub fn key(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Send => "send",
            Self::Delete => "delete",
            Self::EditOwn => "edit_own",
            Self::DeleteOwn => "delete_own",
            Self::Pin => "pin",
            Self::React => "react",
            Self::CreateThread => "create_thread",
        }
    }

    /// Who holds it when the channel does not list it.
    pub fn absent_default(self) -> AbsentDefault {
        match self {
            Self::EditOwn | Self::DeleteOwn | Self::React => AbsentDefault::Everyone,
            Self::View | Self::Send | Self::Delete | Self::Pin | Self::CreateThread => AbsentDefault::OwnerOnly,
        }
    }
}

/// Something a user wants to do in a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read the channel.
    View,
    /// Post a message.
    Send,
    /// Edit a message; `own` when the caller wrote it.
    Edit {
        /// The caller wrote it.
        own: bool,
    },
    /// Delete a message; `own` when the caller wrote it.
    Delete {
        /// The caller wrote it.
        own: bool,
    },
    /// Pin or unpin.
    Pin,
    /// React.
    React,
    /// Start a thread.
    CreateThread,
}

impl Action {
    /// The permission this action needs, or `None` when nobody may do it.
    pub fn permission(self) -> Option<Permission> {
        match self {
            Self::View => Some(Permission::View),
            Self::Send => Some(Permission::Send),
            Self::Edit { own: true } => Some(Permission::EditOwn),
            Self::Edit { own: false } => None,
            Self::Delete { own: true } => Some(Permission::DeleteOwn),
            Self::Delete { own: false } => Some(Permission::Delete),
            Self::Pin => Some(Permission::Pin),
            Self::React => Some(Permission::React),
            Self::CreateThread => Some(Permission::CreateThread),
        }
    }
}

/// Whether a holder of `roles` passes a channel permission list: no role of theirs is
/// denied by a `"!role"` entry, and one of them is listed (docs/design/permissions.md#negation).
pub fn list_allows(list: &[String], roles: &[String]) -> bool {
    let denied = |r: &String| list.iter().any(|e| e.strip_prefix('!') == Some(r.as_str()));
    let allowed = |r: &String| list.iter().any(|e| !e.starts_with('!') && e == r);
    !roles.iter().any(denied) && roles.iter().any(allowed)
}

/// Whether a holder of `roles` has `permission` by the channel's list or its default.
fn holds(roles: &[String], channel: &Channel, permission: Permission) -> bool {
    match channel.roles_for(permission.key()) {
        Some(list) => list_allows(list, roles),
        None => permission.absent_default() == AbsentDefault::Everyone,
    }
}

/// May a user holding `roles` perform `action` in `channel` (`None` = unknown channel)?
pub fn may(roles: &[String], channel: Option<&Channel>, action: Action) -> bool {
    let Some(channel) = channel else { return false };
    let Some(permission) = action.permission() else { return false };
    if roles.iter().any(|r| r == BANNED_ROLE) {
        return false;
    }
    if roles.iter().any(|r| r == OWNER_ROLE) {
        return true;
    }
    holds(roles, channel, Permission::View) && holds(roles, channel, permission)
}

#[cfg(test)]
mod tests;
