//! Server commands.

use application::Packet;
use application::usecases::Reply;

use super::handler;

handler!(ping(_app, _session, _req) { Ok(Reply::Packet(Packet::Pong)) });

handler!(rate_limit_status(app, session, req) { app.rate_limit_status(session, req.text("user")).await });

handler!(rate_limit_reset(app, session, req) { app.rate_limit_reset(session, req.text("user")).await });

handler!(plugins_list(app, session, _req) { app.plugins_list(session).await });

handler!(plugins_reload(app, session, req) { app.plugins_reload(session, req.text("plugin")).await });
