//! Time and randomness, injected so that use cases stay deterministic under test.

use domain::UnixSeconds;

/// Wall-clock time.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Send + Sync {
    /// Now, as Unix seconds with a fraction.
    fn now(&self) -> UnixSeconds;
}

/// Fresh identifiers and secrets.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait IdSource: Send + Sync {
    /// A new message id (UUID v4, lowercase, hyphenated).
    fn message_id(&self) -> String;
    /// A new session token: 43 URL-safe base64 characters from 32 random bytes.
    fn session_token(&self) -> String;
    /// A new handshake key: `originChats-` and 32 URL-safe base64 characters.
    fn validator_key(&self) -> String;
}
