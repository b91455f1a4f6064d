//! Plain HTTP on the WebSocket port (docs/design/http.md): an axum router with a short page
//! at `/`, `/health`, `/info`, the files of emoji and server assets ([`crate::files`]), `/metrics`
//! ([`crate::metrics`]), and a 404 for anything else.
//!
//! Every answer but `/metrics` carries the four CORS headers with the protocol's exact
//! texts. tower-http's `CorsLayer` sets `Access-Control-Allow-Origin` and answers
//! preflights; it writes lists without spaces and only on preflights, so the three list
//! headers are set on every answer by `SetResponseHeaderLayer`s, and its preflight `200`
//! becomes the protocol's `204`. Methods other than `GET`, `HEAD` and `OPTIONS` get `405`
//! with `Allow: GET, HEAD, OPTIONS`. A request may carry no body, and must be answered
//! within [`REQUEST_TIMEOUT`].

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use application::App;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use tower::ServiceBuilder;
use tower_http::cors::{Any, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

use super::limits::TransportLimits;
use super::metrics::MetricsEndpoint;

/// How long a request may take to be answered (not counting sending a file's body).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

const PAGE: &str = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>OriginChats server</title></head>\n<body><h1>OriginChats server</h1><p>This is an OriginChats server. Connect with an OriginChats client over WebSocket at this address.</p></body></html>\n";

/// The methods every answer advertises.
pub const ALLOWED_METHODS: &str = "GET, HEAD, OPTIONS";

/// The CORS list headers, with the protocol's texts.
const CORS_LISTS: [(header::HeaderName, &str); 3] = [
    (header::ACCESS_CONTROL_ALLOW_METHODS, ALLOWED_METHODS),
    (header::ACCESS_CONTROL_ALLOW_HEADERS, "Content-Type, Authorization, Range"),
    (header::ACCESS_CONTROL_EXPOSE_HEADERS, "Content-Length, Content-Type, Cache-Control"),
];

/// The client's address (after trusted proxies), set on every request by the server.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

/// What the routes read.
#[derive(Clone)]
pub struct HttpState {
    /// The application (connection count, emoji records).
    pub app: Arc<App>,
    /// Transport settings (asset files, emoji folder).
    pub limits: Arc<TransportLimits>,
    /// `/metrics`, when enabled.
    pub metrics: Option<Arc<MetricsEndpoint>>,
    /// `GET /webtransport`, when WebTransport is served.
    pub webtransport: Option<WebTransportInfo>,
}

/// What `GET /webtransport` answers (docs/transports.md#discovery): the JSON body for a
/// request sent to the given host name (without its port).
pub type WebTransportInfo = Arc<dyn Fn(&str) -> serde_json::Value + Send + Sync>;

/// A `text/plain` answer.
pub fn text(status: StatusCode, body: &'static str) -> Response {
    (status, body).into_response()
}

/// `405 Method not allowed` with `Allow`.
pub fn method_not_allowed() -> Response {
    (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, ALLOWED_METHODS)], "Method not allowed").into_response()
}

/// Refuses every method but `GET` and `HEAD` (`OPTIONS` never gets here).
async fn only_get_and_head(req: Request, next: Next) -> Response {
    match *req.method() {
        Method::GET | Method::HEAD => next.run(req).await,
        _ => method_not_allowed(),
    }
}

/// Turns the CORS layer's preflight answer into `204 No Content`.
async fn preflight_without_content(req: Request, next: Next) -> Response {
    let preflight = req.method() == Method::OPTIONS;
    let mut response = next.run(req).await;
    if preflight {
        *response.status_mut() = StatusCode::NO_CONTENT;
    }
    response
}

async fn index() -> Response {
    let headers = [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")];
    (headers, PAGE).into_response()
}

/// `GET /info` (docs/design/server-info.md): the server's name, icon, banner and owner, and
/// counters; an unset icon or banner is `""`.
async fn info(State(state): State<HttpState>) -> Response {
    let Ok(stats) = state.app.server.stats().await else {
        return text(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error");
    };
    let p = state.app.server.current();
    let configured: serde_json::Value = serde_json::from_str(&state.app.settings.server_info.0).unwrap_or_default();
    let owner = configured.get("owner").cloned().unwrap_or_else(|| serde_json::json!({}));
    let body = serde_json::json!({
        "server": {
            "name": p.name.unwrap_or_default(),
            "icon": p.icon.unwrap_or_default(),
            "banner": p.banner.unwrap_or_default(),
            "owner": owner,
        },
        "stats": {
            "total_users": stats.total_users,
            "connected_users": stats.connected_users,
            "online_users": stats.online_users,
            "total_channels": stats.total_channels,
            "total_roles": stats.total_roles,
        },
    });
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")], body.to_string())
        .into_response()
}

async fn health(State(state): State<HttpState>) -> Response {
    let body = serde_json::json!({"status": "ok", "connections": state.app.hub.connection_count()}).to_string();
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The host name a request was sent to, without its port (`[::1]` keeps its brackets).
fn host_name(req: &Request) -> String {
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let name = match host.rfind(']') {
        Some(end) => &host[..=end],
        None => host.split(':').next().unwrap_or_default(),
    };
    if name.is_empty() { "localhost".to_owned() } else { name.to_owned() }
}

async fn webtransport(State(state): State<HttpState>, req: Request) -> Response {
    let Some(describe) = &state.webtransport else { return not_found().await };
    let body = describe(&host_name(&req)).to_string();
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")], body).into_response()
}

async fn not_found() -> Response {
    text(StatusCode::NOT_FOUND, "Not found")
}

/// The router of every plain HTTP request.
pub fn router(state: HttpState) -> Router {
    let [methods, headers, exposed] =
        CORS_LISTS.map(|(name, value)| SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value)));
    let layers = ServiceBuilder::new()
        .layer(methods)
        .layer(headers)
        .layer(exposed)
        .layer(middleware::from_fn(preflight_without_content))
        .layer(CorsLayer::new().allow_origin(Any).vary([]))
        .layer(middleware::from_fn(only_get_and_head))
        .layer(RequestBodyLimitLayer::new(0))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT));
    let mut router = Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/health", get(health))
        .route("/info", get(info))
        .route("/webtransport", get(webtransport))
        .route("/emojis/", get(super::files::emoji))
        .route("/emojis/{*file}", get(super::files::emoji))
        .route("/server-assets/", get(super::files::asset))
        .route("/server-assets/{*name}", get(super::files::asset))
        .fallback(not_found)
        .layer(layers);
    // Added after the layers: no CORS headers on metrics.
    if state.metrics.is_some() {
        router = router.route("/metrics", any(super::metrics::route));
    }
    router.with_state(state)
}
