//! `originchats import --from <folder> [--merge] [--only push]`, and `storage.import_from`
//! at start-up: the original server's files into the configured store (docs/import.md,
//! docs/design/import.md).
//!
//! The folder is read completely before the database is opened, so a folder whose
//! users.json, roles.json or channels.json cannot be parsed changes nothing at all.
//! Exit status: 0 when imported (even with skipped lines) or already imported; non-zero
//! when aborted or refused — also when a server runs on this configuration (it answers on
//! the admin socket): an import behind its back would leave its caches and connections
//! with data that no longer exists.
//!
//! Every skipped line is reported: the first 200 in the output, and when there are more,
//! all of them in a report file next to config.json whose path the output names.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

mod apply;
#[cfg(test)]
mod tests;

use application::import::{ImportOptions, ImportScope, ImportTarget, Snapshot};
use legacy::read_folder;
use sql::{SqlStore, connect};

use anyhow::{Context, anyhow};
pub use apply::{ImportFailure, ImportOutcome, ImportSummary, import_snapshot};
use indicatif::{ProgressBar, ProgressStyle};

use crate::config;

/// Imports with at least this many messages show a progress bar (on a terminal).
const LARGE_IMPORT: u64 = 10_000;

/// At most this many skipped lines are listed one by one; the rest are counted.
const LISTED_ISSUES: usize = 200;

fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or_default()
}

fn read(from: &Path) -> anyhow::Result<Snapshot> {
    read_folder(from).map_err(|e| anyhow!("import aborted, nothing was written: {e}"))
}

