//! Custom emoji over a real socket and real HTTP (docs/design/emojis.md, docs/design/http.md):
//! the six `emoji_*` commands (shapes, the owner gate, every error text, the change sent to
//! every logged-in connection), bad uploads that change nothing, ids never reused (across
//! a restart too), images served by file name and by id with their headers, traversal
//! attempts on `/emojis/`, and custom-emoji reactions.

use originchats_tests::expect::{err, owner_only, settle};
use originchats_tests::http::{header, http, http_bytes, http_with};
use originchats_tests::images::{base64, data_url, gif, jpeg, png, png_claiming, webp};
use originchats_tests::scenes::{cast, get_message, post, start, start_with};
use originchats_tests::{Backend, Client, TestServer, backend_tests};
use serde_json::{Value, json};

const COMMANDS: [&str; 6] =
    ["emoji_add", "emoji_delete", "emoji_get_all", "emoji_get_filename", "emoji_get_id", "emoji_update"];

fn add(name: &str, image: &str) -> Value {
    json!({"cmd": "emoji_add", "name": name, "image": image})
}

/// The owner adds a GIF emoji; every other client reads the same packet. Returns it.
async fn add_gif(boss: &mut Client, others: &mut [&mut Client], name: &str) -> Value {
    let reply = boss.request(add(name, &data_url("image/gif", &gif(2, 16)))).await;
    assert_eq!(reply["added"], true, "{reply}");
    for c in others.iter_mut() {
        assert_eq!(c.recv().await, reply, "every logged-in connection hears of the new emoji");
    }
    reply
}

