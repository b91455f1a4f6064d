//! Voice signalling over a real socket (docs/design/voice.md, docs/design/voice.md#seats): the roster, who gets
//! which packet (peer ids only to connections in the call), and every error text.

use originchats_tests::expect::{err, settle};
use originchats_tests::scenes;
use originchats_tests::{Backend, Client, TestServer, backend_tests};
use serde_json::{Value, json};

fn who(name: &str, muted: bool, peer: Option<&str>) -> Value {
    let mut v = json!({"id": format!("USR:{name}"), "username": name, "muted": muted});
    if let Some(p) = peer {
        v["peer_id"] = json!(p);
    }
    v
}

/// A server with the owner `boss` and voice channels `lounge` (users) and `vip` (admins).
async fn start(b: Backend) -> (TestServer, Client) {
    let s = scenes::start(b).await;
    let mut boss = s.login("boss").await;
    for (name, view) in [("lounge", "user"), ("vip", "admin")] {
        let create = json!({"cmd": "channel_create", "name": name, "type": "voice", "permissions": {"view": [view]}});
        assert_eq!(boss.request(create).await["created"], true);
        boss.sync().await;
    }
    (s, boss)
}

async fn join(c: &mut Client, channel: &str, peer: &str) -> Value {
    c.send(json!({"cmd": "voice_join", "channel": channel, "peer_id": peer, "listener": "j"})).await;
    let own = c.recv().await;
    assert_eq!(own["cmd"], "voice_user_joined", "the joiner hears its own join first");
    assert_eq!(own["user"]["peer_id"], peer);
    let reply = c.recv().await;
    assert_eq!(reply["cmd"], "voice_join");
    assert_eq!(reply["listener"], "j");
    reply
}

async fn the_roster_reaches_viewers_and_peer_ids_only_the_call(b: Backend) {
    let (s, mut boss) = start(b).await;
    let mut alice = s.login("alice").await;
    let mut bob = s.login("bob").await;
    settle(&mut [&mut boss, &mut alice, &mut bob]).await;

    let reply = join(&mut alice, "lounge", "peer-a").await;
    assert_eq!(reply, json!({"cmd": "voice_join", "channel": "lounge", "participants": [], "listener": "j"}));
    let seen = json!({"cmd": "voice_user_joined", "channel": "lounge", "user": who("alice", false, None)});
    assert_eq!(bob.recv().await, seen, "a viewer outside the call gets no peer id");
    assert_eq!(boss.recv().await, seen);

    let reply = join(&mut bob, "lounge", "peer-b").await;
    assert_eq!(reply["participants"], json!([{"username": "alice", "peer_id": "peer-a", "muted": false}]));
    assert_eq!(
        alice.recv().await,
        json!({"cmd": "voice_user_joined", "channel": "lounge", "user": who("bob", false, Some("peer-b"))}),
        "participants get the newcomer's peer id"
    );
    assert_eq!(boss.recv().await["user"], who("bob", false, None));

    let listed = boss.request(json!({"cmd": "channels_get"})).await;
    let lounge = listed["val"].as_array().unwrap().iter().find(|c| c["name"] == "lounge").unwrap().clone();
    assert_eq!(
        lounge["voice_state"],
        json!([{"username": "alice", "muted": false}, {"username": "bob", "muted": false}])
    );
    let watcher_view = boss.request(json!({"cmd": "voice_state", "channel": "lounge"})).await;
    assert_eq!(
        watcher_view,
        json!({"cmd": "voice_state", "channel": "lounge", "participants": [who("alice", false, None), who("bob", false, None)]})
    );
    let member_view = alice.request(json!({"cmd": "voice_state", "channel": "lounge"})).await;
    assert_eq!(
        member_view["participants"],
        json!([who("alice", false, Some("peer-a")), who("bob", false, Some("peer-b"))])
    );

    for (cmd, muted) in [("voice_mute", true), ("voice_unmute", false)] {
        alice.send(json!({"cmd": cmd, "listener": cmd})).await;
        let update =
            json!({"cmd": "voice_user_updated", "channel": "lounge", "user": who("alice", muted, Some("peer-a"))});
        assert_eq!(alice.recv().await, update);
        assert_eq!(alice.recv().await, json!({"cmd": cmd, "channel": "lounge", "muted": muted, "listener": cmd}));
        assert_eq!(bob.recv().await, update);
        assert_eq!(boss.recv().await["user"], who("alice", muted, None));
    }

    alice.send(json!({"cmd": "voice_leave", "channel": "ignored", "listener": "l"})).await;
    let left = json!({"cmd": "voice_user_left", "channel": "lounge", "username": "alice"});
    assert_eq!(alice.recv().await, left, "the leaver is still in the audience");
    assert_eq!(alice.recv().await, json!({"cmd": "voice_leave", "channel": "lounge", "listener": "l"}));
    assert_eq!(bob.recv().await, left);
    assert_eq!(boss.recv().await, left);

    bob.close().await;
    assert_eq!(boss.recv().await, json!({"cmd": "voice_user_left", "channel": "lounge", "username": "bob"}));
    assert_eq!(boss.recv().await, json!({"cmd": "user_disconnect", "username": "bob"}));
    let bob_left = json!({"cmd": "voice_user_left", "channel": "lounge", "username": "bob"});
    assert_eq!(alice.recv().await, bob_left, "viewers outside the call are told too");
    let state = boss.request(json!({"cmd": "voice_state", "channel": "lounge"})).await;
    assert_eq!(state["participants"], json!([]));
}

