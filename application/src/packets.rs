//! Every packet the server sends, as typed values. The wire adapter renders each variant
//! to the exact JSON of the spec; nothing else in the server builds JSON for clients.

use domain::rate_limit::Denial;
use domain::{Emoji, RawJson, User};

use crate::errors::{AuthErrorText, CommandError};
use crate::slash::Registered;
use crate::views::{ChannelView, MessageView, UserView};
use crate::voice::Seat;

/// The fields of the handshake (docs/design/connections.md#handshake).
#[derive(Debug, Clone, PartialEq)]
pub struct Handshake {
    /// The config's `server` section (icon/banner rewritten), as JSON text.
    pub server: RawJson,
    /// Stored fields that replace `name`/`icon`/`banner` of `server`.
    pub overrides: crate::ports::ServerProfile,
    /// The config's `limits` section, as JSON text.
    pub limits: RawJson,
    /// Always `"1.1.0"`.
    pub version: &'static str,
    /// This connection's key.
    pub validator_key: String,
    /// Commands this server implements compatibly.
    pub capabilities: Vec<String>,
}

/// The `status` object of `rate_limit_status`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateStatus {
    /// Accepted messages in the last 60 s.
    pub messages_this_minute: usize,
    /// `rate_limiting.messages_per_minute`.
    pub messages_per_minute_limit: usize,
    /// Accepted messages in the burst window.
    pub recent_messages: usize,
    /// `rate_limiting.burst_limit`.
    pub burst_limit: usize,
    /// Seconds of burst cooldown left.
    pub cooldown_remaining: f64,
    /// Seconds of moderation timeout left (an addition).
    pub timeout_remaining: f64,
}

/// How `messages_get` echoes the request's paging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// Raw `start` (0 for the id form).
    pub start: i64,
    /// Raw `start + limit`.
    pub end: i64,
}

/// How far a user has read a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadState {
    /// Id of the last message read (`None`: never acknowledged).
    pub last_read: Option<String>,
    /// Messages after it (all of them when it is unset or no longer there).
    pub unread_count: u64,
    /// Messages in the channel.
    pub total_messages: u64,
    /// A thread's forum (`unreads_get` names it for threads only).
    pub parent_channel: Option<String>,
}

