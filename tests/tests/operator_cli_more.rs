//! More of `originchats user …` (decisions.md §15, §35): the admin socket beside the
//! config while the server runs, direct database writes for ban/unban/revoke-role with
//! the server stopped, and pending revoke-role/unban for names never seen.

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
    the_admin_socket_sits_beside_the_config_with_mode_0600,
    with_the_server_stopped_ban_unban_and_revoke_write_the_database,
    revoke_and_unban_for_unseen_names_wait_for_the_first_login,
);
