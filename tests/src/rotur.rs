//! A mock Rotur validation endpoint on loopback.
//!
//! Validators: `good:<id>:<username>` → valid; `invalid` → `{"valid": false}`;
//! `status:<code>` → that status with `{}`; `notjson` → 200 with HTML; `slow` → waits 30 s;
//! `wait:<ms>:<id>:<username>` → valid after that many milliseconds; `noid:<username>` →
//! `{"valid": true, "username": …}` without an `id` (an answer the server must refuse).
//! Every request's query is recorded, and the most requests in flight at once is kept.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

/// The query parameters of one request.
pub type Query = Vec<(String, String)>;

/// A running mock.
pub struct MockRotur {
    addr: SocketAddr,
    calls: Arc<Mutex<Vec<Query>>>,
    in_flight: Arc<Mutex<(usize, usize)>>,
    task: tokio::task::JoinHandle<()>,
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 3 <= bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query(req: &Request<hyper::body::Incoming>) -> Vec<(String, String)> {
    req.uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

async fn answer(q: &[(String, String)]) -> Response<Full<Bytes>> {
    let v = q.iter().find(|(k, _)| k == "v").map(|(_, v)| v.as_str()).unwrap_or("");
    let json = |status: u16, body: String| {
        Response::builder()
            .status(StatusCode::from_u16(status).unwrap())
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .unwrap()
    };
    if let Some(rest) = v.strip_prefix("good:") {
        let (id, name) = rest.rsplit_once(':').unwrap_or((rest, rest));
        return json(200, serde_json::json!({"valid": true, "id": id, "username": name}).to_string());
    }
    if let Some(rest) = v.strip_prefix("wait:") {
        let (ms, who) = rest.split_once(':').unwrap_or((rest, "USR:late:late"));
        tokio::time::sleep(Duration::from_millis(ms.parse().unwrap_or(0))).await;
        let (id, name) = who.rsplit_once(':').unwrap_or((who, who));
        return json(200, serde_json::json!({"valid": true, "id": id, "username": name}).to_string());
    }
    if let Some(name) = v.strip_prefix("noid:") {
        return json(200, serde_json::json!({"valid": true, "username": name}).to_string());
    }
    if let Some(code) = v.strip_prefix("status:") {
        return json(code.parse().unwrap_or(500), "{}".into());
    }
    match v {
        "notjson" => json(200, "<html>oops</html>".into()),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            json(200, "{}".into())
        }
        _ => json(200, r#"{"valid": false}"#.into()),
    }
}

impl MockRotur {
    /// Starts the mock on 127.0.0.1 and an ephemeral port.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let calls: Arc<Mutex<Vec<Query>>> = Arc::default();
        let in_flight: Arc<Mutex<(usize, usize)>> = Arc::default();
        let (recorded, flight) = (calls.clone(), in_flight.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let (recorded, flight) = (recorded.clone(), flight.clone());
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let (recorded, flight) = (recorded.clone(), flight.clone());
                        async move {
                            let q = query(&req);
                            recorded.lock().unwrap().push(q.clone());
                            {
                                let mut f = flight.lock().unwrap();
                                f.0 += 1;
                                f.1 = f.1.max(f.0);
                            }
                            let answer = answer(&q).await;
                            flight.lock().unwrap().0 -= 1;
                            Ok::<_, Infallible>(answer)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, calls, in_flight, task }
    }

    /// The validate URL to put in `auth.rotur_validate_url`.
    pub fn url(&self) -> String {
        format!("http://{}/validate", self.addr)
    }

    /// Query parameters of every request so far.
    pub fn calls(&self) -> Vec<Query> {
        self.calls.lock().unwrap().clone()
    }

    /// The most requests that were in flight at once.
    pub fn most_in_flight(&self) -> usize {
        self.in_flight.lock().unwrap().1
    }
}

impl Drop for MockRotur {
    fn drop(&mut self) {
        self.task.abort();
    }
}
