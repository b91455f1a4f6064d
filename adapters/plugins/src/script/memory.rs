//! The memory budget of a script (docs/design/plugins.md#memory).
//!
//! rhai bounds each value it checks (string bytes, array items, map entries), but not how
//! many values a script keeps, nor the bytes of map keys, nor `this` between events. So the
//! host measures what a script holds itself: every value is walked and its heap estimated
//! (strings by their bytes, arrays and blobs by their capacity, maps by entries and key
//! bytes, each with a fixed overhead). A [`Meter`] does that while a handler runs, from
//! rhai's debugger hook: at the first step, at least every [`MAX_STRIDE`] steps (more often
//! near the budget), and before each call of a script function; the run is aborted when
//! the total passes the budget. [`held`] measures what a script keeps between runs.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use rhai::{
    ASTNode, Array, Blob, Dynamic, EvalAltResult, EvalContext, Expr, FnPtr, ImmutableString, Map, Position, Scope, Stmt,
};

/// A value's own slot (in a variable, an array or a map entry).
const SLOT: usize = std::mem::size_of::<Dynamic>();
/// A string's shared header and inline buffer; longer strings add their bytes.
const STRING: usize = 48;
/// Longest string or map key kept inline, without a heap buffer of its own.
const INLINE: usize = 23;
/// The box and vector (or tree) header of an array, blob or map.
const CONTAINER: usize = 32;
/// One map entry: its key, its value slot and its share of the tree's nodes.
const ENTRY: usize = 80;
/// A function pointer (its name is added).
const FN_PTR: usize = 96;
/// Any other boxed value (timestamps, ranges).
const BOXED: usize = 32;
/// Deepest nesting measured; deeper data counts as over the budget.
pub const MAX_DEPTH: usize = 256;
/// Most evaluation steps between two measurements during a run.
pub const MAX_STRIDE: usize = 64;

/// Why data could not be measured within the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Over {
    /// It is larger than the budget (estimated bytes).
    Budget(usize),
    /// It nests deeper than [`MAX_DEPTH`].
    Depth,
}

impl Over {
    /// What is too large, as rhai's error puts it ("… too large").
    fn what(self, budget: usize) -> String {
        match self {
            Self::Budget(used) => format!(
                "Memory (about {} held; budget {}, plugins.limits.max_memory_bytes)",
                bytes(used),
                bytes(budget)
            ),
            Self::Depth => format!("Nesting of data (more than {MAX_DEPTH} levels)"),
        }
    }

    /// The reason, for a log line or `plugins_list`.
    pub fn describe(self, budget: usize) -> String {
        format!("{} too large", self.what(budget))
    }

    /// The error that ends a run: rhai's own for data over a limit, which scripts cannot catch.
    pub fn error(self, budget: usize) -> Box<EvalAltResult> {
        Box::new(EvalAltResult::ErrorDataTooLarge(self.what(budget), Position::NONE))
    }
}

/// `n` bytes for people: `812 KiB`, `8.0 MiB`.
pub fn bytes(n: usize) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / f64::from(1 << 20)),
        n if n >= 1 << 10 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// The heap a value owns, not counting its own slot; `None` when it nests too deeply.
fn heap(d: &Dynamic, depth: usize) -> Option<usize> {
    if d.is_unit() || d.is_int() || d.is_float() || d.is_bool() || d.is_char() {
        return Some(0);
    }
    if depth > MAX_DEPTH {
        return None;
    }
    if let Some(s) = d.read_lock::<ImmutableString>() {
        return Some(STRING + if s.len() > INLINE { s.len() } else { 0 });
    }
    if let Some(a) = d.read_lock::<Array>() {
        let mut n = CONTAINER + a.capacity() * SLOT;
        for item in a.iter() {
            n += heap(item, depth + 1)?;
        }
        return Some(n);
    }
    if let Some(m) = d.read_lock::<Map>() {
        let mut n = CONTAINER;
        for (key, value) in m.iter() {
            n += ENTRY + if key.len() > INLINE { key.len() } else { 0 } + heap(value, depth + 1)?;
        }
        return Some(n);
    }
    if let Some(b) = d.read_lock::<Blob>() {
        return Some(CONTAINER + b.capacity());
    }
    if let Some(f) = d.read_lock::<FnPtr>() {
        let mut n = FN_PTR + f.fn_name().len();
        for item in f.iter_curry() {
            n += SLOT + heap(item, depth + 1)?;
        }
        return Some(n);
    }
    Some(BOXED)
}

