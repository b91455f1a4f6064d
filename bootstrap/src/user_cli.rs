//! `originchats user …`: operator changes by username. With a server running they go
//! through its admin socket so they take effect at once (a ban closes connections);
//! otherwise they are written to the database directly (docs/design/operator-cli.md).

use std::path::PathBuf;
use std::sync::Arc;

use admin;
use anyhow::Context;
use application::services::AdminAction;
use rotur::MockAuth;
use serde_json::{Value, json};

use crate::config;

/// `originchats user` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// List every user with their roles.
    List,
    /// Give a role to a user (kept pending until their first login if never seen).
    GrantRole {
        /// Rotur username (case-insensitive).
        username: String,
        /// Role name.
        role: String,
    },
    /// Take a role from a user.
    RevokeRole {
        /// Rotur username.
        username: String,
        /// Role name.
        role: String,
    },
    /// Ban a user (closes their connections on a running server).
    Ban {
        /// Rotur username.
        username: String,
    },
    /// Lift a ban.
    Unban {
        /// Rotur username.
        username: String,
    },
}

impl UserCommand {
    fn action(self) -> AdminAction {
        match self {
            Self::List => AdminAction::List,
            Self::GrantRole { username, role } => AdminAction::GrantRole { username, role },
            Self::RevokeRole { username, role } => AdminAction::RevokeRole { username, role },
            Self::Ban { username } => AdminAction::Ban { username },
            Self::Unban { username } => AdminAction::Unban { username },
        }
    }
}

/// Runs a `user` subcommand.
pub fn run(config: Option<PathBuf>, command: UserCommand) -> anyhow::Result<()> {
    let path = crate::run::config_path(config)?;
    let cfg = config::load(&path)?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let action = command.action();
    let reply = tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
        let socket = admin::socket_path(&cfg.base_dir);
        if let Some(reply) = admin::request(&socket, &action).await.context("talking to the running server")? {
            return anyhow::Ok(reply);
        }
        let db = sql::connect(&cfg.storage)
            .await
            .with_context(|| format!("opening storage {}", cfg.storage.masked()))?;
        let no_plugins = Arc::new(application::ports::NoPlugins);
        let no_push = Arc::new(application::ports::NoNotifier);
        let app = crate::run::build_app(&cfg, db, Arc::new(MockAuth), no_plugins, no_push, None).await?;
        Ok(match app.community.admin(action).await {
            Ok(o) => json!({"ok": true, "message": o.message,
                "users": o.users.iter().map(|u| json!({"username": u.username, "roles": u.roles})).collect::<Vec<_>>()}),
            Err(e) => json!({"ok": false, "error": e.to_string()}),
        })
    })?;
    print_reply(&reply)
}

fn print_reply(reply: &Value) -> anyhow::Result<()> {
    if reply["ok"] != true {
        anyhow::bail!("{}", reply["error"].as_str().unwrap_or("failed"));
    }
    if let Some(users) = reply["users"].as_array().filter(|u| !u.is_empty()) {
        for u in users {
            let roles: Vec<&str> =
                u["roles"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
            println!("{}\t{}", u["username"].as_str().unwrap_or_default(), roles.join(","));
        }
    }
    if let Some(m) = reply["message"].as_str().filter(|m| !m.is_empty()) {
        println!("{m}");
    }
    Ok(())
}
