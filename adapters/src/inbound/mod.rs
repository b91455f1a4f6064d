//! Driving adapters: the wire format and the transports that carry it.

pub mod websocket;
pub mod wire;
