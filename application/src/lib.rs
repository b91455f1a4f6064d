//! Use cases of originchats and the ports they drive.
//!
//! - [`ports`]: the traits adapters implement (storage, Rotur auth, clock and ids, the
//!   outbound side of a connection, the packet encoder).
//! - [`packets`]: every packet the server sends, as typed values; the wire adapter renders them.
//! - [`errors`]: the one table of the original's error texts.
//! - [`hub`]: who is connected and authenticated; fan-out that encodes each variant once.
//! - [`usecases`]: one module per command family, as methods on [`App`].
//! - [`voice`]: who sits in which voice channel (memory only).
//! - [`slash`]: slash commands registered by bots and the calls routed to them.

pub mod app;
pub mod errors;
pub mod hub;
pub mod import;
pub mod limiter;
pub mod locks;
pub mod packets;
pub mod ports;
pub mod session;
pub mod settings;
pub mod slash;
pub mod usecases;
pub mod views;
pub mod voice;

pub use app::App;
pub use errors::{AppError, AuthErrorText};
pub use packets::Packet;
pub use session::{ConnId, Origin, Session, SessionUser};
pub use settings::Settings;
