//! User and moderation commands, and rate-limit status.

use application::errors::UserError;
use application::services::{MAX_NICKNAME, MAX_STATUS_TEXT, TimeoutRequest, UserUpdate};
use domain::Presence;
use domain::RawJson;
use domain::user::STATUSES;
use serde_json::Value;

use super::{commands, handler, origin};
use crate::request::Request;

commands!(
    users_list,
    users_online,
    users_banned_list,
    user_ban,
    user_unban,
    user_timeout,
    user_leave,
    user_roles_add,
    user_roles_remove,
    user_roles_get,
    user_roles_set,
    rate_limit_status,
    rate_limit_reset,
    status_set,
    status_get,
    user_update,
    user_delete,
);

/// The `user` field (a username or an id).
fn target(req: &Request) -> Result<String, UserError> {
    req.text("user").ok_or(UserError::UserParameterRequired)
}

/// A non-empty `roles` list of strings (non-strings skipped).
fn role_list(req: &Request) -> Result<Vec<String>, UserError> {
    match req.get("roles") {
        Some(Value::Array(a)) => Some(a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect::<Vec<_>>()),
        _ => None,
    }
    .filter(|roles| !roles.is_empty())
    .ok_or(UserError::RolesListRequired)
}

/// `timeout` in seconds: falsy values are "not provided" as in the original, except the
/// integer 0, which clears a timeout.
fn seconds(req: &Request) -> Result<i64, UserError> {
    match req.get("timeout") {
        Some(Value::Number(n)) if n.as_i64() == Some(0) => Ok(0),
        _ if req.truthy("timeout") != Some(true) => Err(UserError::TimeoutRequired),
        _ => match req.int("timeout") {
            Ok(Some(n)) if n >= 0 => Ok(n),
            _ => Err(UserError::TimeoutInvalid),
        },
    }
}

handler!(users_list(app, _session, _req) { app.community.users_list().await });

handler!(users_online(app, _session, _req) { app.community.users_online().await });

handler!(users_banned_list(app, session, _req) { app.community.users_banned_list(session).await });

handler!(user_ban(app, session, req) { app.community.ban(session, target(req)).await });

handler!(user_unban(app, session, req) { app.community.unban(session, target(req)).await });

handler!(user_timeout(app, session, req) {
    let echo = RawJson(req.get("user").unwrap_or(&Value::Null).to_string());
    let input = TimeoutRequest { user: target(req), echo, seconds: seconds(req) };
    app.community.timeout(session, input).await
});

handler!(user_leave(app, session, req) { app.community.leave(session, &origin(session, req)).await });

handler!(user_roles_add(app, session, req) { app.community.roles_add(session, target(req), role_list(req)).await });

handler!(user_roles_remove(app, session, req) {
    app.community.roles_remove(session, target(req), role_list(req)).await
});

handler!(user_roles_set(app, session, req) { app.community.roles_set(session, target(req), role_list(req)).await });

handler!(user_roles_get(app, session, req) { app.community.roles_get(session, target(req)).await });

handler!(rate_limit_status(app, session, req) { app.community.rate_limit_status(session, req.text("user")).await });

handler!(rate_limit_reset(app, session, req) { app.community.rate_limit_reset(session, target(req)).await });

/// The `status` and `text` of `status_set`.
fn presence(req: &Request) -> Result<Presence, UserError> {
    let status = match req.get("status") {
        None | Some(Value::Null) => return Err(UserError::StatusRequired),
        Some(Value::String(s)) if s.is_empty() => return Err(UserError::StatusRequired),
        Some(Value::String(s)) if STATUSES.contains(&s.as_str()) => s.clone(),
        Some(_) => return Err(UserError::InvalidStatus),
    };
    let text = match req.get("text") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(t)) if t.chars().count() <= MAX_STATUS_TEXT => t.clone(),
        Some(_) => return Err(UserError::InvalidStatus),
    };
    Ok(Presence { status, text })
}

handler!(status_set(app, session, req) { app.community.status_set(session, presence(req), &origin(session, req)).await });

handler!(status_get(app, session, req) { app.community.status_get(session, target(req)).await });

/// The nickname of `user_update`'s `updates` (`None`: remove it).
fn nickname(req: &Request) -> Result<Option<String>, UserError> {
    let Some(Value::Object(updates)) = req.get("updates").filter(|u| u.as_object().is_some_and(|o| !o.is_empty()))
    else {
        return Err(UserError::UpdatesNotObject);
    };
    if let Some(field) = updates.keys().find(|k| k.as_str() != "nickname") {
        let shown: String = field.chars().take(64).collect();
        return Err(UserError::CannotUpdateField(shown));
    }
    match updates.get("nickname") {
        Some(Value::Null) => Ok(None),
        Some(Value::String(n)) if n.trim().is_empty() => Ok(None),
        Some(Value::String(n)) if n.chars().count() <= MAX_NICKNAME => Ok(Some(n.clone())),
        Some(Value::String(_)) => Err(UserError::NicknameTooLong),
        _ => Err(UserError::NicknameNotString),
    }
}

handler!(user_update(app, session, req) {
    app.community.user_update(session, UserUpdate { user: target(req), nickname: nickname(req) }).await
});

handler!(user_delete(app, session, req) { app.community.user_delete(session, target(req), &origin(session, req)).await });
