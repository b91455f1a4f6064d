//! Mentions inside message text: `@name` for users and `@&name` for roles; and the
//! mention targets behind `pings_get` (docs/design/messages.md#pings-list).

use crate::{Message, User};

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Whether `name` can be mentioned as a token: one or more of `[A-Za-z0-9_]`.
pub fn is_mention_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(is_name_char)
}

/// The target of a user mention: `@` and the lowercased name.
fn user_target(lowercased: &str) -> String {
    format!("@{lowercased}")
}

/// The target of a role mention: `@&` and the role name as it is.
fn role_target(role: &str) -> String {
    format!("@&{role}")
}

/// The target of a reply that pings: `reply:` and the replied author's id.
fn reply_target(author: &crate::UserId) -> String {
    format!("reply:{}", author.0)
}

/// What a message pings, as targets a user may answer to ([`user_targets`]), in order,
/// without duplicates:
///
/// - `@<name>` for each user mention token of the lowercased content (what
///   [`user_mentions`] finds in `content.to_lowercase()`: `@` not followed by `&`, then the
///   longest run of `[a-z0-9_]`);
/// - `@&<role>` for each role mention token of the content as it is ([`role_mentions`];
///   role names are case-sensitive);
/// - `reply:<author id>` when it replies to someone and is not silent (`ping` is not
///   `Some(false)`).
///
/// The user tokens are read from the lowercased text, not lowercased after: the two differ
/// only where a character lowercases into a name character (`İ` U+0130 becomes `i̇`, the
/// Kelvin sign U+212A becomes `k`), and the lowercased text is what the mention test of
/// `pings_get` has always read.
pub fn message_targets(m: &Message) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |t: String| {
        if !out.contains(&t) {
            out.push(t);
        }
    };
    for name in user_mentions(&m.content.to_lowercase()) {
        add(user_target(name));
    }
    for role in role_mentions(&m.content) {
        add(role_target(role));
    }
    if let Some(r) = &m.reply_to
        && m.ping != Some(false)
    {
        add(reply_target(&r.author));
    }
    out
}

/// The targets a user answers to: `@<display name, lowercased>` and `@&<role>` for each of
/// their roles, each only when it can be mentioned as a token ([`is_mention_name`]), and
/// `reply:<their id>`.
pub fn user_targets(user: &User) -> Vec<String> {
    let mut out = Vec::new();
    let name = user.display_name().to_lowercase();
    if is_mention_name(&name) {
        out.push(user_target(&name));
    }
    for role in &user.roles {
        let target = role_target(role);
        if is_mention_name(role) && !out.contains(&target) {
            out.push(target);
        }
    }
    out.push(reply_target(&user.id));
    out
}

