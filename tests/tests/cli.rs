//! The command line: first start without a config, and `setup`.

use std::process::{Command, Stdio};

use originchats_tests::server::{run_to_end, server_binary};
use originchats_tests::{Client, MockRotur};

#[tokio::test]
async fn first_start_writes_a_complete_default_config() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(server_binary())
        .current_dir(dir.path())
        .env_remove("ORIGINCHATS_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The default port may be taken on a busy machine, so only the config is checked
    // strictly; the server itself is exercised through the harness everywhere else.
    let cfg_path = dir.path().join("config.json");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let cfg: serde_json::Value = loop {
        if let Ok(text) = std::fs::read_to_string(&cfg_path)
            && let Ok(v) = serde_json::from_str(&text)
        {
            break v;
        }
        assert!(std::time::Instant::now() < deadline, "no config.json written");
        std::thread::yield_now();
    };
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(cfg["websocket"], serde_json::json!({"host": "127.0.0.1", "port": 5613}));
    assert_eq!(cfg["auth"]["mode"], "rotur");
    assert_eq!(cfg["storage"]["url"], "sqlite://originchats.db");
    assert_eq!(cfg["rate_limiting"]["enabled"], true);
    for key in ["limits", "uploads", "DB", "rotur", "service", "server", "transport", "push", "plugins", "heartbeat"] {
        assert!(cfg.get(key).is_some(), "{key} missing from the default config");
    }
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
        use std::io::BufRead;
        std::io::BufReader::new(stdout)
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
