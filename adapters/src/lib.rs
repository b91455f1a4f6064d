//! Adapters of originchats: everything that touches the outside world.
//!
//! - [`inbound`]: driving adapters. [`inbound::wire`] is the one place where JSON packets
//!   are parsed and rendered (and where the command registry lives);
//!   [`inbound::websocket`] serves WebSocket and plain HTTP on one port.
//! - [`outbound`]: driven adapters. SQL storage (sea-orm over SQLite or Postgres), an
//!   in-memory store, Rotur and mock auth, system clock and ids.
//! - [`legacy`]: reading an original (Python) server's data folder for `originchats import`.

pub mod inbound;
pub mod legacy;
pub mod outbound;
