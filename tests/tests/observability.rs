//! Metrics and logs from outside: `GET /metrics` counts what happened, answers only the
//! allowed addresses (after trusted proxies), can be turned off, and `logging.format: "json"`
//! writes one JSON object per line (docs/design/observability.md).

use std::collections::BTreeMap;

use originchats_tests::http::{http, http_with};
use originchats_tests::scenes::{start, start_with};
use originchats_tests::{Backend, backend_tests};
use serde_json::{Value, json};

/// The samples of a Prometheus text exposition: `name{label="v",…}` (labels sorted) → value.
fn samples(body: &str) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for line in body.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let (series, value) = line.rsplit_once(' ').expect("a sample line");
        let key = match series.split_once('{') {
            Some((name, labels)) => {
                let mut labels: Vec<&str> = labels.trim_end_matches('}').split(',').collect();
                labels.sort_unstable();
                format!("{name}{{{}}}", labels.join(","))
            }
            None => series.to_owned(),
        };
        out.insert(key, value.parse().expect("a number"));
    }
    out
}

async fn scrape(addr: &str) -> BTreeMap<String, f64> {
    let (status, head, body) = http(addr, "GET /metrics HTTP/1.1").await;
    assert_eq!(status, 200, "{body}");
    assert!(head.contains("content-type: text/plain; version=0.0.4"), "{head}");
    assert!(!head.contains("access-control-allow-origin"), "no CORS on /metrics: {head}");
    samples(&body)
}

fn value(samples: &BTreeMap<String, f64>, key: &str) -> f64 {
    *samples.get(key).unwrap_or_else(|| panic!("{key} is missing from {samples:#?}"))
}

async fn metrics_count_connections_commands_and_refusals(b: Backend) {
    let s = start(b).await;
    let mut alice = s.login("alice").await;
    let mut bob = s.login("bob").await;
    alice.sync().await;
    alice.send(json!({"cmd": "message_new", "channel": "general", "content": "hi"})).await;
    bob.expect_cmd("message_new").await;
    assert_eq!(alice.recv().await["cmd"], "message_new");
    alice.send_text("{not json").await;
    assert_eq!(alice.recv().await["cmd"], "error");
    alice.send(json!({"cmd": "no_such_command"})).await;
    assert_eq!(alice.recv().await["cmd"], "error");
    alice.send(json!({"cmd": "message_edit", "channel": "general", "id": "nope", "content": "x"})).await;
    assert_eq!(alice.recv().await["cmd"], "error");
    // Every request above was answered before this round trip.
    alice.sync().await;

    let m = scrape(&s.addr).await;
    assert_eq!(value(&m, "originchats_connections_open"), 2.0);
    assert_eq!(value(&m, "originchats_connections_opened_total"), 2.0);
    assert_eq!(value(&m, "originchats_logins_total{outcome=\"ok\"}"), 2.0);
    assert_eq!(value(&m, "originchats_auth_checks_total{outcome=\"valid\"}"), 2.0);
    assert_eq!(value(&m, "originchats_commands_total{cmd=\"message_new\",outcome=\"ok\"}"), 1.0);
    assert_eq!(value(&m, "originchats_commands_total{cmd=\"message_edit\",outcome=\"error\"}"), 1.0);
    assert_eq!(value(&m, "originchats_requests_refused_total{reason=\"not_json\"}"), 1.0);
    assert_eq!(value(&m, "originchats_requests_refused_total{reason=\"unknown_command\"}"), 1.0);
    assert_eq!(value(&m, "originchats_command_duration_seconds_count{cmd=\"message_new\"}"), 1.0);
    assert!(value(&m, "originchats_fanout_recipients_count") >= 1.0);
    assert!(value(&m, "originchats_store_batch_messages_sum") >= 1.0, "the message went through the writer");
    assert!(value(&m, "process_resident_memory_bytes") > 1e6);
    assert!(value(&m, "process_open_fds") >= 3.0);
    assert_eq!(value(&m, &format!("originchats_build_info{{version=\"{}\"}}", env!("CARGO_PKG_VERSION"))), 1.0);

    // A closed connection is counted with what ended it once the others hear of it.
    alice.close().await;
    bob.expect_cmd("user_disconnect").await;
    let m = scrape(&s.addr).await;
    assert_eq!(value(&m, "originchats_connections_open"), 1.0);
    assert_eq!(value(&m, "originchats_connections_closed_total{reason=\"peer closed\"}"), 1.0);
}

async fn metrics_answer_only_allowed_addresses(b: Backend) {
    let s = start_with(b, json!({"metrics": {"allow_from": ["10.0.0.0/8"]}})).await;
    let (status, head, body) = http(&s.addr, "GET /metrics HTTP/1.1").await;
    assert_eq!((status, body.as_str()), (403, "Metrics are not available here"));
    assert!(!head.contains("access-control-allow-origin"), "{head}");
    // A forwarded header from an untrusted peer changes nothing.
    let (status, _, _) = http_with(&s.addr, "GET /metrics HTTP/1.1", &[("X-Forwarded-For", "10.1.2.3")]).await;
    assert_eq!(status, 403);

    let proxied = json!({"metrics": {"allow_from": ["10.0.0.0/8"]}, "transport": {"trusted_proxies": ["127.0.0.1"]}});
    let s = start_with(Backend::Sqlite, proxied).await;
    let (status, _, body) = http_with(&s.addr, "GET /metrics HTTP/1.1", &[("X-Forwarded-For", "10.1.2.3")]).await;
    assert_eq!(status, 200, "the trusted proxy names an allowed client");
    assert!(body.contains("originchats_connections_opened_total") || body.contains("process_open_fds"), "{body}");
    let (status, _, _) = http_with(&s.addr, "GET /metrics HTTP/1.1", &[("X-Forwarded-For", "192.0.2.7")]).await;
    assert_eq!(status, 403, "the trusted proxy names a client outside allow_from");
}

async fn metrics_can_be_turned_off(b: Backend) {
    let s = start_with(b, json!({"metrics": {"enabled": false}})).await;
    let (status, _, body) = http(&s.addr, "GET /metrics HTTP/1.1").await;
    assert_eq!((status, body.as_str()), (404, "Not found"));
}

async fn json_logs_are_one_object_per_line(b: Backend) {
    let s = start_with(b, json!({"logging": {"format": "json"}})).await;
    let mut alice = s.login("alice").await;
    alice.sync().await;
    let log = s.log();
    let lines: Vec<Value> =
        log.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}\n{log}"))).collect();
    let authenticated = lines.iter().find(|l| l["message"] == "authenticated").expect("the login is logged");
    assert_eq!(authenticated["level"], "INFO");
    assert_eq!(authenticated["user"], "alice", "fields sit next to the message: {authenticated}");
    assert!(lines.iter().any(|l| l["message"] == "listening"), "{log}");
}

backend_tests!(
    metrics_count_connections_commands_and_refusals,
    metrics_answer_only_allowed_addresses,
    metrics_can_be_turned_off,
    json_logs_are_one_object_per_line,
);
