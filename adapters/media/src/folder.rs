//! The emoji folder: files written whole (a hidden temporary file, flushed, renamed into
//! place) and removed by bare name only.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use application::ports::{EmojiImages, ImageProblem};
use async_trait::async_trait;
use domain::ImageKind;
use domain::emoji::safe_file_name;

/// The folder of emoji images (`db/serverEmojis/` next to the config).
#[derive(Debug)]
pub struct EmojiFolder {
    dir: PathBuf,
    temporaries: AtomicU64,
}

impl EmojiFolder {
    /// The folder at `dir` (created when the first image is saved).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into(), temporaries: AtomicU64::new(0) }
    }

    /// Where the folder is.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path_of(&self, file_name: &str) -> std::io::Result<PathBuf> {
        if !safe_file_name(file_name) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("not a bare file name: {file_name:?}"),
            ));
        }
        Ok(self.dir.join(file_name))
    }
}

/// Runs blocking file work on the blocking pool.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> std::io::Result<T> + Send + 'static) -> std::io::Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(std::io::Error::other)?
}

/// Writes `bytes` to `path` through `temporary`, durably.
fn write_whole(dir: &Path, temporary: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let written = (|| {
        let mut file = std::fs::File::create(temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(temporary);
    }
    written?;
    // The rename itself survives a crash once the folder is synced (where folders can be).
    if let Err(e) = std::fs::File::open(dir).and_then(|d| d.sync_all()) {
        tracing::debug!(error = %e, "syncing the emoji folder");
    }
    Ok(())
}

#[async_trait]
impl EmojiImages for EmojiFolder {
    async fn check(&self, bytes: Arc<[u8]>, kind: ImageKind, max_dimension: u32) -> Result<(), ImageProblem> {
        let checked = tokio::task::spawn_blocking(move || crate::check(&bytes, kind, max_dimension)).await;
        checked.unwrap_or_else(|e| {
            // A decoder that panics on hostile input refuses it.
            tracing::warn!(error = %e, "an image check failed unexpectedly");
            Err(ImageProblem::Invalid)
        })
    }

    async fn save(&self, file_name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path_of(file_name)?;
        let n = self.temporaries.fetch_add(1, Ordering::Relaxed);
        let temporary = self.dir.join(format!(".{file_name}.{}.{n}.tmp", std::process::id()));
        let (dir, bytes) = (self.dir.clone(), bytes.to_vec());
        blocking(move || write_whole(&dir, &temporary, &path, &bytes)).await
    }

    async fn remove(&self, file_name: &str) -> std::io::Result<()> {
        let path = self.path_of(file_name)?;
        blocking(move || match std::fs::remove_file(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_are_written_whole_and_removed_by_bare_name_only() {
        let root = tempfile::tempdir().unwrap();
        let folder = EmojiFolder::new(root.path().join("db/serverEmojis"));
        folder.save("3.gif", b"GIF89a").await.unwrap();
        assert_eq!(std::fs::read(folder.dir().join("3.gif")).unwrap(), b"GIF89a");
        let names: Vec<_> = std::fs::read_dir(folder.dir()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["3.gif"], "no temporary file is left");
        std::fs::write(root.path().join("db/keep.png"), b"x").unwrap();
        for bad in ["../keep.png", "/etc/passwd", ".hidden", ""] {
            assert!(folder.save(bad, b"x").await.is_err(), "{bad}");
            assert!(folder.remove(bad).await.is_err(), "{bad}");
        }
        assert!(root.path().join("db/keep.png").exists());
        folder.remove("3.gif").await.unwrap();
        folder.remove("3.gif").await.unwrap();
        assert!(!folder.dir().join("3.gif").exists());
    }
}
