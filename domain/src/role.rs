//! Roles: names, colours, the `mention_roles` rule, named server permissions and the
//! hierarchy of positions (docs/design/roles.md, docs/design/permissions.md#named-permissions).

use crate::Extras;

/// Who may mention a role with `@&name` (docs/design/permissions.md#role-mentions).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum MentionRule {
    /// Absent, `null`, `true` or any other type: everyone.
    #[default]
    Everyone,
    /// `false`: nobody (except the owner).
    Nobody,
    /// A role name or list of role names: holders of any of them.
    Roles(Vec<String>),
}

/// A role record.
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    /// Unique, case-sensitive name.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// CSS colour, conventionally `#RRGGBB`.
    pub color: Option<String>,
    /// Who may mention this role.
    pub mention: MentionRule,
    /// Stable identifier (a UUID; empty for a role not yet stored by the server).
    pub id: String,
    /// Place in the hierarchy: 0 is the highest; ties fall back to creation order.
    pub position: i64,
    /// Whether users may give it to themselves with `self_role_add`.
    pub self_assignable: bool,
    /// The named server permissions its `permissions` value grants.
    pub grants: Vec<String>,
    /// Every stored key other than `description`, `color`, `id`, `position` and
    /// `self_assignable` (e.g. `hoisted`, `permissions`, `category`).
    pub extra: Extras,
}

impl Role {
    /// A role with a name and colour only.
    pub fn named(name: &str, color: Option<&str>) -> Self {
        Self {
            name: name.to_owned(),
            description: None,
            color: color.map(str::to_owned),
            mention: MentionRule::Everyone,
            id: String::new(),
            position: 0,
            self_assignable: false,
            grants: vec![],
            extra: vec![],
        }
    }

    /// Whether the role grants the named server permission `name`, directly or through
    /// `administrator`.
    pub fn grants(&self, name: &str) -> bool {
        self.grants.iter().any(|g| g == name || g == crate::permission::ADMINISTRATOR)
    }

    /// Whether a user with `user_roles` may mention this role.
    pub fn mentionable_by(&self, user_roles: &[String]) -> bool {
        if user_roles.iter().any(|r| r == crate::user::OWNER_ROLE) {
            return true;
        }
        match &self.mention {
            MentionRule::Everyone => true,
            MentionRule::Nobody => false,
            MentionRule::Roles(allowed) => user_roles.iter().any(|r| allowed.contains(r)),
        }
    }
}

/// Roles that can never be marked self-assignable (docs/design/roles.md#self-assignable-roles).
pub const NEVER_SELF_ASSIGNABLE: [&str; 3] = ["owner", "admin", "moderator"];

/// The roles a fresh server starts with, in order (positions 0 to 3, no ids yet).
pub fn default_roles() -> Vec<Role> {
    let mk = |position: i64, name: &str, desc: &str, color: &str| Role {
        description: Some(desc.to_owned()),
        position,
        ..Role::named(name, Some(color))
    };
    vec![
        mk(0, "owner", "Server owner with ultimate permissions.", "#9400D3"),
        mk(1, "admin", "Administrator role with full permissions.", "#FF0000"),
        mk(2, "moderator", "Moderator role with elevated permissions.", "#FFFF00"),
        mk(3, "user", "Regular user role with standard permissions.", "#FFFFFF"),
    ]
}

/// Sorts roles into hierarchy order: by position, ties keeping their current (creation)
/// order.
pub fn sort_by_position(roles: &mut [Role]) {
    roles.sort_by_key(|r| r.position);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mention_rules() {
        let mut r = Role::named("staff", None);
        let user = vec!["user".to_string()];
        assert!(r.mentionable_by(&user));
        r.mention = MentionRule::Nobody;
        assert!(!r.mentionable_by(&user));
        assert!(r.mentionable_by(&["owner".to_string()]));
        r.mention = MentionRule::Roles(vec!["user".into()]);
        assert!(r.mentionable_by(&user));
        assert!(!r.mentionable_by(&["guest".to_string()]));
    }
}
