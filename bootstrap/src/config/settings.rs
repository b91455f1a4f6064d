//! The typed configuration and its translation into adapter and use-case settings.

use std::path::{Path, PathBuf};
use std::time::Duration;

use std::sync::Arc;

use application::EmojiSettings;
use application::connection::ConnectionLimits;
use domain::rate_limit::RateSettings;
use domain::{ImageKind, RawJson};
use plugins::{Limits, PluginSettings};
use serde_json::Value;
use sql::StorageUrl;
use websocket::TransportLimits;
use websocket::tls::{self, TlsFileError};

use super::ConfigError;
use super::reader::Reader;

/// How logins are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMode {
    /// Real Rotur validation.
    Rotur,
    /// `mock:<id>:<username>` validators (development and tests only).
    Mock,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (coloured on a terminal).
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// `logging.format`: `"text"` or `"json"`; anything else means text, with a warning.
fn log_format(r: &mut Reader) -> LogFormat {
    match r.string("logging.format").as_str() {
        "json" => LogFormat::Json,
        "text" => LogFormat::Text,
        other => {
            r.warnings.push(format!("logging.format {other:?} is neither \"text\" nor \"json\"; using \"text\""));
            r.record("logging.format", "text");
            LogFormat::Text
        }
    }
}

/// Everything read from config.json.
#[derive(Debug, Clone)]
pub struct Config {
    /// The folder relative paths resolve against.
    pub base_dir: PathBuf,
    /// `websocket.host`.
    pub host: String,
    /// `websocket.port`.
    pub port: u16,
    /// `storage.url`, resolved.
    pub storage: StorageUrl,
    /// `storage.import_from`, resolved.
    pub import_from: Option<PathBuf>,
    /// `cluster.*` when `cluster.nats_url` is set; `None` runs a single node.
    pub cluster: Option<ClusterConfig>,
    /// `auth.mode`.
    pub auth_mode: AuthMode,
    /// `auth.rotur_validate_url`.
    pub rotur_validate_url: String,
    /// `auth.timeout_seconds`.
    pub auth_timeout: Duration,
    /// Transport limits.
    pub transport: TransportLimits,
    /// `shutdown.grace_seconds`: how long a shutdown waits for connections to close.
    pub shutdown_grace: Duration,
    /// In-process TLS (`transport.tls.*`): the files, checked at start-up.
    pub tls: Option<TlsFiles>,
    /// `transport.webtransport.*` when enabled.
    pub webtransport: Option<WebTransportConfig>,
    /// Use-case settings.
    pub app: application::Settings,
    /// `plugins.*`.
    pub plugins: PluginSettings,
    /// `logging.level`.
    pub log_level: String,
    /// `logging.format`.
    pub log_format: LogFormat,
    /// `push.*` the Web Push adapter needs (the use cases' part is in `app.push`).
    pub push: PushConfig,
    /// `metrics.allow_from` when `metrics.enabled`: who may read `GET /metrics`.
    pub metrics_allow_from: Option<Vec<String>>,
    /// `service.version` (logged only).
    pub service_version: String,
    /// The effective configuration, for the start-up log (secrets masked).
    pub effective: Value,
    /// Warnings to log at start-up.
    pub warnings: Vec<String>,
}

/// The PEM files of `transport.tls`, read again when they change
/// (docs/design/webtransport.md#certificates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// `transport.tls.cert_path`, resolved.
    pub cert: PathBuf,
    /// `transport.tls.key_path`, resolved.
    pub key: PathBuf,
}

/// `transport.webtransport.*` (docs/transports.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebTransportConfig {
    /// UDP port; `websocket.port` when null.
    pub port: u16,
}

/// `cluster.*`: this node's place in a cluster (docs/scaling.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    /// `cluster.nats_url`.
    pub nats_url: String,
    /// `cluster.node_id`, or the host name with a random suffix.
    pub node_id: String,
    /// `cluster.name`: the prefix of the cluster's NATS subject and buckets.
    pub name: String,
}

