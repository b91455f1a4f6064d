//! Checking a Rotur validator.

use async_trait::async_trait;

/// Who Rotur says the validator belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoturIdentity {
    /// Rotur user id (opaque).
    pub id: String,
    /// Rotur username.
    pub username: String,
}

/// Why a validator was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// Rotur answered and said no (200 without `valid: true`, or a 4xx).
    Invalid,
    /// Rotur could not be asked: timeout, connection error, 5xx, a body that is not JSON.
    Unavailable,
}

/// Validates the `validator` a client got from Rotur for this connection's `key`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AuthValidator: Send + Sync {
    /// MUST return [`AuthFailure::Invalid`] for a rejected validator and
    /// [`AuthFailure::Unavailable`] when no answer could be had; never hangs past its timeout.
    async fn validate(&self, key: &str, validator: Option<String>) -> Result<RoturIdentity, AuthFailure>;
}
