//! Per-user rate-limit state around the pure [`domain::rate_limit::Bucket`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use domain::rate_limit::{Bucket, BucketStatus, Denial, RateSettings};
use domain::{UnixSeconds, UserId};

use crate::ports::{ClusterEvent, EventBus, LimiterChange, LocalBus};

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
    /// `status_set` and `user_update`: each is stored and sent to every logged-in user, so a
    /// client looping on them would flood everyone (docs/design/rate-limits.md#buckets).
    Profile,
}

impl Purpose {
    const ALL: [Purpose; 6] = [
        Purpose::Messages,
        Purpose::Typing,
        Purpose::Voice,
        Purpose::Reactions,
        Purpose::SlashResponses,
        Purpose::Profile,
    ];

    /// The bucket's name between nodes.
    pub fn name(self) -> &'static str {
        match self {
            Purpose::Messages => "messages",
            Purpose::Typing => "typing",
            Purpose::Voice => "voice",
            Purpose::Reactions => "reactions",
            Purpose::SlashResponses => "slash_responses",
            Purpose::Profile => "profile",
        }
    }

    /// The bucket of a name from [`Purpose::name`].
    pub fn named(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// The limiter of all users; inert when rate limiting is disabled. In a cluster every
/// admitted action is replayed on the other nodes' limiters, so a user's buckets are the
/// same on every node (docs/design/cluster.md#rate-limits).
pub struct Limiter {
    settings: Option<RateSettings>,
    buckets: Mutex<HashMap<(UserId, Purpose), Bucket>>,
    bus: Arc<dyn EventBus>,
}

impl Limiter {
    /// A limiter of a single node with these settings (`None` = disabled).
    pub fn new(settings: Option<RateSettings>) -> Self {
        Self::with_bus(settings, Arc::new(LocalBus))
    }

    /// A limiter that tells the other nodes of a cluster what it admits.
    pub fn with_bus(settings: Option<RateSettings>, bus: Arc<dyn EventBus>) -> Self {
        Self { settings, buckets: Mutex::new(HashMap::new()), bus }
    }

    fn publish(&self, change: impl FnOnce() -> LimiterChange) {
        if self.settings.is_some() && self.bus.clustered() {
            self.bus.publish(ClusterEvent::Limiter(change()));
        }
    }

    /// Replays another node's change.
    pub fn apply(&self, change: &LimiterChange) {
        let Some(s) = self.settings else { return };
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        match change {
            LimiterChange::Taken { user, purpose, at } => {
                if let Some(purpose) = Purpose::named(purpose) {
                    let _ = map.entry((user.clone(), purpose)).or_default().try_take(*at, &s);
                }
            }
            LimiterChange::Cleared(user) => {
                if let Some(b) = map.get_mut(&(user.clone(), Purpose::Messages)) {
                    b.clear_history();
                }
            }
            LimiterChange::Reset(user) => map.retain(|(u, _), _| u != user),
        }
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
        map.entry((user.clone(), purpose)).or_default().try_take(now, &s)?;
        drop(map);
        self.publish(|| LimiterChange::Taken { user: user.clone(), purpose: purpose.name().to_owned(), at: now });
        Ok(())
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
        drop(map);
        self.publish(|| LimiterChange::Cleared(user.clone()));
    }

    /// Clears every bucket of a user.
    pub fn reset(&self, user: &UserId) {
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|(u, _), _| u != user);
        drop(map);
        self.publish(|| LimiterChange::Reset(user.clone()));
    }
}
