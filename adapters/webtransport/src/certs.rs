//! Certificates that change while the server runs (docs/design/webtransport.md#certificates):
//! a [`CertSlot`] whose certificate can be replaced without touching open connections, and
//! self-signed certificates for WebTransport that rotate before they expire and whose
//! SHA-256 hashes are advertised for browsers' `serverCertificateHashes`.

use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use wtransport::Identity;
use wtransport::tls::Certificate;
use wtransport::tls::self_signed::time::OffsetDateTime;

/// The certificate a server presents now; replacing it affects only handshakes that start
/// afterwards.
#[derive(Debug)]
pub struct CertSlot(RwLock<Arc<CertifiedKey>>);

impl CertSlot {
    /// A slot presenting `key`.
    pub fn new(key: CertifiedKey) -> Arc<Self> {
        Arc::new(Self(RwLock::new(Arc::new(key))))
    }

    /// Presents `key` from now on.
    pub fn replace(&self, key: CertifiedKey) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(key);
    }

    /// What is presented now.
    pub fn current(&self) -> Arc<CertifiedKey> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl ResolvesServerCert for CertSlot {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

/// A certificate chain and its key as rustls presents them (ring provider).
pub fn certified_key(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<CertifiedKey, rustls::Error> {
    CertifiedKey::from_der(chain, key, &rustls::crypto::ring::default_provider())
}

/// The SHA-256 hash of a DER certificate (`None` when it is not one).
pub fn sha256(der: &[u8]) -> Option<[u8; 32]> {
    Certificate::from_der(der.to_vec()).ok().map(|c| *c.hash().as_ref())
}

/// The TLS configuration of the QUIC endpoint: TLS 1.3 only, ALPN `h3`, certificates from
/// `resolver`.
pub fn quic_tls(resolver: Arc<dyn ResolvesServerCert>) -> rustls::ServerConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap_or_else(|_| unreachable!("the ring provider supports TLS 1.3"))
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"h3".to_vec()];
    config
}

/// Self-signed certificates: each valid for [`SelfSigned::VALIDITY`] (browsers accept hashes
/// only for certificates valid less than 14 days), replaced every [`SelfSigned::ROTATE`].
/// The next certificate is made one rotation ahead and advertised beside the current one, so
/// a client that read the hashes just before a rotation still connects after it.
pub struct SelfSigned {
    names: Vec<String>,
    current: Identity,
    next: Identity,
    slot: Arc<CertSlot>,
    advertised: Arc<Advertised>,
}

/// The hashes clients may pin, current certificate first.
#[derive(Debug, Default)]
pub struct Advertised(RwLock<Vec<[u8; 32]>>);

impl Advertised {
    /// The hashes now.
    pub fn hashes(&self) -> Vec<[u8; 32]> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set(&self, hashes: Vec<[u8; 32]>) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = hashes;
    }
}

/// A certificate could not be made.
#[derive(Debug, thiserror::Error)]
#[error("cannot make a self-signed certificate: {0}")]
pub struct SelfSignedError(String);

impl SelfSigned {
    /// Total validity of each certificate, back-dated by [`SelfSigned::SKEW`].
    pub const VALIDITY: Duration = Duration::from_secs(13 * 24 * 3600);
    /// Allowance for clients whose clocks are behind.
    pub const SKEW: Duration = Duration::from_secs(3600);
    /// How long a certificate is presented before the next one replaces it. A certificate is
    /// made one rotation before it is presented and presented for one rotation, so it ends
    /// `VALIDITY - SKEW - 2 * ROTATE` (about 2 days) after it was last presented.
    pub const ROTATE: Duration = Duration::from_secs(5 * 24 * 3600);

    /// Makes the current and the next certificate for `names` (host names or addresses).
    pub fn new(names: Vec<String>) -> Result<Self, SelfSignedError> {
        let current = make(&names, SystemTime::now())?;
        let next = make(&names, SystemTime::now())?;
        let slot = CertSlot::new(key_of(&current)?);
        let this = Self { names, current, next, slot, advertised: Arc::default() };
        this.advertise();
        Ok(this)
    }

    /// The slot the endpoint presents from.
    pub fn slot(&self) -> Arc<CertSlot> {
        self.slot.clone()
    }

    /// What `GET /webtransport` shows.
    pub fn advertised(&self) -> Arc<Advertised> {
        self.advertised.clone()
    }

    fn advertise(&self) {
        let hashes = vec![hash_of(&self.current), hash_of(&self.next)];
        tracing::info!(
            current = %hex(&hashes[0]),
            next = %hex(&hashes[1]),
            "WebTransport self-signed certificate (SHA-256); GET /webtransport serves the hashes"
        );
        self.advertised.set(hashes);
    }

    /// Presents the next certificate and makes a new next one.
    pub fn rotate(&mut self) -> Result<(), SelfSignedError> {
        let fresh = make(&self.names, SystemTime::now())?;
        self.slot.replace(key_of(&self.next)?);
        self.current = std::mem::replace(&mut self.next, fresh);
        self.advertise();
        Ok(())
    }

    /// Rotates every [`SelfSigned::ROTATE`] until `stop` resolves.
    pub async fn run(mut self, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(Self::ROTATE) => {
                    if let Err(e) = self.rotate() {
                        tracing::error!(error = %e, "WebTransport certificate rotation failed; retrying in an hour");
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                    }
                }
            }
        }
    }
}

fn make(names: &[String], now: SystemTime) -> Result<Identity, SelfSignedError> {
    let from = OffsetDateTime::from(now - SelfSigned::SKEW);
    Identity::self_signed_builder()
        .subject_alt_names(names)
        .validity_period(from, from + SelfSigned::VALIDITY)
        .build()
        .map_err(|e| SelfSignedError(e.to_string()))
}

fn key_of(identity: &Identity) -> Result<CertifiedKey, SelfSignedError> {
    let chain =
        identity.certificate_chain().as_slice().iter().map(|c| CertificateDer::from(c.der().to_vec())).collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(identity.private_key().secret_der().to_vec()));
    certified_key(chain, key).map_err(|e| SelfSignedError(e.to_string()))
}

fn hash_of(identity: &Identity) -> [u8; 32] {
    identity.certificate_chain().as_slice().first().map(|c| *c.hash().as_ref()).unwrap_or_default()
}

/// Lower-case hex, as the log shows hashes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signed_certificates_are_short_lived_p256_and_rotate_ahead() {
        let mut certs = SelfSigned::new(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
        let first = certs.advertised().hashes();
        assert_eq!(first.len(), 2);
        assert_ne!(first[0], first[1]);
        assert_eq!(sha256(certs.slot().current().cert[0].as_ref()), Some(first[0]), "the presented one comes first");
        certs.rotate().unwrap();
        let second = certs.advertised().hashes();
        assert_eq!(second[0], first[1], "the advertised next one is presented after the rotation");
        assert_eq!(sha256(certs.slot().current().cert[0].as_ref()), Some(second[0]));
        assert!(SelfSigned::VALIDITY < Duration::from_secs(14 * 24 * 3600));
        assert!(SelfSigned::ROTATE * 2 + SelfSigned::SKEW < SelfSigned::VALIDITY, "never presented expired");
    }
}
