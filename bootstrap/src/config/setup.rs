//! `originchats setup`: writes a complete config.json, asking what the original's setup.py
//! asks (docs/design/configuration.md#setup) in the same order with the same defaults, or taking the answers
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
    /// How logins are checked: rotur (real accounts) or mock (development only).
    #[arg(long, value_parser = ["rotur", "mock"])]
    pub auth_mode: Option<String>,
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

/// The stored value of an icon/banner answer (docs/design/configuration.md#setup): a URL as it is; a file
/// already in db/serverAssets/ by its name; a path to an existing file is copied there and
/// its name stored. Anything else is warned about and left unset.
fn asset(value: &str, base: &Path, out: &mut Vec<String>) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    if value.contains("://") {
        return Some(value.to_owned());
    }
    let assets = base.join("db/serverAssets");
    let given = Path::new(value);
    let Some(name) = given.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        out.push(format!("warning: {value} names no file; left unset"));
        return None;
    };
    let target = assets.join(&name);
    let is_bare_name = given.components().count() == 1;
    if is_bare_name && target.is_file() {
        return Some(name);
    }
    if !given.is_file() {
        out.push(format!("warning: {value} is neither a file in {} nor a file to copy; left unset", assets.display()));
        return None;
    }
    let same_file = matches!(
        (std::fs::canonicalize(given), std::fs::canonicalize(&target)),
        (Ok(a), Ok(b)) if a == b
    );
    if same_file {
        return Some(name);
    }
    match std::fs::copy(given, &target) {
        Ok(_) => Some(name),
        Err(e) => {
            out.push(format!("warning: could not copy {value} to {}: {e}; left unset", target.display()));
            None
        }
    }
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
    let mode = answer(p, &a.auth_mode, "Auth mode (rotur, or mock for development only)", "rotur").to_lowercase();
    let mode = match mode.as_str() {
        "rotur" | "mock" => mode,
        other => {
            notes.push(format!("warning: auth mode {other:?} is neither rotur nor mock; using rotur"));
            "rotur".into()
        }
    };
    if mode == "mock" {
        notes.push("warning: auth.mode is mock: anyone can log in as anyone. Never use it in production.".into());
    }
    cfg["auth"]["mode"] = json!(mode);
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
        assert_eq!(cfg["auth"]["mode"], "rotur");
        assert!(cfg["server"].get("icon").is_none());
    }

    fn answers_with_assets(icon: &str, banner: &str) -> SetupAnswers {
        SetupAnswers { icon: Some(icon.into()), banner: Some(banner.into()), ..Default::default() }
    }

    #[test]
    fn a_missing_icon_or_banner_is_warned_about_and_left_unset() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("db/serverAssets")).unwrap();
        let mut notes = vec![];
        let a = answers_with_assets("nope.png", "/no/such/banner.png");
        let cfg = build(&a, &mut Silent, dir.path(), &mut notes);
        assert!(cfg["server"].get("icon").is_none(), "{}", cfg["server"]);
        assert!(cfg["server"].get("banner").is_none(), "{}", cfg["server"]);
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].contains("nope.png") && notes[0].contains("left unset"), "{notes:?}");
    }

    #[test]
    fn existing_assets_are_kept_or_copied_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let assets = dir.path().join("db/serverAssets");
        std::fs::create_dir_all(&assets).unwrap();
        std::fs::write(assets.join("icon.png"), b"icon").unwrap();
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::fs::write(elsewhere.join("banner.png"), b"banner").unwrap();
        let banner = elsewhere.join("banner.png").to_string_lossy().into_owned();
        let mut notes = vec![];
        let cfg = build(&answers_with_assets("icon.png", &banner), &mut Silent, dir.path(), &mut notes);
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(cfg["server"]["icon"], "icon.png");
        assert_eq!(cfg["server"]["banner"], "banner.png");
        assert_eq!(std::fs::read(assets.join("banner.png")).unwrap(), b"banner");
        // A path to the file already in place is not copied onto itself (which would empty it).
        let in_place = assets.join("icon.png").to_string_lossy().into_owned();
        let cfg = build(&answers_with_assets(&in_place, ""), &mut Silent, dir.path(), &mut notes);
        assert_eq!(cfg["server"]["icon"], "icon.png");
        assert_eq!(std::fs::read(assets.join("icon.png")).unwrap(), b"icon");
    }

    #[test]
    fn the_auth_mode_is_asked_and_can_be_given_as_a_flag() {
        let dir = tempfile::tempdir().unwrap();
        let a = SetupAnswers { auth_mode: Some("mock".into()), ..Default::default() };
        let mut notes = vec![];
        let cfg = build(&a, &mut Silent, dir.path(), &mut notes);
        assert_eq!(cfg["auth"]["mode"], "mock");
        assert!(notes.iter().any(|n| n.contains("mock")), "a loud note: {notes:?}");
        let cfg = build(&SetupAnswers::default(), &mut Silent, dir.path(), &mut vec![]);
        assert_eq!(cfg["auth"]["mode"], "rotur", "the default");
        let mut p = Scripted(vec!["", "", "", "", "", "", "", "", "", "", "", "", "MOCK"]);
        let cfg = build(&SetupAnswers::default(), &mut p, dir.path(), &mut vec![]);
        assert_eq!(cfg["auth"]["mode"], "mock");
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