/// `cluster.*`; a cluster needs PostgreSQL.
fn cluster(r: &mut Reader, storage: &StorageUrl) -> Result<Option<ClusterConfig>, ConfigError> {
    let invalid = |key: &str, reason: String| ConfigError::Invalid { key: key.into(), reason };
    let Some(nats_url) = r.opt_string("cluster.nats_url") else { return Ok(None) };
    if matches!(storage, StorageUrl::Sqlite(_)) {
        return Err(invalid(
            "storage.url",
            format!(
                "is SQLite ({}), but cluster.nats_url is set: every node of a cluster must use the same \
                 PostgreSQL database (postgres://...)",
                storage.masked()
            ),
        ));
    }
    let node_id = match r.opt_string("cluster.node_id") {
        Some(id) => id,
        None => default_node_id(),
    };
    let name = r.string("cluster.name");
    for (key, value) in [("cluster.node_id", &node_id), ("cluster.name", &name)] {
        if !nats::valid_name(value) {
            return Err(invalid(key, format!("{value:?} must be 1 to 64 letters, digits, '-' or '_'")));
        }
    }
    r.record("cluster.node_id", node_id.clone());
    Ok(Some(ClusterConfig { nats_url, node_id, name }))
}

/// The host name (letters, digits, '-' and '_' kept) and a random suffix.
fn default_node_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "node".into());
    let host: String = host
        .trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' })
        .take(48)
        .collect();
    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..8];
    format!("{}-{suffix}", if host.is_empty() { "node" } else { &host })
}

/// What the Web Push adapter needs of `push.*` (docs/push.md).
#[derive(Debug, Clone, PartialEq)]
pub struct PushConfig {
    /// `push.vapid_dir`, resolved.
    pub vapid_dir: PathBuf,
    /// `push.subject` when it is a usable VAPID subject.
    pub subject: Option<String>,
    /// `push.ttl_seconds`.
    pub ttl_seconds: u32,
    /// `push.allow_private_endpoints`.
    pub allow_private_endpoints: bool,
    /// `push.timeout_seconds`.
    pub timeout: Duration,
}

/// Whether `s` can be a VAPID subject (RFC 8292, section 2.1): a `mailto:` URI with an address,
/// or an `https:` URI.
pub fn usable_subject(s: &str) -> bool {
    let s = s.trim();
    s.strip_prefix("mailto:").is_some_and(|a| a.contains('@'))
        || s.strip_prefix("https://").is_some_and(|h| !h.is_empty())
}

/// `push.*`: the use cases' settings and the adapter's.
fn push_config(r: &mut Reader, base: &Path) -> (application::settings::PushSettings, PushConfig) {
    let subject = r.opt_string("push.subject").filter(|s| {
        let ok = usable_subject(s);
        if !ok {
            r.warnings.push(format!(
                "push.subject {s:?} is neither a mailto: address nor an https: URL; using the subject of vapid/vapid_config.json"
            ));
        }
        ok
    });
    let settings = application::settings::PushSettings {
        enabled: r.bool("push.enabled"),
        require_view_permission: r.bool("push.require_view_permission"),
        queue: r.int("push.queue", 1) as usize,
        max_in_flight: r.int("push.max_in_flight", 1) as usize,
        max_subscriptions_per_user: r.int("push.max_subscriptions_per_user", 1) as usize,
    };
    let config = PushConfig {
        vapid_dir: base.join(r.string("push.vapid_dir")),
        subject,
        ttl_seconds: r.int("push.ttl_seconds", 0).min(i64::from(u32::MAX)) as u32,
        allow_private_endpoints: r.bool("push.allow_private_endpoints"),
        timeout: secs(r.number("push.timeout_seconds").max(0.1)),
    };
    (settings, config)
}

fn secs(n: f64) -> Duration {
    Duration::from_secs_f64(n.max(0.0))
}

/// The file-name component of a configured asset (`server.icon`/`server.banner`), or
/// `None` for a URL or a value with no file name. Directory parts are dropped, so a
/// value such as `../../config.json` can only ever name a file inside `db/serverAssets/`.
pub(crate) fn asset_file_name(value: &str) -> Option<String> {
    if value.contains("://") {
        return None;
    }
    let name = Path::new(value.trim()).file_name()?.to_str()?.to_owned();
    (!name.starts_with('.')).then_some(name)
}

