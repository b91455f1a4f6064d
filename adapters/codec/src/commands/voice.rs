//! Voice commands.

use application::errors::VoiceError;
use application::voice::valid_peer_id;
use serde_json::Value;

use super::{commands, handler};
use crate::request::Request;

commands!(voice_join, voice_leave, voice_mute, voice_unmute, voice_state);

/// The `channel` field.
fn channel(req: &Request) -> Result<String, VoiceError> {
    req.text("channel").ok_or(VoiceError::ChannelNameRequired)
}

handler!(voice_join(app, session, req) {
    let peer_id = match req.get("peer_id") {
        Some(Value::String(p)) if valid_peer_id(p) => p.clone(),
        _ => return Err(VoiceError::PeerIdRequired),
    };
    app.voice.join(session, channel(req)?, peer_id).await
});

handler!(voice_leave(app, session, _req) { app.voice.leave(session).await });

handler!(voice_mute(app, session, _req) { app.voice.mute(session, true).await });

handler!(voice_unmute(app, session, _req) { app.voice.mute(session, false).await });

handler!(voice_state(app, session, req) { app.voice.state(session, channel(req)?).await });
