//! `auth`: Rotur validation, first-seen users, bans, owners from config, `ready`,
//! `user_join` and `user_connect` (protocol.md §5.4).

use domain::{User, UserId};

use crate::ports::{AuthFailure, PluginEvent, StoreError};
use crate::views::UserView;
use crate::{App, AuthErrorText, Packet, Session, SessionUser};

impl App {
    /// Handles `auth` on an unauthenticated connection. Every outcome sends a packet.
    pub async fn login(&self, session: &mut Session, validator: Option<&str>) {
        let conn = session.conn;
        let refuse = |text| self.hub.send(conn, &Packet::AuthError(text), None);
        let identity = match self.auth.validate(&session.validator_key, validator.map(str::to_owned)).await {
            Ok(id) => id,
            Err(AuthFailure::Invalid) => return refuse(AuthErrorText::Invalid),
            Err(AuthFailure::Unavailable) => return refuse(AuthErrorText::Unavailable),
        };
        // The user's lock is held until the connection is registered, so that a ban or a
        // role change either happens before (and is seen here) or after (and sees this
        // connection).
        let id = UserId(identity.id);
        let lock = self.locks.user(&id).await;
        let (user, created, changed) = match self.admit(id, &identity.username).await {
            Ok(Some(found)) => found,
            Ok(None) => return refuse(AuthErrorText::Banned),
            Err(e) => {
                tracing::error!(error = %e, "auth: storage failure");
                return refuse(AuthErrorText::Unavailable);
            }
        };
        self.hub.send(conn, &Packet::AuthSuccess, None);
        let token = user.validator.clone().unwrap_or_default();
        let me = SessionUser { id: user.id.clone(), username: identity.username.clone() };
        self.hub.send(conn, &Packet::Ready { user: Box::new(user.clone()), validator: token }, None);
        session.user = Some(me.clone());
        let first = self.hub.authenticate(conn, me);
        drop(lock);
        tracing::info!(conn, user = %identity.username, created, "authenticated");
        let roles = self.store.roles().await.unwrap_or_default();
        let view = UserView::of(&user, &roles);
        if created {
            self.hub.send_all_authenticated(&Packet::UserJoin(view.clone()));
        }
        if first {
            self.hub.send_all_authenticated(&Packet::UserConnect(view.clone()));
        }
        if created {
            self.emit(PluginEvent::UserJoin { user: Box::new(user.clone()), color: view.color.clone() });
        }
        self.emit(PluginEvent::UserConnect { user: Box::new(user), color: view.color });
        if changed {
            // A new name or roles (owners from config, pending grants) are news to everyone.
            self.run_pushes(super::Pushes::MEMBERSHIP).await;
        }
    }

    /// Loads or creates the user, applies name changes, owners and a new session token.
    /// `None` when the user is banned; else the user, whether it was created, and whether
    /// an existing user's name or roles changed.
    async fn admit(&self, id: UserId, username: &str) -> Result<Option<(User, bool, bool)>, StoreError> {
        let (mut user, created) = match self.store.user(&id).await? {
            Some(u) => (u, false),
            None => {
                let fresh = self.new_user(id.clone(), username);
                match self.store.insert_user(&fresh).await {
                    Ok(()) => (fresh, true),
                    // A concurrent first login of the same user won the race.
                    Err(e) => (self.store.user(&id).await?.ok_or(e)?, false),
                }
            }
        };
        let before = (user.username.clone(), user.roles.clone());
        self.apply_pending(&mut user, username).await?;
        if user.is_banned() {
            self.store.update_user(&user).await?;
            return Ok(None);
        }
        if user.username.as_deref() != Some(username) {
            user.username = Some(username.to_owned());
        }
        if self.settings.owners.iter().any(|o| o.eq_ignore_ascii_case(username)) {
            user.grant_front(domain::user::OWNER_ROLE);
        }
        user.validator = Some(self.ids.session_token());
        self.store.update_user(&user).await?;
        let changed = !created && before != (user.username.clone(), user.roles.clone());
        Ok(Some((user, created, changed)))
    }

    /// Applies operator changes recorded for this username before its first login
    /// (decisions.md §15), then forgets them.
    async fn apply_pending(&self, user: &mut User, username: &str) -> Result<(), StoreError> {
        let changes = self.store.pending_changes(username).await?;
        if changes.is_empty() {
            return Ok(());
        }
        for change in changes {
            if !change.apply_to(user) {
                tracing::info!(username, ?change, "pending change had nothing to do");
            }
        }
        self.store.clear_pending_changes(username).await
    }

    fn new_user(&self, id: UserId, username: &str) -> User {
        let roles = self.settings.new_user_roles.clone().unwrap_or_default();
        User::new(id, username.to_owned(), roles, self.settings.new_user_extra.clone())
    }
}
