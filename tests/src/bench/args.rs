//! Command line of `originchats-bench`.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

/// A scenario, run against the reference server and then the real server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Scenario {
    /// Time from spawning the server to its listening line.
    Startup,
    /// A storm of logins: clients/s and memory per idle connection.
    Connect,
    /// Clients reading history (`messages_get`, limit 50) back to back.
    History,
    /// Senders at a fixed rate, every receiver timing every message.
    Fanout,
    /// `fanout` at rising rates until p99 exceeds the bound or messages are lost.
    FanoutMax,
    /// Reads, writes, typing and reactions at a target rate.
    Mixed,
    /// Memory given back after a burst of clients whose replies queue up (server only).
    Burst,
    /// The former benchmark: every client sends messages keeping a window unacknowledged.
    Ack,
    /// Every scenario but `burst` and `ack`.
    All,
}

impl Scenario {
    /// Its name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Startup => "startup",
            Self::Connect => "connect",
            Self::History => "history",
            Self::Fanout => "fanout",
            Self::FanoutMax => "fanout-max",
            Self::Mixed => "mixed",
            Self::Burst => "burst",
            Self::Ack => "ack",
            Self::All => "all",
        }
    }
}

/// Load benchmark of the real server against a minimal reference server measured in the
/// same run (docs/performance.md).
#[derive(Debug, Clone, Parser)]
#[command(name = "originchats-bench")]
pub struct Args {
    /// Scenario to run; repeat the flag for several (`all`: every one but `burst` and `ack`).
    #[arg(long = "scenario", value_enum, default_value = "all")]
    pub scenarios: Vec<Scenario>,
    /// `connect`: clients logging in.
    #[arg(long, default_value_t = 2000)]
    pub clients: usize,
    /// Logins in flight at once (every scenario that connects clients).
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Keep the `connect` clients logged in (reading everything) for the later scenarios.
    #[arg(long)]
    pub keep_connected: bool,
    /// `fanout`, `fanout-max`: receiving clients.
    #[arg(long, default_value_t = 1000)]
    pub receivers: usize,
    /// `fanout`, `fanout-max`: sending clients (the rate is split between them).
    #[arg(long, default_value_t = 1)]
    pub senders: usize,
    /// `fanout`: messages per second, all senders together (`fanout-max`: the first step).
    #[arg(long, default_value_t = 50.0)]
    pub rate: f64,
    /// `fanout`, `history`, `mixed`: how long each runs.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Bytes of message content (`fanout`, `mixed`, `ack`, and the history's messages).
    #[arg(long, default_value_t = 100)]
    pub size: usize,
    /// `fanout-max`: seconds per step.
    #[arg(long, default_value_t = 3.0)]
    pub step_seconds: f64,
    /// `fanout-max`: rate multiplier between steps until one fails.
    #[arg(long, default_value_t = 2.0)]
    pub sweep_factor: f64,
    /// `fanout-max`: steps halving the interval between the last passing and the first
    /// failing rate.
    #[arg(long, default_value_t = 2)]
    pub sweep_refine: usize,
    /// `fanout-max`: the p99 latency bound, in milliseconds.
    #[arg(long, default_value_t = 100.0)]
    pub p99_bound_ms: f64,
    /// `history`: clients.
    #[arg(long, default_value_t = 10)]
    pub history_clients: usize,
    /// `mixed`: clients.
    #[arg(long, default_value_t = 50)]
    pub mixed_clients: usize,
    /// `mixed`: requests per second, all clients together.
    #[arg(long, default_value_t = 200.0)]
    pub mixed_rate: f64,
    /// `mixed`: weights of reads, writes, typing and reactions.
    #[arg(long, default_value = "4:2:3:1")]
    pub mix: String,
    /// `startup`: restarts on the same database after the first start.
    #[arg(long, default_value_t = 3)]
    pub restarts: usize,
    /// `ack`: clients.
    #[arg(long, default_value_t = 20)]
    pub ack_clients: usize,
    /// `ack`: messages per client.
    #[arg(long, default_value_t = 100)]
    pub messages: usize,
    /// `ack`: unacknowledged messages per client.
    #[arg(long, default_value_t = 16)]
    pub window: usize,
    /// Run the real server on PostgreSQL: admin URL of a server where it may create a
    /// database (default: SQLite).
    #[arg(long, value_name = "URL")]
    pub postgres: Option<String>,
    /// Run the real server as this many nodes of one cluster on this machine (needs
    /// `--postgres` and NATS at `--nats`); clients connect to the nodes in turn
    /// (docs/scaling.md).
    #[arg(long, default_value_t = 1)]
    pub nodes: usize,
    /// The NATS server of a run with `--nodes` above 1.
    #[arg(long, value_name = "URL", default_value = "nats://127.0.0.1:4222")]
    pub nats: String,
    /// Print one JSON document instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Run the scenarios against the real server only (no ratios): for loads whose
    /// descriptors would not fit in one process beside the in-process reference, such as
    /// `connect` with 10,000 clients.
    #[arg(long)]
    pub server_only: bool,
    /// The reference announces every login to everyone logged in (`user_join` and
    /// `user_connect`, as the protocol asks of the real server), so that `connect` compares
    /// the same traffic.
    #[arg(long)]
    pub reference_presence: bool,
    /// Write an SVG plot of the `fanout-max` sweep (p99 against offered load) there.
    #[arg(long, value_name = "PATH")]
    pub svg: Option<PathBuf>,
    /// Bound of the whole run in seconds: scenarios that no longer fit are skipped, a
    /// running one is cut short, and everything is killed 10 s past it.
    #[arg(long, default_value_t = 300)]
    pub max_seconds: u64,
}

impl Args {
    /// The scenarios to run, each once, in their fixed order.
    pub fn selected(&self) -> Vec<Scenario> {
        let mut v: Vec<Scenario> = self
            .scenarios
            .iter()
            .flat_map(|&s| match s {
                Scenario::All => vec![
                    Scenario::Startup,
                    Scenario::Connect,
                    Scenario::History,
                    Scenario::Fanout,
                    Scenario::FanoutMax,
                    Scenario::Mixed,
                ],
                s => vec![s],
            })
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// The `--mix` weights (reads, writes, typing, reactions).
    pub fn mix_weights(&self) -> anyhow::Result<[u32; 4]> {
        let parts: Vec<u32> = self.mix.split(':').map(str::parse).collect::<Result<_, _>>()?;
        match parts[..] {
            [r, w, t, x] if r + w + t + x > 0 => Ok([r, w, t, x]),
            _ => anyhow::bail!("--mix wants four weights such as 4:2:3:1"),
        }
    }
}
