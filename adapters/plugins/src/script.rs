//! Script plugins: a `*.rhai` file in the plugins folder (docs/design/plugins.md#scripts). A script
//! handles an event by defining `fn on_<event>(event)`; it acts through host functions
//! (`send_message`, `timeout_user`, …) whose requests are carried out once the handler
//! returns. `this` inside a handler is the plugin's own state map, kept between events.
//!
//! Every run is bounded: operations, string/array/map sizes, call depth, a wall-clock
//! budget, a number of actions and the memory the script holds ([`memory`]). A script
//! cannot read files, load modules, `eval`, `curry` or capture variables in a closure.

pub mod memory;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use application::ports::{PluginAction, PluginEvent};
use domain::RawJson;
use rhai::debugger::DebuggerCommand;
use rhai::{AST, ASTNode, CallFnOptions, Dynamic, Engine, EvalAltResult, Expr, Map, Position, Scope, Stmt};

use super::builtin::{read_object, write_json};
use super::event::event_data;
use super::worker::{Fault, Handler};
use memory::Meter;

/// The bounds of one script run (`plugins.limits.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Operations per run.
    pub max_operations: u64,
    /// Bytes per string.
    pub max_string_bytes: usize,
    /// Items per array.
    pub max_array_len: usize,
    /// Entries per map.
    pub max_map_len: usize,
    /// Nested function calls.
    pub max_call_depth: usize,
    /// Wall-clock time per run.
    pub time_budget: Duration,
    /// Actions one run may ask for.
    pub max_actions: usize,
    /// Events waiting per plugin; more are dropped.
    pub queue: usize,
    /// Actions of one plugin waiting to be carried out; more are dropped (a limit fault).
    pub pending_actions: usize,
    /// Log lines one run may write; more are dropped.
    pub log_lines: usize,
    /// Bytes a script may hold: its variables and its state, as [`memory`] estimates them.
    pub max_memory_bytes: usize,
}

impl Limits {
    /// The longest string a script may build: `max_string_bytes`, but at most a sixteenth
    /// of the memory budget.
    pub fn string_cap(&self) -> usize {
        self.max_string_bytes.min(self.max_memory_bytes / 16).max(1)
    }

    /// Variables alive at once in one function call (the handler's include the top-level
    /// ones): as many strings of the longest length as fit in the memory budget, between 16
    /// and 10,000. The meter counts every call level together.
    pub fn variables_cap(&self) -> usize {
        (self.max_memory_bytes / self.string_cap()).clamp(16, 10_000)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_operations: 1_000_000,
            max_string_bytes: 65_536,
            max_array_len: 10_000,
            max_map_len: 10_000,
            max_call_depth: 32,
            time_budget: Duration::from_millis(500),
            max_actions: 50,
            queue: 256,
            pending_actions: 256,
            log_lines: 100,
            max_memory_bytes: 8 << 20,
        }
    }
}

/// The bounds of the current run that hooks check: the wall-clock deadline (from the
/// engine's progress hook) and the log lines written so far.
#[derive(Debug)]
struct Deadline {
    base: Instant,
    at_nanos: AtomicU64,
    logged: AtomicUsize,
    max_log_lines: usize,
}

/// Longest log line a script may write, in bytes; longer ones are cut.
const MAX_LOG_LINE: usize = 2000;

impl Deadline {
    fn new(max_log_lines: usize) -> Self {
        Self { base: Instant::now(), at_nanos: AtomicU64::new(u64::MAX), logged: AtomicUsize::new(0), max_log_lines }
    }

    fn start(&self, budget: Duration) {
        let at = self.base.elapsed().saturating_add(budget).as_nanos().min(u128::from(u64::MAX - 1)) as u64;
        self.at_nanos.store(at, Ordering::Relaxed);
        self.logged.store(0, Ordering::Relaxed);
    }

    fn clear(&self) {
        self.at_nanos.store(u64::MAX, Ordering::Relaxed);
    }

    /// Writes one log line of the plugin `key`, unless this run wrote its share already.
    fn log(&self, key: &str, text: &str) {
        let n = self.logged.fetch_add(1, Ordering::Relaxed);
        if n < self.max_log_lines {
            let mut end = text.len().min(MAX_LOG_LINE);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            tracing::info!(plugin = %key, "{}", &text[..end]);
        } else if n == self.max_log_lines {
            tracing::warn!(plugin = %key, "too much log output in one run; the rest is dropped");
        }
    }

