//! Web Push from the other side: a fake push service on loopback that records every
//! request, a browser that holds a subscription's keys and decrypts what arrives, and
//! the check of a VAPID `Authorization` header.
//!
//! The push service answers by the last segment of the path: `gone` → 410, `missing` →
//! 404, `refuse` → 403, `flaky` → 503 the first time and 201 after, `down` → 503 always,
//! anything else → 201.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::client::TIMEOUT;

/// One request the push service received.
#[derive(Debug, Clone)]
pub struct PushRequest {
    /// `POST`, say.
    pub method: String,
    /// The path, e.g. `/alice/gone`.
    pub path: String,
    /// Headers, names lowercased.
    pub headers: HashMap<String, String>,
    /// The body as sent.
    pub body: Vec<u8>,
}

impl PushRequest {
    /// A header's value; panics when it is missing.
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).unwrap_or_else(|| panic!("no {name} header in {self:?}"))
    }
}

/// A push service on 127.0.0.1.
pub struct FakePushService {
    addr: SocketAddr,
    received: mpsc::UnboundedReceiver<PushRequest>,
    task: tokio::task::JoinHandle<()>,
}

fn status_for(path: &str, seen: &Mutex<HashMap<String, usize>>) -> StatusCode {
    let times = {
        let mut seen = seen.lock().unwrap();
        let n = seen.entry(path.to_owned()).or_insert(0);
        *n += 1;
        *n
    };
    match path.rsplit('/').next().unwrap_or_default() {
        "gone" => StatusCode::GONE,
        "missing" => StatusCode::NOT_FOUND,
        "refuse" => StatusCode::FORBIDDEN,
        "flaky" if times == 1 => StatusCode::SERVICE_UNAVAILABLE,
        "down" => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::CREATED,
    }
}

async fn record(req: Request<hyper::body::Incoming>) -> PushRequest {
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_ascii_lowercase(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    let body = req.into_body().collect().await.map(|b| b.to_bytes().to_vec()).unwrap_or_default();
    PushRequest { method, path, headers, body }
}

impl FakePushService {
    /// Starts the service on an ephemeral port.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, received) = mpsc::unbounded_channel();
        let seen: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let (tx, seen) = (tx.clone(), seen.clone());
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let (tx, seen) = (tx.clone(), seen.clone());
                        async move {
                            let request = record(req).await;
                            let status = status_for(&request.path, &seen);
                            let _ = tx.send(request);
                            let response = Response::builder().status(status).body(Full::new(Bytes::new())).unwrap();
                            Ok::<_, Infallible>(response)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, received, task }
    }

    /// The endpoint URL for `path` (starting with `/`).
    pub fn endpoint(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The origin of every endpoint: what the VAPID `aud` must say.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next request; panics after the test timeout.
    pub async fn next(&mut self) -> PushRequest {
        tokio::time::timeout(TIMEOUT, self.received.recv())
            .await
            .expect("timed out waiting for a push")
            .expect("push service stopped")
    }

    /// Requests received so far and not yet taken.
    pub fn pending(&mut self) -> Vec<PushRequest> {
        std::iter::from_fn(|| self.received.try_recv().ok()).collect()
    }
}

impl Drop for FakePushService {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A browser's push subscription keys.
pub struct Browser {
    secret: p256::SecretKey,
    auth: [u8; 16],
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    /// Fresh random keys.
    pub fn new() -> Self {
        let mut seed = [0u8; 32];
        seed[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        seed[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        let secret = p256::SecretKey::from_slice(&seed).expect("a valid scalar");
        Self { secret, auth: *uuid::Uuid::new_v4().as_bytes() }
    }

    /// `keys.p256dh`: the public key, uncompressed, base64url.
    pub fn p256dh(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.secret.public_key().to_encoded_point(false).as_bytes())
    }

    /// `keys.auth`, base64url.
    pub fn auth(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.auth)
    }

    /// `PushSubscription.toJSON()` for `endpoint`, as the web client sends it.
    pub fn subscription(&self, endpoint: &str) -> Value {
        json!({"endpoint": endpoint, "expirationTime": null, "keys": {"p256dh": self.p256dh(), "auth": self.auth()}})
    }

    /// Decrypts an `aes128gcm` push body meant for these keys and parses its JSON.
    pub fn decrypt(&self, body: &[u8]) -> Value {
        let plain = web_push_native::decrypt(body.to_vec(), &self.secret, &web_push_native::Auth::from(self.auth))
            .expect("the push decrypts with the subscription's keys");
        serde_json::from_slice(&plain).expect("the payload is JSON")
    }
}

/// Checks a `vapid t=<JWT>, k=<key>` header: `k` is `public_key`, the JWT header says
/// ES256, and its signature verifies against `public_key`. Returns the claims.
pub fn verify_vapid(authorization: &str, public_key: &str) -> Value {
    let rest = authorization.strip_prefix("vapid t=").unwrap_or_else(|| panic!("not a vapid header: {authorization}"));
    let (token, k) = rest.split_once(", k=").expect("t and k");
    assert_eq!(k, public_key, "k is the server's VAPID public key");
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT has three parts: {token}");
    let decode = |s: &str| URL_SAFE_NO_PAD.decode(s).expect("base64url");
    let header: Value = serde_json::from_slice(&decode(parts[0])).unwrap();
    assert_eq!(header, json!({"typ": "JWT", "alg": "ES256"}));
    let key = VerifyingKey::from_sec1_bytes(&decode(k)).expect("a P-256 public key");
    let signature = Signature::from_slice(&decode(parts[2])).expect("r || s");
    key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature).expect("the JWT signature verifies");
    serde_json::from_slice(&decode(parts[1])).unwrap()
}
