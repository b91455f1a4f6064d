//! Domain records ⇄ the JSON documents kept in the `data` columns. The same shapes as the
//! original's files (docs/design/import.md#original-layout), so imported records round-trip unchanged.

use domain::message::Interaction;
use domain::user::STATUSES;
use domain::{
    Channel, ChannelKind, Extras, MentionRule, Message, PermissionMap, Presence, Profile, RawJson, ReplyRef, Role,
    UserId,
};
use serde_json::{Map, Value, json};

/// Extras as a JSON object.
pub fn extras_object(extras: &Extras) -> Map<String, Value> {
    extras.iter().map(|(k, v)| (k.clone(), serde_json::from_str(&v.0).unwrap_or(Value::Null))).collect()
}

/// The entries of `map` not named in `known`, as extras.
pub fn extras_from(map: &Map<String, Value>, known: &[&str]) -> Extras {
    map.iter().filter(|(k, _)| !known.contains(&k.as_str())).map(|(k, v)| (k.clone(), RawJson(v.to_string()))).collect()
}

fn parse_object(text: &str) -> Map<String, Value> {
    match serde_json::from_str(text) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect(),
        _ => vec![],
    }
}

/// A role's record as the original stores it (everything but its name).
pub fn role_object(role: &Role) -> Map<String, Value> {
    let mut map = Map::new();
    if !role.id.is_empty() {
        map.insert("id".into(), json!(role.id));
    }
    if let Some(d) = &role.description {
        map.insert("description".into(), json!(d));
    }
    if let Some(c) = &role.color {
        map.insert("color".into(), json!(c));
    }
    map.extend(extras_object(&role.extra));
    map.insert("self_assignable".into(), json!(role.self_assignable));
    map.insert("position".into(), json!(role.position));
    map
}

/// The named permissions a role's `permissions` value grants: the strings of a list, or
/// the keys of an object whose value is neither `false` nor `null` (`mention_roles`, the
/// seed's key, grants nothing)
/// (docs/design/permissions.md#named-permissions).
pub fn granted_permissions(permissions: Option<&Value>) -> Vec<String> {
    match permissions {
        Some(Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect(),
        Some(Value::Object(o)) => o
            .iter()
            .filter(|(k, v)| k.as_str() != "mention_roles" && !matches!(v, Value::Bool(false) | Value::Null))
            .map(|(k, _)| k.clone())
            .collect(),
        _ => vec![],
    }
}

/// A role's stored document (everything but its name).
pub fn role_document(role: &Role) -> String {
    Value::Object(role_object(role)).to_string()
}

/// The `mention_roles` rule of a role's `permissions` object.
pub fn mention_rule(map: &Map<String, Value>) -> MentionRule {
    match map.get("permissions").and_then(|p| p.get("mention_roles")) {
        Some(Value::Bool(false)) => MentionRule::Nobody,
        Some(Value::String(r)) => MentionRule::Roles(vec![r.clone()]),
        Some(Value::Array(a)) => MentionRule::Roles(a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect()),
        _ => MentionRule::Everyone,
    }
}

/// A role from its name and stored object.
pub fn role_from_object(name: &str, map: &Map<String, Value>) -> Role {
    Role {
        name: name.to_owned(),
        description: map.get("description").and_then(Value::as_str).map(str::to_owned),
        color: map.get("color").and_then(Value::as_str).map(str::to_owned),
        mention: mention_rule(map),
        id: map.get("id").and_then(Value::as_str).unwrap_or_default().to_owned(),
        position: map.get("position").and_then(Value::as_i64).unwrap_or(0),
        self_assignable: map.get("self_assignable").and_then(Value::as_bool).unwrap_or(false),
        grants: granted_permissions(map.get("permissions")),
        extra: extras_from(map, &["description", "color", "id", "position", "self_assignable"]),
    }
}

/// A role from its name and stored document.
pub fn role_from_document(name: &str, text: &str) -> Role {
    role_from_object(name, &parse_object(text))
}

/// A channel's record as the original stores it; with `name` when `with_name`.
pub fn channel_object(c: &Channel, with_name: bool) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("type".into(), json!(c.kind.as_str()));
    if with_name {
        map.insert("name".into(), json!(c.name));
    }
    if let Some(p) = &c.permissions {
        map.insert("permissions".into(), permissions_json(p));
    }
    for (k, v) in extras_object(&c.extra) {
        map.entry(k).or_insert(v);
    }
    map
}

/// A channel's stored document (everything but its name).
pub fn channel_document(c: &Channel) -> String {
    Value::Object(channel_object(c, false)).to_string()
}

