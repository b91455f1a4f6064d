//! The audience index (docs/design/audiences.md) against a reference model: after any
//! sequence of logins, logouts, role grants, revocations and replacements, bans, channel
//! permission changes (with `!role` negations), role reorders and changes of roles' named
//! permissions, the connections the index gives for each channel are exactly those whose
//! user may view it by the stored records.

use std::collections::BTreeSet;
use std::sync::Arc;

use application::ports::{ChannelRepository, NoPlugins, Store, UserRepository};
use application::services::{ChannelChanges, Reply, RoleChanges, RolePermissions};
use application::{App, Session, Settings};
use domain::{Channel, ChannelKind, MentionRule, PermissionMap, RawJson, User, UserId};
use memory::MemoryStore;
use originchats_tests::inproc::{self, Recorder};
use proptest::prelude::*;
use rotur::MockAuth;

const ROLES: [&str; 3] = ["user", "moderator", "guest"];
const CHANNELS: [&str; 3] = ["alpha", "beta", "gamma"];
const USERS: usize = 4;

#[derive(Debug, Clone)]
enum Step {
    Login(usize),
    Logout(usize),
    Grant(usize, usize),
    Revoke(usize, usize),
    Ban(usize),
    Unban(usize),
    /// A channel's `view` list: roles, each negated (`!role`) or not.
    View(usize, Vec<(usize, bool)>),
    /// `user_roles_set` with roles in this order.
    SetRoles(usize, Vec<usize>),
    /// `role_reorder`: the extra roles rotated by this much.
    Reorder(usize),
    /// A role granted `administrator` (or nothing).
    RoleAdmin(usize, bool),
}

fn arb_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..USERS).prop_map(Step::Login),
        2 => (0..USERS).prop_map(Step::Logout),
        2 => (0..USERS, 0..ROLES.len()).prop_map(|(u, r)| Step::Grant(u, r)),
        2 => (0..USERS, 0..ROLES.len()).prop_map(|(u, r)| Step::Revoke(u, r)),
        1 => (0..USERS).prop_map(Step::Ban),
        1 => (0..USERS).prop_map(Step::Unban),
        2 => (0..CHANNELS.len(), proptest::collection::vec((0..ROLES.len(), any::<bool>()), 0..=3)).prop_map(|(c, r)| Step::View(c, r)),
        1 => (0..USERS, proptest::collection::vec(0..ROLES.len(), 1..=3)).prop_map(|(u, r)| Step::SetRoles(u, r)),
        1 => (0..ROLES.len()).prop_map(Step::Reorder),
        1 => (0..ROLES.len(), any::<bool>()).prop_map(|(r, on)| Step::RoleAdmin(r, on)),
    ]
}

struct World {
    app: App,
    store: Arc<MemoryStore>,
    boss: Session,
    /// Open sessions per user (a user may log in twice).
    sessions: Vec<Vec<Session>>,
    next_conn: u64,
}

fn uid(user: usize) -> UserId {
    UserId(format!("U{user}"))
}

async fn world() -> World {
    let store = Arc::new(MemoryStore::new());
    let channels: Vec<Channel> = CHANNELS
        .iter()
        .map(|name| Channel {
            name: (*name).into(),
            kind: ChannelKind::Text,
            permissions: Some(PermissionMap(vec![("view".into(), vec!["user".into()])])),
            extra: vec![],
        })
        .collect();
    let mut roles = domain::role::default_roles();
    roles.push(domain::Role { position: 4, ..domain::Role::named("guest", None) });
    store.seed_defaults(&roles, &channels).await.unwrap();
    for u in 0..USERS {
        store.insert_user(&User::new(uid(u), format!("user{u}"), vec!["user".into()], vec![])).await.unwrap();
    }
    store.insert_user(&User::new(UserId("BOSS".into()), "boss".into(), vec!["owner".into()], vec![])).await.unwrap();
    let app = inproc::app(store.clone(), Arc::new(MockAuth), Arc::new(NoPlugins), Settings::default());
    let mut boss = app.sessions.open(1000, Arc::new(Recorder::default()));
    app.sessions.login(&mut boss, Some("mock:BOSS:boss")).await;
    World { app, store, boss, sessions: vec![vec![]; USERS], next_conn: 1 }
}

