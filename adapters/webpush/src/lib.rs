//! Web Push for originchats (docs/design/push.md): the [`Notifier`] port over HTTP.
//!
//! - [`vapid`]: the VAPID key pair in the original's `vapid/` layout, and the signed
//!   `Authorization` header (RFC 8292);
//! - [`address`]: which endpoints may receive pushes (public `https://` only: SSRF);
//! - [`WebPush`]: checks subscriptions, encrypts payloads (RFC 8291, `aes128gcm`, with
//!   `web-push-native`) and posts them over reqwest/rustls, retrying transient failures.

pub mod address;
pub mod vapid;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use application::ports::{Delivery, Notifier, PushMessage, Subscription, SubscriptionProblem};
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use reqwest::StatusCode;
use serde_json::json;

use address::{Endpoint, PublicResolver, parse_endpoint};
pub use vapid::{VapidError, VapidFiles, VapidKey, adopt_key, load_or_generate};

/// How long the VAPID JWT stays valid (RFC 8292 allows at most 24 hours).
pub const JWT_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);

/// The longest wait between two attempts, whatever `Retry-After` asks for.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);

/// `Urgency` of every push (RFC 8030, section 5.3): they all name their recipient.
pub const URGENCY: &str = "normal";

/// How pushes are sent.
#[derive(Debug, Clone)]
pub struct WebPushSettings {
    /// The VAPID `sub` claim (`mailto:` or `https:` URI).
    pub subject: String,
    /// `TTL` header: how long a push service keeps an undelivered push, seconds.
    pub ttl_seconds: u32,
    /// Accept endpoints on private addresses, and `http://` on loopback (tests).
    pub allow_private_endpoints: bool,
    /// Timeout of one request (and of one name lookup).
    pub timeout: Duration,
    /// Attempts per push (at least 1): a 429, a 5xx or a network error is tried again.
    pub attempts: u32,
    /// Wait before the second attempt; doubled after each further one, at most
    /// [`MAX_RETRY_WAIT`]; a longer `Retry-After` (seconds) is honoured up to that.
    pub backoff: Duration,
}

impl Default for WebPushSettings {
    fn default() -> Self {
        Self {
            subject: "mailto:admin@localhost".into(),
            ttl_seconds: 86_400,
            allow_private_endpoints: false,
            timeout: Duration::from_secs(10),
            attempts: 3,
            backoff: Duration::from_secs(1),
        }
    }
}

/// The Web Push notifier.
pub struct WebPush {
    key: Option<VapidKey>,
    settings: WebPushSettings,
    client: reqwest::Client,
}

/// Decodes base64url (padded or not; the standard alphabet is accepted too).
fn base64url(text: &str) -> Option<Vec<u8>> {
    let bare = text.trim().trim_end_matches('=');
    URL_SAFE_NO_PAD.decode(bare).or_else(|_| STANDARD_NO_PAD.decode(bare)).ok()
}

/// The browser's public key: a P-256 point, uncompressed (65 bytes, 0x04 first).
pub fn browser_key(p256dh: &str) -> Option<p256::PublicKey> {
    let bytes = base64url(p256dh).filter(|b| b.len() == 65 && b[0] == 0x04)?;
    p256::PublicKey::from_sec1_bytes(&bytes).ok()
}

/// The browser's auth secret: 16 bytes.
pub fn browser_auth(auth: &str) -> Option<web_push_native::Auth> {
    let bytes: [u8; 16] = base64url(auth)?.try_into().ok()?;
    Some(web_push_native::Auth::from(bytes))
}

/// A push ready to post: where, and the encrypted body.
struct Prepared {
    endpoint: Endpoint,
    body: Vec<u8>,
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

/// The wait a 429 or 503 asks for in `Retry-After` (seconds only).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// What to do after one attempt.
enum Next {
    Done(Delivery),
    Retry(Option<Duration>),
}

impl WebPush {
    /// A notifier signing with `key` (`None`: no key, nothing is sent). Builds the HTTP
    /// client: rustls, no redirects, no proxies, and, unless private endpoints are allowed,
    /// `https` only and a resolver that refuses names with non-public addresses.
    pub fn new(key: Option<VapidKey>, settings: WebPushSettings) -> Result<Self, reqwest::Error> {
        let mut builder = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("originchats/", env!("CARGO_PKG_VERSION")));
        if !settings.allow_private_endpoints {
            builder = builder.https_only(true).dns_resolver(PublicResolver { timeout: settings.timeout });
        }
        Ok(Self { key, settings, client: builder.build()? })
    }

    /// Parses and encrypts; `Err` says why this subscription cannot receive pushes.
    fn prepare(&self, subscription: &Subscription, message: &PushMessage) -> Result<Prepared, String> {
        let endpoint = parse_endpoint(&subscription.endpoint, self.settings.allow_private_endpoints)
            .map_err(|p| format!("endpoint refused ({p:?})"))?;
        let public = browser_key(&subscription.p256dh).ok_or("p256dh is not a P-256 public key")?;
        let auth = browser_auth(&subscription.auth).ok_or("auth is not 16 bytes")?;
        let payload = json!({"title": message.title, "body": message.body, "channelName": message.channel});
        let body = web_push_native::encrypt(payload.to_string().into_bytes(), &public, &auth)
            .map_err(|e| format!("encryption failed: {e}"))?;
        Ok(Prepared { endpoint, body })
    }

