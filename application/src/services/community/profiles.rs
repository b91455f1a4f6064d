//! Status and profile commands: `status_set`, `status_get` (docs/design/status.md),
//! `user_update`, `user_delete` (docs/design/profiles.md).

use domain::permission::Rank;
use domain::permission::named::MANAGE_USERS;
use domain::{Presence, User};

use super::Community;
use crate::errors::{AccessError, Limited, UserError};
use crate::limiter::Purpose;
use crate::packets::Packet;
use crate::ports::PluginEvent;
use crate::services::{Outcome, Pushes, Reply};
use crate::views::UserView;
use crate::{Origin, Session};

/// Longest status text.
pub const MAX_STATUS_TEXT: usize = 100;

/// Longest nickname (characters).
pub const MAX_NICKNAME: usize = 32;

/// What `user_update` changes.
#[derive(Debug, Clone, PartialEq)]
pub struct UserUpdate {
    /// The `user` field.
    pub user: Result<String, UserError>,
    /// The new nickname (`None`: remove it), or why the updates cannot be used.
    pub nickname: Result<Option<String>, UserError>,
}

impl Community {
    /// Acting on another user's profile takes `manage_users` and a rank above theirs
    /// (docs/design/profiles.md#who-may); acting on oneself takes nothing.
    async fn may_manage(&self, me: &User, target: &User) -> Result<(), UserError> {
        if target.id == me.id {
            return Ok(());
        }
        let roles = self.store.roles().await?;
        let rank = Rank::of(&me.roles, &roles);
        if me.is_banned() || !rank.has(MANAGE_USERS) {
            return Err(UserError::ManageUsersRequired);
        }
        match rank.outranks_user(&Rank::of(&target.roles, &roles)) {
            true => Ok(()),
            false => Err(AccessError::UserAboveYou.into()),
        }
    }

    /// Takes a slot of the caller's profile bucket once the request is known to be valid,
    /// so refused input costs nothing (docs/design/rate-limits.md#buckets).
    fn take_profile_slot(&self, me: &User) -> Result<(), Limited> {
        let now = self.clock.now();
        self.limiter.check(&me.id, Purpose::Profile, now).map_err(|denial| Limited { denial, typing: false })
    }

    /// `status_set`: store the status, then tell everyone what they may know of it.
    pub async fn status_set(
        &self,
        session: &Session,
        chosen: Result<Presence, UserError>,
        origin: &Origin,
    ) -> Outcome<UserError> {
        let me = self.directory.caller_found(session).await?;
        let chosen = chosen?;
        self.take_profile_slot(&me)?;
        let set = |u: &mut User| {
            let before = u.profile.status.clone();
            u.profile.status = Some(chosen.clone());
            Ok::<_, UserError>(before)
        };
        let (user, before) = self.directory.update_user_with(&me.id, set).await?.ok_or(UserError::UserNotFound)?;
        let was_hidden = before.as_ref().is_some_and(Presence::hidden);
        let name = user.display_name().to_owned();
        session.before_output().await;
        if chosen.hidden() {
            if !was_hidden {
                self.hub.send_all_authenticated(&Packet::UserDisconnect { username: name });
            }
            return Ok(Reply::Packet(Packet::StatusSet { status: chosen }));
        }
        if was_hidden {
            let roles = self.store.roles().await?;
            self.hub.send_all_authenticated(&Packet::UserConnect(UserView::of(&user, &roles)));
        }
        self.hub.send_all_authenticated_from(&Packet::StatusGet { username: name, status: chosen }, origin);
        Ok(Reply::Done)
    }

    /// `status_get`: a user's status as the caller may see it (their own as chosen).
    pub async fn status_get(&self, session: &Session, target: Result<String, UserError>) -> Outcome<UserError> {
        let me = self.directory.caller_found(session).await?;
        let found = self.directory.resolve_user(&target?).await?.ok_or(UserError::UserNotFound)?;
        let default = Presence { status: "online".into(), text: String::new() };
        let status = match found.profile.status.clone() {
            Some(p) if found.id == me.id => p,
            Some(p) => p.as_seen(),
            None => default,
        };
        Ok(Reply::Packet(Packet::StatusGet { username: found.display_name().to_owned(), status }))
    }

    /// `user_update`: a nickname, one's own or (with `manage_users`) anyone's.
    pub async fn user_update(&self, session: &Session, req: UserUpdate) -> Outcome<UserError> {
        let me = self.directory.caller_found(session).await?;
        let target = req.user?;
        let found = self.directory.resolve_user(&target).await?.ok_or(UserError::UserNotFound)?;
        self.may_manage(&me, &found).await?;
        let nickname = req.nickname?;
        self.take_profile_slot(&me)?;
        let set = |u: &mut User| {
            u.profile.nickname = nickname.clone();
            Ok::<_, UserError>(())
        };
        let (user, ()) = self.directory.update_user_with(&found.id, set).await?.ok_or(UserError::UserNotFound)?;
        let username = user.display_name().to_owned();
        session.before_output().await;
        let event = match &nickname {
            Some(n) => Packet::NicknameUpdate { username: username.clone(), nickname: n.clone() },
            None => Packet::NicknameRemove { username: username.clone() },
        };
        self.hub
            .send_all_authenticated(&Packet::UserUpdated { username: username.clone(), nickname: nickname.clone() });
        self.hub.send_all_authenticated(&event);
        Ok(Reply::Packet(Packet::UserUpdateReply { user: username, nickname }))
    }

    /// `user_delete`: oneself, or (with `manage_users`) anyone, never the last owner.
    pub async fn user_delete(
        &self,
        session: &Session,
        target: Result<String, UserError>,
        origin: &Origin,
    ) -> Outcome<UserError> {
        let me = self.directory.caller_found(session).await?;
        let target = target?;
        let found = self.directory.resolve_user(&target).await?.ok_or(UserError::UserNotFound)?;
        self.may_manage(&me, &found).await?;
        let lock = self.directory.locks().user(&found.id).await;
        if found.is_owner() {
            let owners = self.store.users().await?.iter().filter(|u| u.is_owner() && !u.is_banned()).count();
            if owners <= 1 {
                return Err(UserError::CannotDeleteLastOwner);
            }
        }
        if !self.store.delete_user(&found.id).await? {
            return Err(UserError::UserNotFound);
        }
        drop(lock);
        let name = found.display_name().to_owned();
        session.before_output().await;
        self.hub.send_all_authenticated(&Packet::UserLeft { username: name.clone() });
        self.hub.send(session.conn, &Packet::UserDeleteReply { user: name.clone() }, origin.listener.as_deref());
        self.hub.close_user(&found.id, 1000, "deleted");
        self.emit(PluginEvent::UserLeave { target: crate::ports::Actor { id: found.id.clone(), username: name } });
        Ok(Reply::Then(None, Pushes::USERS))
    }
}
