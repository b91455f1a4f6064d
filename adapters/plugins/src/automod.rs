//! The built-in `automod` plugin: times out users whose message contains a blocked word
//! (case-insensitive substring), and lets owners and admins manage it with `!automod …`
//! messages (docs/design/plugins.md#automod; texts as the original's). Configured by
//! `automod_config.json` in the plugins folder, which its commands rewrite.
//!
//! Unlike the original it screens a message before it is stored: with `delete_message` on,
//! an offending message is never stored or shown, and its author's request is answered
//! with the `rate_limit` packet. It works whether or not rate limiting is enabled, since
//! timeouts are moderation (docs/design/moderation.md#timeouts).

use std::path::PathBuf;
use std::sync::Mutex;

use application::ports::{Draft, PluginAction, PluginEvent};
use domain::rate_limit::Denial;
use serde_json::{Map, Value, json};

use super::builtin::{Builtin, config_bool, config_str, read_object, write_json};

/// Author shown on automod messages.
pub const AUTHOR: &str = "AutoMod";
/// The `rate_limit` reason for an offending message.
pub const REASON: &str = "Automoderation: Message contains blocked words";

const FILE: &str = "automod_config.json";

#[derive(Debug, Clone, PartialEq)]
struct Config {
    enabled: bool,
    timeout: i64,
    words: Vec<String>,
    send_mod_message: bool,
    mod_message: String,
    delete_message: bool,
    /// Every key as read, so unknown ones survive a rewrite.
    raw: Map<String, Value>,
}

impl Config {
    fn from(raw: Map<String, Value>) -> Self {
        Self {
            enabled: config_bool(&raw, "enabled", true),
            timeout: raw.get("timeout_duration").and_then(Value::as_i64).unwrap_or(300).max(0),
            words: raw
                .get("blocked_words")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default(),
            send_mod_message: config_bool(&raw, "send_mod_message", true),
            mod_message: config_str(
                &raw,
                "mod_message",
                "{username} was automatically timed out for violating chat rules.",
            ),
            delete_message: config_bool(&raw, "delete_message", true),
            raw,
        }
    }

    fn to_json(&self) -> Value {
        let mut map = self.raw.clone();
        map.insert("enabled".into(), json!(self.enabled));
        map.insert("timeout_duration".into(), json!(self.timeout));
        map.insert("blocked_words".into(), json!(self.words));
        map.insert("send_mod_message".into(), json!(self.send_mod_message));
        map.insert("mod_message".into(), json!(self.mod_message));
        map.insert("delete_message".into(), json!(self.delete_message));
        Value::Object(map)
    }

    fn blocks(&self, content: &str) -> bool {
        let lower = content.to_lowercase();
        self.words.iter().any(|w| lower.contains(&w.to_lowercase()))
    }
}

/// The automod plugin.
pub struct Automod {
    path: PathBuf,
    config: Mutex<Config>,
}

const HELP: [(&str, &str); 10] = [
    ("add", "Add a word to the blocked words list"),
    ("remove", "Remove a word from the blocked words list"),
    ("list", "List all blocked words"),
    ("clear", "Clear all blocked words"),
    ("status", "Show automod status"),
    ("enable", "Enable automod"),
    ("disable", "Disable automod"),
    ("timeout", "Set timeout duration"),
    ("toggle_delete", "Toggle whether to delete violating messages"),
    ("help", "No help available"),
];

fn yes_no(b: bool) -> &'static str {
    if b { "Yes" } else { "No" }
}

fn help_text() -> String {
    [
        "📖 AutoMod Commands:",
        "",
        "**Word Management**",
        "  !automod add <word>",
        "  !automod remove <word>",
        "  !automod list",
        "  !automod clear",
        "",
        "**Settings**",
        "  !automod status",
        "  !automod enable",
        "  !automod disable",
        "  !automod timeout <seconds>",
        "  !automod toggle_delete",
        "",
        "💡 Use !automod help <command> for detailed help",
    ]
    .join("\n")
}

/// What a command answers: plain text, a success or an error, and whether it changed the config.
enum Answer {
    Plain(String),
    Done(String),
    Failed(String),
}

impl Automod {
    /// The plugin with its config in `dir` (read it with [`Builtin::reload`]).
    pub fn new(dir: PathBuf) -> Self {
        Self { path: dir.join(FILE), config: Mutex::new(Config::from(Map::new())) }
    }

