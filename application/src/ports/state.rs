//! Per-user read markers and the server's own profile: records the web client of the
//! original's later versions reads (docs/design/unreads.md, docs/design/server-info.md).
//! Both are part of the [`super::Store`] and checked by `tests/tests/store_contract.rs`.

use async_trait::async_trait;
use domain::UserId;

use super::StoreResult;

/// The id of the last message each user has read, per channel.
#[async_trait]
pub trait UnreadRepository: Send + Sync {
    /// Every channel the user has a marker in, with the marker, in no particular order.
    async fn last_reads(&self, user: &UserId) -> StoreResult<Vec<(String, String)>>;
    /// The user's marker in `channel`; `None` when there is none.
    async fn last_read(&self, user: &UserId, channel: &str) -> StoreResult<Option<String>>;
    /// Sets the user's marker in `channel` (replacing any earlier one); false (storing
    /// nothing) when no channel has this exact name. A renamed channel keeps its markers;
    /// a deleted channel, or a deleted user, loses them.
    async fn set_last_read(&self, user: &UserId, channel: &str, message_id: &str) -> StoreResult<bool>;
}

/// The server's name, icon and banner as `server_update` last set them; `None` for a
/// field never set (the configuration's value applies).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerProfile {
    /// Display name.
    pub name: Option<String>,
    /// Icon URL.
    pub icon: Option<String>,
    /// Banner URL.
    pub banner: Option<String>,
}

/// The stored [`ServerProfile`].
#[async_trait]
pub trait ServerProfileRepository: Send + Sync {
    /// The stored profile (all `None` until the first save).
    async fn server_profile(&self) -> StoreResult<ServerProfile>;
    /// Replaces the stored profile.
    async fn save_server_profile(&self, profile: &ServerProfile) -> StoreResult<()>;
}

/// Implements [`UnreadRepository`] and [`ServerProfileRepository`] for a store decorator
/// that adds nothing to them, by handing every call to its field `$inner`.
#[macro_export]
macro_rules! delegate_state {
    ($ty:ty, $inner:tt) => {
        #[$crate::ports::async_trait]
        impl $crate::ports::UnreadRepository for $ty {
            async fn last_reads(&self, user: &domain::UserId) -> $crate::ports::StoreResult<Vec<(String, String)>> {
                self.$inner.last_reads(user).await
            }
            async fn last_read(
                &self,
                user: &domain::UserId,
                channel: &str,
            ) -> $crate::ports::StoreResult<Option<String>> {
                self.$inner.last_read(user, channel).await
            }
            async fn set_last_read(
                &self,
                user: &domain::UserId,
                channel: &str,
                message_id: &str,
            ) -> $crate::ports::StoreResult<bool> {
                self.$inner.set_last_read(user, channel, message_id).await
            }
        }
        #[$crate::ports::async_trait]
        impl $crate::ports::ServerProfileRepository for $ty {
            async fn server_profile(&self) -> $crate::ports::StoreResult<$crate::ports::ServerProfile> {
                self.$inner.server_profile().await
            }
            async fn save_server_profile(
                &self,
                profile: &$crate::ports::ServerProfile,
            ) -> $crate::ports::StoreResult<()> {
                self.$inner.save_server_profile(profile).await
            }
        }
    };
}
