//! Putting the original's files into this server's layout, relative to the config file's
//! folder (docs/design/configuration.md#file-layout, docs/design/import.md#files): `vapid/`, `db/serverEmojis/`, `db/serverAssets/`.
//!
//! [`plan`] decides what to copy without writing; [`FilePlan::execute`] copies (each file
//! through a temporary name and a rename) and returns what it created so that
//! [`Installed::undo`] can remove it again when the database transaction fails.
//!
//! When replacing the start-up defaults, files that differ are overwritten (nothing in
//! the database refers to them yet). When merging, this server's files win: a different
//! emoji image of the same name is imported under a new name and a different server asset
//! is kept. This server's VAPID keys win over different ones of the original while its
//! database holds push subscriptions (made with them): then the imported subscriptions,
//! which belong to the original's keys, are left out and reported. Keys no subscription
//! depends on (those a fresh server generated at its first start) are replaced.

use std::path::{Path, PathBuf};

use application::import::Issue;
use application::import::Snapshot;

/// What kind of file a copy is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Vapid,
    Emoji(i64),
    Asset,
}

#[derive(Debug, Clone)]
struct Copy {
    from: PathBuf,
    to: PathBuf,
    kind: Kind,
}

/// Files in place after an import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileCounts {
    /// VAPID key files copied or already identical.
    pub vapid: u64,
    /// Emoji images copied or already identical.
    pub emoji_images: u64,
    /// Server assets copied or already identical.
    pub assets: u64,
}

/// The copies an import will make.
#[derive(Debug, Default)]
pub struct FilePlan {
    copies: Vec<Copy>,
    in_place: Vec<Kind>,
    /// Decisions worth reporting (renamed images, kept files).
    pub issues: Vec<Issue>,
}

/// Files created by [`FilePlan::execute`].
#[derive(Debug, Default)]
pub struct Installed {
    created: Vec<PathBuf>,
    /// What is in place now.
    pub counts: FileCounts,
}

fn same_content(a: &Path, b: &Path) -> bool {
    match (std::fs::read(a), std::fs::read(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

fn name_of(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

impl FilePlan {
    fn add(&mut self, from: &Path, to: PathBuf, kind: Kind) {
        if to.is_file() && same_content(from, &to) {
            self.in_place.push(kind);
        } else {
            self.copies.push(Copy { from: from.to_path_buf(), to, kind });
        }
    }

    /// Copies everything planned; emoji images only for the emoji ids in `emoji_ids` (the
    /// ones the database import wrote). On failure, removes what it had created.
    pub fn execute(&self, emoji_ids: &[i64]) -> std::io::Result<Installed> {
        let wanted = |k: &Kind| match k {
            Kind::Emoji(id) => emoji_ids.contains(id),
            _ => true,
        };
        let mut done = Installed::default();
        for kind in self.in_place.iter().filter(|k| wanted(k)) {
            done.count(*kind);
        }
        for c in self.copies.iter().filter(|c| wanted(&c.kind)) {
            if let Err(e) = copy_into_place(&c.from, &c.to, &mut done.created) {
                done.undo();
                return Err(std::io::Error::new(e.kind(), format!("copying to {}: {e}", c.to.display())));
            }
            done.count(c.kind);
        }
        Ok(done)
    }
}

fn copy_into_place(from: &Path, to: &Path, created: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let existed = to.exists();
    let tmp = to.with_file_name(format!(".{}.import-tmp", name_of(to)));
    let result = std::fs::copy(from, &tmp).and_then(|_| std::fs::rename(&tmp, to));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    } else if !existed {
        created.push(to.to_path_buf());
    }
    result
}

impl Installed {
    fn count(&mut self, kind: Kind) {
        match kind {
            Kind::Vapid => self.counts.vapid += 1,
            Kind::Emoji(_) => self.counts.emoji_images += 1,
            Kind::Asset => self.counts.assets += 1,
        }
    }

    /// Removes the files this import created (files it overwrote stay overwritten).
    pub fn undo(&mut self) {
        for p in self.created.drain(..).rev() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Decides the copies for `snap` into the server folder `dest`. May rename emoji images
/// (when merging) and drop push subscriptions (when this server has other VAPID keys and
/// `keys_in_use`, i.e. its database holds subscriptions); says so in the plan's issues.
pub fn plan(snap: &mut Snapshot, dest: &Path, merge: bool, keys_in_use: bool) -> FilePlan {
    let mut plan = FilePlan::default();
    let vapid_dir = dest.join("vapid");
    let source_key = snap.vapid_files.iter().find(|p| name_of(p) == "private_key.pem");
    let dest_key = vapid_dir.join("private_key.pem");
    let conflict = keys_in_use && source_key.is_some_and(|k| dest_key.is_file() && !same_content(k, &dest_key));
    if conflict {
        let n = snap.push.len();
        snap.push.clear();
        let msg = format!(
            "this server already has other VAPID keys; kept them, so the {n} imported push subscriptions \
             (made for the original's keys) were not imported"
        );
        plan.issues.push(Issue::file("vapid/private_key.pem", msg));
    } else {
        for f in &snap.vapid_files {
            plan.add(f, vapid_dir.join(name_of(f)), Kind::Vapid);
        }
    }

    let emoji_dir = dest.join("db").join("serverEmojis");
    for e in &mut snap.emojis {
        let mut to = emoji_dir.join(&e.file_name);
        if merge && to.is_file() && !same_content(&e.source, &to) {
            let mut n = 1;
            let mut name = format!("imported-{}-{}", e.id, e.file_name);
            to = emoji_dir.join(&name);
            while to.is_file() && !same_content(&e.source, &to) {
                n += 1;
                name = format!("imported-{}-{n}-{}", e.id, e.file_name);
                to = emoji_dir.join(&name);
            }
            let msg = format!("this server has another image named {:?}; imported as {name:?}", e.file_name);
            plan.issues.push(Issue::key("db/serverEmojis.json", &e.id.to_string(), msg));
            e.file_name = name;
        }
        plan.add(&e.source, to, Kind::Emoji(e.id));
    }

    let asset_dir = dest.join("db").join("serverAssets");
    for f in &snap.asset_files {
        let to = asset_dir.join(name_of(f));
        if merge && to.is_file() && !same_content(f, &to) {
            let rel = format!("db/serverAssets/{}", name_of(f));
            plan.issues.push(Issue::file(&rel, "this server has its own file of that name; kept it"));
            continue;
        }
        plan.add(f, to, Kind::Asset);
    }
    plan
}
