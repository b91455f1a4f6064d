//! `GET /metrics`: the Prometheus text exposition, answered only to the addresses the
//! operator allows (docs/design/observability.md#the-endpoint).

use std::net::IpAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Response, StatusCode, header};

use super::http::Body;
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
    pub(crate) fn answer(&self, client: IpAddr, head: bool) -> Response<Body> {
        let (status, content_type, body) = if self.allow_from.iter().any(|entry| cidr_contains(entry, client)) {
            (StatusCode::OK, "text/plain; version=0.0.4; charset=utf-8", Bytes::from((self.render)()))
        } else {
            (StatusCode::FORBIDDEN, "text/plain; charset=utf-8", Bytes::from_static(b"Metrics are not available here"))
        };
        let length = body.len();
        Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::CONTENT_LENGTH, length)
            .header(header::CACHE_CONTROL, "no-store")
            .body(Full::new(if head { Bytes::new() } else { body }))
            .unwrap_or_default()
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
        let ok = endpoint().answer("10.2.3.4".parse().unwrap(), false);
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(ok.headers()[header::CONTENT_LENGTH], "5");
        assert!(ok.headers().get("access-control-allow-origin").is_none());
        let refused = endpoint().answer("192.0.2.1".parse().unwrap(), false);
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let head = endpoint().answer("::ffff:127.0.0.1".parse().unwrap(), true);
        assert_eq!(head.status(), StatusCode::OK);
    }
}
