use super::*;
use serde_json::{Value, json};

/// A handshake section as JSON.
fn parsed(raw: &domain::RawJson) -> Value {
    serde_json::from_str(&raw.0).unwrap()
}

fn cfg(v: Value) -> Config {
    Config::from_value(v, Path::new("/srv/chat")).unwrap()
}

#[test]
fn minimal_original_config_works_with_defaults() {
    let c = cfg(json!({"websocket": {"host": "0.0.0.0", "port": 5613}, "rotur": {"validate_url": "x"}}));
    assert_eq!(c.port, 5613);
    assert_eq!(c.app.post_content, 2000);
    assert!(c.app.rate_limit.is_none(), "missing rate_limiting means off");
    assert_eq!(c.app.new_user_roles, Some(vec!["user".to_string()]));
    assert_eq!(c.storage, sql::StorageUrl::Sqlite("/srv/chat/originchats.db".into()));
    assert_eq!(c.rotur_validate_url, "https://api.rotur.dev/validate");
    assert_eq!(c.auth_mode, AuthMode::Rotur);
}

#[test]
fn default_config_parses_without_warnings() {
    let c = cfg(default_config());
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let rl = c.app.rate_limit.unwrap();
    assert_eq!((rl.per_minute, rl.burst_limit, rl.cooldown), (60, 10, 30.0));
}

#[test]
fn lenient_values_fall_back_with_a_warning() {
    let c = cfg(json!({"limits": {"post_content": 2000, "search_results": "many", "extra": 1}}));
    assert_eq!(c.app.search_results, 30);
    assert_eq!(parsed(&c.app.limits_info), json!({"post_content": 2000, "search_results": 30, "extra": 1}));
    assert_eq!(c.warnings.len(), 1);
}

#[test]
fn unknown_keys_warn_once_each_but_server_keys_pass_through() {
    let c = cfg(json!({"server": {"name": "x", "motd": "hi"}, "bogus": 1, "websocket": {"port": 1, "path": "/ws"}}));
    assert_eq!(parsed(&c.app.server_info)["motd"], "hi");
    assert_eq!(c.warnings, vec!["unknown config key `bogus` ignored", "unknown config key `websocket.path` ignored"]);
}

#[test]
fn unusable_values_stop_start_up_naming_the_key() {
    let e = Config::from_value(json!({"websocket": {"port": "abc"}}), Path::new(".")).unwrap_err();
    assert!(e.to_string().contains("websocket.port"), "{e}");
    let e = Config::from_value(json!({"storage": {"url": "mysql://x"}}), Path::new(".")).unwrap_err();
    assert!(e.to_string().contains("storage.url"), "{e}");
    let e = Config::from_value(json!({"auth_mode": "cracked"}), Path::new(".")).unwrap_err();
    assert!(e.to_string().contains("auth_mode"), "{e}");
    let e =
        Config::from_value(json!({"transport": {"tls": {"enabled": true, "cert_path": "nope.pem"}}}), Path::new("."))
            .unwrap_err();
    assert!(e.to_string().contains("transport.tls.cert_path"), "{e}");
}

#[test]
fn empty_user_template_gives_no_roles() {
    let c = cfg(json!({"DB": {"users": {"default": {}}}}));
    assert_eq!(c.app.new_user_roles, None);
}

#[test]
fn effective_config_masks_secrets() {
    let c = cfg(json!({"storage": {"url": "postgres://u:pw@h/db"}, "rotur": {"validate_key": "k"}}));
    let text = c.effective.to_string();
    assert!(!text.contains("pw@") && !text.contains("\"k\""), "{text}");
}

