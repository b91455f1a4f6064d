//! The wire format: JSON text packets with a `cmd` field.
//!
//! - [`request`]: a parsed request and its lenient field accessors;
//! - [`render`]: every outgoing [`application::Packet`] to its exact JSON shape;
//! - [`registry`]: the one table of commands (name → handler);
//! - [`dispatch`]: frame → request → auth gate → registry → reply;
//! - [`slash_schema`]: the slash command schema bots register against.

pub mod commands;
pub mod dispatch;
pub mod registry;
pub mod render;
pub mod request;
pub mod slash_schema;

pub use dispatch::handle_frame;
pub use registry::capabilities;
pub use render::JsonEncoder;
