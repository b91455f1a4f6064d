//! `originchats setup`: writes a complete config.json, asking what the original's setup.py
//! asks (config.md §3) in the same order with the same defaults, or taking the answers
//! from flags when stdin is not a terminal (or with `--defaults`).

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::default_config;

/// Answers given as flags; `None` means "ask" (interactive) or "default".
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SetupAnswers {
    /// Use the defaults for every question not given as a flag; never prompt.
    #[arg(long)]
    pub defaults: bool,
    /// Overwrite an existing config.json without asking.
    #[arg(long)]
    pub force: bool,
    /// Server name.
    #[arg(long)]
    pub server_name: Option<String>,
    /// Server icon: a file in db/serverAssets/, a path to copy there, or a URL.
    #[arg(long)]
    pub icon: Option<String>,
    /// Server banner: like --icon.
    #[arg(long)]
    pub banner: Option<String>,
    /// Public server URL (server.url).
    #[arg(long)]
    pub url: Option<String>,
    /// Owner display name (server.owner.name).
    #[arg(long)]
    pub owner: Option<String>,
    /// Rotur usernames that get the owner role at login (comma-separated; auth.owners).
    #[arg(long)]
    pub owners: Option<String>,
    /// WebSocket host.
    #[arg(long)]
    pub host: Option<String>,
    /// WebSocket port.
    #[arg(long)]
    pub port: Option<String>,
    /// Maximum message length.
    #[arg(long)]
    pub max_message_length: Option<String>,
    /// Search results limit.
    #[arg(long)]
    pub search_results: Option<String>,
    /// Allowed emoji file extensions, comma-separated.
    #[arg(long)]
    pub emoji_types: Option<String>,
    /// Storage URL (sqlite://… or postgres://…).
    #[arg(long)]
    pub storage_url: Option<String>,
}

/// Where answers come from.
trait Prompt {
    fn ask(&mut self, question: &str, default: &str) -> String;
}

struct Terminal<R: BufRead, W: Write>(R, W);

impl<R: BufRead, W: Write> Prompt for Terminal<R, W> {
    fn ask(&mut self, question: &str, default: &str) -> String {
        let hint = if default.is_empty() { String::new() } else { format!(" [{default}]") };
        let _ = write!(self.1, "{question}{hint}: ");
        let _ = self.1.flush();
        let mut line = String::new();
        let _ = self.0.read_line(&mut line);
        let line = line.trim();
        if line.is_empty() { default.to_owned() } else { line.to_owned() }
    }
}

struct Silent;

impl Prompt for Silent {
    fn ask(&mut self, _question: &str, default: &str) -> String {
        default.to_owned()
    }
}

fn answer(p: &mut dyn Prompt, flag: &Option<String>, question: &str, default: &str) -> String {
    match flag {
        Some(v) => v.trim().to_owned(),
        None => p.ask(question, default),
    }
}

fn int_or(s: &str, default: i64) -> i64 {
    s.trim().parse().unwrap_or(default)
}

/// Copies an icon/banner given as a path into db/serverAssets and returns the stored value.
fn asset(value: &str, base: &Path, out: &mut Vec<String>) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    if value.contains("://") {
        return Some(value.to_owned());
    }
    let assets = base.join("db/serverAssets");
    let given = Path::new(value);
    if given.components().count() > 1 {
        let name = given.file_name()?.to_string_lossy().to_string();
        match std::fs::copy(given, assets.join(&name)) {
            Ok(_) => return Some(name),
            Err(e) => {
                out.push(format!("warning: could not copy {value}: {e}; left unset"));
                return None;
            }
        }
    }
    if !assets.join(value).is_file() {
        out.push(format!("warning: {value} is not in db/serverAssets/ yet; it is used once the file is there"));
    }
    Some(value.to_owned())
}

