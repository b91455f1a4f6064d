//! Use cases of originchats and the ports they drive.
//!
//! - [`ports`]: the traits adapters implement (storage, Rotur auth, clock and ids, the
//!   outbound side of a connection, the packet encoder).
//! - [`packets`]: every packet the server sends, as typed values; the wire adapter renders them.
//! - [`errors`]: the one table of the original's error texts, one type per command family.
//! - [`hub`]: who is connected and authenticated; fan-out that encodes each variant once.
//! - [`connection`]: a connection's life, the same for every transport.
//! - [`services`]: the use cases, one service per context, wired together in [`App`].
//! - [`import`]: the snapshot of another server's data and the port that takes it in.
//! - [`voice`]: who sits in which voice channel (memory only).
//! - [`resume`]: sessions that survive a dropped connection.
//! - [`slash`]: slash commands registered by bots and the calls routed to them.

pub mod app;
pub mod connection;
pub mod errors;
pub mod hub;
pub mod import;
pub mod limiter;
pub mod locks;
pub mod packets;
pub mod ports;
pub mod resume;
pub mod services;
pub mod session;
pub mod settings;
pub mod slash;
pub mod telemetry;
pub mod views;
pub mod voice;

pub use app::App;
pub use errors::{AuthErrorText, CommandError};
pub use packets::Packet;
pub use session::{ConnId, Origin, Session, SessionUser};
pub use settings::{EmojiSettings, Settings};
