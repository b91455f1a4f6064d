//! Message commands.

use application::usecases::{EditMessage, HistoryStart, NewMessage};
use application::{AppError, Origin};
use serde_json::Value;

use super::handler;

handler!(message_new(app, session, req) {
    let input = NewMessage {
        channel: req.text("channel"),
        content: req.text("content"),
        reply_to: match req.get("reply_to") {
            Some(Value::String(id)) if !id.is_empty() => Some(Ok(id.clone())),
            _ if req.truthy("reply_to") == Some(true) => Some(Err(())),
            _ => None,
        },
        ping: req.truthy("ping"),
    };
    app.post_message(session, input, &origin(session, req)).await
});

handler!(messages_get(app, session, req) {
    let start = match req.get("start") {
        Some(Value::String(id)) => HistoryStart::Before(id.clone()),
        _ => HistoryStart::Skip(req.int("start").map_err(|_| AppError::InvalidPaging)?.unwrap_or(0)),
    };
    let limit = req.int("limit").map_err(|_| AppError::InvalidPaging)?.unwrap_or(100);
    app.history(session, req.text("channel").as_deref(), start, limit).await
});

fn origin(session: &application::Session, req: &crate::request::Request) -> Origin {
    Origin::of(session.conn, req.listener.clone())
}

handler!(message_edit(app, session, req) {
    let input = EditMessage { id: req.text("id"), channel: req.text("channel"), content: req.text("content") };
    app.edit_message(session, input, &origin(session, req)).await
});

handler!(message_delete(app, session, req) {
    app.delete_message(session, req.text("channel"), req.text("id"), &origin(session, req)).await
});

handler!(typing(app, session, req) { app.typing(session, req.text("channel"), &origin(session, req)).await });

handler!(message_get(app, session, req) { app.get_message(session, req.text("channel"), req.text("id")).await });

handler!(message_replies(app, session, req) {
    let limit = req.int("limit").map_err(|_| AppError::InvalidLimit)?.unwrap_or(50);
    app.replies(session, req.text("channel"), req.text("id"), limit).await
});

handler!(messages_search(app, session, req) { app.search(session, req.text("channel"), req.text("query")).await });

handler!(messages_pinned(app, session, req) { app.pinned(session, req.text("channel")).await });

handler!(message_pin(app, session, req) {
    // The web client unpins with `message_pin` and `"pinned": false` (messages.md).
    let pinned = req.get("pinned") != Some(&Value::Bool(false));
    app.set_pinned(session, req.text("channel"), req.text("id"), pinned, &origin(session, req)).await
});

handler!(message_unpin(app, session, req) {
    app.set_pinned(session, req.text("channel"), req.text("id"), false, &origin(session, req)).await
});

handler!(message_react_add(app, session, req) {
    app.react(session, req.text("channel"), req.text("id"), req.text("emoji"), true, &origin(session, req)).await
});

handler!(message_react_remove(app, session, req) {
    app.react(session, req.text("channel"), req.text("id"), req.text("emoji"), false, &origin(session, req)).await
});

handler!(pings_get(app, session, req) {
    // Absent takes the default; an explicit null is as wrong as any other non-integer.
    let paging = |key: &str, default: i64| match req.get(key) {
        None => Some(default),
        Some(Value::Null) => None,
        Some(_) => req.int(key).ok().flatten(),
    };
    let (limit, offset) = (paging("limit", 50), paging("offset", 0));
    app.pings(session, limit, offset).await
});
