//! One import from start to end: plan the files, write the rows (one transaction), put
//! the files in place, commit. Used by `originchats import` and by `storage.import_from`.
//! The reader (`legacy`) and the store (`sql`) meet here through the application's import
//! port.

use std::path::Path;

use application::import::{
    ImportCounts, ImportError, ImportOptions, ImportScope, ImportTarget, Issue, Snapshot, Staged,
};
use legacy::files::{self, FileCounts};

/// What a finished import did.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportSummary {
    /// What was imported.
    pub scope: ImportScope,
    /// Rows written.
    pub counts: ImportCounts,
    /// Files in place.
    pub files: FileCounts,
    /// Everything skipped, renamed or kept, from reading and from writing.
    pub issues: Vec<Issue>,
    /// Facts for the operator (missing optional files, defaults used).
    pub notes: Vec<String>,
}

/// Outcome of [`import_snapshot`].
#[derive(Debug, Clone, PartialEq)]
pub enum ImportOutcome {
    /// This source (same folder, same content) was imported before; nothing changed.
    AlreadyImported {
        /// The stored record of that import (JSON).
        record: String,
    },
    /// Imported.
    Imported(Box<ImportSummary>),
}

/// Why an import failed; nothing was kept.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    /// Refused or failed in the database.
    #[error(transparent)]
    Store(#[from] ImportError),
    /// A file could not be put in place; the transaction was rolled back.
    #[error("putting files in place: {0}")]
    Files(#[from] std::io::Error),
}

/// Imports `snapshot` (as far as `options.scope` reaches) into `store`, copying files
/// under `dest` (the config file's folder). `progress` gets the number of messages
/// handled after each batch.
pub async fn import_snapshot(
    store: &dyn ImportTarget,
    mut snapshot: Snapshot,
    dest: &Path,
    options: ImportOptions,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<ImportOutcome, ImportFailure> {
    snapshot.narrow(options.scope);
    let keys_in_use = store.holds_push_subscriptions().await?;
    let merge = options.merge || options.scope == ImportScope::Push;
    let plan = files::plan(&mut snapshot, dest, merge, keys_in_use);
    let pending = match store.stage_import(&snapshot, options, progress).await? {
        Staged::AlreadyImported { record } => return Ok(ImportOutcome::AlreadyImported { record }),
        Staged::Ready(p) => p,
    };
    let mut installed = plan.execute(pending.emoji_ids())?;
    let counts = pending.counts().clone();
    let mut issues = snapshot.issues;
    issues.extend(plan.issues);
    issues.extend(pending.issues().iter().cloned());
    if let Err(e) = pending.commit().await {
        installed.undo();
        return Err(e.into());
    }
    let scope = options.scope;
    Ok(ImportOutcome::Imported(Box::new(ImportSummary {
        scope,
        counts,
        files: installed.counts,
        issues,
        notes: snapshot.notes,
    })))
}
