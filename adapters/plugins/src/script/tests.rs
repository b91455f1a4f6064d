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
    PluginEvent::NewMessage { channel: "general".into(), thread_id: None, message: Box::new(m), by }
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

/// The process's resident memory, from /proc/self/statm (pages of 4 KiB).
fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    statm.split_whitespace().nth(1).unwrap().parse::<usize>().unwrap() * 4096
}

const MIB: usize = 1 << 20;

/// A 60,000-byte string, built at run time.
const BIG: &str = r#"let big = "x"; big.pad(60000, 'y');"#;

#[test]
fn curry_and_capturing_closures_are_refused_at_load() {
    for (source, why) in [
        (format!("fn on_new_message(e) {{ {BIG} let f = Fn(\"g\"); f = f.curry(big); }} fn g(a, b) {{ b }}"), "curry"),
        (format!("fn on_new_message(e) {{ {BIG} let f = curry(Fn(\"g\"), big); }} fn g(a, b) {{ b }}"), "curry"),
        (format!("fn on_new_message(e) {{ {BIG} this.f = |x| big + x; }}"), "capture"),
        (format!("{BIG} fn on_new_message(e) {{ let s = \"a\"; let f = |x| s + x; }}"), "capture"),
    ] {
        let err = script(&source, Limits::default()).err().unwrap_or_else(|| panic!("loaded: {source}"));
        assert!(err.starts_with("probe.rhai: ") && err.contains(why), "{source}: {err}");
    }
    // Closures that capture nothing, and function pointers, stay available.
    let mut s = script(
        "fn on_new_message(e) { let n = [1, 2, 3].map(|x| x * 2).reduce(|a, b| a + b, 0); \
         send_message(e.channel, `${n} ${call(Fn(\"twice\"), 4)}`); } fn twice(x) { x * 2 }",
        Limits::default(),
    )
    .unwrap();
    assert!(
        matches!(&s.handle(&message("a")).unwrap()[0], PluginAction::SendMessage { content, .. } if content == "12 8")
    );
}

#[test]
fn a_curry_reached_by_name_at_run_time_does_not_run() {
    let mut s = script(
        "fn on_new_message(e) { let name = \"cur\" + \"ry\"; let c = Fn(name); call(c, Fn(\"g\"), 1); } fn g(a) { a }",
        Limits::default(),
    )
    .unwrap();
    let outcome = s.handle(&message("a"));
    assert!(matches!(&outcome, Err(Fault::Limit(e)) if e.contains("'curry' is a reserved keyword")), "{outcome:?}");
}

#[test]
fn three_thousand_lets_of_64_kib_strings_are_stopped_early() {
    // The variable cap (budget / longest string) or the meter ends the run, whichever
    // comes first; before either existed this run finished holding about 200 MB.
    for max_string_bytes in [65_536, 16_384] {
        let mut source = format!("fn on_new_message(e) {{ let s = \"x\"; s.pad({}, 'y');\n", max_string_bytes - 100);
        for i in 0..3000 {
            source.push_str(&format!("let v{i} = s + {i};\n"));
        }
        source.push_str("send_message(e.channel, \"finished\"); }");
        let limits =
            Limits { max_operations: 0, time_budget: Duration::from_secs(30), max_string_bytes, ..Limits::default() };
        assert_eq!(limits.variables_cap(), (8 * MIB) / max_string_bytes);
        let mut s = script(&source, limits).unwrap();
        let before = resident_bytes();
        let outcome = s.handle(&message("a"));
        let grown = resident_bytes().saturating_sub(before);
        assert!(
            matches!(&outcome, Err(Fault::Limit(why)) if why.contains("Too many variables"))
                || matches!(&outcome, Err(Fault::Stop(why)) if why.starts_with("Memory (about")),
            "{outcome:?}"
        );
        assert!(grown < 64 * MIB, "the process grew by {} MiB", grown / MIB);
        assert!(s.peak_memory() <= limits.max_memory_bytes, "measured {}", s.peak_memory());
        eprintln!(
            "3,000 lets of {max_string_bytes} bytes: {outcome:?}; RSS +{} KiB, peak measured {} KiB",
            grown >> 10,
            s.peak_memory() >> 10
        );
    }
}

