//! config.json: the original's schema plus this server's additions (docs/config.md).
//!
//! Rules (docs/design/configuration.md): absent keys take the default (except that a missing
//! `rate_limiting.enabled` means off); lenient values fall back with a warning; values
//! that cannot be used stop start-up naming the key; unknown keys outside `server` and
//! `limits` are ignored with one warning each.

mod defaults;
mod reader;
mod settings;
pub mod setup;

pub use defaults::default_config;
pub use settings::{
    AuthMode, ClusterConfig, Config, LogFormat, PushConfig, TlsFiles, WebTransportConfig, usable_subject,
};

use std::path::{Path, PathBuf};

/// A configuration problem that stops start-up.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not a JSON object.
    #[error("{path} is not valid JSON: {reason}")]
    Parse {
        /// File.
        path: PathBuf,
        /// Cause.
        reason: String,
    },
    /// A key holds a value that cannot be used.
    #[error("config key `{key}`: {reason}")]
    Invalid {
        /// Dotted key.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// An environment variable holds a value that cannot be used.
    #[error("environment variable {var}: {reason}")]
    Env {
        /// The variable.
        var: String,
        /// What is wrong.
        reason: String,
    },
}

/// The environment variable that overrides `storage.url`.
pub const DATABASE_URL_ENV: &str = "ORIGINCHATS_DATABASE_URL";

/// `ORIGINCHATS_DATABASE_URL` when set and not empty.
fn database_url_from_env() -> Result<Option<String>, ConfigError> {
    match std::env::var(DATABASE_URL_ENV) {
        Ok(v) if v.trim().is_empty() => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(ConfigError::Env { var: DATABASE_URL_ENV.into(), reason: "is not valid UTF-8".into() })
        }
    }
}

/// Reads and validates a config file; `ORIGINCHATS_DATABASE_URL`, when set, overrides
/// `storage.url`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    load_with(path, database_url_from_env()?.as_deref())
}

/// [`load`] with the `storage.url` override given explicitly instead of read from the
/// environment.
pub fn load_with(path: &Path, database_url: Option<&str>) -> Result<Config, ConfigError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| ConfigError::Parse { path: path.to_path_buf(), reason: e.to_string() })?;
    if !value.is_object() {
        return Err(ConfigError::Parse { path: path.to_path_buf(), reason: "expected a JSON object".into() });
    }
    let base = path
        .parent()
        .map(Path::to_path_buf)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    Config::from_value_with(value, &base, database_url)
}

/// Writes `value` as a pretty JSON file (4-space indent, like the original's setup.py).
pub fn write(path: &Path, value: &serde_json::Value) -> std::io::Result<()> {
    use serde::Serialize;
    let mut out = Vec::new();
    let mut ser =
        serde_json::Serializer::with_formatter(&mut out, serde_json::ser::PrettyFormatter::with_indent(b"    "));
    value.serialize(&mut ser).map_err(std::io::Error::other)?;
    out.push(b'\n');
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    // A new config may come to hold a database password: readable by its owner only.
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut file, 0o600);
    std::io::Write::write_all(&mut file.open(path)?, &out)
}

#[cfg(test)]
mod tests;
