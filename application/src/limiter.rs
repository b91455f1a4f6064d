//! Per-user rate-limit state around the pure [`domain::rate_limit::Bucket`].

use std::collections::HashMap;
use std::sync::Mutex;

use domain::rate_limit::{Bucket, BucketStatus, Denial, RateSettings};
use domain::{UnixSeconds, UserId};

/// Which budget an action draws on (typing has its own, docs/design/rate-limits.md#buckets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// `message_new`, `message_edit`.
    Messages,
    /// `typing`.
    Typing,
    /// `voice_join`, `voice_mute`, `voice_unmute` (docs/design/voice.md#rate-limit).
    Voice,
    /// `message_react_add`, `message_react_remove`.
    Reactions,
    /// A bot's `slash_response`s: a bucket of their own, so answering calls neither starves
    /// nor is starved by the bot's own messages.
    SlashResponses,
}

/// The limiter of all users; inert when rate limiting is disabled.
pub struct Limiter {
    settings: Option<RateSettings>,
    buckets: Mutex<HashMap<(UserId, Purpose), Bucket>>,
}

impl Limiter {
    /// A limiter with these settings (`None` = disabled).
    pub fn new(settings: Option<RateSettings>) -> Self {
        Self { settings, buckets: Mutex::new(HashMap::new()) }
    }

    /// Whether limiting is on.
    pub fn enabled(&self) -> bool {
        self.settings.is_some()
    }

    /// Takes one slot of `purpose` for `user` at `now`.
    pub fn check(&self, user: &UserId, purpose: Purpose, now: UnixSeconds) -> Result<(), Denial> {
        let Some(s) = self.settings else { return Ok(()) };
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, b| !b.is_idle(now, &s));
        }
        map.entry((user.clone(), purpose)).or_default().try_take(now, &s)
    }

    /// Counters of the message bucket.
    pub fn status(&self, user: &UserId, now: UnixSeconds) -> Option<(BucketStatus, RateSettings)> {
        let s = self.settings?;
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let status = map.get_mut(&(user.clone(), Purpose::Messages)).map(|b| b.status(now, &s));
        Some((status.unwrap_or(BucketStatus { this_minute: 0, recent: 0, cooldown_remaining: 0.0 }), s))
    }

    /// Forgets a user's accepted messages, keeping a running burst cooldown (what a new
    /// timeout does, docs/design/rate-limits.md#timeouts-and-the-limiter).
    pub fn clear_history(&self, user: &UserId) {
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(b) = map.get_mut(&(user.clone(), Purpose::Messages)) {
            b.clear_history();
        }
    }

    /// Clears every bucket of a user.
    pub fn reset(&self, user: &UserId) {
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|(u, _), _| u != user);
    }
}
