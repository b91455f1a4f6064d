use super::*;

fn opt(name: &str, kind: OptionKind, required: bool) -> SlashOption {
    SlashOption { name: name.into(), description: "d".into(), kind, choices: None, required }
}

fn command(name: &str, options: Vec<SlashOption>) -> SlashCommand {
    SlashCommand {
        name: name.into(),
        description: "d".into(),
        whitelist: None,
        blacklist: None,
        options,
        ephemeral: false,
    }
}

fn arg(kind: ArgKind) -> ArgValue {
    ArgValue { kind, text: None }
}

fn text(s: &str) -> ArgValue {
    ArgValue { kind: ArgKind::Str, text: Some(s.into()) }
}

fn args(entries: &[(&str, ArgValue)]) -> SlashArgs {
    SlashArgs { entries: entries.iter().map(|(n, v)| (n.to_string(), v.clone())).collect(), ..Default::default() }
}

fn uid(s: &str) -> UserId {
    UserId(s.into())
}

#[test]
fn arguments_are_checked_unknown_then_missing_then_type() {
    let mut color = opt("color", OptionKind::Enum, false);
    color.choices = Some(vec!["red".into(), "blue".into()]);
    let c = command("paint", vec![opt("n", OptionKind::Int, true), opt("x", OptionKind::Float, false), color]);
    let int = || arg(ArgKind::Int);
    assert_eq!(check_args(&c, &args(&[("n", int()), ("zz", int())])), Err(SlashError::UnknownArgument("zz".into())));
    assert_eq!(check_args(&c, &args(&[("x", text("1"))])), Err(SlashError::MissingArgument("n".into())));
    let wrong = check_args(&c, &args(&[("n", arg(ArgKind::Bool))])).unwrap_err();
    assert_eq!(wrong.to_string(), "Invalid type for argument 'n': expected int, got bool");
    let wrong = check_args(&c, &args(&[("n", arg(ArgKind::Float))])).unwrap_err();
    assert_eq!(wrong.to_string(), "Invalid type for argument 'n': expected int, got float");
    let wrong = check_args(&c, &args(&[("n", int()), ("x", arg(ArgKind::None))])).unwrap_err();
    assert_eq!(wrong.to_string(), "Invalid type for argument 'x': expected float, got NoneType");
    let wrong = check_args(&c, &args(&[("n", int()), ("color", text("green"))])).unwrap_err();
    assert_eq!(wrong.to_string(), "Invalid value for argument 'color': expected one of [red, blue], got 'green'");
    assert_eq!(check_args(&c, &args(&[("n", int()), ("x", int()), ("color", text("red"))])), Ok(()));
}

#[test]
fn blacklist_wins_and_whitelist_needs_any_listed_role() {
    let mut c = command("mod", vec![]);
    c.whitelist = Some(vec!["admin".into(), "mod".into()]);
    c.blacklist = Some(vec!["muted".into()]);
    let roles = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(check_roles(&c, &roles(&["user", "mod"])), Ok(()));
    assert_eq!(
        check_roles(&c, &roles(&["user"])).unwrap_err().to_string(),
        "Access denied: 'admin' or 'mod' role required"
    );
    assert_eq!(check_roles(&c, &roles(&["mod", "muted"])), Err(SlashError::ForbiddenRoles));
    c.whitelist = Some(vec![]);
    assert_eq!(check_roles(&c, &roles(&["user"])), Ok(()));
}

#[test]
fn names_belong_to_one_connection_and_reregistering_replaces() {
    let reg = SlashRegistry::default();
    reg.register(1, &uid("bot"), "bot", vec![command("a", vec![]), command("b", vec![])]).unwrap();
    assert_eq!(
        reg.register(2, &uid("other"), "other", vec![command("b", vec![])]),
        Err(SlashError::NameTaken("b".into()))
    );
    reg.register(1, &uid("bot"), "bot", vec![command("c", vec![])]).unwrap();
    let names: Vec<String> = reg.list().into_iter().map(|r| r.command.name).collect();
    assert_eq!(names, vec!["c"]);
    reg.register(2, &uid("other"), "other", vec![command("b", vec![])]).unwrap();
    let (gone, _) = reg.drop_conn(1);
    assert_eq!(gone, vec!["c".to_string()]);
    assert_eq!(reg.find("b").unwrap().conn, 2);
}

