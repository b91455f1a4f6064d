//! `originchats-bench`: load scenarios run against a minimal reference server and the real
//! server in the same run, every figure reported with its ratio to the reference
//! (docs/performance.md).
//!
//! - [`args`]: the command line;
//! - `reference`: the reference server (in-process, on its own runtime thread);
//! - `target`: starting either server, its memory, restarts;
//! - `conn`, `wire`: the load generator's connections and cheap frame scanning;
//! - `scenarios`: one module per scenario and the loop over them;
//! - `stats`, `outcome`, `report`, `plot`: percentiles, figures, table/JSON, SVG.

pub mod args;
mod conn;
mod outcome;
mod plot;
mod reference;
mod report;
mod scenarios;
mod stats;
mod target;
mod wire;

use std::time::{Duration, Instant};

use clap::Parser;

use crate::Backend;
use args::{Args, Scenario};
use target::Target;

/// Seconds past `--max-seconds` after which the watchdog kills the real server and exits.
const WATCHDOG_GRACE: u64 = 10;

/// Runs the benchmark with the process's arguments; returns the exit code.
pub fn main() -> i32 {
    let args = Args::parse();
    wire::now_ns();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2))
        .thread_name("bench-client")
        .enable_all()
        .build()
        .expect("client runtime");
    match runtime.block_on(run(args)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("originchats-bench: {e:#}");
            1
        }
    }
}

/// Kills `pid` (the real server) and exits when the run outlives its bound.
fn watchdog(pid: Option<u32>, after: Duration) {
    std::thread::spawn(move || {
        std::thread::sleep(after);
        eprintln!("originchats-bench: still running {WATCHDOG_GRACE} s past --max-seconds; killing everything");
        if let Some(pid) = pid {
            let _ = std::process::Command::new("kill").arg("-KILL").arg(pid.to_string()).status();
        }
        std::process::exit(3);
    });
}

async fn run(args: Args) -> anyhow::Result<()> {
    if crate::spread::nodes_from_env() > 1 {
        // It would turn the single server measured into a cluster without saying so.
        anyhow::bail!("ORIGINCHATS_TEST_NODES is for the tests; unset it and use --nodes");
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.max_seconds);
    let backend = match &args.postgres {
        Some(url) => Backend::Postgres(url.clone()),
        None => Backend::Sqlite,
    };
    let backend_name = match (&args.postgres, args.nodes) {
        (Some(_), n) if n > 1 => format!("postgres, {n} nodes"),
        (Some(_), _) => "postgres".to_owned(),
        (None, _) => "sqlite".to_owned(),
    };
    eprintln!("starting the reference server and the real server ({backend_name})");
    let reference = Target::reference(args.size, args.reference_presence)?;
    let server = match (&args.postgres, args.nodes) {
        (Some(admin), n) if n > 1 => Target::cluster(admin.clone(), &args.nats, n).await,
        (None, n) if n > 1 => anyhow::bail!("--nodes needs --postgres"),
        _ => Target::server(backend).await,
    };
    watchdog(server.pid(), Duration::from_secs(args.max_seconds + WATCHDOG_GRACE));
    let mut targets = [reference, server];
    let pairs = scenarios::run_all(&args, &mut targets, deadline).await;
    let elapsed = started.elapsed().as_secs_f64();
    drop(targets);

    if args.json {
        println!("{}", serde_json::to_string_pretty(&report::json(&pairs, &args, &backend_name, elapsed))?);
    } else {
        let header = format!(
            "originchats-bench: real server on {backend_name} against the in-process reference ({} cpus), {elapsed:.0} s; ratio = server / reference",
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
        );
        print!("{}", report::table(&pairs, &header));
    }
    if let Some(path) = &args.svg {
        let sweep = pairs.iter().find(|p| p.scenario == Scenario::FanoutMax);
        match sweep {
            Some(p) => {
                let title = format!(
                    "fanout-max: {} receivers, {} sender(s), real server on {backend_name}",
                    args.receivers, args.senders
                );
                let series =
                    [("reference", "#1f77b4", &p.reference.sweep[..]), ("server", "#d62728", &p.server.sweep[..])];
                std::fs::write(path, plot::svg(&series, args.p99_bound_ms, &title))?;
                eprintln!("wrote {}", path.display());
            }
            None => eprintln!("--svg: no plot, the fanout-max scenario did not run"),
        }
    }
    Ok(())
}
