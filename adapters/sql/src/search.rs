//! Substring search over `messages.content_lower` (docs/design/messages.md#search): an exact LIKE with
//! `%`/`_`/`\` escaped gives the same answer on both backends; queries of three or more
//! characters are narrowed first by the backend's substring index (SQLite FTS5 trigram;
//! Postgres uses its pg_trgm index for the LIKE by itself).

use sea_orm::DbBackend;
use sea_orm::sea_query::{Expr, LikeExpr, SimpleExpr};

/// `%needle%` with LIKE's special characters escaped by `\`.
pub fn contains_pattern(needle: &str) -> LikeExpr {
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

/// An index-backed pre-filter for long enough needles, where the backend needs one.
pub fn index_prefilter(backend: DbBackend, needle: &str) -> Option<SimpleExpr> {
    if backend != DbBackend::Sqlite || needle.chars().count() < 3 {
        return None;
    }
    let phrase = format!("\"{}\"", needle.replace('"', "\"\""));
    Some(Expr::cust_with_values("seq IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)", [phrase]))
}
