//! Moderation timeouts and rate limits in front of the actions they apply to
//! (docs/design/moderation.md, docs/design/rate-limits.md).

use std::sync::Arc;

use crate::Session;
use crate::errors::{AccessError, Limited, Refused};
use crate::limiter::{Limiter, Purpose};
use crate::ports::{Clock, Store};

/// Admits actions past timeouts and rate limits.
pub struct Gate {
    store: Arc<dyn Store>,
    limiter: Arc<Limiter>,
    clock: Arc<dyn Clock>,
}

impl Gate {
    /// A gate over these parts.
    pub fn new(store: Arc<dyn Store>, limiter: Arc<Limiter>, clock: Arc<dyn Clock>) -> Self {
        Self { store, limiter, clock }
    }

    /// The limiter behind the gate.
    pub fn limiter(&self) -> &Limiter {
        &self.limiter
    }

    /// Refuses the action when the caller is in timeout or over the limit of `purpose`;
    /// otherwise takes one slot.
    pub async fn admit(&self, session: &Session, purpose: Purpose) -> Result<(), Refused> {
        let now = self.clock.now();
        let typing = purpose == Purpose::Typing;
        let me = session.user.as_ref().ok_or(AccessError::UserRolesNotFound)?;
        if let Some(user) = self.store.user(&me.id).await.map_err(AccessError::from)?
            && let Some(denial) = domain::rate_limit::timeout_denial(user.timeout_until, now)
        {
            return Err(Limited { denial, typing }.into());
        }
        self.limiter.check(&me.id, purpose, now).map_err(|denial| Limited { denial, typing }.into())
    }

    /// Refuses the action when the caller is in timeout (actions without a rate limit).
    pub async fn not_in_timeout(&self, session: &Session) -> Result<(), Refused> {
        let me = session.user.as_ref().ok_or(AccessError::UserRolesNotFound)?;
        let user = self.store.user(&me.id).await.map_err(AccessError::from)?;
        match user.and_then(|u| domain::rate_limit::timeout_denial(u.timeout_until, self.clock.now())) {
            Some(denial) => Err(Limited { denial, typing: false }.into()),
            None => Ok(()),
        }
    }

    /// Takes one slot of `purpose` without looking at timeouts (voice updates).
    pub fn take(&self, session: &Session, purpose: Purpose) -> Result<(), Limited> {
        let Some(me) = &session.user else { return Ok(()) };
        self.limiter.check(&me.id, purpose, self.clock.now()).map_err(|denial| Limited { denial, typing: false })
    }
}