#[test]
fn server_icon_file_is_rewritten_to_the_public_link() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("db/serverAssets")).unwrap();
    std::fs::write(dir.path().join("db/serverAssets/icon.png"), b"x").unwrap();
    let v = json!({"server": {"icon": "icon.png", "banner": "missing.png", "url": "WSS://Chat.Example/"}});
    let c = Config::from_value(v, dir.path()).unwrap();
    assert_eq!(parsed(&c.app.server_info)["icon"], "https://chat.example/server-assets/icon");
    assert_eq!(parsed(&c.app.server_info)["banner"], "missing.png");
}

#[test]
fn a_missing_server_section_gets_the_default_name_and_owner() {
    let c = cfg(json!({"websocket": {"port": 1}}));
    assert_eq!(parsed(&c.app.server_info), json!({"name": "My OriginChats Server", "owner": {"name": "Admin"}}));
    let c = cfg(json!({"server": {"motd": "hi", "owner": {"id": 7}, "name": null}}));
    assert_eq!(
        parsed(&c.app.server_info),
        json!({"name": "My OriginChats Server", "owner": {"name": "Admin", "id": 7}, "motd": "hi"}),
        "the user's keys are merged over the defaults and extra keys are kept"
    );
    let c = cfg(json!({"server": {"name": "Mine"}}));
    assert_eq!(parsed(&c.app.server_info), json!({"name": "Mine", "owner": {"name": "Admin"}}));
}

#[test]
fn asset_paths_are_reduced_to_their_file_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), b"{}").unwrap();
    let v = json!({"server": {"icon": "../../config.json", "banner": "/etc/passwd"}});
    let c = Config::from_value(v, dir.path()).unwrap();
    let assets = dir.path().join("db/serverAssets");
    assert_eq!(
        c.transport.server_assets,
        vec![("icon".to_string(), assets.join("config.json")), ("banner".to_string(), assets.join("passwd"))]
    );
    assert_eq!(
        parsed(&c.app.server_info)["icon"],
        "../../config.json",
        "not rewritten: no such file in db/serverAssets"
    );
    assert!(c.warnings.iter().any(|w| w.starts_with("server.icon:")), "{:?}", c.warnings);
    let c = cfg(json!({"server": {"icon": ".."}}));
    assert!(c.transport.server_assets.is_empty());
}

#[test]
fn an_empty_server_url_falls_back_to_host_and_port() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("db/serverAssets")).unwrap();
    std::fs::write(dir.path().join("db/serverAssets/icon.png"), b"x").unwrap();
    for url in [json!("   "), json!(""), Value::Null] {
        let v = json!({"websocket": {"host": "10.0.0.1", "port": 7000}, "server": {"icon": "icon.png", "url": url}});
        let c = Config::from_value(v, dir.path()).unwrap();
        assert_eq!(parsed(&c.app.server_info)["icon"], "http://10.0.0.1:7000/server-assets/icon", "for {url}");
    }
    let v = json!({"server": {"icon": "icon.png", "url": "  https://Chat.Example/  "}});
    let c = Config::from_value(v, dir.path()).unwrap();
    assert_eq!(parsed(&c.app.server_info)["icon"], "https://chat.example/server-assets/icon");
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn the_effective_configuration_is_what_runs() {
    let c = cfg(json!({"websocket": {"port": 1}, "limits": {"search_results": "many"}, "bogus": 1}));
    assert_eq!(c.effective["rate_limiting"]["enabled"], false, "absent rate_limiting runs disabled");
    assert_eq!(c.effective["limits"]["search_results"], 30, "the fallback, not the unusable value");
    assert_eq!(c.effective["storage"]["url"], "sqlite:///srv/chat/originchats.db");
    assert_eq!(c.effective["server"]["name"], "My OriginChats Server");
    assert!(c.effective.get("bogus").is_none(), "ignored keys are not part of what runs");
    let c = Config::from_value_with(json!({}), Path::new("/srv"), Some("postgres://u:pw@db/chat")).unwrap();
    assert_eq!(c.storage, sql::StorageUrl::Postgres("postgres://u:pw@db/chat".into()));
    assert_eq!(c.effective["storage"]["url"], "postgres://u:***@db/chat", "the override, masked");
    assert!(c.warnings.iter().any(|w| w.contains("ORIGINCHATS_DATABASE_URL")), "{:?}", c.warnings);
}

