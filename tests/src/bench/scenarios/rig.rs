//! The fan-out rig shared by `fanout` and `fanout-max`: receivers that time every message
//! they get, senders that send at a paced rate, and one step of sending.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::SinkExt;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

use crate::bench::conn::{Conn, Drained, Frame, Tx, login_many, next_frame, settle};
use crate::bench::stats::{Samples, Summary};
use crate::bench::wire::{Marker, now_ns};

/// What one receiver saw during the current step.
#[derive(Default)]
struct Tally {
    run: u32,
    frames: u64,
    received: u64,
    stale: u64,
    latencies: Samples,
    /// Next expected sequence number per sender.
    next_seq: Vec<u64>,
    gaps: u64,
    reordered: u64,
    last_ns: u64,
    closed: Option<String>,
}

impl Tally {
    fn record(&mut self, m: Marker, now: u64) {
        if m.run != self.run {
            self.stale += 1;
            return;
        }
        self.received += 1;
        self.latencies.push_ns(now.saturating_sub(m.ns));
        self.last_ns = self.last_ns.max(now);
        if let Some(next) = self.next_seq.get_mut(m.sender as usize) {
            if m.seq > *next {
                self.gaps += m.seq - *next;
            } else if m.seq < *next {
                self.reordered += 1;
            }
            *next = (*next).max(m.seq + 1);
        }
    }
}

/// Receivers and senders logged in to one server.
pub struct Rig {
    tallies: Vec<Arc<Mutex<Tally>>>,
    tasks: Vec<JoinHandle<()>>,
    senders: Vec<Tx>,
    /// The senders' own reading halves (they get every broadcast too).
    sender_reads: Drained,
    /// Latest latency seen by the first receiver, in nanoseconds.
    lag: Arc<AtomicU64>,
}

impl Drop for Rig {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// The result of one step.
#[derive(Debug, Default, Clone)]
pub struct StepResult {
    /// Messages per second asked for.
    pub rate: f64,
    /// Messages sent.
    pub sent: u64,
    /// Deliveries expected: sent × receivers.
    pub expected: u64,
    /// Deliveries received (this step's messages only).
    pub received: u64,
    /// Deliveries per second, from the first send to the last delivery.
    pub delivered_per_s: f64,
    /// Sequence numbers skipped, over every receiver and sender.
    pub gaps: u64,
    /// Messages that came after a later one from the same sender.
    pub reordered: u64,
    /// Receivers and senders the server closed, and the first reason.
    pub closed: (usize, Option<String>),
    /// `error` and `rate_limit` packets the senders got.
    pub errors: u64,
    /// Latency percentiles.
    pub latency: Summary,
    /// Why sending stopped early, if it did.
    pub aborted: Option<String>,
}

impl StepResult {
    /// Expected deliveries that never came.
    pub fn missing(&self) -> u64 {
        self.expected.saturating_sub(self.received)
    }

    /// Missing deliveries, gaps and closures.
    pub fn losses(&self) -> u64 {
        self.missing() + self.gaps + self.closed.0 as u64
    }
}

fn receive(conn: Conn, tally: Arc<Mutex<Tally>>, lag: Option<Arc<AtomicU64>>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let Conn { tx, mut rx } = conn;
        loop {
            match next_frame(&mut rx).await {
                Frame::Text(t) => {
                    let marker = Marker::find(&t);
                    let now = now_ns();
                    let mut tally = tally.lock().unwrap();
                    tally.frames += 1;
                    if let Some(m) = marker {
                        tally.record(m, now);
                        if let Some(lag) = &lag {
                            lag.store(now.saturating_sub(m.ns), Ordering::Relaxed);
                        }
                    }
                }
                Frame::Closed(why) => {
                    tally.lock().unwrap().closed = Some(why);
                    break;
                }
            }
        }
        drop(tx);
    })
}

impl Rig {
    /// Logs in `receivers` receivers and `senders` senders named `<prefix>r<i>`, `<prefix>s<i>`
    /// and waits until the server has stopped sending them presence.
    pub async fn connect(
        url: &str,
        prefix: &str,
        receivers: usize,
        senders: usize,
        concurrency: usize,
        deadline: Instant,
    ) -> anyhow::Result<Self> {
        let lag = Arc::new(AtomicU64::new(0));
        let tallies: Vec<_> = (0..receivers).map(|_| Arc::new(Mutex::new(Tally::default()))).collect();
        let (t, l) = (tallies.clone(), lag.clone());
        let names = (0..receivers).map(|i| format!("{prefix}r{i}")).collect();
        let (tasks, error) = login_many(url, names, concurrency, deadline, move |i, c| {
            receive(c, t[i].clone(), (i == 0).then(|| l.clone()))
        })
        .await;
        let mut rig = Self {
            tallies,
            tasks: tasks.into_iter().flatten().collect(),
            senders: vec![],
            sender_reads: Drained::default(),
            lag,
        };
        if let Some(e) = error {
            anyhow::bail!("{} of {receivers} receivers could not log in; first: {e}", receivers - rig.tasks.len());
        }
        let names = (0..senders).map(|i| format!("{prefix}s{i}")).collect();
        let (conns, error) = login_many(url, names, concurrency, deadline, |_, c| c).await;
        if let Some(e) = error {
            anyhow::bail!("a sender could not log in: {e}");
        }
        for c in conns.into_iter().flatten() {
            rig.senders.push(c.tx);
            rig.sender_reads.add_reader(c.rx);
        }
        let t = rig.tallies.clone();
        let frames = move || t.iter().map(|t| t.lock().unwrap().frames).sum::<u64>();
        settle(frames, Duration::from_millis(300), Duration::from_secs(20)).await;
        Ok(rig)
    }

