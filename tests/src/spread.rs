//! Black-box tests with their clients spread over the nodes of a cluster
//! (docs/design/testing.md#spread-over-nodes). With `ORIGINCHATS_TEST_NODES=N` (N > 1), a
//! test server on PostgreSQL is N nodes on one database and one NATS server, and its
//! clients connect to the nodes in turn.
//!
//! A test reads as if one server answered, so before a client sends anything the harness
//! waits until the cluster has settled: every node has applied the last event each other
//! node published (by sequence number, docs/design/cluster.md#catching-up), and its
//! presence mirror has seen every node's presence writes. What a test then observes is
//! what one node would have produced; the time events take to cross is left to the
//! benchmark.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How many nodes a test server is (`ORIGINCHATS_TEST_NODES`, default 1).
pub fn nodes_from_env() -> usize {
    std::env::var("ORIGINCHATS_TEST_NODES").ok().and_then(|n| n.parse().ok()).filter(|&n| n > 0).unwrap_or(1)
}

/// How long the cluster may take to settle before the test fails.
const SETTLE_WITHIN: Duration = Duration::from_secs(10);

/// What one node reports about the cluster in its `/metrics`.
#[derive(Debug, Default, PartialEq)]
pub struct NodeFigures {
    /// The sequence number of the last event it published.
    pub published: u64,
    /// The sequence number of the last event it applied, by publishing node.
    pub applied: HashMap<String, u64>,
    /// The highest presence revision it wrote.
    pub presence_written: u64,
    /// The highest presence revision its mirror saw.
    pub presence_seen: u64,
}

impl NodeFigures {
    /// Reads the figures from a Prometheus exposition text.
    pub fn parse(exposition: &str) -> Self {
        let mut figures = Self::default();
        for (name, value) in crate::http::samples(exposition) {
            let value = value as u64;
            if name == "originchats_cluster_events_published" {
                figures.published = value;
            } else if let Some(from) = name
                .strip_prefix("originchats_cluster_events_applied_seq{from=\"")
                .and_then(|rest| rest.strip_suffix("\"}"))
            {
                figures.applied.insert(from.to_owned(), value);
            } else if name == "originchats_cluster_presence_revision_written" {
                figures.presence_written = value;
            } else if name == "originchats_cluster_presence_revision_seen" {
                figures.presence_seen = value;
            }
        }
        figures
    }
}

/// Whether nodes reporting `figures` (node id, figures) have settled: each applied the last
/// event each other published, and each mirror saw every presence write.
pub fn settled(figures: &[(String, NodeFigures)]) -> bool {
    let written = figures.iter().map(|(_, f)| f.presence_written).max().unwrap_or(0);
    figures.iter().all(|(me, mine)| {
        mine.presence_seen >= written
            && figures
                .iter()
                .filter(|(other, _)| other != me)
                .all(|(other, theirs)| mine.applied.get(other).copied().unwrap_or(0) >= theirs.published)
    })
}

/// The nodes of one spread test server: their ids and HTTP addresses.
#[derive(Debug, Clone)]
pub struct Spread {
    nodes: Vec<(String, String)>,
}

impl Spread {
    /// Nodes `(id, host:port)`.
    pub fn new(nodes: Vec<(String, String)>) -> Self {
        Self { nodes }
    }

    /// Waits until the cluster has settled (see the module's documentation): whatever was
    /// published before this call is applied everywhere when it returns.
    pub async fn settle(&self) {
        let deadline = Instant::now() + SETTLE_WITHIN;
        loop {
            let mut figures = Vec::with_capacity(self.nodes.len());
            for (id, addr) in &self.nodes {
                let (status, _, body) = crate::http::http(addr, "GET /metrics HTTP/1.1").await;
                assert_eq!(status, 200, "GET /metrics of node {id}: {body}");
                figures.push((id.clone(), NodeFigures::parse(&body)));
            }
            if settled(&figures) {
                return;
            }
            assert!(Instant::now() < deadline, "the cluster did not settle within {SETTLE_WITHIN:?}: {figures:?}");
            // Polling a condition with a deadline: the figures have no change notification.
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(published: u64, applied: &[(&str, u64)], written: u64, seen: u64) -> NodeFigures {
        NodeFigures {
            published,
            applied: applied.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
            presence_written: written,
            presence_seen: seen,
        }
    }

    #[test]
    fn reads_the_cluster_figures() {
        let text = "# HELP x\noriginchats_cluster_events_published 12\n\
            originchats_cluster_events_applied_seq{from=\"node1\"} 3\n\
            originchats_cluster_events_applied_seq{from=\"node2\"} 4\n\
            originchats_cluster_presence_revision_written 7\n\
            originchats_cluster_presence_revision_seen 9\noriginchats_connections_open 2\n";
        assert_eq!(NodeFigures::parse(text), node(12, &[("node1", 3), ("node2", 4)], 7, 9));
    }

    #[test]
    fn settled_only_when_every_node_caught_up_with_every_other() {
        let a = |applied_b, seen| ("a".to_string(), node(2, &[("b", applied_b)], 5, seen));
        let b = |applied_a| ("b".to_string(), node(3, &[("a", applied_a)], 4, 5));
        assert!(settled(&[a(3, 5), b(2)]));
        assert!(!settled(&[a(2, 5), b(2)]), "a missed one of b's events");
        assert!(!settled(&[a(3, 5), b(1)]), "b missed one of a's events");
        assert!(!settled(&[a(3, 4), b(2)]), "a's mirror missed its own write");
        assert!(settled(&[("solo".to_string(), node(9, &[], 0, 0))]));
    }
}
