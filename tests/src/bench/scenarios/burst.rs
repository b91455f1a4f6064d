//! `burst`: whether the server gives memory back after a burst. Clients log in, each asks
//! for history several times without reading (so the replies wait in the server's queues),
//! then read everything and leave; resident memory is sampled before, at the peak, and 5 and
//! 20 s after the server went idle once the last client left.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::bench::conn::{Drained, drain, login_many, rss_of, settle};
use crate::bench::outcome::{Better, Outcome};
use crate::bench::target::Target;

use super::history::seed;

/// `messages_get` requests each client sends before it starts reading.
const REQUESTS_PER_CLIENT: usize = 20;
/// How long the replies are left unread.
const HOLD: Duration = Duration::from_secs(2);
/// When, after the last client left, the memory is read again.
const AFTER: [u64; 2] = [5, 20];

const MIB: f64 = 1024.0 * 1024.0;

/// Bursts in a row: a second one that ends where the first did shows memory kept for reuse,
/// one that ends higher shows memory lost.
const ROUNDS: usize = 2;

/// Runs the bursts against the real server (the reference lives in the bench process,
/// whose memory says nothing about a server's allocator).
pub async fn run(target: &mut Target, clients: usize, concurrency: usize, size: usize, deadline: Instant) -> Outcome {
    let Some(pid) = target.pid() else {
        return Outcome::note("server only: the reference runs inside the bench process");
    };
    if let Err(e) = seed(&target.url(), size).await {
        return Outcome::note(format!("not run: seeding failed: {e:#}"));
    }
    let mut o = Outcome::default();
    o.push("clients", Better::Info, clients as f64);
    o.push("rss_idle_mib", Better::Info, rss_of(pid) as f64 / MIB);
    for round in 1..=ROUNDS {
        let idle = rss_of(pid);
        let r = one_burst(target, pid, clients, concurrency, deadline).await;
        o.push(&format!("r{round}_rss_peak_mib"), Better::Info, r.peak as f64 / MIB);
        o.push(&format!("r{round}_idle_after_departures_s"), Better::Info, r.quiet_after_s);
        let grown = r.peak.saturating_sub(idle).max(1) as f64;
        for (s, rss) in r.after {
            o.push(&format!("r{round}_rss_after_{s}s_mib"), Better::Lower, rss as f64 / MIB);
            o.push(&format!("r{round}_returned_after_{s}s"), Better::Info, r.peak.saturating_sub(rss) as f64 / grown);
        }
        if let Some(e) = r.error {
            o.notes.push(format!("round {round}: {} logins failed; first: {e}", clients - r.connected));
        }
    }
    o
}

struct Burst {
    connected: usize,
    error: Option<String>,
    peak: u64,
    quiet_after_s: f64,
    after: Vec<(u64, u64)>,
}

async fn one_burst(target: &Target, pid: u32, clients: usize, concurrency: usize, deadline: Instant) -> Burst {
    let peak = Arc::new(AtomicU64::new(rss_of(pid)));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = tokio::spawn(sample_peak(pid, peak.clone(), sampling.clone()));

    let names = (0..clients).map(|i| format!("b{i}")).collect();
    let (conns, error) = login_many(&target.url(), names, concurrency, deadline, |_, c| c).await;
    let mut conns: Vec<_> = conns.into_iter().flatten().collect();
    let request = r#"{"cmd":"messages_get","channel":"general","limit":50}"#;
    for c in &mut conns {
        for _ in 0..REQUESTS_PER_CLIENT {
            if c.send(request.to_owned()).await.is_err() {
                break;
            }
        }
    }
    tokio::time::sleep(HOLD).await;
    let mut pool = Drained::default();
    let connected = conns.len();
    for c in conns {
        pool.add_task(drain(c.rx, Some(c.tx), pool.counts()));
    }
    let counts = pool.counts();
    settle(|| counts.frames.load(Ordering::Relaxed), Duration::from_millis(500), Duration::from_secs(60)).await;
    drop(pool);
    // The departures cause work of their own (presence to those still connected): wait until
    // the server is idle.
    let left = Instant::now();
    let quiet = idle_cpu(target, Duration::from_secs(120)).await;
    let mut after = vec![];
    for s in AFTER {
        tokio::time::sleep_until((quiet + Duration::from_secs(s)).into()).await;
        after.push((s, rss_of(pid)));
    }
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.await;
    let peak = peak.load(Ordering::Relaxed);
    Burst { connected, error, peak, quiet_after_s: quiet.duration_since(left).as_secs_f64(), after }
}

/// Waits (at most `bound`) until the server used under 20 ms of CPU in one second.
async fn idle_cpu(target: &Target, bound: Duration) -> Instant {
    let started = Instant::now();
    let mut last = target.cpu_time();
    while started.elapsed() < bound {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = target.cpu_time();
        if now.saturating_sub(last) < Duration::from_millis(20) {
            break;
        }
        last = now;
    }
    Instant::now()
}

/// Keeps the highest resident memory of `pid` seen while `on`.
async fn sample_peak(pid: u32, peak: Arc<AtomicU64>, on: Arc<AtomicBool>) {
    while on.load(Ordering::Relaxed) {
        peak.fetch_max(rss_of(pid), Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
