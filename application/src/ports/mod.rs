//! Port traits: what the use cases need from the outside world.
//! Each trait documents its contract; adapters implement them.

mod auth;
mod bus;
mod emojis;
mod outbound;
mod plugins;
mod push;
mod resume;
mod state;
mod store;
mod system;
mod threads;

pub use auth::{AuthFailure, AuthValidator, RoturIdentity};
pub use bus::{
    CacheControl, ClusterEvent, EventBus, Forget, LimiterChange, LocalBus, LocalPresence, Presence, RemoteCall,
    SharedGuard, SharedLocks, SlashChange, Target, VoiceChange,
};
pub use emojis::{EmojiImages, EmojiRepository, ImageProblem};
pub use outbound::{Frame, Outbox, PacketEncoder};
pub use plugins::{
    ActionSender, Actor, Draft, NoPlugins, PluginAction, PluginEvent, PluginHost, PluginInfo, Queued, Requested,
    Screening, Ticket,
};
pub use push::{
    Delivery, NoNotifier, Notifier, PushMessage, PushSubscriptionRepository, Subscription, SubscriptionProblem,
};
pub use resume::{Handoff, HandoffAnswer, HandoffRequest, ResumeRelay};
pub use state::{ServerProfile, ServerProfileRepository, UnreadRepository};
pub use store::{
    ChannelRepository, Commit, MessageRepository, PendingChange, RoleRepository, Store, StoreError, StoreErrorKind,
    StoreResult, UserRepository,
};
pub use system::{Clock, IdSource};
pub use threads::ThreadRepository;

#[doc(hidden)]
pub use async_trait::async_trait;

#[cfg(any(test, feature = "mocks"))]
pub use {
    auth::MockAuthValidator,
    outbound::MockOutbox,
    plugins::MockPluginHost,
    push::MockNotifier,
    system::{MockClock, MockIdSource},
};
