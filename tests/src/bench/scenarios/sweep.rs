//! `fanout-max`: the fan-out at rising rates until the p99 latency exceeds the bound or
//! messages are lost, then a few steps halving the interval between the last passing and
//! the first failing rate.

use std::time::{Duration, Instant};

use super::rig::{Rig, StepResult};
use crate::bench::args::Args;
use crate::bench::outcome::{Better, Outcome, SweepPoint};
use crate::bench::target::Target;

/// Most steps of one sweep.
const MAX_STEPS: usize = 16;

/// Runs the sweep and reports the highest deliveries/s sustained within the bound.
pub async fn run(target: &Target, args: &Args, deadline: Instant) -> Outcome {
    let mut rig = match Rig::connect(&target.url(), "x", args.receivers, args.senders, args.concurrency, deadline).await
    {
        Ok(rig) => rig,
        Err(e) => return Outcome::note(format!("not run: {e:#}")),
    };
    let bound = args.p99_bound_ms;
    // A step whose latency reaches ten times the bound stops sending at once.
    let abort = Some(Duration::from_secs_f64(bound * 10.0 / 1e3));
    let mut o = Outcome::default();
    let (mut good, mut bad): (Option<f64>, Option<f64>) = (None, None);
    let (mut rate, mut refined) = (args.rate, 0);
    for run in 1..=MAX_STEPS as u32 {
        if Instant::now() + Duration::from_secs_f64(args.step_seconds + 4.0) > deadline {
            o.notes.push("sweep cut short by --max-seconds".into());
            break;
        }
        let r = rig.step(run, rate, args.step_seconds, args.size, deadline, abort).await;
        let passed = r.latency.p99 <= bound && r.losses() == 0 && r.aborted.is_none() && r.latency.count > 0;
        eprintln!(
            "  {:>9.1} msg/s: {:>10.0} deliveries/s, p99 {:>8.1} ms, losses {}{}",
            rate,
            r.delivered_per_s,
            r.latency.p99,
            r.losses(),
            if passed { "" } else { "  (fails)" }
        );
        o.sweep.push(point(&r, args.receivers, passed));
        if passed {
            good = Some(good.map_or(rate, |g: f64| g.max(rate)));
        } else {
            bad = Some(bad.map_or(rate, |b: f64| b.min(rate)));
        }
        if r.closed.0 > 0 {
            o.notes.push(format!("stopped: the server closed connections ({})", r.closed.1.unwrap_or_default()));
            break;
        }
        rate = match (good, bad) {
            (_, None) => rate * args.sweep_factor,
            (_, Some(_)) if refined >= args.sweep_refine => break,
            (g, Some(b)) => {
                refined += 1;
                (g.unwrap_or(0.0) + b) / 2.0
            }
        };
    }
    let best = o.sweep.iter().filter(|p| p.passed).max_by(|a, b| a.delivered.total_cmp(&b.delivered)).cloned();
    let best = best.unwrap_or_default();
    o.push("max_deliveries_per_s", Better::Higher, best.delivered);
    o.push("max_rate_msgs_per_s", Better::Higher, best.rate);
    o.push("p99_at_max_ms", Better::Info, best.latency.p99);
    o.push("first_failing_rate_msgs_per_s", Better::Info, bad.unwrap_or(0.0));
    o.push("steps", Better::Info, o.sweep.len() as f64);
    o
}

fn point(r: &StepResult, receivers: usize, passed: bool) -> SweepPoint {
    SweepPoint {
        rate: r.rate,
        offered: r.rate * receivers as f64,
        delivered: r.delivered_per_s,
        latency: r.latency,
        losses: r.losses(),
        passed,
    }
}
