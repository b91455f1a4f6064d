//! Channel commands.

use super::handler;

handler!(channels_get(app, session, _req) { app.visible_channels(session).await });
