//! Message commands.

use application::errors::MessageError;
use application::services::{
    AroundRequest, EditMessage, HistoryRequest, HistoryStart, NewMessage, PingsPage, ReactRequest, ReplyTarget,
    UnreadAck, UnreadTarget,
};
use domain::{ContentError, MessageContent};
use serde_json::Value;

use super::{commands, handler, origin};
use crate::request::Request;

commands!(
    message_new,
    messages_get,
    message_edit,
    message_delete,
    typing,
    message_get,
    message_replies,
    messages_search,
    messages_pinned,
    message_pin,
    message_unpin,
    message_react_add,
    message_react_remove,
    pings_get,
    messages_around,
    unreads_get,
    unreads_count,
    unreads_ack,
);

/// Message text: trimmed, not empty, at most `max` characters.
fn content(raw: &str, max: usize) -> Result<MessageContent, MessageError> {
    MessageContent::parse(raw, max).map_err(|e| match e {
        ContentError::Empty => MessageError::EmptyContent,
        ContentError::TooLong(n) => MessageError::ContentTooLong(n),
    })
}

/// A required non-empty string field.
fn required(req: &Request, key: &str, missing: MessageError) -> Result<String, MessageError> {
    req.text(key).ok_or(missing)
}

/// The `channel` (or `thread_id`, docs/design/threads.md#thread-messages) and `id` of a
/// message lookup.
fn message_ref(req: &Request) -> Result<(String, String), MessageError> {
    match (channel_or_thread(req), req.text("id")) {
        (Some(channel), Some(id)) => Ok((channel, id)),
        _ => Err(MessageError::ChannelAndIdRequired),
    }
}

handler!(message_new(app, session, req) {
    // A thread message names its thread instead of a channel (docs/design/threads.md#thread-messages).
    let thread_id = req.text("thread_id");
    let (channel, raw) = match (channel_or_thread(req), req.text("content")) {
        (Some(channel), Some(raw)) => (channel, raw),
        (channel, raw) => {
            let missing: Vec<&str> = [("channel", channel.is_none()), ("content", raw.is_none())]
                .into_iter()
                .filter_map(|(name, absent)| absent.then_some(name))
                .collect();
            return Err(MessageError::MissingFields(missing.join(", ")));
        }
    };
    let content = content(&raw, app.settings.post_content)?;
    let reply_to = match req.get("reply_to") {
        Some(Value::String(id)) if !id.is_empty() => ReplyTarget::Id(id.clone()),
        _ if req.truthy("reply_to") == Some(true) => ReplyTarget::Invalid,
        _ => ReplyTarget::None,
    };
    let input = NewMessage { channel, content, reply_to, ping: req.truthy("ping") };
    match thread_id {
        Some(id) => app.messaging.post_in_thread(session, id, input, &origin(session, req)).await,
        None => app.messaging.post(session, input, &origin(session, req)).await,
    }
});

handler!(messages_get(app, session, req) {
    let start = match req.get("start") {
        Some(Value::String(id)) => HistoryStart::Before(id.clone()),
        _ => HistoryStart::Skip(req.int("start").map_err(|_| MessageError::InvalidPaging)?.unwrap_or(0)),
    };
    let limit = req.int("limit").map_err(|_| MessageError::InvalidPaging)?.unwrap_or(100);
    if let Some(id) = req.text("thread_id") {
        return app.messaging.thread_history(session, id, start, limit).await;
    }
    let channel = required(req, "channel", MessageError::InvalidChannelName)?;
    app.messaging.history(session, HistoryRequest { channel, start, limit }).await
});

/// The `channel` of a message command, or an empty name when `thread_id` stands for it.
fn channel_or_thread(req: &Request) -> Option<String> {
    req.text("channel").or_else(|| req.text("thread_id").map(|_| String::new()))
}

handler!(message_edit(app, session, req) {
    let input = match (req.text("id"), channel_or_thread(req), req.text("content")) {
        (Some(id), Some(channel), Some(raw)) => {
            Ok(EditMessage { channel, id, content: content(&raw, app.settings.post_content) })
        }
        _ => Err(MessageError::InvalidEditFormat),
    };
    app.messaging.edit_in(session, input, req.text("thread_id"), &origin(session, req)).await
});

handler!(message_delete(app, session, req) {
    let (Some(id), Some(channel)) = (req.text("id"), channel_or_thread(req)) else {
        return Err(MessageError::InvalidDeleteFormat);
    };
    app.messaging.delete_in(session, channel, id, req.text("thread_id"), &origin(session, req)).await
});

handler!(typing(app, session, req) {
    if let Some(id) = req.text("thread_id") {
        return app.messaging.typing_in_thread(session, id, &origin(session, req)).await;
    }
    let channel = required(req, "channel", MessageError::ChannelNameNotProvided);
    app.messaging.typing(session, channel, &origin(session, req)).await
});

