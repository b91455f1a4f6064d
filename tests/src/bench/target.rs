//! The two servers a run measures: the in-process reference and the real server process.

use std::time::Duration;

use anyhow::Context;
use serde_json::json;

use super::conn::{Drained, self_rss_bytes};
use super::reference::ReferenceServer;
use crate::{Backend, TestServer};

/// Runtime threads of the reference server (the real server starts one per core).
fn reference_workers() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
}

enum Running {
    Reference(ReferenceServer),
    Server(TestServer),
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
        let overrides = json!({
            "auth": {"mode": "mock"},
            "rate_limiting": {"enabled": false},
            "limits": {"post_content": 100_000},
            "transport": {"max_connections": 100_000, "max_connections_per_ip": 100_000},
            "logging": {"level": "warn"}
        });
        let s = TestServer::start_with_log(backend, overrides, "warn").await;
        Self { first_start: s.startup_time(), running: Some(Running::Server(s)), content_bytes: 0, kept: None }
    }

    /// `reference` or `server`.
    pub fn side(&self) -> &'static str {
        match self.running {
            Some(Running::Reference(_)) => "reference",
            _ => "server",
        }
    }

    /// `ws://host:port`.
    pub fn url(&self) -> String {
        match &self.running {
            Some(Running::Reference(r)) => r.url(),
            Some(Running::Server(s)) => s.ws_url(),
            None => String::new(),
        }
    }

    /// Resident memory in bytes: the server process's, or (reference) the bench process's.
    pub fn rss_bytes(&self) -> u64 {
        match &self.running {
            Some(Running::Server(s)) => s.rss_bytes(),
            _ => self_rss_bytes(),
        }
    }

    /// CPU time the real server used so far (zero for the reference).
    pub fn cpu_time(&self) -> Duration {
        match &self.running {
            Some(Running::Server(s)) => s.cpu_time(),
            _ => Duration::ZERO,
        }
    }

    /// Process id of the real server.
    pub fn pid(&self) -> Option<u32> {
        match &self.running {
            Some(Running::Server(s)) => Some(s.pid()),
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
            None => anyhow::bail!("not running"),
        }
    }
}
