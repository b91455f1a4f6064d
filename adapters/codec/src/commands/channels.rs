//! Channel commands.

use application::errors::ChannelError;
use application::services::{ChannelChanges, NewChannel, creatable_kind, valid_channel_name};
use domain::{PermissionMap, RawJson};
use serde_json::Value;

use super::{commands, handler};
use crate::request::{Request, truthy};

commands!(channels_get, channel_create, channel_update, channel_move, channel_delete);

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

/// The `name` field.
fn name(req: &Request) -> Result<String, ChannelError> {
    req.text("name").ok_or(ChannelError::ChannelNameRequired)
}

/// `channel_create`: name, then type, then a valid type, then a valid name.
fn new_channel(req: &Request) -> Result<NewChannel, ChannelError> {
    let name = name(req)?;
    let kind = req.text("type").ok_or(ChannelError::ChannelTypeRequired)?;
    let kind = creatable_kind(&kind).ok_or(ChannelError::ChannelTypeInvalidCreate)?;
    if !valid_channel_name(&name) {
        return Err(ChannelError::ChannelNameInvalid);
    }
    let extra = ["description", "wallpaper", "size"]
        .into_iter()
        .filter_map(|k| req.get(k).filter(|v| truthy(v)).map(|v| (k.to_owned(), RawJson(v.to_string()))))
        .collect();
    let permissions = req.get("permissions").filter(|v| truthy(v)).and_then(permission_map);
    Ok(NewChannel { name, kind, permissions, extra })
}

/// The `updates` of `channel_update`; each key's own error is reported once the channel
/// is found.
fn changes(req: &Request) -> Result<ChannelChanges, ChannelError> {
    let updates =
        req.get("updates").and_then(Value::as_object).filter(|o| !o.is_empty()).ok_or(ChannelError::UpdatesRequired)?;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let extra = ["description", "wallpaper", "size", "display_name", "icon"]
        .into_iter()
        .filter_map(|k| updates.get(k).map(|v| (k.to_owned(), RawJson(v.to_string()))))
        .collect();
    Ok(ChannelChanges {
        name: updates.get("name").map(|v| {
            let name = text(v);
            if valid_channel_name(&name) { Ok(name) } else { Err(ChannelError::ChannelNameInvalid) }
        }),
        // A channel does not become a forum, nor stops being one (docs/design/threads.md#forums).
        kind: updates.get("type").map(|v| {
            creatable_kind(&text(v)).filter(|k| k.as_str() != "forum").ok_or(ChannelError::ChannelTypeInvalid)
        }),
        permissions: updates.get("permissions").map(|v| match v {
            Value::Null => Ok(None),
            other => permission_map(other).map(Some).ok_or(ChannelError::PermissionsNotObject),
        }),
        extra,
    })
}

/// `position`: required, a non-negative integer (booleans refused).
fn position(req: &Request) -> Result<i64, ChannelError> {
    match req.get("position") {
        None | Some(Value::Null) => Err(ChannelError::PositionRequired),
        Some(Value::Bool(_)) => Err(ChannelError::PositionInvalid),
        Some(_) => match req.int("position") {
            Ok(Some(n)) if n >= 0 => Ok(n),
            _ => Err(ChannelError::PositionInvalid),
        },
    }
}

handler!(channels_get(app, session, _req) { app.community.visible_channels(session).await });

handler!(channel_create(app, session, req) { app.community.create_channel(session, new_channel(req)).await });

handler!(channel_update(app, session, req) {
    let current = req.text("current_name").ok_or(ChannelError::CurrentNameRequired);
    app.community.update_channel(session, current, changes(req)).await
});

handler!(channel_move(app, session, req) { app.community.move_channel(session, name(req), position(req)).await });

handler!(channel_delete(app, session, req) { app.community.delete_channel(session, name(req)).await });
