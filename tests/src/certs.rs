//! Self-signed certificates for the TLS and WebTransport tests.

use std::sync::Arc;

/// A certificate for 127.0.0.1 and localhost as PEM text, and a client configuration that
/// trusts exactly it.
pub struct SelfSigned {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// Its private key, PEM.
    pub key_pem: String,
    /// A client configuration whose only root is this certificate.
    pub trust: Arc<rustls::ClientConfig>,
}

impl SelfSigned {
    /// A fresh certificate and key.
    pub fn new() -> Self {
        let generated =
            rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(generated.cert.der().clone()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let trust = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Self { cert_pem: generated.cert.pem(), key_pem: generated.signing_key.serialize_pem(), trust: Arc::new(trust) }
    }
}

impl Default for SelfSigned {
    fn default() -> Self {
        Self::new()
    }
}
