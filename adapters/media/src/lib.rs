//! Emoji images (docs/design/emojis.md#images): [`check`] decides whether uploaded bytes
//! are one whole image within the limits, and [`EmojiFolder`] keeps the accepted files in
//! `db/serverEmojis/`. Both run on the blocking pool, never on the async workers.

mod check;
mod folder;

pub use check::{MAX_DECODED_PIXELS, MAX_FRAMES, check};
pub use folder::EmojiFolder;
