//! Port traits: what the use cases need from the outside world.
//! Each trait documents its contract; adapters implement them.

mod auth;
mod outbound;
mod store;
mod system;

pub use auth::{AuthFailure, AuthValidator, RoturIdentity};
pub use outbound::{Frame, Outbox, PacketEncoder};
pub use store::{
    ChannelRepository, MessageRepository, PendingChange, RoleRepository, Store, StoreError, StoreResult, UserRepository,
};
pub use system::{Clock, IdSource};

#[cfg(any(test, feature = "mocks"))]
pub use {
    auth::MockAuthValidator,
    outbound::MockOutbox,
    system::{MockClock, MockIdSource},
};
