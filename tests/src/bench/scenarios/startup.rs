//! `startup`: time from spawning the server to its listening.

use std::time::Instant;

use crate::bench::outcome::{Better, Outcome};
use crate::bench::stats::median;
use crate::bench::target::Target;

/// The first start (measured when the run began) and the median of `restarts` restarts on
/// the same database.
pub fn run(target: &mut Target, restarts: usize, deadline: Instant) -> Outcome {
    let mut o = Outcome::default();
    o.push("first_start_ms", Better::Lower, target.first_start.as_secs_f64() * 1e3);
    let mut again = vec![];
    for _ in 0..restarts {
        if Instant::now() > deadline {
            o.notes.push("restarts cut short by --max-seconds".into());
            break;
        }
        match target.restart() {
            Ok(took) => again.push(took.as_secs_f64() * 1e3),
            Err(e) => {
                o.notes.push(format!("restart failed: {e:#}"));
                break;
            }
        }
    }
    o.push("restart_median_ms", Better::Lower, median(&again));
    o.push("restarts", Better::Info, again.len() as f64);
    o
}
