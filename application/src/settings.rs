//! What the use cases need from the configuration, already parsed and validated.

use domain::rate_limit::RateSettings;
use domain::{Extras, RawJson};

/// Use-case settings (the bootstrap crate builds them from config.json).
#[derive(Debug, Clone)]
pub struct Settings {
    /// `limits.post_content`.
    pub post_content: usize,
    /// `limits.search_results`.
    pub search_results: usize,
    /// `server` section for the handshake (icon/banner already rewritten), as JSON text.
    pub server_info: RawJson,
    /// `limits` section for the handshake, as JSON text.
    pub limits_info: RawJson,
    /// Roles of a new user (`DB.users.default.roles`; `None` when the template has no `roles`).
    pub new_user_roles: Option<Vec<String>>,
    /// Other keys of the new-user template.
    pub new_user_extra: Extras,
    /// `auth.owners`: usernames that get `owner` at login.
    pub owners: Vec<String>,
    /// The limiter, when `rate_limiting.enabled`.
    pub rate_limit: Option<RateSettings>,
    /// Names advertised in the handshake.
    pub capabilities: Vec<String>,
    /// `slash.register_requires_role`: who may register slash commands (`None`: anyone).
    pub slash_register_roles: Option<Vec<String>>,
    /// `auth.max_failures_per_address`: failed logins per address and minute before its
    /// logins are refused without asking Rotur.
    pub auth_failures_per_address: u32,
    /// `auth.max_concurrent_checks`: Rotur calls in flight at once, server-wide.
    pub auth_concurrent_checks: usize,
    /// `auth.timeout_seconds`: how long a login waits for a free Rotur slot (the validator
    /// has the same timeout for its own call).
    pub auth_timeout: std::time::Duration,
    /// `push.*`: Web Push.
    pub push: PushSettings,
}

/// What the use cases need of `push.*` (docs/push.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushSettings {
    /// `push.enabled`.
    pub enabled: bool,
    /// `push.require_view_permission`: push only to users who may view the channel.
    pub require_view_permission: bool,
    /// `push.queue`: posted messages waiting for their pushes to be worked out; more are
    /// dropped (logged and counted).
    pub queue: usize,
    /// `push.max_in_flight`: deliveries under way at once.
    pub max_in_flight: usize,
    /// `push.max_subscriptions_per_user`: a user's newest subscriptions kept.
    pub max_subscriptions_per_user: usize,
}

impl Default for PushSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            require_view_permission: true,
            queue: 1024,
            max_in_flight: 16,
            max_subscriptions_per_user: 10,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            post_content: 2000,
            search_results: 30,
            server_info: RawJson(r#"{"name":"My OriginChats Server","owner":{"name":"Admin"}}"#.into()),
            limits_info: RawJson(r#"{"post_content":2000,"search_results":30}"#.into()),
            new_user_roles: Some(vec!["user".into()]),
            new_user_extra: vec![],
            owners: vec![],
            rate_limit: None,
            capabilities: vec![],
            slash_register_roles: None,
            auth_failures_per_address: 20,
            auth_concurrent_checks: 64,
            auth_timeout: std::time::Duration::from_secs(5),
            push: PushSettings::default(),
        }
    }
}