    fn command(&self, words: &[&str]) -> Answer {
        let mut config = self.config.lock().unwrap_or_else(|p| p.into_inner());
        let Some(first) = words.first() else { return Answer::Plain(help_text()) };
        let command = first.to_lowercase();
        let arg = words.get(1).copied();
        let answer = match command.as_str() {
            "add" => match arg.map(str::to_lowercase) {
                None => return Answer::Failed("Usage: !automod add <word>".into()),
                Some(w) if config.words.contains(&w) => {
                    return Answer::Failed(format!("'{w}' is already in the blocked words list"));
                }
                Some(w) => {
                    config.words.push(w.clone());
                    Answer::Done(format!("Added '{w}' to blocked words"))
                }
            },
            "remove" => match arg.map(str::to_lowercase) {
                None => return Answer::Failed("Usage: !automod remove <word>".into()),
                Some(w) => match config.words.iter().position(|x| *x == w) {
                    None => return Answer::Failed(format!("'{w}' is not in the blocked words list")),
                    Some(i) => {
                        config.words.remove(i);
                        Answer::Done(format!("Removed '{w}' from blocked words"))
                    }
                },
            },
            "list" if config.words.is_empty() => return Answer::Plain("No blocked words currently configured".into()),
            "list" => {
                let n = config.words.len();
                return Answer::Plain(format!("🚫 Blocked words ({n}):\n  • {}", config.words.join("\n  • ")));
            }
            "clear" if config.words.is_empty() => return Answer::Plain("No blocked words to clear".into()),
            "clear" => {
                config.words.clear();
                Answer::Done("Cleared all blocked words".into())
            }
            "status" => {
                let lines = [
                    "📊 AutoMod Status".to_owned(),
                    format!("  Enabled: {}", yes_no(config.enabled)),
                    format!("  Timeout duration: {}s", config.timeout),
                    format!("  Send mod message: {}", yes_no(config.send_mod_message)),
                    format!("  Delete violating messages: {}", yes_no(config.delete_message)),
                    format!("  Blocked words: {}", config.words.len()),
                ];
                return Answer::Plain(lines.join("\n"));
            }
            "enable" | "disable" => {
                config.enabled = command == "enable";
                Answer::Done(format!("AutoMod {}d", command))
            }
            "timeout" => match arg.filter(|a| !a.is_empty() && a.chars().all(|c| c.is_ascii_digit())) {
                None => return Answer::Failed("Usage: !automod timeout <seconds>".into()),
                Some(a) => {
                    config.timeout = a.parse().unwrap_or(i64::MAX);
                    Answer::Done(format!("Timeout duration set to {}s", config.timeout))
                }
            },
            "toggle_delete" => {
                config.delete_message = !config.delete_message;
                Answer::Done(format!("Message deletion {}", if config.delete_message { "enabled" } else { "disabled" }))
            }
            "help" => {
                return match arg.and_then(|a| HELP.iter().find(|(name, _)| *name == a)) {
                    Some((_, doc)) => Answer::Plain(format!("📖 {doc}")),
                    None => Answer::Plain(help_text()),
                };
            }
            other => {
                return Answer::Failed(format!("Unknown command: {other}\nUse !automod help for available commands"));
            }
        };
        if let Err(e) = write_json(&self.path, &config.to_json()) {
            tracing::warn!(error = %e, "automod: could not save {FILE}");
        }
        answer
    }
}

impl Builtin for Automod {
    fn key(&self) -> &'static str {
        "automod"
    }

    fn name(&self) -> &'static str {
        "AutoMod Plugin"
    }

    fn description(&self) -> &'static str {
        "Automatically timeout users who send messages containing blocked words. Admins/owners use !automod <command> to manage."
    }

    fn handles(&self) -> &'static [&'static str] {
        &["new_message"]
    }

    fn config_files(&self) -> &'static [&'static str] {
        &[FILE]
    }

    fn reload(&self) -> Result<(), String> {
        let map = read_object(&self.path)?;
        *self.config.lock().unwrap_or_else(|p| p.into_inner()) = Config::from(map);
        Ok(())
    }

    fn screen(&self, draft: &Draft) -> (Option<Denial>, Vec<PluginAction>) {
        let reply = |content: String| PluginAction::SendMessage {
            channel: draft.channel.clone(),
            content,
            author: AUTHOR.into(),
        };
        // Commands come only in new messages; an edit or a slash response is only screened.
        if draft.commands
            && let Some(rest) = draft.content.strip_prefix("!automod")
        {
            if !draft.roles.iter().any(|r| r == "owner" || r == "admin") {
                return (None, vec![]);
            }
            let words: Vec<&str> = rest.split_whitespace().collect();
            let text = match self.command(&words) {
                Answer::Plain(t) => t,
                Answer::Done(t) => format!("✅ {t}"),
                Answer::Failed(t) => format!("❌ Error: {t}"),
            };
            return (None, vec![reply(text)]);
        }
        let config = self.config.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if !config.enabled || !config.blocks(&draft.content) {
            return (None, vec![]);
        }
        tracing::warn!(user = %draft.by.username, channel = %draft.channel, "automod: blocked words");
        let deleted = config.delete_message;
        let mut actions = vec![PluginAction::Timeout {
            user: draft.by.id.as_str().to_owned(),
            seconds: config.timeout,
            notice: (!deleted).then(|| REASON.to_owned()),
        }];
        if config.send_mod_message {
            actions.push(reply(config.mod_message.replace("{username}", &draft.by.username)));
        }
        actions.push(PluginAction::Emit(Box::new(PluginEvent::AutoModerate {
            by: draft.by.clone(),
            channel: draft.channel.clone(),
            content: draft.content.clone(),
            duration: config.timeout,
            message_id: (!deleted).then(|| draft.id.clone()),
        })));
        let block = deleted.then(|| Denial { reason: REASON.into(), wait_seconds: config.timeout as f64 });
        (block, actions)
    }
}

