//! Gates shared by actions that timeouts and rate limits apply to (decisions.md §16–17).

use super::Refusal;
use crate::limiter::Purpose;
use crate::{App, AppError, Session};

impl App {
    /// Refuses the action when the caller is in timeout or over the limit of `purpose`;
    /// otherwise takes one slot.
    pub(crate) async fn admit_action(&self, session: &Session, purpose: Purpose, now: f64) -> Result<(), Refusal> {
        let typing = purpose == Purpose::Typing;
        let me = session.user.as_ref().ok_or(AppError::UserRolesNotFound)?;
        if let Some(user) = self.store.user(&me.id).await?
            && let Some(denial) = domain::rate_limit::timeout_denial(user.timeout_until, now)
        {
            return Err(Refusal::RateLimited { denial, typing });
        }
        self.limiter.check(&me.id, purpose, now).map_err(|denial| Refusal::RateLimited { denial, typing })
    }

    /// Refuses the action when the caller is in timeout (actions without a rate limit).
    pub(crate) async fn not_in_timeout(&self, session: &Session) -> Result<(), Refusal> {
        let me = session.user.as_ref().ok_or(AppError::UserRolesNotFound)?;
        let now = self.clock.now();
        match self.store.user(&me.id).await? {
            Some(user) => match domain::rate_limit::timeout_denial(user.timeout_until, now) {
                Some(denial) => Err(Refusal::RateLimited { denial, typing: false }),
                None => Ok(()),
            },
            None => Ok(()),
        }
    }
}
