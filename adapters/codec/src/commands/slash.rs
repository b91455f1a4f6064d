//! Slash commands.

use application::errors::SlashError;
use application::services::{SlashAnswer, SlashCallRequest, SlashCommands};
use application::slash::{ArgValue, SlashArgs};
use domain::RawJson;
use serde_json::Value;

use super::{commands, handler, origin};
use crate::request::{Request, python_type};
use crate::slash_schema::parse_commands;

commands!(slash_register, slash_list, slash_call, slash_response);

/// The `channel` field.
fn channel(req: &Request) -> Result<String, SlashError> {
    req.text("channel").ok_or(SlashError::ChannelRequired)
}

/// The arguments of a call: absent or null is none; anything but an object is refused.
fn args(req: &Request) -> Result<SlashArgs, SlashError> {
    match req.get("args") {
        None | Some(Value::Null) => Ok(SlashArgs::default()),
        Some(Value::Object(map)) => {
            let entries = map
                .iter()
                .map(|(name, v)| {
                    let text = v.as_str().map(str::to_owned);
                    (name.clone(), ArgValue { kind: python_type(v), text })
                })
                .collect();
            Ok(SlashArgs { entries, raw: RawJson(Value::Object(map.clone()).to_string()) })
        }
        Some(_) => Err(SlashError::ArgsNotObject),
    }
}

handler!(slash_register(app, session, req) {
    let commands = match parse_commands(req.get("commands")) {
        None => SlashCommands::Missing,
        Some(Err(why)) => SlashCommands::Invalid(why),
        Some(Ok(list)) => SlashCommands::Valid(list),
    };
    app.slash.register(session, commands).await
});

handler!(slash_list(app, session, _req) { app.slash.list(session).await });

handler!(slash_call(app, session, req) {
    let command = match req.get("command") {
        Some(Value::String(name)) => Ok(name.clone()),
        _ => Err(SlashError::CommandNameNotString),
    };
    app.slash.call(session, SlashCallRequest { channel: channel(req), command, args: args(req) }).await
});

handler!(slash_response(app, session, req) {
    app.slash.respond(session, answer(req), &origin(session, req)).await
});

/// The fields of `slash_response`; chats.py leaves out `command`.
fn answer(req: &Request) -> SlashAnswer {
    let response = match req.get("response") {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(SlashError::ResponseNotString),
    };
    let command = match req.get("command") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        Some(_) => Err(SlashError::CommandRequired),
    };
    let invoker = match req.get("invoker") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    };
    SlashAnswer { channel: channel(req), response, command, invoker, ephemeral: req.truthy("ephemeral") }
}

#[cfg(test)]
mod tests {
    use application::slash::ArgKind;

    use super::*;

    #[test]
    fn argument_types_are_named_as_python_names_them() {
        let kinds: Vec<ArgKind> =
            [Value::Null, true.into(), 1.into(), 1.5.into(), "s".into(), Value::Array(vec![]), serde_json::json!({})]
                .iter()
                .map(python_type)
                .collect();
        let names: Vec<&str> = kinds.iter().map(|k| k.python_name()).collect();
        assert_eq!(names, ["NoneType", "bool", "int", "float", "str", "list", "dict"]);
    }
}
