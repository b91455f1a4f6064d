//! The data plugins receive with each event: the original's field names
//! (docs/design/plugins.md#events), with user ids and usernames both present.

use application::ports::{Actor, PluginEvent};
use application::views::NameBook;
use serde_json::{Map, Value, json};

use codec::records::channel_object;
use codec::render::{message_json, ready_user};

fn actor(a: &Actor) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("user_id".into(), json!(a.id.as_str()));
    m.insert("username".into(), json!(a.username));
    m
}

fn with(mut base: Map<String, Value>, more: Value) -> Value {
    if let Value::Object(extra) = more {
        base.extend(extra);
    }
    Value::Object(base)
}

/// `data` with `thread_id` added for an event about a thread's message (channel events
/// carry no such key, as before threads existed).
fn in_thread(thread_id: &Option<String>, mut data: Value) -> Value {
    if let (Some(id), Value::Object(map)) = (thread_id, &mut data) {
        map.insert("thread_id".into(), json!(id));
    }
    data
}

/// The event's data object.
pub fn event_data(event: &PluginEvent) -> Value {
    match event {
        PluginEvent::ServerStart => json!({}),
        PluginEvent::UserJoin { user, color } | PluginEvent::UserConnect { user, color } => json!({
            "username": user.display_name(),
            "user_id": user.id.as_str(),
            "roles": user.roles,
            "color": color,
            "user": ready_user(user),
        }),
        PluginEvent::NewMessage { channel, thread_id, message, by } => {
            // The stored form: `user` is the author's id.
            let stored = message_json(&NameBook::default().view((**message).clone()));
            in_thread(
                thread_id,
                with(actor(by), json!({"content": message.content, "channel": channel, "message": stored})),
            )
        }
        PluginEvent::Typing { channel, thread_id, by } => {
            in_thread(thread_id, with(actor(by), json!({"channel": channel})))
        }
        PluginEvent::MessageEdit { channel, thread_id, id, content, by } => {
            in_thread(thread_id, with(actor(by), json!({"channel": channel, "id": id, "content": content})))
        }
        PluginEvent::MessageDelete { channel, thread_id, id, by } => {
            in_thread(thread_id, with(actor(by), json!({"channel": channel, "id": id})))
        }
        PluginEvent::MessagePin { channel, thread_id, id, pinned, by } => {
            in_thread(thread_id, with(actor(by), json!({"channel": channel, "id": id, "pinned": pinned})))
        }
        PluginEvent::UserTimeout { target, timeout_ms } => with(actor(target), json!({"timeout": timeout_ms})),
        PluginEvent::UserBan { target, .. } | PluginEvent::UserLeave { target } => Value::Object(actor(target)),
        PluginEvent::RoleSaved { role, .. } => {
            json!({"role_name": role.name, "description": role.description, "color": role.color})
        }
        PluginEvent::RoleDelete { name } => json!({"role_name": name}),
        PluginEvent::ChannelCreate { channel } => json!({"channel": channel_object(channel, true)}),
        PluginEvent::ChannelUpdate { old_name, channel } => {
            json!({"old_name": old_name, "channel": channel_object(channel, true)})
        }
        PluginEvent::ChannelMove { channel, position } => json!({"channel": channel, "position": position}),
        PluginEvent::ChannelDelete { name } => json!({"channel_name": name}),
        PluginEvent::UserRoles { target, roles, .. } => with(actor(target), json!({"roles": roles})),
        PluginEvent::AutoModerate { by, channel, content, duration, message_id } => with(
            actor(by),
            json!({"channel": channel, "content": content, "action": "timeout", "duration": duration,
                   "reason": "blocked_words", "message_id": message_id}),
        ),
    }
}

#[cfg(test)]
mod tests {
    use domain::{Message, UserId};

    use super::*;

    #[test]
    fn new_message_carries_the_stored_message_with_the_author_id() {
        let by = Actor { id: UserId("USR:1".into()), username: "alice".into() };
        let message = Message::new("m1".into(), by.id.clone(), "hi".into(), 5.0);
        let data = event_data(&PluginEvent::NewMessage {
            channel: "general".into(),
            thread_id: None,
            message: Box::new(message),
            by,
        });
        assert_eq!(data["user_id"], "USR:1");
        assert_eq!(data["username"], "alice");
        assert_eq!(data["content"], "hi");
        assert_eq!(data["channel"], "general");
        assert_eq!(data["message"]["user"], "USR:1");
        assert_eq!(data["message"]["id"], "m1");
        assert!(data.get("thread_id").is_none(), "a channel message has no thread_id key");
    }

    #[test]
    fn thread_message_events_add_the_thread_id() {
        let by = Actor { id: UserId("USR:1".into()), username: "alice".into() };
        let thread_id = Some("t-1".to_owned());
        let events = [
            PluginEvent::NewMessage {
                channel: "ideas".into(),
                thread_id: thread_id.clone(),
                message: Box::new(Message::new("m1".into(), by.id.clone(), "hi".into(), 5.0)),
                by: by.clone(),
            },
            PluginEvent::Typing { channel: "ideas".into(), thread_id: thread_id.clone(), by: by.clone() },
            PluginEvent::MessageEdit {
                channel: "ideas".into(),
                thread_id: thread_id.clone(),
                id: "m1".into(),
                content: "x".into(),
                by: by.clone(),
            },
            PluginEvent::MessageDelete {
                channel: "ideas".into(),
                thread_id: thread_id.clone(),
                id: "m1".into(),
                by: by.clone(),
            },
            PluginEvent::MessagePin { channel: "ideas".into(), thread_id, id: "m1".into(), pinned: true, by },
        ];
        for e in &events {
            let data = event_data(e);
            assert_eq!((data["channel"].as_str(), data["thread_id"].as_str()), (Some("ideas"), Some("t-1")), "{data}");
            assert_eq!(data["user_id"], "USR:1", "{data}");
        }
    }
}