    /// Sends `rate` messages per second (split between the senders) for `seconds`, then
    /// waits up to 3 s for every delivery. Sending stops early at `deadline`, or when
    /// `abort_lag` is given and the first receiver's latest latency exceeds it.
    pub async fn step(
        &mut self,
        run: u32,
        rate: f64,
        seconds: f64,
        size: usize,
        deadline: Instant,
        abort_lag: Option<Duration>,
    ) -> StepResult {
        let senders = self.senders.len();
        for t in &self.tallies {
            let mut t = t.lock().unwrap();
            let (frames, closed) = (t.frames, t.closed.clone());
            *t = Tally { run, frames, closed, next_seq: vec![0; senders], ..Tally::default() };
        }
        self.lag.store(0, Ordering::Relaxed);
        let counts = self.sender_reads.counts();
        let errors_before = counts.errors.load(Ordering::Relaxed);
        let lead = Duration::from_millis(50);
        let (t0, t0_ns) = (Instant::now() + lead, now_ns() + lead.as_nanos() as u64);
        let until = t0 + Duration::from_secs_f64(seconds);
        let stop = Arc::new(AtomicBool::new(false));
        let interval = Duration::from_secs_f64(senders as f64 / rate);
        let mut sending = vec![];
        for (i, tx) in self.senders.drain(..).enumerate() {
            let offset = Duration::from_secs_f64(i as f64 / rate);
            let pace = Pace { sender: i as u32, run, start: t0 + offset, interval, until, size };
            sending.push(tokio::spawn(send_paced(tx, pace, stop.clone())));
        }
        let mut aborted = None;
        while !sending.iter().all(|s| s.is_finished()) {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let lag = Duration::from_nanos(self.lag.load(Ordering::Relaxed));
            if abort_lag.is_some_and(|bound| lag > bound) && aborted.is_none() {
                aborted = Some(format!("latency reached {} ms", lag.as_millis()));
            } else if Instant::now() > deadline && aborted.is_none() {
                aborted = Some("--max-seconds reached".into());
            }
            if aborted.is_some() {
                stop.store(true, Ordering::Relaxed);
            }
        }
        let mut sent = 0;
        for s in sending {
            let (tx, n) = s.await.expect("sender task");
            self.senders.push(tx);
            sent += n;
        }
        let expected = sent * self.tallies.len() as u64;
        let received = || self.tallies.iter().map(|t| t.lock().unwrap().received).sum::<u64>();
        let grace = Instant::now() + Duration::from_secs(3);
        while received() < expected && Instant::now() < grace {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.collect(rate, sent, expected, t0_ns, errors_before, aborted)
    }

    fn collect(
        &self,
        rate: f64,
        sent: u64,
        expected: u64,
        t0_ns: u64,
        errors_before: u64,
        aborted: Option<String>,
    ) -> StepResult {
        let mut r = StepResult { rate, sent, expected, aborted, ..StepResult::default() };
        let mut samples = Samples::default();
        let mut last_ns = 0;
        let (mut closed, mut why) = self.sender_reads.closed();
        for t in &self.tallies {
            let mut t = t.lock().unwrap();
            r.received += t.received;
            r.gaps += t.gaps;
            r.reordered += t.reordered;
            last_ns = last_ns.max(t.last_ns);
            samples.extend(std::mem::take(&mut t.latencies));
            if let Some(w) = &t.closed {
                closed += 1;
                why.get_or_insert_with(|| w.clone());
            }
        }
        r.closed = (closed, why);
        let span = (last_ns.saturating_sub(t0_ns) as f64 / 1e9).max(1e-3);
        r.delivered_per_s = r.received as f64 / span;
        r.errors = self.sender_reads.counts().errors.load(Ordering::Relaxed) - errors_before;
        r.latency = samples.summary();
        r
    }
}

/// When one sender sends.
struct Pace {
    sender: u32,
    run: u32,
    start: Instant,
    interval: Duration,
    until: Instant,
    size: usize,
}

/// Sends at `pace` (catching up at once when late) until `pace.until` or `stop`; returns
/// the writing half and how many messages were sent.
async fn send_paced(mut tx: Tx, pace: Pace, stop: Arc<AtomicBool>) -> (Tx, u64) {
    let mut seq = 0u64;
    loop {
        let at = pace.start + pace.interval.mul_f64(seq as f64);
        if at >= pace.until || stop.load(Ordering::Relaxed) {
            break;
        }
        tokio::time::sleep_until(at.into()).await;
        let m = Marker { run: pace.run, sender: pace.sender, seq, ns: now_ns() };
        let text = format!(r#"{{"cmd":"message_new","channel":"general","content":"{}"}}"#, m.content(pace.size));
        if tx.send(Message::Text(text.into())).await.is_err() {
            break;
        }
        seq += 1;
    }
    (tx, seq)
}