/// The estimated bytes of some values (each with its slot), and the largest of them.
fn measure<'a>(values: impl IntoIterator<Item = &'a Dynamic>) -> Result<(usize, usize), Over> {
    let (mut total, mut largest) = (0_usize, 0_usize);
    for v in values {
        let n = SLOT + heap(v, 0).ok_or(Over::Depth)?;
        total = total.saturating_add(n);
        largest = largest.max(n);
    }
    Ok((total, largest))
}

/// What a script keeps between runs: its top-level variables and its state (`this`).
pub fn held(scope: &Scope, state: &Dynamic) -> Result<usize, Over> {
    let values = scope.iter_raw().map(|(_, _, v)| v).chain(std::iter::once(state));
    measure(values).map(|(total, _)| total)
}

/// Bytes of `d` with its slot.
fn size_of(d: &Dynamic) -> Result<usize, Over> {
    Ok(SLOT + heap(d, 0).ok_or(Over::Depth)?)
}

/// What the meter knows during a run.
#[derive(Debug, Default)]
struct Reading {
    /// The last measured size of each call level's variables (level 0: the handler's,
    /// with the top-level ones); a level's callers are out of sight while it runs.
    frames: Vec<usize>,
    /// The last measured size of the state.
    state: usize,
    /// The largest total measured in this run.
    peak: usize,
    /// Why this run was ended by the meter, if it was.
    over: Option<Over>,
}

/// Measures a script's data while it runs (see the module notes).
#[derive(Debug)]
pub struct Meter {
    budget: usize,
    /// The most one evaluation step is assumed to add, besides a copy of a value: a map key
    /// and a string value at their size limit.
    step: usize,
    /// Steps left before the next measurement.
    countdown: AtomicUsize,
    /// Where the state lives during this run, to recognise it as `this`.
    state_at: AtomicUsize,
    /// A measurement did not see the state (`this` was something else): measure again at
    /// the next step that sees it, since it may have changed before.
    state_unseen: AtomicBool,
    reading: Mutex<Reading>,
    /// Script functions of the script, and `call`: a measurement precedes their calls,
    /// since the callee cannot see its caller's variables.
    calls: OnceLock<HashSet<String>>,
}

impl Meter {
    /// A meter for `budget` bytes, where no string is longer than `max_string` bytes.
    pub fn new(budget: usize, max_string: usize) -> Self {
        Self {
            budget,
            step: 2 * (STRING + max_string) + ENTRY,
            countdown: AtomicUsize::new(1),
            state_at: AtomicUsize::new(0),
            state_unseen: AtomicBool::new(false),
            reading: Mutex::default(),
            calls: OnceLock::new(),
        }
    }

    /// The budget, in bytes.
    pub fn budget(&self) -> usize {
        self.budget
    }

    /// Names the script's functions, once it is compiled.
    pub fn set_functions(&self, names: impl IntoIterator<Item = String>) {
        let _ = self.calls.set(names.into_iter().chain(["call".to_owned()]).collect());
    }

    fn reading(&self) -> std::sync::MutexGuard<'_, Reading> {
        self.reading.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Readies the meter for a run with `state` bound as `this` (its address identifies it).
    pub fn start(&self, state: &Dynamic) {
        // Measured after the last run; the first step that sees it measures it again.
        let held = size_of(state).unwrap_or(0);
        *self.reading() = Reading { frames: vec![], state: held, peak: 0, over: None };
        self.state_at.store(state as *const Dynamic as usize, Ordering::Relaxed);
        self.state_unseen.store(true, Ordering::Relaxed);
        self.countdown.store(1, Ordering::Relaxed);
    }

    /// The largest total measured in the last run.
    pub fn peak(&self) -> usize {
        self.reading().peak
    }

    /// Why the meter ended the last run, if it did.
    pub fn tripped(&self) -> Option<String> {
        self.reading().over.map(|o| o.describe(self.budget))
    }

    fn is_state(&self, this: Option<&Dynamic>) -> bool {
        this.is_some_and(|t| t as *const Dynamic as usize == self.state_at.load(Ordering::Relaxed))
    }