    /// One POST of a prepared push.
    async fn attempt(&self, key: &VapidKey, push: &Prepared) -> Next {
        let expires = now_secs() + JWT_LIFETIME.as_secs();
        let authorization = key.authorization(&push.endpoint.origin, &self.settings.subject, expires);
        let sent = self
            .client
            .post(push.endpoint.url.clone())
            .header("TTL", self.settings.ttl_seconds)
            .header("Urgency", URGENCY)
            .header(reqwest::header::CONTENT_ENCODING, "aes128gcm")
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .header(reqwest::header::AUTHORIZATION, authorization)
            .body(push.body.clone())
            .send()
            .await;
        let origin = &push.endpoint.origin;
        let response = match sent {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(endpoint = %origin, error = %e.without_url(), "push service unreachable");
                return Next::Retry(None);
            }
        };
        let status = response.status();
        match status {
            s if s.is_success() => Next::Done(Delivery::Delivered),
            StatusCode::NOT_FOUND | StatusCode::GONE => Next::Done(Delivery::Gone),
            StatusCode::TOO_MANY_REQUESTS => Next::Retry(retry_after(&response)),
            s if s.is_server_error() => Next::Retry(retry_after(&response)),
            StatusCode::PAYLOAD_TOO_LARGE => {
                tracing::warn!(endpoint = %origin, "push service refused the push as too large (413)");
                Next::Done(Delivery::Failed)
            }
            s => {
                // 400, 401 and 403 are what push services answer to a VAPID signature
                // they do not accept (a wrong subject or key).
                let detail = response.text().await.unwrap_or_default();
                let detail: String = detail.chars().take(200).collect();
                tracing::warn!(endpoint = %origin, status = %s, %detail, "push service refused the push");
                Next::Done(Delivery::Failed)
            }
        }
    }
}

#[async_trait]
impl Notifier for WebPush {
    fn public_key(&self) -> Option<String> {
        self.key.as_ref().map(|k| k.public_b64().to_owned())
    }

    async fn check(&self, subscription: &Subscription) -> Result<(), SubscriptionProblem> {
        let allow_private = self.settings.allow_private_endpoints;
        let endpoint = parse_endpoint(&subscription.endpoint, allow_private)?;
        endpoint.check_addresses(allow_private, self.settings.timeout).await?;
        browser_key(&subscription.p256dh).ok_or(SubscriptionProblem::BadP256dh)?;
        browser_auth(&subscription.auth).ok_or(SubscriptionProblem::BadAuth)?;
        Ok(())
    }

    async fn deliver(&self, subscription: &Subscription, message: &PushMessage) -> Delivery {
        let Some(key) = &self.key else { return Delivery::Failed };
        let push = match self.prepare(subscription, message) {
            Ok(p) => p,
            Err(why) => {
                let origin = reqwest::Url::parse(&subscription.endpoint).map(|u| u.origin().ascii_serialization());
                tracing::warn!(endpoint = %origin.unwrap_or_default(), %why, "push not sent");
                return Delivery::Failed;
            }
        };
        let mut wait = self.settings.backoff;
        for attempt in 1..=self.settings.attempts.max(1) {
            match self.attempt(key, &push).await {
                Next::Done(outcome) => return outcome,
                Next::Retry(asked) if attempt < self.settings.attempts => {
                    tokio::time::sleep(asked.unwrap_or(wait).max(wait).min(MAX_RETRY_WAIT)).await;
                    wait = (wait * 2).min(MAX_RETRY_WAIT);
                }
                Next::Retry(_) => {}
            }
        }
        tracing::warn!(endpoint = %push.endpoint.origin, attempts = self.settings.attempts, "push not delivered; giving up");
        Delivery::Failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_keys_are_checked() {
        let point = p256::SecretKey::from_slice(&[7u8; 32]).unwrap().public_key();
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        let uncompressed = point.to_encoded_point(false);
        let good = URL_SAFE_NO_PAD.encode(uncompressed.as_bytes());
        assert!(browser_key(&good).is_some());
        assert!(browser_key(&format!("{good}=")).is_some(), "padding is accepted");
        let compressed = URL_SAFE_NO_PAD.encode(point.to_encoded_point(true).as_bytes());
        assert!(browser_key(&compressed).is_none(), "33 bytes");
        let mut off_curve = uncompressed.as_bytes().to_vec();
        off_curve[64] ^= 1;
        assert!(browser_key(&URL_SAFE_NO_PAD.encode(&off_curve)).is_none(), "not on the curve");
        assert!(browser_key("BNcRdreALRFXTkOOUHK").is_none());
        assert!(browser_auth(&URL_SAFE_NO_PAD.encode([1u8; 16])).is_some());
        assert!(browser_auth(&URL_SAFE_NO_PAD.encode([1u8; 15])).is_none());
        assert!(browser_auth("not base64 !").is_none());
    }
}
