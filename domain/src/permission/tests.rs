use super::*;
use crate::{ChannelKind, PermissionMap};
use proptest::prelude::*;

const ROLE_POOL: [&str; 6] = ["owner", "admin", "moderator", "user", "banned", "guest"];

fn channel(perms: Option<Vec<(&str, Vec<&str>)>>) -> Channel {
    Channel {
        name: "c".into(),
        kind: ChannelKind::Text,
        permissions: perms.map(|p| {
            PermissionMap(
                p.into_iter().map(|(k, v)| (k.to_string(), v.into_iter().map(str::to_string).collect())).collect(),
            )
        }),
        extra: vec![],
    }
}

fn roles(r: &[&str]) -> Vec<String> {
    r.iter().map(|s| s.to_string()).collect()
}

#[test]
fn defaults_when_keys_are_absent() {
    let c = channel(Some(vec![("view", vec!["user"])]));
    let u = roles(&["user"]);
    assert!(may(&u, Some(&c), Action::View));
    assert!(!may(&u, Some(&c), Action::Send));
    assert!(may(&u, Some(&c), Action::Edit { own: true }));
    assert!(may(&u, Some(&c), Action::Delete { own: true }));
    assert!(!may(&u, Some(&c), Action::Delete { own: false }));
    assert!(!may(&u, Some(&c), Action::Pin));
    assert!(may(&u, Some(&c), Action::React));
}

#[test]
fn owner_passes_existing_channels_only() {
    let o = roles(&["owner"]);
    let c = channel(Some(vec![("view", vec![]), ("pin", vec!["admin"])]));
    assert!(may(&o, Some(&c), Action::Pin));
    assert!(may(&o, Some(&c), Action::Send));
    assert!(!may(&o, None, Action::View));
    assert!(!may(&o, Some(&c), Action::Edit { own: false }));
}

#[test]
fn view_comes_first() {
    let c = channel(Some(vec![("view", vec!["admin"]), ("send", vec!["user"])]));
    assert!(!may(&roles(&["user"]), Some(&c), Action::Send));
    assert!(!may(&roles(&["user"]), Some(&c), Action::React));
}

/// The reference model: written as a plain table lookup, independent of the engine's shape.
fn model(user_roles: &[String], perms: &Option<Vec<(String, Vec<String>)>>, exists: bool, action: Action) -> bool {
    if !exists {
        return false;
    }
    if matches!(action, Action::Edit { own: false }) {
        return false;
    }
    if user_roles.contains(&"banned".to_string()) {
        return false;
    }
    if user_roles.contains(&"owner".to_string()) {
        return true;
    }
    let lookup = |key: &str, default_everyone: bool| -> bool {
        match perms.as_ref().and_then(|p| p.iter().find(|(k, _)| k == key)) {
            Some((_, list)) => user_roles.iter().any(|r| list.contains(r)),
            None => default_everyone,
        }
    };
    let key = match action {
        Action::View => ("view", false),
        Action::Send => ("send", false),
        Action::Edit { .. } => ("edit_own", true),
        Action::Delete { own: true } => ("delete_own", true),
        Action::Delete { own: false } => ("delete", false),
        Action::Pin => ("pin", false),
        Action::React => ("react", true),
    };
    lookup("view", false) && lookup(key.0, key.1)
}

fn arb_roles() -> impl Strategy<Value = Vec<String>> {
    proptest::sample::subsequence(ROLE_POOL.to_vec(), 0..=ROLE_POOL.len())
        .prop_map(|v| v.into_iter().map(str::to_string).collect())
}

fn arb_perms() -> impl Strategy<Value = Option<Vec<(String, Vec<String>)>>> {
    let keys = Permission::ALL.iter().map(|p| p.key()).collect::<Vec<_>>();
    proptest::option::of(proptest::sample::subsequence(keys, 0..=7).prop_flat_map(|ks| {
        let n = ks.len();
        proptest::collection::vec(arb_roles(), n)
            .prop_map(move |lists| ks.iter().map(|k| k.to_string()).zip(lists).collect::<Vec<_>>())
    }))
}

fn arb_action() -> impl Strategy<Value = Action> {
    prop_oneof![
        Just(Action::View),
        Just(Action::Send),
        any::<bool>().prop_map(|own| Action::Edit { own }),
        any::<bool>().prop_map(|own| Action::Delete { own }),
        Just(Action::Pin),
        Just(Action::React),
    ]
}

fn build(perms: &Option<Vec<(String, Vec<String>)>>) -> Channel {
    Channel { name: "c".into(), kind: ChannelKind::Text, permissions: perms.clone().map(PermissionMap), extra: vec![] }
}

proptest! {
    #[test]
    fn engine_agrees_with_reference_model(r in arb_roles(), p in arb_perms(), exists in any::<bool>(), a in arb_action()) {
        let c = build(&p);
        let got = may(&r, exists.then_some(&c), a);
        prop_assert_eq!(got, model(&r, &p, exists, a));
    }

    #[test]
    fn adding_a_role_other_than_banned_never_removes_a_right(r in arb_roles(), extra in proptest::sample::select(ROLE_POOL.to_vec()), p in arb_perms(), a in arb_action()) {
        prop_assume!(extra != "banned");
        let c = build(&p);
        let mut more = r.clone();
        more.push(extra.to_string());
        if may(&r, Some(&c), a) {
            prop_assert!(may(&more, Some(&c), a));
        }
    }

    #[test]
    fn no_view_means_no_action(r in arb_roles(), p in arb_perms(), a in arb_action()) {
        let c = build(&p);
        if !may(&r, Some(&c), Action::View) {
            prop_assert!(!may(&r, Some(&c), a));
        }
    }

    #[test]
    fn owner_passes_everything_but_editing_others(p in arb_perms(), a in arb_action()) {
        let c = build(&p);
        let owner = vec!["owner".to_string(), "user".to_string()];
        prop_assert_eq!(may(&owner, Some(&c), a), a != Action::Edit { own: false });
    }
}
