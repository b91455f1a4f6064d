//! Starting the real server process against a fresh database.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::spread::Spread;
use crate::wt::Trust;
use crate::{Client, MockRotur};

/// The storage backend a test runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// A fresh SQLite file in the test's temporary folder.
    Sqlite,
    /// A fresh Postgres database on the server at this URL.
    Postgres(String),
}

impl Backend {
    /// The Postgres backend when `ORIGINCHATS_TEST_POSTGRES_URL` is set.
    pub fn postgres() -> Option<Self> {
        std::env::var("ORIGINCHATS_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty()).map(Self::Postgres)
    }
}

/// The transport test clients use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// WebSocket (and HTTP) on the TCP port.
    WebSocket,
    /// WebTransport on the UDP port, served beside WebSocket.
    WebTransport,
}

impl Transport {
    /// `ORIGINCHATS_TEST_TRANSPORT=webtransport` runs the tests' clients over WebTransport
    /// (docs/design/testing.md#both-transports); WebSocket otherwise.
    pub fn from_env() -> Self {
        match std::env::var("ORIGINCHATS_TEST_TRANSPORT").as_deref() {
            Ok("webtransport") => Self::WebTransport,
            _ => Self::WebSocket,
        }
    }
}

/// A running server with its own folder, database and mock Rotur.
pub struct TestServer {
    /// The server's folder (config.json lives here).
    pub dir: tempfile::TempDir,
    /// The mock Rotur it validates against.
    pub rotur: MockRotur,
    /// `host:port` it listens on.
    pub addr: String,
    /// `ws` or `wss`, as the server announced it.
    pub scheme: String,
    /// What clients trust when the server runs TLS (set by TLS tests).
    pub tls_trust: Option<std::sync::Arc<rustls::ClientConfig>>,
    /// The transport [`TestServer::connect`] uses.
    pub transport: Transport,
    /// `host:port` of the WebTransport (UDP) port, when served.
    pub wt_addr: Option<String>,
    child: Option<Child>,
    storage_url: String,
    backend: Backend,
    /// Open files the process may hold (`RLIMIT_NOFILE`), when limited.
    descriptor_limit: Option<u32>,
    /// `RUST_LOG` of the process, when not the default (`TEST_SERVER_LOG`, else `info`).
    rust_log: Option<String>,
    /// From spawning the process to reading its listening line, for the latest start.
    startup: Duration,
    /// Whether the database is this server's own (dropped with it) rather than shared
    /// with other nodes of a cluster.
    owns_database: bool,
    /// When the test's clients are spread over nodes ([`crate::spread`]): the other nodes,
    /// which this one starts, restarts and stops with itself.
    peers: Vec<TestServer>,
    /// The nodes' addresses, for settling, when spread.
    spread: Option<std::sync::Arc<Spread>>,
    /// The node the next client connects to, when spread.
    turn: std::sync::atomic::AtomicUsize,
}

