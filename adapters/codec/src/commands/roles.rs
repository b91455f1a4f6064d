//! Role commands.

use application::usecases::RoleChanges;
use domain::RawJson;
use serde_json::Value;

use super::handler;
use crate::records::mention_rule;
use crate::request::Request;

/// A `permissions` object with the mention rule it implies; `None` when not an object.
fn permissions(req: &Request) -> Option<(RawJson, domain::MentionRule)> {
    let obj = req.get("permissions")?.as_object()?;
    let mut wrapper = serde_json::Map::new();
    wrapper.insert("permissions".into(), Value::Object(obj.clone()));
    Some((RawJson(Value::Object(obj.clone()).to_string()), mention_rule(&wrapper)))
}

/// `role_create`: description, color and permissions only when truthy; hoisted when not null.
fn creation(req: &Request) -> RoleChanges {
    RoleChanges {
        description: req.text("description").map(Some),
        color: req.text("color").map(Some),
        hoisted: req.get("hoisted").filter(|v| !v.is_null()).map(|v| RawJson(v.to_string())),
        permissions: permissions(req).filter(|(raw, _)| raw.0 != "{}"),
    }
}

/// `role_update`: description and hoisted when not null; `color: null` removes the colour.
fn update(req: &Request) -> RoleChanges {
    RoleChanges {
        description: req.get("description").and_then(Value::as_str).map(|d| Some(d.to_owned())),
        color: match req.get("color") {
            Some(Value::Null) => Some(None),
            Some(Value::String(c)) => Some(Some(c.clone())),
            _ => None,
        },
        hoisted: req.get("hoisted").filter(|v| !v.is_null()).map(|v| RawJson(v.to_string())),
        permissions: permissions(req),
    }
}

handler!(roles_list(app, _session, _req) { app.roles_list().await });

handler!(role_create(app, session, req) { app.create_role(session, req.text("name"), creation(req)).await });

handler!(role_update(app, session, req) { app.update_role(session, req.text("name"), update(req)).await });

handler!(role_delete(app, session, req) { app.delete_role(session, req.text("name")).await });

handler!(role_permissions_set(app, session, req) {
    app.set_role_permissions(session, req.text("name"), permissions(req)).await
});

handler!(role_permissions_get(app, _session, req) { app.role_permissions(req.text("name")).await });
