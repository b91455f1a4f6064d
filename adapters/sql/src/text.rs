//! Text as the database holds it (docs/design/storage.md#text-on-postgresql).
//!
//! PostgreSQL refuses U+0000 in `text` and `varchar` values, so on Postgres every text value
//! is escaped on its way in and unescaped on its way out, with [`ESC`], a character of the
//! Unicode private use area: U+0000 is stored as `ESC 0` and `ESC` itself as `ESC e`; every
//! other character is stored as it is. SQLite stores U+0000 and keeps text as it is.
//!
//! The escaping is a bijection applied character by character, so equality, uniqueness
//! and lookups work on escaped text exactly as on the original; lowercased copies are
//! lowercased first and escaped after. A substring of the original is a substring of the
//! escaped text, but the escaped text can also hold an escaped needle that starts in the
//! middle of an `ESC 0` or `ESC e` pair: searches check their rows against the original
//! text ([`TextCodec::contains`]).
//!
//! Every entity lists its text columns once ([`TextColumns`]); the store escapes whole rows
//! before writing them and unescapes whole rows after reading them.

use std::borrow::Cow;

use sea_orm::ActiveValue;
use sea_orm::DbBackend;

/// The escape character: the first code point of the Unicode private use area.
pub const ESC: char = '\u{E000}';

/// What follows [`ESC`] for U+0000.
const NUL_MARK: char = '0';

/// What follows [`ESC`] for [`ESC`] itself.
const ESC_MARK: char = 'e';

/// Escapes U+0000 and [`ESC`]; borrows when there is nothing to escape.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.contains(['\0', ESC]) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\0' => out.extend([ESC, NUL_MARK]),
            ESC => out.extend([ESC, ESC_MARK]),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Reverses [`escape`]. An [`ESC`] that is not followed by `0` or `e` (never written by
/// [`escape`]) is kept as it is.
pub fn unescape(text: &str) -> Cow<'_, str> {
    if !text.contains(ESC) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != ESC {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some(&NUL_MARK) => {
                chars.next();
                out.push('\0');
            }
            Some(&ESC_MARK) => {
                chars.next();
                out.push(ESC);
            }
            _ => out.push(ESC),
        }
    }
    Cow::Owned(out)
}

/// How text is stored on one backend: escaped on Postgres, as it is on SQLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextCodec {
    escaped: bool,
}

impl TextCodec {
    /// The codec of `backend`.
    pub fn of(backend: DbBackend) -> Self {
        Self { escaped: backend == DbBackend::Postgres }
    }

    /// Whether text is escaped.
    pub fn escapes(self) -> bool {
        self.escaped
    }

    /// A value as stored, e.g. to compare a column with.
    pub fn put(self, text: &str) -> String {
        if self.escaped { escape(text).into_owned() } else { text.to_owned() }
    }

    /// A stored value as it was given.
    pub fn get(self, stored: String) -> String {
        if self.escaped {
            match unescape(&stored) {
                Cow::Borrowed(_) => stored,
                Cow::Owned(s) => s,
            }
        } else {
            stored
        }
    }

    /// A row with every text column escaped.
    pub fn store<T: TextColumns>(self, row: T) -> T {
        if self.escaped { row.map_text(&|s| escape(&s).into_owned()) } else { row }
    }

    /// A stored row with every text column unescaped.
    pub fn load<T: TextColumns>(self, row: T) -> T {
        if self.escaped { row.map_text(&|s| self.get(s)) } else { row }
    }

    /// Whether stored (escaped) `haystack` holds `needle` (as given) as a substring of
    /// the original text: the exact check behind a LIKE on escaped text.
    pub fn contains(self, stored_haystack: &str, needle: &str) -> bool {
        if self.escaped { unescape(stored_haystack).contains(needle) } else { stored_haystack.contains(needle) }
    }
}

/// A row type whose text columns can be rewritten all at once.
pub trait TextColumns: Sized {
    /// The row with `f` applied to every text column (absent values stay absent).
    fn map_text(self, f: &dyn Fn(String) -> String) -> Self;
}