impl Config {
    /// Builds a config from a parsed config.json. The environment is not consulted
    /// (see [`Config::from_value_with`]).
    pub fn from_value(user: Value, base: &Path) -> Result<Self, ConfigError> {
        Self::from_value_with(user, base, None)
    }

    /// Builds a config from a parsed config.json; `database_url`, when given (from
    /// `ORIGINCHATS_DATABASE_URL`), replaces `storage.url`.
    pub fn from_value_with(user: Value, base: &Path, database_url: Option<&str>) -> Result<Self, ConfigError> {
        let mut r = Reader::new(user);
        let port = r.strict_int("websocket.port", 0, 65535)? as u16;
        let host = r.string("websocket.host");
        let configured_url = r.strict_string("storage.url")?;
        let storage = match database_url {
            Some(url) => StorageUrl::parse(url, base)
                .map_err(|reason| ConfigError::Env { var: super::DATABASE_URL_ENV.into(), reason })?,
            None => StorageUrl::parse(&configured_url, base)
                .map_err(|reason| ConfigError::Invalid { key: "storage.url".into(), reason })?,
        };
        if database_url.is_some() {
            r.warnings.push(format!("storage.url is overridden by {}", super::DATABASE_URL_ENV));
        }
        r.record("storage.url", storage.masked());
        let import_from = r.opt_string("storage.import_from").map(|p| base.join(p));
        let cluster = cluster(&mut r, &storage)?;
        let auth_mode = auth_mode(&mut r)?;
        let rate_limit = rate_enabled(&mut r).then(|| RateSettings {
            per_minute: r.int("rate_limiting.messages_per_minute", 1) as usize,
            burst_limit: r.int("rate_limiting.burst_limit", 1) as usize,
            burst_window: r.number("rate_limiting.burst_window_seconds"),
            cooldown: r.number("rate_limiting.cooldown_seconds"),
        });
        let tls = tls(&mut r, base)?;
        let websocket_enabled = r.bool("transport.websocket.enabled");
        let webtransport = if r.bool("transport.webtransport.enabled") {
            let wt_port = match r.raw("transport.webtransport.port") {
                None => port,
                Some(_) => r.strict_int("transport.webtransport.port", 0, 65535)? as u16,
            };
            r.record("transport.webtransport.port", wt_port);
            Some(WebTransportConfig { port: wt_port })
        } else {
            None
        };
        if !websocket_enabled {
            return Err(ConfigError::Invalid {
                key: "transport.websocket.enabled".into(),
                reason: "must stay true: the WebSocket port also serves the HTTP side (GET /webtransport, \
                         assets, health) that WebTransport clients rely on"
                    .into(),
            });
        }
        let mut server_assets = vec![];
        for k in ["icon", "banner"] {
            if let Some(name) = r.raw(&format!("server.{k}")).and_then(Value::as_str).and_then(asset_file_name) {
                server_assets.push((k.to_owned(), base.join("db/serverAssets").join(name)));
            }
        }
        let max_frame_bytes = r.int("transport.max_frame_bytes", 1024) as usize;
        let queue_bytes = r.int("transport.outbound_queue_bytes", 65_536) as usize;
        let connection = ConnectionLimits {
            auth_deadline: secs(r.number("transport.auth_deadline_seconds")),
            heartbeat_interval: secs(r.number("heartbeat.interval_seconds").max(0.05)),
            ping_interval: secs(r.number("transport.ws_ping_interval_seconds").max(0.05)),
            ping_timeout: secs(r.number("transport.ws_ping_timeout_seconds")),
            queue_frames: r.int("transport.outbound_queue", 1) as usize,
            // A reply never waits behind more than an eighth of the budget.
            high_water_bytes: (queue_bytes / 8).max(max_frame_bytes.min(queue_bytes / 2)),
            queue_bytes,
            max_failed_auths: r.int("auth.max_failures_per_socket", 1).min(i64::from(u32::MAX)) as u32,
            ..ConnectionLimits::default()
        };
        let transport = TransportLimits {
            max_frame_bytes,
            max_connections: r.int("transport.max_connections", 1) as usize,
            max_connections_per_ip: r.int("transport.max_connections_per_ip", 1) as usize,
            trusted_proxies: r.strings("transport.trusted_proxies"),
            allowed_origins: r.opt_strings("transport.allowed_origins"),
            max_json_depth: r.int("transport.max_json_depth", 1) as usize,
            request_head_timeout: secs(r.number("transport.request_head_timeout_seconds").max(0.05)),
            connection: Arc::new(connection),
            server_assets,
            emoji_dir: base.join("db/serverEmojis"),
        };
        let shutdown_grace = secs(r.number("shutdown.grace_seconds").max(0.0));
        let post_content = r.int("limits.post_content", 1) as usize;
        let search_results = r.int("limits.search_results", i64::MIN).max(1) as usize;
        let mut limits_info =
            r.raw("limits").cloned().filter(Value::is_object).unwrap_or_else(|| serde_json::json!({}));
        limits_info["post_content"] = post_content.into();
        limits_info["search_results"] = search_results.into();
        r.record("limits", limits_info.clone());
        let (new_user_roles, new_user_extra) = new_user_template(&mut r);
        let server_info = server_info(&mut r, base, &host, port, tls.is_some());
        r.record("server", server_info.clone());
        let public = public_base(server_info.get("url").and_then(Value::as_str), &host, port, tls.is_some());
        let emoji = emoji_settings(&mut r, &public);
        let owners = r.strings("auth.owners");
        let rotur_validate_url = r.string("auth.rotur_validate_url");
        let auth_timeout = secs(r.number("auth.timeout_seconds").max(0.1));
        let log_level = r.string("logging.level");
        let log_format = log_format(&mut r);
        let metrics_allow_from = r.bool("metrics.enabled").then(|| r.strings("metrics.allow_from"));
        let service_version = r.string("service.version");
        let (push_settings, push) = push_config(&mut r, base);
        let mut capabilities = codec::capabilities();
        if !push_settings.enabled {
            capabilities.retain(|c| !c.starts_with("push_"));
        }
        let app = application::Settings {
            post_content,
            search_results,
            server_profile: {
                let text = |key: &str| server_info.get(key).and_then(Value::as_str).map(str::to_owned);
                application::ports::ServerProfile { name: text("name"), icon: text("icon"), banner: text("banner") }
            },
            server_info: RawJson(server_info.to_string()),
            limits_info: RawJson(limits_info.to_string()),
            new_user_roles,
            new_user_extra,
            owners,
            rate_limit,
            capabilities,
            slash_register_roles: r.opt_strings("slash.register_requires_role"),
            auth_failures_per_address: r.int("auth.max_failures_per_address", 1).min(i64::from(u32::MAX)) as u32,
            auth_concurrent_checks: r.int("auth.max_concurrent_checks", 1) as usize,
            auth_timeout,
            push: push_settings,
            emoji,
            resume: application::resume::ResumeSettings {
                window: secs(r.number("resume.window_seconds")),
                max_buffered: r.int("resume.max_buffered", 1) as usize,
                max_total_bytes: r.int("resume.max_total_bytes", 1) as usize,
            },
        };
        let plugins = plugin_settings(&mut r, base);
        let mut effective = r.effective();
        mask_secrets(&mut effective);
        Ok(Self {
            base_dir: base.to_path_buf(),
            host,
            port,
            storage,
            import_from,
            cluster,
            auth_mode,
            rotur_validate_url,
            auth_timeout,
            transport,
            shutdown_grace,
            tls,
            webtransport,
            app,
            plugins,
            log_level,
            log_format,
            push,
            metrics_allow_from,
            service_version,
            effective,
            warnings: std::mem::take(&mut r.warnings),
        })
    }
}

