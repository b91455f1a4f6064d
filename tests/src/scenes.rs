//! The names are fixed: `boss` is the owner (the config's `auth.owners`), `alice` and `bob`
//! are plain users, `mallory` is the one `community` bans, and `guest` holds only the role
//! `guest` on a `start_with_guests` server. Each scene asserts every step it relies on, so
//! a scene that breaks fails where it broke, not in the test that used it.

use serde_json::{Value, json};

use crate::expect::settle;
use crate::server::merge;
use crate::{Backend, Client, TestServer};

/// A server whose owner is `boss`.
pub async fn start(b: Backend) -> TestServer {
    start_with(b, json!({})).await
}

/// A server whose owner is `boss`, with `overrides` merged into the test config.
pub async fn start_with(b: Backend, overrides: Value) -> TestServer {
    start_with_files(b, overrides, &[]).await
}

/// A server whose owner is `boss`, with `overrides` merged into the test config, after
/// writing `files` into its folder (see [`TestServer::start_with_files`]).
pub async fn start_with_files(b: Backend, overrides: Value, files: &[(&str, &str)]) -> TestServer {
    let mut config = json!({"auth": {"owners": ["boss"]}});
    merge(&mut config, &overrides);
    TestServer::start_with_files(b, config, files).await
}

/// A server whose owner is `boss`, with messages capped at 20 characters and searches at 3
/// results.
pub async fn start_with_small_limits(b: Backend) -> TestServer {
    start_with(b, json!({"limits": {"post_content": 20, "search_results": 3}})).await
}

/// A server whose owner is `boss` and whose new users hold only the role `guest`, which may
/// view no channel.
pub async fn start_with_guests(b: Backend) -> TestServer {
    start_with(b, json!({"DB": {"users": {"default": {"roles": ["guest"]}}}})).await
}

/// The owner `boss` and the users `alice` and `bob`, logged in in that order, each past the
/// others' logins.
pub async fn cast(s: &TestServer) -> (Client, Client, Client) {
    let mut boss = s.login("boss").await;
    let mut alice = s.login("alice").await;
    let mut bob = s.login("bob").await;
    settle(&mut [&mut boss, &mut alice, &mut bob]).await;
    (boss, alice, bob)
}

/// The owner `boss`, the user `bob`, a banned `mallory`, a role `helper` and a channel
/// `side` (viewed by users); every client synced.
pub async fn community(s: &TestServer) -> (Client, Client) {
    let mut boss = s.login("boss").await;
    let mallory = s.login("mallory").await;
    mallory.close().await;
    assert_eq!(boss.expect_cmd("user_disconnect").await["username"], "mallory");
    let mut bob = s.login("bob").await;
    boss.sync().await;
    let create = json!({"cmd": "role_create", "name": "helper", "description": "Helps", "color": "#00AAFF",
        "permissions": {"mention_roles": true}});
    assert_eq!(act(&mut boss, create).await.0, json!({"cmd": "role_create", "name": "helper", "created": true}));
    let side = json!({"cmd": "channel_create", "name": "side", "type": "text", "permissions": {"view": ["user"]}});
    assert_eq!(act(&mut boss, side).await.0["created"], true);
    assert_eq!(
        act(&mut boss, json!({"cmd": "user_ban", "user": "mallory"})).await.0,
        json!({"cmd": "user_ban", "user": "mallory", "banned": true})
    );
    bob.sync().await;
    (boss, bob)
}

/// Everything the owner and user commands could change, as the owner and `bob` of
/// [`community`] see it: compare it before and after a refused command.
pub async fn snapshot(boss: &mut Client, bob: &mut Client) -> Vec<Value> {
    let mut out = vec![];
    for req in [
        json!({"cmd": "users_list"}),
        json!({"cmd": "roles_list"}),
        json!({"cmd": "channels_get"}),
        json!({"cmd": "users_banned_list"}),
        json!({"cmd": "user_roles_get", "user": "bob"}),
        json!({"cmd": "user_roles_get", "user": "boss"}),
        json!({"cmd": "role_permissions_get", "name": "helper"}),
        json!({"cmd": "plugins_list"}),
    ] {
        let v = boss.request(req.clone()).await;
        assert_eq!(v["cmd"], req["cmd"], "{v}");
        out.push(v);
    }
    out.push(bob.request(json!({"cmd": "channels_get"})).await);
    out.push(bob.request(json!({"cmd": "users_list"})).await);
    out
}

/// Asserts that no push reached the owner or `bob` after `what`.
pub async fn no_pushes(boss: &mut Client, bob: &mut Client, what: &str) {
    assert_eq!(boss.sync().await, Vec::<Value>::new(), "no push reached the owner after {what}");
    assert_eq!(bob.sync().await, Vec::<Value>::new(), "no push reached bob after {what}");
}

/// Sends a request and returns its reply, then the pushes it caused on the sender.
pub async fn act(c: &mut Client, req: Value) -> (Value, Vec<Value>) {
    let reply = c.request(req).await;
    (reply, c.sync().await)
}

/// The owner creates a text channel; it and every one of `others` then has its
/// `channels_get` push read.
pub async fn create_channel(boss: &mut Client, others: &mut [&mut Client], name: &str, permissions: Value) {
    let reply =
        boss.request(json!({"cmd": "channel_create", "name": name, "type": "text", "permissions": permissions})).await;
    assert_eq!(reply["created"], true, "{reply}");
    boss.sync().await;
    settle(others).await;
}

/// Posts `content` to `channel` and returns the broadcast message.
pub async fn post_in(c: &mut Client, channel: &str, content: &str) -> Value {
    let v = c.request(json!({"cmd": "message_new", "channel": channel, "content": content})).await;
    assert_eq!(v["cmd"], "message_new", "{v}");
    v["message"].clone()
}

/// Posts `content` to `general` and returns the broadcast message.
pub async fn post(c: &mut Client, content: &str) -> Value {
    post_in(c, "general", content).await
}

/// The message `id` of `channel`, as `message_get` returns it.
pub async fn get_message(c: &mut Client, channel: &str, id: &Value) -> Value {
    let v = c.request(json!({"cmd": "message_get", "channel": channel, "id": id})).await;
    assert_eq!(v["cmd"], "message_get", "{v}");
    v["message"].clone()
}

/// The contents of a list of messages, in order.
pub fn contents(messages: &Value) -> Vec<String> {
    messages.as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap().to_owned()).collect()
}

/// The owner `boss` creates the forums `ideas` (users may view, send and create threads)
/// and `vault` (owner only); everyone's channel pushes are read.
pub async fn forums(boss: &mut Client, others: &mut [&mut Client]) {
    for (name, who) in [("ideas", "user"), ("vault", "owner")] {
        let perms = json!({"view": [who], "send": [who], "create_thread": [who]});
        let r =
            boss.request(json!({"cmd": "channel_create", "name": name, "type": "forum", "permissions": perms})).await;
        assert_eq!(r["created"], true, "{r}");
        assert_eq!(r["channel"]["type"], "forum", "{r}");
        boss.sync().await;
    }
    settle(others).await;
}
