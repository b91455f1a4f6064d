//! Mentions inside message text: `@name` for users and `@&name` for roles.

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every `@&name` in `text` (names of `[A-Za-z0-9_]+`), in order, duplicates removed.
pub fn role_mentions(text: &str) -> Vec<&str> {
    names_after(text, "@&")
}

/// Every `@name` not preceded by `&`… i.e. user mentions, in order, duplicates removed.
pub fn user_mentions(text: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for (i, _) in text.match_indices('@') {
        let rest = &text[i + 1..];
        if rest.starts_with('&') {
            continue;
        }
        let end = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
        let name = &rest[..end];
        if !name.is_empty() && !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// Whether `text` mentions `@name` as a whole word (not followed by `[A-Za-z0-9_]`).
pub fn mentions_name(text: &str, name: &str) -> bool {
    mentions_marked(text, "@", name)
}

/// Whether `text` mentions the role `@&role` as a whole word.
pub fn mentions_role(text: &str, role: &str) -> bool {
    mentions_marked(text, "@&", role)
}

fn mentions_marked(text: &str, marker: &str, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let needle = format!("{marker}{name}");
    text.match_indices(&needle).any(|(i, _)| {
        let after = text[i + needle.len()..].chars().next();
        let role_marker = marker == "@" && text[i + 1..].starts_with('&');
        !role_marker && !after.is_some_and(is_name_char)
    })
}

fn names_after<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for (i, _) in text.match_indices(marker) {
        let rest = &text[i + marker.len()..];
        let end = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
        let name = &rest[..end];
        if !name.is_empty() && !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_word_mentions() {
        assert!(mentions_name("hi @bob!", "bob"));
        assert!(!mentions_name("hi @bobby", "bob"));
        assert!(mentions_name("@bobby and @bob", "bob"));
        assert!(!mentions_name("@&bob", "bob"));
        assert!(mentions_role("ping @&staff.", "staff"));
        assert!(!mentions_role("ping @&staffers", "staff"));
    }

    #[test]
    fn finds_role_and_user_mentions() {
        let t = "hi @bob and @&staff, @&staff again @alice! @&";
        assert_eq!(role_mentions(t), vec!["staff"]);
        assert_eq!(user_mentions(t), vec!["bob", "alice"]);
    }
}
