//! The plugin port (docs/design/plugins.md): the events the server tells plugins
//! about, the actions a plugin may ask for, and the host that runs plugins.
//!
//! Events are emitted after the triggering change is committed and broadcast. A host never
//! runs plugin code on the caller's task: [`PluginHost::notify`] only queues, and actions
//! come back through the [`ActionSender`] the host was built with, to be carried out by the
//! application like any other command. Only [`PluginHost::screen_message`] runs inline, and
//! only built-in (trusted, in-process) plugins take part in it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use domain::rate_limit::Denial;
use domain::{Channel, Message, RawJson, Role, User, UserId};

/// A user an event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Rotur id.
    pub id: UserId,
    /// Display name.
    pub username: String,
}

impl Actor {
    /// The actor of a stored user.
    pub fn of(user: &User) -> Self {
        Self { id: user.id.clone(), username: user.display_name().to_owned() }
    }
}

/// Something that happened (docs/design/plugins.md#events; the same names and data fields).
#[derive(Debug, Clone, PartialEq)]
pub enum PluginEvent {
    /// The server began listening.
    ServerStart,
    /// A user's first ever login.
    UserJoin {
        /// The stored record.
        user: Box<User>,
        /// Colour of their first role.
        color: Option<String>,
    },
    /// Every successful login.
    UserConnect {
        /// The stored record.
        user: Box<User>,
        /// Colour of their first role.
        color: Option<String>,
    },
    /// A message was posted.
    NewMessage {
        /// Channel name (the forum for a thread message).
        channel: String,
        /// The thread, for a message of a thread (docs/design/threads.md#thread-messages).
        thread_id: Option<String>,
        /// The stored message.
        message: Box<Message>,
        /// Its author.
        by: Actor,
    },
    /// Someone is typing.
    Typing {
        /// Channel name (the forum for a thread message).
        channel: String,
        /// The thread, for a message of a thread (docs/design/threads.md#thread-messages).
        thread_id: Option<String>,
        /// Who.
        by: Actor,
    },
    /// A message was edited.
    MessageEdit {
        /// Channel name (the forum for a thread message).
        channel: String,
        /// The thread, for a message of a thread (docs/design/threads.md#thread-messages).
        thread_id: Option<String>,
        /// Message id.
        id: String,
        /// The new content.
        content: String,
        /// Who.
        by: Actor,
    },
    /// A message was deleted.
    MessageDelete {
        /// Channel name (the forum for a thread message).
        channel: String,
        /// The thread, for a message of a thread (docs/design/threads.md#thread-messages).
        thread_id: Option<String>,
        /// Message id.
        id: String,
        /// Who.
        by: Actor,
    },
    /// A message was pinned or unpinned.
    MessagePin {
        /// Channel name (the forum for a thread message).
        channel: String,
        /// The thread, for a message of a thread (docs/design/threads.md#thread-messages).
        thread_id: Option<String>,
        /// Message id.
        id: String,
        /// The new state (selects `message_pin` / `message_unpin`).
        pinned: bool,
        /// Who.
        by: Actor,
    },
    /// A timeout was set or cleared.
    UserTimeout {
        /// Target.
        target: Actor,
        /// Milliseconds (0 = cleared).
        timeout_ms: i64,
    },
    /// A ban (`banned`) or unban.
    UserBan {
        /// Target.
        target: Actor,
        /// True for `user_ban`, false for `user_unban`.
        banned: bool,
    },
    /// A user left the server (`user_leave`).
    UserLeave {
        /// Who.
        target: Actor,
    },
    /// A role was created (`created`) or updated.
    RoleSaved {
        /// The role after the change.
        role: Box<Role>,
        /// True for `role_create`.
        created: bool,
    },
    /// A role was deleted.
    RoleDelete {
        /// Its name.
        name: String,
    },
    /// A channel was created.
    ChannelCreate {
        /// The stored channel.
        channel: Box<Channel>,
    },
    /// A channel was changed (maybe renamed).
    ChannelUpdate {
        /// Its name before.
        old_name: String,
        /// The stored channel after.
        channel: Box<Channel>,
    },
    /// A channel was moved.
    ChannelMove {
        /// Channel name.
        channel: String,
        /// Requested position.
        position: i64,
    },
    /// A channel was deleted.
    ChannelDelete {
        /// Its name.
        name: String,
    },
    /// Roles were added to (`added`) or removed from a user.
    UserRoles {
        /// Target.
        target: Actor,
        /// The roles named in the request.
        roles: Vec<String>,
        /// True for `user_roles_add`.
        added: bool,
    },
    /// The automod plugin timed someone out.
    AutoModerate {
        /// Who.
        by: Actor,
        /// Where.
        channel: String,
        /// What they wrote.
        content: String,
        /// Timeout in seconds.
        duration: i64,
        /// The message, when it was posted.
        message_id: Option<String>,
    },
}

