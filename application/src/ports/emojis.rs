//! Custom emoji: their records (part of every [`super::Store`]) and their images (checked
//! uploads and the emoji folder on disk).

use std::sync::Arc;

use async_trait::async_trait;
use domain::{Emoji, ImageKind};

use super::StoreResult;

/// Emoji records. Ids are never reused: [`EmojiRepository::reserve_emoji_id`] never
/// hands out an id twice, nor one below an id ever stored (imported ones included).
#[async_trait]
pub trait EmojiRepository: Send + Sync {
    /// Every emoji, ascending by id.
    async fn emojis(&self) -> StoreResult<Vec<Emoji>>;
    /// A fresh id, greater than every id this store ever held or handed out; committed
    /// before it returns, so it is never handed out again, even after a crash.
    async fn reserve_emoji_id(&self) -> StoreResult<i64>;
    /// Stores a new emoji. False (storing nothing) when its id exists or its name equals
    /// another emoji's name ignoring ASCII case.
    async fn insert_emoji(&self, emoji: &Emoji) -> StoreResult<bool>;
    /// Renames emoji `id` in place. False when there is no such emoji; fails with
    /// [`super::StoreErrorKind::Conflict`] (changing nothing) when another emoji's name equals
    /// `name` ignoring ASCII case.
    async fn rename_emoji(&self, id: i64, name: &str) -> StoreResult<bool>;
    /// Deletes emoji `id` and returns what it was; `None` when there was none.
    async fn delete_emoji(&self, id: i64) -> StoreResult<Option<Emoji>>;
}

/// Why uploaded bytes are not an acceptable emoji image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ImageProblem {
    /// Wider or taller than allowed, more frames than allowed, or more pixels to decode
    /// than allowed.
    #[error("image too large")]
    TooLarge,
    /// Not a whole, decodable image of its kind (truncated, corrupt).
    #[error("invalid image")]
    Invalid,
}

/// Uploaded images and the folder that keeps them (`db/serverEmojis/`).
#[async_trait]
pub trait EmojiImages: Send + Sync {
    /// Checks that `bytes` hold one whole image of `kind` whose width and height are at
    /// most `max_dimension`: the dimensions are read from the header before anything is
    /// decoded, then every frame is decoded under memory and frame limits. Runs off the
    /// async workers.
    async fn check(&self, bytes: Arc<[u8]>, kind: ImageKind, max_dimension: u32) -> Result<(), ImageProblem>;
    /// Writes the file `file_name` (a bare name) into the folder completely, or not at all
    /// (a temporary file renamed into place), durably.
    async fn save(&self, file_name: &str, bytes: &[u8]) -> std::io::Result<()>;
    /// Removes the file `file_name` (a bare name) from the folder; a missing file is no
    /// error. Names that are not bare are refused.
    async fn remove(&self, file_name: &str) -> std::io::Result<()>;
}

/// Implements [`EmojiRepository`] for a store decorator that adds nothing to emoji, by
/// handing every call to its field `$inner` (the caller depends on `domain` and
/// `async-trait`).
#[macro_export]
macro_rules! delegate_emoji_repository {
    ($ty:ty, $inner:tt) => {
        #[async_trait::async_trait]
        impl $crate::ports::EmojiRepository for $ty {
            async fn emojis(&self) -> $crate::ports::StoreResult<Vec<domain::Emoji>> {
                self.$inner.emojis().await
            }
            async fn reserve_emoji_id(&self) -> $crate::ports::StoreResult<i64> {
                self.$inner.reserve_emoji_id().await
            }
            async fn insert_emoji(&self, emoji: &domain::Emoji) -> $crate::ports::StoreResult<bool> {
                self.$inner.insert_emoji(emoji).await
            }
            async fn rename_emoji(&self, id: i64, name: &str) -> $crate::ports::StoreResult<bool> {
                self.$inner.rename_emoji(id, name).await
            }
            async fn delete_emoji(&self, id: i64) -> $crate::ports::StoreResult<Option<domain::Emoji>> {
                self.$inner.delete_emoji(id).await
            }
        }
    };
}
