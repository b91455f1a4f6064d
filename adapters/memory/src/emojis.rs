//! Custom emoji in memory: the reference for the emoji contract of the store port.

use application::ports::{EmojiRepository, StoreError, StoreErrorKind, StoreResult};
use async_trait::async_trait;
use domain::Emoji;
use domain::emoji::name_key;

use super::MemoryStore;

#[async_trait]
impl EmojiRepository for MemoryStore {
    async fn emojis(&self) -> StoreResult<Vec<Emoji>> {
        Ok(self.with(|s| s.emojis.clone()))
    }

    async fn reserve_emoji_id(&self) -> StoreResult<i64> {
        Ok(self.with(|s| {
            let id = s.emojis.iter().map(|e| e.id + 1).fold(s.next_emoji_id, i64::max);
            s.next_emoji_id = id + 1;
            id
        }))
    }

    async fn insert_emoji(&self, emoji: &Emoji) -> StoreResult<bool> {
        Ok(self.with(|s| {
            let key = name_key(&emoji.name);
            if s.emojis.iter().any(|e| e.id == emoji.id || name_key(&e.name) == key) {
                return false;
            }
            let at = s.emojis.partition_point(|e| e.id < emoji.id);
            s.emojis.insert(at, emoji.clone());
            s.next_emoji_id = s.next_emoji_id.max(emoji.id + 1);
            true
        }))
    }

    async fn rename_emoji(&self, id: i64, name: &str) -> StoreResult<bool> {
        self.with(|s| {
            let key = name_key(name);
            if s.emojis.iter().any(|e| e.id != id && name_key(&e.name) == key) {
                return Err(StoreError::new(StoreErrorKind::Conflict, format!("rename_emoji id={id}"), "name taken"));
            }
            Ok(s.emojis.iter_mut().find(|e| e.id == id).map(|e| e.name = name.to_owned()).is_some())
        })
    }

    async fn delete_emoji(&self, id: i64) -> StoreResult<Option<Emoji>> {
        Ok(self.with(|s| s.emojis.iter().position(|e| e.id == id).map(|i| s.emojis.remove(i))))
    }
}

/// Emoji images in memory, for tests: every image passes the check (the real check
/// decodes; see the `media` adapter), saved files are kept by name.
#[derive(Debug, Default)]
pub struct MemoryImages(std::sync::Mutex<std::collections::HashMap<String, Vec<u8>>>);

impl MemoryImages {
    /// The bytes saved under `file_name`.
    pub fn file(&self, file_name: &str) -> Option<Vec<u8>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).get(file_name).cloned()
    }
}

#[async_trait]
impl application::ports::EmojiImages for MemoryImages {
    async fn check(
        &self,
        _bytes: std::sync::Arc<[u8]>,
        _kind: domain::ImageKind,
        _max_dimension: u32,
    ) -> Result<(), application::ports::ImageProblem> {
        Ok(())
    }

    async fn save(&self, file_name: &str, bytes: &[u8]) -> std::io::Result<()> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(file_name.to_owned(), bytes.to_vec());
        Ok(())
    }

    async fn remove(&self, file_name: &str) -> std::io::Result<()> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(file_name);
        Ok(())
    }
}
