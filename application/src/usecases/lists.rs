//! Live list updates (protocol.md §8, Recommended form): after a change to users, roles or
//! channels every authenticated connection gets the refreshed lists it may see. Channel
//! lists differ per viewer; each distinct list is encoded once and shared.

use std::collections::HashMap;

use crate::views::{ChannelView, UserView};
use crate::{App, AppError, ConnId, Origin, Packet};

impl App {
    /// Every user not banned, in storage order.
    pub async fn user_list(&self) -> Result<Vec<UserView>, AppError> {
        let roles = self.store.roles().await?;
        Ok(self.store.users().await?.iter().filter(|u| !u.is_banned()).map(|u| UserView::of(u, &roles)).collect())
    }

    /// Pushes `users_list` to everyone.
    pub async fn push_user_list(&self) {
        match self.user_list().await {
            Ok(users) => self.hub.send_all_authenticated(&Packet::UsersList(users)),
            Err(e) => tracing::error!(error = %e, "users_list push failed"),
        }
    }

    /// The channels `user` may see, with server-added fields.
    pub(crate) async fn channel_views(&self, user: &domain::User) -> Result<Vec<ChannelView>, AppError> {
        let visible = self.store.channels().await?.into_iter().filter(|c| Self::lists_channel(user, c)).collect();
        self.with_server_fields(visible).await
    }

    /// Channels with the fields `channels_get` adds: `last_message` for text channels,
    /// `voice_state` for voice channels.
    async fn with_server_fields(&self, channels: Vec<domain::Channel>) -> Result<Vec<ChannelView>, AppError> {
        let mut views = vec![];
        for channel in channels {
            let mut view = ChannelView { last_message: None, voice_state: None, channel };
            match view.channel.kind {
                domain::ChannelKind::Text => {
                    view.last_message = Some(self.store.last_message_time(&view.channel.name).await?);
                }
                domain::ChannelKind::Voice => {
                    let seats = self.voice.seats(&view.channel.name);
                    view.voice_state = Some(seats.into_iter().map(|s| (s.username, s.muted)).collect());
                }
                _ => {}
            }
            views.push(view);
        }
        Ok(views)
    }

    /// Runs the pushes a command asked for.
    pub async fn run_pushes(&self, pushes: super::Pushes) {
        if let Some(user) = &pushes.eject {
            self.eject_banned(user);
        }
        if pushes.roles {
            match self.store.roles().await {
                Ok(roles) => self.hub.send_all_authenticated(&Packet::RolesList(roles)),
                Err(e) => tracing::error!(error = %e, "roles_list push failed"),
            }
        }
        if pushes.channels || pushes.roles {
            self.voice_reconcile().await;
        }
        if pushes.users || pushes.roles {
            self.push_user_list().await;
        }
        if pushes.channels {
            self.push_channel_lists().await;
        }
    }

    /// Pushes each authenticated connection its own `channels_get` list. The channels and
    /// their server-added fields are read once; each viewer gets the part they may see.
    pub async fn push_channel_lists(&self) {
        let all = match self.store.channels().await {
            Ok(channels) => self.with_server_fields(channels).await,
            Err(e) => Err(e.into()),
        };
        let all = match all {
            Ok(v) => v,
            Err(e) => return tracing::error!(error = %e, "channels_get push failed"),
        };
        let mut per_user: HashMap<domain::UserId, Vec<ConnId>> = HashMap::new();
        for (conn, user) in self.hub.authenticated() {
            per_user.entry(user).or_default().push(conn);
        }
        let mut variants: Vec<(Vec<ChannelView>, Vec<ConnId>)> = vec![];
        for (user_id, conns) in per_user {
            let Ok(Some(user)) = self.store.user(&user_id).await else { continue };
            let views: Vec<ChannelView> =
                all.iter().filter(|v| Self::lists_channel(&user, &v.channel)).cloned().collect();
            match variants.iter_mut().find(|(v, _)| *v == views) {
                Some((_, targets)) => targets.extend(conns),
                None => variants.push((views, conns)),
            }
        }
        for (views, targets) in variants {
            self.hub.fan_out(&Packet::ChannelsGet(views), &targets, &Origin::default());
        }
    }
}