/// `uploads.*`: the custom-emoji limits and kinds. SVG (and any other kind this server
/// cannot check) is never accepted, with a warning (docs/design/emojis.md#images). The
/// server's own address in custom-emoji reactions is the host of the public base URL.
fn emoji_settings(r: &mut Reader, public_base: &str) -> EmojiSettings {
    let mut allowed = vec![];
    for name in r.strings("uploads.emoji_allowed_file_types") {
        match ImageKind::from_extension(name.trim()) {
            Some(kind) if !allowed.contains(&kind) => allowed.push(kind),
            Some(_) => {}
            None => r.warnings.push(format!(
                "uploads.emoji_allowed_file_types: {name:?} is never accepted (only gif, jpg/jpeg, png and webp \
                 images, checked by their content; never svg, which can carry scripts)"
            )),
        }
    }
    let after_scheme = public_base.split_once("://").map_or(public_base, |(_, rest)| rest);
    let host = after_scheme.split('/').next().unwrap_or_default();
    EmojiSettings {
        max_bytes: r.int("uploads.emoji_max_bytes", 1) as usize,
        max_dimension: r.int("uploads.emoji_max_dimension", 1).min(i64::from(u32::MAX)) as u32,
        max_count: r.int("uploads.emoji_max_count", 0) as usize,
        allowed,
        own_hosts: vec![host.to_ascii_lowercase()],
    }
}