#[test]
fn rate_limiting_is_on_only_when_enabled_is_true() {
    assert!(cfg(json!({"rate_limiting": {"enabled": true}})).app.rate_limit.is_some());
    assert!(cfg(json!({"rate_limiting": {"enabled": false}})).app.rate_limit.is_none());
    let c = cfg(json!({"rate_limiting": {"enabled": null}}));
    assert!(c.app.rate_limit.is_none(), "null means off");
    assert_eq!(c.effective["rate_limiting"]["enabled"], false);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let c = cfg(json!({"rate_limiting": {"enabled": "yes"}}));
    assert!(c.app.rate_limit.is_none(), "a non-boolean means off");
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(c.warnings[0].contains("rate_limiting.enabled"));
}

#[test]
fn a_storage_url_that_is_not_a_string_stops_start_up() {
    for bad in [json!(5), json!({"path": "x"}), json!(["sqlite://x"])] {
        let e = Config::from_value(json!({"storage": {"url": bad}}), Path::new(".")).unwrap_err();
        assert!(e.to_string().contains("storage.url"), "{e}");
    }
    let c = cfg(json!({"storage": {"url": null}}));
    assert_eq!(c.storage, sql::StorageUrl::Sqlite("/srv/chat/originchats.db".into()));
}

#[test]
fn the_database_url_override_is_applied_by_load_and_named_when_bad() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    std::fs::write(&path, r#"{"storage": {"url": "sqlite://file.db"}}"#).unwrap();
    let c = load_with(&path, None).unwrap();
    assert_eq!(c.storage, sql::StorageUrl::Sqlite(dir.path().join("file.db")));
    let c = load_with(&path, Some("sqlite:///elsewhere.db")).unwrap();
    assert_eq!(c.storage, sql::StorageUrl::Sqlite("/elsewhere.db".into()));
    let e = load_with(&path, Some("mysql://nope")).unwrap_err();
    assert!(e.to_string().contains("ORIGINCHATS_DATABASE_URL"), "{e}");
    assert!(!e.to_string().contains("storage.url`"), "{e}");
}

#[test]
fn webtransport_is_off_by_default_and_takes_the_websocket_port_unless_named() {
    assert_eq!(cfg(json!({})).webtransport, None);
    let c = cfg(json!({"transport": {"webtransport": {"enabled": true}}, "websocket": {"port": 5613}}));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(c.webtransport, Some(WebTransportConfig { port: 5613 }));
    assert_eq!(c.effective["transport"]["webtransport"]["port"], 5613);
    let c = cfg(json!({"transport": {"webtransport": {"enabled": true, "port": 4433}}}));
    assert_eq!(c.webtransport, Some(WebTransportConfig { port: 4433 }));
    let e =
        Config::from_value(json!({"transport": {"webtransport": {"enabled": true, "port": 70000}}}), Path::new("."))
            .unwrap_err();
    assert!(e.to_string().contains("transport.webtransport.port"), "{e}");
    let e = Config::from_value(json!({"transport": {"websocket": {"enabled": false}}}), Path::new(".")).unwrap_err();
    assert!(e.to_string().contains("transport.websocket.enabled"), "{e}");
}

