//! Operational metrics: every metric the server records is named and described here, and
//! recorded through the small functions below, so the set stays in one place and every
//! label takes its values from a fixed, server-defined set (never from what a client sends)
//! (docs/design/observability.md).
//!
//! Recording goes through the `metrics` facade: without an installed recorder (unit tests,
//! tools) every call is a no-op.

use std::time::Duration;

use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};

/// Metric names.
pub mod names {
    /// WebSocket connections open now.
    pub const CONNECTIONS_OPEN: &str = "originchats_connections_open";
    /// WebSocket connections opened since start.
    pub const CONNECTIONS_OPENED: &str = "originchats_connections_opened_total";
    /// WebSocket connections closed, by reason.
    pub const CONNECTIONS_CLOSED: &str = "originchats_connections_closed_total";
    /// TCP connections or upgrades refused before a WebSocket opened, by reason.
    pub const CONNECTIONS_REFUSED: &str = "originchats_connections_refused_total";
    /// Commands run, by command and outcome.
    pub const COMMANDS: &str = "originchats_commands_total";
    /// Time from a parsed request to its answer being queued, by command.
    pub const COMMAND_SECONDS: &str = "originchats_command_duration_seconds";
    /// Requests refused before any command ran, by reason.
    pub const REQUESTS_REFUSED: &str = "originchats_requests_refused_total";
    /// Login attempts, by outcome.
    pub const LOGINS: &str = "originchats_logins_total";
    /// Rotur validation calls, by outcome.
    pub const AUTH_CHECKS: &str = "originchats_auth_checks_total";
    /// Rotur validation call duration.
    pub const AUTH_CHECK_SECONDS: &str = "originchats_auth_check_duration_seconds";
    /// Recipients of one broadcast.
    pub const FANOUT_RECIPIENTS: &str = "originchats_fanout_recipients";
    /// Messages committed together in one store transaction.
    pub const STORE_BATCH_MESSAGES: &str = "originchats_store_batch_messages";
    /// Duration of one batched store commit.
    pub const STORE_COMMIT_SECONDS: &str = "originchats_store_commit_duration_seconds";
    /// Commands that failed in storage.
    pub const STORE_FAILURES: &str = "originchats_store_failures_total";
    /// `messages_get` reads, by whether the in-memory history answered.
    pub const HISTORY_READS: &str = "originchats_history_reads_total";
    /// Web Push deliveries, by outcome.
    pub const PUSH_DELIVERIES: &str = "originchats_push_deliveries_total";
    /// Messages whose pushes were dropped because the push queue was full.
    pub const PUSH_DROPPED: &str = "originchats_push_dropped_total";
    /// Cluster events this node handed to the bus since it started (the sequence number
    /// of the last).
    pub const CLUSTER_PUBLISHED: &str = "originchats_cluster_events_published";
    /// The sequence number of the last event applied here from each other node.
    pub const CLUSTER_APPLIED: &str = "originchats_cluster_events_applied_seq";
    /// The highest shared-presence revision this node wrote.
    pub const CLUSTER_PRESENCE_WRITTEN: &str = "originchats_cluster_presence_revision_written";
    /// The highest shared-presence revision this node's mirror has seen.
    pub const CLUSTER_PRESENCE_SEEN: &str = "originchats_cluster_presence_revision_seen";
}

/// Registers every metric's description (and unit) with the installed recorder.
pub fn describe() {
    use names::*;
    describe_gauge!(CONNECTIONS_OPEN, "WebSocket connections open now");
    describe_counter!(CONNECTIONS_OPENED, "WebSocket connections opened since start");
    describe_counter!(CONNECTIONS_CLOSED, "WebSocket connections closed, by close reason");
    describe_counter!(CONNECTIONS_REFUSED, "Connections refused before a WebSocket opened, by reason");
    describe_counter!(COMMANDS, "Commands run, by command and outcome (ok, error, rate_limited)");
    describe_histogram!(COMMAND_SECONDS, metrics::Unit::Seconds, "From a parsed request to its queued answer");
    describe_counter!(REQUESTS_REFUSED, "Requests refused before a command ran, by reason");
    describe_counter!(LOGINS, "Login attempts, by outcome");
    describe_counter!(AUTH_CHECKS, "Rotur validation calls, by outcome");
    describe_histogram!(AUTH_CHECK_SECONDS, metrics::Unit::Seconds, "Duration of one Rotur validation call");
    describe_histogram!(FANOUT_RECIPIENTS, metrics::Unit::Count, "Recipients of one broadcast");
    describe_histogram!(STORE_BATCH_MESSAGES, metrics::Unit::Count, "Messages committed in one store transaction");
    describe_histogram!(STORE_COMMIT_SECONDS, metrics::Unit::Seconds, "Duration of one batched store commit");
    describe_counter!(STORE_FAILURES, "Commands that failed in storage");
    describe_counter!(HISTORY_READS, "messages_get reads, by source (memory or store)");
    describe_counter!(PUSH_DELIVERIES, "Web Push deliveries, by outcome (delivered, gone, failed)");
    describe_counter!(PUSH_DROPPED, "Messages whose pushes were dropped because the push queue was full");
    describe_gauge!(CLUSTER_PUBLISHED, "Cluster events this node published since it started (the last one's number)");
    describe_gauge!(CLUSTER_APPLIED, "Number of the last event applied here from each other node (from)");
    describe_gauge!(CLUSTER_PRESENCE_WRITTEN, "Highest shared-presence revision this node wrote");
    describe_gauge!(CLUSTER_PRESENCE_SEEN, "Highest shared-presence revision this node's mirror has seen");
    // Shown from the first scrape, before anything connected.
    gauge!(CONNECTIONS_OPEN).set(0.0);
    counter!(CONNECTIONS_OPENED).absolute(0);
}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It did what was asked.
    Ok,
    /// It answered with an error packet.
    Error,
    /// It answered with `rate_limit`.
    RateLimited,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
            Outcome::RateLimited => "rate_limited",
        }
    }
}