#[cfg(test)]
mod tests {
    use application::ports::Actor;
    use domain::UserId;

    use super::*;

    fn draft(content: &str, roles: &[&str]) -> Draft {
        Draft {
            channel: "general".into(),
            id: "m1".into(),
            content: content.into(),
            by: Actor { id: UserId("USR:a".into()), username: "alice".into() },
            roles: roles.iter().map(|r| r.to_string()).collect(),
            commands: true,
        }
    }

    fn replies(actions: &[PluginAction]) -> Vec<String> {
        actions
            .iter()
            .filter_map(|a| match a {
                PluginAction::SendMessage { content, author, .. } if author == AUTHOR => Some(content.clone()),
                _ => None,
            })
            .collect()
    }

    fn plugin(dir: &std::path::Path, config: &str) -> Automod {
        std::fs::write(dir.join(FILE), config).unwrap();
        let a = Automod::new(dir.to_path_buf());
        a.reload().unwrap();
        a
    }

    #[test]
    fn a_blocked_word_refuses_the_message_and_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let a = plugin(dir.path(), r#"{"blocked_words": ["darn"], "timeout_duration": 60}"#);
        let (block, actions) = a.screen(&draft("Oh DARN it", &["user"]));
        assert_eq!(block, Some(Denial { reason: REASON.into(), wait_seconds: 60.0 }));
        assert_eq!(actions[0], PluginAction::Timeout { user: "USR:a".into(), seconds: 60, notice: None });
        assert_eq!(replies(&actions), vec!["alice was automatically timed out for violating chat rules."]);
        assert!(matches!(&actions[2], PluginAction::Emit(e) if e.name() == "auto_moderate"));
        assert_eq!(a.screen(&draft("all fine", &["user"])), (None, vec![]));
    }

    #[test]
    fn without_delete_the_message_stays_and_the_author_is_told() {
        let dir = tempfile::tempdir().unwrap();
        let a =
            plugin(dir.path(), r#"{"blocked_words": ["darn"], "delete_message": false, "send_mod_message": false}"#);
        let (block, actions) = a.screen(&draft("darn", &["user"]));
        assert_eq!(block, None);
        assert_eq!(
            actions[0],
            PluginAction::Timeout { user: "USR:a".into(), seconds: 300, notice: Some(REASON.into()) }
        );
        assert!(replies(&actions).is_empty());
    }

    #[test]
    fn admins_manage_the_word_list_and_it_is_saved() {
        let dir = tempfile::tempdir().unwrap();
        let a = plugin(dir.path(), r#"{"custom": 1}"#);
        let say = |text: &str| replies(&a.screen(&draft(text, &["admin"])).1);
        assert_eq!(say("!automod add Heck"), vec!["✅ Added 'heck' to blocked words"]);
        assert_eq!(say("!automod add heck"), vec!["❌ Error: 'heck' is already in the blocked words list"]);
        assert_eq!(say("!automod list"), vec!["🚫 Blocked words (1):\n  • heck"]);
        assert_eq!(say("!automod timeout abc"), vec!["❌ Error: Usage: !automod timeout <seconds>"]);
        assert_eq!(say("!automod timeout 5"), vec!["✅ Timeout duration set to 5s"]);
        assert_eq!(say("!automod help add"), vec!["📖 Add a word to the blocked words list"]);
        assert_eq!(
            say("!automod frob"),
            vec!["❌ Error: Unknown command: frob\nUse !automod help for available commands"]
        );
        assert!(say("!automod").first().unwrap().starts_with("📖 AutoMod Commands:"));
        let saved: Value = serde_json::from_slice(&std::fs::read(dir.path().join(FILE)).unwrap()).unwrap();
        assert_eq!(saved["blocked_words"], json!(["heck"]));
        assert_eq!(saved["timeout_duration"], 5);
        assert_eq!(saved["custom"], 1, "unknown keys survive a rewrite");
        // The live timeout follows the command (the original's bug fixed).
        let (block, _) = a.screen(&draft("heck", &["user"]));
        assert_eq!(block.unwrap().wait_seconds, 5.0);
        // Commands are not screened, and users who are not admins are ignored.
        assert_eq!(say("!automod remove heck"), vec!["✅ Removed 'heck' from blocked words"]);
        assert_eq!(a.screen(&draft("!automod add x", &["user"])), (None, vec![]));
    }

    #[test]
    fn edits_and_slash_responses_are_screened_but_never_commands() {
        let dir = tempfile::tempdir().unwrap();
        let a = plugin(dir.path(), r#"{"blocked_words": ["darn"]}"#);
        let screened = |text: &str| a.screen(&Draft { commands: false, ..draft(text, &["owner", "admin"]) });
        assert_eq!(screened("!automod clear"), (None, vec![]), "no command ran");
        assert_eq!(a.config.lock().unwrap().words, vec!["darn".to_owned()]);
        assert_eq!(screened("!automod remove darn").0.unwrap().reason, REASON, "a blocked word is refused");
    }
}
