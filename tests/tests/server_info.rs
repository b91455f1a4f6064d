//! The server's name, icon and banner over a real socket (docs/design/server-info.md):
//! `server_info` before and after `auth`, `server_update` (who hears it, who may, every
//! error), the handshake of later connections, persistence, and HTTP `GET /info`.

use originchats_tests::expect::{err, settle};
use originchats_tests::http::http;
use originchats_tests::scenes::{cast, start};
use originchats_tests::{Backend, Client, backend_tests};
use serde_json::{Value, json};

fn info(name: &str, icon: Value, banner: Value) -> Value {
    json!({"cmd": "server_info", "name": name, "icon": icon, "banner": banner})
}

async fn quiet(clients: &mut [&mut Client]) {
    for c in clients.iter_mut() {
        assert_eq!(c.sync().await, Vec::<Value>::new(), "nothing more arrived");
    }
}

async fn info_before_and_after_auth(b: Backend) {
    let s = start(b).await;
    let mut guest = s.connect().await;
    let unset = info("Test Server", Value::Null, Value::Null);
    assert_eq!(guest.request(json!({"cmd": "server_info"})).await, unset, "before auth");
    let mut tagged = unset.clone();
    tagged["listener"] = json!("i1");
    assert_eq!(guest.request(json!({"cmd": "server_info", "listener": "i1"})).await, tagged);
    assert_eq!(
        guest.request(json!({"cmd": "server_update", "name": "x"})).await,
        json!({"cmd": "auth_error", "val": "Authentication required"}),
        "only server_info before auth"
    );
    let mut boss = s.login("boss").await;
    settle(&mut [&mut boss]).await;
    assert_eq!(boss.request(json!({"cmd": "server_info"})).await, unset, "after auth");
}

async fn updates_reach_every_authenticated_connection(b: Backend) {
    let mut s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    let mut guest = s.connect().await;
    let req = json!({"cmd": "server_update", "name": "Zone", "icon": "https://x/i.png", "listener": "u1"});
    boss.send(req).await;
    let seen = json!({"cmd": "server_update", "name": "Zone", "icon": "https://x/i.png", "banner": null});
    let mut own = seen.clone();
    own["listener"] = json!("u1");
    assert_eq!(boss.recv().await, own, "the sender's one copy carries its listener");
    assert_eq!(alice.recv().await, seen);
    assert_eq!(bob.recv().await, seen);
    quiet(&mut [&mut boss, &mut alice, &mut bob]).await;
    // Null leaves a field as it is; the banner alone changes.
    boss.send(json!({"cmd": "server_update", "name": null, "banner": "https://x/b.png"})).await;
    let seen = json!({"cmd": "server_update", "name": "Zone", "icon": "https://x/i.png", "banner": "https://x/b.png"});
    for c in [&mut boss, &mut alice, &mut bob] {
        assert_eq!(c.recv().await, seen);
    }
    let now = info("Zone", json!("https://x/i.png"), json!("https://x/b.png"));
    assert_eq!(guest.request(json!({"cmd": "server_info"})).await, now, "the unauthenticated heard nothing before");
    assert_eq!(bob.request(json!({"cmd": "server_info"})).await, now);
    // A new connection's handshake shows the stored values over the configuration's.
    let fresh = s.connect().await;
    let server =
        json!({"name": "Zone", "owner": {"name": "Tester"}, "icon": "https://x/i.png", "banner": "https://x/b.png"});
    assert_eq!(fresh.handshake["val"]["server"], server);
    // And after a restart.
    drop((boss, alice, bob, guest, fresh));
    s.restart();
    let mut c = s.connect().await;
    assert_eq!(c.handshake["val"]["server"], server, "stored across a restart");
    assert_eq!(c.request(json!({"cmd": "server_info"})).await, now);
}

