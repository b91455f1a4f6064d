//! What may be used as a reaction: exactly one Unicode emoji (custom server emoji come
//! with the emoji feature, docs/design/README.md#decided-not-built-yet).

/// Whether `s` is exactly one Unicode emoji (any qualification, skin tones included).
pub fn is_single_emoji(s: &str) -> bool {
    if s.is_empty() || s.len() > 64 {
        return false;
    }
    // Skin tones and hair components on their own are emoji too (emoji-test.txt lists
    // them as "component"), though the emoji table has no entry for them.
    let mut chars = s.chars();
    if let (Some(c), None) = (chars.next(), chars.next())
        && matches!(c, '\u{1F3FB}'..='\u{1F3FF}' | '\u{1F9B0}'..='\u{1F9B3}')
    {
        return true;
    }
    emojis::get(s).is_some()
        || emojis::get(&format!("{s}\u{fe0f}")).is_some()
        || emojis::get(&s.replace('\u{fe0f}', "")).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_single_emoji_only() {
        for ok in ["👍", "❤️", "❤", "👍🏽", "🏳️‍🌈", "👨‍👩‍👧", "🏽", "🦰"] {
            assert!(is_single_emoji(ok), "{ok}");
        }
        for bad in ["", "a", "👍👍", ":+1:", "👍 ", "originChats://x/emojis/1", "🏽🏽"] {
            assert!(!is_single_emoji(bad), "{bad}");
        }
    }
}
