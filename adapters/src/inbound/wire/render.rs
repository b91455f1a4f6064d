//! Renders every outgoing packet to the exact JSON of the spec. This is the only place
//! that knows the shape of server → client packets.

use application::packets::Handshake;
use application::ports::{Frame, PacketEncoder};
use application::views::{ChannelView, MessageView, UserView};
use application::{AppError, Packet};
use domain::{Extras, User};
use serde_json::{Map, Value, json};

/// The JSON encoder used by every transport.
#[derive(Debug, Default, Clone, Copy)]
pub struct JsonEncoder;

impl PacketEncoder for JsonEncoder {
    fn encode(&self, packet: &Packet, listener: Option<&str>) -> Frame {
        let mut value = packet_json(packet);
        if let (Some(l), Value::Object(map)) = (listener, &mut value) {
            map.insert("listener".into(), Value::String(l.to_owned()));
        }
        Frame::new(value.to_string())
    }
}

/// Parses a stored opaque value back to JSON (invalid text renders as a string).
pub fn raw(value: &domain::RawJson) -> Value {
    serde_json::from_str(&value.0).unwrap_or_else(|_| Value::String(value.0.clone()))
}

fn put_extras(map: &mut Map<String, Value>, extras: &Extras) {
    for (k, v) in extras {
        map.entry(k.clone()).or_insert_with(|| raw(v));
    }
}

/// The JSON of a whole packet.
pub fn packet_json(packet: &Packet) -> Value {
    match packet {
        Packet::Handshake(h) => json!({"cmd": "handshake", "val": handshake(h)}),
        Packet::AuthSuccess => json!({"cmd": "auth_success", "val": "Authentication successful"}),
        Packet::AuthError(text) => json!({"cmd": "auth_error", "val": text.to_string()}),
        Packet::Ready { user, validator } => json!({"cmd": "ready", "user": ready_user(user), "validator": validator}),
        Packet::UserJoin(u) => json!({"cmd": "user_join", "user": user_view(u)}),
        Packet::UserConnect(u) => json!({"cmd": "user_connect", "user": user_view(u)}),
        Packet::UserDisconnect { username } => json!({"cmd": "user_disconnect", "username": username}),
        Packet::Ping => json!({"cmd": "ping"}),
        Packet::Pong => json!({"cmd": "pong", "val": "pong"}),
        Packet::MessageNew { channel, message } => {
            json!({"cmd": "message_new", "message": message_json(message), "channel": channel, "global": true})
        }
        Packet::MessagesGet { channel, messages, range } => json!({
            "cmd": "messages_get",
            "channel": channel,
            "messages": messages.iter().map(message_json).collect::<Vec<_>>(),
            "range": {"start": range.start, "end": range.end},
        }),
        Packet::ChannelsGet(list) => {
            json!({"cmd": "channels_get", "val": list.iter().map(channel_json).collect::<Vec<_>>()})
        }
        Packet::Error { src, error } => error_json(src.as_deref(), error),
        Packet::RateLimit { denial, typing } => {
            let length = denial.length_ms();
            let mut v = json!({"cmd": "rate_limit", "reason": denial.reason, "length": length});
            if *typing {
                v["wait_time"] = json!(length);
            }
            v
        }
    }
}

fn error_json(src: Option<&str>, error: &AppError) -> Value {
    let mut map = Map::new();
    map.insert("cmd".into(), json!("error"));
    if let (Some(src), false) = (src, error.omits_src()) {
        map.insert("src".into(), json!(src));
    }
    map.insert("val".into(), json!(error.to_string()));
    Value::Object(map)
}

fn handshake(h: &Handshake) -> Value {
    json!({
        "server": h.server,
        "limits": h.limits,
        "version": h.version,
        "validator_key": h.validator_key,
        "capabilities": h.capabilities,
    })
}

fn user_view(u: &UserView) -> Value {
    json!({"username": u.username, "roles": u.roles, "color": u.color})
}

/// `ready.user`: the stored record without `validator`, `username` forced, no id.
fn ready_user(user: &User) -> Value {
    let mut map = Map::new();
    map.insert("roles".into(), json!(user.roles));
    map.insert("username".into(), json!(user.display_name()));
    put_extras(&mut map, &user.extra);
    map.remove("validator");
    Value::Object(map)
}

/// A message as clients see it (data-model.md §2).
pub fn message_json(v: &MessageView) -> Value {
    let m = &v.message;
    let mut map = Map::new();
    map.insert("user".into(), json!(v.author));
    map.insert("content".into(), json!(m.content));
    map.insert("timestamp".into(), json!(m.timestamp));
    map.insert("type".into(), json!("message"));
    map.insert("pinned".into(), json!(m.pinned));
    map.insert("id".into(), json!(m.id));
    if let (Some(r), Some(name)) = (&m.reply_to, &v.reply_author) {
        map.insert("reply_to".into(), json!({"id": r.id, "user": name}));
    }
    if let Some(p) = m.ping {
        map.insert("ping".into(), json!(p));
    }
    if m.edited {
        map.insert("edited".into(), json!(true));
    }
    if !v.reactions.is_empty() {
        let reactions: Map<String, Value> = v.reactions.iter().map(|(e, users)| (e.clone(), json!(users))).collect();
        map.insert("reactions".into(), Value::Object(reactions));
    }
    if let Some(i) = &m.interaction {
        map.insert("interaction".into(), json!({"command": i.command, "username": i.username}));
    }
    put_extras(&mut map, &m.extra);
    if let Some(p) = v.position {
        map.insert("position".into(), json!(p));
    }
    if let Some(c) = &v.channel {
        map.insert("channel".into(), json!(c));
    }
    Value::Object(map)
}

/// A channel record as stored (the original's channels.json object).
pub fn stored_channel_json(c: &domain::Channel) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("type".into(), json!(c.kind.as_str()));
    map.insert("name".into(), json!(c.name));
    if let Some(p) = &c.permissions {
        let perms: Map<String, Value> = p.0.iter().map(|(k, roles)| (k.clone(), json!(roles))).collect();
        map.insert("permissions".into(), Value::Object(perms));
    }
    put_extras(&mut map, &c.extra);
    map
}

fn channel_json(v: &ChannelView) -> Value {
    let mut map = stored_channel_json(&v.channel);
    if let Some(last) = v.last_message {
        map.insert("last_message".into(), json!(last));
    }
    if let Some(state) = &v.voice_state {
        let list: Vec<Value> = state.iter().map(|(u, muted)| json!({"username": u, "muted": muted})).collect();
        map.insert("voice_state".into(), Value::Array(list));
    }
    Value::Object(map)
}
