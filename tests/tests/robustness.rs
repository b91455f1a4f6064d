//! Bad input, slow clients and the plain HTTP surface.

use originchats_tests::http::http;
use originchats_tests::{Backend, TestServer, backend_tests};
use serde_json::{Value, json};

async fn malformed_frames_get_errors_and_the_connection_keeps_working(b: Backend) {
    let s = TestServer::start(b).await;
    let mut c = s.login("alice").await;
    c.sync().await;
    let cases: [(&str, Value); 8] = [
        ("{not json", json!({"cmd": "error", "val": "Invalid message format: not valid JSON"})),
        ("", json!({"cmd": "error", "val": "Invalid message format: not valid JSON"})),
        ("[1, 2]", json!({"cmd": "error", "val": "Invalid message format: expected a dictionary, got list"})),
        ("\"text\"", json!({"cmd": "error", "val": "Invalid message format: expected a dictionary, got str"})),
        ("42", json!({"cmd": "error", "val": "Invalid message format: expected a dictionary, got int"})),
        ("null", json!({"cmd": "error", "val": "Invalid message format: expected a dictionary, got NoneType"})),
        ("{\"listener\": \"x\"}", json!({"cmd": "error", "val": "Unknown command: None", "listener": "x"})),
        ("{\"cmd\": 5}", json!({"cmd": "error", "val": "Unknown command: 5"})),
    ];
    for (frame, expected) in cases {
        c.send_text(frame).await;
        assert_eq!(c.recv().await, expected, "for {frame:?}");
    }
    let unknown = c.request(json!({"cmd": "fly", "listener": "u"})).await;
    assert_eq!(unknown, json!({"cmd": "error", "src": "fly", "val": "Unknown command: fly", "listener": "u"}));
    let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
    c.send_text(&format!("{{\"cmd\": \"ping\", \"x\": {deep}}}")).await;
    assert_eq!(c.recv().await, json!({"cmd": "error", "val": "Invalid message format: not valid JSON"}));
    let typed = c.request(json!({"cmd": "messages_get", "channel": ["general"]})).await;
    assert_eq!(typed, json!({"cmd": "error", "src": "messages_get", "val": "Invalid channel name"}));
    assert_eq!(c.request(json!({"cmd": "ping"})).await, json!({"cmd": "pong", "val": "pong"}));
}

async fn an_oversized_frame_closes_only_that_connection(b: Backend) {
    let s = TestServer::start_with(b, json!({"transport": {"max_frame_bytes": 4096}})).await;
    let mut big = s.login("alice").await;
    let mut other = s.login("bob").await;
    big.sync().await;
    other.sync().await;
    big.send_text(&format!("{{\"cmd\": \"ping\", \"pad\": \"{}\"}}", "x".repeat(10_000))).await;
    assert_eq!(big.closed().await, Some(1009), "closed as 'message too big'");
    assert_eq!(other.recv().await, json!({"cmd": "user_disconnect", "username": "alice"}));
    assert_eq!(other.request(json!({"cmd": "ping"})).await["cmd"], "pong");
}

async fn a_slow_reader_is_closed_without_delaying_others(b: Backend) {
    let s = TestServer::start_with(b, json!({"limits": {"post_content": 100000}, "transport": {"outbound_queue": 8}}))
        .await;
    let mut slow = s.login("slow").await;
    let mut fast = s.login("fast").await;
    let mut sender = s.login("sender").await;
    slow.sync().await;
    fast.sync().await;
    sender.sync().await;
    // `slow` stops reading. Each message is 60 KB; 400 of them overflow the kernel buffers
    // and the 8-packet queue many times over.
    let total = 400;
    let body = "y".repeat(60_000);
    let reader = tokio::spawn(async move {
        let mut got = 0;
        let mut disconnect_seen = false;
        while got < total || !disconnect_seen {
            let v = fast.recv().await;
            match v["cmd"].as_str() {
                Some("message_new") => got += 1,
                Some("user_disconnect") if v["username"] == "slow" => disconnect_seen = true,
                _ => {}
            }
        }
        got
    });
    for i in 0..total {
        sender.send(json!({"cmd": "message_new", "channel": "general", "content": format!("{i}{body}")})).await;
        let own = sender.expect_cmd("message_new").await;
        assert!(own["message"]["content"].as_str().unwrap().starts_with(&i.to_string()));
    }
    assert_eq!(reader.await.unwrap(), total, "the fast reader got every message and saw the slow one leave");
    let mut received = 0;
    while let Some(v) = slow.recv_any().await {
        if v["cmd"] == "message_new" {
            received += 1;
        }
    }
    assert!(received < total, "the slow reader was cut off ({received} of {total})");
}

