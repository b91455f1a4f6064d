//! The typed configuration and its translation into adapter and use-case settings.

use std::path::{Path, PathBuf};
use std::time::Duration;

use adapters::inbound::websocket::TransportLimits;
use adapters::outbound::plugins::{Limits, PluginSettings};
use adapters::outbound::sql::StorageUrl;
use domain::RawJson;
use domain::rate_limit::RateSettings;
use serde_json::Value;

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
    /// `auth.mode`.
    pub auth_mode: AuthMode,
    /// `auth.rotur_validate_url`.
    pub rotur_validate_url: String,
    /// `auth.timeout_seconds`.
    pub auth_timeout: Duration,
    /// Transport limits.
    pub transport: TransportLimits,
    /// Use-case settings.
    pub app: application::Settings,
    /// `plugins.*`.
    pub plugins: PluginSettings,
    /// `logging.level`.
    pub log_level: String,
    /// `service.version` (logged only).
    pub service_version: String,
    /// The effective configuration, for the start-up log (secrets masked).
    pub effective: Value,
    /// Warnings to log at start-up.
    pub warnings: Vec<String>,
}

fn secs(n: f64) -> Duration {
    Duration::from_secs_f64(n.max(0.0))
}

impl Config {
    /// Builds a config from a parsed config.json.
    pub fn from_value(user: Value, base: &Path) -> Result<Self, ConfigError> {
        let mut r = Reader::new(user);
        let port = r.strict_int("websocket.port", 0, 65535)? as u16;
        let host = r.string("websocket.host");
        let storage_url = std::env::var("ORIGINCHATS_DATABASE_URL").ok().filter(|s| !s.is_empty());
        let storage_url = match storage_url {
            Some(u) => u,
            None => r.string("storage.url"),
        };
        let storage = StorageUrl::parse(&storage_url, base)
            .map_err(|reason| ConfigError::Invalid { key: "storage.url".into(), reason })?;
        let import_from = r.opt_string("storage.import_from").map(|p| base.join(p));
        let auth_mode = auth_mode(&mut r)?;
        let rate_enabled = r.present("rate_limiting.enabled") && r.bool("rate_limiting.enabled");
        let rate_limit = rate_enabled.then(|| RateSettings {
            per_minute: r.int("rate_limiting.messages_per_minute", 1) as usize,
            burst_limit: r.int("rate_limiting.burst_limit", 1) as usize,
            burst_window: r.number("rate_limiting.burst_window_seconds"),
            cooldown: r.number("rate_limiting.cooldown_seconds"),
        });
        if r.bool("transport.tls.enabled") {
            for key in ["transport.tls.cert_path", "transport.tls.key_path"] {
                let path = r.opt_string(key).map(|p| base.join(p));
                if !path.as_ref().is_some_and(|p| p.is_file()) {
                    return Err(ConfigError::Invalid {
                        key: key.into(),
                        reason: "TLS is enabled but this file is missing or unreadable".into(),
                    });
                }
            }
            r.warnings.push(
                "transport.tls.enabled: in-process TLS is not available yet; terminate TLS in a reverse proxy".into(),
            );
        }
        let transport = TransportLimits {
            max_frame_bytes: r.int("transport.max_frame_bytes", 1024) as usize,
            auth_deadline: secs(r.number("transport.auth_deadline_seconds")),
            max_connections: r.int("transport.max_connections", 1) as usize,
            max_connections_per_ip: r.int("transport.max_connections_per_ip", 1) as usize,
            trusted_proxies: r.strings("transport.trusted_proxies"),
            allowed_origins: r.opt_strings("transport.allowed_origins"),
            max_json_depth: r.int("transport.max_json_depth", 1) as usize,
            ws_ping_interval: secs(r.number("transport.ws_ping_interval_seconds").max(0.05)),
            ws_ping_timeout: secs(r.number("transport.ws_ping_timeout_seconds")),
            outbound_queue: r.int("transport.outbound_queue", 1) as usize,
            heartbeat_interval: secs(r.number("heartbeat.interval_seconds").max(0.05)),
            server_assets: ["icon", "banner"]
                .into_iter()
                .filter_map(|k| {
                    let name = r.raw(&format!("server.{k}"))?.as_str()?;
                    (!name.contains("://")).then(|| (k.to_owned(), base.join("db/serverAssets").join(name)))
                })
                .collect(),
        };
        let post_content = r.int("limits.post_content", 1) as usize;
        let search_results = r.int("limits.search_results", i64::MIN).max(1) as usize;
        let mut limits_info =
            r.raw("limits").cloned().filter(Value::is_object).unwrap_or_else(|| serde_json::json!({}));
        limits_info["post_content"] = post_content.into();
        limits_info["search_results"] = search_results.into();
        let (new_user_roles, new_user_extra) = new_user_template(&mut r);
        let server_info = server_info(&r, base, &host, port);
        let app = application::Settings {
            post_content,
            search_results,
            server_info,
            limits_info,
            new_user_roles,
            new_user_extra,
            owners: r.strings("auth.owners"),
            rate_limit,
            capabilities: adapters::inbound::wire::capabilities(),
            slash_register_roles: r.opt_strings("slash.register_requires_role"),
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
            auth_mode,
            rotur_validate_url: r.string("auth.rotur_validate_url"),
            auth_timeout: secs(r.number("auth.timeout_seconds").max(0.1)),
            transport,
            app,
            plugins,
            log_level: r.string("logging.level"),
            service_version: r.string("service.version"),
            effective,
            warnings: std::mem::take(&mut r.warnings),
        })
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
    };
    PluginSettings { enabled: r.strings("plugins.enabled"), dir: base.join(r.string("plugins.dir")), limits }
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

/// The handshake `server` object: icon/banner file names that exist in
/// `db/serverAssets/` become links under the public base URL (protocol.md §4).
fn server_info(r: &Reader, base: &Path, host: &str, port: u16) -> Value {
    let mut server = r.raw("server").cloned().filter(Value::is_object).unwrap_or_else(|| serde_json::json!({}));
    let public = match server.get("url").and_then(Value::as_str) {
        Some(url) => {
            let lower = url.to_lowercase();
            let rest = lower.split_once("://").map(|(_, r)| r.to_owned()).unwrap_or(lower.clone());
            let scheme = if lower.starts_with("wss://") || lower.starts_with("https://") { "https" } else { "http" };
            format!("{scheme}://{}", rest.trim_end_matches('/'))
        }
        None => format!("http://{host}:{port}"),
    };
    for key in ["icon", "banner"] {
        if let Some(name) = server.get(key).and_then(Value::as_str)
            && !name.contains("://")
            && base.join("db/serverAssets").join(name).is_file()
        {
            server[key] = Value::String(format!("{public}/server-assets/{key}"));
        }
    }
    server
}

fn mask_secrets(v: &mut Value) {
    if let Some(url) = v.pointer("/storage/url").and_then(Value::as_str) {
        let masked = StorageUrl::parse(url, Path::new(".")).map(|u| u.masked()).unwrap_or_else(|_| url.to_owned());
        v["storage"]["url"] = Value::String(masked);
    }
    if v.pointer("/rotur/validate_key").is_some() {
        v["rotur"]["validate_key"] = Value::String("***".into());
    }
}
