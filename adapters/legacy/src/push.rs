//! Web Push subscriptions of the original: `db/push_subscriptions.json`, an object of
//! lower-cased username → list of `{endpoint, p256dh, auth, …}` (docs/design/import.md#push-subscriptions).
//!
//! The file is not part of the import's spine: when it cannot be parsed it is reported
//! and no subscriptions are imported. Entries without an endpoint or keys are skipped.
//! The usernames are mapped to user ids when the rows are written (docs/design/import.md#push-subscriptions).

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::records::{type_name, without_bom};
use application::import::{Issue, SnapshotPush};
use codec::records::extras_from;

fn key<'a>(entry: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    let direct = entry.get(name).and_then(Value::as_str);
    let nested = || entry.get("keys").and_then(|k| k.get(name)).and_then(Value::as_str);
    direct.or_else(nested).filter(|s| !s.is_empty())
}

/// Reads `db/push_subscriptions.json`.
pub fn parse_push(file: &str, bytes: &[u8], issues: &mut Vec<Issue>) -> Vec<SnapshotPush> {
    let map = match serde_json::from_slice::<Value>(without_bom(bytes)) {
        Ok(Value::Object(m)) => m,
        Ok(other) => {
            let msg = format!("expected an object, found {}; no push subscriptions imported", type_name(&other));
            issues.push(Issue::file(file, msg));
            return vec![];
        }
        Err(e) => {
            issues.push(Issue::file(file, format!("not valid JSON ({e}); no push subscriptions imported")));
            return vec![];
        }
    };
    let mut out = Vec::new();
    for (username, list) in &map {
        let Value::Array(entries) = list else {
            issues.push(Issue::key(file, username, format!("not a list ({}); skipped", type_name(list))));
            continue;
        };
        let mut endpoints = HashSet::new();
        for (i, entry) in entries.iter().enumerate() {
            let n = i + 1;
            let fields = entry.as_object().map(|e| (key(e, "endpoint"), key(e, "p256dh"), key(e, "auth"), e));
            let Some((Some(endpoint), Some(p256dh), Some(auth), e)) = fields else {
                let msg = format!("subscription {n} lacks endpoint, p256dh or auth; skipped");
                issues.push(Issue::key(file, username, msg));
                continue;
            };
            if !endpoints.insert(endpoint.to_owned()) {
                issues.push(Issue::key(file, username, format!("subscription {n} repeats an endpoint; skipped")));
                continue;
            }
            out.push(SnapshotPush {
                username_lower: username.to_lowercase(),
                endpoint: endpoint.to_owned(),
                p256dh: p256dh.to_owned(),
                auth: auth.to_owned(),
                extra: extras_from(e, &["endpoint", "p256dh", "auth", "keys"]),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_are_read_per_username() {
        let text = br#"{"alice": [{"endpoint": "https://p/1", "p256dh": "K", "auth": "A", "last_used": 5},
                                 {"endpoint": "https://p/2", "keys": {"p256dh": "K2", "auth": "A2"}},
                                 {"endpoint": "https://p/1", "p256dh": "K", "auth": "A"},
                                 {"endpoint": "https://p/3"}],
                        "Bob": [],
                        "carol": {}}"#;
        let mut issues = vec![];
        let subs = parse_push("db/push_subscriptions.json", text, &mut issues);
        assert_eq!(subs.len(), 2);
        assert_eq!(subs[0].extra.len(), 1);
        assert_eq!(subs[1].p256dh, "K2");
        assert_eq!(issues.len(), 3, "{issues:#?}");
        assert!(parse_push("f", b"nope", &mut issues).is_empty());
        assert_eq!(issues.len(), 4);
    }
}
