//! What a built-in plugin is, and the small helpers for their JSON config files.

use std::path::Path;

use application::ports::{Draft, PluginAction, PluginEvent};
use domain::rate_limit::Denial;
use serde_json::{Map, Value};

/// A plugin written in Rust and compiled in (trusted: it may screen messages inline).
pub trait Builtin: Send + Sync {
    /// The key in `plugins.enabled` and `plugins_list`.
    fn key(&self) -> &'static str;
    /// Display name.
    fn name(&self) -> &'static str;
    /// What it does.
    fn description(&self) -> &'static str;
    /// Events it handles.
    fn handles(&self) -> &'static [&'static str];
    /// Its files in the plugins folder (a change reloads it).
    fn config_files(&self) -> &'static [&'static str];
    /// Re-reads its files.
    fn reload(&self) -> Result<(), String>;
    /// Handles an event on the plugin's thread.
    fn handle(&self, _event: &PluginEvent) -> Vec<PluginAction> {
        vec![]
    }
    /// Screens a message before it is stored: refuse it and/or ask for actions.
    fn screen(&self, _draft: &Draft) -> (Option<Denial>, Vec<PluginAction>) {
        (None, vec![])
    }
}

/// Reads a JSON object; a missing file is an empty object, anything else unreadable an error.
pub fn read_object(path: &Path) -> Result<Map<String, Value>, String> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    match std::fs::read(path) {
        Ok(bytes) => match serde_json::from_slice(&bytes) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(format!("{name} is not a JSON object")),
            Err(e) => Err(format!("{name}: {e}")),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Map::new()),
        Err(e) => Err(format!("{name}: {e}")),
    }
}

/// Writes JSON (indented) through a temporary file, so readers never see half a file.
pub fn write_json(path: &Path, value: &Value) -> std::io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, path)
}

/// A boolean setting, with a default for absent or mistyped values.
pub fn config_bool(map: &Map<String, Value>, key: &str, default: bool) -> bool {
    map.get(key).and_then(Value::as_bool).unwrap_or(default)
}

/// A string setting, with a default for absent or mistyped values.
pub fn config_str(map: &Map<String, Value>, key: &str, default: &str) -> String {
    map.get(key).and_then(Value::as_str).unwrap_or(default).to_owned()
}
