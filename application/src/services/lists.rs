//! Live list updates (docs/design/live-lists.md): after a change to users, roles or
//! channels every authenticated connection gets the refreshed lists it may see. Channel
//! lists differ per viewer; each distinct list is encoded once and shared.

use std::collections::HashMap;
use std::sync::Arc;

use domain::{Action, Channel, ChannelKind, User, UserId, may};

use super::{Pushes, Voice};
use crate::errors::AuthErrorText;
use crate::hub::Hub;
use crate::ports::{ClusterEvent, Store, StoreResult};
use crate::views::{ChannelView, NameBook, ThreadView, UserView};
use crate::voice::VoiceRooms;
use crate::{ConnId, Origin, Packet};

/// Close code for connections of a banned or departed user.
pub const POLICY_CLOSE: u16 = 1008;

/// Whether `user` may see `channel` in lists: the engine's `view`, except that a
/// separator without a `view` list is visible to everyone.
pub fn lists_channel(user: &User, channel: &Channel) -> bool {
    if channel.kind == ChannelKind::Separator && channel.roles_for("view").is_none() {
        return !user.is_banned();
    }
    may(&user.roles, Some(channel), Action::View)
}

/// Pushes asked for and not yet run, and the runs counted so far.
#[derive(Debug, Default)]
struct Coalescer {
    /// What the requests made since the running (or last) run started want.
    wanted: Pushes,
    /// Requests made so far, and the number of requests the last started run covers.
    requested: u64,
    started: u64,
    /// Requests covered by finished runs.
    finished: u64,
    running: bool,
}

/// Ends a run: marks the requests it covers finished (only when it completed) and wakes
/// the callers waiting for it, even when the running task was dropped half-way.
struct RunGuard<'a> {
    lists: &'a Lists,
    covers: u64,
    completed: bool,
}

impl RunGuard<'_> {
    fn complete(mut self) {
        self.completed = true;
    }
}

impl Drop for RunGuard<'_> {
    fn drop(&mut self) {
        let mut c = self.lists.coalescer();
        c.running = false;
        if self.completed {
            c.finished = self.covers;
        } else {
            // Not finished: the requests it took are asked for again.
            c.wanted = Pushes { eject: None, users: true, roles: true, channels: true };
        }
        drop(c);
        self.lists.done.notify_waiters();
    }
}

/// Builds and pushes the live lists. Concurrent requests are coalesced: a request made
/// while a push runs is merged with the others made meanwhile into one more run, and each
/// caller returns once a run that started after its request has finished (so a command's
/// pushes still reach everyone before its connection handles its next request).
pub struct Lists {
    store: Arc<dyn Store>,
    hub: Arc<Hub>,
    rooms: Arc<VoiceRooms>,
    voice: Arc<Voice>,
    coalescer: std::sync::Mutex<Coalescer>,
    done: tokio::sync::Notify,
}

impl Lists {
    /// Lists over these parts.
    pub fn new(store: Arc<dyn Store>, hub: Arc<Hub>, rooms: Arc<VoiceRooms>, voice: Arc<Voice>) -> Self {
        Self { store, hub, rooms, voice, coalescer: std::sync::Mutex::default(), done: tokio::sync::Notify::new() }
    }

    /// Sends the ban notice to every connection of `user` and closes them.
    pub fn eject_banned(&self, user: &UserId) {
        self.hub.notify_user(user, &Packet::AuthError(AuthErrorText::Banned));
        self.hub.close_user(user, POLICY_CLOSE, "banned");
    }