/// Runs `originchats import`; `scope` narrows what is imported (`--only`).
pub fn run(config: Option<PathBuf>, from: &Path, merge: bool, scope: ImportScope) -> anyhow::Result<()> {
    let path = crate::run::config_path(config)?;
    let cfg = config::load(&path)?;
    for w in &cfg.warnings {
        eprintln!("originchats: warning: {w}");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let socket = admin::socket_path(&cfg.base_dir);
    if runtime.block_on(admin::server_answers(&socket)) {
        anyhow::bail!(
            "a server is running on {} (it answers on {}); stop it before importing, nothing was imported",
            path.display(),
            socket.display()
        );
    }
    eprintln!("Reading {} …", from.display());
    let snapshot = read(from)?;
    let total = snapshot.message_count();
    match scope {
        ImportScope::Everything => eprintln!(
            "Read {} users, {} roles, {} channels, {total} messages; writing to {}",
            snapshot.users.len(),
            snapshot.roles.len(),
            snapshot.channels.len(),
            cfg.storage.masked()
        ),
        ImportScope::Push => eprintln!(
            "Read {} push subscriptions; adding them to {} (nothing else is imported)",
            snapshot.push.len(),
            cfg.storage.masked()
        ),
    }
    runtime.block_on(async {
        let db = connect(&cfg.storage).await.with_context(|| format!("opening storage {}", cfg.storage.masked()))?;
        let store = SqlStore::new(db);
        let bar = progress_bar(total);
        let source = snapshot.source.clone();
        let options = ImportOptions { merge, now: now(), scope };
        let outcome = import_snapshot(&store, snapshot, &cfg.base_dir, options, &|n| bar.set_position(n)).await;
        bar.finish_and_clear();
        match outcome.map_err(|e| anyhow!("import of {} not done: {e}", source.display()))? {
            ImportOutcome::AlreadyImported { record } => {
                println!("{} was already imported ({}); nothing to do.", source.display(), imported_when(&record));
            }
            ImportOutcome::Imported(summary) => {
                println!("Imported {} into {}.", source.display(), cfg.storage.masked());
                let report = write_report(&summary, &source, &cfg.base_dir)?;
                for line in summary_lines(&summary, report.as_deref()) {
                    println!("{line}");
                }
            }
        }
        Ok(())
    })
}

fn progress_bar(total: u64) -> ProgressBar {
    if total < LARGE_IMPORT {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} messages, {eta} left") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message("Importing");
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn imported_when(record: &str) -> String {
    let at = serde_json::from_str::<serde_json::Value>(record).ok().and_then(|v| v["imported_at"].as_f64());
    match at {
        Some(t) => format!("recorded at Unix time {t:.0}, {} ago", ago(now() - t)),
        None => "recorded in the database".into(),
    }
}

fn ago(seconds: f64) -> String {
    let s = seconds.max(0.0) as u64;
    match s {
        0..120 => format!("{s} s"),
        120..7200 => format!("{} min", s / 60),
        7200..172_800 => format!("{} h", s / 3600),
        _ => format!("{} days", s / 86_400),
    }
}

/// When more lines were skipped than the summary lists, writes all of them to
/// `import-report-<unix time>.txt` in `dir` (the config folder) and returns its path.
pub fn write_report(s: &ImportSummary, source: &Path, dir: &Path) -> anyhow::Result<Option<PathBuf>> {
    if s.issues.len() <= LISTED_ISSUES {
        return Ok(None);
    }
    let stamp = now() as u64;
    let mut text = format!(
        "originchats import of {} at Unix time {stamp}: {} lines or records skipped or changed\n",
        source.display(),
        s.issues.len()
    );
    for issue in &s.issues {
        text.push_str(&format!("{issue}\n"));
    }
    for n in 0.. {
        let name = if n == 0 { format!("import-report-{stamp}.txt") } else { format!("import-report-{stamp}-{n}.txt") };
        let path = dir.join(name);
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut file) => {
                use std::io::Write;
                file.write_all(text.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
                return Ok(Some(path));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("writing the import report {}", path.display())),
        }
    }
    unreachable!("an unbounded range ends only by returning")
}

/// The end-of-import report: counts per kind, notes, then every skipped line or record
/// with its file and place (the first 200; the rest are in `report`, the file
/// [`write_report`] wrote).
pub fn summary_lines(s: &ImportSummary, report: Option<&Path>) -> Vec<String> {
    let c = &s.counts;
    let mut out = vec![];
    let kept = |n: u64, what: &str| if n > 0 { format!(" ({n} {what})") } else { String::new() };
    let everything = s.scope == ImportScope::Everything;
    if everything {
        out.push(format!("  users               {}{}", c.users, kept(c.users_existing, "already there, kept")));
        out.push(format!("  roles               {}{}", c.roles, kept(c.roles_existing, "already there, kept")));
        out.push(format!("  channels            {}{}", c.channels, kept(c.channels_existing, "already there")));
        if c.threads + c.threads_existing > 0 {
            out.push(format!("  threads             {}{}", c.threads, kept(c.threads_existing, "already there, kept")));
        }
        out.push(format!(
            "  messages            {} ({} pinned, {} replies, {} reactions){}",
            c.messages,
            c.pinned,
            c.replies,
            c.reactions,
            kept(c.messages_existing, "already there, kept")
        ));
        out.push(format!("  custom emojis       {}{}", c.emojis, kept(c.emojis_existing, "already there, kept")));
    }
    out.push(format!(
        "  push subscriptions  {}{}{}",
        c.push,
        kept(c.push_existing, "already there"),
        kept(c.push_unmatched, "without a matching user, skipped")
    ));
    out.push(format!("  VAPID key files     {}", s.files.vapid));
    if everything {
        out.push(format!("  emoji images        {}", s.files.emoji_images));
        out.push(format!("  server assets       {}", s.files.assets));
    }
    if s.files.assets > 0 {
        out.push(
            "Server assets were copied to db/serverAssets/; name them in config.json (server.icon, server.banner) to serve them."
                .into(),
        );
    }
    if c.replaced_defaults {
        out.push("The start-up default roles and channels were replaced.".into());
    }
    for n in &s.notes {
        out.push(format!("Note: {n}"));
    }
    if s.issues.is_empty() {
        out.push("Nothing was skipped.".into());
    } else {
        out.push(format!("Skipped or changed ({}):", s.issues.len()));
        out.extend(s.issues.iter().take(LISTED_ISSUES).map(|i| format!("  {i}")));
        if s.issues.len() > LISTED_ISSUES {
            let rest = s.issues.len() - LISTED_ISSUES;
            match report {
                Some(path) => out.push(format!("  … and {rest} more: every skipped line is in {}", path.display())),
                None => out.push(format!("  … and {rest} more")),
            }
        }
    }
    out
}

/// `storage.import_from` at start-up: imports the folder when the database holds only the
/// start-up defaults (or nothing); otherwise does nothing. A failed import stops start-up.
pub async fn at_start(store: &SqlStore, from: &Path, dest: &Path) -> anyhow::Result<()> {
    if !store.holds_only_defaults().await? {
        tracing::info!(from = %from.display(), "storage.import_from: the database already holds data; not importing");
        return Ok(());
    }
    tracing::info!(from = %from.display(), "storage.import_from: importing the original server's data");
    let snapshot = read(from).context("storage.import_from")?;
    let options = ImportOptions { merge: false, now: now(), scope: ImportScope::Everything };
    let outcome = import_snapshot(store, snapshot, dest, options, &|_| {})
        .await
        .map_err(|e| anyhow!("storage.import_from {}: {e}", from.display()))?;
    match outcome {
        ImportOutcome::AlreadyImported { .. } => tracing::info!("storage.import_from: already imported"),
        ImportOutcome::Imported(summary) => {
            let report = write_report(&summary, from, dest)?;
            for line in summary_lines(&summary, report.as_deref()) {
                tracing::info!("import: {}", line.trim());
            }
        }
    }
    Ok(())
}
