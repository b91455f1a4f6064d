//! Web Push at start-up (docs/push.md): the VAPID keys in `push.vapid_dir` (generated on
//! the first start, in the original's layout), the subject, and the notifier.

use std::sync::Arc;

use application::ports::{NoNotifier, Notifier};
use webpush::{WebPush, WebPushSettings};

use crate::config::{Config, usable_subject};

/// The subject used when neither `push.subject` nor `vapid_config.json` names one.
pub const FALLBACK_SUBJECT: &str = "mailto:admin@localhost";

/// The VAPID subject: `push.subject`, else the `claims_email` of `vapid_config.json` (as
/// the original), else [`FALLBACK_SUBJECT`] with a warning. The original's unfinished
/// default `"mailto:"` names no one and counts as absent.
pub fn subject(configured: Option<&str>, claims_email: Option<&str>) -> (String, Option<String>) {
    if let Some(s) = configured {
        return (s.trim().to_owned(), None);
    }
    match claims_email.filter(|c| usable_subject(c)) {
        Some(c) => (c.trim().to_owned(), None),
        None => (
            FALLBACK_SUBJECT.to_owned(),
            Some(format!(
                "push.subject is not set and vapid/vapid_config.json names no usable claims_email; push services \
                 are told {FALLBACK_SUBJECT}: set push.subject to a mailto: address or https: URL that reaches you"
            )),
        ),
    }
}

/// The key under which a cluster keeps its VAPID private key (PEM) and `claims_email` in
/// NATS, as JSON.
const CLUSTER_KEY: &str = "vapid";

/// In a cluster every node must sign with the key the browsers subscribed with, so the
/// nodes agree on one (docs/scaling.md#web-push). A node without a key of its own takes the
/// cluster's when there is one. Otherwise the first node to start offers the key in its
/// `push.vapid_dir` (generated there if missing, or imported from the original) with the
/// `claims_email` of its `vapid_config.json`, and every other node puts them in its own
/// folder, keeping a different key it had beside it.
pub async fn agree_on_key(cfg: &Config, cluster: &crate::cluster::Joined) {
    if !cfg.app.push.enabled {
        return;
    }
    let dir = &cfg.push.vapid_dir;
    if !dir.join(webpush::vapid::PRIVATE_KEY_FILE).exists() {
        match cluster.agreed(CLUSTER_KEY).await {
            Ok(Some(entry)) => return take(dir, &entry, None),
            Ok(None) => {}
            Err(e) => {
                return tracing::error!(error = %e, "push: the cluster's VAPID key is unknown; this node uses its own");
            }
        }
    }
    let own = match webpush::load_or_generate(dir) {
        Ok(files) => files,
        Err(e) => {
            tracing::error!(error = %e, "push: this node's VAPID key cannot be used; not offering it to the cluster");
            return;
        }
    };
    let pem = match std::fs::read_to_string(dir.join(webpush::vapid::PRIVATE_KEY_FILE)) {
        Ok(pem) => pem,
        Err(e) => return tracing::error!(error = %e, "push: reading this node's VAPID key"),
    };
    let claims = own.claims_email.filter(|c| usable_subject(c));
    let offer = serde_json::json!({"private_key_pem": pem, "claims_email": claims});
    match cluster.agree(CLUSTER_KEY, offer.to_string().into_bytes()).await {
        Ok(entry) => take(dir, &entry, Some((own.key.public_b64(), claims.as_deref()))),
        Err(e) => tracing::error!(error = %e, "push: the cluster's VAPID key is unknown; this node uses its own"),
    }
}

/// Puts the cluster's key and subject (`entry`) in `dir` unless they are this node's own
/// (`own`: public key and usable `claims_email`).
fn take(dir: &std::path::Path, entry: &[u8], own: Option<(&str, Option<&str>)>) {
    let entry = serde_json::from_slice::<serde_json::Value>(entry).unwrap_or_default();
    let (Some(pem), claims) = (entry["private_key_pem"].as_str(), entry["claims_email"].as_str()) else {
        return tracing::error!("push: the cluster's VAPID entry is unusable; this node uses its own");
    };
    let key = match webpush::VapidKey::parse(pem) {
        Ok(key) => key,
        Err(reason) => {
            return tracing::error!(reason, "push: the cluster's VAPID key is unusable; this node uses its own");
        }
    };
    if own == Some((key.public_b64(), claims)) {
        return;
    }
    match webpush::adopt_key(dir, pem, claims) {
        Ok(kept) => tracing::warn!(
            public_key = %key.public_b64(),
            kept = ?kept.map(|p| p.display().to_string()),
            "push: this node signs with the cluster's VAPID key and subject (a different key of its own is kept as `kept`)"
        ),
        Err(e) => tracing::error!(error = %e, "push: the cluster's VAPID key could not be stored"),
    }
}

/// The notifier `cfg` asks for: Web Push with the VAPID keys of `push.vapid_dir`, or none
/// when push is off or the keys cannot be used (logged; `push_get_vapid` then answers
/// that no keys are configured).
pub fn notifier(cfg: &Config) -> Arc<dyn Notifier> {
    if !cfg.app.push.enabled {
        tracing::info!("push.enabled is false: no Web Push");
        return Arc::new(NoNotifier);
    }
    let dir = &cfg.push.vapid_dir;
    let files = match webpush::load_or_generate(dir) {
        Ok(files) => files,
        Err(e) => {
            tracing::error!(error = %e, "push: the VAPID keys cannot be used; push notifications are off");
            return Arc::new(NoNotifier);
        }
    };
    if files.generated {
        tracing::warn!(dir = %dir.display(), public_key = %files.key.public_b64(), "push: generated a new VAPID key pair");
    }
    for note in &files.notes {
        tracing::warn!("push: {note}");
    }
    let (subject, warning) = subject(cfg.push.subject.as_deref(), files.claims_email.as_deref());
    if let Some(w) = warning {
        tracing::warn!("{w}");
    }
    let settings = WebPushSettings {
        subject,
        ttl_seconds: cfg.push.ttl_seconds,
        allow_private_endpoints: cfg.push.allow_private_endpoints,
        timeout: cfg.push.timeout,
        ..WebPushSettings::default()
    };
    if settings.allow_private_endpoints {
        tracing::warn!(
            "push.allow_private_endpoints is true: pushes may go to private and loopback addresses (tests only)"
        );
    }
    match WebPush::new(Some(files.key), settings) {
        Ok(push) => Arc::new(push),
        Err(e) => {
            tracing::error!(error = %e, "push: the HTTP client cannot be built; push notifications are off");
            Arc::new(NoNotifier)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subject_comes_from_the_config_then_the_key_folder() {
        assert_eq!(subject(Some("mailto:ops@example.com"), Some("mailto:a@b.c")).0, "mailto:ops@example.com");
        assert_eq!(subject(None, Some("mailto:a@b.c")), ("mailto:a@b.c".to_owned(), None));
        assert_eq!(subject(None, Some("https://chat.example")).0, "https://chat.example");
        for unusable in [None, Some("mailto:"), Some(""), Some("admin")] {
            let (s, warning) = subject(None, unusable);
            assert_eq!(s, FALLBACK_SUBJECT);
            assert!(warning.is_some_and(|w| w.contains("push.subject")), "{unusable:?}");
        }
    }
}
