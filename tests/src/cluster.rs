//! Several nodes of one cluster on this machine (docs/scaling.md): each a real server
//! process on its own port and folder, all on one fresh PostgreSQL database and one NATS
//! server, under a cluster name of their own so that tests run in parallel.

use serde_json::{Value, json};

use crate::server::merge;
use crate::{Backend, Client, TestServer};

/// The NATS server the cluster tests use (`ORIGINCHATS_TEST_NATS_URL`, else the local one).
pub fn nats_url() -> String {
    std::env::var("ORIGINCHATS_TEST_NATS_URL").ok().filter(|u| !u.is_empty()).unwrap_or("nats://127.0.0.1:4222".into())
}

/// A cluster name no other test uses.
pub fn fresh_cluster_name() -> String {
    format!("t{}", uuid::Uuid::new_v4().simple())
}

/// Nodes sharing a database and a NATS subject prefix.
pub struct TestCluster {
    /// The nodes, in the order they started.
    pub nodes: Vec<TestServer>,
    /// The cluster's name (its NATS subject and bucket prefix).
    pub name: String,
    admin: String,
    url: String,
}

impl TestCluster {
    /// Starts `n` nodes whose owner is `boss`; `None` (the test is skipped) without
    /// `ORIGINCHATS_TEST_POSTGRES_URL`, since a cluster needs PostgreSQL.
    pub async fn start(n: usize) -> Option<Self> {
        Self::start_with(n, json!({})).await
    }

    /// [`TestCluster::start`] with `overrides` merged into every node's config.
    pub async fn start_with(n: usize, overrides: Value) -> Option<Self> {
        let Some(Backend::Postgres(admin)) = Backend::postgres() else {
            eprintln!("SKIPPED (ORIGINCHATS_TEST_POSTGRES_URL not set): a cluster needs PostgreSQL");
            return None;
        };
        let url = crate::pg::fresh_database(&admin).await;
        let mut cluster = Self { nodes: vec![], name: fresh_cluster_name(), admin, url };
        for i in 0..n {
            let node = cluster.node_config(&format!("node{i}"), &overrides);
            let server =
                TestServer::start_node(Backend::Postgres(cluster.admin.clone()), cluster.url.clone(), node).await;
            cluster.nodes.push(server);
        }
        Some(cluster)
    }

    /// `n` nodes on a fresh database of the PostgreSQL server at `admin`, with NATS at
    /// `nats`, `overrides` and `RUST_LOG=rust_log` (the benchmark's cluster).
    pub async fn start_on(admin: String, nats: &str, n: usize, overrides: Value, rust_log: &str) -> Self {
        let url = crate::pg::fresh_database(&admin).await;
        let mut cluster = Self { nodes: vec![], name: fresh_cluster_name(), admin, url };
        for i in 0..n {
            let mut node = cluster.node_config(&format!("node{i}"), &overrides);
            node["cluster"]["nats_url"] = json!(nats);
            let backend = Backend::Postgres(cluster.admin.clone());
            let server = TestServer::start_node_with_log(backend, cluster.url.clone(), node, rust_log).await;
            cluster.nodes.push(server);
        }
        cluster
    }

    /// Starts one more node (`node<n>`) with `overrides`, after the others; returns its index.
    pub async fn add_node(&mut self, overrides: &Value) -> usize {
        let id = format!("node{}", self.nodes.len());
        let node = self.node_config(&id, overrides);
        let server = TestServer::start_node(Backend::Postgres(self.admin.clone()), self.url.clone(), node).await;
        self.nodes.push(server);
        self.nodes.len() - 1
    }

    /// The config of a node named `id` of this cluster, with `overrides`.
    pub fn node_config(&self, id: &str, overrides: &Value) -> Value {
        let mut config = json!({
            "auth": {"owners": ["boss"]},
            "cluster": {"nats_url": nats_url(), "node_id": id, "name": self.name},
        });
        merge(&mut config, overrides);
        config
    }

    /// The shared database's URL.
    pub fn storage_url(&self) -> &str {
        &self.url
    }

    /// Logs `name` in on node `i`.
    pub async fn login(&self, i: usize, name: &str) -> Client {
        self.nodes[i].login(name).await
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            node.kill();
        }
        self.nodes.clear();
        crate::pg::drop_database(&self.admin, &self.url);
    }
}