    fn passed(&self) -> bool {
        let at = self.at_nanos.load(Ordering::Relaxed);
        at != u64::MAX && self.base.elapsed().as_nanos() > u128::from(at)
    }
}

/// What a script asked for during the current run.
#[derive(Debug, Default)]
struct Requests {
    actions: Vec<PluginAction>,
    max: usize,
}

type Shared<T> = Arc<Mutex<T>>;

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A loaded script plugin.
pub struct Script {
    /// File stem.
    pub key: String,
    /// Display name (`info().name`, else the key).
    pub name: String,
    /// `info().description`.
    pub description: String,
    /// Events it has `on_<event>` handlers for.
    pub handles: Vec<String>,
    engine: Engine,
    ast: AST,
    scope: Scope<'static>,
    state: Dynamic,
    requests: Shared<Requests>,
    deadline: Arc<Deadline>,
    budget: Duration,
    meter: Arc<Meter>,
}

fn limit_error(what: &str) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorDataTooLarge(what.into(), Position::NONE))
}

fn root(e: &EvalAltResult) -> &EvalAltResult {
    match e {
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _) | EvalAltResult::ErrorInModule(_, inner, _) => root(inner),
        other => other,
    }
}

fn fault(e: &EvalAltResult) -> Fault {
    let text = e.to_string();
    if root(e).is_catchable() { Fault::Error(text) } else { Fault::Limit(text) }
}

fn to_json(d: Dynamic) -> Result<serde_json::Value, Box<EvalAltResult>> {
    rhai::serde::from_dynamic(&d)
}

/// A packet a script built: a JSON object whose `cmd` is a non-empty string, else the
/// script gets a runtime error.
fn to_packet(d: Dynamic) -> Result<RawJson, Box<EvalAltResult>> {
    let value = to_json(d)?;
    match value.get("cmd") {
        Some(serde_json::Value::String(c)) if !c.is_empty() => Ok(RawJson(value.to_string())),
        _ => Err(Box::new(EvalAltResult::ErrorRuntime(
            "a plugin packet must be an object with a non-empty string cmd".into(),
            Position::NONE,
        ))),
    }
}

/// The host functions, each recording a request (up to the run's limit).
fn register_host(
    engine: &mut Engine,
    requests: &Shared<Requests>,
    author: &str,
    config_path: PathBuf,
    deadline: &Arc<Deadline>,
) {
    let push = {
        let requests = requests.clone();
        move |action: PluginAction| -> Result<(), Box<EvalAltResult>> {
            let mut r = locked(&requests);
            if r.actions.len() >= r.max {
                return Err(limit_error("Number of actions"));
            }
            r.actions.push(action);
            Ok(())
        }
    };
    let (p, a) = (push.clone(), author.to_owned());
    engine.register_fn("send_message", move |channel: &str, content: &str| {
        p(PluginAction::SendMessage { channel: channel.into(), content: content.into(), author: a.clone() })
    });
    let p = push.clone();
    engine.register_fn("send_message", move |channel: &str, content: &str, author: &str| {
        p(PluginAction::SendMessage { channel: channel.into(), content: content.into(), author: author.into() })
    });
    let p = push.clone();
    engine.register_fn("delete_message", move |channel: &str, id: &str| {
        p(PluginAction::DeleteMessage { channel: channel.into(), id: id.into() })
    });
    let p = push.clone();
    engine.register_fn("timeout_user", move |user: &str, seconds: i64| {
        p(PluginAction::Timeout { user: user.into(), seconds, notice: Some("User timeout set".into()) })
    });
    for (name, banned) in [("ban_user", true), ("unban_user", false)] {
        let p = push.clone();
        engine.register_fn(name, move |user: &str| p(PluginAction::Ban { user: user.into(), banned }));
    }
    let p = push.clone();
    engine.register_fn("kick_user", move |user: &str, reason: &str| {
        p(PluginAction::Kick { user: user.into(), reason: reason.into() })
    });
    for (name, grant) in [("grant_role", true), ("revoke_role", false)] {
        let p = push.clone();
        engine.register_fn(name, move |user: &str, role: &str| {
            p(PluginAction::Role { user: user.into(), role: role.into(), grant })
        });
    }
    let p = push.clone();
    engine.register_fn("send_to_user", move |user: &str, packet: Map| {
        p(PluginAction::SendToUser { user: user.into(), packet: to_packet(packet.into())? })
    });
    let p = push.clone();
    engine.register_fn("broadcast", move |packet: Map| {
        p(PluginAction::Broadcast { packet: to_packet(packet.into())?, channel: None })
    });
    let p = push;
    engine.register_fn("broadcast", move |packet: Map, channel: &str| {
        p(PluginAction::Broadcast { packet: to_packet(packet.into())?, channel: Some(channel.into()) })
    });
    let (key, d) = (author.to_owned(), deadline.clone());
    engine.register_fn("log", move |text: &str| d.log(&key, text));
    // The core package's `sleep` would block the plugin's thread past every budget.
    let no_sleep = || -> Result<(), Box<EvalAltResult>> {
        Err(Box::new(EvalAltResult::ErrorRuntime("sleep is not available to plugins".into(), Position::NONE)))
    };
    engine.register_fn("sleep", move |_: i64| no_sleep());
    engine.register_fn("sleep", move |_: f64| no_sleep());
    engine.register_fn("now", || -> f64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
    });
    let path = config_path.clone();
    engine.register_fn("get_config", move || -> Result<Dynamic, Box<EvalAltResult>> {
        let map = read_object(&path).map_err(|e| Box::new(EvalAltResult::ErrorRuntime(e.into(), Position::NONE)))?;
        rhai::serde::to_dynamic(serde_json::Value::Object(map))
    });
    engine.register_fn("set_config", move |map: Map| -> Result<(), Box<EvalAltResult>> {
        let value = to_json(map.into())?;
        write_json(&config_path, &value)
            .map_err(|e| Box::new(EvalAltResult::ErrorRuntime(e.to_string().into(), Position::NONE)))
    });
}

