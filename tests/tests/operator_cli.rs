//! `originchats user …` with and without a running server (decisions.md §15, §35).

use originchats_tests::{Backend, TestServer, backend_tests};
use serde_json::json;

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

backend_tests!(
    grant_through_a_running_server_takes_effect_at_once,
    ban_through_a_running_server_closes_connections,
    changes_for_unseen_users_wait_for_their_first_login,
    without_a_server_the_database_is_changed_directly,
);
