//! Bootstrap: reads the configuration, picks adapters, wires them to the use cases and
//! runs the `originchats` server. `main.rs` only parses the command line.

mod certificates;
pub mod cli;
mod cluster;
pub mod config;
pub mod import;
mod observability;
pub mod push;
pub mod run;
pub mod user_cli;

// The allocator: docs/security.md#memory-allocator.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(all(feature = "jemalloc", not(feature = "mimalloc")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options: a background thread returns freed pages to the system after
/// `dirty_decay_ms`, even while the server is idle (without it, purging waits for the next
/// allocations). `_RJEM_MALLOC_CONF` in the environment overrides them.
#[cfg(all(feature = "jemalloc", not(feature = "mimalloc")))]
// The one exported symbol of the workspace: jemalloc reads this C string by name at start-up.
#[allow(non_upper_case_globals, unsafe_code)]
#[unsafe(export_name = "_rjem_malloc_conf")]
pub static malloc_conf: &[u8; 60] = b"background_thread:true,dirty_decay_ms:5000,muzzy_decay_ms:0\0";