/// What a script may not use because the values it keeps escape every size check and the
/// meter (docs/design/plugins.md#memory): `curry`, and closures that capture variables,
/// which rhai shares and curries into the closure. `None` when it uses neither.
fn forbidden(ast: &AST) -> Option<&'static str> {
    let (mut shares, mut curries) = (false, false);
    ast.walk(&mut |path: &[ASTNode]| {
        match path.last() {
            Some(ASTNode::Stmt(Stmt::Share(..))) => shares = true,
            Some(ASTNode::Expr(Expr::FnCall(call, _) | Expr::MethodCall(call, _)))
            | Some(ASTNode::Stmt(Stmt::FnCall(call, _))) => curries |= call.name == "curry",
            _ => {}
        }
        true
    });
    if shares {
        Some("closures that capture variables are not available to plugins")
    } else if curries {
        Some("curry is not available to plugins")
    } else {
        None
    }
}

fn engine(key: &str, limits: &Limits, deadline: &Arc<Deadline>, meter: &Arc<Meter>) -> Engine {
    let mut engine = Engine::new();
    engine
        .set_max_operations(limits.max_operations)
        .set_max_string_size(limits.string_cap())
        .set_max_array_size(limits.max_array_len)
        .set_max_map_size(limits.max_map_len)
        .set_max_call_levels(limits.max_call_depth)
        .set_max_expr_depths(64, 32)
        .set_max_variables(limits.variables_cap())
        .set_max_strings_interned(256)
        .set_max_modules(0)
        .set_module_resolver(rhai::module_resolvers::DummyModuleResolver::new());
    engine.disable_symbol("eval");
    // rhai's debugger hook sees every evaluation step with the variables and `this`: the
    // meter measures them there. rhai marks this interface volatile, not deprecated.
    let m = meter.clone();
    #[allow(deprecated)]
    engine.register_debugger(
        |_, debugger| debugger,
        move |ctx, _, node, _, _| {
            m.step(&ctx, &node)?;
            Ok(DebuggerCommand::StepInto)
        },
    );
    let d = deadline.clone();
    engine.on_progress(move |ops| (ops & 0x3ff == 0 && d.passed()).then(|| Dynamic::from("time budget exceeded")));
    let (k, d) = (key.to_owned(), deadline.clone());
    engine.on_print(move |s| d.log(&k, s));
    let (k, d) = (key.to_owned(), deadline.clone());
    engine.on_debug(move |s, _, _| d.log(&k, s));
    engine
}

