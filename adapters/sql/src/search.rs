//! Substring search over `messages.content_lower` (docs/design/messages.md#search): an exact match of
//! the (lowercased) needle, every character literal, with the same answer on both
//! backends. Needles of three or more characters are narrowed first by the backend's
//! substring index (SQLite FTS5 trigram, with the rows it does not hold yet; Postgres uses
//! its pg_trgm index for the LIKE by itself).
//!
//! SQLite matches with `instr`, which compares the whole value byte for byte; its LIKE
//! stops at the first U+0000 of the text or the pattern, and folds ASCII case.
//!
//! Needles are given as stored: on Postgres, escaped like the text (text.rs). An escaped
//! needle can then also match across an escape pair, so the caller checks each row
//! against the original text.

use sea_orm::sea_query::{Expr, LikeExpr, SimpleExpr};
use sea_orm::{ColumnTrait, DbBackend};

use super::entities::messages;

/// `content_lower` contains `needle` (lowercased and stored form already), every character
/// literal.
pub fn content_contains(backend: DbBackend, needle: &str) -> SimpleExpr {
    match backend {
        DbBackend::Sqlite => Expr::cust_with_values("instr(content_lower, ?) > 0", [needle]),
        _ => messages::Column::ContentLower.like(contains_pattern(needle)),
    }
}

/// `%needle%` with LIKE's special characters escaped by `\`.
fn contains_pattern(needle: &str) -> LikeExpr {
    let mut escaped = String::with_capacity(needle.len() + 2);
    escaped.push('%');
    for ch in needle.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(ch);
    }
    escaped.push('%');
    LikeExpr::new(escaped).escape('\\')
}

/// An index-backed pre-filter for long enough needles, where the backend needs one. None
/// for a needle with U+0000, which an FTS5 query cannot hold.
pub fn index_prefilter(backend: DbBackend, needle: &str) -> Option<SimpleExpr> {
    if backend != DbBackend::Sqlite || needle.chars().count() < 3 || needle.contains('\0') {
        return None;
    }
    let phrase = format!("\"{}\"", needle.replace('"', "\"\""));
    // The index holds the rows up to its mark; newer rows are matched by themselves
    // (search_index.rs). One statement reads both from one snapshot.
    let candidates = format!(
        "seq IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? UNION ALL {})",
        super::search_index::UNINDEXED_SEQS
    );
    Some(Expr::cust_with_values(candidates, [phrase]))
}
