//! Custom emoji: the name rule, the image kinds a server accepts, bare file names that are
//! safe to serve, and the record itself (docs/design/emojis.md).

use crate::UserId;

/// Longest emoji name, in characters (all ASCII).
pub const MAX_NAME_LEN: usize = 64;

/// Longest file name the emoji folder serves, in bytes.
pub const MAX_FILE_NAME_BYTES: usize = 255;

/// Whether `name` follows the emoji name rule `[A-Za-z0-9_]{1,64}` as it is (untrimmed).
pub fn valid_name(name: &str) -> bool {
    (1..=MAX_NAME_LEN).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A requested name, trimmed, when it follows the name rule.
pub fn parse_name(raw: &str) -> Option<String> {
    let name = raw.trim();
    valid_name(name).then(|| name.to_owned())
}

/// The key under which names are unique: names differing only in ASCII case clash.
pub fn name_key(name: &str) -> String {
    name.trim().to_ascii_lowercase()
}

/// Whether `name` is one bare, visible file name: 1–255 bytes, no separator (`/`, `\`),
/// no control character, not starting with `.`, no `..`, not a drive (`C:`). Such a name
/// joined to a folder can only name a file directly inside it.
pub fn safe_file_name(name: &str) -> bool {
    let drive = name.len() >= 2 && name.as_bytes()[1] == b':';
    let bad_char = name.chars().any(|c| c == '/' || c == '\\' || c.is_control());
    let hidden_or_up = name.starts_with('.') || name.contains("..");
    (1..=MAX_FILE_NAME_BYTES).contains(&name.len()) && !drive && !bad_char && !hidden_or_up
}

/// The image formats an emoji may have. Anything else (SVG, HTML, BMP, …) is refused,
/// whatever a name or a declared type claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageKind {
    /// `GIF87a` / `GIF89a`, possibly animated.
    Gif,
    /// PNG, possibly animated (APNG).
    Png,
    /// JPEG.
    Jpeg,
    /// WebP, possibly animated.
    Webp,
}

impl ImageKind {
    /// Every kind.
    pub const ALL: [ImageKind; 4] = [ImageKind::Gif, ImageKind::Png, ImageKind::Jpeg, ImageKind::Webp];

    /// The kind the leading bytes announce, if any.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(Self::Gif)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else {
            None
        }
    }

    /// The kind a file extension names (`jpg` and `jpeg` are the same), ignoring case.
    pub fn from_extension(ext: &str) -> Option<Self> {
        match ext.to_ascii_lowercase().as_str() {
            "gif" => Some(Self::Gif),
            "png" => Some(Self::Png),
            "jpg" | "jpeg" => Some(Self::Jpeg),
            "webp" => Some(Self::Webp),
            _ => None,
        }
    }

    /// The kind of a file name, by its extension.
    pub fn of_file_name(name: &str) -> Option<Self> {
        Self::from_extension(name.rsplit_once('.')?.1)
    }

    /// The extension stored files of this kind get.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Gif => "gif",
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::Webp => "webp",
        }
    }

    /// The content type files of this kind are served with.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Gif => "image/gif",
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
        }
    }
}

/// One custom emoji.
#[derive(Debug, Clone, PartialEq)]
pub struct Emoji {
    /// Its id; ids are never reused, even after a delete.
    pub id: i64,
    /// Its name as shown (unique ignoring ASCII case).
    pub name: String,
    /// The image's bare file name inside the emoji folder (`3.gif`).
    pub file_name: String,
    /// The content type detected from the image's bytes.
    pub content_type: String,
    /// The image's size in bytes.
    pub byte_size: u64,
    /// Who added it (`None` for imported emoji).
    pub created_by: Option<UserId>,
    /// When it was added (or imported), Unix seconds.
    pub created_at: crate::UnixSeconds,
}

impl Emoji {
    /// The file name of emoji `id` holding an image of `kind`.
    pub fn file_name_for(id: i64, kind: ImageKind) -> String {
        format!("{id}.{}", kind.extension())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_follow_the_rule_after_trimming() {
        assert_eq!(parse_name("  party_blob1 ").as_deref(), Some("party_blob1"));
        for bad in ["", "   ", "bad name", "émoji", "a-b", ":x:", &"a".repeat(65)] {
            assert_eq!(parse_name(bad), None, "{bad:?}");
        }
        assert!(valid_name(&"a".repeat(64)));
        assert_eq!(name_key(" PartyBlob "), "partyblob");
    }

    #[test]
    fn kinds_come_from_leading_bytes_and_extensions() {
        assert_eq!(ImageKind::sniff(b"GIF89a\x01\x00"), Some(ImageKind::Gif));
        assert_eq!(ImageKind::sniff(b"\x89PNG\r\n\x1a\nrest"), Some(ImageKind::Png));
        assert_eq!(ImageKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(ImageKind::Jpeg));
        assert_eq!(ImageKind::sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(ImageKind::Webp));
        for other in [&b"<svg xmlns='http://www.w3.org/2000/svg'/>"[..], b"<html>", b"BM\0\0", b"", b"RIFF"] {
            assert_eq!(ImageKind::sniff(other), None);
        }
        assert_eq!(ImageKind::from_extension("JPEG"), Some(ImageKind::Jpeg));
        assert_eq!(ImageKind::of_file_name("x.html.gif"), Some(ImageKind::Gif));
        assert_eq!(ImageKind::of_file_name("evil.svg"), None);
        assert_eq!(Emoji::file_name_for(3, ImageKind::Jpeg), "3.jpg");
    }

    #[test]
    fn file_name_safety() {
        for ok in ["3.gif", "party_blob.png", "a", "x.html.gif"] {
            assert!(safe_file_name(ok), "{ok}");
        }
        for bad in ["", ".gitkeep", "../x.png", "a/b.png", "a\\b", "C:x.png", "x\u{1}.png", "a..b", "x\0"] {
            assert!(!safe_file_name(bad), "{bad:?}");
        }
        assert!(!safe_file_name(&"a".repeat(256)));
    }

    proptest! {
        /// A safe name is one path component that stays where it is joined.
        #[test]
        fn safe_names_are_single_visible_components(name in "\\PC{0,40}") {
            if safe_file_name(&name) {
                let path = std::path::Path::new("/base").join(&name);
                prop_assert_eq!(path.parent(), Some(std::path::Path::new("/base")));
                prop_assert_eq!(path.file_name().and_then(|n| n.to_str()), Some(name.as_str()));
            }
        }

        /// Parsed names are trimmed, valid, and parse to themselves.
        #[test]
        fn parsed_names_are_fixed_points(raw in "[ a-zA-Z0-9_\\-]{0,70}") {
            if let Some(name) = parse_name(&raw) {
                prop_assert!(valid_name(&name));
                prop_assert_eq!(parse_name(&name), Some(name.clone()));
            }
        }
    }
}
