//! Slash commands (slash-and-plugins.md Part A).

use application::usecases::SlashAnswer;
use application::{Origin, Session};
use serde_json::Value;

use super::handler;
use crate::request::Request;
use crate::slash_schema::parse_commands;

handler!(slash_register(app, session, req) { app.slash_register(session, parse_commands(req.get("commands"))).await });

handler!(slash_list(app, session, _req) { app.slash_list(session).await });

handler!(slash_call(app, session, req) {
    app.slash_call(session, req.text("channel"), req.get("command"), req.get("args")).await
});

handler!(slash_response(app, session, req) { app.slash_response(session, answer(req), &origin(session, req)).await });

fn origin(session: &Session, req: &Request) -> Origin {
    Origin::of(session.conn, req.listener.clone())
}

/// The fields of `slash_response`; chats.py leaves out `command`.
fn answer(req: &Request) -> SlashAnswer {
    let response = match req.get("response") {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(()),
    };
    let command = match req.get("command") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.is_empty() => Some(Ok(s.clone())),
        Some(_) => Some(Err(())),
    };
    let invoker = match req.get("invoker") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    };
    SlashAnswer { channel: req.text("channel"), response, command, invoker, ephemeral: req.truthy("ephemeral") }
}