    fn calls_script(&self, node: &ASTNode) -> bool {
        let call = match node {
            ASTNode::Expr(Expr::FnCall(x, _) | Expr::MethodCall(x, _)) | ASTNode::Stmt(Stmt::FnCall(x, _)) => x,
            _ => return false,
        };
        call.op_token.is_none() && self.calls.get().is_some_and(|names| names.contains(call.name.as_str()))
    }

    /// Called before each evaluation step: measures when due, and fails the run when the
    /// script holds more than its budget.
    pub fn step(&self, ctx: &EvalContext, node: &ASTNode) -> Result<(), Box<EvalAltResult>> {
        let left = self.countdown.load(Ordering::Relaxed);
        let due = left <= 1
            || self.calls_script(node)
            || (self.state_unseen.load(Ordering::Relaxed) && self.is_state(ctx.this_ptr()));
        if !due {
            self.countdown.store(left - 1, Ordering::Relaxed);
            return Ok(());
        }
        let mut r = self.reading();
        let outcome = self.measure_step(&mut r, ctx);
        if let Err(o) = outcome {
            r.over = Some(o);
        }
        outcome.map_err(|o| o.error(self.budget))
    }

    fn measure_step(&self, r: &mut Reading, ctx: &EvalContext) -> Result<(), Over> {
        let (frame, mut largest) = measure(ctx.scope().iter_raw().map(|(_, _, v)| v))?;
        // rhai's debugger keeps a copy of the arguments of every function call in progress.
        let stack = ctx.global_runtime_state().debugger().call_stack();
        let (copies, _) = measure(stack.iter().flat_map(|f| f.args.iter()))?;
        let this = match ctx.this_ptr() {
            Some(t) if self.is_state(Some(t)) => {
                r.state = size_of(t)?;
                self.state_unseen.store(false, Ordering::Relaxed);
                r.state
            }
            other => {
                self.state_unseen.store(true, Ordering::Relaxed);
                // `this` bound to another value (a method called on it) counts besides.
                let n = other.map(size_of).transpose()?.unwrap_or(0);
                largest = largest.max(n);
                n + r.state
            }
        };
        largest = largest.max(r.state);
        let level = ctx.call_level();
        r.frames.truncate(level + 1);
        r.frames.resize(level + 1, 0);
        r.frames[level] = frame;
        let total = r.frames.iter().fold(copies.saturating_add(this), |t, f| t.saturating_add(*f));
        r.peak = r.peak.max(total);
        if total > self.budget {
            return Err(Over::Budget(total));
        }
        // Until the next measurement each step may add a copy of the largest value, or a
        // new key and string: measure again before that could pass the budget.
        let stride = (self.budget - total) / largest.max(self.step);
        self.countdown.store(stride.clamp(1, MAX_STRIDE), Ordering::Relaxed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_count_strings_keys_items_and_nesting() {
        let small = Dynamic::from("short");
        let size_of = |d: &Dynamic| size_of(d).unwrap();
        assert_eq!(size_of(&small), SLOT + STRING);
        let long = Dynamic::from("x".repeat(1000));
        assert_eq!(size_of(&long), SLOT + STRING + 1000);
        let mut map = Map::new();
        map.insert("k".repeat(100).into(), Dynamic::from(1_i64));
        let map = Dynamic::from_map(map);
        assert_eq!(size_of(&map), SLOT + CONTAINER + ENTRY + 100);
        let array = Dynamic::from_array(vec![long.clone(), map.clone()]);
        assert!(size_of(&array) >= SLOT + CONTAINER + 2 * SLOT + STRING + 1000 + CONTAINER + ENTRY + 100);
        let mut deep = Dynamic::UNIT;
        for _ in 0..=MAX_DEPTH + 1 {
            deep = Dynamic::from_array(vec![deep]);
        }
        assert_eq!(measure([&deep]), Err(Over::Depth));
    }

    #[test]
    fn reasons_name_the_budget_and_the_key() {
        let why = Over::Budget(9 << 20).describe(8 << 20);
        assert_eq!(why, "Memory (about 9.0 MiB held; budget 8.0 MiB, plugins.limits.max_memory_bytes) too large");
        assert_eq!(Over::Budget(9 << 20).error(8 << 20).to_string(), why, "the run's error says the same");
    }
}
