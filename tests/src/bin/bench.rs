//! Load benchmark over loopback: starts the real server (SQLite or Postgres), logs in
//! `--clients` users, and has each send `--messages` messages with up to `--window`
//! unacknowledged at a time while every client reads every broadcast. Reports acknowledged
//! messages per second, deliveries per second and acknowledgement latency percentiles.
//!
//! `cargo run --release -p originchats-tests --bin originchats-bench -- --clients 50 --messages 200`
//! (add `--postgres postgres://postgres@127.0.0.1:5432/postgres` for Postgres). Bounded in
//! time: it stops after `--max-seconds`.

use std::time::{Duration, Instant};

use originchats_tests::{Backend, TestServer};
use serde_json::json;

struct Args {
    clients: usize,
    messages: usize,
    window: usize,
    size: usize,
    backend: Backend,
    max_seconds: u64,
}

fn args() -> Args {
    let mut a = Args { clients: 20, messages: 100, window: 16, size: 100, backend: Backend::Sqlite, max_seconds: 120 };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--clients" => a.clients = value().parse().expect("--clients N"),
            "--messages" => a.messages = value().parse().expect("--messages N"),
            "--window" => a.window = value().parse().expect("--window N"),
            "--size" => a.size = value().parse().expect("--size BYTES"),
            "--max-seconds" => a.max_seconds = value().parse().expect("--max-seconds N"),
            "--postgres" => a.backend = Backend::Postgres(value()),
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let a = args();
    let server = TestServer::start_with(
        a.backend.clone(),
        json!({"limits": {"post_content": a.size.max(2000)}, "transport": {"outbound_queue": 65536}, "logging": {"level": "warn"}}),
    )
    .await;
    let mut clients = vec![];
    for i in 0..a.clients {
        clients.push(server.login(&format!("bench{i}")).await);
    }
    for c in &mut clients {
        c.sync().await;
    }
    let body = "x".repeat(a.size.saturating_sub(12).max(1));
    let total = a.clients * a.messages;
    let started = Instant::now();
    let deadline = Duration::from_secs(a.max_seconds);
    let mut tasks = vec![];
    for (i, mut c) in clients.into_iter().enumerate() {
        let body = body.clone();
        let (messages, window) = (a.messages, a.window.max(1));
        tasks.push(tokio::spawn(async move {
            let mut sent_at = Vec::with_capacity(messages);
            let mut latencies = Vec::with_capacity(messages);
            let (mut sent, mut acked, mut seen) = (0usize, 0usize, 0usize);
            while acked < messages || seen < total {
                if started.elapsed() > deadline {
                    break;
                }
                while sent < messages && sent - acked < window {
                    let tag = format!("{i}:{sent}");
                    c.send(json!({"cmd": "message_new", "channel": "general", "content": format!("{sent} {body}"), "listener": tag})).await;
                    sent_at.push(Instant::now());
                    sent += 1;
                }
                let v = c.recv().await;
                if v["cmd"] != "message_new" {
                    continue;
                }
                seen += 1;
                if let Some(tag) = v["listener"].as_str() {
                    let n: usize = tag.split(':').nth(1).and_then(|n| n.parse().ok()).unwrap_or(0);
                    latencies.push(sent_at[n].elapsed());
                    acked += 1;
                }
            }
            (latencies, seen)
        }));
    }
    let mut latencies = vec![];
    let mut deliveries = 0;
    for t in tasks {
        let (l, seen) = t.await.expect("client task");
        latencies.extend(l);
        deliveries += seen;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let backend = match &a.backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres(_) => "postgres",
    };
    println!(
        "backend={backend} clients={} messages/client={} window={} size={}B acked={}/{} elapsed={:.2}s",
        a.clients,
        a.messages,
        a.window,
        a.size,
        latencies.len(),
        total,
        elapsed
    );
    println!(
        "acked_msgs_per_s={:.0} deliveries_per_s={:.0} ack_p50={:.1}ms ack_p99={:.1}ms ack_max={:.1}ms",
        latencies.len() as f64 / elapsed,
        deliveries as f64 / elapsed,
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}
