//! Certificates while the server runs (docs/design/webtransport.md#certificates): the
//! configured PEM files are read again when they change, or on SIGHUP, and the new
//! certificate is presented by both transports from the next handshake on; open connections
//! keep theirs. A file that cannot be used leaves the current certificate in place.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use application::connection::Shutdown;
use rustls::sign::CertifiedKey;
use webtransport::certs::{CertSlot, certified_key, hex, sha256};

use crate::config::TlsFiles;

/// How often the files are looked at.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// Reads the certificate chain and the key and checks that they fit.
pub(crate) fn load(files: &TlsFiles) -> anyhow::Result<CertifiedKey> {
    let chain = websocket::tls::load_certificates(&files.cert)?;
    let key = websocket::tls::load_key(&files.key)?;
    certified_key(chain, key).map_err(|e| anyhow::anyhow!("{} does not fit the certificate: {e}", files.key.display()))
}

/// What tells that a file changed: its modification time, length and inode (after symbolic
/// links, so a renewal that swaps a link or renames a new file over the old one counts).
type Stamp = Option<(SystemTime, u64, u64)>;

fn stamp(path: &Path) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Some((meta.modified().ok()?, meta.len(), inode))
}

fn stamps(files: &TlsFiles) -> (Stamp, Stamp) {
    (stamp(&files.cert), stamp(&files.key))
}

/// Loads the files into `slot`, logging what happened.
fn reload(files: &TlsFiles, slot: &CertSlot, why: &str) {
    match load(files) {
        Ok(key) => {
            let hash = key.cert.first().and_then(|c| sha256(c.as_ref())).map(|h| hex(&h)).unwrap_or_default();
            slot.replace(key);
            tracing::info!(why, sha256 = %hash, cert = %files.cert.display(), "TLS certificate reloaded");
        }
        Err(e) => tracing::warn!(why, error = %e, "TLS certificate not reloaded; the current one stays"),
    }
}

/// Reloads the files into `slot` when they change or on SIGHUP, until the shutdown.
pub(crate) async fn watch(files: TlsFiles, slot: Arc<CertSlot>, mut shutdown: Shutdown) {
    let mut seen = stamps(&files);
    let mut hangups = Hangups::new();
    let mut tick = tokio::time::interval(CHECK_EVERY);
    loop {
        tokio::select! {
            _ = shutdown.requested() => return,
            _ = hangups.recv() => {
                seen = stamps(&files);
                reload(&files, &slot, "SIGHUP");
            }
            _ = tick.tick() => {
                let now = stamps(&files);
                // A half-written pair is tried again at its next change.
                if now != seen && now.0.is_some() && now.1.is_some() {
                    seen = now;
                    reload(&files, &slot, "files changed");
                }
            }
        }
    }
}

/// SIGHUP, where there is one.
struct Hangups(#[cfg(unix)] Option<tokio::signal::unix::Signal>);

impl Hangups {
    fn new() -> Self {
        #[cfg(unix)]
        {
            Self(tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok())
        }
        #[cfg(not(unix))]
        Self()
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        if let Some(s) = &mut self.0 {
            s.recv().await;
            return;
        }
        std::future::pending::<()>().await
    }
}

/// Without certificate files, SIGHUP has nothing to reload; it must not end the server.
pub(crate) async fn ignore_hangups(mut shutdown: Shutdown) {
    let mut hangups = Hangups::new();
    loop {
        tokio::select! {
            _ = shutdown.requested() => return,
            _ = hangups.recv() => tracing::info!("SIGHUP: no certificate files are configured; nothing to reload"),
        }
    }
}
