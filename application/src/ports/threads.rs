//! Threads of forum channels (docs/design/threads.md#storage). A thread's messages live in
//! the [`super::MessageRepository`] under the key `domain::thread::thread_key(id)`, and its
//! read markers in the [`super::UnreadRepository`] under the same key; both work for as
//! long as the thread exists. Checked by `tests/tests/store_contract.rs` on every store.

use async_trait::async_trait;
use domain::Thread;

use super::StoreResult;

/// Threads, keyed by id, each in one channel.
#[async_trait]
pub trait ThreadRepository: Send + Sync {
    /// The threads of the channel called `channel`, in creation order (empty for a channel
    /// that does not exist). Each names the channel's current name as its parent.
    async fn threads(&self, channel: &str) -> StoreResult<Vec<Thread>>;
    /// The thread with this id, naming its parent channel's current name.
    async fn thread(&self, id: &str) -> StoreResult<Option<Thread>>;
    /// Creates a thread in the channel `thread.parent_channel`, the newest of that channel;
    /// false (storing nothing) when no channel has that exact name. Fails with
    /// `Conflict` when a thread with this id exists.
    async fn insert_thread(&self, thread: &Thread) -> StoreResult<bool>;
    /// Replaces the record of the thread with `thread.id` (its parent stays); false
    /// (creating nothing) when there is none.
    async fn update_thread(&self, thread: &Thread) -> StoreResult<bool>;
    /// Deletes a thread with its messages and read markers; false when there was none.
    /// Deleting a channel deletes its threads the same way.
    async fn delete_thread(&self, id: &str) -> StoreResult<bool>;
}

/// Implements [`ThreadRepository`] for a store decorator that adds nothing to it, by
/// handing every call to its field `$inner`.
#[macro_export]
macro_rules! delegate_threads {
    ($ty:ty, $inner:tt) => {
        #[$crate::ports::async_trait]
        impl $crate::ports::ThreadRepository for $ty {
            async fn threads(&self, channel: &str) -> $crate::ports::StoreResult<Vec<domain::Thread>> {
                self.$inner.threads(channel).await
            }
            async fn thread(&self, id: &str) -> $crate::ports::StoreResult<Option<domain::Thread>> {
                self.$inner.thread(id).await
            }
            async fn insert_thread(&self, thread: &domain::Thread) -> $crate::ports::StoreResult<bool> {
                self.$inner.insert_thread(thread).await
            }
            async fn update_thread(&self, thread: &domain::Thread) -> $crate::ports::StoreResult<bool> {
                self.$inner.update_thread(thread).await
            }
            async fn delete_thread(&self, id: &str) -> $crate::ports::StoreResult<bool> {
                self.$inner.delete_thread(id).await
            }
        }
    };
}
