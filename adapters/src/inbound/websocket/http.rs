//! Plain HTTP on the WebSocket port: a short page at `/`, `/health`, CORS, 404 and 405.

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

/// Answers a non-upgrade request.
pub fn route<B>(req: &Request<B>, connections: usize) -> Response<Body> {
    let head = req.method() == Method::HEAD;
    match (req.method(), req.uri().path()) {
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
