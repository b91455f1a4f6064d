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
