//! Roles: names, colours and the `mention_roles` rule.

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
    /// Every stored key other than `description` and `color` (e.g. `hoisted`, `permissions`).
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
            extra: vec![],
        }
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

/// The roles a fresh server starts with, in order.
pub fn default_roles() -> Vec<Role> {
    let mk = |name: &str, desc: &str, color: &str| Role {
        description: Some(desc.to_owned()),
        ..Role::named(name, Some(color))
    };
    vec![
        mk("owner", "Server owner with ultimate permissions.", "#9400D3"),
        mk("admin", "Administrator role with full permissions.", "#FF0000"),
        mk("moderator", "Moderator role with elevated permissions.", "#FFFF00"),
        mk("user", "Regular user role with standard permissions.", "#FFFFFF"),
    ]
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