    /// Every user not banned, in storage order.
    pub async fn user_list(&self) -> StoreResult<Vec<UserView>> {
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
    pub async fn channel_views(&self, user: &User) -> StoreResult<Vec<ChannelView>> {
        let visible = self.store.channels().await?.into_iter().filter(|c| lists_channel(user, c)).collect();
        self.with_server_fields(visible).await
    }

    /// Channels with the fields `channels_get` adds: `last_message` for text channels,
    /// `voice_state` for voice channels.
    async fn with_server_fields(&self, channels: Vec<Channel>) -> StoreResult<Vec<ChannelView>> {
        let mut views = vec![];
        let mut book = None;
        for channel in channels {
            let mut view = ChannelView { last_message: None, voice_state: None, threads: None, channel };
            if view.channel.is_forum() {
                // A forum lists its threads (docs/design/threads.md#forums).
                if book.is_none() {
                    book = Some(NameBook::from_users(&self.store.users().await?));
                }
                let Some(book) = book.as_ref() else { continue };
                let mut threads = vec![];
                for t in self.store.threads(&view.channel.name).await? {
                    let key = domain::thread::thread_key(&t.id);
                    let newest = self.store.messages_page(&key, 0, 1).await?.pop();
                    threads.push(ThreadView::of(t, newest.as_ref(), book));
                }
                view.threads = Some(threads);
            }
            match view.channel.kind {
                ChannelKind::Text => {
                    view.last_message = Some(self.store.last_message_time(&view.channel.name).await?);
                }
                ChannelKind::Voice => {
                    let seats = self.rooms.seats(&view.channel.name);
                    view.voice_state = Some(seats.into_iter().map(|s| (s.username, s.muted)).collect());
                }
                _ => {}
            }
            views.push(view);
        }
        Ok(views)
    }

    fn coalescer(&self) -> std::sync::MutexGuard<'_, Coalescer> {
        self.coalescer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs the pushes a command asked for: the ejection at once, the lists in a run that
    /// starts after this call (shared with the requests made meanwhile).
    pub async fn run(&self, pushes: Pushes) {
        if let Some(user) = &pushes.eject {
            self.eject_banned(user);
        }
        if !(pushes.users || pushes.roles || pushes.channels) {
            return;
        }
        let mine = {
            let mut c = self.coalescer();
            c.requested += 1;
            c.wanted.users |= pushes.users;
            c.wanted.roles |= pushes.roles;
            c.wanted.channels |= pushes.channels;
            c.requested
        };
        loop {
            let finished = self.done.notified();
            let job = {
                let mut c = self.coalescer();
                if c.finished >= mine {
                    return;
                }
                if c.running {
                    None
                } else {
                    c.running = true;
                    c.started = c.requested;
                    Some((std::mem::take(&mut c.wanted), c.started))
                }
            };
            match job {
                None => finished.await,
                Some((wanted, covers)) => {
                    // Whatever happens to this task, the next caller may run.
                    let run = RunGuard { lists: self, covers, completed: false };
                    self.push(&wanted).await;
                    run.complete();
                }
            }
        }
    }

    /// One run of the list pushes.
    async fn push(&self, pushes: &Pushes) {
        if pushes.roles {
            match self.store.roles().await {
                Ok(roles) => self.hub.send_all_authenticated(&Packet::RolesList(roles)),
                Err(e) => tracing::error!(error = %e, "roles_list push failed"),
            }
        }
        if pushes.channels || pushes.roles {
            self.voice.reconcile().await;
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
        self.hub.publish(|| ClusterEvent::ChannelLists);
        self.push_own_channel_lists().await;
    }

    /// Pushes this node's connections their channel lists (another node asked for it).
    pub async fn push_own_channel_lists(&self) {
        let all = match self.store.channels().await {
            Ok(channels) => self.with_server_fields(channels).await,
            Err(e) => Err(e),
        };
        let all = match all {
            Ok(v) => v,
            Err(e) => return tracing::error!(error = %e, "channels_get push failed"),
        };
        let mut per_user: HashMap<UserId, Vec<ConnId>> = HashMap::new();
        for (conn, user) in self.hub.authenticated() {
            per_user.entry(user).or_default().push(conn);
        }
        let mut variants: Vec<(Vec<ChannelView>, Vec<ConnId>)> = vec![];
        for (user_id, conns) in per_user {
            let Ok(Some(user)) = self.store.user(&user_id).await else { continue };
            let views: Vec<ChannelView> = all.iter().filter(|v| lists_channel(&user, &v.channel)).cloned().collect();
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
