//! Voice commands (voice.md §4).

use application::voice::valid_peer_id;

use super::handler;

handler!(voice_join(app, session, req) {
    app.voice_join(session, req.text("channel"), valid_peer_id(req.get("peer_id"))).await
});

handler!(voice_leave(app, session, _req) { app.voice_leave(session).await });

handler!(voice_mute(app, session, _req) { app.voice_mute(session, true).await });

handler!(voice_unmute(app, session, _req) { app.voice_mute(session, false).await });

handler!(voice_state(app, session, req) { app.voice_state(session, req.text("channel")).await });
