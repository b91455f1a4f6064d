//! Users: the Rotur identity, its roles and presentation rules.

use crate::{Extras, Role};

/// The Rotur user id (opaque; clients never see it in text-chat packets).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub String);

impl UserId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Name of the role that passes every channel check.
pub const OWNER_ROLE: &str = "owner";
/// Name of the marker role of banned users.
pub const BANNED_ROLE: &str = "banned";
/// Roles that can never be deleted (docs/design/roles.md#protected-roles).
pub const PROTECTED_ROLES: [&str; 4] = ["owner", "admin", "user", "banned"];

/// A stored user record.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// Rotur id, the key of the record.
    pub id: UserId,
    /// Current Rotur username (`None` for legacy records without one).
    pub username: Option<String>,
    /// Role names; the first one gives the user's colour.
    pub roles: Vec<String>,
    /// The last session token handed out in `ready`.
    pub validator: Option<String>,
    /// Legacy keys of the record that pass through to `ready.user`.
    pub extra: Extras,
    /// End of a moderation timeout (docs/design/moderation.md#timeouts), Unix seconds.
    pub timeout_until: Option<crate::UnixSeconds>,
    /// Nickname and chosen status (stored among the record's keys, as the original does).
    pub profile: Profile,
}

/// What a user chose to show about themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// Display nickname (docs/design/profiles.md#nicknames).
    pub nickname: Option<String>,
    /// Chosen status (docs/design/status.md); `None` until first set.
    pub status: Option<Presence>,
}

/// The statuses `status_set` accepts.
pub const STATUSES: [&str; 5] = ["online", "idle", "dnd", "offline", "invisible"];

/// A chosen status and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    /// One of [`STATUSES`].
    pub status: String,
    /// Free text, at most 100 characters.
    pub text: String,
}

impl Presence {
    /// Whether this status hides the user's presence (`offline` and `invisible` alike).
    pub fn hidden(&self) -> bool {
        matches!(self.status.as_str(), "offline" | "invisible")
    }

    /// What others see of it: hidden statuses read `offline` without text.
    pub fn as_seen(&self) -> Presence {
        if self.hidden() { Presence { status: "offline".into(), text: String::new() } } else { self.clone() }
    }
}

impl User {
    /// A new user made from the configured template roles.
    pub fn new(id: UserId, username: String, roles: Vec<String>, extra: Extras) -> Self {
        Self {
            id,
            username: Some(username),
            roles,
            validator: None,
            extra,
            timeout_until: None,
            profile: Profile::default(),
        }
    }

    /// The name shown to clients: the username, or the id for legacy records without one.
    pub fn display_name(&self) -> &str {
        self.username.as_deref().unwrap_or(self.id.as_str())
    }

    /// Whether the user chose a status that hides their presence.
    pub fn hidden(&self) -> bool {
        self.profile.status.as_ref().is_some_and(Presence::hidden)
    }

    /// Whether the user holds the role `name`.
    pub fn has_role(&self, name: &str) -> bool {
        self.roles.iter().any(|r| r == name)
    }

    /// Whether the user is the server owner.
    pub fn is_owner(&self) -> bool {
        self.has_role(OWNER_ROLE)
    }

    /// Whether the user is banned.
    pub fn is_banned(&self) -> bool {
        self.has_role(BANNED_ROLE)
    }

    /// Adds a role at the front (the original inserts new roles first). Returns whether it changed.
    pub fn grant_front(&mut self, role: &str) -> bool {
        if self.has_role(role) {
            return false;
        }
        self.roles.insert(0, role.to_owned());
        true
    }

    /// Removes a role. Returns whether it changed.
    pub fn revoke(&mut self, role: &str) -> bool {
        let before = self.roles.len();
        self.roles.retain(|r| r != role);
        before != self.roles.len()
    }

    /// The colour of the first role, if that role exists and has one.
    pub fn color<'a>(&self, roles: impl IntoIterator<Item = &'a Role>) -> Option<String> {
        let first = self.roles.first()?;
        roles.into_iter().find(|r| &r.name == first)?.color.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(roles: &[&str]) -> User {
        User::new(UserId("u1".into()), "alice".into(), roles.iter().map(|s| s.to_string()).collect(), vec![])
    }

    #[test]
    fn color_comes_from_the_first_role() {
        let roles = [Role::named("user", Some("#FFFFFF")), Role::named("owner", Some("#9400D3"))];
        assert_eq!(user(&["owner", "user"]).color(&roles).as_deref(), Some("#9400D3"));
        assert_eq!(user(&[]).color(&roles), None);
        assert_eq!(user(&["ghost", "owner"]).color(&roles), None);
    }

    #[test]
    fn granting_inserts_at_the_front_once() {
        let mut u = user(&["user"]);
        assert!(u.grant_front("owner"));
        assert!(!u.grant_front("owner"));
        assert_eq!(u.roles, vec!["owner", "user"]);
        assert!(u.revoke("owner"));
        assert!(!u.revoke("owner"));
    }

    #[test]
    fn legacy_user_without_name_displays_its_id() {
        let mut u = user(&[]);
        u.username = None;
        assert_eq!(u.display_name(), "u1");
    }
}
