//! The command line: first start without a config, the modes of the files the server
//! creates (config.json and SQLite databases, 0600), and `setup`.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use originchats_tests::server::{run_to_end, server_binary};
use originchats_tests::{Client, MockRotur};

/// The permission bits of `path`.
fn mode(path: &Path) -> u32 {
    let meta = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    meta.permissions().mode() & 0o777
}

/// Asserts that the SQLite database `db` and its companions (`-wal`, `-shm`) are readable
/// by their owner only.
fn assert_private_database(db: &Path) {
    assert_eq!(mode(db), 0o600, "{} has mode {:o}", db.display(), mode(db));
    let name = db.file_name().unwrap().to_str().unwrap();
    for entry in std::fs::read_dir(db.parent().unwrap()).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_str().unwrap().starts_with(name) {
            assert_eq!(mode(&path), 0o600, "{} has mode {:o}", path.display(), mode(&path));
        }
    }
}

/// A server process, killed when dropped (a failed assertion included).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the server in `dir` with `args` under the usual umask 022 (so that a file created
/// without an explicit mode would be world-readable) and returns once its storage is open.
fn start_until_storage_ready(dir: &Path, args: &[&str]) -> Running {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("umask 022 && exec \"$0\" \"$@\"")
        .arg(server_binary())
        .args(args)
        .current_dir(dir)
        .env_remove("ORIGINCHATS_DATABASE_URL")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines().map_while(Result::ok);
    let mut seen = String::new();
    for line in lines.by_ref() {
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("storage ready") {
            // Keep draining the log so that the server never blocks on a full pipe.
            std::thread::spawn(move || lines.for_each(drop));
            return Running(child);
        }
    }
    drop(Running(child));
    panic!("the server never opened its storage:\n{seen}");
}

#[test]
fn first_start_writes_a_complete_default_config() {
    let dir = tempfile::tempdir().unwrap();
    // The default port may be taken on a busy machine, so only the files are checked; the
    // server itself is exercised through the harness everywhere else.
    let _server = start_until_storage_ready(dir.path(), &[]);
    let cfg_path = dir.path().join("config.json");
    let cfg: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&cfg_path).unwrap()).unwrap();
    assert_eq!(cfg["websocket"], serde_json::json!({"host": "127.0.0.1", "port": 5613}));
    assert_eq!(cfg["auth"]["mode"], "rotur");
    assert_eq!(cfg["storage"]["url"], "sqlite://originchats.db");
    assert_eq!(cfg["rate_limiting"]["enabled"], true);
    for key in ["limits", "uploads", "DB", "rotur", "service", "server", "transport", "push", "plugins", "heartbeat"] {
        assert!(cfg.get(key).is_some(), "{key} missing from the default config");
    }
    // It may come to hold a database password: readable by its owner only.
    assert_eq!(mode(&cfg_path), 0o600, "config.json has mode {:o}", mode(&cfg_path));
    assert_private_database(&dir.path().join("originchats.db"));
}

#[test]
fn an_sqlite_database_named_by_the_config_is_created_private() {
    let dir = tempfile::tempdir().unwrap();
    let config = serde_json::json!({"websocket": {"host": "127.0.0.1", "port": 0},
        "storage": {"url": "sqlite://data/originchats.db"}, "plugins": {"enabled": []}});
    std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
    let _server = start_until_storage_ready(dir.path(), &["--config", "config.json"]);
    assert_private_database(&dir.path().join("data/originchats.db"));
}

#[tokio::test]
async fn setup_without_a_terminal_takes_flags_and_the_result_runs() {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new(server_binary())
        .current_dir(dir.path())
        .args([
            "setup",
            "--port",
            "0",
            "--server-name",
            "Flagged",
            "--owners",
            "root",
            "--storage-url",
            "sqlite://x.db",
            "--auth-mode",
            "rotur",
        ])
        .env_remove("ORIGINCHATS_DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let mut cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("config.json")).unwrap()).unwrap();
    assert_eq!(cfg["server"]["name"], "Flagged");
    assert_eq!(cfg["auth"]["owners"], serde_json::json!(["root"]));
    assert_eq!(cfg["auth"]["mode"], "rotur");
    assert!(dir.path().join("db/serverAssets").is_dir());
    let again = Command::new(server_binary())
        .current_dir(dir.path())
        .args(["setup", "--defaults"])
        .env_remove("ORIGINCHATS_DATABASE_URL")
        .status()
        .unwrap();
    assert!(!again.success(), "an existing config is not overwritten without --force");

    let rotur = MockRotur::start().await;
    cfg["auth"]["rotur_validate_url"] = rotur.url().into();
    std::fs::write(dir.path().join("config.json"), cfg.to_string()).unwrap();
    let mut child = Command::new(server_binary())
        .current_dir(dir.path())
        .env_remove("ORIGINCHATS_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let addr = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|l| l.strip_prefix("originchats listening on ").map(str::to_owned))
    })
    .await
    .unwrap()
    .expect("server started");
    let mut c = Client::connect(&addr).await;
    assert_eq!(c.handshake["val"]["server"]["name"], "Flagged");
    let ready = c.auth("good:USR:root:root").await;
    assert_eq!(ready["user"]["roles"], serde_json::json!(["owner", "user"]));
    assert!(dir.path().join("x.db").exists());
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn an_unusable_config_value_stops_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), r#"{"websocket": {"port": "eighty"}}"#).unwrap();
    let (ok, _, stderr) = run_to_end(dir.path(), &[]);
    assert!(!ok);
    assert!(stderr.contains("websocket.port"), "{stderr}");
}
