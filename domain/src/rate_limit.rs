//! The rate limiter of docs/design/rate-limits.md#algorithm as pure state: time is passed in, nothing is shared.
//!
//! One [`Bucket`] per user and purpose (messages, typing). Timeouts are moderation, not
//! spam control, and are checked by [`timeout_denial`] before any bucket.

use std::collections::VecDeque;

use crate::UnixSeconds;

/// Length of the sliding window, seconds.
pub const WINDOW_SECONDS: f64 = 60.0;

/// Limiter settings (`rate_limiting.*`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateSettings {
    /// Accepted actions per 60 s window.
    pub per_minute: usize,
    /// Accepted actions per burst window.
    pub burst_limit: usize,
    /// Burst window, seconds (10 in the original).
    pub burst_window: f64,
    /// Cooldown after tripping the burst limit, seconds.
    pub cooldown: f64,
}

impl Default for RateSettings {
    fn default() -> Self {
        Self { per_minute: 60, burst_limit: 10, burst_window: 10.0, cooldown: 30.0 }
    }
}

/// A refused action: the text for the client and how long to wait.
#[derive(Debug, Clone, PartialEq)]
pub struct Denial {
    /// Human-readable reason (exact texts of the original).
    pub reason: String,
    /// Seconds until the action may succeed.
    pub wait_seconds: f64,
}

impl Denial {
    /// The wait in whole milliseconds, truncated as the original does.
    pub fn length_ms(&self) -> i64 {
        (self.wait_seconds * 1000.0) as i64
    }
}

/// Formats a configured number of seconds the way the original prints it (`30`, `2.5`).
fn seconds_text(s: f64) -> String {
    if s.fract() == 0.0 && s.abs() < 1e15 { format!("{}", s as i64) } else { format!("{s}") }
}

/// The denial for an active timeout ending at `until`, if any.
pub fn timeout_denial(until: Option<UnixSeconds>, now: UnixSeconds) -> Option<Denial> {
    let until = until?;
    (until > now).then(|| {
        let r = until - now;
        Denial { reason: format!("You are in timeout for {r:.1} more seconds"), wait_seconds: r }
    })
}

/// The accepted-action history of one user in one bucket.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bucket {
    accepted: VecDeque<UnixSeconds>,
    last_burst: Option<UnixSeconds>,
}

/// Counters reported by `rate_limit_status`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketStatus {
    /// Accepted actions in the last 60 s.
    pub this_minute: usize,
    /// Accepted actions in the burst window.
    pub recent: usize,
    /// Seconds of burst cooldown left (0 when none).
    pub cooldown_remaining: f64,
}

impl Bucket {
    fn expire(&mut self, now: UnixSeconds) {
        while self.accepted.front().is_some_and(|t| now - t > WINDOW_SECONDS) {
            self.accepted.pop_front();
        }
    }

    fn recent(&self, now: UnixSeconds, window: f64) -> usize {
        self.accepted.iter().filter(|t| now - *t <= window).count()
    }

    /// Tries to take one slot at `now`. First matching rule wins (docs/design/rate-limits.md#algorithm).
    pub fn try_take(&mut self, now: UnixSeconds, s: &RateSettings) -> Result<(), Denial> {
        self.expire(now);
        if let Some(lb) = self.last_burst
            && now - lb < s.cooldown
        {
            let r = s.cooldown - (now - lb);
            return Err(Denial { reason: format!("You are in cooldown for {r:.1} more seconds"), wait_seconds: r });
        }
        if self.accepted.len() >= s.per_minute {
            let oldest = self.accepted.front().copied().unwrap_or(now);
            let w = WINDOW_SECONDS - (now - oldest);
            return Err(Denial { reason: format!("Rate limit exceeded. Wait {w:.1} seconds"), wait_seconds: w });
        }
        if self.recent(now, s.burst_window) >= s.burst_limit {
            self.last_burst = Some(now);
            return Err(Denial {
                reason: format!("Burst limit exceeded. You're in cooldown for {} seconds", seconds_text(s.cooldown)),
                wait_seconds: s.cooldown,
            });
        }
        self.accepted.push_back(now);
        Ok(())
    }

    /// Current counters without changing anything but expiry.
    pub fn status(&mut self, now: UnixSeconds, s: &RateSettings) -> BucketStatus {
        self.expire(now);
        let cooldown_remaining = match self.last_burst {
            Some(lb) if now - lb < s.cooldown => s.cooldown - (now - lb),
            _ => 0.0,
        };
        BucketStatus { this_minute: self.accepted.len(), recent: self.recent(now, s.burst_window), cooldown_remaining }
    }

    /// Forgets the accepted actions but keeps a running cooldown.
    pub fn clear_history(&mut self) {
        self.accepted.clear();
    }

    /// Clears history and cooldown.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Whether the bucket holds nothing worth keeping at `now` (for eviction).
    pub fn is_idle(&self, now: UnixSeconds, s: &RateSettings) -> bool {
        self.accepted.back().is_none_or(|t| now - t > WINDOW_SECONDS)
            && self.last_burst.is_none_or(|lb| now - lb >= s.cooldown)
    }
}

#[cfg(test)]
mod tests;