async fn http_routes_answer_on_the_websocket_port(b: Backend) {
    let s = TestServer::start(b).await;
    let (status, headers, body) = http(&s.addr, "GET / HTTP/1.1").await;
    assert_eq!(status, 200);
    assert!(body.contains("OriginChats server"), "{body}");
    assert!(headers.contains("access-control-allow-origin: *"));
    assert!(headers.contains("content-length:"));
    let (status, _, body) = http(&s.addr, "GET /health HTTP/1.1").await;
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["status"], "ok");
    let (status, _, body) = http(&s.addr, "GET /nope HTTP/1.1").await;
    assert_eq!((status, body.as_str()), (404, "Not found"));
    let (status, headers, _) = http(&s.addr, "DELETE / HTTP/1.1").await;
    assert_eq!(status, 405);
    assert!(headers.contains("allow: get, head, options"), "{headers}");
    let (status, _, _) = http(&s.addr, "OPTIONS /anything HTTP/1.1").await;
    assert_eq!(status, 204);
    let (status, _, body) = http(&s.addr, "GET /server-assets/icon HTTP/1.1").await;
    assert_eq!((status, body.as_str()), (404, "Server asset not found"));
    for path in ["/emojis/1.png", "/emojis/1", "/emojis/..%2Fconfig.json"] {
        let (status, headers, body) = http(&s.addr, &format!("GET {path} HTTP/1.1")).await;
        assert_eq!((status, body.as_str()), (404, "Emoji not found"), "for {path}");
        assert!(headers.contains("content-length: 15"), "{headers}");
        assert!(headers.contains("access-control-allow-origin: *"), "{headers}");
    }
    let (status, headers, body) = http(&s.addr, "HEAD /emojis/1.png HTTP/1.1").await;
    assert_eq!((status, body.as_str()), (404, ""));
    assert!(headers.contains("content-length: 15"), "{headers}");
}

async fn server_assets_are_served_by_name(b: Backend) {
    let s = TestServer::start_with(b, json!({"server": {"icon": "logo.png", "url": "https://chat.example"}})).await;
    std::fs::create_dir_all(s.path().join("db/serverAssets")).unwrap();
    std::fs::write(s.path().join("db/serverAssets/logo.png"), b"PNG fake").unwrap();
    let (status, headers, body) = http(&s.addr, "GET /server-assets/icon?v=2 HTTP/1.1").await;
    assert_eq!((status, body.as_str()), (200, "PNG fake"), "the client's cache-busting query is ignored");
    assert!(headers.contains("last-modified:"), "{headers}");
    let (status, _, body) = http(&s.addr, "GET /server-assets//icon/ HTTP/1.1").await;
    assert_eq!((status, body.as_str()), (200, "PNG fake"), "slashes around the name are trimmed");
    let (status, _, body) = http(&s.addr, "GET /server-assets/icon.png HTTP/1.1").await;
    assert_eq!((status, body.as_str()), (404, "Server asset not found"));
    assert!(headers.contains("content-type: image/png"), "{headers}");
    assert!(headers.contains("cache-control: public, max-age=3600"), "{headers}");
    assert!(headers.contains("x-content-type-options: nosniff"), "{headers}");
    assert!(
        headers.contains("content-security-policy: default-src 'none'; style-src 'unsafe-inline'; sandbox"),
        "{headers}"
    );
    let (status, _, _) = http(&s.addr, "GET /server-assets/banner HTTP/1.1").await;
    assert_eq!(status, 404);
}

async fn asset_paths_cannot_leave_the_asset_folder(b: Backend) {
    let s =
        TestServer::start_with(b, json!({"server": {"icon": "../../config.json", "banner": "../server.log"}})).await;
    std::fs::create_dir_all(s.path().join("db/serverAssets")).unwrap();
    assert!(s.path().join("db/serverAssets/../../config.json").is_file(), "the path would reach config.json");
    for asset in ["icon", "banner"] {
        let (status, _, body) = http(&s.addr, &format!("GET /server-assets/{asset} HTTP/1.1")).await;
        assert_eq!((status, body.as_str()), (404, "Server asset not found"), "{asset}");
    }
    // Only the file name counts: the same name inside db/serverAssets/ is served.
    std::fs::write(s.path().join("db/serverAssets/config.json"), b"{}").unwrap();
    let (status, _, body) = http(&s.addr, "GET /server-assets/icon HTTP/1.1").await;
    assert_eq!((status, body.as_str()), (200, "{}"));
}

backend_tests!(
    malformed_frames_get_errors_and_the_connection_keeps_working,
    an_oversized_frame_closes_only_that_connection,
    a_slow_reader_is_closed_without_delaying_others,
    http_routes_answer_on_the_websocket_port,
    server_assets_are_served_by_name,
    asset_paths_cannot_leave_the_asset_folder,
);
