//! Wiring and running the server.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use application::App;
use application::app::Ports;
use application::connection::{Shutdown, ShutdownSignal};
use application::ports::{AuthValidator, IdSource, Notifier, PluginHost, Store};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use cache::CachedStore;
use codec::JsonEncoder;
use codec::JsonFrames;
use plugins::PluginSet;
use rotur::{MockAuth, RoturAuth};
use rustls::server::ResolvesServerCert;
use sql::{SqlStore, connect};
use system::{RandomIds, SystemClock};
use websocket::{Listener, serve};
use webtransport::WtSettings;
use webtransport::certs::{Advertised, CertSlot, SelfSigned};

use crate::config::{self, AuthMode, Config};

/// Finds or creates the config file: the given path, else ./config.json, written with
/// the complete defaults when it does not exist.
pub(crate) fn config_path(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(p) = given {
        return Ok(p);
    }
    let p = PathBuf::from("config.json");
    if !p.exists() {
        config::write(&p, &config::default_config()).context("writing the default config.json")?;
        eprintln!(
            "originchats: no config.json here; wrote one with the defaults ({})",
            std::fs::canonicalize(&p)?.display()
        );
    }
    Ok(p)
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(config: Option<PathBuf>) -> anyhow::Result<()> {
    let path = config_path(config)?;
    let cfg = config::load(&path)?;
    crate::observability::init_logging(&cfg.log_level, cfg.log_format);
    let _ = rustls::crypto::ring::default_provider().install_default();
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(serve_with(cfg, path))
}

async fn serve_with(cfg: Config, path: PathBuf) -> anyhow::Result<()> {
    tracing::info!(config = %path.display(), version = %cfg.service_version, "starting originchats");
    tracing::info!(effective = %cfg.effective, "effective configuration");
    for w in &cfg.warnings {
        tracing::warn!("{w}");
    }
    let metrics = match &cfg.metrics_allow_from {
        Some(allow_from) => Some(crate::observability::install_metrics(allow_from.clone())?),
        None => None,
    };
    let node = match &cfg.cluster {
        Some(c) => Some(crate::cluster::join(c).await?),
        None => None,
    };
    // Nodes of a cluster starting at once migrate and seed one after the other.
    let startup_lock = match (&cfg.cluster, &cfg.storage) {
        (Some(_), sql::StorageUrl::Postgres(url)) => Some(sql::AdvisoryLock::take(url, sql::STARTUP_LOCK).await?),
        _ => None,
    };
    let db = connect(&cfg.storage).await.with_context(|| format!("opening storage {}", cfg.storage.masked()))?;
    tracing::info!(storage = %cfg.storage.masked(), "storage ready");
    if let Some(from) = &cfg.import_from {
        crate::import::at_start(&SqlStore::new(db.clone()), from, &cfg.base_dir).await?;
    }
    let auth = auth_adapter(&cfg)?;
    let (action_tx, action_rx) = tokio::sync::mpsc::unbounded_channel();
    let plugins = PluginSet::start(cfg.plugins.clone(), action_tx);
    // After `storage.import_from`, which may have put the original's VAPID keys in place.
    if let Some(node) = &node {
        crate::push::agree_on_key(&cfg, node).await;
    }
    let notifier = crate::push::notifier(&cfg);
    let app = build_app(&cfg, db, auth, plugins.clone(), notifier, node.as_ref()).await?;
    if let Some(lock) = startup_lock {
        lock.release().await;
    }
    tokio::spawn(app.plugins.clone().run_actions(action_rx));
    tokio::spawn(app.push.clone().run());
    let (signal, shutdown) = ShutdownSignal::new();
    let admin_path = admin::socket_path(&cfg.base_dir);
    let admin_bound = match admin::bind(&admin_path).await {
        Ok(Some(listener)) => {
            tracing::info!(path = %admin_path.display(), "admin socket ready");
            tokio::spawn(admin::serve(listener, app.clone(), shutdown.clone()));
            true
        }
        Ok(None) => {
            tracing::warn!(path = %admin_path.display(), "another server answers on the admin socket; not binding it");
            false
        }
        Err(e) => {
            tracing::warn!(error = %e, path = %admin_path.display(), "admin socket unavailable");
            false
        }
    };
    let tcp = tokio::net::TcpListener::bind((cfg.host.as_str(), cfg.port))
        .await
        .with_context(|| format!("binding websocket.host/websocket.port {}:{}", cfg.host, cfg.port))?;
    let addr = tcp.local_addr()?;
    // One certificate slot for both transports, reloaded from the files as they change.
    let slot = match &cfg.tls {
        Some(files) => {
            let slot = CertSlot::new(crate::certificates::load(files)?);
            tokio::spawn(crate::certificates::watch(files.clone(), slot.clone(), shutdown.clone()));
            Some(slot)
        }
        None => {
            tokio::spawn(crate::certificates::ignore_hangups(shutdown.clone()));
            None
        }
    };
    let handler = Arc::new(JsonFrames { max_depth: cfg.transport.max_json_depth });
    let (webtransport, wt_serving) = match &cfg.webtransport {
        Some(wt) => {
            let (describe, serving) =
                start_webtransport(&cfg, wt.port, slot.clone(), &app, handler.clone(), &shutdown).await?;
            (Some(describe), Some(serving))
        }
        None => (None, None),
    };
    let scheme = if cfg.tls.is_some() { "wss" } else { "ws" };
    tracing::info!(%addr, tls = cfg.tls.is_some(), "listening");
    // Tests and scripts read this line to learn the address.
    println!("originchats listening on {scheme}://{addr}");
    app.plugins.emit(application::ports::PluginEvent::ServerStart);
    let tls = slot.map(|s| websocket::tls::server_config_with(s));
    let listener = Listener { tcp, limits: Arc::new(cfg.transport.clone()), tls, metrics, webtransport };
    let server = tokio::spawn(serve(listener, app, handler, shutdown));
    stop_requested().await;
    // Stop accepting, let every connection finish its command, flush and close (1001),
    // within the grace period.
    tracing::info!(grace = ?cfg.shutdown_grace, "shutting down");
    signal.begin();
    let _ = server.await;
    if !signal.wait_idle(cfg.shutdown_grace).await {
        tracing::warn!(open = signal.open_connections(), "connections still open at the end of the grace period");
    }
    // QUIC closes are packets of their own: give them a moment to leave.
    if let Some(serving) = wt_serving {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), serving).await;
    }
    plugins.stop();
    if let Some(node) = &node {
        node.leave().await;
    }
    if admin_bound {
        let _ = std::fs::remove_file(&admin_path);
    }
    tracing::info!("stopped");
    Ok(())
}

