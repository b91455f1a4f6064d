//! users.json, roles.json and channels.json of the original (docs/design/import.md#original-layout).
//!
//! These three files are the spine of an import: one that is not JSON of the right shape
//! aborts the whole import (docs/design/import.md#what-aborts). Inside a file that parses, single records
//! that cannot be used are skipped and reported.

use std::collections::HashSet;

use domain::{Channel, Role, User, UserId};
use serde_json::{Map, Value};

use application::import::Issue;
use codec::records::{channel_from_object, extras_from, role_from_object};

/// Strips a UTF-8 byte-order mark, which hand-edited files sometimes carry.
pub(crate) fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// The JSON type of a value, for messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn parse(bytes: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(without_bom(bytes)).map_err(|e| format!("not valid JSON ({e})"))
}

fn object(bytes: &[u8], what: &str) -> Result<Map<String, Value>, String> {
    match parse(bytes)? {
        Value::Object(m) => Ok(m),
        other => Err(format!("expected a JSON object of {what}, found {}", type_name(&other))),
    }
}

/// Parses users.json: an object of user id → record. Legacy records keyed by username and
/// records without `username` or `roles` are kept as they are (the server shows the id of
/// a user without a username, as the original does).
pub fn parse_users(file: &str, bytes: &[u8], issues: &mut Vec<Issue>) -> Result<Vec<User>, String> {
    let map = object(bytes, "user records")?;
    let mut users = Vec::with_capacity(map.len());
    for (id, record) in map {
        let Value::Object(rec) = record else {
            issues.push(Issue::key(file, &id, format!("not a user record ({}); skipped", type_name(&record))));
            continue;
        };
        if id.trim().is_empty() {
            issues.push(Issue::key(file, &id, "empty user id; skipped"));
            continue;
        }
        let username = match rec.get("username") {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            None | Some(Value::Null) => None,
            Some(other) => {
                issues.push(Issue::key(file, &id, format!("`username` is {}; imported without one", type_name(other))));
                None
            }
        };
        let roles = match rec.get("roles") {
            Some(Value::Array(a)) => {
                let names: Vec<String> = a.iter().filter_map(|r| r.as_str().map(str::to_owned)).collect();
                if names.len() != a.len() {
                    issues.push(Issue::key(file, &id, "`roles` holds entries that are not text; they were dropped"));
                }
                names
            }
            None | Some(Value::Null) => vec![],
            Some(other) => {
                issues.push(Issue::key(file, &id, format!("`roles` is {}; imported without roles", type_name(other))));
                vec![]
            }
        };
        let validator = rec.get("validator").and_then(Value::as_str).map(str::to_owned);
        let mut extra = extras_from(&rec, &["username", "roles", "validator"]);
        let profile = codec::records::take_profile(&mut extra);
        users.push(User { id: UserId(id), username, roles, validator, extra, timeout_until: None, profile });
    }
    Ok(users)
}

/// Notes what of a role's hierarchy fields (`id`, `position`, `self_assignable`,
/// `permissions`) could not be read (docs/design/import.md#roles).
fn check_role_fields(file: &str, name: &str, rec: &Map<String, Value>, issues: &mut Vec<Issue>) {
    let mut note = |what: &str, v: &Value| {
        issues.push(Issue::key(file, name, format!("`{what}` is {}; ignored", type_name(v))));
    };
    match rec.get("id") {
        Some(Value::String(_)) | None => {}
        Some(v) => note("id", v),
    }
    match rec.get("position") {
        Some(v) if v.as_i64().is_none() => note("position", v),
        _ => {}
    }
    match rec.get("self_assignable") {
        Some(Value::Bool(_)) | None => {}
        Some(v) => note("self_assignable", v),
    }
    if let Some(Value::Array(list)) = rec.get("permissions")
        && list.iter().any(|p| !p.is_string())
    {
        issues.push(Issue::key(file, name, "`permissions` holds entries that are not text; they grant nothing"));
    }
}

