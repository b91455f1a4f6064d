//! Channel commands.

use application::usecases::{ChannelChanges, NewChannel};
use domain::{PermissionMap, RawJson};
use serde_json::Value;

use super::handler;
use crate::request::Request;

fn permission_map(v: &Value) -> Option<PermissionMap> {
    let obj = v.as_object()?;
    Some(PermissionMap(
        obj.iter()
            .map(|(k, roles)| {
                let list = roles.as_array().map(|a| a.iter().filter_map(|r| r.as_str().map(str::to_owned)).collect());
                (k.clone(), list.unwrap_or_default())
            })
            .collect(),
    ))
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

fn new_channel(req: &Request) -> NewChannel {
    let extra = ["description", "wallpaper", "size"]
        .into_iter()
        .filter_map(|k| req.get(k).filter(|v| truthy(v)).map(|v| (k.to_owned(), RawJson(v.to_string()))))
        .collect();
    NewChannel {
        name: req.text("name"),
        kind: req.text("type"),
        permissions: req.get("permissions").filter(|v| truthy(v)).and_then(permission_map),
        extra,
    }
}

fn changes(req: &Request) -> Option<ChannelChanges> {
    let updates = req.get("updates")?.as_object().filter(|o| !o.is_empty())?;
    let extra = ["description", "wallpaper", "size", "display_name", "icon"]
        .into_iter()
        .filter_map(|k| updates.get(k).map(|v| (k.to_owned(), RawJson(v.to_string()))))
        .collect();
    Some(ChannelChanges {
        name: updates.get("name").map(|v| v.as_str().unwrap_or_default().to_owned()),
        kind: updates.get("type").map(|v| v.as_str().unwrap_or_default().to_owned()),
        permissions: updates.get("permissions").map(|v| match v {
            Value::Null => None,
            other => Some(permission_map(other).ok_or(())),
        }),
        extra,
    })
}

handler!(channels_get(app, session, _req) { app.visible_channels(session).await });

handler!(channel_create(app, session, req) { app.create_channel(session, new_channel(req)).await });

handler!(channel_update(app, session, req) { app.update_channel(session, req.text("current_name"), changes(req)).await });

handler!(channel_move(app, session, req) {
    let position = match req.get("position") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(_)) => Some(Err(())),
        Some(_) => Some(req.int("position").ok().flatten().ok_or(())),
    };
    app.move_channel(session, req.text("name"), position).await
});

handler!(channel_delete(app, session, req) { app.delete_channel(session, req.text("name")).await });