fn call(bot: ConnId, invoker: &str, command: &str, at: f64) -> PendingCall {
    PendingCall {
        id: 0,
        bot_node: None,
        bot,
        invoker_node: None,
        invoker_conn: 9,
        invoker: uid(invoker),
        invoker_username: invoker.into(),
        channel: "general".into(),
        command: command.into(),
        ephemeral: false,
        at,
        answers: 0,
    }
}

fn with_commands(names: &[&str]) -> SlashRegistry {
    let reg = SlashRegistry::default();
    reg.register(1, &uid("bot"), "bot", names.iter().map(|n| command(n, vec![])).collect()).unwrap();
    reg.register(2, &uid("bot2"), "bot2", vec![command("other", vec![])]).unwrap();
    reg
}

#[test]
fn a_call_is_remembered_only_while_its_bot_holds_the_command() {
    let reg = with_commands(&["remind"]);
    assert!(reg.record(call(1, "alice", "remind", 1.0)));
    assert!(!reg.record(call(1, "alice", "unknown", 1.0)));
    reg.drop_conn(1);
    assert!(!reg.record(call(1, "alice", "remind", 2.0)), "the bot is gone: the call is refused, not left waiting");
}

#[test]
fn a_response_must_answer_a_live_call_of_that_bot() {
    let reg = with_commands(&["remind", "roll"]);
    reg.record(call(1, "alice", "remind", 100.0));
    reg.record(call(1, "alice", "roll", 101.0));
    // Another bot, another channel or another caller answers nothing.
    assert!(reg.answer(2, "general", &uid("alice"), None, 102.0).is_none());
    assert!(reg.answer(1, "random", &uid("alice"), None, 102.0).is_none());
    assert!(reg.answer(1, "general", &uid("bob"), None, 102.0).is_none());
    // Without `command`, the oldest unanswered call is answered first.
    assert_eq!(reg.answer(1, "general", &uid("alice"), None, 102.0).unwrap().command, "remind");
    assert_eq!(reg.answer(1, "general", &uid("alice"), Some("roll"), 102.0).unwrap().command, "roll");
    // Follow-ups to an answered call are allowed while it lives, then it expires.
    assert!(reg.answer(1, "general", &uid("alice"), Some("remind"), 103.0).is_some());
    assert!(reg.answer(1, "general", &uid("alice"), None, 100.0 + PENDING_SECONDS + 2.0).is_none());
}

#[test]
fn a_call_takes_at_most_ten_answers() {
    let reg = with_commands(&["roll"]);
    reg.record(call(1, "alice", "roll", 100.0));
    for n in 1..=MAX_ANSWERS_PER_CALL {
        let answered = reg.answer(1, "general", &uid("alice"), None, 101.0);
        assert_eq!(answered.map(|c| c.answers), Some(n));
    }
    assert!(reg.answer(1, "general", &uid("alice"), None, 101.0).is_none(), "the eleventh is refused");
}

#[test]
fn a_closing_bot_reports_only_unanswered_calls() {
    let reg = with_commands(&["a"]);
    reg.record(call(1, "alice", "a", 1.0));
    reg.record(call(1, "bob", "a", 1.0));
    reg.record(call(2, "carol", "other", 1.0));
    reg.answer(1, "general", &uid("alice"), None, 2.0).unwrap();
    let (_, unanswered) = reg.drop_conn(1);
    assert_eq!(unanswered.iter().map(|p| p.invoker.0.as_str()).collect::<Vec<_>>(), vec!["bob"]);
    assert!(reg.answer(2, "general", &uid("carol"), None, 3.0).is_some());
}
