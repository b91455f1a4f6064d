//! Driven adapters: storage, auth, plugins, system clock and ids.

pub mod auth;
pub mod cache;
pub mod memory;
pub mod plugins;
pub mod sql;
pub mod system;