/// A WebSocket connection opened.
pub fn connection_opened() {
    counter!(names::CONNECTIONS_OPENED).increment(1);
    gauge!(names::CONNECTIONS_OPEN).increment(1.0);
}

/// A WebSocket connection closed; `reason` is the server's close reason, or what ended it.
pub fn connection_closed(reason: &str) {
    gauge!(names::CONNECTIONS_OPEN).decrement(1.0);
    counter!(names::CONNECTIONS_CLOSED, "reason" => reason.to_owned()).increment(1);
}

/// A connection or upgrade was refused before a WebSocket opened.
pub fn connection_refused(reason: &'static str) {
    counter!(names::CONNECTIONS_REFUSED, "reason" => reason).increment(1);
}

/// A registered command ran.
pub fn command_done(cmd: &'static str, outcome: Outcome, took: Duration) {
    counter!(names::COMMANDS, "cmd" => cmd, "outcome" => outcome.label()).increment(1);
    histogram!(names::COMMAND_SECONDS, "cmd" => cmd).record(took.as_secs_f64());
}

/// A request was refused before any command ran.
pub fn request_refused(reason: &'static str) {
    counter!(names::REQUESTS_REFUSED, "reason" => reason).increment(1);
}

/// A login attempt ended.
pub fn login(outcome: &'static str) {
    counter!(names::LOGINS, "outcome" => outcome).increment(1);
}

/// A Rotur validation call ended.
pub fn auth_check(outcome: &'static str, took: Duration) {
    counter!(names::AUTH_CHECKS, "outcome" => outcome).increment(1);
    histogram!(names::AUTH_CHECK_SECONDS).record(took.as_secs_f64());
}

/// A broadcast went to `recipients` connections.
pub fn fan_out(recipients: usize) {
    histogram!(names::FANOUT_RECIPIENTS).record(recipients as f64);
}

/// A batch of `messages` appends was committed in `took`.
pub fn store_commit(messages: usize, took: Duration) {
    histogram!(names::STORE_BATCH_MESSAGES).record(messages as f64);
    histogram!(names::STORE_COMMIT_SECONDS).record(took.as_secs_f64());
}

/// A command failed in storage.
pub fn store_failure() {
    counter!(names::STORE_FAILURES).increment(1);
}

/// A `messages_get` was answered from memory (`true`) or from the store.
pub fn history_read(from_memory: bool) {
    counter!(names::HISTORY_READS, "source" => if from_memory { "memory" } else { "store" }).increment(1);
}

/// A Web Push delivery ended.
pub fn push_delivery(outcome: crate::ports::Delivery) {
    let label = match outcome {
        crate::ports::Delivery::Delivered => "delivered",
        crate::ports::Delivery::Gone => "gone",
        crate::ports::Delivery::Failed => "failed",
    };
    counter!(names::PUSH_DELIVERIES, "outcome" => label).increment(1);
}

/// A message's pushes were dropped: the push queue was full.
pub fn push_dropped() {
    counter!(names::PUSH_DROPPED).increment(1);
}

/// This node handed its event number `seq` to the bus.
pub fn cluster_published(seq: u64) {
    gauge!(names::CLUSTER_PUBLISHED).set(seq as f64);
}

/// The gauge of the number of the last event of node `from` applied here (kept by the
/// caller, one per node). The label takes node ids, which come from the operators'
/// configuration of the cluster's nodes, not from clients.
pub fn cluster_applied(from: &str) -> metrics::Gauge {
    gauge!(names::CLUSTER_APPLIED, "from" => from.to_owned())
}

/// This node wrote shared presence at `revision` (the highest so far).
pub fn cluster_presence_written(revision: u64) {
    gauge!(names::CLUSTER_PRESENCE_WRITTEN).set(revision as f64);
}

/// This node's presence mirror has seen `revision` (the highest so far).
pub fn cluster_presence_seen(revision: u64) {
    gauge!(names::CLUSTER_PRESENCE_SEEN).set(revision as f64);
}