/// The files in the emoji folder, sorted.
fn emoji_files(s: &TestServer) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(s.path().join("db/serverEmojis"))
        .map(|d| d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// An HTTP date as servers write it, from its lowercased form (`thu, 01 jan 2026 … gmt`).
fn http_date(lower: &str) -> String {
    let word = |w: &str| match w {
        "gmt" => "GMT".to_owned(),
        w => w[..1].to_uppercase() + &w[1..],
    };
    lower.split(' ').map(word).collect::<Vec<_>>().join(" ")
}

async fn all(c: &mut Client) -> Value {
    let v = c.request(json!({"cmd": "emoji_get_all"})).await;
    assert_eq!(v["cmd"], "emoji_get_all", "{v}");
    v["emojis"].clone()
}

async fn the_handshake_lists_every_emoji_command(b: Backend) {
    let s = start(b).await;
    let c = s.connect().await;
    let capabilities: Vec<&str> =
        c.handshake["val"]["capabilities"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    for cmd in COMMANDS {
        assert!(capabilities.contains(&cmd), "{cmd} missing in {capabilities:?}");
    }
}

async fn anyone_lists_emoji_and_only_owners_change_them(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    assert_eq!(alice.request(json!({"cmd": "emoji_get_all"})).await, json!({"cmd": "emoji_get_all", "emojis": {}}));
    let image = data_url("image/gif", &gif(1, 8));
    assert_eq!(alice.request(add("wave", &image)).await, owner_only("emoji_add"));
    // The owner gate comes before the shape check.
    assert_eq!(alice.request(json!({"cmd": "emoji_add"})).await, owner_only("emoji_add"));
    assert_eq!(
        alice.request(json!({"cmd": "emoji_update", "emoji_id": 0, "name": "x"})).await,
        owner_only("emoji_update")
    );
    assert_eq!(alice.request(json!({"cmd": "emoji_delete", "emoji_id": 0})).await, owner_only("emoji_delete"));
    assert_eq!(emoji_files(&s), Vec::<String>::new());
    add_gif(&mut boss, &mut [&mut alice, &mut bob], "wave").await;
    let listed = json!({"0": {"name": "wave", "fileName": "0.gif"}});
    assert_eq!(all(&mut alice).await, listed);
    assert_eq!(
        bob.request(json!({"cmd": "emoji_get_id", "name": " WAVE ", "listener": "l"})).await,
        json!({"cmd": "emoji_get_id", "name": " WAVE ", "id": "0", "listener": "l"})
    );
    assert_eq!(
        bob.request(json!({"cmd": "emoji_get_filename", "name": "wave"})).await,
        json!({"cmd": "emoji_get_filename", "name": "wave", "filepath": "0.gif"})
    );
    for cmd in ["emoji_get_id", "emoji_get_filename"] {
        assert_eq!(bob.request(json!({"cmd": cmd, "name": "nope"})).await, err(cmd, "Emoji not found"));
        let missing = format!("Invalid {cmd} command scheme: name: Field required");
        assert_eq!(bob.request(json!({"cmd": cmd})).await, err(cmd, &missing));
    }
    assert_eq!(alice.request(json!({"cmd": "emoji_delete", "emoji_id": 0})).await, owner_only("emoji_delete"));
    assert_eq!(all(&mut boss).await, listed, "nothing changed");
}

async fn an_added_emoji_is_served_by_file_name_and_by_id(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    let image = gif(3, 24);
    let mut request = add(" partyblob ", &data_url("image/gif", &image));
    request["listener"] = json!("mine");
    let reply = boss.request(request).await;
    let expected = json!({"cmd": "emoji_add", "id": "0", "added": true, "name": "partyblob", "fileName": "0.gif"});
    let mut own = expected.clone();
    own["listener"] = json!("mine");
    assert_eq!(reply, own, "the listener only on the sender's copy");
    assert_eq!(alice.recv().await, expected);
    assert_eq!(bob.recv().await, expected);
    assert_eq!(std::fs::read(s.path().join("db/serverEmojis/0.gif")).unwrap(), image, "the original bytes are kept");

    let (status, by_name, body) = http_bytes(&s.addr, "GET /emojis/0.gif HTTP/1.1", &[]).await;
    assert_eq!((status, body.as_slice()), (200, image.as_slice()));
    let (status, by_id, body) = http_bytes(&s.addr, "GET /emojis/0?v=2 HTTP/1.1", &[]).await;
    assert_eq!((status, body.as_slice()), (200, image.as_slice()), "by id, the query ignored");
    for head in [&by_name, &by_id] {
        for (name, value) in [
            ("content-type", "image/gif"),
            ("cache-control", "public, max-age=3600"),
            ("x-content-type-options", "nosniff"),
            ("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox"),
            ("access-control-allow-origin", "*"),
            ("access-control-allow-methods", "get, head, options"),
            ("access-control-expose-headers", "content-length, content-type, cache-control"),
        ] {
            assert_eq!(header(head, name), Some(value), "{name} in {head}");
        }
        assert_eq!(header(head, "content-length"), Some(image.len().to_string().as_str()));
    }
    let modified = http_date(header(&by_name, "last-modified").expect("Last-Modified"));
    let (status, head, body) = http_bytes(&s.addr, "HEAD /emojis/0 HTTP/1.1", &[]).await;
    assert_eq!((status, body.len()), (200, 0), "HEAD has no body");
    assert_eq!(header(&head, "content-length"), Some(image.len().to_string().as_str()));
    let (status, _, body) =
        http_bytes(&s.addr, "GET /emojis/0.gif HTTP/1.1", &[("If-Modified-Since", &modified)]).await;
    assert_eq!((status, body.len()), (304, 0), "unchanged since");
    let (status, head, body) = http_bytes(&s.addr, "GET /emojis/0.gif HTTP/1.1", &[("Range", "bytes=0-5")]).await;
    assert_eq!((status, body.as_slice()), (206, &image[..6]), "{head}");
    assert_eq!(header(&head, "content-type"), Some("image/gif"));

    // Every kind the default settings allow, told apart by content, whatever the declared type.
    for (name, bytes, file, content_type) in [
        ("pic", png(4, 4), "1.png", "image/png"),
        ("photo", jpeg(), "2.jpg", "image/jpeg"),
        ("plain", gif(1, 4), "3.gif", "image/gif"),
    ] {
        let declared = data_url("image/svg+xml", &bytes);
        let image = if name == "plain" { base64(&bytes) } else { declared };
        let reply = boss.request(add(name, &image)).await;
        assert_eq!(reply["fileName"], file, "{reply}");
        settle(&mut [&mut alice, &mut bob]).await;
        let (status, head, body) = http_bytes(&s.addr, &format!("GET /emojis/{file} HTTP/1.1"), &[]).await;
        assert_eq!((status, header(&head, "content-type"), body), (200, Some(content_type), bytes));
    }
    let listed = all(&mut bob).await;
    let ids: Vec<&String> = listed.as_object().unwrap().keys().collect();
    assert_eq!(ids, ["0", "1", "2", "3"], "ascending by id");
}

async fn bad_uploads_are_refused_and_change_nothing(b: Backend) {
    let s = start_with(b, json!({"uploads": {"emoji_max_bytes": 4096}})).await;
    let (mut boss, mut alice, _bob) = cast(&s).await;
    add_gif(&mut boss, &mut [&mut alice], "Blob").await;
    let before = all(&mut boss).await;
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#;
    let html = b"<html><script>alert(1)</script></html>";
    let mut bmp = b"BM".to_vec();
    bmp.resize(64, 0);
    let truncated = gif(2, 16);
    let big = png(64, 64);
    assert!(big.len() > 4096, "over the configured size");
    let good = data_url("image/gif", &gif(1, 8));
    let scheme = |detail: &str| err("emoji_add", &format!("Invalid emoji_add command scheme: {detail}"));
    let cases: Vec<(Value, Value)> = vec![
        (add("vector", &data_url("image/svg+xml", svg)), err("emoji_add", "Image type not allowed")),
        (add("page", &data_url("image/gif", html)), err("emoji_add", "Image type not allowed")),
        (add("bitmap", &data_url("image/bmp", &bmp)), err("emoji_add", "Image type not allowed")),
        (add("web", &data_url("image/webp", &webp())), err("emoji_add", "Image type not allowed")),
        (add("huge", &data_url("image/png", &big)), err("emoji_add", "Image too large")),
        (add("bomb", &data_url("image/png", &png_claiming(20_000, 20_000))), err("emoji_add", "Image too large")),
        (add("wide", &data_url("image/png", &png_claiming(1025, 1))), err("emoji_add", "Image too large")),
        (add("broken", &data_url("image/gif", &truncated[..truncated.len() / 2])), err("emoji_add", "Invalid image")),
        (add("blob", &good), err("emoji_add", "Emoji name already exists")),
        (add(" BLOB ", &good), err("emoji_add", "Emoji name already exists")),
        (add("bad name", &good), err("emoji_add", "Invalid emoji name")),
        (add("", &good), err("emoji_add", "Invalid emoji name")),
        (add("émoji", &good), err("emoji_add", "Invalid emoji name")),
        (add(&"a".repeat(65), &good), err("emoji_add", "Invalid emoji name")),
        (add("x", "data:image/gif,R0lGODlh"), scheme("Invalid image data URI")),
        (add("x", "data:image/gif;base64,R0lG*Dlh"), scheme("Invalid base64 image data")),
        (add("x", "not base64!"), scheme("Invalid base64 image data")),
        (json!({"cmd": "emoji_add", "image": good}), scheme("name: Field required")),
        (json!({"cmd": "emoji_add", "name": "x"}), scheme("image: Field required")),
        (json!({"cmd": "emoji_add", "name": 5, "image": good}), scheme("name: Input should be a valid string")),
    ];
    for (request, expected) in cases {
        assert_eq!(boss.request(request.clone()).await, expected, "for {}", request["name"]);
    }
    assert_eq!(all(&mut boss).await, before);
    assert_eq!(emoji_files(&s), ["0.gif"], "no file was written");
    assert_eq!(alice.sync().await, Vec::<Value>::new(), "nothing was announced");
    let next = boss.request(add("fine", &good)).await;
    assert_eq!(next["id"], "1", "refused uploads used no id: {next}");
}

async fn the_number_of_emoji_is_capped(b: Backend) {
    let s = start_with(b, json!({"uploads": {"emoji_max_count": 2}})).await;
    let (mut boss, mut alice, _bob) = cast(&s).await;
    add_gif(&mut boss, &mut [&mut alice], "one").await;
    add_gif(&mut boss, &mut [&mut alice], "two").await;
    let image = data_url("image/gif", &gif(1, 4));
    assert_eq!(boss.request(add("three", &image)).await, err("emoji_add", "Emoji limit reached"));
    assert_eq!(boss.request(add("ONE", &image)).await, err("emoji_add", "Emoji name already exists"));
    assert_eq!(emoji_files(&s), ["0.gif", "1.gif"]);
    assert_eq!(boss.request(json!({"cmd": "emoji_delete", "emoji_id": 0})).await["deleted"], true);
    assert_eq!(boss.request(add("three", &image)).await["id"], "2", "room again after a delete");
}

async fn renames_follow_the_name_rules(b: Backend) {
    let s = start(b).await;
    let (mut boss, mut alice, _bob) = cast(&s).await;
    add_gif(&mut boss, &mut [&mut alice], "first").await;
    add_gif(&mut boss, &mut [&mut alice], "second").await;
    let update = |id: Value, name: Value| json!({"cmd": "emoji_update", "emoji_id": id, "name": name});
    let renamed = boss.request(update(json!("0"), json!(" Renamed "))).await;
    assert_eq!(renamed, json!({"cmd": "emoji_update", "id": 0, "updated": true, "name": "Renamed"}));
    assert_eq!(alice.recv().await, renamed, "others hear of the rename");
    let unchanged = |id: i64| json!({"cmd": "emoji_update", "id": id, "updated": false});
    assert_eq!(boss.request(update(json!(0), json!("SECOND"))).await, unchanged(0), "taken in another case");
    assert_eq!(boss.request(update(json!(0), json!("bad name"))).await, unchanged(0));
    assert_eq!(boss.request(update(json!(9), json!("nine"))).await, unchanged(9), "no such emoji");
    let with_image = json!({"cmd": "emoji_update", "emoji_id": 0, "name": "pic",
        "image": data_url("image/png", &png(2, 2))});
    assert_eq!(boss.request(with_image).await, unchanged(0), "a new image is never taken");
    assert_eq!(
        boss.request(json!({"cmd": "emoji_update", "emoji_id": 0, "image": "R0lGODlh"})).await,
        err("emoji_update", "Invalid emoji_update command scheme: Invalid image data URI")
    );
    assert_eq!(
        boss.request(json!({"cmd": "emoji_update", "emoji_id": 0, "name": null})).await,
        err("emoji_update", "At least one field to update is required (name or image)")
    );
    for bad in [json!(1.5), json!("x1"), json!(null)] {
        assert_eq!(
            boss.request(update(bad.clone(), json!("y"))).await,
            err("emoji_update", "Invalid emoji_update command scheme: emoji_id: Input should be a valid integer"),
            "{bad}"
        );
    }
    assert_eq!(alice.sync().await, Vec::<Value>::new(), "refused updates are not announced");
    let case_only = boss.request(update(json!(1), json!("SECOND"))).await;
    assert_eq!(case_only["updated"], true, "an emoji may change the case of its own name");
    alice.recv().await;
    assert_eq!(
        all(&mut alice).await,
        json!({"0": {"name": "Renamed", "fileName": "0.gif"}, "1": {"name": "SECOND", "fileName": "1.gif"}})
    );
}

async fn deleted_ids_are_never_reused(b: Backend) {
    let mut s = start(b).await;
    let (mut boss, mut alice, _bob) = cast(&s).await;
    add_gif(&mut boss, &mut [&mut alice], "keep").await;
    add_gif(&mut boss, &mut [&mut alice], "gone").await;
    let deleted = boss.request(json!({"cmd": "emoji_delete", "emoji_id": "1"})).await;
    assert_eq!(deleted, json!({"cmd": "emoji_delete", "id": 1, "deleted": true}));
    assert_eq!(alice.recv().await, deleted);
    assert_eq!(emoji_files(&s), ["0.gif"], "the image went with the record");
    for path in ["/emojis/1", "/emojis/1.gif"] {
        assert_eq!(http(&s.addr, &format!("GET {path} HTTP/1.1")).await.2, "Emoji not found", "{path}");
    }
    assert_eq!(
        boss.request(json!({"cmd": "emoji_delete", "emoji_id": 1})).await,
        json!({"cmd": "emoji_delete", "id": 1, "deleted": false})
    );
    assert_eq!(
        boss.request(json!({"cmd": "emoji_delete"})).await,
        err("emoji_delete", "Invalid emoji_delete command scheme: emoji_id: Field required")
    );
    assert_eq!(add_gif(&mut boss, &mut [&mut alice], "next").await["id"], "2", "id 1 is not handed out again");
    drop((boss, alice));
    s.restart();
    let mut boss = s.login("boss").await;
    let reply = boss.request(add("later", &data_url("image/gif", &gif(1, 4)))).await;
    assert_eq!(reply["id"], "3", "nor after a restart: {reply}");
    let listed = all(&mut boss).await;
    assert_eq!(
        listed,
        json!({"0": {"name": "keep", "fileName": "0.gif"}, "2": {"name": "next", "fileName": "2.gif"},
               "3": {"name": "later", "fileName": "3.gif"}})
    );
    let (status, _, body) = http_bytes(&s.addr, "GET /emojis/0 HTTP/1.1", &[]).await;
    assert_eq!((status, body), (200, std::fs::read(s.path().join("db/serverEmojis/0.gif")).unwrap()));
}

async fn emoji_paths_cannot_leave_the_emoji_folder(b: Backend) {
    let mut s = start(b).await;
    let (mut boss, mut alice, _bob) = cast(&s).await;
    add_gif(&mut boss, &mut [&mut alice], "one").await;
    add_gif(&mut boss, &mut [&mut alice], "two").await;
    let folder = s.path().join("db/serverEmojis");
    std::fs::write(folder.join("orphan.gif"), gif(1, 2)).unwrap();
    std::fs::write(folder.join(".hidden.gif"), gif(1, 2)).unwrap();
    std::fs::write(s.path().join("db/secret.gif"), b"GIF89a secret").unwrap();
    assert!(s.path().join("config.json").is_file());
    for path in [
        "/emojis/..%2Fconfig.json",
        "/emojis/..%2F..%2Fconfig.json",
        "/emojis/%2e%2e%2f%2e%2e%2fconfig.json",
        "/emojis/%252e%252e%252fconfig.json",
        "/emojis/../../config.json",
        "/emojis/../secret.gif",
        "/emojis/%2Fetc%2Fpasswd",
        "/emojis//etc/passwd",
        "/emojis/..%5C..%5Cconfig.json",
        "/emojis/0.gif%00",
        "/emojis/0.gif%00.png",
        "/emojis/.hidden.gif",
        "/emojis/%2ehidden.gif",
        "/emojis/orphan.gif",
        "/emojis/0.GIF",
        "/emojis/C:%5Cconfig.json",
        "/emojis/%ff%fe",
        "/emojis/",
        "/emojis/99",
        "/emojis/-1",
        "/emojis/99999999999999999999",
    ] {
        let (status, head, body) = http(&s.addr, &format!("GET {path} HTTP/1.1")).await;
        assert_eq!((status, body.as_str()), (404, "Emoji not found"), "for {path}");
        assert_eq!(header(&head, "content-length"), Some("15"), "{path}");
    }
    let absolute = format!("GET http://{}/emojis/../../config.json HTTP/1.1", s.addr);
    assert_eq!(http(&s.addr, &absolute).await.2, "Emoji not found", "an absolute-form target");
    for path in ["/emojis", "//emojis/0.gif", "/emojis%2F0.gif"] {
        let (status, _, body) = http(&s.addr, &format!("GET {path} HTTP/1.1")).await;
        assert_eq!((status, body.as_str()), (404, "Not found"), "{path}");
    }
    let (status, head, _) = http(&s.addr, "POST /emojis/0.gif HTTP/1.1").await;
    assert_eq!(status, 405);
    assert_eq!(header(&head, "allow"), Some("get, head, options"));
    let (status, head, body) = http_with(&s.addr, "OPTIONS /emojis/0.gif HTTP/1.1", &[("Origin", "https://x")]).await;
    assert_eq!((status, body.as_str()), (204, ""));
    for (name, value) in [
        ("access-control-allow-origin", "*"),
        ("access-control-allow-methods", "get, head, options"),
        ("access-control-allow-headers", "content-type, authorization, range"),
        ("access-control-expose-headers", "content-length, content-type, cache-control"),
    ] {
        assert_eq!(header(&head, name), Some(value), "{name} in {head}");
    }
    // A record's file replaced by a link out of the folder is not followed.
    std::fs::remove_file(folder.join("1.gif")).unwrap();
    std::os::unix::fs::symlink(s.path().join("db/secret.gif"), folder.join("1.gif")).unwrap();
    assert_eq!(http(&s.addr, "GET /emojis/1 HTTP/1.1").await.2, "Emoji not found", "a symbolic link");
    // A record whose file is gone is a 404, not a 500.
    std::fs::remove_file(folder.join("1.gif")).unwrap();
    assert_eq!(http(&s.addr, "GET /emojis/1.gif HTTP/1.1").await.2, "Emoji not found");
    // A kind the configuration no longer allows is not served.
    let mut config: Value = serde_json::from_slice(&std::fs::read(s.path().join("config.json")).unwrap()).unwrap();
    config["uploads"] = json!({"emoji_allowed_file_types": ["png", "svg"]});
    std::fs::write(s.path().join("config.json"), serde_json::to_vec(&config).unwrap()).unwrap();
    drop((boss, alice));
    s.restart();
    assert_eq!(http(&s.addr, "GET /emojis/0.gif HTTP/1.1").await.0, 404);
    assert!(s.log().contains("\"svg\" is never accepted"), "svg is refused with a warning");
}

async fn custom_emoji_reactions_name_existing_emoji(b: Backend) {
    let s = start_with(b, json!({"server": {"url": "wss://Chats.Example.com/"}})).await;
    let (mut boss, mut alice, mut bob) = cast(&s).await;
    add_gif(&mut boss, &mut [&mut alice, &mut bob], "party").await;
    let m = post(&mut alice, "react to me").await;
    settle(&mut [&mut boss, &mut bob]).await;
    let react = |emoji: &str, add: bool| {
        let cmd = if add { "message_react_add" } else { "message_react_remove" };
        json!({"cmd": cmd, "channel": "general", "id": m["id"], "emoji": emoji})
    };
    let ours = "originChats://chats.example.com/emojis/0";
    let reacted = bob.request(react(ours, true)).await;
    assert_eq!(
        reacted,
        json!({"cmd": "message_react_add", "id": m["id"], "emoji": ours, "channel": "general", "from": "bob",
               "global": true})
    );
    assert_eq!(alice.recv().await, reacted);
    assert_eq!(boss.recv().await, reacted);
    let foreign = "originChats://other.example:8443/emojis/42";
    assert_eq!(bob.request(react(foreign, true)).await["emoji"], foreign, "another server's emoji cannot be checked");
    settle(&mut [&mut alice, &mut boss]).await;
    for bad in [
        "originChats://chats.example.com/emojis/7",
        "originChats://CHATS.example.com/emojis/1",
        "originChats://chats.example.com/emoji/0",
        "originChats://chats.example.com/emojis/0x",
        ":party:",
        "👍👍",
    ] {
        assert_eq!(bob.request(react(bad, true)).await, err("message_react_add", "Failed to add reaction"), "{bad}");
    }
    assert_eq!(alice.sync().await, Vec::<Value>::new(), "refused reactions are not broadcast");
    assert_eq!(boss.request(json!({"cmd": "emoji_delete", "emoji_id": 0})).await["deleted"], true);
    settle(&mut [&mut alice, &mut bob]).await;
    let message = get_message(&mut alice, "general", &m["id"]).await;
    let mut kept = serde_json::Map::new();
    kept.insert(ours.into(), json!(["bob"]));
    kept.insert(foreign.into(), json!(["bob"]));
    assert_eq!(message["reactions"], Value::Object(kept), "reactions outlive the emoji");
    assert_eq!(bob.request(react(ours, true)).await, err("message_react_add", "Failed to add reaction"));
    let removed = bob.request(react(ours, false)).await;
    assert_eq!(removed["cmd"], "message_react_remove", "a deleted emoji's reaction can still be taken back");
    assert_eq!(alice.recv().await, removed);
}

backend_tests!(
    the_handshake_lists_every_emoji_command,
    anyone_lists_emoji_and_only_owners_change_them,
    an_added_emoji_is_served_by_file_name_and_by_id,
    bad_uploads_are_refused_and_change_nothing,
    the_number_of_emoji_is_capped,
    renames_follow_the_name_rules,
    deleted_ids_are_never_reused,
    emoji_paths_cannot_leave_the_emoji_folder,
    custom_emoji_reactions_name_existing_emoji,
);
