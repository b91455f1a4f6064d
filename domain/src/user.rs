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
}

impl User {
    /// A new user made from the configured template roles.
    pub fn new(id: UserId, username: String, roles: Vec<String>, extra: Extras) -> Self {
        Self { id, username: Some(username), roles, validator: None, extra, timeout_until: None }
    }

    /// The name shown to clients: the username, or the id for legacy records without one.
    pub fn display_name(&self) -> &str {
        self.username.as_deref().unwrap_or(self.id.as_str())
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
