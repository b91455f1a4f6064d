//! Role commands.

use application::errors::RoleError;
use application::services::{RoleChanges, RolePermissions};
use domain::RawJson;
use serde_json::Value;

use super::{commands, handler};
use crate::records::{granted_permissions, mention_rule};
use crate::request::Request;

commands!(
    roles_list,
    role_create,
    role_update,
    role_delete,
    role_permissions_set,
    role_permissions_get,
    role_reorder,
    self_roles_list,
    self_role_add,
    self_role_remove,
);

/// Most names a role's `permissions` list may hold, and the longest name.
const MAX_PERMISSION_NAMES: usize = 64;
const MAX_PERMISSION_NAME_LEN: usize = 64;

/// The `name` field.
fn name(req: &Request) -> Result<String, RoleError> {
    req.text("name").ok_or(RoleError::RoleNameRequired)
}

/// A `permissions` value with what it implies.
fn role_permissions(value: &Value) -> RolePermissions {
    let mut wrapper = serde_json::Map::new();
    wrapper.insert("permissions".into(), value.clone());
    RolePermissions {
        raw: RawJson(value.to_string()),
        mention: mention_rule(&wrapper),
        grants: granted_permissions(Some(value)),
    }
}

/// A `permissions` object; `None` when not an object.
fn permissions_object(req: &Request) -> Option<RolePermissions> {
    req.get("permissions").filter(|v| v.is_object()).map(role_permissions)
}

/// `permissions` as `role_create` / `role_update` take it: an object (the original's
/// shape) or a list of named permissions; other types are ignored.
fn permissions(req: &Request) -> Option<Result<RolePermissions, RoleError>> {
    match req.get("permissions")? {
        v @ Value::Object(_) => Some(Ok(role_permissions(v))),
        v @ Value::Array(list) => {
            let names_ok = list.len() <= MAX_PERMISSION_NAMES
                && list.iter().all(|x| x.as_str().is_some_and(|s| !s.is_empty() && s.len() <= MAX_PERMISSION_NAME_LEN));
            Some(if names_ok { Ok(role_permissions(v)) } else { Err(RoleError::InvalidPermissionList) })
        }
        _ => None,
    }
}

/// `self_assignable` when a boolean.
fn self_assignable(req: &Request) -> Option<bool> {
    req.get("self_assignable").and_then(Value::as_bool)
}

/// `category` when a string or `null`.
fn category(req: &Request) -> Option<RawJson> {
    req.get("category").filter(|v| v.is_string() || v.is_null()).map(|v| RawJson(v.to_string()))
}

/// Whether a `permissions` value is truthy (a non-empty object or list).
fn truthy(p: &Result<RolePermissions, RoleError>) -> bool {
    p.as_ref().map_or(true, |p| p.raw.0 != "{}" && p.raw.0 != "[]")
}

/// `role_create`: description, color and permissions only when truthy; hoisted when not null.
fn creation(req: &Request) -> RoleChanges {
    RoleChanges {
        description: req.text("description").map(Some),
        color: req.text("color").map(Some),
        hoisted: req.get("hoisted").filter(|v| !v.is_null()).map(|v| RawJson(v.to_string())),
        permissions: permissions(req).filter(truthy),
        self_assignable: self_assignable(req),
        category: category(req),
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
        self_assignable: self_assignable(req),
        category: category(req),
    }
}

/// `role_reorder`'s `roles`: a non-empty list of strings.
fn order(req: &Request) -> Result<Vec<String>, RoleError> {
    match req.get("roles") {
        Some(Value::Array(a)) if !a.is_empty() => a
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or(RoleError::RolesArrayRequired),
        _ => Err(RoleError::RolesArrayRequired),
    }
}

/// The `role` field of the self-role commands.
fn role(req: &Request) -> Result<String, RoleError> {
    req.text("role").ok_or(RoleError::RoleNameRequired)
}

handler!(roles_list(app, _session, _req) { app.community.roles_list().await });

handler!(role_create(app, session, req) { app.community.create_role(session, name(req), creation(req)).await });

handler!(role_update(app, session, req) { app.community.update_role(session, name(req), update(req)).await });

handler!(role_delete(app, session, req) { app.community.delete_role(session, name(req)).await });

handler!(role_permissions_set(app, session, req) {
    let permissions = permissions_object(req).ok_or(RoleError::PermissionsNotObject);
    app.community.set_role_permissions(session, name(req), permissions).await
});

handler!(role_permissions_get(app, _session, req) { app.community.role_permissions(name(req)).await });

handler!(role_reorder(app, session, req) { app.community.reorder_roles(session, order(req)).await });

handler!(self_roles_list(app, session, _req) { app.community.self_roles_list(session).await });

handler!(self_role_add(app, session, req) { app.community.self_role(session, role(req), true).await });

handler!(self_role_remove(app, session, req) { app.community.self_role(session, role(req), false).await });