#[test]
fn tls_files_are_loaded_and_bad_ones_name_their_key() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    std::fs::write(dir.path().join("cert.pem"), cert.cert.pem()).unwrap();
    std::fs::write(dir.path().join("key.pem"), cert.signing_key.serialize_pem()).unwrap();
    std::fs::write(dir.path().join("junk.pem"), "junk\n").unwrap();
    let tls = |cert: &str, key: &str| json!({"transport": {"tls": {"enabled": true, "cert_path": cert, "key_path": key}}, "websocket": {"port": 9}});
    let c = Config::from_value(tls("cert.pem", "key.pem"), dir.path()).unwrap();
    assert!(c.tls.is_some());
    assert_eq!(c.effective["transport"]["tls"]["enabled"], true);
    let key_err = |v: Value| Config::from_value(v, dir.path()).unwrap_err().to_string();
    assert!(key_err(tls("junk.pem", "key.pem")).contains("transport.tls.cert_path"));
    assert!(key_err(tls("missing.pem", "key.pem")).contains("transport.tls.cert_path"));
    assert!(key_err(tls("cert.pem", "junk.pem")).contains("transport.tls.key_path"));
    assert!(key_err(tls("cert.pem", "cert.pem")).contains("transport.tls.key_path"));
    let other = rcgen::generate_simple_self_signed(vec!["other".to_string()]).unwrap();
    std::fs::write(dir.path().join("other-key.pem"), other.signing_key.serialize_pem()).unwrap();
    assert!(key_err(tls("cert.pem", "other-key.pem")).contains("transport.tls.key_path"), "a key of another cert");
    let e = key_err(json!({"transport": {"tls": {"enabled": true}}}));
    assert!(e.contains("transport.tls.cert_path"), "{e}");
    // With TLS on, asset links without server.url use https.
    std::fs::create_dir_all(dir.path().join("db/serverAssets")).unwrap();
    std::fs::write(dir.path().join("db/serverAssets/i.png"), b"x").unwrap();
    let mut v = tls("cert.pem", "key.pem");
    v["server"] = json!({"icon": "i.png"});
    let c = Config::from_value(v, dir.path()).unwrap();
    assert_eq!(parsed(&c.app.server_info)["icon"], "https://127.0.0.1:9/server-assets/icon");
}

#[test]
fn logging_format_and_metrics() {
    let c = cfg(json!({}));
    assert_eq!(c.log_format, LogFormat::Text);
    assert_eq!(c.metrics_allow_from, Some(vec!["127.0.0.1".to_string(), "::1".to_string()]));
    let c = cfg(json!({"logging": {"format": "json"}, "metrics": {"enabled": false}}));
    assert_eq!((c.log_format, c.metrics_allow_from), (LogFormat::Json, None));
    let c = cfg(json!({"logging": {"format": "yaml"}}));
    assert_eq!(c.log_format, LogFormat::Text);
    assert_eq!(c.warnings, vec![r#"logging.format "yaml" is neither "text" nor "json"; using "text""#]);
    assert_eq!(c.effective["logging"]["format"], "text");
}

#[test]
fn emoji_uploads_accept_only_checkable_kinds() {
    let c = cfg(default_config());
    let e = &c.app.emoji;
    assert_eq!((e.max_bytes, e.max_dimension, e.max_count), (262_144, 1024, 500));
    assert_eq!(e.allowed, [domain::ImageKind::Gif, domain::ImageKind::Jpeg, domain::ImageKind::Png], "jpg = jpeg");
    assert_eq!(c.transport.emoji_dir, Path::new("/srv/chat/db/serverEmojis"));
    let c = cfg(json!({"uploads": {"emoji_allowed_file_types": ["WEBP", "svg", "bmp"]},
        "server": {"url": "WSS://Chats.Example.com:8443/base/"}}));
    assert_eq!(c.app.emoji.allowed, [domain::ImageKind::Webp]);
    let refused: Vec<&String> = c.warnings.iter().filter(|w| w.contains("is never accepted")).collect();
    assert_eq!(refused.len(), 2, "svg and bmp are warned about: {:?}", c.warnings);
    assert_eq!(c.app.emoji.own_hosts, ["chats.example.com:8443"], "the host of server.url");
    let c = cfg(json!({"websocket": {"host": "10.0.0.1", "port": 7000}}));
    assert_eq!(c.app.emoji.own_hosts, ["10.0.0.1:7000"], "or websocket.host:port");
}