/// Binds the WebTransport port and serves it; returns what `GET /webtransport` answers
/// (docs/transports.md#discovery). Without certificate files, a self-signed certificate is
/// made and rotated (docs/design/webtransport.md#certificates).
async fn start_webtransport(
    cfg: &Config,
    port: u16,
    files: Option<Arc<CertSlot>>,
    app: &Arc<App>,
    handler: Arc<JsonFrames>,
    shutdown: &Shutdown,
) -> anyhow::Result<(websocket::http::WebTransportInfo, tokio::task::JoinHandle<()>)> {
    let (certs, advertised): (Arc<dyn ResolvesServerCert>, Option<Arc<Advertised>>) = match files {
        Some(slot) => (slot, None),
        None => {
            let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
            if !matches!(cfg.host.as_str(), "0.0.0.0" | "::" | "") && !names.contains(&cfg.host) {
                names.push(cfg.host.clone());
            }
            let certs = SelfSigned::new(names)?;
            let (slot, advertised) = (certs.slot(), certs.advertised());
            let mut stop = shutdown.clone();
            tokio::spawn(certs.run(async move { stop.requested().await }));
            (slot, Some(advertised))
        }
    };
    let bind = tokio::net::lookup_host((cfg.host.as_str(), port))
        .await
        .ok()
        .and_then(|mut a| a.next())
        .with_context(|| format!("resolving websocket.host {} for WebTransport", cfg.host))?;
    let settings = WtSettings {
        bind,
        connection: cfg.transport.connection.clone(),
        max_line_bytes: cfg.transport.max_frame_bytes,
        max_sessions: cfg.transport.max_connections,
        max_sessions_per_ip: cfg.transport.max_connections_per_ip,
        allowed_origins: cfg.transport.allowed_origins.clone(),
    };
    let listener = webtransport::Listener::bind(settings, certs)?;
    let port = listener.local_addr()?.port();
    let wt_addr = listener.local_addr()?;
    tracing::info!(addr = %wt_addr, "WebTransport listening (UDP)");
    // Printed before the WebSocket line, which tells that the server is ready.
    println!("originchats webtransport on https://{wt_addr}");
    let serving = tokio::spawn(webtransport::serve(listener, app.clone(), handler, shutdown.clone()));
    let describe = Arc::new(move |host: &str| {
        let hashes: Vec<_> = advertised
            .iter()
            .flat_map(|a| a.hashes())
            .map(|h| serde_json::json!({"algorithm": "sha-256", "value": BASE64.encode(h)}))
            .collect();
        serde_json::json!({"url": format!("https://{host}:{port}/"), "port": port, "certificate_hashes": hashes})
    });
    Ok((describe, serving))
}