handler!(message_get(app, session, req) {
    let (channel, id) = message_ref(req)?;
    app.messaging.get(session, channel, id, req.text("thread_id")).await
});

handler!(message_replies(app, session, req) {
    let limit = req.int("limit").map_err(|_| MessageError::InvalidLimit)?.unwrap_or(50);
    let (channel, id) = message_ref(req)?;
    app.messaging.replies(session, channel, id, limit, req.text("thread_id")).await
});

handler!(messages_search(app, session, req) {
    let (Some(channel), Some(query)) = (channel_or_thread(req), req.text("query")) else {
        return Err(MessageError::ChannelAndQueryRequired);
    };
    app.messaging.search(session, channel, query, req.text("thread_id")).await
});

handler!(messages_pinned(app, session, req) {
    let channel = channel_or_thread(req).ok_or(MessageError::ChannelNameNotProvided)?;
    app.messaging.pinned(session, channel, req.text("thread_id")).await
});

/// `message_pin` and `message_unpin`.
async fn set_pinned(
    app: &application::App,
    session: &application::Session,
    req: &Request,
    pinned: bool,
) -> application::services::Outcome<MessageError> {
    let channel = channel_or_thread(req).ok_or(MessageError::ChannelNameNotProvided);
    let id = required(req, "id", MessageError::MessageIdRequired);
    app.messaging.set_pinned(session, channel, id, pinned, req.text("thread_id"), &origin(session, req)).await
}

handler!(message_pin(app, session, req) {
    // The web client unpins with `message_pin` and `"pinned": false`.
    set_pinned(app, session, req, req.get("pinned") != Some(&Value::Bool(false))).await
});

handler!(message_unpin(app, session, req) { set_pinned(app, session, req, false).await });

/// `message_react_add` and `message_react_remove`.
fn reaction(req: &Request, add: bool) -> ReactRequest {
    ReactRequest {
        channel: req.text("channel"),
        id: required(req, "id", MessageError::MessageIdRequired),
        emoji: required(req, "emoji", MessageError::EmojiRequired),
        add,
    }
}

handler!(message_react_add(app, session, req) {
    app.messaging.react_in(session, reaction(req, true), req.text("thread_id"), &origin(session, req)).await
});

handler!(message_react_remove(app, session, req) {
    app.messaging.react_in(session, reaction(req, false), req.text("thread_id"), &origin(session, req)).await
});

handler!(pings_get(app, session, req) {
    // Absent takes the default; an explicit null is as wrong as any other non-integer.
    let paging = |key: &str, default: i64| match req.get(key) {
        None => Some(default),
        Some(Value::Null) => None,
        Some(_) => req.int(key).ok().flatten(),
    };
    let page = PingsPage {
        limit: paging("limit", 50).filter(|l| (1..=100).contains(l)).ok_or(MessageError::PingsLimit),
        offset: paging("offset", 0).filter(|o| *o >= 0).ok_or(MessageError::PingsOffset),
    };
    app.messaging.pings(session, page).await
});

handler!(messages_around(app, session, req) {
    let around = required(req, "around", MessageError::AroundRequired)?;
    // Absent or null bounds take the default; a bound that is not an integer is refused.
    let bound = |key: &str| -> Result<i64, MessageError> {
        match req.get("bounds") {
            None | Some(Value::Null) => Ok(50),
            Some(Value::Object(b)) => match b.get(key) {
                None | Some(Value::Null) => Ok(50),
                Some(Value::Number(n)) => n.as_i64().ok_or(MessageError::InvalidBounds),
                Some(_) => Err(MessageError::InvalidBounds),
            },
            Some(_) => Err(MessageError::InvalidBounds),
        }
    };
    let (above, below) = (bound("above")?, bound("below")?);
    app.messaging.around(session, AroundRequest { channel: req.text("channel"), thread_id: req.text("thread_id"), around, above, below }).await
});

/// The `channel` or `thread_id` of an unreads command.
fn unread_target(req: &Request) -> UnreadTarget {
    UnreadTarget { channel: req.text("channel"), thread_id: req.text("thread_id") }
}

handler!(unreads_get(app, session, _req) { app.messaging.unreads(session).await });

handler!(unreads_count(app, session, req) { app.messaging.unread_count(session, unread_target(req)).await });

handler!(unreads_ack(app, session, req) {
    let message_id = match req.get("message_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) if id.is_empty() => None,
        Some(Value::String(id)) => Some(id.clone()),
        Some(_) => return Err(MessageError::MessageIdNotString),
    };
    app.messaging.ack(session, UnreadAck { target: unread_target(req), message_id }).await
});
