//! The wire codec: JSON text packets with a `cmd` field, and the JSON shapes of stored
//! records. Every adapter that reads or writes the original's JSON depends on this crate
//! (transports, SQL documents, the legacy importer, plugins); adapters never depend on
//! each other.
//!
//! - [`records`]: users, roles, channels and messages as the original's JSON documents;
//! - [`request`]: a parsed request and its lenient field accessors;
//! - [`render`]: every outgoing [`application::Packet`] to its exact JSON shape;
//! - [`registry`]: the one table of commands (name → handler);
//! - [`dispatch`]: frame → request → auth gate → registry → reply;
//! - [`slash_schema`]: the slash command schema bots register against.

pub mod commands;
pub mod dispatch;
pub mod records;
pub mod registry;
pub mod render;
pub mod request;
pub mod slash_schema;

pub use dispatch::{JsonFrames, handle_frame};
pub use registry::capabilities;
pub use render::JsonEncoder;
