//! `connect`: a storm of logins with bounded concurrency; clients/s and memory per idle
//! authenticated connection.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::bench::conn::{Drained, drain, login_many, self_rss_bytes, settle};
use crate::bench::outcome::{Better, Outcome};
use crate::bench::target::Target;

/// What the storm measured, with the bench process's own memory growth (which the
/// reference's memory figure needs, see [`finish`]).
pub struct Storm {
    /// The figures.
    pub outcome: Outcome,
    /// Growth of the bench process's resident memory during the storm, in bytes.
    pub bench_growth: f64,
    /// The same growth once the connections have been idle for [`IDLE_WAIT`].
    pub bench_idle_growth: f64,
    /// Clients logged in.
    pub connected: usize,
}

/// How long the connections stay idle before the idle memory figure is read: longer than
/// the server's allocator takes to return freed pages (jemalloc's `dirty_decay_ms`, 5 s),
/// so the figure is what idle connections hold rather than the storm's freed frames.
const IDLE_WAIT: Duration = Duration::from_secs(7);

/// Logs in `clients` clients, at most `concurrency` at a time, each read to the end by a
/// task from the moment it is logged in; they are left in `target.kept`.
pub async fn run(target: &mut Target, clients: usize, concurrency: usize, deadline: Instant) -> Storm {
    let (server_before, bench_before) = (target.rss_bytes(), self_rss_bytes());
    let mut pool = Drained::default();
    let counts = pool.counts();
    let names = (0..clients).map(|i| format!("c{i}")).collect();
    let started = Instant::now();
    let (tasks, error) =
        login_many(&target.url(), names, concurrency, deadline, move |_, c| drain(c.rx, Some(c.tx), counts.clone()))
            .await;
    let elapsed = started.elapsed().as_secs_f64();
    for t in tasks.into_iter().flatten() {
        pool.add_task(t);
    }
    let connected = pool.len();
    let frames_at_end = pool.counts().frames.load(Ordering::Relaxed);
    let counts = pool.counts();
    // Presence makes the storm's traffic grow with the square of the clients: the bound on
    // waiting for it to end grows with them.
    let bound = Duration::from_secs(20 + clients as u64 / 50);
    let quiet = settle(|| counts.frames.load(Ordering::Relaxed), Duration::from_millis(300), bound);
    let settled = quiet.await.saturating_duration_since(started).as_secs_f64();
    let (server_after, bench_after) = (target.rss_bytes(), self_rss_bytes());
    let frames = counts.frames.load(Ordering::Relaxed);

    let mut o = Outcome::default();
    o.push("clients_per_s", Better::Higher, connected as f64 / elapsed);
    o.push("storm_s", Better::Lower, elapsed);
    o.push("last_frame_after_s", Better::Info, (settled - elapsed).max(0.0));
    o.push("connected", Better::Info, connected as f64);
    o.push("failed", Better::Info, (clients - connected) as f64);
    o.push("frames_per_client", Better::Info, frames as f64 / connected.max(1) as f64);
    o.push("frames_after_last_login", Better::Info, (frames - frames_at_end) as f64);
    let per = (server_after as f64 - server_before as f64) / connected.max(1) as f64;
    o.push("bytes_per_connection", Better::Lower, per);
    tokio::time::sleep(IDLE_WAIT.min(deadline.saturating_duration_since(Instant::now()))).await;
    let (server_idle, bench_idle) = (target.rss_bytes(), self_rss_bytes());
    let idle = (server_idle as f64 - server_before as f64) / connected.max(1) as f64;
    o.push("idle_bytes_per_connection", Better::Lower, idle);
    if let Some(e) = error {
        o.notes.push(format!("{} logins failed; first: {e}", clients - connected));
    }
    let (closed, why) = pool.closed();
    if closed > 0 {
        o.notes.push(format!("{closed} connections closed by the server; first: {}", why.unwrap_or_default()));
    }
    target.kept = Some(pool);
    Storm {
        outcome: o,
        bench_growth: bench_after as f64 - bench_before as f64,
        bench_idle_growth: bench_idle as f64 - bench_before as f64,
        connected,
    }
}

/// The reference runs in the bench process, so its memory figure is the bench process's
/// growth during its storm minus the growth during the real server's storm (the clients'
/// own share, the same code in both).
pub fn finish(reference: &mut Storm, server: &Storm) {
    let n = reference.connected.max(1) as f64;
    let share = reference.connected as f64 / server.connected.max(1) as f64;
    let per = (reference.bench_growth - server.bench_growth * share) / n;
    reference.outcome.set("bytes_per_connection", Better::Lower, per);
    let idle = (reference.bench_idle_growth - server.bench_idle_growth * share) / n;
    reference.outcome.set("idle_bytes_per_connection", Better::Lower, idle);
    reference.outcome.notes.push(
        "bytes_per_connection estimated: bench process growth minus the clients' growth in the server's storm".into(),
    );
}
