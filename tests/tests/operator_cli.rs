//! `originchats user …` (docs/design/operator-cli.md): with the server running, through the admin
//! socket beside the config (mode 0600; a change reaches connected clients at once, a ban
//! closes connections); with the server stopped, straight into the database (grant-role,
//! ban, unban, revoke-role); and pending changes for names never seen, applied at their
//! first login.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};

use originchats_tests::{Backend, TestServer, backend_tests};
use serde_json::json;

/// Runs a `user` subcommand that must succeed; returns its trimmed standard output.
fn cli_ok(s: &TestServer, args: &[&str]) -> String {
    let (ok, out, err) = s.cli(args);
    assert!(ok, "{args:?} failed: {out}{err}");
    out.trim().to_owned()
}

/// Asserts that `name` cannot log in because of a ban.
async fn refused(s: &TestServer, name: &str) {
    let mut c = s.connect().await;
    let reply = c.request(json!({"cmd": "auth", "validator": format!("good:USR:{name}:{name}")})).await;
    assert_eq!(reply, json!({"cmd": "auth_error", "val": "Access denied: You are banned from this server"}));
}

async fn grant_through_a_running_server_takes_effect_at_once(b: Backend) {
    let s = TestServer::start(b).await;
    let mut alice = s.login("alice").await;
    let (ok, out, err) = s.cli(&["user", "grant-role", "ALICE", "admin"]);
    assert!(ok, "{out}{err}");
    assert_eq!(out.trim(), "granted 'admin' to alice");
    let push = alice.expect_cmd("users_list").await;
    assert_eq!(push["users"][0]["roles"], json!(["admin", "user"]), "the change reached connected clients at once");
    let (ok, out, _) = s.cli(&["user", "list"]);
    assert!(ok);
    assert!(out.contains("alice\tadmin,user"), "{out}");
    let (ok, _, err) = s.cli(&["user", "grant-role", "alice", "nope"]);
    assert!(!ok);
    assert!(err.contains("Role 'nope' does not exist"), "{err}");
}

async fn ban_through_a_running_server_closes_connections(b: Backend) {
    let s = TestServer::start(b).await;
    let mut mallory = s.login("mallory").await;
    let (ok, out, _) = s.cli(&["user", "ban", "mallory"]);
    assert!(ok);
    assert_eq!(out.trim(), "banned mallory");
    assert_eq!(mallory.expect_cmd("auth_error").await["val"], "Access denied: You are banned from this server");
    mallory.closed().await;
    let (ok, out, _) = s.cli(&["user", "unban", "mallory"]);
    assert!(ok, "{out}");
    s.login("mallory").await;
}

