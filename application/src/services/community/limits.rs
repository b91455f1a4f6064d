//! Rate-limit status and reset (docs/design/rate-limits.md).

use super::Community;
use crate::errors::UserError;
use crate::packets::RateStatus;
use crate::services::{Outcome, Reply};
use crate::{Packet, Session};

impl Community {
    /// `rate_limit_status`: one's own, or anyone's for the owner.
    pub async fn rate_limit_status(&self, session: &Session, target: Option<String>) -> Outcome<UserError> {
        let me = self.directory.caller_found(session).await?;
        // Rights first: a non-owner may only name themselves, which needs no lookup.
        let names_me = |t: &str| t == me.id.as_str() || t.to_lowercase() == me.display_name().to_lowercase();
        if !me.is_owner() && target.as_deref().is_some_and(|t| !names_me(t)) {
            return Err(UserError::OwnRateLimitOnly);
        }
        let user = match target {
            Some(t) => self.directory.resolve_user(&t).await?,
            None => Some(me.clone()),
        };
        let target_id = user.as_ref().map(|u| u.id.clone());
        if target_id.as_ref() != Some(&me.id) && !me.is_owner() {
            return Err(UserError::OwnRateLimitOnly);
        }
        let now = self.clock.now();
        let id = target_id.unwrap_or_else(|| domain::UserId(String::new()));
        let (bucket, settings) = self.limiter.status(&id, now).ok_or(UserError::RateLimiterDisabled)?;
        let timeout_remaining = user.as_ref().and_then(|u| u.timeout_until).map(|t| (t - now).max(0.0)).unwrap_or(0.0);
        let status = RateStatus {
            messages_this_minute: bucket.this_minute,
            messages_per_minute_limit: settings.per_minute,
            recent_messages: bucket.recent,
            burst_limit: settings.burst_limit,
            cooldown_remaining: bucket.cooldown_remaining,
            timeout_remaining,
        };
        let name = user.map(|u| u.display_name().to_owned());
        Ok(Reply::Packet(Packet::RateLimitStatus { user: name, status: Box::new(status) }))
    }

    /// `rate_limit_reset` (owner or `manage_users` over the target): clears the limiter and
    /// any timeout (Recommended).
    pub async fn rate_limit_reset(&self, session: &Session, target: Result<String, UserError>) -> Outcome<UserError> {
        let me = self.directory.require_owner_or(session, domain::permission::named::MANAGE_USERS).await?;
        let target = target?;
        if !self.limiter.enabled() {
            return Err(UserError::RateLimiterDisabled);
        }
        let found = self.directory.resolve_user(&target).await?;
        let name = match found {
            Some(u) => {
                me.over_user(&u)?;
                self.limiter.reset(&u.id);
                let clear = |u: &mut domain::User| {
                    u.timeout_until = None;
                    Ok::<_, UserError>(())
                };
                self.directory.update_user_with(&u.id, clear).await?;
                u.display_name().to_owned()
            }
            None => {
                self.limiter.reset(&domain::UserId(target.clone()));
                target
            }
        };
        Ok(Reply::Packet(Packet::RateLimitReset { user: name }))
    }
}