/// Merges `over` into `into`: objects key by key, anything else replaced.
pub(crate) fn merge(into: &mut Value, over: &Value) {
    match (into, over) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                    _ => {
                        a.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}

/// Path of the server binary under test: built by this package next to the test binaries
/// (`target/<profile>/originchats-under-test`, tests live in `target/<profile>/deps/`).
/// `ORIGINCHATS_SERVER_BIN` names another one (e.g. a build with another allocator, for the
/// benchmark).
pub fn server_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("ORIGINCHATS_SERVER_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("current_exe");
    let name = format!("originchats-under-test{}", std::env::consts::EXE_SUFFIX);
    // Tests run from target/<profile>/deps, binaries (the bench) from target/<profile>.
    let candidates = [exe.parent().and_then(Path::parent), exe.parent()];
    let bin = candidates.into_iter().flatten().map(|dir| dir.join(&name)).find(|p| p.exists());
    bin.unwrap_or_else(|| panic!("{name} is missing next to {}: run through cargo", exe.display()))
}

/// Resident memory of process `pid` (`"self"` for this one), in bytes, from
/// `/proc/<pid>/statm`; `None` once the process is gone.
pub fn resident_bytes(pid: &str) -> Option<u64> {
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// The scheme and address of the server's start-up line
/// `originchats listening on <ws|wss>://<host:port>`.
pub fn parse_listening_line(line: &str) -> Option<(String, String)> {
    let url = line.strip_prefix("originchats listening on ")?;
    let (scheme, addr) = url.split_once("://")?;
    matches!(scheme, "ws" | "wss").then(|| (scheme.to_owned(), addr.to_owned()))
}

/// Runs the server binary in `dir` with `--config config.json` and `args` until it exits
/// (without `ORIGINCHATS_DATABASE_URL`, stdin closed), returning success, stdout and stderr.
pub fn run_to_end(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(server_binary())
        .arg("--config")
        .arg(dir.join("config.json"))
        .args(args)
        .current_dir(dir)
        .env_remove("ORIGINCHATS_DATABASE_URL")
        .stdin(Stdio::null())
        .output()
        .expect("run the server binary");
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (out.status.success(), text(out.stdout), text(out.stderr))
}

impl TestServer {
    /// Starts a server with the default test config.
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, json!({})).await
    }

    /// Starts a server with `overrides` merged into the test config.
    pub async fn start_with(backend: Backend, overrides: Value) -> Self {
        Self::start_with_files(backend, overrides, &[]).await
    }

    /// Starts a server with `overrides`, after writing `files` (path relative to the
    /// server's folder, content) — plugin scripts and configs, say.
    pub async fn start_with_files(backend: Backend, overrides: Value, files: &[(&str, &str)]) -> Self {
        Self::start_inner(backend, overrides, files, None).await
    }

    /// Starts a node of a cluster on the database at `storage_url`, which it shares and
    /// does not drop (docs/scaling.md).
    pub async fn start_node(backend: Backend, storage_url: String, overrides: Value) -> Self {
        Self::start_on(backend, Transport::from_env(), Some(storage_url), overrides, &[], None).await
    }

    /// [`TestServer::start_node`] with the process's `RUST_LOG` set to `rust_log`.
    pub async fn start_node_with_log(backend: Backend, storage_url: String, overrides: Value, rust_log: &str) -> Self {
        Self::start_on(backend, Transport::from_env(), Some(storage_url), overrides, &[], Some(rust_log.to_owned()))
            .await
    }

    /// Starts a server with `overrides` whose process runs with `RUST_LOG=rust_log` (which
    /// the server reads before `logging.level`) instead of the tests' default.
    pub async fn start_with_log(backend: Backend, overrides: Value, rust_log: &str) -> Self {
        Self::start_inner(backend, overrides, &[], Some(rust_log.to_owned())).await
    }

    /// Starts a server with `overrides` whose clients use `transport` (WebTransport is then
    /// enabled beside WebSocket).
    pub async fn start_over(backend: Backend, transport: Transport, overrides: Value) -> Self {
        Self::start_on(backend, transport, None, overrides, &[], None).await
    }

    async fn start_inner(backend: Backend, overrides: Value, files: &[(&str, &str)], rust_log: Option<String>) -> Self {
        Self::start_on(backend, Transport::from_env(), None, overrides, files, rust_log).await
    }

    async fn start_on(
        backend: Backend,
        transport: Transport,
        shared: Option<String>,
        overrides: Value,
        files: &[(&str, &str)],
        rust_log: Option<String>,
    ) -> Self {
        let owns_database = shared.is_none();
        let spread_to = match (&backend, owns_database) {
            (Backend::Postgres(_), true) => crate::spread::nodes_from_env(),
            _ => 1,
        };
        let dir = tempfile::tempdir().expect("tempdir");
        for (path, content) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        let rotur = MockRotur::start().await;
        let storage_url = match (&backend, shared) {
            (_, Some(url)) => url,
            (Backend::Sqlite, None) => "sqlite://data/originchats.db".to_owned(),
            (Backend::Postgres(admin), None) => crate::pg::fresh_database(admin).await,
        };
        let mut config = json!({
            "websocket": {"host": "127.0.0.1", "port": 0},
            "server": {"name": "Test Server", "owner": {"name": "Tester"}},
            "limits": {"post_content": 2000, "search_results": 30},
            "rate_limiting": {"enabled": false},
            "storage": {"url": storage_url},
            "auth": {"mode": "rotur", "rotur_validate_url": rotur.url(), "timeout_seconds": 1},
            "plugins": {"enabled": []},
            "logging": {"level": "info"}
        });
        if transport == Transport::WebTransport {
            merge(&mut config, &json!({"transport": {"webtransport": {"enabled": true}}}));
        }
        let cluster_name = crate::cluster::fresh_cluster_name();
        if spread_to > 1 {
            let cluster = json!({"nats_url": crate::cluster::nats_url(), "node_id": "node0", "name": cluster_name});
            merge(&mut config, &json!({ "cluster": cluster }));
        }
        merge(&mut config, &overrides);
        std::fs::write(dir.path().join("config.json"), serde_json::to_vec_pretty(&config).unwrap()).unwrap();
        let mut server = Self {
            dir,
            rotur,
            addr: String::new(),
            scheme: String::new(),
            tls_trust: None,
            transport,
            wt_addr: None,
            child: None,
            storage_url,
            backend,
            descriptor_limit: None,
            rust_log,
            startup: Duration::ZERO,
            owns_database,
            peers: vec![],
            spread: None,
            turn: Default::default(),
        };
        server.spawn();
        for i in 1..spread_to {
            let mut peer = overrides.clone();
            let cluster =
                json!({"nats_url": crate::cluster::nats_url(), "node_id": format!("node{i}"), "name": cluster_name});
            merge(&mut peer, &json!({"cluster": cluster, "auth": {"rotur_validate_url": server.rotur.url()}}));
            let shared = Some(server.storage_url.clone());
            let node = Box::pin(Self::start_on(
                server.backend.clone(),
                transport,
                shared,
                peer,
                files,
                server.rust_log.clone(),
            ));
            server.peers.push(node.await);
        }
        server.note_spread();
        server
    }

    /// Records the nodes' addresses for settling, when the server is spread over nodes.
    fn note_spread(&mut self) {
        if self.peers.is_empty() {
            return;
        }
        let nodes = std::iter::once(&*self).chain(&self.peers).map(|n| (n.node_id(), n.addr.clone())).collect();
        self.spread = Some(std::sync::Arc::new(Spread::new(nodes)));
    }

    /// `cluster.node_id` in this server's config (empty when it has none).
    fn node_id(&self) -> String {
        self.config()["cluster"]["node_id"].as_str().unwrap_or_default().to_owned()
    }

    fn config(&self) -> Value {
        let path = self.dir.path().join("config.json");
        serde_json::from_slice(&std::fs::read(path).expect("config.json")).expect("config.json is JSON")
    }

    /// Gives every node of a spread server a fresh cluster name, as if the cluster were new
    /// (a restarted single server forgets its connections too).
    fn renew_cluster(&mut self) {
        let name = crate::cluster::fresh_cluster_name();
        for node in std::iter::once(&*self).chain(&self.peers) {
            let mut config = node.config();
            config["cluster"]["name"] = json!(name);
            std::fs::write(node.dir.path().join("config.json"), serde_json::to_vec_pretty(&config).unwrap()).unwrap();
        }
    }

    /// `host:port` of each node: this server's, then, when spread, the other nodes'.
    pub fn node_addrs(&self) -> Vec<String> {
        std::iter::once(self).chain(&self.peers).map(|n| n.addr.clone()).collect()
    }

    /// The node the next client connects to: the nodes in turn when spread.
    fn next_node(&self) -> &TestServer {
        let turn = self.turn.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % (1 + self.peers.len());
        if turn == 0 { self } else { &self.peers[turn - 1] }
    }

    /// Starts a server with `overrides` that may hold at most `descriptors` open files.
    pub async fn start_with_descriptor_limit(backend: Backend, overrides: Value, descriptors: u32) -> Self {
        let mut server = Self::start_with(backend, overrides).await;
        server.kill();
        server.descriptor_limit = Some(descriptors);
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let log = std::fs::File::create(self.log_path()).unwrap();
        let mut command = match self.descriptor_limit {
            // The shell lowers its limit, then becomes the server.
            Some(n) => {
                let mut c = Command::new("sh");
                c.arg("-c").arg(format!("ulimit -n {n} && exec \"$0\" \"$@\"")).arg(server_binary());
                c
            }
            None => Command::new(server_binary()),
        };
        let rust_log =
            self.rust_log.clone().unwrap_or_else(|| std::env::var("TEST_SERVER_LOG").unwrap_or_else(|_| "info".into()));
        let spawned = Instant::now();
        let mut child = command
            .arg("--config")
            .arg(self.dir.path().join("config.json"))
            .current_dir(self.dir.path())
            .env_remove("ORIGINCHATS_DATABASE_URL")
            .env("RUST_LOG", rust_log)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .stdin(Stdio::null())
            .spawn()
            .expect("start server");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // The WebTransport line comes first.
            let mut wt_addr = None;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("originchats webtransport on https://") {
                    wt_addr = Some(addr.to_owned());
                }
                if let Some(listening) = parse_listening_line(&line) {
                    let _ = tx.send((listening, wt_addr.take(), Instant::now()));
                }
            }
        });
        self.child = Some(child);
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(((scheme, addr), wt_addr, at)) => {
                (self.scheme, self.addr, self.wt_addr) = (scheme, addr, wt_addr);
                self.startup = at.duration_since(spawned);
            }
            Err(_) => panic!("server did not start; its log:\n{}", self.log()),
        }
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// The server's log so far (when spread, every node's, one after the other).
    pub fn log(&self) -> String {
        let mut log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        for peer in &self.peers {
            log.push_str(&peer.log());
        }
        log
    }

    /// The folder of the server.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The storage URL in its config.
    pub fn storage_url(&self) -> &str {
        &self.storage_url
    }

    /// `ws://host:port`, or `wss://host:port` when the server runs TLS.
    pub fn ws_url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("the server runs").id()
    }

    /// Time from spawning the process to reading its listening line, for the latest start
    /// (or restart).
    pub fn startup_time(&self) -> Duration {
        self.startup
    }

    /// Resident memory of the server process, in bytes.
    pub fn rss_bytes(&self) -> u64 {
        resident_bytes(&self.pid().to_string()).expect("resident memory of the server")
    }

    /// CPU time the server process used so far (user and system).
    pub fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).expect("stat");
        // Fields after the parenthesised command name; utime and stime are the 14th and
        // 15th fields of the line, in clock ticks (100 per second on Linux).
        let after = &stat[stat.rfind(')').expect("comm") + 2..];
        let fields: Vec<u64> = after.split_whitespace().map(|f| f.parse().unwrap_or(0)).collect();
        Duration::from_millis((fields[11] + fields[12]) * 10)
    }

    /// Open file descriptors of the server process.
    pub fn open_descriptors(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid())).map(|d| d.count()).unwrap_or(0)
    }

    /// Sends SIGTERM and waits (at most `within`) for the process to exit; returns its exit
    /// code (`None` when it did not exit in time or was killed by a signal).
    pub fn terminate(&mut self, within: Duration) -> Option<i32> {
        let mut child = self.child.take().expect("the server runs");
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status.code();
            }
            if started.elapsed() > within {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the process with SIGKILL (no clean shutdown); when spread, every node's.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        for peer in &mut self.peers {
            peer.kill();
        }
    }

    /// Kills the process and starts it again on the same folder and database.
    pub fn restart(&mut self) {
        self.kill();
        self.start_again();
    }

    /// Starts the process again after [`TestServer::kill`]; when spread, every node, as a
    /// new cluster on the same database.
    pub fn start_again(&mut self) {
        if !self.peers.is_empty() {
            self.renew_cluster();
        }
        self.spawn();
        for peer in &mut self.peers {
            peer.spawn();
        }
        self.note_spread();
    }

    /// Runs the binary's command line against this server's config (e.g. `["user", "list"]`),
    /// returning success, stdout and stderr.
    pub fn cli(&self, args: &[&str]) -> (bool, String, String) {
        run_to_end(self.dir.path(), args)
    }

    /// Whether the server process is running.
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// A connected client that has read the handshake (over TLS when the server runs it,
    /// trusting [`TestServer::tls_trust`]).
    pub async fn connect(&self) -> Client {
        match self.transport {
            Transport::WebSocket => self.connect_ws().await,
            Transport::WebTransport => self.connect_wt().await,
        }
    }

    /// A WebSocket client that has read the handshake, whatever [`TestServer::transport`]
    /// (connected to the nodes in turn when spread).
    pub async fn connect_ws(&self) -> Client {
        self.settle().await;
        let node = self.next_node();
        let client = match (&node.tls_trust, node.scheme.as_str()) {
            (Some(trust), "wss") => Client::connect_tls(&node.ws_url(), trust.clone()).await,
            _ => Client::connect(&node.ws_url()).await,
        };
        self.spread_client(client)
    }

    /// When spread, waits until every node applied what the others published
    /// ([`Spread::settle`]); before reading a node's state another way (HTTP, say).
    pub async fn settle(&self) {
        if let Some(cluster) = &self.spread {
            cluster.settle().await;
        }
    }

    /// `client`, settling the cluster before each send when the server is spread.
    fn spread_client(&self, mut client: Client) -> Client {
        if let Some(cluster) = &self.spread {
            client.spread_over(cluster.clone());
        }
        client
    }

    /// `https://host:port/` of the WebTransport port.
    pub fn wt_url(&self) -> String {
        format!("https://{}/", self.wt_addr.as_deref().expect("the server serves WebTransport"))
    }

    /// What a WebTransport client trusts: the TLS roots of [`TestServer::tls_trust`] when the
    /// server runs TLS from files, else the hashes `GET /webtransport` advertises.
    pub async fn wt_trust(&self) -> Trust {
        match (&self.tls_trust, self.scheme.as_str()) {
            (Some(trust), "wss") => Trust::Roots(trust.clone()),
            _ => {
                let info = self.webtransport_info().await;
                let hashes = info["certificate_hashes"].as_array().expect("certificate_hashes");
                Trust::Hashes(hashes.iter().map(|h| crate::wt::hash_of(h["value"].as_str().expect("value"))).collect())
            }
        }
    }

    /// The JSON of `GET /webtransport` (over TLS when the server runs it).
    pub async fn webtransport_info(&self) -> Value {
        let request = "GET /webtransport HTTP/1.1";
        let (status, _, body) = match (&self.tls_trust, self.scheme.as_str()) {
            (Some(trust), "wss") => crate::http::https(&self.addr, trust.clone(), request).await,
            _ => crate::http::http(&self.addr, request).await,
        };
        assert_eq!(status, 200, "GET /webtransport: {body}");
        serde_json::from_str(&body).expect("JSON")
    }

    /// A WebTransport client that has read the handshake, whatever [`TestServer::transport`]
    /// (connected to the nodes in turn when spread).
    pub async fn connect_wt(&self) -> Client {
        self.settle().await;
        let node = self.next_node();
        let client = Client::connect_wt(&node.wt_url(), node.wt_trust().await).await;
        self.spread_client(client)
    }

    /// A client logged in as `name` (Rotur id `USR:<name>`), past `ready` and past the
    /// login's own broadcasts: a ping round trip on the same connection guarantees the
    /// server finished the login (requests on one connection are handled in order), so
    /// every other client already has this login's `user_join`/`user_connect` queued.
    /// Packets that arrived before the `pong` are discarded.
    pub async fn login(&self, name: &str) -> Client {
        self.login_over(self.transport, name).await
    }

    /// [`TestServer::login`] over the given transport.
    pub async fn login_over(&self, transport: Transport, name: &str) -> Client {
        let mut c = match transport {
            Transport::WebSocket => self.connect_ws().await,
            Transport::WebTransport => self.connect_wt().await,
        };
        c.auth(&format!("good:USR:{name}:{name}")).await;
        c.sync().await;
        c
    }
}

impl Drop for TestServer {
    /// Stops the server; a test whose server panicked fails here, whatever it checked.
    fn drop(&mut self) {
        self.kill();
        self.peers.clear();
        let log = self.log();
        if let Some(at) = log.find("panicked at").filter(|_| !std::thread::panicking()) {
            let from = (0..=at.saturating_sub(200)).rev().find(|&i| log.is_char_boundary(i)).unwrap_or(0);
            let excerpt: String = log[from..].chars().take(1500).collect();
            panic!("the server panicked during this test:\n{excerpt}");
        }
        if let (Backend::Postgres(admin), true) = (&self.backend, self.owns_database) {
            crate::pg::drop_database(admin, &self.storage_url);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_up_lines() {
        let parsed = parse_listening_line("originchats listening on wss://127.0.0.1:5");
        assert_eq!(parsed, Some(("wss".into(), "127.0.0.1:5".into())));
        let parsed = parse_listening_line("originchats listening on ws://[::1]:80");
        assert_eq!(parsed, Some(("ws".into(), "[::1]:80".into())));
        assert_eq!(parse_listening_line("originchats listening on http://x:1"), None);
        assert_eq!(parse_listening_line("something else"), None);
    }
}
