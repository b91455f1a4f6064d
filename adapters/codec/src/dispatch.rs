//! From a text frame to its answer: parse, gate on auth, look up the command, run it, and
//! hand the outcome to the session, which replies.

use application::connection::FrameHandler;
use application::errors::RequestError;
use application::{App, AuthErrorText, Packet, Session};
use async_trait::async_trait;
use serde_json::Value;

use super::registry;
use super::request::{Request, depth, python_repr, python_type_name};

/// Handles one incoming text frame completely; every reply goes out through the hub.
pub async fn handle_frame(app: &App, session: &mut Session, text: &str, max_depth: usize) {
    let conn = session.conn;
    let error = |error: RequestError, src: Option<String>, listener: Option<&str>| {
        app.sessions.send(conn, &Packet::Error { src, error: error.into() }, listener);
    };
    let value: Value = match serde_json::from_str(text) {
        Ok(v) if depth(&v) <= max_depth => v,
        _ => return error(RequestError::NotJson, None, None),
    };
    let Value::Object(fields) = value else {
        return error(RequestError::NotAnObject(python_type_name(&value)), None, None);
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
            return app.sessions.login(session, validator).await;
        }
        return app.sessions.send(conn, &Packet::AuthError(AuthErrorText::Required), None);
    }
    let cmd = match cmd {
        Ok(c) => c,
        Err(repr) => return error(RequestError::UnknownCommand(repr), None, listener.as_deref()),
    };
    let Some(command) = registry::find(&cmd) else {
        return error(RequestError::UnknownCommand(cmd.clone()), Some(cmd), listener.as_deref());
    };
    let request = Request { cmd, fields, listener };
    let outcome = (command.run)(app, session, &request).await;
    app.sessions.answer(session, &request.cmd, request.listener.as_deref(), outcome).await;
}

/// The JSON wire format as a connection's frame handler, for every transport.
#[derive(Debug, Clone, Copy)]
pub struct JsonFrames {
    /// Deepest JSON nesting accepted.
    pub max_depth: usize,
}

#[async_trait]
impl FrameHandler for JsonFrames {
    async fn handle(&self, app: &App, session: &mut Session, text: &str) {
        handle_frame(app, session, text, self.max_depth).await;
    }
}
