//! The local admin socket (docs/design/operator-cli.md#admin-socket): a Unix socket next to config.json, mode 0600,
//! through which `originchats user …` changes a running server so that caches, pushes and
//! connections update at once. One JSON request per line, one JSON answer per line:
//!
//! ```text
//! → {"op": "grant-role", "username": "alice", "role": "admin"}
//! ← {"ok": true, "message": "granted 'admin' to alice", "users": []}
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use application::App;
use application::connection::Shutdown;
use application::services::AdminAction;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

/// The socket's file name inside the config folder.
pub const SOCKET_NAME: &str = "originchats.sock";

/// Where the admin socket of the server configured in `config_dir` lives.
pub fn socket_path(config_dir: &Path) -> PathBuf {
    config_dir.join(SOCKET_NAME)
}

/// The request line for an action.
pub fn encode_action(action: &AdminAction) -> Value {
    match action {
        AdminAction::List => json!({"op": "list"}),
        AdminAction::GrantRole { username, role } => json!({"op": "grant-role", "username": username, "role": role}),
        AdminAction::RevokeRole { username, role } => json!({"op": "revoke-role", "username": username, "role": role}),
        AdminAction::Ban { username } => json!({"op": "ban", "username": username}),
        AdminAction::Unban { username } => json!({"op": "unban", "username": username}),
    }
}

fn decode_action(v: &Value) -> Option<AdminAction> {
    let field = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    Some(match v.get("op")?.as_str()? {
        "list" => AdminAction::List,
        "grant-role" => AdminAction::GrantRole { username: field("username")?, role: field("role")? },
        "revoke-role" => AdminAction::RevokeRole { username: field("username")?, role: field("role")? },
        "ban" => AdminAction::Ban { username: field("username")? },
        "unban" => AdminAction::Unban { username: field("username")? },
        _ => return None,
    })
}

async fn answer(app: &App, line: &str) -> Value {
    let Some(action) = serde_json::from_str::<Value>(line).ok().as_ref().and_then(decode_action) else {
        return json!({"ok": false, "error": "unknown or malformed admin request"});
    };
    match app.community.admin(action).await {
        Ok(outcome) => {
            let users: Vec<Value> = outcome
                .users
                .iter()
                .map(|u| json!({"username": u.username, "roles": u.roles, "color": u.color}))
                .collect();
            json!({"ok": true, "message": outcome.message, "users": users})
        }
        Err(e) => json!({"ok": false, "error": e.to_string()}),
    }
}

async fn serve_client(app: Arc<App>, stream: UnixStream) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let mut reply = answer(&app, &line).await.to_string();
        reply.push('\n');
        if write.write_all(reply.as_bytes()).await.is_err() {
            break;
        }
    }
}

/// Binds the admin socket (replacing a stale file) and serves it until the task is dropped.
/// Returns `None` without binding when another server already answers on that path.
pub async fn bind(path: &Path) -> std::io::Result<Option<UnixListener>> {
    if path.exists() {
        if server_answers(path).await {
            return Ok(None);
        }
        std::fs::remove_file(path)?;
    }
    // Bound inside a private (0700) folder, restricted to 0600, then moved into place:
    // at no moment can another user connect to it.
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let private = tempfile_dir(parent)?;
    let staged = private.join("admin.sock");
    let bound = (|| {
        let listener = UnixListener::bind(&staged)?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&staged, std::fs::Permissions::from_mode(0o600))?;
        std::fs::rename(&staged, path)?;
        Ok(listener)
    })();
    let _ = std::fs::remove_dir_all(&private);
    bound.map(Some)
}

/// A new folder only the current user may enter, next to the socket.
fn tempfile_dir(parent: &Path) -> std::io::Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let name = format!(".originchats-admin-{}-{}", std::process::id(), rand::random::<u32>());
    let dir = parent.join(name);
    std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
    Ok(dir)
}

/// Accepts admin clients until the shutdown begins.
pub async fn serve(listener: UnixListener, app: Arc<App>, mut shutdown: Shutdown) {
    loop {
        let accepted = tokio::select! {
            _ = shutdown.requested() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _)) => {
                tokio::spawn(serve_client(app.clone(), stream));
            }
            Err(e) => {
                tracing::warn!(error = %e, "admin socket accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

/// Whether a server answers on the admin socket at `path` (a stale socket file that
/// nobody listens on does not count).
pub async fn server_answers(path: &Path) -> bool {
    UnixStream::connect(path).await.is_ok()
}

/// Sends one action to a running server. `Ok(None)` when no server listens there.
pub async fn request(path: &Path, action: &AdminAction) -> std::io::Result<Option<Value>> {
    let stream = match UnixStream::connect(path).await {
        Ok(s) => s,
        Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused) => {
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let (read, mut write) = stream.into_split();
    let mut line = encode_action(action).to_string();
    line.push('\n');
    write.write_all(line.as_bytes()).await?;
    let mut lines = BufReader::new(read).lines();
    let reply = lines.next_line().await?.unwrap_or_default();
    Ok(Some(serde_json::from_str(&reply).unwrap_or_else(|_| json!({"ok": false, "error": "no answer"}))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip() {
        for a in [
            AdminAction::List,
            AdminAction::GrantRole { username: "a".into(), role: "r".into() },
            AdminAction::RevokeRole { username: "a".into(), role: "r".into() },
            AdminAction::Ban { username: "a".into() },
            AdminAction::Unban { username: "a".into() },
        ] {
            assert_eq!(decode_action(&encode_action(&a)), Some(a));
        }
        assert_eq!(decode_action(&json!({"op": "ban"})), None);
    }
}
