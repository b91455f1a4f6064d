//! User and moderation commands, and rate-limit status.

use application::errors::UserError;
use application::services::TimeoutRequest;
use domain::RawJson;
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
