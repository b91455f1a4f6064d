//! What a scenario measured against one server: named figures, notes, sweep points.

use super::stats::Summary;

/// Which way a figure is better; ratios are given only for figures that have one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    /// Throughput: a ratio below 1 means the server is slower than the reference.
    Higher,
    /// Latency, memory, time: a ratio above 1 means the server is slower or bigger.
    Lower,
    /// Counts and settings (losses, closures, sizes): shown, not compared.
    Info,
}

impl Better {
    /// `higher`, `lower` or `info`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Higher => "higher",
            Self::Lower => "lower",
            Self::Info => "info",
        }
    }
}

/// One measured figure.
#[derive(Debug, Clone)]
pub struct Figure {
    /// Name, `snake_case`, with its unit as a suffix when it has one.
    pub key: String,
    /// Which way it is better.
    pub better: Better,
    /// The value.
    pub value: f64,
}

/// One step of the `fanout-max` sweep.
#[derive(Debug, Clone, Default)]
pub struct SweepPoint {
    /// Messages per second sent (all senders).
    pub rate: f64,
    /// Deliveries per second asked for: rate × receivers.
    pub offered: f64,
    /// Deliveries per second received.
    pub delivered: f64,
    /// Latency percentiles of the step.
    pub latency: Summary,
    /// Deliveries missing after the grace period, plus sequence gaps and closed receivers.
    pub losses: u64,
    /// Within the latency bound and without losses.
    pub passed: bool,
}

/// Everything a scenario measured against one server.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The figures, in the order they were measured.
    pub figures: Vec<Figure>,
    /// Remarks: what went wrong, what a figure means here.
    pub notes: Vec<String>,
    /// Sweep steps (`fanout-max` only).
    pub sweep: Vec<SweepPoint>,
}

impl Outcome {
    /// An outcome with only a note (a scenario that could not run).
    pub fn note(note: impl Into<String>) -> Self {
        Self { notes: vec![note.into()], ..Self::default() }
    }

    /// Adds a figure.
    pub fn push(&mut self, key: &str, better: Better, value: f64) {
        self.figures.push(Figure { key: key.to_owned(), better, value });
    }

    /// Adds the latency percentiles `<prefix>_p50_ms` … `<prefix>_max_ms`.
    pub fn latency(&mut self, prefix: &str, s: &Summary) {
        for (name, v) in [("p50", s.p50), ("p90", s.p90), ("p99", s.p99), ("max", s.max)] {
            self.push(&format!("{prefix}_{name}_ms"), Better::Lower, v);
        }
    }

    /// The value of a figure.
    pub fn get(&self, key: &str) -> Option<f64> {
        self.figures.iter().find(|f| f.key == key).map(|f| f.value)
    }

    /// Sets (or adds) a figure.
    pub fn set(&mut self, key: &str, better: Better, value: f64) {
        match self.figures.iter_mut().find(|f| f.key == key) {
            Some(f) => f.value = value,
            None => self.push(key, better, value),
        }
    }
}