async fn the_admin_socket_sits_beside_the_config_with_mode_0600(b: Backend) {
    let s = TestServer::start(b).await;
    let path = s.path().join("originchats.sock");
    let meta = std::fs::symlink_metadata(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(meta.file_type().is_socket(), "{} is not a socket", path.display());
    assert_eq!(meta.permissions().mode() & 0o777, 0o600, "mode {:o}", meta.permissions().mode() & 0o777);
    std::os::unix::net::UnixStream::connect(&path).expect("the running server answers on it");
    // The command line talks through it: a change reaches a connected client at once.
    let mut alice = s.login("alice").await;
    assert_eq!(cli_ok(&s, &["user", "grant-role", "alice", "moderator"]), "granted 'moderator' to alice");
    let push = alice.expect_cmd("users_list").await;
    assert_eq!(push["users"], json!([{"username": "alice", "roles": ["moderator", "user"], "color": "#FFFF00"}]));
}

async fn without_a_server_the_database_is_changed_directly(b: Backend) {
    let mut s = TestServer::start(b).await;
    let alice = s.login("alice").await;
    drop(alice);
    s.kill();
    assert!(!s.is_running());
    let (ok, out, err) = s.cli(&["user", "grant-role", "alice", "moderator"]);
    assert!(ok, "{out}{err}");
    assert_eq!(out.trim(), "granted 'moderator' to alice");
    s.start_again();
    let alice = s.login("alice").await;
    assert_eq!(alice.ready.as_ref().unwrap()["user"]["roles"], json!(["moderator", "user"]));
}

async fn with_the_server_stopped_ban_unban_and_revoke_write_the_database(b: Backend) {
    let mut s = TestServer::start(b).await;
    let alice = s.login("alice").await;
    assert_eq!(cli_ok(&s, &["user", "grant-role", "alice", "moderator"]), "granted 'moderator' to alice");
    alice.close().await;
    let bob = s.login("bob").await;
    bob.close().await;

    s.kill();
    assert_eq!(cli_ok(&s, &["user", "ban", "Alice"]), "banned alice");
    s.start_again();
    refused(&s, "alice").await;
    let bob = s.login("bob").await;
    assert_eq!(bob.ready.as_ref().unwrap()["user"]["roles"], json!(["user"]), "others are untouched");
    bob.close().await;

    s.kill();
    assert_eq!(cli_ok(&s, &["user", "unban", "alice"]), "unbanned alice");
    s.start_again();
    let alice = s.login("alice").await;
    assert_eq!(alice.ready.as_ref().unwrap()["user"]["roles"], json!(["moderator", "user"]), "only the ban went");
    alice.close().await;

    s.kill();
    assert_eq!(cli_ok(&s, &["user", "revoke-role", "alice", "moderator"]), "revoked 'moderator' from alice");
    s.start_again();
    let alice = s.login("alice").await;
    assert_eq!(alice.ready.as_ref().unwrap()["user"]["roles"], json!(["user"]));
    let listed = cli_ok(&s, &["user", "list"]);
    assert!(listed.lines().any(|l| l == "alice\tuser"), "{listed}");
}

async fn changes_for_unseen_users_wait_for_their_first_login(b: Backend) {
    let s = TestServer::start(b).await;
    let (ok, out, _) = s.cli(&["user", "grant-role", "Newbie", "owner"]);
    assert!(ok);
    assert!(out.contains("has not logged in yet"), "{out}");
    s.cli(&["user", "ban", "troll"]);
    let newbie = s.login("newbie").await;
    assert_eq!(newbie.ready.as_ref().unwrap()["user"]["roles"], json!(["owner", "user"]));
    let mut troll = s.connect().await;
    let refused = troll.request(json!({"cmd": "auth", "validator": "good:USR:troll:troll"})).await;
    assert_eq!(refused, json!({"cmd": "auth_error", "val": "Access denied: You are banned from this server"}));
}

async fn revoke_and_unban_for_unseen_names_wait_for_the_first_login(b: Backend) {
    let defaults = json!({"DB": {"users": {"default": {"roles": ["moderator", "user"]}}}});
    let mut s = TestServer::start_with(b, defaults).await;
    let out = cli_ok(&s, &["user", "revoke-role", "Newbie", "moderator"]);
    assert!(out.contains("has not logged in yet"), "{out}");
    let out = cli_ok(&s, &["user", "ban", "troll"]);
    assert!(out.contains("has not logged in yet"), "{out}");
    let out = cli_ok(&s, &["user", "unban", "troll"]);
    assert!(out.contains("has not logged in yet"), "{out}");
    let control = s.login("control").await;
    assert_eq!(control.ready.as_ref().unwrap()["user"]["roles"], json!(["moderator", "user"]), "the default");
    let newbie = s.login("newbie").await;
    assert_eq!(newbie.ready.as_ref().unwrap()["user"]["roles"], json!(["user"]), "the pending revoke applied");
    let troll = s.login("troll").await;
    assert_eq!(troll.ready.as_ref().unwrap()["user"]["roles"], json!(["moderator", "user"]), "ban then unban");

    // The same with the server stopped.
    s.kill();
    let out = cli_ok(&s, &["user", "revoke-role", "later", "moderator"]);
    assert!(out.contains("has not logged in yet"), "{out}");
    let out = cli_ok(&s, &["user", "ban", "pest"]);
    assert!(out.contains("has not logged in yet"), "{out}");
    let out = cli_ok(&s, &["user", "unban", "pest"]);
    assert!(out.contains("has not logged in yet"), "{out}");
    s.start_again();
    let later = s.login("later").await;
    assert_eq!(later.ready.as_ref().unwrap()["user"]["roles"], json!(["user"]));
    let pest = s.login("pest").await;
    assert_eq!(pest.ready.as_ref().unwrap()["user"]["roles"], json!(["moderator", "user"]));
}

backend_tests!(
    grant_through_a_running_server_takes_effect_at_once,
    ban_through_a_running_server_closes_connections,
    the_admin_socket_sits_beside_the_config_with_mode_0600,
    without_a_server_the_database_is_changed_directly,
    with_the_server_stopped_ban_unban_and_revoke_write_the_database,
    changes_for_unseen_users_wait_for_their_first_login,
    revoke_and_unban_for_unseen_names_wait_for_the_first_login,
);
