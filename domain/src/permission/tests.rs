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
            Some((_, list)) => {
                let denied = user_roles.iter().any(|r| list.contains(&format!("!{r}")));
                !denied && user_roles.iter().any(|r| list.contains(r))
            }
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
        Action::CreateThread => ("create_thread", false),
    };
    lookup("view", false) && lookup(key.0, key.1)
}

fn arb_roles() -> impl Strategy<Value = Vec<String>> {
    proptest::sample::subsequence(ROLE_POOL.to_vec(), 0..=ROLE_POOL.len())
        .prop_map(|v| v.into_iter().map(str::to_string).collect())
}

/// A channel list: role names, some negated (`"!name"`), in any order.
fn arb_list() -> impl Strategy<Value = Vec<String>> {
    let pool: Vec<String> = ROLE_POOL.iter().flat_map(|r| [r.to_string(), format!("!{r}")]).collect();
    proptest::sample::subsequence(pool, 0..=6).prop_shuffle()
}

fn arb_perms() -> impl Strategy<Value = Option<Vec<(String, Vec<String>)>>> {
    let keys = Permission::ALL.iter().map(|p| p.key()).collect::<Vec<_>>();
    proptest::option::of(proptest::sample::subsequence(keys, 0..=8).prop_flat_map(|ks| {
        let n = ks.len();
        proptest::collection::vec(arb_list(), n)
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
        Just(Action::CreateThread),
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
    fn adding_a_role_no_list_negates_never_removes_a_right(r in arb_roles(), extra in proptest::sample::select(ROLE_POOL.to_vec()), p in arb_perms(), a in arb_action()) {
        prop_assume!(extra != "banned");
        let negated = format!("!{extra}");
        prop_assume!(!p.iter().flatten().any(|(_, list)| list.contains(&negated)));
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
    fn the_order_of_a_users_roles_never_matters(r in arb_roles(), p in arb_perms(), a in arb_action(), seed in any::<u64>()) {
        let c = build(&p);
        let mut shuffled = r.clone();
        let n = shuffled.len();
        if n > 1 {
            shuffled.rotate_left((seed as usize) % n);
            shuffled.swap(0, (seed as usize / 7) % n);
        }
        prop_assert_eq!(may(&r, Some(&c), a), may(&shuffled, Some(&c), a));
    }

    #[test]
    fn a_negated_role_denies_whatever_else_is_listed(r in arb_roles(), list in arb_list(), a in arb_action()) {
        prop_assume!(!r.contains(&"owner".to_string()));
        let c = build(&Some(vec![("view".to_string(), list.clone())]));
        if r.iter().any(|x| list.contains(&format!("!{x}"))) {
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

// ---- named permissions and the hierarchy -------------------------------------------------

use crate::Role;
use crate::permission::named::{Rank, SERVER_PERMISSIONS};

const NAMED_POOL: [&str; 5] = ["administrator", "manage_roles", "manage_users", "manage_messages", "kick_members"];

fn arb_role_records() -> impl Strategy<Value = Vec<Role>> {
    let record = (0i64..6, proptest::sample::subsequence(NAMED_POOL.to_vec(), 0..=3));
    proptest::collection::vec(record, ROLE_POOL.len()).prop_map(|recs| {
        ROLE_POOL
            .iter()
            .zip(recs)
            .filter(|(name, _)| **name != "banned")
            .map(|(name, (position, grants))| Role {
                position,
                grants: grants.into_iter().map(str::to_string).collect(),
                ..Role::named(name, None)
            })
            .collect()
    })
}

/// The reference model of named permissions and ranks, as plain loops.
fn model_has(user: &[String], roles: &[Role], permission: &str) -> bool {
    if user.iter().any(|r| r == "banned") {
        return false;
    }
    if user.iter().any(|r| r == "owner") {
        return true;
    }
    for role in roles {
        if user.contains(&role.name) {
            for g in &role.grants {
                if g == permission || g == "administrator" {
                    return true;
                }
            }
        }
    }
    false
}

fn model_top(user: &[String], roles: &[Role]) -> Option<i64> {
    let mut best: Option<i64> = None;
    for role in roles {
        if user.contains(&role.name) && best.is_none_or(|b| role.position < b) {
            best = Some(role.position);
        }
    }
    best
}

proptest! {
    #[test]
    fn named_permissions_agree_with_the_model(user in arb_roles(), roles in arb_role_records(), p in proptest::sample::select(NAMED_POOL.to_vec())) {
        let rank = Rank::of(&user, &roles);
        prop_assert_eq!(rank.has(p), model_has(&user, &roles, p));
        let any = SERVER_PERMISSIONS.iter().any(|s| model_has(&user, &roles, s));
        prop_assert_eq!(rank.has_any(), any && !user.contains(&"banned".to_string()));
    }

    #[test]
    fn ranks_agree_with_the_model(actor in arb_roles(), target in arb_roles(), roles in arb_role_records(), which in 0usize..5) {
        let rank = Rank::of(&actor, &roles);
        let banned = actor.contains(&"banned".to_string());
        let owner = actor.contains(&"owner".to_string());
        let role = &roles[which % roles.len()];
        let expected_role = !banned && (owner || (role.name != "owner" && model_top(&actor, &roles).is_some_and(|t| role.position > t)));
        prop_assert_eq!(rank.outranks_role(role), expected_role);
        let target_top = model_top(&target, &roles);
        let expected_user = !banned
            && (owner
                || (!target.contains(&"owner".to_string())
                    && model_top(&actor, &roles).is_some_and(|t| target_top.is_none_or(|u| u > t))));
        prop_assert_eq!(rank.outranks_user(&Rank::of(&target, &roles)), expected_user);
    }

    #[test]
    fn nobody_but_the_owner_outranks_themselves(user in arb_roles(), roles in arb_role_records()) {
        let rank = Rank::of(&user, &roles);
        prop_assert_eq!(rank.outranks_user(&rank), rank.is_owner());
    }
}

#[test]
fn negation_examples() {
    let c = channel(Some(vec![("view", vec!["!muted", "user"]), ("react", vec!["!muted"])]));
    assert!(may(&roles(&["user"]), Some(&c), Action::View));
    assert!(!may(&roles(&["muted", "user"]), Some(&c), Action::View));
    assert!(!may(&roles(&["user", "muted"]), Some(&c), Action::View));
    assert!(!may(&roles(&["user"]), Some(&c), Action::React), "a list of denials alone allows nobody");
    assert!(may(&roles(&["owner", "muted"]), Some(&c), Action::View), "the owner is never denied");
    let literal = channel(Some(vec![("view", vec!["!x"])]));
    assert!(!may(&roles(&["!x"]), Some(&literal), Action::View), "an entry with `!` only ever denies");
}
