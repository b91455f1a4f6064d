//! Custom emojis of the original: `db/serverEmojis.json` and the images in
//! `db/serverEmojis/` (docs/design/import.md#emojis).
//!
//! Rules: entries need an all-digit key and an object value; the image is the base name of
//! `fileName` and must exist in the source folder (the `<function …>` names that 873cfe1
//! wrote cannot be recovered and are skipped); names are trimmed, and a name that breaks
//! the name rule or clashes case-insensitively with an earlier one is renamed `emoji_<id>`.
//! Orphan image files are not imported. Every skip and rename is reported.

use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;

use super::fingerprint::Fingerprint;
use super::records::{type_name, without_bom};
use application::import::{Issue, SnapshotEmoji};
use codec::records::extras_from;
use domain::ImageKind;

pub use domain::emoji::{safe_file_name, valid_name};

/// The content type of an image, from its leading bytes or else its extension.
pub fn content_type(bytes: &[u8], file_name: &str) -> &'static str {
    match ImageKind::sniff(bytes).or_else(|| ImageKind::of_file_name(file_name)) {
        Some(kind) => kind.content_type(),
        None if file_name.to_ascii_lowercase().ends_with(".svg") => "image/svg+xml",
        None => "application/octet-stream",
    }
}

/// Reads the emoji metadata (`bytes` of `db/serverEmojis.json`) and the images it points
/// at in `image_dir`. The images read are added to `fingerprint`.
pub fn parse_emojis(
    file: &str,
    bytes: &[u8],
    image_dir: &Path,
    fingerprint: &mut Fingerprint,
    issues: &mut Vec<Issue>,
) -> Vec<SnapshotEmoji> {
    let map = match serde_json::from_slice::<Value>(without_bom(bytes)) {
        Ok(Value::Object(m)) => m,
        Ok(other) => {
            issues.push(Issue::file(
                file,
                format!("expected an object, found {}; no emojis imported", type_name(&other)),
            ));
            return vec![];
        }
        Err(e) => {
            issues.push(Issue::file(file, format!("not valid JSON ({e}); no emojis imported")));
            return vec![];
        }
    };
    let mut out = Vec::new();
    let mut names = HashSet::new();
    for (key, value) in &map {
        let skip = |issues: &mut Vec<Issue>, why: String| issues.push(Issue::key(file, key, format!("{why}; skipped")));
        let id = match key.parse::<i64>() {
            Ok(id) if !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit()) => id,
            _ => {
                skip(issues, "the id is not a non-negative integer".into());
                continue;
            }
        };
        let Value::Object(rec) = value else {
            skip(issues, format!("not an emoji record ({})", type_name(value)));
            continue;
        };
        let Some(raw_file) = rec.get("fileName").and_then(Value::as_str) else {
            skip(issues, "no `fileName`".into());
            continue;
        };
        if raw_file.contains("<function") {
            skip(issues, format!("unrecoverable file name {raw_file:?} (written by a broken emoji_add)"));
            continue;
        }
        let base = raw_file.rsplit(['/', '\\']).next().unwrap_or_default().trim();
        if !safe_file_name(base) {
            skip(issues, format!("unusable file name {raw_file:?}"));
            continue;
        }
        let source = image_dir.join(base);
        let image = match std::fs::metadata(&source) {
            Ok(meta) if meta.is_file() => std::fs::read(&source),
            Ok(_) => Err(std::io::Error::other("not a regular file")),
            Err(e) => Err(e),
        };
        let image = match image {
            Ok(b) => b,
            Err(e) => {
                skip(issues, format!("image db/serverEmojis/{base} cannot be read ({e})"));
                continue;
            }
        };
        fingerprint.add(&format!("db/serverEmojis/{base}"), &image);
        let wanted = rec.get("name").and_then(Value::as_str).map(str::trim).unwrap_or_default();
        let mut name = wanted.to_owned();
        if !valid_name(wanted) || names.contains(&wanted.to_lowercase()) {
            name = format!("emoji_{id}");
            let mut n = 2;
            while names.contains(&name.to_lowercase()) {
                name = format!("emoji_{id}_{n}");
                n += 1;
            }
            let why = if valid_name(wanted) { "clashes with an earlier emoji" } else { "breaks the name rule" };
            issues.push(Issue::key(file, key, format!("name {wanted:?} {why}; imported as {name:?}")));
        }
        names.insert(name.to_lowercase());
        out.push(SnapshotEmoji {
            id,
            name,
            file_name: base.to_owned(),
            content_type: content_type(&image, base).to_owned(),
            byte_size: image.len() as u64,
            source,
            extra: extras_from(rec, &["name", "fileName"]),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_rules_from_the_spec() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("0.png"), b"\x89PNG\r\n\x1a\nrest").unwrap();
        std::fs::write(dir.path().join("1.gif"), b"GIF89a...").unwrap();
        std::fs::write(dir.path().join("party.jpg"), b"\xFF\xD8\xFFxx").unwrap();
        std::fs::write(dir.path().join("orphan.png"), b"x").unwrap();
        let meta = br#"{
            "0": {"name": " blob ", "fileName": "0.png", "author": "me"},
            "1": {"name": "BLOB", "fileName": "db/serverEmojis/1.gif"},
            "2": {"name": "bad name!", "fileName": "party.jpg"},
            "3": {"name": "gone", "fileName": "3.png"},
            "4": {"name": "fn", "fileName": "db/serverEmojis/<function _next_emoji_id at 0x7f>.png"},
            "x": {"name": "nodigits", "fileName": "0.png"},
            "5": "nope",
            "6": {"name": "dots", "fileName": "db/serverEmojis/.hidden.png"},
            "7": {"name": "base", "fileName": "../0.png"}
        }"#;
        let mut fp = Fingerprint::default();
        let mut issues = vec![];
        let emojis = parse_emojis("db/serverEmojis.json", meta, dir.path(), &mut fp, &mut issues);
        let got: Vec<_> = emojis.iter().map(|e| (e.id, e.name.as_str(), e.file_name.as_str())).collect();
        assert_eq!(
            got,
            [(0, "blob", "0.png"), (1, "emoji_1", "1.gif"), (2, "emoji_2", "party.jpg"), (7, "base", "0.png")]
        );
        assert_eq!(emojis[0].content_type, "image/png");
        assert_eq!(emojis[1].content_type, "image/gif");
        assert_eq!(emojis[2].content_type, "image/jpeg");
        assert_eq!(emojis[0].extra.len(), 1);
        assert_eq!(issues.len(), 7, "{issues:#?}");
        let mut bad = vec![];
        assert!(parse_emojis("f", b"[]", dir.path(), &mut fp, &mut bad).is_empty());
        assert!(parse_emojis("f", b"{", dir.path(), &mut fp, &mut bad).is_empty());
        assert_eq!(bad.len(), 2);
    }
}
