//! What may be used as a reaction: exactly one Unicode emoji, or a custom emoji of some
//! server in the web client's form `originChats://<server>/emojis/<id>`
//! (docs/design/emojis.md#reactions).

/// Longest reaction key, in bytes.
pub const MAX_REACTION_BYTES: usize = 256;

/// The prefix of a custom-emoji reaction.
pub const CUSTOM_PREFIX: &str = "originChats://";

/// A reaction key, once recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReactionKey<'a> {
    /// One Unicode emoji.
    Unicode,
    /// Custom emoji `id` of the server at `host` (as the client writes it: a host name,
    /// possibly with a port).
    Custom {
        /// The server's address.
        host: &'a str,
        /// The emoji's id on that server.
        id: i64,
    },
}

impl<'a> ReactionKey<'a> {
    /// Recognises `s`; `None` when it is neither form.
    pub fn parse(s: &'a str) -> Option<Self> {
        if is_single_emoji(s) {
            return Some(Self::Unicode);
        }
        custom(s).map(|(host, id)| Self::Custom { host, id })
    }
}

/// `originChats://<host>[/<path>]/emojis/<1–10 digits>`, no whitespace, at most
/// [`MAX_REACTION_BYTES`]: the host and the id.
fn custom(s: &str) -> Option<(&str, i64)> {
    if s.len() > MAX_REACTION_BYTES || s.chars().any(char::is_whitespace) {
        return None;
    }
    let rest = s.strip_prefix(CUSTOM_PREFIX)?;
    let slash = rest.find('/')?;
    let (host, path) = rest.split_at(slash);
    let (_, digits) = path.rsplit_once("/emojis/")?;
    let id_ok = (1..=10).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    if host.is_empty() || host.len() > 253 || !id_ok {
        return None;
    }
    Some((host, digits.parse().ok()?))
}

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
    use proptest::prelude::*;

    #[test]
    fn recognises_single_emoji_only() {
        for ok in ["👍", "❤️", "❤", "👍🏽", "🏳️‍🌈", "👨‍👩‍👧", "🏽", "🦰"] {
            assert!(is_single_emoji(ok), "{ok}");
        }
        for bad in ["", "a", "👍👍", ":+1:", "👍 ", "originChats://x/emojis/1", "🏽🏽"] {
            assert!(!is_single_emoji(bad), "{bad}");
        }
    }

    #[test]
    fn recognises_custom_emoji_of_any_server() {
        let key = |s| ReactionKey::parse(s);
        assert_eq!(key("👍"), Some(ReactionKey::Unicode));
        assert_eq!(
            key("originChats://chats.example.com/emojis/3"),
            Some(ReactionKey::Custom { host: "chats.example.com", id: 3 })
        );
        assert_eq!(
            key("originChats://127.0.0.1:5613/emojis/0012"),
            Some(ReactionKey::Custom { host: "127.0.0.1:5613", id: 12 })
        );
        assert_eq!(key("originChats://h/sub/path/emojis/9"), Some(ReactionKey::Custom { host: "h", id: 9 }));
        for bad in [
            "originChats://x/emojis/",
            "originChats://x/emojis/3a",
            "originChats://x/emojis/12345678901",
            "originChats:///emojis/3",
            "originChats://x y/emojis/3",
            "originchats://x/emojis/3",
            "https://x/emojis/3",
            "originChats://x/emoji/3",
            ":wave:",
            "👍👍",
        ] {
            assert_eq!(key(bad), None, "{bad}");
        }
        let long = format!("originChats://{}/emojis/1", "h".repeat(250));
        assert_eq!(key(&long), None, "over {MAX_REACTION_BYTES} bytes");
    }

    proptest! {
        /// Every well-formed custom key is recognised with its host and id.
        #[test]
        fn custom_keys_round_trip(host in "[a-z0-9.\\-]{1,60}(:[0-9]{1,5})?", id in 0i64..=9_999_999_999) {
            let s = format!("{CUSTOM_PREFIX}{host}/emojis/{id}");
            prop_assert_eq!(ReactionKey::parse(&s), Some(ReactionKey::Custom { host: &host, id }));
        }
    }
}
