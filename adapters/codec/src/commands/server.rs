//! Server commands: `ping` and plugins.

use application::Packet;
use application::errors::PluginError;
use application::services::Reply;

use super::{commands, handler};

commands!(ping, plugins_list, plugins_reload);

handler!(ping(_app, _session, _req) { Ok::<_, PluginError>(Reply::Packet(Packet::Pong)) });

handler!(plugins_list(app, session, _req) { app.plugins.list(session).await });

handler!(plugins_reload(app, session, req) { app.plugins.reload(session, req.text("plugin")).await });
