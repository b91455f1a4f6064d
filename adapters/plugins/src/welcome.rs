//! The built-in `welcome` plugin: greets a user in a channel when they first join.
//! Configured by `welcome_config.json` in the plugins folder (the original's file and keys);
//! remembers whom it greeted in `welcomed_users.json` there.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Mutex;

use application::ports::{PluginAction, PluginEvent};
use serde_json::{Map, Value};

use super::builtin::{Builtin, config_bool, config_str, read_object, write_json};

/// Author shown on welcome messages.
pub const AUTHOR: &str = "originChats";

#[derive(Debug, Clone, PartialEq, Eq)]
struct Config {
    enabled: bool,
    channel: String,
    template: String,
    first_time_only: bool,
}

impl Config {
    fn from(map: &Map<String, Value>) -> Self {
        Self {
            enabled: config_bool(map, "enabled", true),
            channel: config_str(map, "welcome_channel", "general"),
            template: config_str(map, "welcome_message", "Welcome {username}! Thanks for joining the server."),
            first_time_only: config_bool(map, "first_time_only", true),
        }
    }
}

/// The welcome plugin.
pub struct Welcome {
    dir: PathBuf,
    config: Mutex<Config>,
    welcomed: Mutex<BTreeSet<String>>,
}

impl Welcome {
    /// The plugin with its files in `dir` (read them with [`Builtin::reload`]).
    pub fn new(dir: PathBuf) -> Self {
        Self { dir, config: Mutex::new(Config::from(&Map::new())), welcomed: Mutex::default() }
    }

    fn welcomed_path(&self) -> PathBuf {
        self.dir.join("welcomed_users.json")
    }
}

impl Builtin for Welcome {
    fn key(&self) -> &'static str {
        "welcome"
    }

    fn name(&self) -> &'static str {
        "Welcome Plugin"
    }

    fn description(&self) -> &'static str {
        "Sends a welcome message to users when they join the server."
    }

    fn handles(&self) -> &'static [&'static str] {
        &["user_join"]
    }

    fn config_files(&self) -> &'static [&'static str] {
        &["welcome_config.json"]
    }

    fn reload(&self) -> Result<(), String> {
        let map = read_object(&self.dir.join("welcome_config.json"))?;
        *self.config.lock().unwrap_or_else(|p| p.into_inner()) = Config::from(&map);
        let welcomed = match std::fs::read(self.welcomed_path()) {
            Ok(bytes) => {
                serde_json::from_slice::<Vec<String>>(&bytes).map_err(|e| format!("welcomed_users.json: {e}"))?
            }
            Err(_) => vec![],
        };
        *self.welcomed.lock().unwrap_or_else(|p| p.into_inner()) = welcomed.into_iter().collect();
        Ok(())
    }

    fn handle(&self, event: &PluginEvent) -> Vec<PluginAction> {
        let PluginEvent::UserJoin { user, .. } = event else { return vec![] };
        let config = self.config.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if !config.enabled {
            return vec![];
        }
        if config.first_time_only {
            let mut welcomed = self.welcomed.lock().unwrap_or_else(|p| p.into_inner());
            if !welcomed.insert(user.id.as_str().to_owned()) {
                return vec![];
            }
            let list: Vec<&String> = welcomed.iter().collect();
            if let Err(e) = write_json(&self.welcomed_path(), &serde_json::json!(list)) {
                tracing::warn!(error = %e, "welcome: could not save welcomed_users.json");
            }
        }
        let content = config.template.replace("{username}", user.display_name());
        vec![PluginAction::SendMessage { channel: config.channel, content, author: AUTHOR.into() }]
    }
}

#[cfg(test)]
mod tests {
    use domain::{User, UserId};

    use super::*;

    fn joined(id: &str) -> PluginEvent {
        let user = User::new(UserId(id.into()), format!("name-{id}"), vec!["user".into()], vec![]);
        PluginEvent::UserJoin { user: Box::new(user), color: None }
    }

    fn loaded(dir: &std::path::Path) -> Welcome {
        let w = Welcome::new(dir.to_path_buf());
        w.reload().unwrap();
        w
    }

    #[test]
    fn greets_once_per_user_with_the_configured_template() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("welcome_config.json"),
            r#"{"welcome_channel": "lobby", "welcome_message": "Hi {username}!"}"#,
        )
        .unwrap();
        let w = loaded(dir.path());
        assert_eq!(
            w.handle(&joined("1")),
            vec![PluginAction::SendMessage {
                channel: "lobby".into(),
                content: "Hi name-1!".into(),
                author: AUTHOR.into()
            }]
        );
        assert!(w.handle(&joined("1")).is_empty(), "first_time_only");
        // The memory survives a restart.
        let again = loaded(dir.path());
        assert!(again.handle(&joined("1")).is_empty());
        assert_eq!(again.handle(&joined("2")).len(), 1);
    }

    #[test]
    fn disabled_means_silent() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("welcome_config.json"), r#"{"enabled": false}"#).unwrap();
        assert!(loaded(dir.path()).handle(&joined("1")).is_empty());
    }
}
