//! The VAPID key pair (RFC 8292) in the original server's layout, so that a server imported
//! from the original keeps its key and the browsers subscribed to it keep receiving pushes
//! (docs/design/push.md#keys):
//!
//! - `<dir>/private_key.pem`: the P-256 private key as PEM, PKCS#8 (`PRIVATE KEY`, what the
//!   original's py_vapid writes) or SEC1 (`EC PRIVATE KEY`); written as PKCS#8, mode 0600;
//! - `<dir>/vapid_config.json`: `{"public_key_b64": <the public key>, "claims_email":
//!   <the VAPID subject>}`, the public key being the uncompressed point, base64url without
//!   padding.
//!
//! A missing private key is generated (first start). An existing one is never replaced: if
//! it cannot be read, push stays off until an operator fixes it. The public key is always
//! derived from the private key; `vapid_config.json` is rewritten when it lacks it or
//! names another one (its other keys are kept).

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::SecretKey;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use serde_json::{Map, Value, json};

/// File name of the private key.
pub const PRIVATE_KEY_FILE: &str = "private_key.pem";
/// File name of the public key and subject.
pub const CONFIG_FILE: &str = "vapid_config.json";
/// The subject the original writes into a new `vapid_config.json` (an operator is meant
/// to complete it).
pub const UNSET_SUBJECT: &str = "mailto:";

/// A VAPID key pair.
#[derive(Clone)]
pub struct VapidKey {
    signing: SigningKey,
    public_b64: String,
}

impl std::fmt::Debug for VapidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKey").field("public", &self.public_b64).finish_non_exhaustive()
    }
}

impl VapidKey {
    fn from_secret(secret: &SecretKey) -> Self {
        let point = secret.public_key().to_encoded_point(false);
        Self { signing: SigningKey::from(secret), public_b64: URL_SAFE_NO_PAD.encode(point.as_bytes()) }
    }

    /// A fresh random key pair.
    pub fn generate() -> Self {
        use rand::RngCore;
        loop {
            let mut bytes = [0u8; 32];
            rand::rng().fill_bytes(&mut bytes);
            // Fails only for zero or a value at or above the group order (about 2^-32).
            if let Ok(secret) = SecretKey::from_slice(&bytes) {
                return Self::from_secret(&secret);
            }
        }
    }

    /// The public key: the uncompressed point (65 bytes, 0x04 first), base64url without
    /// padding, as `push_vapid` sends it and the `k` parameter carries it.
    pub fn public_b64(&self) -> &str {
        &self.public_b64
    }

    /// The `Authorization` header of a push (RFC 8292, section 3): `vapid t=<JWT>, k=<public key>`,
    /// the JWT signed with ES256 and claiming `aud` (the push service's origin), `exp`
    /// (Unix seconds) and `sub`.
    pub fn authorization(&self, audience: &str, subject: &str, expires: u64) -> String {
        let header = URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = URL_SAFE_NO_PAD.encode(json!({"aud": audience, "exp": expires, "sub": subject}).to_string());
        let signed = format!("{header}.{claims}");
        let signature: Signature = self.signing.sign(signed.as_bytes());
        let token = format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()));
        format!("vapid t={token}, k={}", self.public_b64)
    }

    /// The private key as PKCS#8 PEM.
    fn to_pem(&self) -> Result<String, String> {
        let secret = SecretKey::from(self.signing.as_nonzero_scalar());
        secret.to_pkcs8_pem(LineEnding::LF).map(|pem| pem.to_string()).map_err(|e| e.to_string())
    }

    /// Reads a private key: PEM (PKCS#8 or SEC1), or base64url DER or raw 32 bytes, the
    /// other forms py_vapid reads.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let secret = if text.contains("-----BEGIN") {
            SecretKey::from_pkcs8_pem(text)
                .or_else(|_| SecretKey::from_sec1_pem(text))
                .map_err(|_| "not a P-256 private key in PEM (PKCS#8 or SEC1)".to_owned())?
        } else {
            let bytes = URL_SAFE_NO_PAD
                .decode(text.trim_end_matches('='))
                .map_err(|_| "neither PEM nor base64url".to_owned())?;
            SecretKey::from_pkcs8_der(&bytes)
                .or_else(|_| SecretKey::from_sec1_der(&bytes))
                .or_else(|_| SecretKey::from_slice(&bytes))
                .map_err(|_| "not a P-256 private key".to_owned())?
        };
        Ok(Self::from_secret(&secret))
    }
}

/// What the key folder held, or now holds.
#[derive(Debug)]
pub struct VapidFiles {
    /// The key pair.
    pub key: VapidKey,
    /// `claims_email` of `vapid_config.json`, when it names one.
    pub claims_email: Option<String>,
    /// Whether the key was generated now.
    pub generated: bool,
    /// Things an operator should hear about (a rewritten `vapid_config.json`).
    pub notes: Vec<String>,
}