async fn bad_requests_are_refused_and_change_nothing(b: Backend) {
    let (s, mut boss) = start(b).await;
    let mut bob = s.login("bob").await;
    settle(&mut [&mut boss, &mut bob]).await;
    let long = "p".repeat(257);
    for (req, text) in [
        (json!({"channel": "lounge"}), "Peer ID is required"),
        (json!({"channel": "lounge", "peer_id": ""}), "Peer ID is required"),
        (json!({"channel": "lounge", "peer_id": 7}), "Peer ID is required"),
        (json!({"channel": "lounge", "peer_id": long}), "Peer ID is required"),
        (json!({"peer_id": "p"}), "Channel name is required"),
        (json!({"channel": "general", "peer_id": "p"}), "This is not a voice channel"),
        (json!({"channel": "nowhere", "peer_id": "p"}), "You do not have permission to access this voice channel"),
        (json!({"channel": "vip", "peer_id": "p"}), "You do not have permission to access this voice channel"),
    ] {
        let mut req = req;
        req["cmd"] = json!("voice_join");
        assert_eq!(bob.request(req).await, err("voice_join", text));
    }
    for (channel, text) in [
        (json!(null), "Channel name is required"),
        (json!("general"), "This is not a voice channel"),
        (json!("vip"), "You do not have permission to access this voice channel"),
    ] {
        let req = json!({"cmd": "voice_state", "channel": channel});
        assert_eq!(bob.request(req).await, err("voice_state", text));
    }
    let unknown = json!({"cmd": "voice_join", "channel": "nowhere", "peer_id": "p"});
    assert_eq!(
        boss.request(unknown).await,
        err("voice_join", "You do not have permission to access this voice channel"),
        "an unknown channel fails for the owner too"
    );
    for cmd in ["voice_leave", "voice_mute", "voice_unmute"] {
        assert_eq!(bob.request(json!({"cmd": cmd})).await, err(cmd, "You are not in a voice channel"));
    }
    assert!(boss.sync().await.is_empty(), "no refused request reached anyone");
    assert_eq!(boss.request(json!({"cmd": "voice_state", "channel": "lounge"})).await["participants"], json!([]));

    // The owner may use a channel bob cannot view; bob hears nothing of it.
    join(&mut boss, "vip", "peer-boss").await;
    assert!(bob.sync().await.is_empty(), "a channel bob cannot view sends him nothing");
}