/// A packet for one or many connections.
#[derive(Debug, Clone, PartialEq)]
pub enum Packet {
    /// First packet of every connection.
    Handshake(Box<Handshake>),
    /// `auth` accepted.
    AuthSuccess,
    /// `auth` refused, or a command before auth.
    AuthError(AuthErrorText),
    /// Sent after `auth_success`: the stored record and a new session token.
    Ready {
        /// Stored record (rendered without `validator`).
        user: Box<User>,
        /// The new session token.
        validator: String,
        /// The resumable session's id, when the client opted in (docs/design/resume.md).
        session_id: Option<String>,
    },
    /// A `resume` was honoured: everything missed has been replayed.
    Resumed {
        /// The session.
        session_id: String,
        /// The last number sent so far.
        seq: u64,
    },
    /// A user's first ever login.
    UserJoin(UserView),
    /// A user's first open connection.
    UserConnect(UserView),
    /// A user's last connection closed.
    UserDisconnect {
        /// Their name.
        username: String,
    },
    /// Application heartbeat.
    Ping,
    /// Answer to the client's `ping`.
    Pong,
    /// `server_info`: the current name, icon and banner.
    ServerInfo(crate::ports::ServerProfile),
    /// `server_update`: the name, icon and banner after a change.
    ServerUpdate(crate::ports::ServerProfile),
    /// A new message (global, channel-scoped).
    MessageNew {
        /// Channel name.
        channel: String,
        /// The message as clients see it.
        message: Box<MessageView>,
    },
    /// An edited message (global, channel-scoped).
    MessageEdit {
        /// Channel name.
        channel: String,
        /// The message after the edit, with `position`.
        message: Box<MessageView>,
    },
    /// A deleted message (global, channel-scoped).
    MessageDelete {
        /// Channel name.
        channel: String,
        /// Its id.
        id: String,
    },
    /// Someone is typing (global, channel-scoped).
    Typing {
        /// Channel name.
        channel: String,
        /// Who.
        user: String,
    },
    /// One message, with `position`.
    MessageGet {
        /// Channel name.
        channel: String,
        /// The message.
        message: Box<MessageView>,
    },
    /// Replies to a message.
    MessageReplies {
        /// Channel name.
        channel: String,
        /// The parent's id.
        message_id: String,
        /// Oldest first.
        replies: Vec<MessageView>,
    },
    /// Search results.
    MessagesSearch {
        /// Channel name.
        channel: String,
        /// The query as sent.
        query: String,
        /// Newest first.
        results: Vec<MessageView>,
    },
    /// Pinned messages.
    MessagesPinned {
        /// Channel name.
        channel: String,
        /// Newest first.
        messages: Vec<MessageView>,
    },
    /// A pin or unpin (global, channel-scoped).
    MessagePin {
        /// Channel name.
        channel: String,
        /// Message id.
        id: String,
        /// True for `message_pin`, false for `message_unpin`.
        pinned: bool,
    },
    /// A reaction added or removed (global, channel-scoped).
    Reaction {
        /// True for `message_react_add`.
        added: bool,
        /// Channel name.
        channel: String,
        /// Message id.
        id: String,
        /// The emoji.
        emoji: String,
        /// Who reacted.
        from: String,
    },
    /// Messages that mention the caller.
    PingsGet {
        /// The page, each with its `channel`.
        messages: Vec<MessageView>,
        /// Echo.
        offset: i64,
        /// Echo.
        limit: i64,
        /// Matches before paging.
        total: usize,
    },
    /// `users_list` reply and push: every user not banned.
    UsersList(Vec<UserView>),
    /// `users_online`: one entry per online user.
    UsersOnline(Vec<UserView>),
    /// `users_banned_list`: banned usernames.
    UsersBannedList(Vec<String>),
    /// `user_ban` reply.
    UserBan {
        /// Target's display name.
        user: String,
        /// Whether a ban was added.
        banned: bool,
    },
    /// `user_unban` reply.
    UserUnban {
        /// Target's display name.
        user: String,
        /// Whether a ban was lifted.
        unbanned: bool,
    },
    /// `user_timeout` reply.
    UserTimeout {
        /// The `user` field exactly as sent.
        user: RawJson,
        /// Seconds.
        timeout: i64,
    },
    /// Someone left the server (to everyone).
    UserLeft {
        /// Their name.
        username: String,
    },
    /// `user_leave` reply to the leaver.
    UserLeaveReply {
        /// Their name.
        user: String,
    },
    /// `user_roles_add` reply.
    UserRolesAdd {
        /// Target's display name.
        user: String,
        /// The full new list.
        roles: Vec<String>,
    },
    /// `user_roles_remove` reply.
    UserRolesRemove {
        /// Target's display name.
        user: String,
        /// The full new list.
        roles: Vec<String>,
        /// Whether anything changed.
        removed: bool,
    },
    /// `user_roles_get` reply.
    UserRolesGet {
        /// Target's display name.
        user: String,
        /// Their roles.
        roles: Vec<String>,
        /// Colour of the first role.
        color: Option<String>,
    },
    /// `user_roles_set` reply.
    UserRolesSet {
        /// Target's display name.
        user: String,
        /// The full new list.
        roles: Vec<String>,
    },
    /// `roles_list` reply and push (roles in hierarchy order).
    RolesList(Vec<domain::Role>),
    /// `role_reorder` reply: the role names in their new order.
    RoleReorder(Vec<String>),
    /// `self_role_add` (`added`) or `self_role_remove` reply.
    SelfRole {
        /// True for `self_role_add`.
        added: bool,
        /// The role.
        role: String,
        /// The caller's roles after the change.
        roles: Vec<String>,
    },
    /// `self_roles_list` reply: the self-assignable roles and whether the caller holds each.
    SelfRolesList(Vec<(domain::Role, bool)>),
    /// `role_create` reply.
    RoleCreated(String),
    /// `role_update` reply.
    RoleUpdated(String),
    /// `role_delete` reply.
    RoleDeleted(String),
    /// `role_permissions_set` reply.
    RolePermissionsSet {
        /// Role name.
        name: String,
        /// The new `permissions` object.
        permissions: RawJson,
    },
    /// `role_permissions_get` reply.
    RolePermissionsGet {
        /// Role name.
        name: String,
        /// The `permissions` object (`{}` when none).
        permissions: RawJson,
    },
    /// `channel_create` reply.
    ChannelCreated(Box<domain::Channel>),
    /// `channel_update` reply.
    ChannelUpdated(Box<domain::Channel>),
    /// `channel_move` reply.
    ChannelMoved {
        /// Channel name.
        name: String,
        /// Requested position.
        position: i64,
        /// Whether it was moved.
        moved: bool,
    },
    /// `channel_delete` reply.
    ChannelDeleted(String),
    /// `rate_limit_status` reply.
    RateLimitStatus {
        /// Target's display name (`None` when unknown).
        user: Option<String>,
        /// Message-bucket counters and limits.
        status: Box<RateStatus>,
    },
    /// `rate_limit_reset` reply.
    RateLimitReset {
        /// Target's display name.
        user: String,
    },
    /// A page of history.
    MessagesGet {
        /// Channel name.
        channel: String,
        /// Oldest first.
        messages: Vec<MessageView>,
        /// Echo of the request.
        range: Range,
    },
    /// A user's visible status (`status_get` reply and `status_set` broadcast).
    StatusGet {
        /// Display name.
        username: String,
        /// The status as others see it.
        status: domain::Presence,
    },
    /// `status_set` reply for a hidden status (to the sender only).
    StatusSet {
        /// The status as chosen.
        status: domain::Presence,
    },
    /// `user_update` reply.
    UserUpdateReply {
        /// The user's display name.
        user: String,
        /// The nickname now.
        nickname: Option<String>,
    },
    /// `user_updated` broadcast.
    UserUpdated {
        /// The user's display name.
        username: String,
        /// The nickname now.
        nickname: Option<String>,
    },
    /// A nickname was set.
    NicknameUpdate {
        /// The user's display name.
        username: String,
        /// The new nickname.
        nickname: String,
    },
    /// A nickname was removed.
    NicknameRemove {
        /// The user's display name.
        username: String,
    },
    /// `user_delete` reply.
    UserDeleteReply {
        /// The deleted user's display name.
        user: String,
    },
    /// `unreads_get`: the caller's read state of every text channel they may view.
    UnreadsGet {
        /// Channel name and its state, in display order.
        unreads: Vec<(String, UnreadState)>,
    },
    /// `unreads_count`: the caller's read state of one channel.
    UnreadsCount {
        /// Channel name.
        channel: String,
        /// Its state.
        state: UnreadState,
    },
    /// `unreads_ack`: the caller's marker moved (`None`: an empty channel, nothing stored).
    UnreadsAck {
        /// Channel name.
        channel: String,
        /// The message now last read.
        last_read: Option<String>,
    },
    /// `unreads_update`: a user's marker moved, sent to each of their connections.
    UnreadsUpdate {
        /// Channel name.
        channel: String,
        /// The message now last read.
        last_read: String,
    },
    /// `messages_around`: a message with its older and newer neighbours.
    MessagesAround {
        /// Channel name.
        channel: String,
        /// Oldest first.
        messages: Vec<MessageView>,
        /// 0-based index in the channel of the first message, and one past the last.
        range: Range,
    },
    /// The channels the recipient may view.
    ChannelsGet(Vec<ChannelView>),
    /// A new thread (global, to the forum's viewers).
    ThreadCreate {
        /// The forum.
        channel: String,
        /// The thread.
        thread: Box<crate::views::ThreadView>,
    },
    /// `thread_get` reply.
    ThreadGet(Box<crate::views::ThreadView>),
    /// `thread_messages` reply: a page, oldest first.
    ThreadMessages {
        /// The thread.
        thread_id: String,
        /// Oldest first.
        messages: Vec<MessageView>,
    },
    /// A changed thread (global, to the forum's viewers).
    ThreadUpdate {
        /// The forum.
        channel: String,
        /// The thread after the change.
        thread: Box<crate::views::ThreadView>,
    },
    /// A deleted thread (global, to the forum's viewers).
    ThreadDelete {
        /// The forum.
        channel: String,
        /// The thread.
        thread_id: String,
    },
    /// A user joined (`join`) or left a thread (global, to the forum's viewers).
    ThreadMembership {
        /// Joined (true) or left.
        join: bool,
        /// The thread after the change.
        thread: Box<crate::views::ThreadView>,
        /// The user's display name.
        user: String,
    },
    /// `messages_get` / `messages_around` with `thread_id`: a page of a thread.
    ThreadPage {
        /// `messages_get` (false) or `messages_around` (true).
        around: bool,
        /// The forum.
        channel: String,
        /// The thread.
        thread_id: String,
        /// Oldest first.
        messages: Vec<MessageView>,
        /// As for a channel.
        range: Range,
    },
    /// A channel packet about a message of a thread: the packet with `thread_id` added
    /// (`message_new`, `typing`, `message_edit`, `message_delete`, reactions, pins).
    InThread {
        /// The thread.
        thread_id: String,
        /// The packet as for a channel, naming the forum.
        packet: Box<Packet>,
    },
    /// `unreads_count` of a thread.
    ThreadUnreadsCount {
        /// The thread.
        thread_id: String,
        /// Its state.
        state: UnreadState,
    },
    /// `unreads_ack` of a thread.
    ThreadUnreadsAck {
        /// The thread.
        thread_id: String,
        /// The message now last read.
        last_read: Option<String>,
    },
    /// `unreads_update` of a thread, to each connection of the reader.
    ThreadUnreadsUpdate {
        /// The thread.
        thread_id: String,
        /// The message now last read.
        last_read: String,
    },
    /// New slash commands (to everyone).
    SlashAdd(Vec<Registered>),
    /// Slash commands that went away with their bot (to everyone).
    SlashRemove(Vec<String>),
    /// `slash_register` reply: how many commands were submitted.
    SlashRegistered(usize),
    /// `slash_list` reply.
    SlashList(Vec<Registered>),
    /// A call routed to the bot that registered the command.
    SlashCall {
        /// Command name.
        command: String,
        /// Arguments as the caller sent them (a JSON object).
        args: RawJson,
        /// The bot's display name.
        commander: String,
        /// The caller's id.
        invoker: domain::UserId,
        /// The caller's display name.
        invoker_username: String,
        /// Where it was called.
        channel: String,
    },
    /// `slash_call` reply to the caller.
    SlashCallSent(String),
    /// `plugins_list` reply.
    PluginsList(Vec<crate::ports::PluginInfo>),
    /// `plugins_reload` reply (`None`: every plugin).
    PluginsReloaded(Option<String>),
    /// `push_get_vapid` reply: the VAPID public key (base64url, uncompressed point).
    PushVapid(String),
    /// `push_subscribe` reply.
    PushSubscribed,
    /// `push_unsubscribe` reply (also when nothing matched).
    PushUnsubscribed,
    /// `emoji_get_all`: every custom emoji, ascending by id.
    EmojiList(Vec<Emoji>),
    /// `emoji_add` succeeded (also sent to the other logged-in connections).
    EmojiAdded(Box<Emoji>),
    /// `emoji_update`'s answer (also sent to the others when `updated`).
    EmojiUpdated {
        /// The id as requested.
        id: i64,
        /// Whether the emoji changed.
        updated: bool,
        /// The new name, when renamed.
        name: Option<String>,
    },
    /// `emoji_delete`'s answer (also sent to the others when `deleted`).
    EmojiDeleted {
        /// The id as requested.
        id: i64,
        /// Whether an emoji was deleted.
        deleted: bool,
    },
    /// `emoji_get_id`.
    EmojiId {
        /// The name as requested.
        name: String,
        /// The emoji's id.
        id: i64,
    },
    /// `emoji_get_filename`.
    EmojiFileName {
        /// The name as requested.
        name: String,
        /// The emoji's bare file name.
        file_name: String,
    },
    /// Sent before a plugin closes a user's connections.
    Disconnect {
        /// Why.
        reason: String,
    },
    /// A packet a plugin built itself (a JSON object with a string `cmd`).
    Custom(RawJson),
    /// `voice_join` reply: the other participants, each with their `peer_id`.
    VoiceJoined {
        /// Voice channel.
        channel: String,
        /// Everyone else in the call, in join order.
        participants: Vec<Seat>,
    },
    /// `voice_leave` reply; also the notice to a connection whose seat was taken away.
    VoiceLeft {
        /// The channel left.
        channel: String,
    },
    /// `voice_mute` / `voice_unmute` reply.
    VoiceMuted {
        /// Voice channel.
        channel: String,
        /// The new flag (selects the `cmd`).
        muted: bool,
    },
    /// `voice_state` reply.
    VoiceState {
        /// Voice channel.
        channel: String,
        /// Everyone in the call, in join order.
        participants: Vec<Seat>,
        /// Whether the asking connection is in the call (then `peer_id`s are included).
        with_peer: bool,
    },
    /// Someone joined a voice channel (to its viewers).
    VoiceUserJoined {
        /// Voice channel.
        channel: String,
        /// The new participant.
        seat: Seat,
        /// `peer_id` included: the variant for connections in the call.
        with_peer: bool,
    },
    /// Someone muted or unmuted (to the channel's viewers).
    VoiceUserUpdated {
        /// Voice channel.
        channel: String,
        /// The participant after the change.
        seat: Seat,
        /// `peer_id` included: the variant for connections in the call.
        with_peer: bool,
    },
    /// Someone left a voice channel (to its viewers).
    VoiceUserLeft {
        /// Voice channel.
        channel: String,
        /// Their name.
        username: String,
    },
    /// A command failed.
    Error {
        /// The failing command (`None` when the request had none).
        src: Option<String>,
        /// What went wrong.
        error: CommandError,
    },
    /// An action was refused by the limiter or a timeout.
    RateLimit {
        /// Reason and wait.
        denial: Denial,
        /// `typing` adds `wait_time` (docs/design/rate-limits.md#packet).
        typing: bool,
    },
}