impl Script {
    /// Compiles `path`, runs its top level once and reads its optional `info()`.
    pub fn load(path: &Path, limits: &Limits) -> Result<Self, String> {
        let key = path.file_stem().map(|s| s.to_string_lossy().into_owned()).ok_or("no file name")?;
        let source = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let deadline = Arc::new(Deadline::new(limits.log_lines));
        let meter = Arc::new(Meter::new(limits.max_memory_bytes, limits.string_cap()));
        let mut engine = engine(&key, limits, &deadline, &meter);
        let requests: Shared<Requests> = Arc::new(Mutex::new(Requests { actions: vec![], max: limits.max_actions }));
        let config_path = path.with_file_name(format!("{key}_config.json"));
        register_host(&mut engine, &requests, &key, config_path, &deadline);
        let ast = engine.compile(&source).map_err(|e| format!("{key}.rhai: {e}"))?;
        if let Some(why) = forbidden(&ast) {
            return Err(format!("{key}.rhai: {why}"));
        }
        meter.set_functions(ast.iter_functions().map(|f| f.name.to_owned()));
        let handles: Vec<String> = ast
            .iter_functions()
            .filter(|f| f.params.len() == 1)
            .filter_map(|f| f.name.strip_prefix("on_").map(str::to_owned))
            .collect();
        for h in handles.iter().filter(|h| !PluginEvent::NAMES.contains(&h.as_str())) {
            tracing::warn!(plugin = %key, "on_{h} handles no event the server emits");
        }
        let mut script = Self {
            name: key.clone(),
            description: String::new(),
            key,
            handles,
            engine,
            ast,
            scope: Scope::new(),
            state: Dynamic::from_map(Map::new()),
            requests,
            deadline,
            budget: limits.time_budget,
            meter,
        };
        script.deadline.start(script.budget);
        script.meter.start(&script.state);
        let ran = script.engine.run_ast_with_scope(&mut script.scope, &script.ast);
        script.deadline.clear();
        ran.map_err(|e| format!("{}.rhai: {e}", script.key))?;
        locked(&script.requests).actions.clear();
        if script.ast.iter_functions().any(|f| f.name == "info" && f.params.is_empty()) {
            let info = script.call("info", ()).map_err(|e| format!("{}.rhai info(): {e}", script.key))?;
            let info = info.try_cast::<Map>().ok_or_else(|| format!("{}.rhai info() must return a map", script.key))?;
            if let Some(n) = info.get("name").and_then(|v| v.clone().into_string().ok()) {
                script.name = n;
            }
            if let Some(d) = info.get("description").and_then(|v| v.clone().into_string().ok()) {
                script.description = d;
            }
        }
        script.held().map_err(|why| format!("{}.rhai: {why}", script.key))?;
        Ok(script)
    }

    /// Checks what the script keeps between runs (its top-level variables and `this`)
    /// against its memory budget; `Err` says why it is over.
    fn held(&self) -> Result<usize, String> {
        let budget = self.meter.budget();
        match memory::held(&self.scope, &self.state) {
            Ok(n) if n <= budget => Ok(n),
            Ok(n) => Err(memory::Over::Budget(n).describe(budget)),
            Err(over) => Err(over.describe(budget)),
        }
    }

    /// The largest memory total measured during the last run, in estimated bytes.
    pub fn peak_memory(&self) -> usize {
        self.meter.peak()
    }

    fn call(&mut self, name: &str, args: impl rhai::FuncArgs) -> Result<Dynamic, Box<EvalAltResult>> {
        self.deadline.start(self.budget);
        self.meter.start(&self.state);
        let options = CallFnOptions::new().eval_ast(false).bind_this_ptr(&mut self.state);
        let out = self.engine.call_fn_with_options::<Dynamic>(options, &mut self.scope, &self.ast, name, args);
        self.deadline.clear();
        out
    }
}

impl Handler for Script {
    fn handle(&mut self, event: &PluginEvent) -> Result<Vec<PluginAction>, Fault> {
        if !self.handles.iter().any(|h| h == event.name()) {
            return Ok(vec![]);
        }
        let data = rhai::serde::to_dynamic(event_data(event)).map_err(|e| Fault::Error(e.to_string()))?;
        locked(&self.requests).actions.clear();
        let outcome = self.call(&format!("on_{}", event.name()), (data,));
        let actions = std::mem::take(&mut locked(&self.requests).actions);
        // Memory over the budget stops the plugin, whether the meter ended the run or what
        // the script keeps between runs is too much: a state over it would stay over it.
        if let Some(why) = self.meter.tripped() {
            return Err(Fault::Stop(why));
        }
        self.held().map_err(Fault::Stop)?;
        outcome.map(|_| actions).map_err(|e| fault(&e))
    }
}

#[cfg(test)]
mod tests;
