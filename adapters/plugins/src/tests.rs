use std::time::Duration;

use application::ports::{Actor, PluginAction, Queued};
use domain::{Message, User, UserId};
use tokio::sync::mpsc;

use super::*;

fn settings(dir: &Path, enabled: &[&str]) -> PluginSettings {
    PluginSettings {
        enabled: enabled.iter().map(|s| s.to_string()).collect(),
        dir: dir.to_path_buf(),
        limits: Limits { time_budget: Duration::from_millis(100), ..Limits::default() },
    }
}

fn message(content: &str) -> PluginEvent {
    let by = Actor { id: UserId("USR:1".into()), username: "alice".into() };
    let m = Message::new("m1".into(), by.id.clone(), content.into(), 1.0);
    PluginEvent::NewMessage { channel: "general".into(), thread_id: None, message: Box::new(m), by }
}

fn next(rx: &mut mpsc::UnboundedReceiver<Queued>) -> Requested {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(q) = rx.try_recv() {
            return q.requested;
        }
        assert!(std::time::Instant::now() < deadline, "no action arrived");
        std::thread::yield_now();
    }
}

const ECHO: &str = r#"fn on_new_message(e) { if e.content == "!ping" { send_message(e.channel, "pong"); } }"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builtins_and_scripts_are_listed_and_receive_their_events() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("echo.rhai"), ECHO).unwrap();
    std::fs::write(dir.path().join("broken.rhai"), "fn on_new_message(e) {").unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let set = PluginSet::start(settings(dir.path(), &["welcome", "automod", "cli", "nope"]), tx);
    let keys: Vec<String> = set.list().into_iter().map(|p| p.key).collect();
    assert_eq!(keys, vec!["welcome", "automod", "broken", "echo"], "cli and unknown names are ignored");
    let broken = set.list().into_iter().find(|p| p.key == "broken").unwrap();
    assert!(broken.handles.is_empty());
    assert!(broken.stopped.unwrap().starts_with("not loaded: broken.rhai: "), "a script that does not load says why");
    set.notify(&message("!ping"));
    let got = next(&mut rx);
    assert_eq!(got.plugin, "echo");
    assert_eq!(
        got.action,
        PluginAction::SendMessage { channel: "general".into(), content: "pong".into(), author: "echo".into() }
    );
    let user = User::new(UserId("USR:2".into()), "bob".into(), vec!["user".into()], vec![]);
    set.notify(&PluginEvent::UserJoin { user: Box::new(user), color: None });
    assert_eq!(next(&mut rx).plugin, "welcome");
    assert_eq!(set.reload(Some("broken".into())).await, Err("broken".into()));
    assert_eq!(set.reload(Some("missing".into())).await, Err("missing".into()));
    assert_eq!(set.reload(Some("automod".into())).await, Ok(()));
    assert_eq!(set.reload(None).await, Ok(()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_script_is_stopped_without_stalling_the_others() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("spin.rhai"), "fn on_new_message(e) { loop {} }").unwrap();
    std::fs::write(dir.path().join("echo.rhai"), ECHO).unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let set = PluginSet::start(settings(dir.path(), &[]), tx);
    for _ in 0..worker::STRIKES {
        set.notify(&message("!ping"));
    }
    for _ in 0..worker::STRIKES {
        assert_eq!(next(&mut rx).plugin, "echo");
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while set.list().iter().find(|p| p.key == "spin").unwrap().stopped.is_none() {
        assert!(std::time::Instant::now() < deadline, "the spinning plugin was never stopped");
        std::thread::yield_now();
    }
    // A reload runs it again.
    set.reload(Some("spin".into())).await.unwrap();
    assert!(set.list().iter().find(|p| p.key == "spin").unwrap().stopped.is_none());
}

/// Waits until the plugin `key` is listed as stopped, and returns why.
fn stopped(set: &PluginSet, key: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(why) = set.list().into_iter().find(|p| p.key == key).and_then(|p| p.stopped) {
            return why;
        }
        assert!(std::time::Instant::now() < deadline, "{key} was never stopped");
        std::thread::yield_now();
    }
}