/// Why the key folder cannot be used; push stays off.
#[derive(Debug, thiserror::Error)]
pub enum VapidError {
    /// A file or the folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The private key file holds no usable key (it is left as it is).
    #[error("{path}: {reason}; the file is left as it is and push notifications are off")]
    BadKey {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> VapidError + '_ {
    move |source| VapidError::Io { path: path.to_path_buf(), source }
}

/// Writes `bytes` to `path` through a temporary file and a rename; `private` files are
/// readable by their owner only.
fn write_atomically(path: &Path, bytes: &[u8], private: bool) -> Result<(), VapidError> {
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(&tmp).map_err(io(&tmp))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// Puts `pem` in `dir` as the private key and `claims_email` into `vapid_config.json` (its
/// public key follows at the next [`load_or_generate`]). A different key that was there is
/// kept beside it as `private_key.pem.replaced-<start of its public key>`, whose path is
/// returned, so that adopting never loses a key. A `pem` that holds no usable key changes
/// nothing.
pub fn adopt_key(dir: &Path, pem: &str, claims_email: Option<&str>) -> Result<Option<PathBuf>, VapidError> {
    let key_path = dir.join(PRIVATE_KEY_FILE);
    let new = VapidKey::parse(pem).map_err(|reason| VapidError::BadKey { path: key_path.clone(), reason })?;
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let old = match std::fs::read_to_string(&key_path) {
        Ok(text) => VapidKey::parse(&text).ok(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(&key_path)(e)),
    };
    let mut kept = None;
    if old.as_ref().is_none_or(|old| old.public_b64() != new.public_b64()) {
        if let Some(old) = &old {
            let prefix: String = old.public_b64().chars().take(12).collect();
            let path = dir.join(format!("{PRIVATE_KEY_FILE}.replaced-{prefix}"));
            std::fs::copy(&key_path, &path).map_err(io(&path))?;
            kept = Some(path);
        }
        write_atomically(&key_path, pem.as_bytes(), true)?;
    }
    let config_path = dir.join(CONFIG_FILE);
    let mut config = std::fs::read(&config_path)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    config.insert("claims_email".into(), json!(claims_email.unwrap_or(UNSET_SUBJECT)));
    write_atomically(&config_path, &pretty(&Value::Object(config)), false)?;
    Ok(kept)
}

/// JSON with a 4-space indent, like the original's files.
fn pretty(value: &Value) -> Vec<u8> {
    use serde::Serialize;
    let mut out = Vec::new();
    let mut ser =
        serde_json::Serializer::with_formatter(&mut out, serde_json::ser::PrettyFormatter::with_indent(b"    "));
    // Serialising a `Value` into memory cannot fail.
    let _ = value.serialize(&mut ser);
    out.push(b'\n');
    out
}

/// Loads the key pair from `dir`, generating it (and `dir`) when there is no private key.
pub fn load_or_generate(dir: &Path) -> Result<VapidFiles, VapidError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let key_path = dir.join(PRIVATE_KEY_FILE);
    let config_path = dir.join(CONFIG_FILE);
    let (key, generated) = match std::fs::read_to_string(&key_path) {
        Ok(text) => {
            let key = VapidKey::parse(&text).map_err(|reason| VapidError::BadKey { path: key_path.clone(), reason })?;
            (key, false)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = VapidKey::generate();
            let pem = key.to_pem().map_err(|reason| VapidError::BadKey { path: key_path.clone(), reason })?;
            write_atomically(&key_path, pem.as_bytes(), true)?;
            (key, true)
        }
        Err(e) => return Err(io(&key_path)(e)),
    };
    let mut config = match std::fs::read(&config_path) {
        Ok(bytes) => serde_json::from_slice::<Value>(&bytes).ok().and_then(|v| v.as_object().cloned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(&config_path)(e)),
    };
    let claims_email = config.as_ref().and_then(|c| c.get("claims_email")).and_then(Value::as_str).map(str::to_owned);
    let mut notes = vec![];
    let stored = config.as_ref().and_then(|c| c.get("public_key_b64")).and_then(Value::as_str);
    if stored != Some(key.public_b64()) {
        if stored.is_some_and(|s| !s.is_empty()) {
            notes.push(format!(
                "{}: public_key_b64 does not belong to {PRIVATE_KEY_FILE}; rewrote it with the key derived from the private key",
                config_path.display()
            ));
        }
        let map = config.get_or_insert_with(Map::new);
        map.insert("public_key_b64".into(), Value::String(key.public_b64().to_owned()));
        map.entry("claims_email").or_insert_with(|| Value::String(UNSET_SUBJECT.into()));
        write_atomically(&config_path, &pretty(&Value::Object(map.clone())), false)?;
    }
    Ok(VapidFiles { key, claims_email, generated, notes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adopting_a_key_keeps_a_different_one_and_never_loses_one() {
        let dir = tempfile::tempdir().unwrap();
        let vapid = dir.path().join("vapid");
        let own = load_or_generate(&vapid).unwrap().key;
        let theirs = VapidKey::generate();
        let pem = theirs.to_pem().unwrap();
        let kept = adopt_key(&vapid, &pem, Some("mailto:ops@example.com")).unwrap().expect("the own key is kept");
        assert_eq!(VapidKey::parse(&std::fs::read_to_string(&kept).unwrap()).unwrap().public_b64(), own.public_b64());
        let now = load_or_generate(&vapid).unwrap();
        assert_eq!(
            (now.key.public_b64(), now.claims_email.as_deref()),
            (theirs.public_b64(), Some("mailto:ops@example.com"))
        );
        // The same key again with another subject: only the subject changes, nothing is kept.
        assert_eq!(adopt_key(&vapid, &pem, None).unwrap(), None);
        let now = load_or_generate(&vapid).unwrap();
        assert_eq!((now.key.public_b64(), now.claims_email.as_deref()), (theirs.public_b64(), Some(UNSET_SUBJECT)));
        assert!(kept.exists(), "the kept key stays");
        assert!(adopt_key(&vapid, "not a key", None).is_err(), "an unusable key changes nothing");
        assert_eq!(load_or_generate(&vapid).unwrap().key.public_b64(), theirs.public_b64());
    }

    #[test]
    fn a_generated_key_is_kept_and_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let vapid = dir.path().join("vapid");
        let first = load_or_generate(&vapid).unwrap();
        assert!(first.generated);
        assert_eq!(first.key.public_b64().len(), 87, "65 bytes, base64url without padding");
        let config: Value = serde_json::from_slice(&std::fs::read(vapid.join(CONFIG_FILE)).unwrap()).unwrap();
        assert_eq!(config, json!({"public_key_b64": first.key.public_b64(), "claims_email": "mailto:"}));
        let pem = std::fs::read_to_string(vapid.join(PRIVATE_KEY_FILE)).unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{pem}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(vapid.join(PRIVATE_KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let second = load_or_generate(&vapid).unwrap();
        assert!(!second.generated);
        assert_eq!(second.key.public_b64(), first.key.public_b64());
        assert_eq!(second.claims_email.as_deref(), Some("mailto:"));
    }

    #[test]
    fn the_public_key_follows_the_private_key_and_other_keys_stay() {
        let dir = tempfile::tempdir().unwrap();
        let key = VapidKey::generate();
        std::fs::write(dir.path().join(PRIVATE_KEY_FILE), key.to_pem().unwrap()).unwrap();
        let wrong = json!({"public_key_b64": "BWRONG", "claims_email": "mailto:ops@example.com", "note": 1});
        std::fs::write(dir.path().join(CONFIG_FILE), wrong.to_string()).unwrap();
        let files = load_or_generate(dir.path()).unwrap();
        assert_eq!(files.key.public_b64(), key.public_b64());
        assert_eq!(files.claims_email.as_deref(), Some("mailto:ops@example.com"));
        assert_eq!(files.notes.len(), 1, "{:?}", files.notes);
        let config: Value = serde_json::from_slice(&std::fs::read(dir.path().join(CONFIG_FILE)).unwrap()).unwrap();
        assert_eq!(
            config,
            json!({"public_key_b64": key.public_b64(), "claims_email": "mailto:ops@example.com", "note": 1})
        );
    }

    #[test]
    fn an_unreadable_key_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let junk = "-----BEGIN PRIVATE KEY-----\nX\n-----END PRIVATE KEY-----\n";
        std::fs::write(dir.path().join(PRIVATE_KEY_FILE), junk).unwrap();
        assert!(matches!(load_or_generate(dir.path()), Err(VapidError::BadKey { .. })));
        assert_eq!(std::fs::read_to_string(dir.path().join(PRIVATE_KEY_FILE)).unwrap(), junk);
    }

    #[test]
    fn sec1_pem_and_raw_keys_are_read() {
        let key = VapidKey::generate();
        let secret = SecretKey::from(key.signing.as_nonzero_scalar());
        let sec1 = secret.to_sec1_pem(LineEnding::LF).unwrap();
        assert_eq!(VapidKey::parse(&sec1).unwrap().public_b64(), key.public_b64());
        let raw = URL_SAFE_NO_PAD.encode(secret.to_bytes());
        assert_eq!(VapidKey::parse(&raw).unwrap().public_b64(), key.public_b64());
    }

    #[test]
    fn the_authorization_carries_a_verifiable_es256_jwt() {
        use p256::ecdsa::VerifyingKey;
        use p256::ecdsa::signature::Verifier;
        let key = VapidKey::generate();
        let header = key.authorization("https://push.example:8443", "mailto:ops@example.com", 1_900_000_000);
        let (t, k) = header.strip_prefix("vapid t=").unwrap().split_once(", k=").unwrap();
        assert_eq!(k, key.public_b64());
        let parts: Vec<&str> = t.split('.').collect();
        let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(
            claims,
            json!({"aud": "https://push.example:8443", "exp": 1_900_000_000u64, "sub": "mailto:ops@example.com"})
        );
        let verifying = VerifyingKey::from_sec1_bytes(&URL_SAFE_NO_PAD.decode(k).unwrap()).unwrap();
        let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
        verifying.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature).unwrap();
    }
}
