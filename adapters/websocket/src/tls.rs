//! In-process TLS for the WebSocket port (wss:// and https://): a rustls server
//! configuration on the ring provider, built from a PEM certificate chain and a PEM key, or
//! presenting whatever a certificate resolver holds now, so that certificates can be
//! replaced while connections stay open (docs/design/webtransport.md#certificates).

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Which of the two files a problem is in, and what it is.
#[derive(Debug, thiserror::Error)]
pub enum TlsFileError {
    /// The certificate chain file cannot be read or holds no usable certificate.
    #[error("{0}")]
    Certificate(String),
    /// The key file cannot be read, holds no usable key, or the key does not fit.
    #[error("{0}")]
    Key(String),
}

fn pem_problem(path: &Path, what: &str, e: rustls::pki_types::pem::Error) -> String {
    use rustls::pki_types::pem::Error;
    match e {
        Error::Io(io) => format!("cannot read {}: {io}", path.display()),
        Error::NoItemsFound => format!("{} holds no PEM {what}", path.display()),
        other => format!("{} is not a valid PEM {what} file: {other}", path.display()),
    }
}

/// Reads a PEM certificate chain (leaf first).
pub fn load_certificates(cert_path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsFileError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_path)
        .map_err(|e| TlsFileError::Certificate(pem_problem(cert_path, "certificate", e)))?
        .collect::<Result<_, _>>()
        .map_err(|e| TlsFileError::Certificate(pem_problem(cert_path, "certificate", e)))?;
    if certs.is_empty() {
        return Err(TlsFileError::Certificate(format!("{} holds no PEM certificate", cert_path.display())));
    }
    Ok(certs)
}

/// Reads the PEM private key (PKCS#8, PKCS#1 or SEC1).
pub fn load_key(key_path: &Path) -> Result<PrivateKeyDer<'static>, TlsFileError> {
    PrivateKeyDer::from_pem_file(key_path).map_err(|e| TlsFileError::Key(pem_problem(key_path, "private key", e)))
}

/// The server configuration (HTTP/1.1, ring provider) presenting what `resolver` holds at
/// each handshake.
pub fn server_config_with(resolver: Arc<dyn rustls::server::ResolvesServerCert>) -> Arc<ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap_or_else(|_| unreachable!("the ring provider supports the default versions"))
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// Reads the certificate chain and the PEM private key (PKCS#8, PKCS#1 or SEC1) and builds
/// the server configuration (HTTP/1.1, ring provider).
pub fn server_config(cert_path: &Path, key_path: &Path) -> Result<Arc<ServerConfig>, TlsFileError> {
    let certs = load_certificates(cert_path)?;
    let key = load_key(key_path)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsFileError::Certificate(format!("TLS set-up failed: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsFileError::Key(format!("{} does not fit the certificate: {e}", key_path.display())))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_and_empty_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not pem at all\n").unwrap();
        let e = server_config(&missing, &missing).unwrap_err();
        assert!(matches!(&e, TlsFileError::Certificate(m) if m.contains("cannot read")), "{e}");
        let e = server_config(&empty, &missing).unwrap_err();
        assert!(matches!(&e, TlsFileError::Certificate(m) if m.contains("holds no PEM certificate")), "{e}");
    }
}
