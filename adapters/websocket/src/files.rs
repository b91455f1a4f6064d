//! Files served over HTTP (docs/design/http.md#files): `/emojis/<file name or id>` and
//! `/server-assets/icon|banner`. Only a file that a record names is served, one `ServeFile`
//! per request over that single path, never a folder: a request path is decoded once,
//! must be one bare file name, and is only ever compared with the names records hold. A
//! symbolic link or anything but a regular file is refused, and the file is looked at when
//! the request comes (a missing one is a 404).

use std::path::{Path, PathBuf};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::emoji::safe_file_name;
use percent_encoding::percent_decode_str;
use tower::ServiceExt;
use tower_http::services::ServeFile;

use super::http::{HttpState, text};

const EMOJI_NOT_FOUND: &str = "Emoji not found";
const ASSET_NOT_FOUND: &str = "Server asset not found";

/// Served files may be images of any origin, and are never active content on ours.
const FILE_HEADERS: [(header::HeaderName, &str); 3] = [
    (header::CACHE_CONTROL, "public, max-age=3600"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'; sandbox"),
];

/// The file name that the rest of an `/emojis/` path asks for: percent-decoded once,
/// valid UTF-8, trimmed of ASCII whitespace, and one bare visible file name.
pub fn requested_emoji(raw: &str) -> Option<String> {
    let decoded = percent_decode_str(raw).decode_utf8().ok()?;
    let name = decoded.trim_matches(|c: char| c.is_ascii_whitespace());
    safe_file_name(name).then(|| name.to_owned())
}

/// The content type of an operator's asset, by its extension.
fn asset_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// Serves the regular file at `path` as `content_type` (with `Last-Modified`, conditional
/// requests and ranges), or `missing` as a 404.
async fn serve(req: Request, path: PathBuf, content_type: &str, missing: &'static str) -> Response {
    match tokio::fs::symlink_metadata(&path).await {
        Ok(meta) if meta.file_type().is_file() => {}
        _ => return text(StatusCode::NOT_FOUND, missing),
    }
    let Ok(response) = ServeFile::new(&path).oneshot(req).await;
    if response.status() == StatusCode::NOT_FOUND {
        return text(StatusCode::NOT_FOUND, missing);
    }
    let mut response = response.into_response();
    let headers = response.headers_mut();
    if headers.contains_key(header::CONTENT_TYPE) {
        let stored =
            HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
        headers.insert(header::CONTENT_TYPE, stored);
    }
    for (name, value) in FILE_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// `GET /emojis/<file>`: by the file name of an emoji, or by its id.
pub async fn emoji(State(state): State<HttpState>, req: Request) -> Response {
    let raw = req.uri().path().strip_prefix("/emojis/").unwrap_or_default();
    let Some(wanted) = requested_emoji(raw) else { return text(StatusCode::NOT_FOUND, EMOJI_NOT_FOUND) };
    match state.app.emojis.served(&wanted).await {
        Ok(Some(emoji)) => {
            let path = state.limits.emoji_dir.join(&emoji.file_name);
            serve(req, path, &emoji.content_type, EMOJI_NOT_FOUND).await
        }
        Ok(None) => text(StatusCode::NOT_FOUND, EMOJI_NOT_FOUND),
        Err(e) => {
            tracing::error!(error = %e, "reading emoji records for /emojis/");
            text(StatusCode::SERVICE_UNAVAILABLE, "Service unavailable")
        }
    }
}

/// `GET /server-assets/<name>`: `icon` or `banner` when the configuration names a file
/// (the name is matched after trimming `/`, without decoding).
pub async fn asset(State(state): State<HttpState>, req: Request) -> Response {
    let name = req.uri().path().strip_prefix("/server-assets/").unwrap_or_default().trim_matches('/');
    let file = state.limits.server_assets.iter().find(|(n, _)| n == name).map(|(_, p)| p.clone());
    match file {
        Some(path) => {
            let content_type = asset_type(&path);
            serve(req, path, content_type, ASSET_NOT_FOUND).await
        }
        None => text(StatusCode::NOT_FOUND, ASSET_NOT_FOUND),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bare_names_survive_decoding() {
        assert_eq!(requested_emoji("3.gif").as_deref(), Some("3.gif"));
        assert_eq!(requested_emoji("%200.png%20").as_deref(), Some("0.png"));
        assert_eq!(requested_emoji("3").as_deref(), Some("3"));
        for bad in [
            "",
            "..%2Fx.png",
            "%2e%2e%2fx.png",
            "%2e%2e/x.png",
            "../x.png",
            "%2Fetc%2Fpasswd",
            "/etc/passwd",
            "a%5Cb.png",
            "a%00.png",
            ".hidden",
            "%2ehidden",
            "C:x.png",
            "%ff.png",
            "x%0a.png",
        ] {
            assert_eq!(requested_emoji(bad), None, "{bad}");
        }
        // Decoded once: a double-encoded traversal stays text, and names no record.
        assert_eq!(requested_emoji("%252e%252e%252fx.png").as_deref(), Some("%2e%2e%2fx.png"));
    }
}
