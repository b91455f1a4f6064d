//! Operator actions by username (`originchats user …`, docs/design/operator-cli.md): the
//! same rules as the owner commands, plus changes kept pending for names never seen yet.

use domain::user::BANNED_ROLE;

use super::Community;
use crate::errors::AdminError;
use crate::ports::PendingChange;
use crate::services::Pushes;
use crate::views::UserView;

/// An operator request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminAction {
    /// List users with their roles.
    List,
    /// Grant a role.
    GrantRole {
        /// Username.
        username: String,
        /// Role.
        role: String,
    },
    /// Revoke a role.
    RevokeRole {
        /// Username.
        username: String,
        /// Role.
        role: String,
    },
    /// Ban.
    Ban {
        /// Username.
        username: String,
    },
    /// Unban.
    Unban {
        /// Username.
        username: String,
    },
}

/// What an operator action did, in words, and the users listed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AdminOutcome {
    /// A sentence for the operator.
    pub message: String,
    /// Users (for `List`).
    pub users: Vec<UserView>,
}

impl Community {
    /// Runs an operator action, including the pushes and ejections it causes.
    pub async fn admin(&self, action: AdminAction) -> Result<AdminOutcome, AdminError> {
        let (message, pushes) = match action {
            AdminAction::List => {
                let roles = self.store.roles().await?;
                let users = self.store.users().await?.iter().map(|u| UserView::of(u, &roles)).collect();
                return Ok(AdminOutcome { message: String::new(), users });
            }
            AdminAction::GrantRole { username, role } => {
                if role != BANNED_ROLE && self.store.role(&role).await?.is_none() {
                    return Err(AdminError::RoleDoesNotExist(role));
                }
                self.change_roles(&username, PendingChange::Grant(role.clone()), &format!("granted '{role}' to"))
                    .await?
            }
            AdminAction::RevokeRole { username, role } => {
                self.change_roles(&username, PendingChange::Revoke(role.clone()), &format!("revoked '{role}' from"))
                    .await?
            }
            AdminAction::Ban { username } => self.change_roles(&username, PendingChange::Ban, "banned").await?,
            AdminAction::Unban { username } => self.change_roles(&username, PendingChange::Unban, "unbanned").await?,
        };
        self.lists.run(pushes).await;
        Ok(AdminOutcome { message, users: vec![] })
    }

    async fn change_roles(
        &self,
        username: &str,
        change: PendingChange,
        verb: &str,
    ) -> Result<(String, Pushes), AdminError> {
        let Some(found) = self.store.user_by_name(username).await? else {
            self.store.add_pending_change(username, &change).await?;
            return Ok((
                format!("{username} has not logged in yet: {verb} them at their first login"),
                Pushes::default(),
            ));
        };
        let name = found.display_name().to_owned();
        let apply = |u: &mut domain::User| {
            if let PendingChange::Revoke(role) = &change
                && u.roles.iter().all(|r| r == role)
            {
                return Err(AdminError::CannotRemoveAllRoles);
            }
            Ok(change.apply_to(u))
        };
        let (user, changed) =
            self.directory.update_user_with(&found.id, apply).await?.ok_or(AdminError::UserNotFound)?;
        if !changed {
            return Ok((format!("nothing to do: {name} is already in that state"), Pushes::default()));
        }
        let eject = user.is_banned().then(|| user.id.clone());
        Ok((format!("{verb} {name}"), Pushes::MEMBERSHIP.ejecting(eject)))
    }
}
