//! Driven adapters: storage, auth, system clock and ids.

pub mod auth;
pub mod cache;
pub mod memory;
pub mod sql;
pub mod system;
