//! Plain HTTP on the WebSocket port: a short page at `/`, `/health`, the server assets,
//! `/emojis/<file>` (404 until custom emoji are served), CORS, 404 and 405.

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request, Response, StatusCode, header};

/// Response body type.
pub type Body = Full<Bytes>;

const PAGE: &str = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>OriginChats server</title></head>\n<body><h1>OriginChats server</h1><p>This is an OriginChats server. Connect with an OriginChats client over WebSocket at this address.</p></body></html>\n";

fn with_cors(mut builder: hyper::http::response::Builder) -> hyper::http::response::Builder {
    for (k, v) in [
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS"),
        ("Access-Control-Allow-Headers", "Content-Type, Authorization, Range"),
        ("Access-Control-Expose-Headers", "Content-Length, Content-Type, Cache-Control"),
    ] {
        builder = builder.header(k, v);
    }
    builder
}

/// A response with CORS headers and an explicit `Content-Length`.
pub fn respond(status: StatusCode, content_type: &str, body: impl Into<Bytes>, head: bool) -> Response<Body> {
    let body: Bytes = body.into();
    let builder = with_cors(Response::builder())
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, body.len());
    let body = if head { Bytes::new() } else { body };
    builder.body(Full::new(body)).unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

fn image_type(path: &std::path::Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// A server asset named by the configuration, read at request time (missing → 404).
fn server_asset(name: &str, assets: &[(String, std::path::PathBuf)], head: bool) -> Response<Body> {
    let file = assets.iter().find(|(n, _)| n == name).map(|(_, p)| p);
    match file.and_then(|p| std::fs::read(p).ok().map(|bytes| (p, bytes))) {
        Some((path, bytes)) => {
            let mut r = respond(StatusCode::OK, image_type(path), bytes, head);
            let headers = r.headers_mut();
            headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("public, max-age=3600"));
            // Operator-provided SVG or HTML opened directly on this origin must not run
            // (docs/design/transport.md#plain-http).
            headers.insert(header::X_CONTENT_TYPE_OPTIONS, header::HeaderValue::from_static("nosniff"));
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                header::HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
            );
            r
        }
        None => respond(StatusCode::NOT_FOUND, "text/plain; charset=utf-8", "Server asset not found", head),
    }
}

/// Answers a non-upgrade request.
pub fn route<B>(req: &Request<B>, connections: usize, assets: &[(String, std::path::PathBuf)]) -> Response<Body> {
    let head = req.method() == Method::HEAD;
    match (req.method(), req.uri().path()) {
        (&Method::GET | &Method::HEAD, path) if path.starts_with("/server-assets/") => {
            server_asset(&path["/server-assets/".len()..], assets, head)
        }
        // Custom emoji images are not served yet: every emoji file is "not found".
        (&Method::GET | &Method::HEAD, path) if path.starts_with("/emojis/") => {
            respond(StatusCode::NOT_FOUND, "text/plain; charset=utf-8", "Emoji not found", head)
        }
        (&Method::GET | &Method::HEAD, "/" | "/index.html") => {
            let mut r = respond(StatusCode::OK, "text/html; charset=utf-8", PAGE, head);
            r.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-cache"));
            r
        }
        (&Method::GET | &Method::HEAD, "/health") => {
            let body = serde_json::json!({"status": "ok", "connections": connections}).to_string();
            respond(StatusCode::OK, "application/json", body, head)
        }
        (&Method::GET | &Method::HEAD, _) => {
            respond(StatusCode::NOT_FOUND, "text/plain; charset=utf-8", "Not found", head)
        }
        (&Method::OPTIONS, _) => respond(StatusCode::NO_CONTENT, "text/plain; charset=utf-8", Bytes::new(), false),
        _ => {
            let mut r =
                respond(StatusCode::METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", "Method not allowed", false);
            r.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static("GET, HEAD, OPTIONS"));
            r
        }
    }
}
