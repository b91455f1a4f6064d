//! `history`: clients reading the newest 50 messages of a channel back to back.

use std::time::{Duration, Instant};

use crate::bench::conn::{Conn, login_many};
use crate::bench::outcome::{Better, Outcome};
use crate::bench::stats::Samples;
use crate::bench::target::Target;
use crate::bench::wire::{Marker, now_ns};

/// Messages posted before reading, so that a page of 50 is full.
const SEED: u64 = 60;

/// Posts `SEED` messages of `size` bytes to `general` and waits until they are handled.
pub async fn seed(url: &str, size: usize) -> anyhow::Result<()> {
    let mut c = Conn::login(url, "seeder").await?;
    for seq in 0..SEED {
        let m = Marker { run: 0, sender: u32::MAX, seq, ns: now_ns() };
        c.send(format!(r#"{{"cmd":"message_new","channel":"general","content":"{}"}}"#, m.content(size))).await?;
    }
    c.sync().await
}

/// `clients` clients each send `messages_get` (limit 50) and wait for the answer, again and
/// again, for `seconds`.
pub async fn run(target: &Target, clients: usize, seconds: f64, size: usize, deadline: Instant) -> Outcome {
    let url = target.url();
    if let Err(e) = seed(&url, size).await {
        return Outcome::note(format!("not run: seeding failed: {e:#}"));
    }
    let names = (0..clients).map(|i| format!("h{i}")).collect();
    let (conns, error) = login_many(&url, names, clients, deadline, |_, c| c).await;
    if let Some(e) = error {
        return Outcome::note(format!("not run: {e}"));
    }
    let until = (Instant::now() + Duration::from_secs_f64(seconds)).min(deadline);
    let started = Instant::now();
    let loops: Vec<_> = conns.into_iter().flatten().map(|c| tokio::spawn(read_loop(c, until))).collect();
    let (mut samples, mut bytes, mut short, mut failure) = (Samples::default(), 0u64, 0u64, None);
    for l in loops {
        match l.await.expect("history client") {
            Ok(r) => {
                bytes += r.bytes;
                short += r.short;
                samples.extend(r.samples);
            }
            Err(e) => failure = Some(format!("{e:#}")),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let s = samples.summary();
    let mut o = Outcome::default();
    o.push("requests_per_s", Better::Higher, s.count as f64 / elapsed);
    o.latency("latency", &s);
    o.push("latency_mean_ms", Better::Lower, s.mean);
    o.push("requests", Better::Info, s.count as f64);
    o.push("reply_bytes", Better::Info, bytes as f64 / s.count.max(1) as f64);
    if short > 0 {
        o.notes.push(format!("{short} replies held fewer than 50 messages"));
    }
    if let Some(e) = failure {
        o.notes.push(format!("a client failed: {e}"));
    }
    o
}

struct Reads {
    samples: Samples,
    bytes: u64,
    short: u64,
}

async fn read_loop(mut c: Conn, until: Instant) -> anyhow::Result<Reads> {
    let mut r = Reads { samples: Samples::default(), bytes: 0, short: 0 };
    let request = r#"{"cmd":"messages_get","channel":"general","limit":50}"#;
    while Instant::now() < until {
        let sent = now_ns();
        let reply = c.request(request.to_owned(), "messages_get").await?;
        r.samples.push_ns(now_ns() - sent);
        r.bytes += reply.len() as u64;
        if reply.matches(r#""type":"message""#).count() < 50 {
            r.short += 1;
        }
    }
    Ok(r)
}
