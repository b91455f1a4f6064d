//! `ack`: the former benchmark. Every client sends `--messages` messages keeping up to
//! `--window` of its own unacknowledged, and reads every broadcast; a message is
//! acknowledged when its sender gets its own copy back (after the server committed it).

use std::time::{Duration, Instant};

use crate::bench::args::Args;
use crate::bench::conn::{Conn, login_many};
use crate::bench::outcome::{Better, Outcome};
use crate::bench::stats::Samples;
use crate::bench::target::Target;
use crate::bench::wire::{Marker, now_ns};

/// Runs `--ack-clients` clients until every message is acknowledged and delivered.
pub async fn run(target: &Target, args: &Args, deadline: Instant) -> Outcome {
    let names = (0..args.ack_clients).map(|i| format!("a{i}")).collect();
    let (conns, error) = login_many(&target.url(), names, args.concurrency, deadline, |_, c| c).await;
    if let Some(e) = error {
        return Outcome::note(format!("not run: {e}"));
    }
    let mut conns: Vec<Conn> = conns.into_iter().flatten().collect();
    for c in &mut conns {
        if let Err(e) = c.sync().await {
            return Outcome::note(format!("not run: {e:#}"));
        }
    }
    let total = (conns.len() * args.messages) as u64;
    let started = Instant::now();
    let tasks: Vec<_> = conns
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            tokio::spawn(client(
                c,
                i as u32,
                args.messages as u64,
                args.window.max(1) as u64,
                total,
                args.size,
                deadline,
            ))
        })
        .collect();
    let (mut samples, mut seen, mut failure) = (Samples::default(), 0, None);
    for t in tasks {
        match t.await.expect("ack client") {
            Ok((s, n)) => {
                samples.extend(s);
                seen += n;
            }
            Err(e) => failure = Some(format!("{e:#}")),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let s = samples.summary();
    let mut o = Outcome::default();
    o.push("acked_per_s", Better::Higher, s.count as f64 / elapsed);
    o.push("deliveries_per_s", Better::Higher, seen as f64 / elapsed);
    o.latency("ack", &s);
    o.push("acked", Better::Info, s.count as f64);
    o.push("expected", Better::Info, total as f64);
    if let Some(e) = failure {
        o.notes.push(format!("a client failed: {e}"));
    }
    o
}

async fn client(
    mut c: Conn,
    me: u32,
    messages: u64,
    window: u64,
    total: u64,
    size: usize,
    deadline: Instant,
) -> anyhow::Result<(Samples, u64)> {
    let (mut samples, mut sent, mut acked, mut seen) = (Samples::default(), 0, 0, 0);
    while (acked < messages || seen < total) && Instant::now() < deadline {
        while sent < messages && sent - acked < window {
            let m = Marker { run: 2, sender: me, seq: sent, ns: now_ns() };
            c.send(format!(r#"{{"cmd":"message_new","channel":"general","content":"{}"}}"#, m.content(size))).await?;
            sent += 1;
        }
        let t = match tokio::time::timeout(Duration::from_secs(5), c.next_text()).await {
            Ok(t) => t?,
            Err(_) => anyhow::bail!("nothing came for 5 s ({acked}/{messages} acknowledged, {seen}/{total} seen)"),
        };
        if let Some(m) = Marker::find(&t).filter(|m| m.run == 2) {
            seen += 1;
            if m.sender == me {
                samples.push_ns(now_ns().saturating_sub(m.ns));
                acked += 1;
            }
        }
    }
    Ok((samples, seen))
}
