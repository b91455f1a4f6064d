//! Test harness for black-box tests: a real `originchats` process on an ephemeral port,
//! a mock Rotur HTTP server on loopback, WebSocket and WebTransport clients that wait on packets with a
//! timeout (never on sleeps), a fake Web Push service, and the storage backend as a
//! parameter.

/// The load benchmark `originchats-bench` (a tool: no test uses it).
pub mod bench;
pub mod certs;
pub mod client;
pub mod cluster;
pub mod expect;
pub mod http;
pub mod images;
pub mod inproc;
pub mod pg;
pub mod push;
pub mod resume;
pub mod rotur;
/// Scenes shared by the black-box tests: a server whose owner is `boss`, the usual users
/// logged in and synced, posting and reading back a message, and the owner's view of
/// everything to prove that a refused command changed nothing.
pub mod scenes;
pub mod server;
pub mod spread;
pub mod wt;

pub use client::Client;
pub use rotur::MockRotur;
pub use server::{Backend, TestServer, Transport};

/// Generates one `#[tokio::test]` per storage backend for an `async fn(Backend)` case.
/// Postgres cases run when `ORIGINCHATS_TEST_POSTGRES_URL` is set (docs/design/testing.md#both-backends).
#[macro_export]
macro_rules! backend_tests {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case($crate::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    match $crate::Backend::postgres() {
                        Some(b) => super::$case(b).await,
                        None => eprintln!("SKIPPED (ORIGINCHATS_TEST_POSTGRES_URL not set): {}", stringify!($case)),
                    }
                }
            )*
        }
    };
}

/// Generates one `#[tokio::test]` per `async fn()` cluster case (they start their own
/// nodes, on PostgreSQL only, and skip themselves without it).
#[macro_export]
macro_rules! cluster_tests {
    ($($case:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case().await;
                }
            )*
        }
    };
}
