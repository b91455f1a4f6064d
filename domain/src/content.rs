//! Message text, parsed once at the edge: stripped, non-empty, within `limits.post_content`.

/// Why a message text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    /// Nothing left after stripping whitespace, or nothing visible at all.
    #[error("empty")]
    Empty,
    /// More code points than allowed.
    #[error("too long (limit {0})")]
    TooLong(usize),
}

/// Valid message text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageContent(String);

/// Characters that make no visible text on their own: zero-width space, joiners and
/// non-joiner, word joiner, the byte-order mark, soft hyphen, directional marks, invisible
/// operators, variation selectors, the Hangul fillers and the blank Braille pattern. Inside
/// text (a joined emoji, say) they are kept.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{180E}'
            | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}'
            | '\u{2800}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

impl MessageContent {
    /// Strips surrounding whitespace and checks emptiness (text made only of whitespace
    /// and invisible format characters is empty) and the length in code points.
    pub fn parse(raw: &str, max_chars: usize) -> Result<Self, ContentError> {
        let text = raw.trim();
        if text.chars().all(|c| c.is_whitespace() || is_invisible(c)) {
            return Err(ContentError::Empty);
        }
        if text.chars().count() > max_chars {
            return Err(ContentError::TooLong(max_chars));
        }
        Ok(Self(text.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Takes the text out.
    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn strips_and_checks() {
        assert_eq!(MessageContent::parse("  hi \n", 10).unwrap().as_str(), "hi");
        assert_eq!(MessageContent::parse(" \t ", 10), Err(ContentError::Empty));
        assert_eq!(MessageContent::parse("ééé", 3).unwrap().as_str(), "ééé");
        assert_eq!(MessageContent::parse("éééé", 3), Err(ContentError::TooLong(3)));
    }

    #[test]
    fn invisible_text_is_empty_but_joined_emoji_are_kept() {
        for invisible in ["\u{200B}", "\u{200B}\u{200D}\u{2060}\u{FEFF}", " \u{200B} \n\u{FEFF} ", "\u{E0041}\u{180E}"]
        {
            assert_eq!(MessageContent::parse(invisible, 10), Err(ContentError::Empty), "{invisible:?}");
        }
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}";
        assert_eq!(MessageContent::parse(family, 10).unwrap().as_str(), family);
        assert_eq!(MessageContent::parse("a\u{200B}b", 10).unwrap().as_str(), "a\u{200B}b");
    }

    proptest! {
        #[test]
        fn parsed_content_is_trimmed_and_bounded(s in "\\PC{0,40}", max in 1usize..30) {
            if let Ok(c) = MessageContent::parse(&s, max) {
                prop_assert_eq!(c.as_str(), c.as_str().trim());
                prop_assert!(!c.as_str().is_empty());
                prop_assert!(c.as_str().chars().count() <= max);
            }
        }
    }
}
