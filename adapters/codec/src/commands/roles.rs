//! Role commands.

use application::errors::RoleError;
use application::services::RoleChanges;
use domain::{MentionRule, RawJson};
use serde_json::Value;

use super::{commands, handler};
use crate::records::mention_rule;
use crate::request::Request;

commands!(roles_list, role_create, role_update, role_delete, role_permissions_set, role_permissions_get);

/// The `name` field.
fn name(req: &Request) -> Result<String, RoleError> {
    req.text("name").ok_or(RoleError::RoleNameRequired)
}

/// A `permissions` object with the mention rule it implies; `None` when not an object.
fn permissions(req: &Request) -> Option<(RawJson, MentionRule)> {
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

handler!(roles_list(app, _session, _req) { app.community.roles_list().await });

handler!(role_create(app, session, req) { app.community.create_role(session, name(req), creation(req)).await });

handler!(role_update(app, session, req) { app.community.update_role(session, name(req), update(req)).await });

handler!(role_delete(app, session, req) { app.community.delete_role(session, name(req)).await });

handler!(role_permissions_set(app, session, req) {
    let permissions = permissions(req).ok_or(RoleError::PermissionsNotObject);
    app.community.set_role_permissions(session, name(req), permissions).await
});

handler!(role_permissions_get(app, _session, req) { app.community.role_permissions(name(req)).await });
