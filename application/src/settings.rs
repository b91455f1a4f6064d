//! What the use cases need from the configuration, already parsed and validated.

use domain::rate_limit::RateSettings;
use domain::{Extras, ImageKind, RawJson};

/// Use-case settings (the bootstrap crate builds them from config.json).
#[derive(Debug, Clone)]
pub struct Settings {
    /// `limits.post_content`.
    pub post_content: usize,
    /// `limits.search_results`.
    pub search_results: usize,
    /// `server` section for the handshake (icon/banner already rewritten), as JSON text.
    pub server_info: RawJson,
    /// `server.name`, `server.icon`, `server.banner` (rewritten) as typed defaults of the
    /// stored profile (docs/design/server-info.md#storage).
    pub server_profile: crate::ports::ServerProfile,
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
    /// Custom emoji.
    pub emoji: EmojiSettings,
    /// `resume.*`: resumable sessions.
    pub resume: crate::resume::ResumeSettings,
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

/// What the custom-emoji use cases need from the configuration.
#[derive(Debug, Clone)]
pub struct EmojiSettings {
    /// `uploads.emoji_max_bytes`: largest image, in bytes.
    pub max_bytes: usize,
    /// `uploads.emoji_max_dimension`: widest and tallest image, in pixels.
    pub max_dimension: u32,
    /// `uploads.emoji_max_count`: most emoji a server holds.
    pub max_count: usize,
    /// `uploads.emoji_allowed_file_types`, as the kinds this server can accept (never SVG).
    pub allowed: Vec<ImageKind>,
    /// This server's addresses as clients write them in custom-emoji reactions
    /// (`originChats://<host>/emojis/<id>`), lowercased: reactions naming one of them must
    /// name an existing emoji.
    pub own_hosts: Vec<String>,
}

impl Default for EmojiSettings {
    fn default() -> Self {
        Self {
            max_bytes: 262_144,
            max_dimension: 1024,
            max_count: 500,
            allowed: vec![ImageKind::Gif, ImageKind::Jpeg, ImageKind::Png],
            own_hosts: vec![],
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
            server_profile: crate::ports::ServerProfile {
                name: Some("My OriginChats Server".into()),
                icon: None,
                banner: None,
            },
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
            emoji: EmojiSettings::default(),
            resume: crate::resume::ResumeSettings::default(),
        }
    }
}
