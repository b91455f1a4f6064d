//! The audience index (docs/design/audiences.md) against a reference model: after any
//! sequence of logins, logouts, role grants and revocations, bans and channel permission
//! changes, the connections the index gives for each channel are exactly those whose user
//! may view it by the stored records.

use std::collections::BTreeSet;
use std::sync::Arc;

use application::ports::{ChannelRepository, NoPlugins, Store, UserRepository};
use application::services::{ChannelChanges, Reply};
use application::{App, Session, Settings};
use domain::{Action, Channel, ChannelKind, PermissionMap, User, UserId, may};
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
    View(usize, Vec<usize>),
}

fn arb_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..USERS).prop_map(Step::Login),
        2 => (0..USERS).prop_map(Step::Logout),
        2 => (0..USERS, 0..ROLES.len()).prop_map(|(u, r)| Step::Grant(u, r)),
        2 => (0..USERS, 0..ROLES.len()).prop_map(|(u, r)| Step::Revoke(u, r)),
        1 => (0..USERS).prop_map(Step::Ban),
        1 => (0..USERS).prop_map(Step::Unban),
        2 => (0..CHANNELS.len(), proptest::collection::vec(0..ROLES.len(), 0..=2)).prop_map(|(c, r)| Step::View(c, r)),
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
    roles.push(domain::Role::named("guest", None));
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
            Step::View(ch, roles) => {
                let view = roles.iter().map(|r| ROLES[*r].to_owned()).collect();
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
                if may(&user.roles, Some(&channel), Action::View) {
                    expected.extend(sessions.iter().map(|s| s.conn));
                }
            }
            let boss = self.store.user(&UserId("BOSS".into())).await.unwrap().unwrap();
            if may(&boss.roles, Some(&channel), Action::View) {
                expected.insert(self.boss.conn);
            }
            let got: BTreeSet<u64> = self.app.audience.viewers(name).await.iter().copied().collect();
            assert_eq!(got, expected, "viewers of {name}");
        }
    }
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