fn permissions_json(p: &PermissionMap) -> Value {
    Value::Object(p.0.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
}

/// A channel from its name and stored object (the original's channels.json entry).
pub fn channel_from_object(name: &str, map: &Map<String, Value>) -> Channel {
    let permissions = match map.get("permissions") {
        Some(Value::Object(p)) => {
            Some(PermissionMap(p.iter().map(|(k, v)| (k.clone(), string_list(Some(v)))).collect()))
        }
        _ => None,
    };
    Channel {
        name: name.to_owned(),
        kind: ChannelKind::parse(map.get("type").and_then(Value::as_str).unwrap_or("text")),
        permissions,
        extra: extras_from(map, &["type", "name", "permissions"]),
    }
}

/// A channel from its name and stored document.
pub fn channel_from_document(name: &str, text: &str) -> Channel {
    channel_from_object(name, &parse_object(text))
}

/// The optional parts of a message, as stored in its `data` column.
pub fn message_document(m: &Message) -> String {
    let mut map = Map::new();
    if let Some(r) = &m.reply_to {
        map.insert("reply_to".into(), json!({"id": r.id, "user": r.author.0}));
    }
    if let Some(p) = m.ping {
        map.insert("ping".into(), json!(p));
    }
    if m.edited {
        map.insert("edited".into(), json!(true));
    }
    if !m.reactions.is_empty() {
        let r: Map<String, Value> =
            m.reactions.iter().map(|(e, us)| (e.clone(), json!(us.iter().map(|u| &u.0).collect::<Vec<_>>()))).collect();
        map.insert("reactions".into(), Value::Object(r));
    }
    if let Some(i) = &m.interaction {
        map.insert("interaction".into(), json!({"command": i.command, "username": i.username}));
    }
    if !m.extra.is_empty() {
        map.insert("extra".into(), Value::Object(extras_object(&m.extra)));
    }
    Value::Object(map).to_string()
}

/// Fills the optional parts of a message from its `data` column.
pub fn apply_message_document(m: &mut Message, text: &str) {
    let map = parse_object(text);
    if let Some(Value::Object(r)) = map.get("reply_to") {
        let id = r.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
        let author = UserId(r.get("user").and_then(Value::as_str).unwrap_or_default().to_owned());
        m.reply_to = Some(ReplyRef { id, author });
    }
    m.ping = map.get("ping").and_then(Value::as_bool);
    m.edited = map.get("edited").and_then(Value::as_bool).unwrap_or(false);
    if let Some(Value::Object(r)) = map.get("reactions") {
        m.reactions = r
            .iter()
            .map(|(e, us)| (e.clone(), string_list(Some(us)).into_iter().map(UserId).collect::<Vec<_>>()))
            .filter(|(_, us)| !us.is_empty())
            .collect();
    }
    if let Some(Value::Object(i)) = map.get("interaction") {
        let field = |k: &str| i.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        m.interaction = Some(Interaction { command: field("command"), username: field("username") });
    }
    if let Some(Value::Object(x)) = map.get("extra") {
        m.extra = extras_from(x, &[]);
    }
}

/// Extras of a user record as a document.
pub fn extras_document(extras: &Extras) -> String {
    Value::Object(extras_object(extras)).to_string()
}

/// Takes the keys the original keeps a user's nickname and status under (`nickname`,
/// `status` as `{"status","text"}`) out of the record's extras, when they hold what this
/// server understands; anything else stays an extra key.
pub fn take_profile(extra: &mut Extras) -> Profile {
    let mut profile = Profile::default();
    extra.retain(|(k, v)| {
        let value: Value = serde_json::from_str(&v.0).unwrap_or(Value::Null);
        match (k.as_str(), &value) {
            ("nickname", Value::String(n)) => {
                profile.nickname = Some(n.clone());
                false
            }
            ("nickname", Value::Null) => false,
            ("status", Value::Object(o)) => {
                let status = o.get("status").and_then(Value::as_str).filter(|s| STATUSES.contains(s));
                let text = match o.get("text") {
                    None | Some(Value::Null) => Some(""),
                    Some(t) => t.as_str(),
                };
                match (status, text) {
                    (Some(status), Some(text)) => {
                        profile.status = Some(Presence { status: status.into(), text: text.into() });
                        false
                    }
                    _ => true,
                }
            }
            _ => true,
        }
    });
    profile
}

/// A user's extras with its nickname and status put back under the original's keys.
pub fn extras_with_profile(extra: &Extras, profile: &Profile) -> Extras {
    let mut out = extra.clone();
    if let Some(n) = &profile.nickname {
        out.push(("nickname".into(), RawJson(json!(n).to_string())));
    }
    if let Some(p) = &profile.status {
        out.push(("status".into(), RawJson(json!({"status": p.status, "text": p.text}).to_string())));
    }
    out
}

/// Extras from a document.
pub fn extras_from_document(text: &str) -> Extras {
    extras_from(&parse_object(text), &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_documents_round_trip() {
        let mut m = Message::new("id".into(), UserId("u".into()), "hi".into(), 1.5);
        m.reply_to = Some(ReplyRef { id: "p".into(), author: UserId("v".into()) });
        m.ping = Some(false);
        m.edited = true;
        m.add_reaction("👍", &UserId("u".into()));
        m.add_reaction("🎉", &UserId("v".into()));
        m.extra = vec![("thread_id".into(), RawJson("\"t1\"".into()))];
        let mut back = Message::new("id".into(), UserId("u".into()), "hi".into(), 1.5);
        apply_message_document(&mut back, &message_document(&m));
        assert_eq!(back, m);
    }

    #[test]
    fn channel_and_role_documents_round_trip() {
        let c = domain::channel::default_channels().remove(0);
        assert_eq!(channel_from_document(&c.name, &channel_document(&c)), c);
        for r in domain::role::default_roles() {
            assert_eq!(role_from_document(&r.name, &role_document(&r)), r);
        }
        let r = role_from_document("x", r#"{"permissions":{"mention_roles":["a"]},"hoisted":true}"#);
        assert_eq!(r.mention, MentionRule::Roles(vec!["a".into()]));
    }
}