async fn refusals_and_errors_change_nothing(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    let refused = err("server_update", "Access denied: 'manage_server' permission required");
    assert_eq!(alice.request(json!({"cmd": "server_update", "name": "Mine"})).await, refused);
    assert_eq!(alice.request(json!({"cmd": "server_update", "name": 5})).await, refused, "the gate comes first");
    assert_eq!(alice.request(json!({"cmd": "server_update"})).await, refused);
    let long_url = format!("https://x/{}", "a".repeat(2048));
    let cases = [
        (json!({"name": 5}), "Name must be a string or null"),
        (json!({"name": "ok", "icon": true}), "Icon must be a string or null"),
        (json!({"banner": ["x"]}), "Banner must be a string or null"),
        (json!({"name": {}, "icon": 1}), "Name must be a string or null"),
        (json!({}), "No updates provided"),
        (json!({"other": "x"}), "No updates provided"),
        (json!({"name": "n".repeat(101)}), "Name must be at most 100 characters"),
        (json!({"icon": long_url}), "Icon must be at most 2048 characters"),
        (json!({"banner": long_url}), "Banner must be at most 2048 characters"),
    ];
    for (fields, text) in cases {
        let mut req = fields.clone();
        req["cmd"] = json!("server_update");
        assert_eq!(boss.request(req).await, err("server_update", text), "for {fields}");
    }
    quiet(&mut [&mut boss, &mut alice, &mut bob]).await;
    let unchanged = info("Test Server", Value::Null, Value::Null);
    assert_eq!(bob.request(json!({"cmd": "server_info"})).await, unchanged);
    assert_eq!(
        s.connect().await.handshake["val"]["server"],
        json!({"name": "Test Server", "owner": {"name": "Tester"}})
    );
    // 100 characters (not bytes) is allowed.
    let name = "é".repeat(100);
    let r = boss.request(json!({"cmd": "server_update", "name": name})).await;
    assert_eq!(r, json!({"cmd": "server_update", "name": name, "icon": null, "banner": null}));
}

async fn administrators_may_update(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    let r = boss.request(json!({"cmd": "role_create", "name": "admins", "permissions": ["administrator"]})).await;
    assert_eq!(r["cmd"], "role_create", "{r}");
    let r = boss.request(json!({"cmd": "user_roles_add", "user": "alice", "roles": ["admins"]})).await;
    assert_ne!(r["cmd"], "error", "{r}");
    settle(&mut [&mut boss, &mut alice, &mut bob]).await;
    alice.send(json!({"cmd": "server_update", "name": "Admin's"})).await;
    let seen = json!({"cmd": "server_update", "name": "Admin's", "icon": null, "banner": null});
    for c in [&mut alice, &mut boss, &mut bob] {
        assert_eq!(c.recv().await, seen);
    }
}

async fn http_info_shape_and_stats(b: Backend) {
    let s = start(b).await;
    let get = || async {
        s.settle().await;
        let (status, headers, body) = http(&s.addr, "GET /info HTTP/1.1").await;
        assert_eq!(status, 200);
        assert!(headers.contains("access-control-allow-origin: *"), "{headers}");
        assert!(headers.contains("content-type: application/json"), "{headers}");
        serde_json::from_str::<Value>(&body).unwrap()
    };
    let before = get().await;
    let total_channels = before["stats"]["total_channels"].clone();
    let total_roles = before["stats"]["total_roles"].clone();
    assert!(total_channels.as_u64().unwrap() >= 1 && total_roles.as_u64().unwrap() >= 1, "{before}");
    assert_eq!(
        before,
        json!({
            "server": {"name": "Test Server", "icon": "", "banner": "", "owner": {"name": "Tester"}},
            "stats": {"total_users": 0, "connected_users": 0, "online_users": 0,
                      "total_channels": total_channels, "total_roles": total_roles}
        })
    );
    let (mut boss, mut alice, _bob) = cast(&s).await;
    let _second = s.login("alice").await;
    let _guest = s.connect().await;
    settle(&mut [&mut boss, &mut alice]).await;
    boss.request(json!({"cmd": "server_update", "icon": "https://x/i.png"})).await;
    let r = boss.request(json!({"cmd": "role_create", "name": "extra"})).await;
    assert_eq!(r["cmd"], "role_create", "{r}");
    assert_eq!(
        get().await,
        json!({
            "server": {"name": "Test Server", "icon": "https://x/i.png", "banner": "", "owner": {"name": "Tester"}},
            "stats": {"total_users": 3, "connected_users": 5, "online_users": 3,
                      "total_channels": total_channels, "total_roles": total_roles.as_u64().unwrap() + 1}
        })
    );
}

backend_tests!(
    info_before_and_after_auth,
    updates_reach_every_authenticated_connection,
    refusals_and_errors_change_nothing,
    administrators_may_update,
    http_info_shape_and_stats
);