impl PluginEvent {
    /// The event's name (a plugin handles it with `on_<name>`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::ServerStart => "server_start",
            Self::UserJoin { .. } => "user_join",
            Self::UserConnect { .. } => "user_connect",
            Self::NewMessage { .. } => "new_message",
            Self::Typing { .. } => "typing",
            Self::MessageEdit { .. } => "message_edit",
            Self::MessageDelete { .. } => "message_delete",
            Self::MessagePin { pinned: true, .. } => "message_pin",
            Self::MessagePin { pinned: false, .. } => "message_unpin",
            Self::UserTimeout { .. } => "user_timeout",
            Self::UserBan { banned: true, .. } => "user_ban",
            Self::UserBan { banned: false, .. } => "user_unban",
            Self::UserLeave { .. } => "user_leave",
            Self::RoleSaved { created: true, .. } => "role_create",
            Self::RoleSaved { created: false, .. } => "role_update",
            Self::RoleDelete { .. } => "role_delete",
            Self::ChannelCreate { .. } => "channel_create",
            Self::ChannelUpdate { .. } => "channel_update",
            Self::ChannelMove { .. } => "channel_move",
            Self::ChannelDelete { .. } => "channel_delete",
            Self::UserRoles { added: true, .. } => "user_roles_add",
            Self::UserRoles { added: false, .. } => "user_roles_remove",
            Self::AutoModerate { .. } => "auto_moderate",
        }
    }

    /// Every event name, for documentation and validation.
    pub const NAMES: [&'static str; 23] = [
        "server_start",
        "user_join",
        "user_connect",
        "new_message",
        "typing",
        "message_edit",
        "message_delete",
        "message_pin",
        "message_unpin",
        "user_timeout",
        "user_ban",
        "user_unban",
        "user_leave",
        "role_create",
        "role_update",
        "role_delete",
        "channel_create",
        "channel_update",
        "channel_move",
        "channel_delete",
        "user_roles_add",
        "user_roles_remove",
        "auto_moderate",
    ];
}

/// Something a plugin asks the server to do. Users are named by username or id.
#[derive(Debug, Clone, PartialEq)]
pub enum PluginAction {
    /// Post a message (persisted, sent to the channel's viewers) as a pseudo-user.
    SendMessage {
        /// Text channel.
        channel: String,
        /// Text.
        content: String,
        /// Author shown to clients (not a real account).
        author: String,
    },
    /// Delete a message and tell the channel.
    DeleteMessage {
        /// Channel name.
        channel: String,
        /// Message id.
        id: String,
    },
    /// Time a user out (0 clears); `notice` is sent to them as a `rate_limit` reason.
    Timeout {
        /// Username or id.
        user: String,
        /// Seconds.
        seconds: i64,
        /// The `rate_limit` reason sent to the user, if any.
        notice: Option<String>,
    },
    /// Ban (`true`) or unban a user.
    Ban {
        /// Username or id.
        user: String,
        /// Ban or unban.
        banned: bool,
    },
    /// Close a user's connections after a `disconnect` packet.
    Kick {
        /// Username or id.
        user: String,
        /// Shown to them.
        reason: String,
    },
    /// Give (`true`) or take a role.
    Role {
        /// Username or id.
        user: String,
        /// Role name (must exist to be given).
        role: String,
        /// Give or take.
        grant: bool,
    },
    /// Send a packet to every connection of a user.
    SendToUser {
        /// Username or id.
        user: String,
        /// A JSON object with a non-empty string `cmd` (the host checks it).
        packet: RawJson,
    },
    /// Send a packet to everyone, or to the viewers of a channel.
    Broadcast {
        /// A JSON object with a non-empty string `cmd` (the host checks it).
        packet: RawJson,
        /// Limit to this channel's viewers.
        channel: Option<String>,
    },
    /// Tell every plugin about an event (automod's `auto_moderate`).
    Emit(Box<PluginEvent>),
}

