//! Driving adapters: the wire format and the transports that carry it.

pub mod admin;
pub mod websocket;
pub mod wire;