/// Gives roles without a numeric `position` their place in file order (all of them, so
/// that the order stays the file's), and roles without an `id` one derived from their
/// name (the same on every import; names are unique).
fn complete_hierarchy(file: &str, roles: &mut [Role], positioned: usize, issues: &mut Vec<Issue>) {
    if positioned < roles.len() {
        if positioned > 0 {
            let why = "not every role has a numeric `position`; all positions follow the file's order";
            issues.push(Issue::key(file, "*", why));
        }
        for (i, r) in roles.iter_mut().enumerate() {
            r.position = i as i64;
        }
    }
    for r in roles.iter_mut().filter(|r| r.id.is_empty()) {
        r.id = derived_id(&r.name);
    }
}

/// A stable id for a role record that has none: two FNV-1a hashes of its name.
fn derived_id(name: &str) -> String {
    let fnv = |seed: u64| name.bytes().fold(seed, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3));
    format!("imported-{:016x}{:016x}", fnv(0xcbf29ce484222325), fnv(0x84222325cbf29ce4))
}

/// Parses roles.json: an object of role name → record, in creation order.
pub fn parse_roles(file: &str, bytes: &[u8], issues: &mut Vec<Issue>) -> Result<Vec<Role>, String> {
    let map = object(bytes, "role records")?;
    let mut roles = Vec::with_capacity(map.len());
    let mut positioned = 0;
    for (name, record) in map {
        match record {
            Value::Object(rec) if !name.is_empty() => {
                check_role_fields(file, &name, &rec, issues);
                positioned += usize::from(rec.get("position").and_then(Value::as_i64).is_some());
                roles.push(role_from_object(&name, &rec))
            }
            Value::Object(_) => issues.push(Issue::key(file, &name, "empty role name; skipped")),
            other => {
                issues.push(Issue::key(file, &name, format!("not a role record ({}); skipped", type_name(&other))))
            }
        }
    }
    complete_hierarchy(file, &mut roles, positioned, issues);
    Ok(roles)
}

