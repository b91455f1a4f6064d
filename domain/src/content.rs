//! Message text, parsed once at the edge: stripped, non-empty, within `limits.post_content`.

/// Why a message text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    /// Nothing left after stripping whitespace.
    #[error("empty")]
    Empty,
    /// More code points than allowed.
    #[error("too long (limit {0})")]
    TooLong(usize),
}

/// Valid message text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageContent(String);

impl MessageContent {
    /// Strips surrounding whitespace and checks emptiness and the length in code points.
    pub fn parse(raw: &str, max_chars: usize) -> Result<Self, ContentError> {
        let text = raw.trim();
        if text.is_empty() {
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
