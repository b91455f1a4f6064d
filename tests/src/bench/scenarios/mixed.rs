//! `mixed`: reads (`messages_get`), writes (`message_new`), typing and reactions from many
//! clients at a target total rate; per-kind rates and latencies.
//!
//! Each reply is matched to its request without parsing: a read by the next
//! `messages_get` answer on the connection (requests on one connection are handled in
//! order), a write by the marker of its own copy of the broadcast, typing and reactions by
//! the next broadcast naming the client (`user`, `from`).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::SinkExt;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use super::history::seed;
use crate::bench::args::Args;
use crate::bench::conn::{Conn, Frame, Rx, Tx, login_many, next_frame, settle};
use crate::bench::outcome::{Better, Outcome};
use crate::bench::stats::Samples;
use crate::bench::target::Target;
use crate::bench::wire::{Marker, cmd_of, has_field, now_ns};

const KINDS: [&str; 4] = ["read", "write", "typing", "react"];
const COMMANDS: [&str; 4] = ["messages_get", "message_new", "typing", "message_react_add"];
const READ: usize = 0;
const WRITE: usize = 1;

/// One client's counts, shared by its writing and reading tasks.
#[derive(Default)]
struct Book {
    /// Send times of requests waiting for their answer (per kind; writes carry theirs).
    pending: [VecDeque<u64>; 4],
    latencies: [Samples; 4],
    sent: [u64; 4],
    answered: [u64; 4],
    /// Broadcasts of each kind received, whoever caused them.
    delivered: [u64; 4],
    errors: u64,
    frames: u64,
    closed: Option<String>,
}

/// A repeating sequence of kinds following the weights, spread out (smooth weighted
/// round robin).
fn pattern(weights: [u32; 4]) -> Vec<usize> {
    let total: i64 = weights.iter().map(|&w| i64::from(w)).sum();
    let mut current = [0i64; 4];
    (0..total)
        .map(|_| {
            for (c, &w) in current.iter_mut().zip(&weights) {
                *c += i64::from(w);
            }
            let k = (0..4).max_by_key(|&k| (current[k], -(k as i64))).unwrap_or(0);
            current[k] -= total;
            k
        })
        .collect()
}

