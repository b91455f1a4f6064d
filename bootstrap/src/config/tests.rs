use super::*;
use serde_json::json;

fn cfg(v: serde_json::Value) -> Config {
    Config::from_value(v, Path::new("/srv/chat")).unwrap()
}

#[test]
fn minimal_original_config_works_with_defaults() {
    let c = cfg(json!({"websocket": {"host": "0.0.0.0", "port": 5613}, "rotur": {"validate_url": "x"}}));
    assert_eq!(c.port, 5613);
    assert_eq!(c.app.post_content, 2000);
    assert!(c.app.rate_limit.is_none(), "missing rate_limiting means off");
    assert_eq!(c.app.new_user_roles, Some(vec!["user".to_string()]));
    assert_eq!(c.storage, adapters::outbound::sql::StorageUrl::Sqlite("/srv/chat/originchats.db".into()));
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
    assert_eq!(c.app.limits_info, json!({"post_content": 2000, "search_results": 30, "extra": 1}));
    assert_eq!(c.warnings.len(), 1);
}

#[test]
fn unknown_keys_warn_once_each_but_server_keys_pass_through() {
    let c = cfg(json!({"server": {"name": "x", "motd": "hi"}, "bogus": 1, "websocket": {"port": 1, "path": "/ws"}}));
    assert_eq!(c.app.server_info["motd"], "hi");
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
    assert_eq!(c.app.server_info["icon"], "https://chat.example/server-assets/icon");
    assert_eq!(c.app.server_info["banner"], "missing.png");
}