/// Parses channels.json: an array of channel objects in display order.
pub fn parse_channels(file: &str, bytes: &[u8], issues: &mut Vec<Issue>) -> Result<Vec<Channel>, String> {
    let list = match parse(bytes)? {
        Value::Array(a) => a,
        other => return Err(format!("expected a JSON array of channels, found {}", type_name(&other))),
    };
    let mut seen = HashSet::new();
    let mut channels = Vec::with_capacity(list.len());
    for (i, entry) in list.into_iter().enumerate() {
        let n = i + 1;
        let Value::Object(rec) = entry else {
            issues.push(Issue::entry(file, n, format!("not a channel object ({}); skipped", type_name(&entry))));
            continue;
        };
        let Some(name) = rec.get("name").and_then(Value::as_str).filter(|s| !s.is_empty()) else {
            issues.push(Issue::entry(file, n, "channel without a `name`; skipped"));
            continue;
        };
        if !seen.insert(name.to_owned()) {
            issues.push(Issue::entry(file, n, format!("second channel named {name:?}; skipped")));
            continue;
        }
        channels.push(channel_from_object(name, &rec));
    }
    Ok(channels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_keep_legacy_and_partial_records() {
        let text = br#"{
            "USR:1": {"roles": ["owner", "user"], "username": "alice", "validator": "v", "nickname": "Al"},
            "bob": {"roles": ["user"]},
            "USR:3": {"username": "carol"},
            "USR:4": "garbage",
            "USR:5": {"roles": ["user", 5], "username": 7}
        }"#;
        let mut issues = vec![];
        let users = parse_users("db/users.json", text, &mut issues).unwrap();
        assert_eq!(users.len(), 4);
        assert_eq!(users[0].username.as_deref(), Some("alice"));
        assert_eq!(users[0].validator.as_deref(), Some("v"));
        assert_eq!(users[0].extra.len(), 0, "the nickname is the profile's, not an extra key");
        assert_eq!(users[0].profile.nickname.as_deref(), Some("Al"));
        assert_eq!(users[1].id.0, "bob");
        assert_eq!(users[1].username, None);
        assert_eq!(users[1].display_name(), "bob");
        assert!(users[2].roles.is_empty());
        assert_eq!(users[3].roles, vec!["user".to_string()]);
        assert_eq!(users[3].username, None);
        let shown: Vec<String> = issues.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 3, "{shown:?}");
        assert!(shown[0].starts_with("db/users.json [key \"USR:4\"]"), "{shown:?}");
    }

    #[test]
    fn unparsable_spine_files_are_errors() {
        let mut issues = vec![];
        assert!(parse_users("u", b"{\"a\": ", &mut issues).unwrap_err().contains("not valid JSON"));
        assert!(parse_users("u", b"[]", &mut issues).unwrap_err().contains("found an array"));
        assert!(parse_roles("r", b"", &mut issues).is_err());
        assert!(parse_channels("c", b"{}", &mut issues).unwrap_err().contains("found an object"));
        assert!(issues.is_empty());
        assert!(parse_users("u", b"\xEF\xBB\xBF{}", &mut issues).unwrap().is_empty());
    }

    #[test]
    fn channels_keep_order_and_skip_unusable_entries() {
        let text = br#"[{"type":"text","name":"general","permissions":{"view":["user"]}},
            {"type":"separator","size":10},
            5,
            {"type":"voice","name":"talk","display_name":"Talk"},
            {"type":"text","name":"general"}]"#;
        let mut issues = vec![];
        let ch = parse_channels("db/channels.json", text, &mut issues).unwrap();
        assert_eq!(ch.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["general", "talk"]);
        assert_eq!(ch[1].extra.len(), 1);
        let at: Vec<_> = issues.iter().map(|i| i.location.clone()).collect();
        assert_eq!(
            at,
            [
                application::import::Location::Entry(2),
                application::import::Location::Entry(3),
                application::import::Location::Entry(5)
            ]
        );
    }

    #[test]
    fn roles_keep_order_and_unknown_keys() {
        let text = br##"{"owner": {"color": "#9400D3"}, "bot": {"hoisted": true, "permissions": {"mention_roles": false}}, "x": []}"##;
        let mut issues = vec![];
        let roles = parse_roles("db/roles.json", text, &mut issues).unwrap();
        assert_eq!(roles.len(), 2);
        assert_eq!(roles[1].mention, domain::MentionRule::Nobody);
        assert_eq!(issues.len(), 1);
        assert_eq!(roles.iter().map(|r| r.position).collect::<Vec<_>>(), [0, 1], "file order");
        assert!(roles.iter().all(|r| r.id.starts_with("imported-")));
        assert_ne!(roles[0].id, roles[1].id);
    }

    #[test]
    fn roles_of_a_later_server_keep_their_hierarchy_fields() {
        let text = br##"{
            "owner": {"id": "u-1", "position": 0, "permissions": ["administrator"], "self_assignable": false},
            "user": {"id": "u-2", "position": 2, "permissions": ["send_messages"]},
            "gamer": {"id": "u-3", "position": 1, "permissions": ["manage_messages", 5], "self_assignable": true,
                      "category": "Games"},
            "odd": {"position": "top", "self_assignable": "yes", "id": 7}
        }"##;
        let mut issues = vec![];
        let roles = parse_roles("db/roles.json", text, &mut issues).unwrap();
        let by = |n: &str| roles.iter().find(|r| r.name == n).unwrap().clone();
        assert_eq!((by("gamer").id.as_str(), by("gamer").position, by("gamer").self_assignable), ("u-3", 2, true));
        assert_eq!(by("gamer").grants, ["manage_messages"]);
        assert_eq!(by("owner").grants, ["administrator"]);
        let texts: Vec<String> = issues.iter().map(|i| i.message.clone()).collect();
        assert!(texts.iter().any(|t| t.contains("`permissions` holds entries that are not text")), "{texts:?}");
        assert!(texts.iter().any(|t| t.contains("`position` is a string; ignored")), "{texts:?}");
        assert!(texts.iter().any(|t| t.contains("`self_assignable` is a string; ignored")), "{texts:?}");
        assert!(texts.iter().any(|t| t.contains("`id` is a number; ignored")), "{texts:?}");
        assert!(texts.iter().any(|t| t.contains("positions follow the file's order")), "{texts:?}");
        assert_eq!(roles.iter().map(|r| r.position).collect::<Vec<_>>(), [0, 1, 2, 3], "mixed: file order");
        assert!(by("odd").id.starts_with("imported-"));
    }
}
