//! Server commands: `ping`, plugins, and the server's name, icon and banner.

use application::Packet;
use application::errors::{PluginError, ServerError};
use application::services::{MAX_SERVER_NAME, MAX_SERVER_URL, Reply, ServerUpdate};
use serde_json::Value;

use super::{commands, handler, origin};
use crate::request::Request;

commands!(ping, plugins_list, plugins_reload, server_info, server_update);

handler!(ping(_app, _session, _req) { Ok::<_, PluginError>(Reply::Packet(Packet::Pong)) });

handler!(plugins_list(app, session, _req) { app.plugins.list(session).await });

handler!(plugins_reload(app, session, req) { app.plugins.reload(session, req.text("plugin")).await });

handler!(server_info(app, _session, _req) { Ok::<_, ServerError>(Reply::Packet(app.server.info())) });

handler!(server_update(app, session, req) { app.server.update(session, update_of(req), &origin(session, req)).await });

/// One field of `server_update`: absent or null is unchanged; a string within `max`
/// characters is the new value.
fn field(
    req: &Request,
    key: &str,
    wrong: ServerError,
    too_long: fn(usize) -> ServerError,
    max: usize,
) -> Result<Option<String>, ServerError> {
    match req.fields.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() > max => Err(too_long(max)),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(wrong),
    }
}

/// The typed input of `server_update`.
fn update_of(req: &Request) -> ServerUpdate {
    ServerUpdate {
        name: field(req, "name", ServerError::NameType, ServerError::NameTooLong, MAX_SERVER_NAME),
        icon: field(req, "icon", ServerError::IconType, ServerError::IconTooLong, MAX_SERVER_URL),
        banner: field(req, "banner", ServerError::BannerType, ServerError::BannerTooLong, MAX_SERVER_URL),
        any: ["name", "icon", "banner"].iter().any(|k| req.fields.contains_key(*k)),
    }
}
