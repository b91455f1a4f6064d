//! `fanout`: senders at a fixed total rate, every receiver timing every message.

use std::time::Instant;

use super::rig::{Rig, StepResult};
use crate::bench::args::Args;
use crate::bench::outcome::{Better, Outcome};
use crate::bench::target::Target;

/// Connects `--receivers` and `--senders`, sends `--rate` messages/s for `--seconds`.
pub async fn run(target: &Target, args: &Args, deadline: Instant) -> Outcome {
    let mut rig = match Rig::connect(&target.url(), "f", args.receivers, args.senders, args.concurrency, deadline).await
    {
        Ok(rig) => rig,
        Err(e) => return Outcome::note(format!("not run: {e:#}")),
    };
    let r = rig.step(1, args.rate, args.seconds, args.size, deadline, None).await;
    let mut o = Outcome::default();
    o.push("offered_deliveries_per_s", Better::Info, args.rate * args.receivers as f64);
    o.push("deliveries_per_s", Better::Higher, r.delivered_per_s);
    o.latency("latency", &r.latency);
    o.push("latency_mean_ms", Better::Lower, r.latency.mean);
    step_counts(&mut o, &r);
    o
}

/// The counts of a step: messages, deliveries, losses, closures, errors.
pub fn step_counts(o: &mut Outcome, r: &StepResult) {
    o.push("sent", Better::Info, r.sent as f64);
    o.push("received", Better::Info, r.received as f64);
    o.push("missing", Better::Info, r.missing() as f64);
    o.push("gaps", Better::Info, r.gaps as f64);
    o.push("reordered", Better::Info, r.reordered as f64);
    o.push("closed", Better::Info, r.closed.0 as f64);
    o.push("errors", Better::Info, r.errors as f64);
    if let Some(why) = &r.closed.1 {
        o.notes.push(format!("{} connections closed by the server; first: {why}", r.closed.0));
    }
    if let Some(why) = &r.aborted {
        o.notes.push(format!("sending stopped early: {why}"));
    }
}
