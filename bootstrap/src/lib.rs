//! Bootstrap: reads the configuration, picks adapters, wires them to the use cases and
//! runs the `originchats` server. `main.rs` only parses the command line.

pub mod cli;
pub mod config;
pub mod import;
mod observability;
pub mod push;
pub mod run;
pub mod user_cli;