/// Applies `f` to an active text value, whatever its state.
pub fn map_active(v: ActiveValue<String>, f: &dyn Fn(String) -> String) -> ActiveValue<String> {
    match v {
        ActiveValue::Set(s) => ActiveValue::Set(f(s)),
        ActiveValue::Unchanged(s) => ActiveValue::Unchanged(f(s)),
        ActiveValue::NotSet => ActiveValue::NotSet,
    }
}

/// Applies `f` to an active optional text value, whatever its state.
pub fn map_active_opt(v: ActiveValue<Option<String>>, f: &dyn Fn(String) -> String) -> ActiveValue<Option<String>> {
    match v {
        ActiveValue::Set(s) => ActiveValue::Set(s.map(f)),
        ActiveValue::Unchanged(s) => ActiveValue::Unchanged(s.map(f)),
        ActiveValue::NotSet => ActiveValue::NotSet,
    }
}

/// Implements [`TextColumns`] for an entity's `Model` and `ActiveModel`, given its text
/// columns (`text`) and optional text columns (`optional`).
macro_rules! text_columns {
    ($module:path; text: [$($t:ident),*]; optional: [$($o:ident),*]) => {
        const _: () = {
            use $module as entity;
            impl $crate::text::TextColumns for entity::Model {
                fn map_text(mut self, f: &dyn Fn(String) -> String) -> Self {
                    $(self.$t = f(self.$t);)*
                    $(self.$o = self.$o.map(f);)*
                    self
                }
            }
            impl $crate::text::TextColumns for entity::ActiveModel {
                fn map_text(mut self, f: &dyn Fn(String) -> String) -> Self {
                    $(self.$t = $crate::text::map_active(self.$t, f);)*
                    $(self.$o = $crate::text::map_active_opt(self.$o, f);)*
                    self
                }
            }
        };
    };
}
pub(crate) use text_columns;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_round_trips_and_never_stores_nul() {
        let e = ESC;
        for text in [
            String::new(),
            "plain".into(),
            "\0".into(),
            format!("{e}"),
            format!("{e}0"),
            format!("{e}e"),
            format!("a\0b{e}c\0\0{e}{e}0e"),
            format!("\0{e}\0"),
        ] {
            let stored = escape(&text);
            assert!(!stored.contains('\0'), "{stored:?}");
            assert_eq!(unescape(&stored), text, "{text:?}");
        }
        assert_eq!(escape("a\0b"), format!("a{e}0b"));
        assert_eq!(escape(&format!("{e}")), format!("{e}e"));
        assert!(matches!(escape("nothing to do"), Cow::Borrowed(_)));
        assert_eq!(unescape(&format!("x{e}")), format!("x{e}"), "a lone escape stays");
        assert_eq!(unescape(&format!("{e}z")), format!("{e}z"));
    }

    #[test]
    fn escaping_is_injective_on_distinct_texts() {
        let alphabet = ['\0', ESC, '0', 'e', 'a'];
        let mut all = vec![String::new()];
        for _ in 0..3 {
            let longer: Vec<String> =
                all.iter().flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}"))).collect();
            all.extend(longer);
        }
        all.sort();
        all.dedup();
        let mut stored: Vec<String> = all.iter().map(|s| escape(s).into_owned()).collect();
        stored.sort();
        stored.dedup();
        assert_eq!(stored.len(), all.len());
    }

    #[test]
    fn the_exact_check_rejects_a_match_inside_an_escape_pair() {
        let pg = TextCodec::of(DbBackend::Postgres);
        let stored = escape("a\0b");
        assert!(stored.contains(escape("0b").as_ref()), "the LIKE alone would match");
        assert!(!pg.contains(&stored, "0b"));
        assert!(pg.contains(&stored, "\0b"));
        let sqlite = TextCodec::of(DbBackend::Sqlite);
        assert_eq!(sqlite.put("a\0b"), "a\0b");
        assert!(sqlite.contains("a\0b", "\0b"));
    }
}