/// Whether `m` pings `user`: they share a target.
pub fn pings(m: &Message, user: &User) -> bool {
    let theirs = user_targets(user);
    message_targets(m).iter().any(|t| theirs.contains(t))
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
    use crate::{ReplyRef, UserId};
    use proptest::prelude::*;

    /// The rule `pings_get` applied to every message before the targets existed, kept as
    /// the reference: a whole-word `@name` in the lowercased content, an `@&role` of one of
    /// their roles, or a reply to them that is not silent.
    fn predicate(m: &Message, user: &User) -> bool {
        let name = user.display_name().to_lowercase();
        let mentioned =
            mentions_name(&m.content.to_lowercase(), &name) || user.roles.iter().any(|r| mentions_role(&m.content, r));
        let replied = m.reply_to.as_ref().is_some_and(|r| r.author == user.id) && m.ping != Some(false);
        mentioned || replied
    }

    fn user(id: &str, name: Option<&str>, roles: &[&str]) -> User {
        User {
            id: UserId(id.into()),
            username: name.map(str::to_owned),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            validator: None,
            extra: vec![],
            timeout_until: None,
            profile: Default::default(),
        }
    }

    fn message(content: &str, reply_to: Option<&str>, ping: Option<bool>) -> Message {
        Message {
            reply_to: reply_to.map(|a| ReplyRef { id: "p".into(), author: UserId(a.into()) }),
            ping,
            ..Message::new("m".into(), UserId("author".into()), content.into(), 1.0)
        }
    }

    #[test]
    fn targets_of_a_message() {
        let m = message("Hi @Bob and @bob, @&Staff @&staff @&Staff x@al_1! @@eve @&", Some("u-1"), None);
        assert_eq!(message_targets(&m), ["@bob", "@al_1", "@eve", "@&Staff", "@&staff", "reply:u-1"]);
        assert_eq!(message_targets(&message("@bob", Some("u-1"), Some(false))), ["@bob"], "silent reply");
        assert_eq!(message_targets(&message("@bob", Some("u-1"), Some(true))), ["@bob", "reply:u-1"]);
        assert_eq!(message_targets(&message("plain", None, None)), Vec::<String>::new());
        assert_eq!(message_targets(&message("@bob\u{130}", None, None)), ["@bobi"], "read from the lowercased text");
        assert_eq!(message_targets(&message("@\u{212A}im", None, None)), ["@kim"]);
    }

    #[test]
    fn targets_of_a_user() {
        let u = user("u-1", Some("Bob_1"), &["user", "Staff", "mod squad", "user"]);
        assert_eq!(user_targets(&u), ["@bob_1", "@&user", "@&Staff", "reply:u-1"]);
        assert_eq!(user_targets(&user("u-2", None, &[])), ["reply:u-2"], "an id that is not a mention name");
        assert_eq!(user_targets(&user("legacy", None, &[])), ["@legacy", "reply:legacy"], "the id names a legacy user");
        assert_eq!(user_targets(&user("u-3", Some("bob.smith"), &[])), ["reply:u-3"], "not a mention name");
        assert_eq!(user_targets(&user("u-4", Some("&staff"), &[])), ["reply:u-4"], "never a role target");
    }

    #[test]
    fn only_two_characters_lowercase_into_mention_syntax() {
        let special: Vec<char> = (0..=0x10FFFFu32)
            .filter_map(char::from_u32)
            .filter(|c| !is_name_char(*c) && !matches!(c, '@' | '&'))
            .filter(|c| c.to_lowercase().any(|l| is_name_char(l) || matches!(l, '@' | '&')))
            .collect();
        assert_eq!(special, ['\u{130}', '\u{212A}']);
    }

    /// Text over a small alphabet, so that names, markers and their neighbours meet often.
    fn text() -> impl Strategy<Value = String> {
        let alphabet = ['@', '@', '&', 'a', 'b', 'A', 'B', '_', '1', ' ', '.', '-', '\u{130}', '\u{212A}', 'é', 'Σ'];
        proptest::collection::vec(proptest::sample::select(alphabet.to_vec()), 0..24)
            .prop_map(|cs| cs.into_iter().collect())
    }

    fn message_strategy() -> impl Strategy<Value = Message> {
        (text(), proptest::option::of(prop_oneof!["u1", "u2"]), proptest::option::of(any::<bool>()))
            .prop_map(|(content, reply, ping)| message(&content, reply.as_deref(), ping))
    }

    /// Users whose names and roles are mention names (`[A-Za-z0-9_]+`), or legacy users
    /// named by their id.
    fn token_user() -> impl Strategy<Value = User> {
        let name = "[aAbB1_]{1,3}";
        (prop_oneof!["u1", "u2", "a", "B_"], proptest::option::of(name), proptest::collection::vec(name, 0..3))
            .prop_map(|(id, name, roles)| {
                user(&id, name.as_deref(), &roles.iter().map(String::as_str).collect::<Vec<_>>())
            })
    }

    /// Users with any names and roles, empty ones included.
    fn any_user() -> impl Strategy<Value = User> {
        (prop_oneof!["u1", "u2"], proptest::option::of(text()), proptest::collection::vec(text(), 0..3)).prop_map(
            |(id, name, roles)| user(&id, name.as_deref(), &roles.iter().map(String::as_str).collect::<Vec<_>>()),
        )
    }

    proptest! {
        #[test]
        fn targets_agree_with_the_predicate_for_mention_names(m in message_strategy(), u in token_user()) {
            prop_assert_eq!(pings(&m, &u), predicate(&m, &u), "content {:?}, user {:?}", m.content, u);
        }

        #[test]
        fn targets_never_ping_where_the_predicate_does_not(m in message_strategy(), u in any_user()) {
            if pings(&m, &u) {
                prop_assert!(predicate(&m, &u), "content {:?}, user {:?}", m.content, u);
            }
        }
    }

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
