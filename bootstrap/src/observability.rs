//! Logs and metrics: the tracing subscriber (`logging.level`, `logging.format`) and the
//! Prometheus recorder behind `GET /metrics` (docs/design/observability.md).

use std::sync::Arc;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use websocket::MetricsEndpoint;

use crate::config::LogFormat;

/// Installs the global log subscriber. `RUST_LOG`, when set, replaces `level`.
pub(crate) fn init_logging(level: &str, format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("{level},sqlx=warn,sea_orm=warn,hyper=warn")));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        // One object per line, with the span fields flattened into it.
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        // Colours only for a terminal: a log redirected to a file or a journal stays plain.
        LogFormat::Text => builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).try_init(),
    };
}

/// Bucket bounds for durations, in seconds: 100 µs to 10 s.
const SECONDS: [f64; 16] =
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Bucket bounds for counts (recipients of a broadcast, messages in a batch).
const COUNTS: [f64; 14] = [0.0, 1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0];

/// How often recorded histogram samples are folded into their buckets.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Installs the process-wide metrics recorder and returns the `/metrics` endpoint for
/// `allow_from`. Must run inside the runtime (it spawns the upkeep task).
pub(crate) fn install_metrics(allow_from: Vec<String>) -> anyhow::Result<Arc<MetricsEndpoint>> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS)?
        .set_buckets_for_metric(Matcher::Full(application::telemetry::names::FANOUT_RECIPIENTS.into()), &COUNTS)?
        .set_buckets_for_metric(Matcher::Full(application::telemetry::names::STORE_BATCH_MESSAGES.into()), &COUNTS)?
        .install_recorder()?;
    application::telemetry::describe();
    describe_process();
    metrics::gauge!("originchats_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(UPKEEP_EVERY);
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    Ok(Arc::new(MetricsEndpoint::new(allow_from, Box::new(move || render(&handle)))))
}

fn describe_process() {
    metrics::describe_gauge!("process_resident_memory_bytes", metrics::Unit::Bytes, "Resident memory");
    metrics::describe_gauge!("process_open_fds", "Open file descriptors");
    metrics::describe_gauge!("process_max_fds", "Limit on open file descriptors");
    metrics::describe_gauge!("originchats_build_info", "The running version (always 1)");
}

/// The exposition text, with the process figures read at scrape time.
fn render(handle: &PrometheusHandle) -> String {
    let process = [
        ("process_resident_memory_bytes", system::process::resident_bytes()),
        ("process_open_fds", system::process::open_descriptors()),
        ("process_max_fds", system::process::descriptor_limit()),
    ];
    for (name, value) in process {
        if let Some(v) = value {
            metrics::gauge!(name).set(v as f64);
        }
    }
    handle.render()
}
