//! User and moderation commands.

use application::Origin;
use serde_json::Value;

use super::handler;
use crate::request::Request;

/// A `roles` field that is a list of strings (non-strings skipped); `None` otherwise.
fn role_list(req: &Request) -> Option<Vec<String>> {
    match req.get("roles")? {
        Value::Array(a) => Some(a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()),
        _ => None,
    }
}

handler!(users_list(app, _session, _req) { app.users_list().await });

handler!(users_online(app, _session, _req) { app.users_online().await });

handler!(users_banned_list(app, session, _req) { app.users_banned_list(session).await });

handler!(user_ban(app, session, req) { app.ban(session, req.text("user")).await });

handler!(user_unban(app, session, req) { app.unban(session, req.text("user")).await });

handler!(user_timeout(app, session, req) {
    // Falsy values are "not provided" in the original, except the integer 0, which now
    // clears a timeout (Recommended).
    let timeout = match req.get("timeout") {
        Some(Value::Number(n)) if n.as_i64() == Some(0) => Some(Ok(0)),
        _ if req.truthy("timeout") != Some(true) => None,
        Some(_) => Some(req.int("timeout").ok().flatten().ok_or(())),
        None => None,
    };
    let raw_user = req.get("user").cloned().unwrap_or(Value::Null);
    app.timeout(session, req.text("user"), raw_user, timeout).await
});

handler!(user_leave(app, session, req) { app.leave(session, &Origin::of(session.conn, req.listener.clone())).await });

handler!(user_roles_add(app, session, req) { app.roles_add(session, req.text("user"), role_list(req)).await });

handler!(user_roles_remove(app, session, req) { app.roles_remove(session, req.text("user"), role_list(req)).await });

handler!(user_roles_get(app, session, req) { app.roles_get(session, req.text("user")).await });
