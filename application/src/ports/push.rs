//! Web Push (docs/design/push.md): the subscriptions users' browsers registered, stored
//! with everything else ([`PushSubscriptionRepository`] is part of the
//! [`Store`](super::Store)), and the [`Notifier`] that checks a subscription and delivers
//! one encrypted, signed push to it.

use async_trait::async_trait;
use domain::UserId;

use super::StoreResult;

/// A browser's push subscription, as `PushSubscription.toJSON()` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The push service URL the server posts to.
    pub endpoint: String,
    /// The browser's P-256 public key, base64url.
    pub p256dh: String,
    /// The browser's 16-byte auth secret, base64url.
    pub auth: String,
}

/// Push subscriptions, keyed by user id (usernames can change).
///
/// Contract: each user holds at most one subscription per endpoint, and an endpoint
/// belongs to one user (a browser's push subscription belongs to whoever subscribed last).
#[async_trait]
pub trait PushSubscriptionRepository: Send + Sync {
    /// The user's subscriptions, oldest first.
    async fn subscriptions(&self, user: &UserId) -> StoreResult<Vec<Subscription>>;
    /// Stores a subscription of `user` at Unix time `now`: the user's entry with the same
    /// endpoint is replaced in place, otherwise it is added as the newest; any other
    /// user's entry with this endpoint is deleted; then only the user's `keep` newest
    /// entries are kept (`keep` ≥ 1). All or nothing.
    async fn save_subscription(
        &self,
        user: &UserId,
        subscription: &Subscription,
        keep: usize,
        now: f64,
    ) -> StoreResult<()>;
    /// Deletes the user's subscription with exactly this endpoint; false when there was
    /// none (another user's subscription is never touched).
    async fn delete_subscription(&self, user: &UserId, endpoint: &str) -> StoreResult<bool>;
}

/// What a push notification says, before it is encrypted (docs/push.md#payload).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushMessage {
    /// `#<channel> — <sender>`, with ` replied` for a reply.
    pub title: String,
    /// The first 120 characters of the message.
    pub body: String,
    /// The channel's name.
    pub channel: String,
}

/// How one delivery ended, after the notifier's own retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The push service accepted it.
    Delivered,
    /// The push service says the subscription no longer exists (404 or 410): forget it.
    Gone,
    /// It could not be delivered (logged by the notifier).
    Failed,
}

/// Why a subscription cannot be used; the checks run in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionProblem {
    /// The endpoint is not an `https://` URL (nor, where private endpoints are allowed,
    /// an `http://` loopback one).
    EndpointNotHttps,
    /// The endpoint's host is, or resolves to, a private, loopback, link-local or other
    /// non-public address.
    EndpointNotPublic,
    /// The endpoint's host name does not resolve.
    EndpointUnresolvable,
    /// `p256dh` is not a base64url P-256 point in uncompressed form (65 bytes, 0x04 first).
    BadP256dh,
    /// `auth` is not 16 base64url-encoded bytes.
    BadAuth,
}

/// Delivers Web Push notifications (RFC 8030) with encrypted payloads (RFC 8291) and
/// VAPID signatures (RFC 8292).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Notifier: Send + Sync {
    /// The VAPID public key: the uncompressed P-256 point, base64url without padding;
    /// `None` when the server has no usable key.
    fn public_key(&self) -> Option<String>;
    /// Checks a subscription a client offers, endpoint first (its host resolved where it
    /// is a name), then `p256dh`, then `auth`; never waits longer than its timeout.
    async fn check(&self, subscription: &Subscription) -> Result<(), SubscriptionProblem>;
    /// Encrypts `message` for `subscription` and posts it, retrying transient failures
    /// with a bounded backoff; returns how it finally ended.
    async fn deliver(&self, subscription: &Subscription, message: &PushMessage) -> Delivery;
}

/// No Web Push: no key, every subscription acceptable, nothing delivered.
pub struct NoNotifier;

#[async_trait]
impl Notifier for NoNotifier {
    fn public_key(&self) -> Option<String> {
        None
    }
    async fn check(&self, _subscription: &Subscription) -> Result<(), SubscriptionProblem> {
        Ok(())
    }
    async fn deliver(&self, _subscription: &Subscription, _message: &PushMessage) -> Delivery {
        Delivery::Failed
    }
}

/// Implements [`PushSubscriptionRepository`] for a store that wraps another one, passing
/// every call on to its field `$inner` (a name, or `0` for a tuple struct).
#[macro_export]
macro_rules! delegate_push_subscriptions {
    ($ty:ty, $inner:tt) => {
        #[$crate::ports::async_trait]
        impl $crate::ports::PushSubscriptionRepository for $ty {
            async fn subscriptions(
                &self,
                user: &domain::UserId,
            ) -> $crate::ports::StoreResult<Vec<$crate::ports::Subscription>> {
                self.$inner.subscriptions(user).await
            }
            async fn save_subscription(
                &self,
                user: &domain::UserId,
                subscription: &$crate::ports::Subscription,
                keep: usize,
                now: f64,
            ) -> $crate::ports::StoreResult<()> {
                self.$inner.save_subscription(user, subscription, keep, now).await
            }
            async fn delete_subscription(
                &self,
                user: &domain::UserId,
                endpoint: &str,
            ) -> $crate::ports::StoreResult<bool> {
                self.$inner.delete_subscription(user, endpoint).await
            }
        }
    };
}