#[test]
fn a_map_grown_with_long_keys_in_one_event_is_stopped_early() {
    // rhai's size checks count neither map keys nor the whole of `this`.
    let source = format!(
        "fn on_new_message(e) {{ {BIG} let i = 0; loop {{ i += 1; this[big + i] = big + i; }} }}
         fn on_typing(e) {{ {BIG} let m = #{{}}; for i in 0..3000 {{ m[big + i] = i; }} }}"
    );
    let limits = Limits { max_operations: 0, time_budget: Duration::from_secs(30), ..Limits::default() };
    let before = resident_bytes();
    let mut s = script(&source, limits).unwrap();
    let outcome = s.handle(&message("a"));
    assert!(matches!(&outcome, Err(Fault::Stop(why)) if why.starts_with("Memory (about")), "{outcome:?}");
    assert!(s.peak_memory() <= limits.max_memory_bytes + MIB, "measured {}", s.peak_memory());
    let mut s = script(&source, limits).unwrap();
    let by = Actor { id: UserId("USR:1".into()), username: "alice".into() };
    let outcome = s.handle(&PluginEvent::Typing { channel: "general".into(), thread_id: None, by });
    assert!(matches!(&outcome, Err(Fault::Stop(why)) if why.starts_with("Memory (about")), "{outcome:?}");
    let grown = resident_bytes().saturating_sub(before);
    assert!(grown < 64 * MIB, "the process grew by {} MiB", grown / MIB);
    eprintln!("long keys: stopped; RSS +{} KiB", grown >> 10);
}

#[test]
fn variables_of_every_call_level_count() {
    // Each level keeps about 1.2 MB; 32 levels would be 38 MB.
    let mut lets = String::new();
    for i in 0..20 {
        lets.push_str(&format!("let v{i} = big + {i}; "));
    }
    let source =
        format!("fn fill(n) {{ {BIG} {lets} if n > 0 {{ fill(n - 1); }} }} fn on_new_message(e) {{ fill(30); }}");
    let limits = Limits { max_operations: 0, time_budget: Duration::from_secs(30), ..Limits::default() };
    let mut s = script(&source, limits).unwrap();
    let outcome = s.handle(&message("a"));
    assert!(matches!(&outcome, Err(Fault::Stop(why)) if why.starts_with("Memory (about")), "{outcome:?}");
    assert!(s.peak_memory() <= limits.max_memory_bytes + MIB);
}

#[test]
fn a_state_grown_across_events_stops_the_plugin_after_the_event_that_crosses_the_budget() {
    // About 240 KB more per event, against a 1 MiB budget.
    let source = format!(
        "fn on_new_message(e) {{ {BIG} let n = this.n ?? 0; \
         for i in 0..4 {{ n += 1; this[`k${{n}}`] = big + n; }} this[\"n\"] = n; }}"
    );
    let limits = Limits { max_memory_bytes: MIB, ..Limits::default() };
    let mut s = script(&source, limits).unwrap();
    let mut events = 0;
    let why = loop {
        events += 1;
        match s.handle(&message("a")) {
            Ok(_) => assert!(events < 10, "never stopped"),
            Err(Fault::Stop(why)) => break why,
            Err(other) => panic!("event {events}: {other:?}"),
        }
    };
    assert_eq!(events, 5, "the fifth event crosses 1 MiB (4 × 240 KB fit)");
    assert!(why.starts_with("Memory (about") && why.contains("budget 1.0 MiB"), "{why}");
}

#[test]
fn well_behaved_scripts_keep_running() {
    // Busy, with short-lived data, and a state that grows slowly within its budget.
    let mut s = script(
        r#"
        fn on_new_message(e) {
            let words = [];
            for i in 0..200 { let w = `${e.username}-${i}`; words.push(w); }
            if this.seen == () { this.seen = #{}; }
            this.seen[e.content] = words.len();
            if this.seen.len() % 100 == 0 { send_message(e.channel, `seen ${this.seen.len()}`); }
        }
        "#,
        Limits::default(),
    )
    .unwrap();
    for i in 1..=300 {
        let actions = s.handle(&message(&format!("message number {i}"))).unwrap();
        assert_eq!(actions.len(), usize::from(i % 100 == 0), "event {i}");
    }
    assert!(s.peak_memory() < Limits::default().max_memory_bytes / 2, "peak {}", s.peak_memory());
}

#[test]
fn a_top_level_over_the_budget_is_refused() {
    let source = format!("{BIG} let kept = #{{}}; for i in 0..40 {{ kept[`k${{i}}`] = big + i; }}");
    let err = script(&source, Limits { max_memory_bytes: MIB, ..Limits::default() }).err().unwrap();
    assert!(err.starts_with("probe.rhai") && err.contains("Memory (about"), "{err}");
}