const CURRY: &str =
    r#"fn on_new_message(e) { let s = "x"; s.pad(60000, 'y'); this.f = Fn("g").curry(s); } fn g(a) { a }"#;
const HOARD: &str = r#"
fn on_new_message(e) {
    let big = "x"; big.pad(60000, 'y');
    let n = this.n ?? 0;
    for i in 0..8 { n += 1; this[`k${n}`] = big + n; }
    this["n"] = n;
}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_refused_or_stopped_for_memory_stay_listed_and_the_others_keep_working() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("curry.rhai"), CURRY).unwrap();
    std::fs::write(dir.path().join("hoard.rhai"), HOARD).unwrap();
    std::fs::write(dir.path().join("echo.rhai"), ECHO).unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut settings = settings(dir.path(), &[]);
    settings.limits.max_memory_bytes = 1 << 20;
    let set = PluginSet::start(settings, tx);
    let curry = stopped(&set, "curry");
    assert!(curry.starts_with("not loaded: curry.rhai: curry is not available"), "{curry}");
    // Each message adds about 480 KB to hoard's state: the third crosses 1 MiB.
    for _ in 0..3 {
        set.notify(&message("!ping"));
        assert_eq!(next(&mut rx).plugin, "echo");
    }
    let hoard = stopped(&set, "hoard");
    assert!(hoard.starts_with("stopped: Memory (about") && hoard.contains("budget 1.0 MiB"), "{hoard}");
    set.notify(&message("!ping"));
    assert_eq!(next(&mut rx).plugin, "echo", "the others keep working");
    assert!(set.list().iter().find(|p| p.key == "echo").unwrap().stopped.is_none());
    // A reload runs hoard afresh; curry is still refused, and reloading it says so.
    set.reload(Some("hoard".into())).await.unwrap();
    assert!(set.list().iter().find(|p| p.key == "hoard").unwrap().stopped.is_none());
    assert_eq!(set.reload(Some("curry".into())).await, Err("curry".into()));
    assert!(stopped(&set, "curry").starts_with("not loaded: "));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rescan_follows_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let set = PluginSet::start(settings(dir.path(), &[]), tx);
    assert!(set.list().is_empty());
    std::fs::write(dir.path().join("echo.rhai"), ECHO).unwrap();
    set.rescan();
    assert_eq!(set.list()[0].key, "echo");
    std::fs::write(dir.path().join("echo.rhai"), ECHO.replace("pong", "PONG")).unwrap();
    set.rescan();
    set.notify(&message("!ping"));
    assert!(matches!(next(&mut rx).action, PluginAction::SendMessage { content, .. } if content == "PONG"));
    std::fs::remove_file(dir.path().join("echo.rhai")).unwrap();
    set.rescan();
    assert!(set.list().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_names_only_plugins_of_the_folder() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("evil.rhai"), ECHO).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("welcome.rhai"), ECHO).unwrap();
    let (tx, _rx) = mpsc::unbounded_channel();
    let set = PluginSet::start(settings(dir.path(), &[]), tx);
    let evil = outside.path().join("evil").to_string_lossy().into_owned();
    for name in [evil.as_str(), "../evil", "welcome"] {
        assert_eq!(set.reload(Some(name.into())).await, Err(name.to_string()), "{name}");
    }
    assert!(set.list().is_empty(), "nothing was loaded from elsewhere, nor a script named like a built-in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automod_screens_inline() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("automod_config.json"), r#"{"blocked_words": ["darn"]}"#).unwrap();
    let (tx, _rx) = mpsc::unbounded_channel();
    let set = PluginSet::start(settings(dir.path(), &["automod"]), tx);
    let draft = |content: &str| Draft {
        channel: "general".into(),
        id: "m".into(),
        content: content.into(),
        by: Actor { id: UserId("USR:1".into()), username: "alice".into() },
        roles: vec!["user".into()],
        commands: true,
    };
    let s = set.screen_message(&draft("darn it"));
    assert_eq!(s.block.unwrap().reason, automod::REASON);
    assert!(s.actions.iter().all(|a| a.plugin == "automod"));
    assert_eq!(set.screen_message(&draft("fine")), Screening::default());
}