/// An action and the plugin that asked for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Requested {
    /// Plugin key (file or built-in name).
    pub plugin: String,
    /// What to do.
    pub action: PluginAction,
}

/// One of a plugin's actions waiting to be carried out; the plugin's count of waiting
/// actions drops when the ticket is dropped (after the action ran), so a host can cap how
/// many actions one plugin has waiting without ever blocking.
#[derive(Debug)]
pub struct Ticket(Arc<AtomicUsize>);

impl Ticket {
    /// A ticket from `waiting`, unless `max` actions already wait.
    pub fn take(waiting: &Arc<AtomicUsize>, max: usize) -> Option<Self> {
        if waiting.fetch_add(1, Ordering::SeqCst) >= max {
            waiting.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Self(waiting.clone()))
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// An action on its way to the application.
#[derive(Debug)]
pub struct Queued {
    /// What to do, and for whom.
    pub requested: Requested,
    /// Released once it ran.
    pub ticket: Ticket,
}

/// Where hosts send the actions their plugins ask for (never blocks; hosts bound each
/// plugin's waiting actions with [`Ticket`]s).
pub type ActionSender = tokio::sync::mpsc::UnboundedSender<Queued>;

/// A message about to be stored, for built-in screening.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    /// Channel name.
    pub channel: String,
    /// The id it will have.
    pub id: String,
    /// Content after trimming.
    pub content: String,
    /// Author.
    pub by: Actor,
    /// Author's roles.
    pub roles: Vec<String>,
    /// Whether the text may be a command to a plugin (`!automod …`): true for a new message
    /// its author posts; false for an edit or a bot's slash response, which are only
    /// screened, so that a bot repeating a user's words never runs a command with the bot's
    /// roles.
    pub commands: bool,
}

/// The verdict on a draft.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Screening {
    /// Refuse the message with this `rate_limit` answer.
    pub block: Option<Denial>,
    /// Carry these out afterwards.
    pub actions: Vec<Requested>,
}

/// One loaded plugin as `plugins_list` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginInfo {
    /// Key: the built-in's name or the script's file stem.
    pub key: String,
    /// Display name.
    pub name: String,
    /// What it does.
    pub description: String,
    /// Events it handles.
    pub handles: Vec<String>,
    /// `None` while running; why it was stopped otherwise.
    pub stopped: Option<String>,
}

/// Runs plugins.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PluginHost: Send + Sync {
    /// Screens a message before it is stored. MUST return quickly and never run script code.
    fn screen_message(&self, draft: &Draft) -> Screening;
    /// Queues an event for every plugin handling it. MUST NOT block or run plugin code
    /// on the caller's task; a plugin whose queue is full misses the event (logged).
    fn notify(&self, event: &PluginEvent);
    /// The loaded plugins, in load order.
    fn list(&self) -> Vec<PluginInfo>;
    /// Stops every plugin for good (at shutdown): no plugin code runs after it returns,
    /// except a run already under way, which may finish.
    fn stop(&self) {}
    /// Reloads one plugin (re-reads its file or config) or, with `None`, all of them
    /// (new files are picked up, deleted ones dropped). MUST return `Err(name)` for an
    /// unknown plugin or one that failed to load (it is then unloaded).
    async fn reload(&self, plugin: Option<String>) -> Result<(), String>;
}

/// A host without plugins.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoPlugins;

#[async_trait]
impl PluginHost for NoPlugins {
    fn screen_message(&self, _draft: &Draft) -> Screening {
        Screening::default()
    }
    fn notify(&self, _event: &PluginEvent) {}
    fn list(&self) -> Vec<PluginInfo> {
        vec![]
    }
    async fn reload(&self, plugin: Option<String>) -> Result<(), String> {
        plugin.map_or(Ok(()), Err)
    }
}
