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
    /// Time from spawning it to its listening, for its first start.
    pub first_start: Duration,
    /// Connections kept open after `connect` (`--keep-connected`): idle users that receive
    /// every broadcast of the later scenarios.
    pub kept: Option<Drained>,
}

impl Target {
    /// Starts the reference server.
    pub fn reference(content_bytes: usize) -> anyhow::Result<Self> {
        let r = ReferenceServer::start(reference_workers(), content_bytes)?;
        Ok(Self { first_start: r.startup, running: Some(Running::Reference(r)), content_bytes, kept: None })
    }

    /// Starts the real server on a fresh database: mock validators, no rate limiting,
    /// long contents allowed, connection caps out of the way, logging at `warn`.
    pub async fn server(backend: Backend) -> Self {
        let s = TestServer::start_with_log(backend, Self::overrides(), "warn").await;
        Self {
            first_start: s.startup_time(),
            running: Some(Running::Server(Box::new(s))),
            content_bytes: 0,
            kept: None,
        }
    }

    /// The real server as `nodes` nodes of one cluster, on a fresh database of the
    /// PostgreSQL server at `admin` and NATS at `nats`, configured as [`Target::server`].
    pub async fn cluster(admin: String, nats: &str, nodes: usize) -> Self {
        let c = TestCluster::start_on(admin, nats, nodes, Self::overrides(), "warn").await;
        let first_start = c.nodes.iter().map(TestServer::startup_time).max().unwrap_or_default();
        Self { first_start, running: Some(Running::Cluster(c)), content_bytes: 0, kept: None }
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
                let r = ReferenceServer::start(reference_workers(), self.content_bytes).context("restart")?;
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
