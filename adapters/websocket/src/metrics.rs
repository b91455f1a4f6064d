//! `GET /metrics`: the Prometheus text exposition, answered only to the addresses the
//! operator allows (docs/design/observability.md#the-endpoint).

use std::net::IpAddr;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::http::{ClientAddr, HttpState, method_not_allowed, text};
use super::limits::cidr_contains;

/// Renders the current metrics as Prometheus text.
pub type Render = Box<dyn Fn() -> String + Send + Sync>;

/// The metrics endpoint: who may read it and what it says.
pub struct MetricsEndpoint {
    allow_from: Vec<String>,
    render: Render,
}

impl std::fmt::Debug for MetricsEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsEndpoint").field("allow_from", &self.allow_from).finish_non_exhaustive()
    }
}

impl MetricsEndpoint {
    /// An endpoint readable from the addresses and CIDR blocks in `allow_from`.
    pub fn new(allow_from: Vec<String>, render: Render) -> Self {
        Self { allow_from, render }
    }

    /// The answer to a client at `client` (after trusted proxies). No CORS headers: a web
    /// page the operator happens to open must not read it from the browser.
    pub(crate) fn answer(&self, client: IpAddr) -> Response {
        let (status, content_type, body) = if self.allow_from.iter().any(|entry| cidr_contains(entry, client)) {
            (StatusCode::OK, "text/plain; version=0.0.4; charset=utf-8", (self.render)())
        } else {
            (StatusCode::FORBIDDEN, "text/plain; charset=utf-8", "Metrics are not available here".to_owned())
        };
        (status, [(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-store")], body).into_response()
    }
}

/// `/metrics` (routed only when enabled; `HEAD` answers like `GET` without a body).
pub(crate) async fn route(State(state): State<HttpState>, req: Request) -> Response {
    let (Some(endpoint), Some(ClientAddr(client))) = (&state.metrics, req.extensions().get::<ClientAddr>()) else {
        return text(StatusCode::NOT_FOUND, "Not found");
    };
    match *req.method() {
        Method::GET | Method::HEAD => endpoint.answer(*client),
        Method::OPTIONS => StatusCode::NO_CONTENT.into_response(),
        _ => method_not_allowed(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint() -> MetricsEndpoint {
        MetricsEndpoint::new(vec!["127.0.0.1".into(), "10.0.0.0/8".into()], Box::new(|| "up 1\n".into()))
    }

    #[test]
    fn only_allowed_addresses_read_it() {
        let ok = endpoint().answer("10.2.3.4".parse().unwrap());
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(ok.headers()[header::CACHE_CONTROL], "no-store");
        assert!(ok.headers().get("access-control-allow-origin").is_none());
        let refused = endpoint().answer("192.0.2.1".parse().unwrap());
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let mapped = endpoint().answer("::ffff:127.0.0.1".parse().unwrap());
        assert_eq!(mapped.status(), StatusCode::OK);
    }
}