/// Builds the config from answers. `interactive` chooses between prompting and defaults.
fn build(a: &SetupAnswers, p: &mut dyn Prompt, base: &Path, notes: &mut Vec<String>) -> Value {
    let mut cfg = default_config();
    cfg["server"]["name"] = json!(answer(p, &a.server_name, "Server name", "My OriginChats Server"));
    if let Some(v) = asset(
        &answer(p, &a.icon, "Server icon (file in db/serverAssets/, a path to copy, or a URL; empty for none)", ""),
        base,
        notes,
    ) {
        cfg["server"]["icon"] = json!(v);
    }
    if let Some(v) = asset(&answer(p, &a.banner, "Server banner (like the icon; empty for none)", ""), base, notes) {
        cfg["server"]["banner"] = json!(v);
    }
    let url = answer(p, &a.url, "Server URL (optional)", "");
    if !url.is_empty() {
        cfg["server"]["url"] = json!(url);
    }
    cfg["server"]["owner"]["name"] = json!(answer(p, &a.owner, "Owner name", "Admin"));
    cfg["websocket"]["host"] = json!(answer(p, &a.host, "WebSocket host", "127.0.0.1"));
    cfg["websocket"]["port"] = json!(int_or(&answer(p, &a.port, "WebSocket port", "5613"), 5613).clamp(0, 65535));
    cfg["limits"]["post_content"] =
        json!(int_or(&answer(p, &a.max_message_length, "Maximum message length", "2000"), 2000));
    cfg["limits"]["search_results"] = json!(int_or(&answer(p, &a.search_results, "Search results limit", "30"), 30));
    let types: Vec<String> =
        answer(p, &a.emoji_types, "Allowed emoji file extensions (comma-separated)", "gif,jpg,jpeg,png")
            .split(',')
            .map(|t| t.trim().trim_start_matches('.').to_lowercase())
            .filter(|t| !t.is_empty())
            .collect();
    if !types.is_empty() {
        cfg["uploads"]["emoji_allowed_file_types"] = json!(types);
    }
    let owners: Vec<String> =
        answer(p, &a.owners, "Rotur usernames that get the owner role (comma-separated, optional)", "")
            .split(',')
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();
    cfg["auth"]["owners"] = json!(owners);
    cfg["storage"]["url"] = json!(answer(p, &a.storage_url, "Storage URL", "sqlite://originchats.db"));
    cfg
}

/// Runs setup; returns the written path.
pub fn run(path: &Path, a: &SetupAnswers) -> anyhow::Result<PathBuf> {
    let interactive = !a.defaults && std::io::stdin().is_terminal();
    let base = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
    let stdin = std::io::stdin();
    let mut terminal = Terminal(stdin.lock(), std::io::stdout());
    if path.exists() && !a.force {
        let overwrite = interactive
            && terminal.ask(&format!("{} exists. Overwrite? (y/n)", path.display()), "n").eq_ignore_ascii_case("y");
        if !overwrite {
            anyhow::bail!("{} exists; not overwritten (use --force)", path.display());
        }
    }
    for dir in ["db", "db/backup", "db/serverAssets", "db/serverEmojis"] {
        std::fs::create_dir_all(base.join(dir))?;
    }
    let mut notes = vec![];
    let cfg =
        if interactive { build(a, &mut terminal, &base, &mut notes) } else { build(a, &mut Silent, &base, &mut notes) };
    for n in notes {
        eprintln!("{n}");
    }
    super::write(path, &cfg)?;
    Ok(path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Scripted(Vec<&'static str>);

    impl Prompt for Scripted {
        fn ask(&mut self, _q: &str, default: &str) -> String {
            match self.0.remove(0) {
                "" => default.to_owned(),
                s => s.to_owned(),
            }
        }
    }

    #[test]
    fn questions_are_asked_in_setup_py_order_with_its_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Scripted(vec![
            "My Place",
            "",
            "",
            "wss://chat.example",
            "Ada",
            "0.0.0.0",
            "x",
            "500",
            "",
            ".PNG, gif",
            "ada",
            "",
        ]);
        let cfg = build(&SetupAnswers::default(), &mut p, dir.path(), &mut vec![]);
        assert_eq!(cfg["server"]["name"], "My Place");
        assert_eq!(cfg["server"]["url"], "wss://chat.example");
        assert_eq!(cfg["server"]["owner"]["name"], "Ada");
        assert_eq!(cfg["websocket"], json!({"host": "0.0.0.0", "port": 5613}));
        assert_eq!(cfg["limits"], json!({"post_content": 500, "search_results": 30}));
        assert_eq!(cfg["uploads"]["emoji_allowed_file_types"], json!(["png", "gif"]));
        assert_eq!(cfg["auth"]["owners"], json!(["ada"]));
        assert_eq!(cfg["storage"]["url"], "sqlite://originchats.db");
        assert!(cfg["server"].get("icon").is_none());
    }

    #[test]
    fn flags_answer_without_prompting() {
        let dir = tempfile::tempdir().unwrap();
        let a = SetupAnswers { port: Some("7000".into()), server_name: Some("S".into()), ..Default::default() };
        let cfg = build(&a, &mut Silent, dir.path(), &mut vec![]);
        assert_eq!(cfg["websocket"]["port"], 7000);
        assert_eq!(cfg["server"]["name"], "S");
        assert_eq!(cfg["rate_limiting"]["enabled"], true);
    }
}