fn plugin_settings(r: &mut Reader, base: &Path) -> PluginSettings {
    let mut count = |key: &str| r.int(&format!("plugins.limits.{key}"), 1) as usize;
    let limits = Limits {
        max_operations: count("max_operations") as u64,
        max_string_bytes: count("max_string_bytes"),
        max_array_len: count("max_array_len"),
        max_map_len: count("max_map_len"),
        max_call_depth: count("max_call_depth"),
        time_budget: Duration::from_millis(count("time_budget_ms") as u64),
        max_actions: count("max_actions"),
        queue: count("queue"),
        pending_actions: count("pending_actions"),
        log_lines: count("log_lines"),
        max_memory_bytes: count("max_memory_bytes"),
    };
    PluginSettings { enabled: r.strings("plugins.enabled"), dir: base.join(r.string("plugins.dir")), limits }
}

/// `rate_limiting.enabled`: only `true` turns the limiter on. Absent or `null` means off
/// (docs/design/configuration.md#absent-keys); any other non-boolean means off with a warning.
fn rate_enabled(r: &mut Reader) -> bool {
    let on = match r.raw("rate_limiting.enabled") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            r.warnings
                .push(format!("config key `rate_limiting.enabled` is not a boolean ({other}); rate limiting is off"));
            false
        }
    };
    r.record("rate_limiting.enabled", on);
    on
}

/// `transport.tls.*`: the certificate and key are read and checked now, so a file that
/// cannot be used stops start-up naming its key.
fn tls(r: &mut Reader, base: &Path) -> Result<Option<TlsFiles>, ConfigError> {
    if !r.bool("transport.tls.enabled") {
        return Ok(None);
    }
    let path = |key: &str| -> Result<PathBuf, ConfigError> {
        match r.raw(key) {
            Some(Value::String(p)) if !p.trim().is_empty() => Ok(base.join(p.trim())),
            _ => Err(ConfigError::Invalid {
                key: key.into(),
                reason: "TLS is enabled (transport.tls.enabled) but no PEM file is named".into(),
            }),
        }
    };
    let cert_error = |reason| ConfigError::Invalid { key: "transport.tls.cert_path".into(), reason };
    let cert = path("transport.tls.cert_path")?;
    tls::load_certificates(&cert).map_err(|e| cert_error(e.to_string()))?;
    let key = path("transport.tls.key_path")?;
    tls::server_config(&cert, &key).map_err(|e| match e {
        TlsFileError::Certificate(reason) => cert_error(reason),
        TlsFileError::Key(reason) => ConfigError::Invalid { key: "transport.tls.key_path".into(), reason },
    })?;
    Ok(Some(TlsFiles { cert, key }))
}

fn auth_mode(r: &mut Reader) -> Result<AuthMode, ConfigError> {
    if let Some(alias) = r.raw("auth_mode").cloned()
        && alias.as_str() != Some("rotur")
    {
        return Err(ConfigError::Invalid {
            key: "auth_mode".into(),
            reason: format!("{alias} is not supported (only \"rotur\"; cracked auth is not available)"),
        });
    }
    match r.string("auth.mode").as_str() {
        "rotur" => Ok(AuthMode::Rotur),
        "mock" => Ok(AuthMode::Mock),
        other => Err(ConfigError::Invalid {
            key: "auth.mode".into(),
            reason: format!("{other:?} is neither \"rotur\" nor \"mock\""),
        }),
    }
}

