//! Thread commands (docs/design/threads.md). The thread side of `message_new`,
//! `messages_get`, `messages_around`, `typing` and the unreads commands is parsed in
//! [`super::messages`].

use application::errors::MessageError;
use application::services::{HistoryStart, NewThread, ThreadChanges};
use serde_json::Value;

use super::{commands, handler, origin};
use crate::request::{Request, truthy};

commands!(thread_create, thread_get, thread_messages, thread_update, thread_delete, thread_join, thread_leave);

handler!(thread_create(app, session, req) {
    let input = match (req.text("channel"), req.text("name")) {
        (Some(channel), Some(name)) => Ok(NewThread { channel, name }),
        _ => Err(MessageError::ThreadFieldsRequired),
    };
    app.messaging.create_thread(session, input, &origin(session, req)).await
});

handler!(thread_get(app, session, req) { app.messaging.get_thread(session, req.text("thread_id")).await });

/// Where a thread page starts: an id (older than it) or a count of newest to skip.
pub(crate) fn page_start(req: &Request) -> Result<HistoryStart, MessageError> {
    Ok(match req.get("start") {
        Some(Value::String(id)) => HistoryStart::Before(id.clone()),
        _ => HistoryStart::Skip(req.int("start").map_err(|_| MessageError::InvalidPaging)?.unwrap_or(0).max(0)),
    })
}

handler!(thread_messages(app, session, req) {
    let start = page_start(req)?;
    let limit = req.int("limit").map_err(|_| MessageError::InvalidPaging)?.unwrap_or(0);
    app.messaging.thread_messages(session, req.text("thread_id"), start, limit).await
});

handler!(thread_update(app, session, req) {
    let changes = ThreadChanges {
        name: req.get("name").map(|v| match v {
            Value::String(s) => Ok(s.clone()),
            _ => Err(MessageError::ThreadNameEmpty),
        }),
        locked: req.get("locked").map(truthy),
        archived: req.get("archived").map(truthy),
    };
    app.messaging.update_thread(session, req.text("thread_id"), changes, &origin(session, req)).await
});

handler!(thread_delete(app, session, req) {
    app.messaging.delete_thread(session, req.text("thread_id"), &origin(session, req)).await
});

handler!(thread_join(app, session, req) {
    app.messaging.thread_membership(session, req.text("thread_id"), true, &origin(session, req)).await
});

handler!(thread_leave(app, session, req) {
    app.messaging.thread_membership(session, req.text("thread_id"), false, &origin(session, req)).await
});
