//! Renders every outgoing packet to the exact JSON of the spec. This is the only place
//! that knows the shape of server → client packets.

use application::packets::Handshake;
use application::ports::PluginInfo;
use application::ports::{Frame, PacketEncoder};
use application::slash::Registered;
use application::views::{ChannelView, MessageView, UserView};
use application::voice::Seat;
use application::{CommandError, Packet};
use domain::{Extras, User};
use serde_json::{Map, Value, json};

use crate::records::{channel_object, role_object};

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

/// One emoji as `emoji_get_all` lists it.
fn emoji_json(e: &domain::Emoji) -> Value {
    json!({"name": e.name, "fileName": e.file_name})
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
        Packet::Ready { user, validator, session_id } => {
            let mut v = json!({"cmd": "ready", "user": ready_user(user), "validator": validator});
            if let Some(id) = session_id {
                v["session_id"] = json!(id);
            }
            v
        }
        Packet::Resumed { session_id, seq } => json!({"cmd": "resumed", "session_id": session_id, "seq": seq}),
        Packet::UserJoin(u) => json!({"cmd": "user_join", "user": user_view(u)}),
        Packet::UserConnect(u) => json!({"cmd": "user_connect", "user": user_view(u)}),
        Packet::UserDisconnect { username } => json!({"cmd": "user_disconnect", "username": username}),
        Packet::Ping => json!({"cmd": "ping"}),
        Packet::Pong => json!({"cmd": "pong", "val": "pong"}),
        Packet::ServerInfo(p) => json!({"cmd": "server_info", "name": p.name, "icon": p.icon, "banner": p.banner}),
        Packet::ServerUpdate(p) => json!({"cmd": "server_update", "name": p.name, "icon": p.icon, "banner": p.banner}),
        Packet::MessageNew { channel, message } => {
            json!({"cmd": "message_new", "message": message_json(message), "channel": channel, "global": true})
        }
        Packet::MessageEdit { channel, message } => json!({
            "cmd": "message_edit",
            "id": message.message.id,
            "content": message.message.content,
            "message": message_json(message),
            "channel": channel,
            "global": true,
        }),
        Packet::MessageDelete { channel, id } => {
            json!({"cmd": "message_delete", "id": id, "channel": channel, "global": true})
        }
        Packet::Typing { channel, user } => json!({"cmd": "typing", "user": user, "channel": channel, "global": true}),
        Packet::MessageGet { channel, message } => {
            json!({"cmd": "message_get", "channel": channel, "message": message_json(message)})
        }
        Packet::MessageReplies { channel, message_id, replies } => json!({
            "cmd": "message_replies",
            "channel": channel,
            "message_id": message_id,
            "replies": messages_json(replies),
        }),
        Packet::MessagesSearch { channel, query, results } => json!({
            "cmd": "messages_search",
            "channel": channel,
            "query": query,
            "results": messages_json(results),
        }),
        Packet::MessagesPinned { channel, messages } => {
            json!({"cmd": "messages_pinned", "channel": channel, "messages": messages_json(messages)})
        }
        Packet::MessagePin { channel, id, pinned } => json!({
            "cmd": if *pinned { "message_pin" } else { "message_unpin" },
            "id": id,
            "channel": channel,
            "pinned": pinned,
            "global": true,
        }),
        Packet::Reaction { added, channel, id, emoji, from } => json!({
            "cmd": if *added { "message_react_add" } else { "message_react_remove" },
            "id": id,
            "emoji": emoji,
            "channel": channel,
            "from": from,
            "global": true,
        }),
        Packet::PingsGet { messages, offset, limit, total } => json!({
            "cmd": "pings_get",
            "messages": messages_json(messages),
            "offset": offset,
            "limit": limit,
            "total": total,
        }),
        Packet::UsersList(users) => {
            json!({"cmd": "users_list", "users": users.iter().map(user_view).collect::<Vec<_>>()})
        }
        Packet::UsersOnline(users) => {
            json!({"cmd": "users_online", "users": users.iter().map(user_view).collect::<Vec<_>>()})
        }
        Packet::UsersBannedList(names) => json!({"cmd": "users_banned_list", "users": names}),
        Packet::UserBan { user, banned } => json!({"cmd": "user_ban", "user": user, "banned": banned}),
        Packet::UserUnban { user, unbanned } => json!({"cmd": "user_unban", "user": user, "unbanned": unbanned}),
        Packet::UserTimeout { user, timeout } => json!({"cmd": "user_timeout", "user": raw(user), "timeout": timeout}),
        Packet::UserLeft { username } => json!({"cmd": "user_leave", "username": username}),
        Packet::UserLeaveReply { user } => json!({"cmd": "user_leave", "user": user, "val": "User left server"}),
        Packet::UserRolesAdd { user, roles } => {
            json!({"cmd": "user_roles_add", "user": user, "roles": roles, "added": true})
        }
        Packet::UserRolesRemove { user, roles, removed } => {
            json!({"cmd": "user_roles_remove", "user": user, "roles": roles, "removed": removed})
        }
        Packet::UserRolesGet { user, roles, color } => {
            json!({"cmd": "user_roles_get", "user": user, "roles": roles, "color": color})
        }
        Packet::UserRolesSet { user, roles } => {
            json!({"cmd": "user_roles_set", "user": user, "roles": roles, "set": true})
        }
        Packet::RolesList(roles) => {
            let map: Map<String, Value> = roles.iter().map(|r| (r.name.clone(), Value::Object(role_wire(r)))).collect();
            json!({"cmd": "roles_list", "roles": map})
        }
        Packet::RoleReorder(names) => json!({"cmd": "role_reorder", "roles": names}),
        Packet::SelfRole { added, role, roles } => json!({
            "cmd": if *added { "self_role_add" } else { "self_role_remove" },
            "role": role, "success": true, "roles": roles,
        }),
        Packet::SelfRolesList(list) => {
            let roles: Vec<Value> = list
                .iter()
                .map(|(r, assigned)| {
                    json!({"name": r.name, "description": r.description, "color": r.color, "assigned": assigned})
                })
                .collect();
            json!({"cmd": "self_roles_list", "roles": roles})
        }
        Packet::RoleCreated(name) => json!({"cmd": "role_create", "name": name, "created": true}),
        Packet::RoleUpdated(name) => json!({"cmd": "role_update", "name": name, "updated": true}),
        Packet::RoleDeleted(name) => json!({"cmd": "role_delete", "name": name, "deleted": true}),
        Packet::RolePermissionsSet { name, permissions } => json!({
            "cmd": "role_permissions_set", "name": name, "permissions": raw(permissions), "updated": true,
        }),
        Packet::RolePermissionsGet { name, permissions } => {
            json!({"cmd": "role_permissions_get", "name": name, "permissions": raw(permissions)})
        }
        Packet::ChannelCreated(c) => {
            json!({"cmd": "channel_create", "channel": channel_object(c, true), "created": true})
        }
        Packet::ChannelUpdated(c) => {
            json!({"cmd": "channel_update", "channel": channel_object(c, true), "updated": true})
        }
        Packet::ChannelMoved { name, position, moved } => {
            json!({"cmd": "channel_move", "name": name, "position": position, "moved": moved})
        }
        Packet::ChannelDeleted(name) => json!({"cmd": "channel_delete", "name": name, "deleted": true}),
        Packet::RateLimitStatus { user, status } => json!({
            "cmd": "rate_limit_status",
            "user": user,
            "status": {
                "messages_this_minute": status.messages_this_minute,
                "messages_per_minute_limit": status.messages_per_minute_limit,
                "recent_messages": status.recent_messages,
                "burst_limit": status.burst_limit,
                "cooldown_remaining": seconds(status.cooldown_remaining),
                "timeout_remaining": seconds(status.timeout_remaining),
            },
        }),
        Packet::RateLimitReset { user } => {
            json!({"cmd": "rate_limit_reset", "user": user, "val": format!("Rate limit reset for user {user}")})
        }
        Packet::MessagesGet { channel, messages, range } => json!({
            "cmd": "messages_get",
            "channel": channel,
            "messages": messages_json(messages),
            "range": {"start": range.start, "end": range.end},
        }),
        Packet::StatusGet { username, status } => {
            json!({"cmd": "status_get", "username": username, "status": presence(status)})
        }
        Packet::StatusSet { status } => json!({"cmd": "status_set", "status": presence(status)}),
        Packet::UserUpdateReply { user, nickname } => json!({"cmd": "user_update", "user": user, "nickname": nickname}),
        Packet::UserUpdated { username, nickname } => {
            json!({"cmd": "user_updated", "username": username, "nickname": nickname})
        }
        Packet::NicknameUpdate { username, nickname } => {
            json!({"cmd": "nickname_update", "user": username, "username": username, "nickname": nickname})
        }
        Packet::NicknameRemove { username } => {
            json!({"cmd": "nickname_remove", "user": username, "username": username})
        }
        Packet::UserDeleteReply { user } => json!({"cmd": "user_delete", "user": user, "deleted": true}),
        Packet::UnreadsGet { unreads } => {
            let map: Map<String, Value> = unreads.iter().map(|(c, st)| (c.clone(), unread_json(st))).collect();
            json!({"cmd": "unreads_get", "unreads": map})
        }
        Packet::UnreadsCount { channel, state } => json!({
            "cmd": "unreads_count",
            "channel": channel,
            "unread_count": state.unread_count,
            "last_read": state.last_read,
            "total_messages": state.total_messages,
        }),
        Packet::UnreadsAck { channel, last_read } => {
            json!({"cmd": "unreads_ack", "channel": channel, "last_read": last_read})
        }
        Packet::UnreadsUpdate { channel, last_read } => {
            json!({"cmd": "unreads_update", "channel": channel, "last_read": last_read})
        }
        Packet::MessagesAround { channel, messages, range } => json!({
            "cmd": "messages_around",
            "channel": channel,
            "messages": messages_json(messages),
            "range": {"start": range.start, "end": range.end},
        }),
        Packet::ThreadCreate { channel, thread } => {
            json!({"cmd": "thread_create", "thread": thread_json(thread), "channel": channel, "global": true})
        }
        Packet::ThreadGet(thread) => json!({"cmd": "thread_get", "thread": thread_json(thread)}),
        Packet::ThreadMessages { thread_id, messages } => {
            json!({"cmd": "thread_messages", "thread_id": thread_id, "messages": messages_json(messages)})
        }
        Packet::ThreadUpdate { channel, thread } => {
            json!({"cmd": "thread_update", "thread": thread_json(thread), "channel": channel, "global": true})
        }
        Packet::ThreadDelete { channel, thread_id } => {
            json!({"cmd": "thread_delete", "thread_id": thread_id, "channel": channel, "global": true})
        }
        Packet::ThreadMembership { join, thread, user } => json!({
            "cmd": if *join { "thread_join" } else { "thread_leave" },
            "thread": thread_json(thread),
            "thread_id": thread.thread.id,
            "user": user,
            "global": true,
        }),
        Packet::ThreadPage { around, channel, thread_id, messages, range } => json!({
            "cmd": if *around { "messages_around" } else { "messages_get" },
            "channel": channel,
            "thread_id": thread_id,
            "messages": messages_json(messages),
            "range": {"start": range.start, "end": range.end},
        }),
        Packet::InThread { thread_id, packet } => {
            let mut v = packet_json(packet);
            v["thread_id"] = json!(thread_id);
            v
        }
        Packet::ThreadUnreadsCount { thread_id, state } => json!({
            "cmd": "unreads_count",
            "thread_id": thread_id,
            "unread_count": state.unread_count,
            "last_read": state.last_read,
            "total_messages": state.total_messages,
        }),
        Packet::ThreadUnreadsAck { thread_id, last_read } => {
            json!({"cmd": "unreads_ack", "thread_id": thread_id, "last_read": last_read})
        }
        Packet::ThreadUnreadsUpdate { thread_id, last_read } => {
            json!({"cmd": "unreads_update", "thread_id": thread_id, "last_read": last_read})
        }
        Packet::ChannelsGet(list) => {
            json!({"cmd": "channels_get", "val": list.iter().map(channel_json).collect::<Vec<_>>()})
        }
        Packet::SlashAdd(list) => json!({"cmd": "slash_add", "commands": slash_commands(list)}),
        Packet::SlashRemove(names) => json!({"cmd": "slash_remove", "commands": names}),
        Packet::SlashRegistered(n) => {
            json!({"cmd": "slash_register", "val": format!("{n} commands registered successfully")})
        }
        Packet::SlashList(list) => json!({"cmd": "slash_list", "commands": slash_commands(list)}),
        Packet::SlashCall { command, args, commander, invoker, invoker_username, channel } => json!({
            "cmd": "slash_call",
            "val": {"command": command, "args": raw(args), "commander": commander},
            "invoker": invoker.as_str(),
            "invokerUsername": invoker_username,
            "channel": channel,
        }),
        Packet::SlashCallSent(name) => json!({"cmd": "slash_call_sent", "val": format!("Command /{name} invoked")}),
        Packet::PluginsList(list) => {
            let map: Map<String, Value> = list.iter().map(|p| (p.key.clone(), plugin_info(p))).collect();
            json!({"cmd": "plugins_list", "plugins": map})
        }
        Packet::PushVapid(key) => json!({"cmd": "push_vapid", "key": key}),
        Packet::PushSubscribed => json!({"cmd": "push_subscribed", "success": true}),
        Packet::PushUnsubscribed => json!({"cmd": "push_unsubscribed", "success": true}),
        Packet::PluginsReloaded(None) => json!({"cmd": "plugins_reload", "val": "All plugins reloaded successfully"}),
        Packet::PluginsReloaded(Some(name)) => {
            json!({"cmd": "plugins_reload", "val": format!("Plugin '{name}' reloaded successfully")})
        }
        Packet::Disconnect { reason } => json!({"cmd": "disconnect", "reason": reason}),
        Packet::EmojiList(emojis) => {
            let map: Map<String, Value> = emojis.iter().map(|e| (e.id.to_string(), emoji_json(e))).collect();
            json!({"cmd": "emoji_get_all", "emojis": map})
        }
        Packet::EmojiAdded(e) => json!({
            "cmd": "emoji_add", "id": e.id.to_string(), "added": true, "name": e.name, "fileName": e.file_name,
        }),
        Packet::EmojiUpdated { id, updated, name: Some(name) } => {
            json!({"cmd": "emoji_update", "id": id, "updated": updated, "name": name})
        }
        Packet::EmojiUpdated { id, updated, name: None } => {
            json!({"cmd": "emoji_update", "id": id, "updated": updated})
        }
        Packet::EmojiDeleted { id, deleted } => json!({"cmd": "emoji_delete", "id": id, "deleted": deleted}),
        Packet::EmojiId { name, id } => json!({"cmd": "emoji_get_id", "name": name, "id": id.to_string()}),
        Packet::EmojiFileName { name, file_name } => {
            json!({"cmd": "emoji_get_filename", "name": name, "filepath": file_name})
        }
        Packet::Custom(v) => raw(v),
        Packet::VoiceJoined { channel, participants } => {
            let list: Vec<Value> = participants
                .iter()
                .map(|s| json!({"username": s.username, "peer_id": s.peer_id, "muted": s.muted}))
                .collect();
            json!({"cmd": "voice_join", "channel": channel, "participants": list})
        }
        Packet::VoiceLeft { channel } => json!({"cmd": "voice_leave", "channel": channel}),
        Packet::VoiceMuted { channel, muted } => json!({
            "cmd": if *muted { "voice_mute" } else { "voice_unmute" },
            "channel": channel,
            "muted": muted,
        }),
        Packet::VoiceState { channel, participants, with_peer } => {
            let list: Vec<Value> = participants.iter().map(|s| voice_user(s, *with_peer)).collect();
            json!({"cmd": "voice_state", "channel": channel, "participants": list})
        }
        Packet::VoiceUserJoined { channel, seat, with_peer } => {
            json!({"cmd": "voice_user_joined", "channel": channel, "user": voice_user(seat, *with_peer)})
        }
        Packet::VoiceUserUpdated { channel, seat, with_peer } => {
            json!({"cmd": "voice_user_updated", "channel": channel, "user": voice_user(seat, *with_peer)})
        }
        Packet::VoiceUserLeft { channel, username } => {
            json!({"cmd": "voice_user_left", "channel": channel, "username": username})
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

/// Seconds as the original prints them: `0` (an integer) when none, else a float.
fn seconds(s: f64) -> Value {
    if s <= 0.0 { json!(0) } else { json!(s) }
}

fn error_json(src: Option<&str>, error: &CommandError) -> Value {
    let mut map = Map::new();
    map.insert("cmd".into(), json!("error"));
    if let (Some(src), false) = (src, error.omits_src()) {
        map.insert("src".into(), json!(src));
    }
    map.insert("val".into(), json!(error.to_string()));
    Value::Object(map)
}

/// Commands as `slash_add` and `slash_list` show them (docs/design/slash-commands.md#listing).
fn slash_commands(list: &[Registered]) -> Vec<Value> {
    list.iter()
        .map(|r| {
            let c = &r.command;
            let options: Vec<Value> = c
                .options
                .iter()
                .map(|o| {
                    json!({"name": o.name, "description": o.description, "type": o.kind.as_str(),
                           "choices": o.choices, "required": o.required})
                })
                .collect();
            json!({
                "name": c.name,
                "description": c.description,
                "options": options,
                "whitelistRoles": c.whitelist,
                "blacklistRoles": c.blacklist,
                "ephemeral": c.ephemeral,
                "registeredBy": r.username,
            })
        })
        .collect()
}

/// A plugin as `plugins_list` shows it; a stopped plugin also says why.
fn plugin_info(p: &PluginInfo) -> Value {
    let mut v = json!({"name": p.name, "description": p.description, "handles": p.handles});
    if let Some(why) = &p.stopped {
        v["stopped"] = json!(why);
    }
    v
}

/// A voice participant as events and `voice_state` show it (docs/design/voice.md#peer-ids-only-to-participants).
fn voice_user(seat: &Seat, with_peer: bool) -> Value {
    let mut v = json!({"id": seat.user.as_str(), "username": seat.username, "muted": seat.muted});
    if with_peer {
        v["peer_id"] = json!(seat.peer_id);
    }
    v
}

fn handshake(h: &Handshake) -> Value {
    let mut server = raw(&h.server);
    if let Value::Object(fields) = &mut server {
        let o = &h.overrides;
        for (key, value) in [("name", &o.name), ("icon", &o.icon), ("banner", &o.banner)] {
            if let Some(v) = value {
                fields.insert(key.into(), Value::String(v.clone()));
            }
        }
    }
    json!({
        "server": server,
        "limits": raw(&h.limits),
        "version": h.version,
        "validator_key": h.validator_key,
        "capabilities": h.capabilities,
        "permissions": domain::permission::SERVER_PERMISSIONS,
    })
}

/// A role as clients see it: its stored record with `permissions` (`[]` when it has none).
fn role_wire(role: &domain::Role) -> Map<String, Value> {
    let mut map = role_object(role);
    map.entry("permissions").or_insert_with(|| json!([]));
    map
}

fn unread_json(st: &application::packets::UnreadState) -> Value {
    let mut v =
        json!({"last_read": st.last_read, "unread_count": st.unread_count, "total_messages": st.total_messages});
    if let Some(parent) = &st.parent_channel {
        v["parent_channel"] = json!(parent);
    }
    v
}

/// A thread object (docs/design/threads.md#wire).
pub fn thread_json(v: &application::views::ThreadView) -> Value {
    let t = &v.thread;
    json!({
        "id": t.id,
        "name": t.name,
        "parent_channel": t.parent_channel,
        "created_by": v.created_by,
        "created_at": t.created_at,
        "locked": t.locked,
        "archived": t.archived,
        "participants": v.participants,
        "last_message": v.last_message.as_ref().map(|(ts, _)| *ts),
        "last_message_id": v.last_message.as_ref().map(|(_, id)| id),
    })
}

fn user_view(u: &UserView) -> Value {
    let mut v = json!({"username": u.username, "roles": u.roles, "color": u.color});
    if let Some(n) = &u.nickname {
        v["nickname"] = json!(n);
    }
    if let Some(p) = &u.status {
        v["status"] = presence(p);
    }
    v
}

fn presence(p: &domain::Presence) -> Value {
    json!({"status": p.status, "text": p.text})
}

/// `ready.user`: the stored record without `validator`, `username` forced, no id.
pub fn ready_user(user: &User) -> Value {
    let mut map = Map::new();
    map.insert("roles".into(), json!(user.roles));
    map.insert("username".into(), json!(user.display_name()));
    put_extras(&mut map, &crate::records::extras_with_profile(&user.extra, &user.profile));
    map.remove("validator");
    Value::Object(map)
}

fn messages_json(list: &[MessageView]) -> Vec<Value> {
    list.iter().map(message_json).collect()
}

/// A message as clients see it (docs/design/messages.md#wire-form).
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
    if let Some(t) = &v.thread_id {
        map.insert("thread_id".into(), json!(t));
    }
    if let Some(p) = v.pings.as_ref().filter(|p| !p.is_empty()) {
        map.insert("pings".into(), json!({"users": p.users, "roles": p.roles, "replies": p.replies}));
    }
    Value::Object(map)
}

fn channel_json(v: &ChannelView) -> Value {
    let mut map = channel_object(&v.channel, true);
    if let Some(last) = v.last_message {
        map.insert("last_message".into(), json!(last));
    }
    if let Some(threads) = &v.threads {
        map.insert("threads".into(), threads.iter().map(thread_json).collect());
    }
    if let Some(state) = &v.voice_state {
        let list: Vec<Value> = state.iter().map(|(u, muted)| json!({"username": u, "muted": muted})).collect();
        map.insert("voice_state".into(), Value::Array(list));
    }
    Value::Object(map)
}
