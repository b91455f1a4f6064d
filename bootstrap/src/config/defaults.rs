//! The complete default configuration: the original's keys with setup.py's defaults, plus
//! this server's additions. A newly written config.json contains every key below.

use serde_json::{Value, json};

/// The default config.json.
pub fn default_config() -> Value {
    json!({
        "limits": {"post_content": 2000, "search_results": 30},
        "uploads": {
            "emoji_allowed_file_types": ["gif", "jpg", "jpeg", "png"],
            "emoji_max_bytes": 262144,
            "emoji_max_dimension": 1024,
            "emoji_max_count": 500
        },
        "rate_limiting": {
            "enabled": true,
            "messages_per_minute": 60,
            "burst_limit": 10,
            "cooldown_seconds": 30,
            "burst_window_seconds": 10
        },
        "DB": {
            "channels": "db/channels.json",
            "users": {"file": "db/users.json", "default": {"roles": ["user"]}}
        },
        "websocket": {"host": "127.0.0.1", "port": 5613},
        "rotur": {"validate_url": "https://social.rotur.dev/validate", "validate_key": "your_key_here"},
        "service": {"name": "OriginChats", "version": "1.0.0"},
        "server": {"name": "My OriginChats Server", "owner": {"name": "Admin"}},
        "storage": {"url": "sqlite://originchats.db", "import_from": null},
        "cluster": {"nats_url": null, "node_id": null, "name": "originchats"},
        "transport": {
            "websocket": {"enabled": true},
            "tls": {"enabled": false, "cert_path": null, "key_path": null},
            "webtransport": {"enabled": false, "port": null},
            "max_frame_bytes": 1048576,
            "auth_deadline_seconds": 60,
            "max_connections": 20000,
            "max_connections_per_ip": 100,
            "trusted_proxies": [],
            "allowed_origins": null,
            "max_json_depth": 32,
            "ws_ping_interval_seconds": 30,
            "ws_ping_timeout_seconds": 90,
            "outbound_queue": 1024,
            "outbound_queue_bytes": 8388608,
            "request_head_timeout_seconds": 10
        },
        "auth": {
            "mode": "rotur",
            "owners": [],
            "rotur_validate_url": "https://api.rotur.dev/validate",
            "timeout_seconds": 5,
            "max_failures_per_socket": 5,
            "max_failures_per_address": 20,
            "max_concurrent_checks": 64
        },
        "push": {
            "enabled": true,
            "vapid_dir": "vapid",
            "subject": null,
            "ttl_seconds": 86400,
            "require_view_permission": true,
            "allow_private_endpoints": false,
            "timeout_seconds": 10,
            "queue": 1024,
            "max_in_flight": 16,
            "max_subscriptions_per_user": 10
        },
        "slash": {"register_requires_role": null},
        "resume": {"window_seconds": 120, "max_buffered": 1000, "max_total_bytes": 268435456},
        "plugins": {
            "enabled": ["welcome", "automod"],
            "dir": "plugins",
            "limits": {
                "max_operations": 1000000,
                "max_string_bytes": 65536,
                "max_array_len": 10000,
                "max_map_len": 10000,
                "max_call_depth": 32,
                "time_budget_ms": 500,
                "max_actions": 50,
                "queue": 256,
                "pending_actions": 256,
                "log_lines": 100,
                "max_memory_bytes": 8388608
            }
        },
        "heartbeat": {"interval_seconds": 30},
        "shutdown": {"grace_seconds": 5},
        "logging": {"level": "info", "format": "text"},
        "metrics": {"enabled": true, "allow_from": ["127.0.0.1", "::1"]}
    })
}

/// Sections whose keys are free-form (passed through, never warned about).
pub const OPEN_SECTIONS: [&str; 3] = ["server", "limits", "DB.users.default"];

/// Top-level keys accepted besides those of [`default_config`].
pub const EXTRA_TOP_LEVEL: [&str; 1] = ["auth_mode"];
