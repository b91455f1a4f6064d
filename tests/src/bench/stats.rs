//! Latency samples and their percentiles.

/// Latency samples in microseconds.
#[derive(Debug, Default, Clone)]
pub struct Samples(pub Vec<u32>);

impl Samples {
    /// Records one latency given in nanoseconds (saturating at about 71 minutes).
    pub fn push_ns(&mut self, ns: u64) {
        self.0.push(u32::try_from(ns / 1_000).unwrap_or(u32::MAX));
    }

    /// Adds another set of samples.
    pub fn extend(&mut self, other: Samples) {
        self.0.extend(other.0);
    }

    /// Sorts the samples and summarises them.
    pub fn summary(mut self) -> Summary {
        self.0.sort_unstable();
        Summary::of_sorted(&self.0)
    }
}

/// Percentiles of a set of latencies, in milliseconds (zero when there were none).
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Summary {
    /// How many samples.
    pub count: usize,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest sample.
    pub max: f64,
    /// Mean.
    pub mean: f64,
}

impl Summary {
    /// Summarises samples (microseconds) sorted in increasing order.
    pub fn of_sorted(sorted: &[u32]) -> Self {
        if sorted.is_empty() {
            return Self::default();
        }
        let ms = |us: u32| f64::from(us) / 1e3;
        let sum: u64 = sorted.iter().map(|&v| u64::from(v)).sum();
        Self {
            count: sorted.len(),
            p50: ms(percentile(sorted, 50.0)),
            p90: ms(percentile(sorted, 90.0)),
            p99: ms(percentile(sorted, 99.0)),
            max: ms(sorted[sorted.len() - 1]),
            mean: sum as f64 / sorted.len() as f64 / 1e3,
        }
    }
}

/// The nearest-rank percentile `p` (0–100) of non-empty sorted samples: the smallest sample
/// such that at least `p` % of the samples are less than or equal to it.
pub fn percentile(sorted: &[u32], p: f64) -> u32 {
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The median of a few durations in milliseconds (zero when there are none).
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let hundred: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&hundred, 50.0), 50);
        assert_eq!(percentile(&hundred, 90.0), 90);
        assert_eq!(percentile(&hundred, 99.0), 99);
        assert_eq!(percentile(&hundred, 100.0), 100);
        assert_eq!(percentile(&hundred, 0.0), 1);
        assert_eq!(percentile(&[7], 99.0), 7);
        // Ten samples: p99 is the largest, p50 the fifth.
        let ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 1000];
        assert_eq!(percentile(&ten, 99.0), 1000);
        assert_eq!(percentile(&ten, 50.0), 5);
        assert_eq!(percentile(&ten, 90.0), 9);
    }

    #[test]
    fn summaries_in_milliseconds() {
        let mut s = Samples::default();
        for ms in [3u64, 1, 2, 4] {
            s.push_ns(ms * 1_000_000);
        }
        let sum = s.summary();
        assert_eq!(sum.count, 4);
        assert_eq!((sum.p50, sum.p90, sum.p99, sum.max), (2.0, 4.0, 4.0, 4.0));
        assert_eq!(sum.mean, 2.5);
        assert_eq!(Samples::default().summary(), Summary::default());
        assert_eq!(median(&[5.0, 1.0, 3.0]), 3.0);
        assert_eq!(median(&[4.0, 1.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }
}
