//! Message commands.

use application::usecases::{HistoryStart, NewMessage};
use application::{AppError, Origin};
use serde_json::Value;

use super::handler;

handler!(message_new(app, session, req) {
    let input = NewMessage {
        channel: req.text("channel"),
        content: req.text("content"),
        reply_to: req.text("reply_to"),
        ping: req.truthy("ping"),
    };
    app.post_message(session, input, &Origin::of(session.conn, req.listener.clone())).await
});

handler!(messages_get(app, session, req) {
    let start = match req.get("start") {
        Some(Value::String(id)) => HistoryStart::Before(id.clone()),
        _ => HistoryStart::Skip(req.int("start").map_err(|_| AppError::InvalidPaging)?.unwrap_or(0)),
    };
    let limit = req.int("limit").map_err(|_| AppError::InvalidPaging)?.unwrap_or(100);
    app.history(session, req.text("channel").as_deref(), start, limit).await
});