fn new_user_template(r: &mut Reader) -> (Option<Vec<String>>, Vec<(String, RawJson)>) {
    let template = match r.raw("DB.users.default") {
        Some(Value::Object(m)) => m.clone(),
        Some(other) => {
            r.warnings.push(format!(
                "config key `DB.users.default` is not an object ({other}); using {{\"roles\": [\"user\"]}}"
            ));
            return (Some(vec!["user".into()]), vec![]);
        }
        None => return (Some(vec!["user".into()]), vec![]),
    };
    let roles = template.get("roles").map(|v| {
        v.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect()).unwrap_or_default()
    });
    let extra = template
        .iter()
        .filter(|(k, _)| !["roles", "username", "validator"].contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), RawJson(v.to_string())))
        .collect();
    (roles, extra)
}

/// The public base URL of asset links: `server.url` trimmed, lower-cased, `wss://` and
/// `https://` → `https://`, anything else → `http://`, no trailing `/`; empty or absent →
/// `http(s)://<websocket.host>:<websocket.port>`.
fn public_base(url: Option<&str>, host: &str, port: u16, tls: bool) -> String {
    match url.map(str::trim).filter(|u| !u.is_empty()) {
        Some(url) => {
            let lower = url.to_lowercase();
            let rest = lower.split_once("://").map(|(_, r)| r.to_owned()).unwrap_or(lower.clone());
            let scheme = if lower.starts_with("wss://") || lower.starts_with("https://") { "https" } else { "http" };
            format!("{scheme}://{}", rest.trim_end_matches('/'))
        }
        None => format!("{}://{host}:{port}", if tls { "https" } else { "http" }),
    }
}

/// The handshake `server` object: the user's `server` merged over the defaults (extra
/// keys kept); icon/banner file names that exist in `db/serverAssets/` become links under
/// the public base URL (docs/design/connections.md#handshake). A configured file that is missing is sent as it
/// is, with a warning.
fn server_info(r: &mut Reader, base: &Path, host: &str, port: u16, tls: bool) -> Value {
    let mut server = serde_json::json!({"name": "My OriginChats Server", "owner": {"name": "Admin"}});
    match r.raw("server") {
        Some(user @ Value::Object(_)) => merge_over_defaults(&mut server, user),
        Some(other) => r.warnings.push(format!("config key `server` is not an object ({other}); using the defaults")),
        None => {}
    }
    let public = public_base(server.get("url").and_then(Value::as_str), host, port, tls);
    for key in ["icon", "banner"] {
        let Some(value) = server.get(key).and_then(Value::as_str).map(str::to_owned) else { continue };
        let Some(name) = asset_file_name(&value) else { continue };
        if base.join("db/serverAssets").join(&name).is_file() {
            server[key] = Value::String(format!("{public}/server-assets/{key}"));
        } else {
            r.warnings.push(format!(
                "server.{key}: {} does not exist; the value is sent to clients unchanged until the file is there \
                 and the server restarts",
                base.join("db/serverAssets").join(&name).display()
            ));
        }
    }
    server
}

/// Merges `over` into `into` recursively; a `null` over a default keeps the default.
fn merge_over_defaults(into: &mut Value, over: &Value) {
    let (Value::Object(a), Value::Object(b)) = (into, over) else { return };
    for (k, v) in b {
        match a.get_mut(k) {
            Some(slot) if slot.is_object() && v.is_object() => merge_over_defaults(slot, v),
            Some(_) if v.is_null() => {}
            _ => {
                a.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Masks what [`Config::from_value_with`] has not already recorded masked (the storage
/// URL is recorded masked).
fn mask_secrets(v: &mut Value) {
    if v.pointer("/rotur/validate_key").is_some() {
        v["rotur"]["validate_key"] = Value::String("***".into());
    }
}