async fn a_second_connection_of_the_same_user_takes_the_seat(b: Backend) {
    let (s, mut boss) = start(b).await;
    let mut first = s.login("alice").await;
    let mut second = s.login("alice").await;
    let mut bob = s.login("bob").await;
    settle(&mut [&mut boss, &mut first, &mut second, &mut bob]).await;
    join(&mut first, "lounge", "peer-1").await;
    bob.sync().await;
    join(&mut bob, "lounge", "peer-b").await;
    settle(&mut [&mut boss, &mut first, &mut second]).await;

    second.send(json!({"cmd": "voice_join", "channel": "lounge", "peer_id": "peer-2"})).await;
    let alice_left = json!({"cmd": "voice_user_left", "channel": "lounge", "username": "alice"});
    assert_eq!(second.recv().await, alice_left, "the old seat goes first; this connection views the channel");
    assert_eq!(second.recv().await["user"], who("alice", false, Some("peer-2")));
    let reply = second.recv().await;
    assert_eq!(reply["participants"], json!([{"username": "bob", "peer_id": "peer-b", "muted": false}]));
    assert_eq!(first.recv().await, alice_left);
    assert_eq!(first.recv().await, json!({"cmd": "voice_leave", "channel": "lounge"}), "the old session is told");
    assert_eq!(first.recv().await["user"], who("alice", false, None), "now a watcher: no peer id");
    assert_eq!(bob.recv().await, json!({"cmd": "voice_user_left", "channel": "lounge", "username": "alice"}));
    assert_eq!(bob.recv().await["user"], who("alice", false, Some("peer-2")));
    boss.sync().await;
    let state = boss.request(json!({"cmd": "voice_state", "channel": "lounge"})).await;
    assert_eq!(state["participants"], json!([who("bob", false, None), who("alice", false, None)]));
    assert_eq!(
        first.request(json!({"cmd": "voice_leave"})).await,
        err("voice_leave", "You are not in a voice channel")
    );

    // Joining another channel leaves the first one.
    let create = json!({"cmd": "channel_create", "name": "studio", "type": "voice", "permissions": {"view": ["user"]}});
    boss.request(create).await;
    boss.sync().await;
    bob.sync().await;
    second.sync().await;
    second.send(json!({"cmd": "voice_join", "channel": "studio", "peer_id": "peer-3"})).await;
    assert_eq!(second.recv().await, alice_left);
    assert_eq!(second.recv().await["cmd"], "voice_user_joined");
    assert_eq!(second.recv().await["cmd"], "voice_join");
    first.sync().await;
    assert_eq!(bob.recv().await, json!({"cmd": "voice_user_left", "channel": "lounge", "username": "alice"}));
    assert_eq!(bob.recv().await["cmd"], "voice_user_joined");
    boss.sync().await;
    let state = boss.request(json!({"cmd": "voice_state", "channel": "lounge"})).await;
    assert_eq!(state["participants"], json!([who("bob", false, None)]));
}

async fn losing_the_channel_or_the_right_to_view_it_ends_the_call(b: Backend) {
    let (s, mut boss) = start(b).await;
    let mut alice = s.login("alice").await;
    let mut bob = s.login("bob").await;
    settle(&mut [&mut boss, &mut alice, &mut bob]).await;
    join(&mut alice, "lounge", "peer-a").await;
    bob.sync().await;
    join(&mut bob, "lounge", "peer-b").await;
    settle(&mut [&mut boss, &mut alice]).await;

    let revoke =
        json!({"cmd": "channel_update", "current_name": "lounge", "updates": {"permissions": {"view": ["admin"]}}});
    assert_eq!(boss.request(revoke).await["updated"], true);
    // The owner's next round trip ends after the change's pushes and evictions went out.
    boss.sync().await;
    let alice_packets = alice.sync().await;
    assert!(alice_packets.contains(&json!({"cmd": "voice_leave", "channel": "lounge"})), "{alice_packets:?}");
    let bob_packets = bob.sync().await;
    assert!(bob_packets.contains(&json!({"cmd": "voice_leave", "channel": "lounge"})));
    let state = boss.request(json!({"cmd": "voice_state", "channel": "lounge"})).await;
    assert_eq!(state["participants"], json!([]));

    let reopen =
        json!({"cmd": "channel_update", "current_name": "lounge", "updates": {"permissions": {"view": ["user"]}}});
    boss.request(reopen).await;
    boss.sync().await;
    alice.sync().await;
    join(&mut alice, "lounge", "peer-a2").await;
    boss.sync().await;
    assert_eq!(boss.request(json!({"cmd": "channel_delete", "name": "lounge"})).await["deleted"], true);
    boss.sync().await;
    assert!(alice.sync().await.contains(&json!({"cmd": "voice_leave", "channel": "lounge"})));
    assert_eq!(alice.request(json!({"cmd": "voice_mute"})).await, err("voice_mute", "You are not in a voice channel"));
}

backend_tests!(
    the_roster_reaches_viewers_and_peer_ids_only_the_call,
    bad_requests_are_refused_and_change_nothing,
    a_second_connection_of_the_same_user_takes_the_seat,
    losing_the_channel_or_the_right_to_view_it_ends_the_call,
);
