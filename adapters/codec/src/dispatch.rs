//! From a text frame to its answer: parse, gate on auth, look up the command, reply.

use application::usecases::{Refusal, Reply};
use application::{App, AppError, AuthErrorText, Packet, Session};
use serde_json::Value;

use super::registry;
use super::request::{Request, depth, python_repr, python_type_name};

/// Handles one incoming text frame completely; every reply goes out through the hub.
pub async fn handle_frame(app: &App, session: &mut Session, text: &str, max_depth: usize) {
    let conn = session.conn;
    let error = |src: Option<String>, error: AppError, listener: Option<&str>| {
        app.hub.send(conn, &Packet::Error { src, error }, listener);
    };
    let value: Value = match serde_json::from_str(text) {
        Ok(v) if depth(&v) <= max_depth => v,
        _ => return error(None, AppError::NotJson, None),
    };
    let Value::Object(fields) = value else {
        return error(None, AppError::NotAnObject(python_type_name(&value)), None);
    };
    let listener = match fields.get("listener") {
        Some(Value::String(l)) => Some(l.clone()),
        _ => None,
    };
    let cmd = match fields.get("cmd") {
        Some(Value::String(c)) => Ok(c.clone()),
        other => Err(python_repr(other.unwrap_or(&Value::Null))),
    };
    if session.user.is_none() {
        if cmd.as_deref() == Ok("auth") {
            let validator = fields.get("validator").and_then(Value::as_str);
            return app.login(session, validator).await;
        }
        return app.hub.send(conn, &Packet::AuthError(AuthErrorText::Required), None);
    }
    let cmd = match cmd {
        Ok(c) => c,
        Err(repr) => return error(None, AppError::UnknownCommand(repr), listener.as_deref()),
    };
    let Some(command) = registry::find(&cmd) else {
        return error(Some(cmd.clone()), AppError::UnknownCommand(cmd), listener.as_deref());
    };
    let request = Request { cmd, fields, listener };
    let outcome = (command.run)(app, session, &request).await;
    let l = request.listener.as_deref();
    match outcome {
        Ok(Reply::Packet(p)) => app.hub.send(conn, &p, l),
        Ok(Reply::Done) => {}
        Ok(Reply::Then(packet, pushes)) => {
            if let Some(p) = packet {
                app.hub.send(conn, &p, l);
            }
            app.run_pushes(pushes).await;
        }
        Err(Refusal::Error(e)) => error(Some(request.cmd.clone()), e, l),
        Err(Refusal::RateLimited { denial, typing }) => app.hub.send(conn, &Packet::RateLimit { denial, typing }, l),
    }
}