/// The configured auth validator.
fn auth_adapter(cfg: &Config) -> anyhow::Result<Arc<dyn AuthValidator>> {
    Ok(match cfg.auth_mode {
        AuthMode::Rotur => Arc::new(RoturAuth::new(&cfg.rotur_validate_url, cfg.auth_timeout)?),
        AuthMode::Mock => {
            tracing::warn!(
                "!!! auth.mode is \"mock\": ANYONE can log in as ANY user with mock:<id>:<name>. Never use this in production. !!!"
            );
            Arc::new(MockAuth)
        }
    })
}

/// The application over a migrated connection: cached store with defaults seeded.
pub(crate) async fn build_app(
    cfg: &Config,
    db: sea_orm::DatabaseConnection,
    auth: Arc<dyn AuthValidator>,
    plugins: Arc<dyn PluginHost>,
    notifier: Arc<dyn Notifier>,
    node: Option<&crate::cluster::Joined>,
) -> anyhow::Result<Arc<App>> {
    let locks = sql::PgRecordLocks::of(&db).map(|l| Arc::new(l) as Arc<dyn application::ports::SharedLocks>);
    let cached = Arc::new(CachedStore::new(Arc::new(SqlStore::new(db))));
    let store: Arc<dyn Store> = cached.clone();
    let mut roles = domain::role::default_roles();
    for r in &mut roles {
        r.id = RandomIds.message_id();
    }
    if store.seed_defaults(&roles, &domain::channel::default_channels()).await? {
        tracing::info!("created the default roles and channels");
    }
    let ports = Ports {
        store,
        auth,
        clock: Arc::new(SystemClock),
        ids: Arc::new(RandomIds),
        encoder: Arc::new(JsonEncoder),
        plugins,
        notifier,
        images: Arc::new(media::EmojiFolder::new(cfg.transport.emoji_dir.clone())),
    };
    let app = match node {
        None => Arc::new(App::new(ports, cfg.app.clone())),
        Some(node) => {
            let app = Arc::new(App::with_cluster(ports, cfg.app.clone(), node.ports(cached, locks)));
            node.start(app.clone());
            app
        }
    };
    app.server.load().await?;
    Ok(app)
}

/// Ctrl-C or SIGTERM.
async fn stop_requested() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return ctrl_c.await.unwrap_or_default(),
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await.unwrap_or_default();
}
