//! The run's report: a table for people, one JSON document for tools. Every comparable
//! figure is also given as a ratio server / reference.

use serde_json::{Map, Value, json};

use super::args::Args;
use super::outcome::{Better, Outcome, SweepPoint};
use super::scenarios::Pair;

/// server / reference, for figures that have a better direction and a reference above 0.
fn ratio(better: Better, reference: Option<f64>, server: Option<f64>) -> Option<f64> {
    match (better, reference, server) {
        (Better::Info, _, _) => None,
        (_, Some(r), Some(s)) if r > 0.0 && r.is_finite() && s.is_finite() => Some(s / r),
        _ => None,
    }
}

/// Every figure key of a pair, reference's order first, with its direction.
fn keys(pair: &Pair) -> Vec<(String, Better)> {
    let mut keys: Vec<(String, Better)> = vec![];
    for f in pair.reference.figures.iter().chain(&pair.server.figures) {
        if !keys.iter().any(|(k, _)| *k == f.key) {
            keys.push((f.key.clone(), f.better));
        }
    }
    keys
}

fn number(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(v) if !v.is_finite() => "-".into(),
        Some(v) if v.abs() >= 100.0 || v == v.trunc() => format!("{v:.0}"),
        Some(v) if v.abs() >= 10.0 => format!("{v:.1}"),
        Some(v) => format!("{v:.2}"),
    }
}

/// The human table: one line per figure, then the notes.
pub fn table(pairs: &[Pair], header: &str) -> String {
    let mut out = format!("{header}\n\n");
    out.push_str(&format!(
        "{:<11} {:<30} {:>13} {:>13} {:>9}  {}\n",
        "scenario", "figure", "reference", "server", "ratio", "better"
    ));
    for pair in pairs {
        for (key, better) in keys(pair) {
            let (r, s) = (pair.reference.get(&key), pair.server.get(&key));
            let ratio = ratio(better, r, s).map(|x| format!("{x:.2}x")).unwrap_or_else(|| "-".into());
            let better = if better == Better::Info { "" } else { better.name() };
            out.push_str(&format!(
                "{:<11} {:<30} {:>13} {:>13} {:>9}  {}\n",
                pair.scenario.name(),
                key,
                number(r),
                number(s),
                ratio,
                better
            ));
        }
    }
    let notes: Vec<String> = pairs
        .iter()
        .flat_map(|p| {
            let side = |side: &'static str, o: &Outcome| {
                o.notes.iter().map(move |n| format!("  {} / {side}: {n}", p.scenario.name())).collect::<Vec<_>>()
            };
            side("reference", &p.reference).into_iter().chain(side("server", &p.server))
        })
        .collect();
    if !notes.is_empty() {
        out.push_str("\nnotes:\n");
        out.push_str(&notes.join("\n"));
        out.push('\n');
    }
    out
}

fn sweep_json(points: &[SweepPoint]) -> Value {
    points
        .iter()
        .map(|p| {
            json!({
                "rate_msgs_per_s": p.rate, "offered_deliveries_per_s": p.offered,
                "deliveries_per_s": p.delivered, "p50_ms": p.latency.p50, "p90_ms": p.latency.p90,
                "p99_ms": p.latency.p99, "max_ms": p.latency.max, "losses": p.losses, "passed": p.passed
            })
        })
        .collect()
}

/// One JSON document: the settings, every figure of both servers with its ratio, the
/// notes and the sweep points.
pub fn json(pairs: &[Pair], args: &Args, backend: &str, elapsed_s: f64) -> Value {
    let mut scenarios = Map::new();
    for pair in pairs {
        let mut figures = Map::new();
        for (key, better) in keys(pair) {
            let (r, s) = (pair.reference.get(&key), pair.server.get(&key));
            figures.insert(
                key,
                json!({"better": better.name(), "reference": r, "server": s, "ratio": ratio(better, r, s)}),
            );
        }
        let mut entry = json!({
            "figures": figures,
            "notes": {"reference": pair.reference.notes, "server": pair.server.notes}
        });
        if !pair.reference.sweep.is_empty() || !pair.server.sweep.is_empty() {
            entry["sweep"] =
                json!({"reference": sweep_json(&pair.reference.sweep), "server": sweep_json(&pair.server.sweep)});
        }
        scenarios.insert(pair.scenario.name().to_owned(), entry);
    }
    json!({
        "tool": "originchats-bench",
        "backend": backend,
        "ratio": "server / reference",
        "reference": "in-process minimal server on its own runtime thread(s)",
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "elapsed_s": elapsed_s,
        "settings": {
            "scenarios": args.selected().iter().map(|s| s.name()).collect::<Vec<_>>(),
            "clients": args.clients, "concurrency": args.concurrency, "keep_connected": args.keep_connected,
            "receivers": args.receivers, "senders": args.senders, "rate": args.rate, "seconds": args.seconds,
            "size": args.size, "step_seconds": args.step_seconds, "sweep_factor": args.sweep_factor,
            "sweep_refine": args.sweep_refine, "p99_bound_ms": args.p99_bound_ms,
            "history_clients": args.history_clients, "mixed_clients": args.mixed_clients,
            "mixed_rate": args.mixed_rate, "mix": args.mix, "restarts": args.restarts,
            "ack_clients": args.ack_clients, "messages": args.messages, "window": args.window,
            "max_seconds": args.max_seconds
        },
        "scenarios": scenarios
    })
}
