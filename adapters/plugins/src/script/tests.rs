use domain::{Message, UserId};

use super::*;
use application::ports::Actor;

fn script(source: &str, limits: Limits) -> Result<Script, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("probe.rhai");
    std::fs::write(&path, source).unwrap();
    let s = Script::load(&path, &limits);
    drop(dir);
    s
}

fn message(content: &str) -> PluginEvent {
    let by = Actor { id: UserId("USR:1".into()), username: "alice".into() };
    let m = Message::new("m1".into(), by.id.clone(), content.into(), 1.0);
    PluginEvent::NewMessage { channel: "general".into(), message: Box::new(m), by }
}

#[test]
fn handlers_see_the_event_and_ask_for_actions() {
    let mut s = script(
        r#"
        fn info() { #{ name: "Echo", description: "Says pong" } }
        fn on_new_message(event) {
            if event.content == "!ping" { send_message(event.channel, "pong " + event.username); }
        }
        "#,
        Limits::default(),
    )
    .unwrap();
    assert_eq!((s.name.as_str(), s.description.as_str()), ("Echo", "Says pong"));
    assert_eq!(s.handles, vec!["new_message"]);
    assert_eq!(
        s.handle(&message("!ping")).unwrap(),
        vec![PluginAction::SendMessage {
            channel: "general".into(),
            content: "pong alice".into(),
            author: "probe".into()
        }]
    );
    assert_eq!(s.handle(&message("hello")).unwrap(), vec![]);
    assert_eq!(s.handle(&PluginEvent::ServerStart).unwrap(), vec![], "events without a handler do nothing");
}

#[test]
fn this_keeps_state_between_events() {
    let mut s = script(
        r#"
        fn on_new_message(event) {
            if this.count == () { this.count = 0; }
            this.count += 1;
            send_message(event.channel, `seen ${this.count}`);
        }
        "#,
        Limits::default(),
    )
    .unwrap();
    s.handle(&message("a")).unwrap();
    let second = s.handle(&message("b")).unwrap();
    assert!(matches!(&second[0], PluginAction::SendMessage { content, .. } if content == "seen 2"));
}

#[test]
fn an_endless_loop_is_stopped_by_the_time_budget() {
    let limits = Limits { max_operations: 0, time_budget: Duration::from_millis(50), ..Limits::default() };
    let mut s = script("fn on_new_message(event) { send_message(event.channel, \"x\"); loop { } }", limits).unwrap();
    let started = Instant::now();
    assert!(matches!(s.handle(&message("a")), Err(Fault::Limit(_))));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn an_endless_loop_is_stopped_by_the_operation_limit() {
    let limits = Limits { max_operations: 10_000, ..Limits::default() };
    let mut s = script("fn on_new_message(event) { let i = 0; while true { i += 1; } }", limits).unwrap();
    assert!(matches!(s.handle(&message("a")), Err(Fault::Limit(_))));
}

#[test]
fn growing_data_without_bound_is_stopped() {
    let mut s = script("fn on_new_message(event) { let s = \"x\"; loop { s += s; } }", Limits::default()).unwrap();
    assert!(matches!(s.handle(&message("a")), Err(Fault::Limit(_))));
    let mut a = script("fn on_new_message(event) { let a = []; loop { a.push(1); } }", Limits::default()).unwrap();
    assert!(matches!(a.handle(&message("a")), Err(Fault::Limit(_))));
    let mut r = script("fn f(n) { f(n + 1) } fn on_new_message(event) { f(0) }", Limits::default()).unwrap();
    assert!(matches!(r.handle(&message("a")), Err(Fault::Limit(_))));
}

#[test]
fn too_many_actions_are_a_limit_and_none_are_kept() {
    let limits = Limits { max_actions: 3, ..Limits::default() };
    let mut s = script("fn on_new_message(e) { for i in 0..10 { send_message(e.channel, \"x\"); } }", limits).unwrap();
    assert!(matches!(s.handle(&message("a")), Err(Fault::Limit(_))));
}

#[test]
fn runtime_errors_are_errors_not_limits() {
    let mut s = script("fn on_new_message(event) { throw \"nope\"; }", Limits::default()).unwrap();
    assert!(matches!(s.handle(&message("a")), Err(Fault::Error(e)) if e.contains("nope")));
}

#[test]
fn scripts_cannot_sleep() {
    let started = Instant::now();
    let mut s = script("fn on_new_message(e) { sleep(100); sleep(100.0); }", Limits::default()).unwrap();
    assert!(matches!(s.handle(&message("a")), Err(Fault::Error(e)) if e.contains("sleep is not available")));
    assert!(script("sleep(100);", Limits::default()).is_err(), "not at load either");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn scripts_cannot_eval_or_import() {
    assert!(script("fn on_new_message(e) { eval(\"1\") }", Limits::default()).is_err());
    let mut s = script("fn on_new_message(e) { import \"other\" as o; }", Limits::default()).unwrap();
    assert!(s.handle(&message("a")).is_err());
}

#[test]
fn a_syntax_error_fails_the_load_with_the_file_name() {
    let err = script("fn on_new_message(event) {", Limits::default()).err().unwrap();
    assert!(err.starts_with("probe.rhai"), "{err}");
}

#[test]
fn the_shipped_example_plugin_counts_and_answers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("karma.rhai");
    std::fs::write(&path, include_str!("../../../../docs/examples/plugins/karma.rhai")).unwrap();
    let mut s = Script::load(&path, &Limits::default()).unwrap();
    assert_eq!(s.name, "Karma");
    assert!(s.handle(&message("thanks bob++ and carol++ alice++")).unwrap().is_empty());
    s.handle(&message("bob++")).unwrap();
    let answer = s.handle(&message("!karma bob")).unwrap();
    assert_eq!(
        answer,
        vec![PluginAction::SendMessage {
            channel: "general".into(),
            content: "bob has 2 karma".into(),
            author: "karma".into()
        }]
    );
    // Self-thanks do not count; the counts were saved and survive a reload.
    let mut again = Script::load(&path, &Limits::default()).unwrap();
    let answer = again.handle(&message("!karma alice")).unwrap();
    assert!(matches!(&answer[0], PluginAction::SendMessage { content, .. } if content == "alice has 0 karma"));
    let answer = again.handle(&message("!karma carol")).unwrap();
    assert!(matches!(&answer[0], PluginAction::SendMessage { content, .. } if content == "carol has 1 karma"));
}