/// Runs the blend for `--seconds` with `--mixed-clients` clients at `--mixed-rate`.
pub async fn run(target: &Target, args: &Args, deadline: Instant) -> Outcome {
    let weights = match args.mix_weights() {
        Ok(w) => w,
        Err(e) => return Outcome::note(format!("not run: {e:#}")),
    };
    let url = target.url();
    let react_id = match reaction_target(&url, args.size).await {
        Ok(id) => id,
        Err(e) => return Outcome::note(format!("not run: {e:#}")),
    };
    let n = args.mixed_clients.max(1);
    let books: Vec<Arc<Mutex<Book>>> = (0..n).map(|_| Arc::default()).collect();
    let b = books.clone();
    let names = (0..n).map(|i| format!("m{i}")).collect();
    let (halves, error) = login_many(&url, names, args.concurrency, deadline, move |i, c: Conn| {
        tokio::spawn(read_loop(c.rx, i as u32, b[i].clone()));
        c.tx
    })
    .await;
    if let Some(e) = error {
        return Outcome::note(format!("not run: {e}"));
    }
    let b = books.clone();
    settle(
        move || b.iter().map(|b| b.lock().unwrap().frames).sum(),
        Duration::from_millis(300),
        Duration::from_secs(20),
    )
    .await;
    let pattern = Arc::new(pattern(weights));
    let interval = Duration::from_secs_f64(n as f64 / args.mixed_rate);
    let start = Instant::now() + Duration::from_millis(50);
    let until = (start + Duration::from_secs_f64(args.seconds)).min(deadline);
    let writers: Vec<_> = halves
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, tx)| {
            let plan = Plan {
                me: i as u32,
                start: start + Duration::from_secs_f64(i as f64 / args.mixed_rate),
                interval,
                until,
                size: args.size,
                react_id: react_id.clone(),
                pattern: pattern.clone(),
            };
            tokio::spawn(write_loop(tx, plan, books[i].clone()))
        })
        .collect();
    for w in writers {
        let _ = w.await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let waiting = || books.iter().any(|b| b.lock().unwrap().pending.iter().any(|p| !p.is_empty()));
    let grace = Instant::now() + Duration::from_secs(3);
    while waiting() && Instant::now() < grace {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    report(&books, elapsed, args)
}

fn report(books: &[Arc<Mutex<Book>>], elapsed: f64, args: &Args) -> Outcome {
    let mut o = Outcome::default();
    o.push("offered_per_s", Better::Info, args.mixed_rate);
    let mut total = Book::default();
    for b in books {
        let mut b = b.lock().unwrap();
        for k in 0..4 {
            total.latencies[k].extend(std::mem::take(&mut b.latencies[k]));
            total.sent[k] += b.sent[k];
            total.answered[k] += b.answered[k];
            total.delivered[k] += b.delivered[k];
            total.pending[k].extend(b.pending[k].drain(..));
        }
        total.errors += b.errors;
        if b.closed.is_some() && total.closed.is_none() {
            total.closed = b.closed.clone();
        }
    }
    for (k, kind) in KINDS.iter().enumerate() {
        let s = std::mem::take(&mut total.latencies[k]).summary();
        o.push(&format!("{kind}_per_s"), Better::Higher, total.answered[k] as f64 / elapsed);
        o.latency(kind, &s);
        let unanswered = total.sent[k] - total.answered[k].min(total.sent[k]);
        o.push(&format!("{kind}_unanswered"), Better::Info, unanswered as f64);
    }
    let deliveries: u64 = total.delivered[1..].iter().sum();
    o.push("broadcast_deliveries_per_s", Better::Higher, deliveries as f64 / elapsed);
    o.push("errors", Better::Info, total.errors as f64);
    if let Some(why) = total.closed {
        o.notes.push(format!("a connection was closed by the server: {why}"));
    }
    o
}

/// The id of a message in `general` to react to (after seeding the channel).
async fn reaction_target(url: &str, size: usize) -> anyhow::Result<String> {
    seed(url, size).await?;
    let mut c = Conn::login(url, "mreader").await?;
    let reply = c.request(r#"{"cmd":"messages_get","channel":"general","limit":1}"#.to_owned(), "messages_get").await?;
    let v: Value = serde_json::from_str(&reply)?;
    let id = v["messages"].as_array().and_then(|m| m.last()).and_then(|m| m["id"].as_str());
    id.map(str::to_owned).ok_or_else(|| anyhow::anyhow!("no message to react to in {}", reply.as_str()))
}

/// When and what one client sends.
struct Plan {
    me: u32,
    start: Instant,
    interval: Duration,
    until: Instant,
    size: usize,
    react_id: String,
    pattern: Arc<Vec<usize>>,
}

async fn write_loop(mut tx: Tx, plan: Plan, book: Arc<Mutex<Book>>) {
    let mut seq = 0u64;
    loop {
        let at = plan.start + plan.interval.mul_f64(seq as f64);
        if at >= plan.until {
            break;
        }
        tokio::time::sleep_until(at.into()).await;
        let kind = plan.pattern[(seq as usize + plan.me as usize) % plan.pattern.len()];
        let now = now_ns();
        let text = match kind {
            READ => r#"{"cmd":"messages_get","channel":"general","limit":50}"#.to_owned(),
            WRITE => {
                let content = Marker { run: 1, sender: plan.me, seq, ns: now }.content(plan.size);
                format!(r#"{{"cmd":"message_new","channel":"general","content":"{content}"}}"#)
            }
            2 => r#"{"cmd":"typing","channel":"general"}"#.to_owned(),
            _ => format!(r#"{{"cmd":"message_react_add","channel":"general","id":"{}","emoji":"👍"}}"#, plan.react_id),
        };
        {
            let mut b = book.lock().unwrap();
            b.sent[kind] += 1;
            if kind != WRITE {
                b.pending[kind].push_back(now);
            }
        }
        if tx.send(Message::Text(text.into())).await.is_err() {
            break;
        }
        seq += 1;
    }
}

async fn read_loop(mut rx: Rx, me: u32, book: Arc<Mutex<Book>>) {
    let name = format!("m{me}");
    loop {
        let t = match next_frame(&mut rx).await {
            Frame::Text(t) => t,
            Frame::Closed(why) => {
                book.lock().unwrap().closed = Some(why);
                return;
            }
        };
        let now = now_ns();
        let mut b = book.lock().unwrap();
        b.frames += 1;
        let Some(cmd) = cmd_of(&t) else { continue };
        let answered = match cmd {
            "messages_get" => Some(READ),
            "message_new" => {
                b.delivered[WRITE] += 1;
                match Marker::find(&t) {
                    Some(m) if m.run == 1 && m.sender == me => {
                        b.latencies[WRITE].push_ns(now.saturating_sub(m.ns));
                        b.answered[WRITE] += 1;
                    }
                    _ => {}
                }
                None
            }
            "typing" => {
                b.delivered[2] += 1;
                has_field(&t, "user", &name).then_some(2)
            }
            "message_react_add" => {
                b.delivered[3] += 1;
                has_field(&t, "from", &name).then_some(3)
            }
            "error" | "rate_limit" => {
                b.errors += 1;
                // The refused request is no longer waiting for an answer.
                if let Some(k) = COMMANDS.iter().position(|c| has_field(&t, "src", c)) {
                    b.pending[k].pop_front();
                }
                None
            }
            _ => None,
        };
        if let Some(k) = answered
            && let Some(sent) = b.pending[k].pop_front()
        {
            b.latencies[k].push_ns(now.saturating_sub(sent));
            b.answered[k] += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_pattern_follows_the_weights_spread_out() {
        let p = super::pattern([4, 2, 3, 1]);
        assert_eq!(p.len(), 10);
        for (k, w) in [4, 2, 3, 1].into_iter().enumerate() {
            assert_eq!(p.iter().filter(|&&x| x == k).count(), w);
        }
        assert_eq!(super::pattern([1, 0, 0, 0]), vec![0]);
    }
}
