//! Named server permissions held through roles, and the hierarchy of role positions
//! (docs/design/permissions.md#named-permissions, docs/design/permissions.md#hierarchy).
//!
//! - `owner` holds every named permission and outranks everyone;
//! - a role granting `administrator` grants every named permission;
//! - a user's rank is the position of their highest role (the lowest number); they may act
//!   only on roles and users strictly below it, and never on `owner` or its holders.

use crate::Role;
use crate::user::{BANNED_ROLE, OWNER_ROLE};

/// The permission that implies every other one.
pub const ADMINISTRATOR: &str = "administrator";

/// The named permissions listed in the handshake, in the original's order.
pub const SERVER_PERMISSIONS: [&str; 20] = [
    "administrator",
    "manage_server",
    "view_audit_log",
    "manage_roles",
    "manage_channels",
    "manage_threads",
    "manage_users",
    "manage_messages",
    "read_message_history",
    "send_messages",
    "embed_links",
    "attach_files",
    "add_reactions",
    "external_emojis",
    "connect",
    "speak",
    "stream",
    "use_voice_activity",
    "mention_everyone",
    "use_slash_commands",
];

/// What a user holding some role names may do server-wide, resolved against the role
/// records. Names without a record grant nothing and rank nowhere.
#[derive(Debug, Clone, PartialEq)]
pub struct Rank {
    owner: bool,
    banned: bool,
    grants: Vec<String>,
    top: Option<i64>,
}

impl Rank {
    /// The rank of a holder of `user_roles` given every role record.
    pub fn of(user_roles: &[String], roles: &[Role]) -> Self {
        let held: Vec<&Role> = roles.iter().filter(|r| user_roles.contains(&r.name)).collect();
        Self {
            owner: user_roles.iter().any(|r| r == OWNER_ROLE),
            banned: user_roles.iter().any(|r| r == BANNED_ROLE),
            grants: held.iter().flat_map(|r| r.grants.iter().cloned()).collect(),
            top: held.iter().map(|r| r.position).min(),
        }
    }

    /// Holds `owner` (and is not banned).
    pub fn is_owner(&self) -> bool {
        self.owner && !self.banned
    }

    /// Holds the named permission: the owner always, others through a role granting it or
    /// `administrator`. Nobody banned.
    pub fn has(&self, permission: &str) -> bool {
        !self.banned && (self.owner || self.grants.iter().any(|g| g == permission || g == ADMINISTRATOR))
    }

    /// Holds any named permission at all (decides which refusal text a caller sees).
    pub fn has_any(&self) -> bool {
        !self.banned && (self.owner || self.grants.iter().any(|g| SERVER_PERMISSIONS.contains(&g.as_str())))
    }

    /// The position of the highest role held (lowest number), if any.
    pub fn top(&self) -> Option<i64> {
        self.top
    }

    /// May act on `role`: the owner on every role; others on roles strictly below their
    /// highest, never on `owner`.
    pub fn outranks_role(&self, role: &Role) -> bool {
        if self.banned {
            return false;
        }
        if self.owner {
            return true;
        }
        role.name != OWNER_ROLE && self.top.is_some_and(|top| role.position > top)
    }

    /// May act on a user holding `target_roles`: the owner on everyone; others on users who
    /// do not hold `owner` and whose highest role is strictly below theirs (a user with no
    /// known role ranks lowest).
    pub fn outranks_user(&self, target: &Rank) -> bool {
        if self.banned {
            return false;
        }
        if self.owner {
            return true;
        }
        let Some(top) = self.top else { return false };
        !target.owner && target.top.is_none_or(|t| t > top)
    }
}

/// Bans, timeouts and users' roles.
pub const MANAGE_USERS: &str = "manage_users";
/// Creating, editing, deleting and reordering roles below one's own.
pub const MANAGE_ROLES: &str = "manage_roles";
/// Creating, editing, moving and deleting channels.
pub const MANAGE_CHANNELS: &str = "manage_channels";
/// Deleting and pinning other users' messages in channels one can view.
pub const MANAGE_MESSAGES: &str = "manage_messages";
/// Server settings: custom emoji, rate-limit resets, plugins.
pub const MANAGE_SERVER: &str = "manage_server";
/// Updating and deleting threads one did not create, and locking threads.
pub const MANAGE_THREADS: &str = "manage_threads";