impl World {
    async fn apply(&mut self, step: &Step) {
        let c = &self.app.community;
        let target = |u: usize| Ok(format!("user{u}"));
        match step.clone() {
            Step::Login(u) => {
                let mut s = self.app.sessions.open(self.next_conn, Arc::new(Recorder::default()));
                self.next_conn += 1;
                self.app.sessions.login(&mut s, Some(&format!("mock:U{u}:user{u}"))).await;
                if s.user.is_some() {
                    self.sessions[u].push(s);
                }
            }
            Step::Logout(u) => {
                if let Some(s) = self.sessions[u].pop() {
                    self.app.sessions.close(&s).await;
                }
            }
            Step::Grant(u, r) => drop(c.roles_add(&self.boss, target(u), Ok(vec![ROLES[r].into()])).await),
            Step::Revoke(u, r) => drop(c.roles_remove(&self.boss, target(u), Ok(vec![ROLES[r].into()])).await),
            Step::Ban(u) => {
                if let Ok(Reply::Then(_, pushes)) = c.ban(&self.boss, target(u)).await {
                    self.app.lists.run(pushes).await;
                }
                // A banned user's connections are closed by the transport; here, by hand.
                for s in std::mem::take(&mut self.sessions[u]) {
                    self.app.sessions.close(&s).await;
                }
            }
            Step::Unban(u) => drop(c.unban(&self.boss, target(u)).await),
            Step::SetRoles(u, roles) => {
                let roles = roles.iter().map(|r| ROLES[*r].to_owned()).collect();
                if let Ok(Reply::Then(_, pushes)) = c.roles_set(&self.boss, target(u), Ok(roles)).await {
                    self.app.lists.run(pushes).await;
                }
            }
            Step::Reorder(k) => {
                let mut extra: Vec<String> = ROLES.iter().map(|r| r.to_string()).collect();
                extra.rotate_left(k);
                let mut order: Vec<String> = ["owner", "admin"].map(String::from).to_vec();
                order.extend(extra);
                assert!(matches!(c.reorder_roles(&self.boss, Ok(order)).await, Ok(Reply::Then(..))));
            }
            Step::RoleAdmin(r, on) => {
                let grants: Vec<String> = if on { vec!["administrator".into()] } else { vec![] };
                let raw = RawJson(format!("{grants:?}"));
                let permissions = RolePermissions { raw, mention: MentionRule::Everyone, grants };
                let changes = RoleChanges { permissions: Some(Ok(permissions)), ..RoleChanges::default() };
                assert!(c.update_role(&self.boss, Ok(ROLES[r].into()), changes).await.is_ok());
            }
            Step::View(ch, roles) => {
                let view =
                    roles.iter().map(|(r, neg)| format!("{}{}", if *neg { "!" } else { "" }, ROLES[*r])).collect();
                let changes = ChannelChanges {
                    permissions: Some(Ok(Some(PermissionMap(vec![("view".into(), view)])))),
                    ..ChannelChanges::default()
                };
                let _ = c.update_channel(&self.boss, Ok(CHANNELS[ch].into()), Ok(changes)).await;
            }
        }
    }

    /// The index's viewers of each channel against the stored records.
    async fn check(&self) {
        for name in CHANNELS {
            let channel = self.store.channel(name).await.unwrap().unwrap();
            let mut expected = BTreeSet::new();
            for (u, sessions) in self.sessions.iter().enumerate() {
                let user = self.store.user(&uid(u)).await.unwrap().unwrap();
                if model_views(&user.roles, &channel) {
                    expected.extend(sessions.iter().map(|s| s.conn));
                }
            }
            let boss = self.store.user(&UserId("BOSS".into())).await.unwrap().unwrap();
            if model_views(&boss.roles, &channel) {
                expected.insert(self.boss.conn);
            }
            let got: BTreeSet<u64> = self.app.audience.viewers(name).await.iter().copied().collect();
            assert_eq!(got, expected, "viewers of {name}");
        }
    }
}

/// Who may view a channel, written out independently of the engine: nobody banned; the
/// owner always; otherwise a role in the `view` list and none negated there (no list: owner
/// only). Role records (positions, named permissions) play no part.
fn model_views(roles: &[String], channel: &Channel) -> bool {
    if roles.contains(&"banned".to_string()) {
        return false;
    }
    if roles.contains(&"owner".to_string()) {
        return true;
    }
    let Some(list) = channel.roles_for("view") else { return false };
    let mut allowed = false;
    for entry in list {
        match entry.strip_prefix('!') {
            Some(denied) if roles.iter().any(|r| r == denied) => return false,
            Some(_) => {}
            None => allowed |= roles.contains(entry),
        }
    }
    allowed
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64), ..ProptestConfig::default() })]

    #[test]
    fn the_index_matches_the_stored_rights_after_every_step(steps in proptest::collection::vec(arb_step(), 1..40)) {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
            let mut w = world().await;
            w.check().await;
            for step in &steps {
                w.apply(step).await;
                w.check().await;
            }
        });
    }
}
