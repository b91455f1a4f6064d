//! The two servers a run measures: the in-process reference and the real server process.

use std::time::Duration;

use anyhow::Context;
use serde_json::json;

use super::conn::{Drained, self_rss_bytes};
use super::reference::ReferenceServer;
use crate::cluster::TestCluster;
use crate::{Backend, TestServer};

/// Runtime threads of the reference server (the real server starts one per core).
fn reference_workers() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
}

enum Running {
    Reference(ReferenceServer),
    Server(Box<TestServer>),
    Cluster(TestCluster),
}

/// A server under measurement.
pub struct Target {
    running: Option<Running>,
    content_bytes: usize,
    /// The reference announces logins (`--reference-presence`).
    presence: bool,
    /// Time from spawning it to its listening, for its first start.
    pub first_start: Duration,
    /// Connections kept open after `connect` (`--keep-connected`): idle users that receive
    /// every broadcast of the later scenarios.
    pub kept: Option<Drained>,
}

impl Target {
    /// Starts the reference server; with `presence`, it announces logins.
    pub fn reference(content_bytes: usize, presence: bool) -> anyhow::Result<Self> {
        let r = ReferenceServer::start(reference_workers(), content_bytes, presence)?;
        let first_start = r.startup;
        Ok(Self { first_start, running: Some(Running::Reference(r)), content_bytes, presence, kept: None })
    }

    /// Starts the real server on a fresh database: mock validators, no rate limiting,
    /// long contents allowed, connection caps out of the way, logging at `warn`.
    pub async fn server(backend: Backend) -> Self {
        let s = TestServer::start_with_log(backend, Self::overrides(), "warn").await;
        Self {
            first_start: s.startup_time(),
            running: Some(Running::Server(Box::new(s))),
            content_bytes: 0,
            presence: false,
            kept: None,
        }
    }

    /// The real server as `nodes` nodes of one cluster, on a fresh database of the
    /// PostgreSQL server at `admin` and NATS at `nats`, configured as [`Target::server`].
    pub async fn cluster(admin: String, nats: &str, nodes: usize) -> Self {
        let c = TestCluster::start_on(admin, nats, nodes, Self::overrides(), "warn").await;
        let first_start = c.nodes.iter().map(TestServer::startup_time).max().unwrap_or_default();
        Self { first_start, running: Some(Running::Cluster(c)), content_bytes: 0, presence: false, kept: None }
    }

    fn overrides() -> serde_json::Value {
        json!({
            "auth": {"mode": "mock"},
            "rate_limiting": {"enabled": false},
            "limits": {"post_content": 100_000},
            "transport": {"max_connections": 100_000, "max_connections_per_ip": 100_000},
            "logging": {"level": "warn"}
        })
    }

    /// `reference` or `server`.
    pub fn side(&self) -> &'static str {
        match self.running {
            Some(Running::Reference(_)) => "reference",
            _ => "server",
        }
    }

    /// `ws://host:port`; for a cluster each node's, separated by spaces (clients take
    /// them in turn, see [`super::conn::Conn::login`]).
    pub fn url(&self) -> String {
        match &self.running {
            Some(Running::Reference(r)) => r.url(),
            Some(Running::Server(s)) => s.ws_url(),
            Some(Running::Cluster(c)) => c.nodes.iter().map(TestServer::ws_url).collect::<Vec<_>>().join(" "),
            None => String::new(),
        }
    }

    /// Resident memory in bytes: the server process's, or (reference) the bench process's.
    pub fn rss_bytes(&self) -> u64 {
        match &self.running {
            Some(Running::Server(s)) => s.rss_bytes(),
            Some(Running::Cluster(c)) => c.nodes.iter().map(TestServer::rss_bytes).sum(),
            _ => self_rss_bytes(),
        }
    }

    /// Waits (at most `bound`) until the real server has no connection open, every node of
    /// a cluster included: the clients of a scenario are gone, and so is the work their
    /// leaving made (each departure is announced to everyone still online). Returns whether
    /// it got there. The reference has nothing to wait for.
    pub async fn until_no_connections(&self, bound: Duration) -> bool {
        let addrs: Vec<String> = match &self.running {
            Some(Running::Server(s)) => s.node_addrs(),
            Some(Running::Cluster(c)) => c.nodes.iter().flat_map(|n| n.node_addrs()).collect(),
            _ => return true,
        };
        let until = std::time::Instant::now() + bound;
        loop {
            let mut open = 0.0;
            for addr in &addrs {
                let (_, _, body) = crate::http::http(addr, "GET /metrics HTTP/1.1").await;
                open += gauge(&body, "originchats_connections_open");
            }
            if open == 0.0 {
                return true;
            }
            if std::time::Instant::now() >= until {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// CPU time the real server used so far (zero for the reference).
    pub fn cpu_time(&self) -> Duration {
        match &self.running {
            Some(Running::Server(s)) => s.cpu_time(),
            Some(Running::Cluster(c)) => c.nodes.iter().map(TestServer::cpu_time).sum(),
            _ => Duration::ZERO,
        }
    }

    /// Process id of the real server.
    pub fn pid(&self) -> Option<u32> {
        match &self.running {
            Some(Running::Server(s)) => Some(s.pid()),
            Some(Running::Cluster(c)) => c.nodes.first().map(TestServer::pid),
            _ => None,
        }
    }

    /// Stops and starts it again (on the same database); returns how long starting took.
    pub fn restart(&mut self) -> anyhow::Result<Duration> {
        self.kept = None;
        match self.running.take() {
            Some(Running::Server(mut s)) => {
                s.kill();
                s.start_again();
                let took = s.startup_time();
                self.running = Some(Running::Server(s));
                Ok(took)
            }
            Some(Running::Reference(r)) => {
                drop(r);
                let r = ReferenceServer::start(reference_workers(), self.content_bytes, self.presence)
                    .context("restart")?;
                let took = r.startup;
                self.running = Some(Running::Reference(r));
                Ok(took)
            }
            Some(Running::Cluster(c)) => {
                self.running = Some(Running::Cluster(c));
                anyhow::bail!("restarting a cluster is not measured")
            }
            None => anyhow::bail!("not running"),
        }
    }
}

/// The sum of a metric's samples in a Prometheus text exposition (0 when absent).
fn gauge(exposition: &str, name: &str) -> f64 {
    crate::http::samples(exposition)
        .filter(|(series, _)| series.strip_prefix(name).is_some_and(|rest| rest.is_empty() || rest.starts_with('{')))
        .map(|(_, value)| value)
        .sum()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_gauge_is_summed_over_its_labels_and_other_metrics_are_ignored() {
        let text = "# TYPE originchats_connections_open gauge\noriginchats_connections_open{transport=\"ws\"} 3\n\
                    originchats_connections_open{transport=\"wt\"} 2\noriginchats_connections_opened_total 9\n";
        assert_eq!(super::gauge(text, "originchats_connections_open"), 5.0);
        assert_eq!(super::gauge(text, "originchats_missing"), 0.0);
    }
}
