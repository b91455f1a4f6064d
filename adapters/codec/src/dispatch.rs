//! From a text frame to its answer: parse, gate on auth, look up the command, run it, and
//! hand the outcome to the session, which replies.

use application::connection::FrameHandler;
use application::errors::RequestError;
use application::telemetry::{self, Outcome};
use application::{App, AuthErrorText, CommandError, Packet, Session};
use async_trait::async_trait;
use serde_json::Value;
use std::time::Instant;

use super::registry;
use super::request::{Request, depth, python_repr, python_type_name};

/// Longest `listener` echoed back; a longer one is refused (docs/design/wire.md#listener-echo).
pub const MAX_LISTENER_BYTES: usize = 1024;

/// Longest identifier a request may carry (a user, channel, message or role name, an id);
/// a longer one is refused before anything looks it up, caches it or echoes it.
pub const MAX_IDENTIFIER_BYTES: usize = 1024;

/// Most entries of a list of identifiers (`roles`).
pub const MAX_IDENTIFIER_LIST: usize = 256;

/// Longest command name echoed in `Unknown command: …`.
const MAX_ECHOED_COMMAND: usize = 64;

/// Fields that name something the server looks up.
const IDENTIFIERS: [&str; 18] = [
    "user",
    "channel",
    "id",
    "name",
    "current_name",
    "emoji",
    "plugin",
    "command",
    "role",
    "peer_id",
    "invoker",
    "start",
    "reply_to",
    "query",
    "roles",
    "around",
    "message_id",
    "thread_id",
];

/// The first identifier field that is too long, if any.
fn oversized_identifier(fields: &serde_json::Map<String, Value>) -> Option<&'static str> {
    IDENTIFIERS.into_iter().find(|key| match fields.get(*key) {
        Some(Value::String(s)) => s.len() > MAX_IDENTIFIER_BYTES,
        Some(Value::Array(items)) if *key == "roles" => {
            items.len() > MAX_IDENTIFIER_LIST
                || items.iter().any(|v| v.as_str().is_some_and(|s| s.len() > MAX_IDENTIFIER_BYTES))
        }
        _ => false,
    })
}

/// A command name as the error texts echo it: cut to a sane length.
fn echoed(cmd: &str) -> String {
    match cmd.char_indices().nth(MAX_ECHOED_COMMAND) {
        Some((at, _)) => format!("{}…", &cmd[..at]),
        None => cmd.to_owned(),
    }
}

/// Handles one incoming text frame completely; every reply goes out through the hub.
pub async fn handle_frame(app: &App, session: &mut Session, text: &str, max_depth: usize) {
    let conn = session.conn;
    let error = |error: RequestError, src: Option<String>, listener: Option<&str>| {
        app.sessions.send(conn, &Packet::Error { src, error: error.into() }, listener);
    };
    let value: Value = match serde_json::from_str(text) {
        Ok(v) if depth(&v) <= max_depth => v,
        _ => {
            session.enter(false).await;
            telemetry::request_refused("not_json");
            return error(RequestError::NotJson, None, None);
        }
    };
    let Value::Object(fields) = value else {
        session.enter(false).await;
        telemetry::request_refused("not_an_object");
        return error(RequestError::NotAnObject(python_type_name(&value)), None, None);
    };
    let listener = match fields.get("listener") {
        Some(Value::String(l)) => Some(l.clone()),
        _ => None,
    };
    let cmd = match fields.get("cmd") {
        Some(Value::String(c)) => Ok(c.clone()),
        other => Err(echoed(&python_repr(other.unwrap_or(&Value::Null)))),
    };
    if session.user.is_none() {
        if cmd.as_deref() == Ok("auth") {
            let validator = fields.get("validator").and_then(Value::as_str);
            let resumable = fields.get("resumable") == Some(&Value::Bool(true));
            return app.sessions.login_opting(session, validator, resumable).await;
        }
        if cmd.as_deref() == Ok("resume") {
            // docs/design/resume.md#resume
            let text = |key: &str| fields.get(key).and_then(Value::as_str).filter(|s| s.len() <= MAX_IDENTIFIER_BYTES);
            let listener = listener.as_deref().filter(|l| l.len() <= MAX_LISTENER_BYTES);
            let seq = fields.get("seq").and_then(Value::as_u64);
            return app.sessions.resume(session, text("session_id"), seq, text("validator"), listener).await;
        }
        if cmd.as_deref() == Ok("server_info") {
            // Answered before `auth` too (docs/design/server-info.md).
            let listener = listener.filter(|l| l.len() <= MAX_LISTENER_BYTES);
            return app.sessions.send(conn, &app.server.info(), listener.as_deref());
        }
        telemetry::request_refused("not_authenticated");
        return app.sessions.send(conn, &Packet::AuthError(AuthErrorText::Required), None);
    }
    // Pipelined connections: this request runs after the earlier ones' effects, and (for
    // every command but those that only wait for a commit) after their answers.
    let pipelined = cmd.as_deref().is_ok_and(registry::pipelined);
    session.enter(pipelined).await;
    let src = cmd.as_ref().ok().map(|c| echoed(c));
    if listener.as_ref().is_some_and(|l| l.len() > MAX_LISTENER_BYTES) {
        telemetry::request_refused("listener_too_long");
        return error(RequestError::ListenerTooLong, src, None);
    }
    if cmd.as_deref() == Ok("resume") {
        // Only a fresh connection resumes (docs/design/resume.md#refusals).
        telemetry::request_refused("not_resumable");
        return error(RequestError::NotResumable, src, listener.as_deref());
    }
    let cmd = match cmd {
        Ok(c) => c,
        Err(repr) => {
            telemetry::request_refused("unknown_command");
            return error(RequestError::UnknownCommand(repr), None, listener.as_deref());
        }
    };
    let Some(command) = registry::find(&cmd) else {
        telemetry::request_refused("unknown_command");
        return error(RequestError::UnknownCommand(echoed(&cmd)), src, listener.as_deref());
    };
    if let Some(field) = oversized_identifier(&fields) {
        telemetry::request_refused("field_too_long");
        return error(RequestError::FieldTooLong(field), src, listener.as_deref());
    }
    let request = Request { cmd, fields, listener };
    let started = Instant::now();
    let outcome = (command.run)(app, session, &request).await;
    let result = match &outcome {
        Ok(_) => Outcome::Ok,
        Err(CommandError::Limited(_)) => Outcome::RateLimited,
        Err(_) => Outcome::Error,
    };
    telemetry::command_done(command.name, result, started.elapsed());
    session.before_output().await;
    app.sessions.answer(session, &request.cmd, request.listener.as_deref(), outcome).await;
    session.finish();
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
