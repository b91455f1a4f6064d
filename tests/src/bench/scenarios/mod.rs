//! The scenarios, and the loop running each against the reference, then the real server.

mod ack;
mod burst;
mod connect;
mod fanout;
mod history;
mod mixed;
mod rig;
mod startup;
mod sweep;

use std::time::{Duration, Instant};

use super::args::{Args, Scenario};
use super::outcome::{Better, Outcome};
use super::target::Target;

/// A scenario's outcome against both servers.
pub struct Pair {
    /// Which scenario.
    pub scenario: Scenario,
    /// Against the reference server.
    pub reference: Outcome,
    /// Against the real server.
    pub server: Outcome,
}

/// Roughly how long a scenario takes against one server, to skip it when it no longer
/// fits in `--max-seconds`.
fn estimate(s: Scenario, a: &Args) -> f64 {
    match s {
        Scenario::Startup => 1.0 + a.restarts as f64,
        Scenario::Connect => 2.0,
        Scenario::Burst => 70.0,
        Scenario::History | Scenario::Fanout | Scenario::Mixed => a.seconds + 2.0,
        Scenario::FanoutMax => 2.0 * (a.step_seconds + 1.0),
        Scenario::Ack | Scenario::All => 2.0,
    }
}

/// Runs every selected scenario against both servers, one scenario at a time.
pub async fn run_all(args: &Args, targets: &mut [Target; 2], deadline: Instant) -> Vec<Pair> {
    let mut pairs = vec![];
    for scenario in args.selected() {
        let mut outcomes = [Outcome::default(), Outcome::default()];
        let mut storms = [None, None];
        for (k, target) in targets.iter_mut().enumerate() {
            if k == 0 && args.server_only {
                outcomes[k] = Outcome::note("skipped: --server-only");
                continue;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            // The reference's turn needs time for both.
            if left < Duration::from_secs_f64(estimate(scenario, args) * (2 - k) as f64) {
                outcomes[k] = Outcome::note("skipped: no time left under --max-seconds");
                continue;
            }
            // The reference may use half of what is left, so that the server gets its turn.
            let deadline = if k == 0 { Instant::now() + left / 2 } else { deadline };
            eprintln!("== {} against the {}", scenario.name(), target.side());
            outcomes[k] = match scenario {
                Scenario::Startup => startup::run(target, args.restarts, deadline),
                Scenario::Connect => {
                    let storm = connect::run(target, args.clients, args.concurrency, deadline).await;
                    let o = storm.outcome.clone();
                    storms[k] = Some(storm);
                    o
                }
                Scenario::History => {
                    history::run(target, args.history_clients, args.seconds, args.size, deadline).await
                }
                Scenario::Fanout => fanout::run(target, args, deadline).await,
                Scenario::FanoutMax => sweep::run(target, args, deadline).await,
                Scenario::Mixed => mixed::run(target, args, deadline).await,
                Scenario::Ack => ack::run(target, args, deadline).await,
                Scenario::Burst => burst::run(target, args.clients, args.concurrency, args.size, deadline).await,
                Scenario::All => Outcome::default(),
            };
            if let Some(kept) = target.kept.as_ref().filter(|_| scenario != Scenario::Connect) {
                outcomes[k].push("idle_connections_kept", Better::Info, kept.len() as f64);
            }
        }
        if scenario == Scenario::Connect {
            if let [Some(reference), Some(server)] = &mut storms {
                connect::finish(reference, server);
                outcomes[0] = reference.outcome.clone();
            }
            if !args.keep_connected {
                for t in targets.iter_mut() {
                    t.kept = None;
                }
                // The next scenario starts once the real server has seen the storm's clients
                // leave and announced it to the last of them.
                let bound = Duration::from_secs(60).min(deadline.saturating_duration_since(Instant::now()));
                for t in targets.iter() {
                    if !t.until_no_connections(bound).await {
                        eprintln!("the server still had connections open {} s after the storm", bound.as_secs());
                    }
                }
            }
        }
        let [reference, server] = outcomes;
        pairs.push(Pair { scenario, reference, server });
    }
    pairs
}
