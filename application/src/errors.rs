//! The one table of error texts, one type per command family.
//!
//! Every text is exactly the original server's, so clients that match on them keep working;
//! texts marked "new" are this server's own where the original answered nothing. A command
//! fails with its family's error; the wire adapter sends it as
//! `{"cmd":"error","src":<cmd>,"val":<text>}`, except [`Limited`], which becomes a
//! `rate_limit` packet, and the malformed-frame errors of [`RequestError`], sent without
//! `src` (see docs/design/wire.md).
//!
//! A storage failure is never shown to clients: it reads "Internal error" and is logged,
//! with the command that met it, by the dispatcher.

use domain::rate_limit::Denial;

use crate::ports::StoreError;

/// An action refused by the rate limiter or a moderation timeout: answered with a
/// `rate_limit` packet, not an error packet.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", denial.reason)]
pub struct Limited {
    /// Reason and wait.
    pub denial: Denial,
    /// The command was `typing` (its packet adds `wait_time`).
    pub typing: bool,
}

/// Why an action was not admitted past timeouts and rate limits.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refused {
    /// The caller is gone, or storage failed.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// In timeout or over the limit.
    #[error(transparent)]
    Limited(#[from] Limited),
}

/// Failures of the checks every family shares: who is calling, and may they see the channel.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AccessError {
    /// The caller's record is gone.
    #[error("User not found")]
    UserNotFound,
    /// The caller has no roles (the original's "roles check").
    #[error("User roles not found")]
    UserRolesNotFound,
    /// An owner-only command from a non-owner who holds no named permission.
    #[error("Access denied: 'owner' role required")]
    OwnerRequired,
    /// A command needing a named permission the caller lacks
    /// (docs/design/permissions.md#refusal-texts).
    #[error("Access denied: '{0}' permission required")]
    PermissionRequired(String),
    /// A role at or above the caller's highest role (docs/design/permissions.md#hierarchy).
    #[error("Cannot manage roles at or above your position")]
    RoleAboveYou,
    /// A user whose highest role is at or above the caller's (new).
    #[error("Cannot manage users at or above your position")]
    UserAboveYou,
    /// A channel the caller may not view, or that does not hold text.
    #[error("Access denied to this channel")]
    ChannelAccessDenied,
    /// A storage failure; details are logged, never sent (new).
    #[error("Internal error")]
    Store(#[from] StoreError),
}

/// Text messages: posting, editing, deleting, reading, pins, reactions, typing, pings.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MessageError {
    /// Shared checks.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Refused by the limiter or a timeout.
    #[error(transparent)]
    Limited(#[from] Limited),
    /// Missing `channel`.
    #[error("Channel name not provided")]
    ChannelNameNotProvided,
    /// `message_new` without `channel` and/or `content` (the missing names, comma-separated).
    #[error("Missing fields: {0}")]
    MissingFields(String),
    /// Content empty after stripping.
    #[error("Message content cannot be empty")]
    EmptyContent,
    /// Content longer than `limits.post_content`.
    #[error("Message too long. Maximum length is {0} characters")]
    ContentTooLong(usize),
    /// No `send` right (or unknown / non-text channel).
    #[error("You do not have permission to send messages in this channel")]
    SendDenied,
    /// A role mention the sender may not make.
    #[error("You do not have permission to mention the '@&{0}' role")]
    MentionDenied(String),
    /// `reply_to` names no message of this channel.
    #[error("The message you're trying to reply to was not found")]
    ReplyTargetNotFound,
    /// `message_edit` without id, channel or content.
    #[error("Invalid message edit format")]
    InvalidEditFormat,
    /// Edit of a missing (or invisible) message.
    #[error("Message not found or cannot be edited")]
    EditNotFound,
    /// No `edit_own` right.
    #[error("You do not have permission to edit your own message in this channel")]
    EditOwnDenied,
    /// Editing someone else's message (nobody may).
    #[error("You do not have permission to edit this message")]
    EditOthersDenied,
    /// `message_delete` without id or channel.
    #[error("Invalid message delete format")]
    InvalidDeleteFormat,
    /// Delete of a missing (or invisible) message.
    #[error("Message not found or cannot be deleted")]
    DeleteNotFound,
    /// No `delete_own` right.
    #[error("You do not have permission to delete your own message in this channel")]
    DeleteOwnDenied,
    /// No `delete` right over others' messages.
    #[error("You do not have permission to delete this message")]
    DeleteOthersDenied,
    /// message_get / message_replies without channel or id.
    #[error("Channel name and message ID are required")]
    ChannelAndIdRequired,
    /// No such message.
    #[error("Message not found")]
    MessageNotFound,
    /// messages_search without channel or query.
    #[error("Channel name and query are required")]
    ChannelAndQueryRequired,
    /// No `pin` right.
    #[error("You do not have permission to pin messages in this channel")]
    PinDenied,
    /// Missing message id.
    #[error("Message ID is required")]
    MessageIdRequired,
    /// No `react` right (add).
    #[error("You do not have permission to add reactions to this message")]
    ReactAddDenied,
    /// No `react` right (remove).
    #[error("You do not have permission to remove reactions from this message")]
    ReactRemoveDenied,
    /// Missing emoji.
    #[error("Emoji is required")]
    EmojiRequired,
    /// Unknown message or not an emoji.
    #[error("Failed to add reaction")]
    ReactAddFailed,
    /// Unknown message, not an emoji, or no such reaction of the caller.
    #[error("Failed to remove reaction")]
    ReactRemoveFailed,
    /// A new emoji on a message that has the most different ones allowed (new).
    #[error("This message has too many different reactions")]
    TooManyReactions,
    /// One more reaction of a user who has the most allowed on this message (new).
    #[error("You have too many reactions on this message")]
    TooManyOwnReactions,
    /// pings_get `limit` out of range.
    #[error("Limit must be a number between 1 and 100")]
    PingsLimit,
    /// pings_get `offset` out of range.
    #[error("Offset must be a non-negative number")]
    PingsOffset,
    /// A `limit` that is not an integer (new).
    #[error("Invalid limit")]
    InvalidLimit,
    /// `messages_get` without a channel.
    #[error("Invalid channel name")]
    InvalidChannelName,
    /// `messages_get` with a wrongly typed `start` or `limit` (new).
    #[error("Invalid start or limit")]
    InvalidPaging,
    /// `messages_around` without `around`.
    #[error("around (message ID) is required")]
    AroundRequired,
    /// `messages_around` without `channel` (or `thread_id`).
    #[error("Channel or thread_id required")]
    ChannelOrThreadRequired,
    /// `messages_around` with `bounds` that is not an object of integers (new).
    #[error("Bounds must be an object of integers")]
    InvalidBounds,
    /// A channel that does not exist.
    #[error("Channel not found")]
    ChannelNotFound,
    /// An unreads command naming neither a channel nor a thread.
    #[error("Channel or thread_id is required")]
    ChannelOrThreadIdRequired,
    /// A thread that does not exist.
    #[error("Thread not found")]
    ThreadNotFound,
    /// `thread_create` without a channel or a name.
    #[error("Channel and thread name are required")]
    ThreadFieldsRequired,
    /// A thread command without `thread_id`.
    #[error("Thread ID is required")]
    ThreadIdRequired,
    /// `thread_create` in a channel that is not a forum.
    #[error("Threads can only be created in forum channels")]
    ThreadsForumOnly,
    /// No `create_thread` right in the forum.
    #[error("You do not have permission to create threads in this channel")]
    ThreadCreateDenied,
    /// A blank thread name.
    #[error("Thread name cannot be empty")]
    ThreadNameEmpty,
    /// A thread name longer than `domain::thread::MAX_THREAD_NAME` characters (new).
    #[error("Thread name must be at most 100 characters")]
    ThreadNameTooLong,
    /// A forum holding `domain::thread::MAX_THREADS_PER_FORUM` threads already (new).
    #[error("This forum has too many threads")]
    TooManyThreads,
    /// No `view` right on the thread's forum.
    #[error("You do not have permission to view this thread")]
    ThreadViewDenied,
    /// Neither the thread's creator nor holding `manage_threads`.
    #[error("You do not have permission to modify this thread")]
    ThreadModifyDenied,
    /// A message (or a join) in a locked thread.
    #[error("This thread is locked")]
    ThreadLocked,
    /// No `send` right on the thread's forum.
    #[error("You do not have permission to send messages in this thread")]
    ThreadSendDenied,
    /// A thread listing `domain::thread::MAX_PARTICIPANTS` participants already (new).
    #[error("This thread has too many participants")]
    ThreadFull,
    /// `unreads_ack` with a `message_id` that is not a string (new).
    #[error("Message ID must be a string")]
    MessageIdNotString,
}

/// Users and moderation: lists, bans, timeouts, leaving, a user's roles, rate-limit status.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UserError {
    /// Shared checks.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Refused by the profile bucket (`status_set`, `user_update`).
    #[error(transparent)]
    Limited(#[from] Limited),
    /// The named user does not exist.
    #[error("User not found")]
    UserNotFound,
    /// Missing `user` field.
    #[error("User parameter is required")]
    UserParameterRequired,
    /// An owner banning themselves.
    #[error("You cannot ban yourself")]
    CannotBanSelf,
    /// An owner timing themselves out.
    #[error("You cannot time out yourself")]
    CannotTimeoutSelf,
    /// `user_timeout` without a timeout.
    #[error("Timeout must be provided")]
    TimeoutRequired,
    /// A timeout that is not a non-negative integer.
    #[error("Timeout must be a positive integer")]
    TimeoutInvalid,
    /// `roles` missing, not a list, or empty.
    #[error("Roles list is required")]
    RolesListRequired,
    /// A role that does not exist.
    #[error("Role '{0}' does not exist")]
    RoleDoesNotExist(String),
    /// Removing every role of a user.
    #[error("Cannot remove all roles from a user")]
    CannotRemoveAllRoles,
    /// rate_limit_status about someone else, by a non-owner.
    #[error("Access denied: can only check your own rate limit status")]
    OwnRateLimitOnly,
    /// Rate limiting is off.
    #[error("Rate limiter not available or disabled")]
    RateLimiterDisabled,
    /// `status_set` without a status.
    #[error("Status is required")]
    StatusRequired,
    /// `status_set` with an unknown status, or a text that is not a string of at most 100
    /// characters.
    #[error("Invalid status. Must be one of: online, idle, dnd, offline, invisible")]
    InvalidStatus,
    /// `user_update` on someone else without `manage_users`.
    #[error("Access denied: 'manage_users' permission required")]
    ManageUsersRequired,
    /// `user_update` without an object of updates.
    #[error("Updates must be an object")]
    UpdatesNotObject,
    /// `user_update` naming a field it cannot change.
    #[error("Cannot update field: {0}")]
    CannotUpdateField(String),
    /// A nickname that is neither a string nor null.
    #[error("Nickname must be a string or null")]
    NicknameNotString,
    /// A nickname longer than 32 characters (new).
    #[error("Nickname must be at most 32 characters")]
    NicknameTooLong,
    /// Deleting the only owner.
    #[error("Cannot delete the last owner")]
    CannotDeleteLastOwner,
}

/// Roles and their permission objects.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RoleError {
    /// Shared checks.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Missing role name.
    #[error("Role name is required")]
    RoleNameRequired,
    /// Creating a role that exists.
    #[error("Role already exists")]
    RoleExists,
    /// No such role.
    #[error("Role not found")]
    RoleNotFound,
    /// Deleting a protected role.
    #[error("Cannot delete system roles")]
    SystemRole,
    /// Deleting a role someone holds.
    #[error("Role is assigned to user '{0}'")]
    RoleAssigned(String),
    /// Deleting a role a channel names.
    #[error("Role is used in channel '{0}' permissions")]
    RoleUsedInChannel(String),
    /// `permissions` that is not an object.
    #[error("Permissions must be an object")]
    PermissionsNotObject,
    /// A `permissions` list that is not a bounded list of names (new).
    #[error("Permissions must be a list of permission names")]
    InvalidPermissionList,
    /// Marking `owner`, `admin` or `moderator` self-assignable.
    #[error("Role '{0}' cannot be made self-assignable")]
    CannotBeSelfAssignable(String),
    /// `role_reorder` without a list of names.
    #[error("Roles array is required")]
    RolesArrayRequired,
    /// `role_reorder` whose list is not every role exactly once.
    #[error("Failed to reorder roles")]
    ReorderFailed,
    /// `self_role_add` / `self_role_remove` of a role that is not self-assignable.
    #[error("This role is not self-assignable")]
    NotSelfAssignable,
    /// `self_role_add` of a role already held.
    #[error("You already have this role")]
    AlreadyHaveRole,
    /// `self_role_remove` of a role not held.
    #[error("You don't have this role")]
    DontHaveRole,
    /// `self_role_remove` of the caller's last role.
    #[error("Cannot remove all roles from a user")]
    CannotRemoveLastRole,
}

/// Channels: listing and management.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChannelError {
    /// Shared checks.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Missing channel name (channel_create, channel_move, channel_delete).
    #[error("Channel name is required")]
    ChannelNameRequired,
    /// Missing channel type.
    #[error("Channel type is required (text, voice, or separator)")]
    ChannelTypeRequired,
    /// A type other than text, voice, separator (channel_create).
    #[error("Invalid channel type, must be text, voice, or separator")]
    ChannelTypeInvalidCreate,
    /// A type other than text, voice, separator (channel_update).
    #[error("Invalid channel type")]
    ChannelTypeInvalid,
    /// A name that cannot be a channel name.
    #[error("Invalid channel name")]
    ChannelNameInvalid,
    /// The channel could not be stored.
    #[error("Failed to create channel")]
    ChannelCreateFailed,
    /// Creating a channel that exists.
    #[error("Channel already exists")]
    ChannelExists,
    /// channel_update without `current_name`.
    #[error("current_name is required")]
    CurrentNameRequired,
    /// channel_update without a usable `updates`.
    #[error("updates object is required")]
    UpdatesRequired,
    /// No such channel.
    #[error("Channel not found")]
    ChannelNotFound,
    /// Renaming onto an existing name.
    #[error("Channel with new name already exists")]
    ChannelNameTaken,
    /// channel_move without a position.
    #[error("Position is required")]
    PositionRequired,
    /// A position that is not a non-negative integer.
    #[error("Position must be a non-negative integer")]
    PositionInvalid,
    /// `permissions` that is not an object.
    #[error("Permissions must be an object")]
    PermissionsNotObject,
}

/// Voice channels.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VoiceError {
    /// Shared checks.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Refused by the voice bucket.
    #[error(transparent)]
    Limited(#[from] Limited),
    /// Missing channel name.
    #[error("Channel name is required")]
    ChannelNameRequired,
    /// `voice_join` without a usable `peer_id`.
    #[error("Peer ID is required")]
    PeerIdRequired,
    /// A voice channel the caller may not view (or an unknown channel).
    #[error("You do not have permission to access this voice channel")]
    VoiceAccessDenied,
    /// `voice_join` / `voice_state` on a channel that is not a voice channel.
    #[error("This is not a voice channel")]
    NotVoiceChannel,
    /// `voice_leave` / `voice_mute` / `voice_unmute` outside any call.
    #[error("You are not in a voice channel")]
    NotInVoiceChannel,
}

/// Slash commands of bots.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SlashError {
    /// Shared checks.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Refused by a timeout.
    #[error(transparent)]
    Limited(#[from] Limited),
    /// `slash_register` without a non-empty `commands` list.
    #[error("Commands must be provided as a list")]
    CommandsRequired,
    /// Another connection of the same user is open (the original's rule).
    #[error("You already have slash commands registered from another session")]
    OtherSession,
    /// A command that does not match the schema; the text says where and why.
    #[error("Invalid command schema: {0}")]
    InvalidCommandSchema(String),
    /// A name another connection registered (new).
    #[error("Slash command /{0} is already registered")]
    NameTaken(String),
    /// `slash_call` / `slash_response` without `channel`.
    #[error("Channel parameter is required for slash commands")]
    ChannelRequired,
    /// No `send` right where the command was called (or not a text channel).
    #[error("You do not have permission to send messages in this channel")]
    SendDenied,
    /// `args` that is not an object.
    #[error("Command args must be an object")]
    ArgsNotObject,
    /// `command` that is not a string.
    #[error("Command name must be a string")]
    CommandNameNotString,
    /// No connection registered this command.
    #[error("Unknown slash command: /{0}")]
    UnknownCommand(String),
    /// The caller holds none of the listed roles (`'a'` or `'a' or 'b'`).
    #[error("Access denied: {0} role required")]
    RoleRequired(String),
    /// The caller holds a blacklisted role.
    #[error("Access denied: forbidden roles")]
    ForbiddenRoles,
    /// An argument the command does not declare.
    #[error("Unknown argument: {0}")]
    UnknownArgument(String),
    /// A required argument that is missing.
    #[error("Missing required argument: {0}")]
    MissingArgument(String),
    /// An argument of the wrong type.
    #[error("Invalid type for argument '{name}': expected {expected}, got {got}")]
    ArgumentType {
        /// Argument name.
        name: String,
        /// Declared type.
        expected: &'static str,
        /// Python type name of the value.
        got: &'static str,
    },
    /// An enum argument outside its choices.
    #[error("Invalid value for argument '{name}': expected one of [{choices}], got '{got}'")]
    EnumValue {
        /// Argument name.
        name: String,
        /// Allowed values, comma-separated.
        choices: String,
        /// The value given.
        got: String,
    },
    /// The bot went away while the call was being checked.
    #[error("Command handler for /{0} is not currently connected")]
    HandlerOffline(String),
    /// `slash_response` whose `response` is not a string.
    #[error("Slash response must be a string")]
    ResponseNotString,
    /// `slash_response` whose `response` is blank.
    #[error("Slash response cannot be empty")]
    ResponseEmpty,
    /// `slash_response` longer than `limits.post_content`.
    #[error("Message too long. Maximum length is {0} characters")]
    ResponseTooLong(usize),
    /// `slash_response` whose `command` is present but not a non-empty string.
    #[error("Command parameter is required for slash responses")]
    CommandRequired,
    /// `slash_response` that answers no live call of this connection.
    #[error("No pending slash command call to respond to")]
    NoPendingCall,
    /// Sent to callers whose bot went away before answering.
    #[error("The bot for this command disconnected")]
    BotDisconnected,
}

/// Server commands: plugins.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PluginError {
    /// Shared checks.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Unknown plugin, or one that failed to load.
    #[error("Failed to reload plugin '{0}'")]
    ReloadFailed(String),
}

/// `server_update` (docs/design/server-info.md): the original's texts, then this server's
/// length bounds (new).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ServerError {
    /// Shared checks.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// `name` neither a string nor null.
    #[error("Name must be a string or null")]
    NameType,
    /// `icon` neither a string nor null.
    #[error("Icon must be a string or null")]
    IconType,
    /// `banner` neither a string nor null.
    #[error("Banner must be a string or null")]
    BannerType,
    /// None of `name`, `icon`, `banner` given.
    #[error("No updates provided")]
    NoUpdates,
    /// A name longer than [`crate::services::server::MAX_SERVER_NAME`] characters (new).
    #[error("Name must be at most {0} characters")]
    NameTooLong(usize),
    /// An icon URL too long (new).
    #[error("Icon must be at most {0} characters")]
    IconTooLong(usize),
    /// A banner URL too long (new).
    #[error("Banner must be at most {0} characters")]
    BannerTooLong(usize),
}

/// Web Push commands (docs/push.md). The original's texts first, then this server's
/// checks of a subscription (new).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PushError {
    /// Shared checks.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// The socket has no user (unreachable: the connection loop asks for `auth` first).
    #[error("Not authenticated")]
    NotAuthenticated,
    /// No VAPID key (or push is off).
    #[error("VAPID keys not configured on this server")]
    VapidKeysMissing,
    /// `subscription` missing, empty or not an object.
    #[error("Missing subscription object")]
    MissingSubscription,
    /// `endpoint`, `keys.p256dh` or `keys.auth` missing or empty.
    #[error("subscription must include endpoint, keys.p256dh and keys.auth")]
    SubscriptionFieldsMissing,
    /// The subscription could not be stored (the cause is logged).
    #[error("Failed to save subscription")]
    SaveFailed,
    /// `push_unsubscribe` without `endpoint`.
    #[error("Missing endpoint")]
    MissingEndpoint,
    /// The subscription could not be deleted (the cause is logged).
    #[error("Failed to remove subscription")]
    RemoveFailed,
    /// An endpoint longer than the server stores (new).
    #[error("Push endpoint is too long (at most {0} bytes)")]
    EndpointTooLong(usize),
    /// An endpoint that is not an `https://` URL (new).
    #[error("Push endpoint must be an https:// URL")]
    EndpointNotHttps,
    /// An endpoint on a private, loopback or link-local address (new).
    #[error("Push endpoint must be a public address, not a private, loopback or link-local one")]
    EndpointNotPublic,
    /// An endpoint whose host name does not resolve (new).
    #[error("Push endpoint host could not be resolved")]
    EndpointUnresolvable,
    /// A `p256dh` that is no P-256 public key (new).
    #[error("keys.p256dh must be a P-256 public key: 65 bytes starting with 0x04, base64url-encoded")]
    BadP256dh,
    /// An `auth` that is no 16-byte secret (new).
    #[error("keys.auth must be a 16-byte secret, base64url-encoded")]
    BadAuth,
}

impl From<crate::ports::SubscriptionProblem> for PushError {
    fn from(p: crate::ports::SubscriptionProblem) -> Self {
        use crate::ports::SubscriptionProblem as P;
        match p {
            P::EndpointNotHttps => Self::EndpointNotHttps,
            P::EndpointNotPublic => Self::EndpointNotPublic,
            P::EndpointUnresolvable => Self::EndpointUnresolvable,
            P::BadP256dh => Self::BadP256dh,
            P::BadAuth => Self::BadAuth,
        }
    }
}

/// Custom emoji (docs/design/emojis.md). The precise `emoji_add` texts are new; the
/// original answered every failure after the shape check with `Error adding emoji`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EmojiError {
    /// Shared checks (the owner gate of add, update and delete).
    #[error(transparent)]
    Access(#[from] AccessError),
    /// A request whose fields do not have the expected shape; the detail says which.
    #[error("Invalid {cmd} command scheme: {detail}")]
    Scheme {
        /// The command.
        cmd: &'static str,
        /// What is wrong, readable.
        detail: String,
    },
    /// `emoji_add` failed for another reason (a storage or disk failure, logged).
    #[error("Error adding emoji")]
    AddFailed,
    /// A name that breaks the rule `[A-Za-z0-9_]{1,64}` (after trimming).
    #[error("Invalid emoji name")]
    InvalidName,
    /// Another emoji has this name, ignoring case.
    #[error("Emoji name already exists")]
    NameTaken,
    /// Not GIF, PNG, JPEG or WebP, or a kind `uploads.emoji_allowed_file_types` leaves out.
    #[error("Image type not allowed")]
    TypeNotAllowed,
    /// More bytes, pixels or frames than allowed.
    #[error("Image too large")]
    TooLarge,
    /// Bytes that do not decode as a whole image of their kind.
    #[error("Invalid image")]
    InvalidImage,
    /// `emoji_update` with neither `name` nor `image`.
    #[error("At least one field to update is required (name or image)")]
    NothingToUpdate,
    /// The server holds `uploads.emoji_max_count` emoji already.
    #[error("Emoji limit reached")]
    LimitReached,
    /// No emoji of that name.
    #[error("Emoji not found")]
    NotFound,
    /// The emoji has no file name.
    #[error("Emoji file not found")]
    FileNotFound,
}

impl EmojiError {
    /// The shape error of `cmd`.
    pub fn scheme(cmd: &'static str, detail: impl Into<String>) -> Self {
        Self::Scheme { cmd, detail: detail.into() }
    }
}

/// Why a plugin's action was not carried out (logged, never sent to a client; new).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ActionError {
    /// A storage failure.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The named user does not exist.
    #[error("no user {0:?}")]
    UserNotFound(String),
    /// The named role does not exist.
    #[error("no role {0:?}")]
    RoleNotFound(String),
    /// The named channel does not exist.
    #[error("no channel {0:?}")]
    ChannelNotFound(String),
    /// The channel does not hold text.
    #[error("channel {0:?} does not hold text")]
    NotText(String),
    /// The message would be empty.
    #[error("empty message")]
    EmptyContent,
    /// Refused as the owner's command would be.
    #[error(transparent)]
    User(#[from] UserError),
}

/// Why an operator action (`originchats user …`) failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AdminError {
    /// A storage failure.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A role that does not exist.
    #[error("Role '{0}' does not exist")]
    RoleDoesNotExist(String),
    /// Revoking a user's last role.
    #[error("Cannot remove all roles from a user")]
    CannotRemoveAllRoles,
    /// The user vanished meanwhile.
    #[error("User not found")]
    UserNotFound,
}

/// Failures of a frame before any command runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// A command the server does not know (the original's repr of `cmd`).
    #[error("Unknown command: {0}")]
    UnknownCommand(String),
    /// A frame that is not JSON (sent without `src`).
    #[error("Invalid message format: not valid JSON")]
    NotJson,
    /// JSON that is not an object (sent without `src`).
    #[error("Invalid message format: expected a dictionary, got {0}")]
    NotAnObject(&'static str),
    /// A `listener` longer than the server echoes (new; the listener is not echoed).
    #[error("Listener too long")]
    ListenerTooLong,
    /// An identifier field longer than any name or id can be (new).
    #[error("Field '{0}' is too long")]
    FieldTooLong(&'static str),
    /// A `resume` that cannot be honoured (new, docs/design/resume.md#refusals).
    #[error("Session cannot be resumed")]
    NotResumable,
}

/// Any command's failure, as the wire adapter sends it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CommandError {
    /// A frame that is no command.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// Shared checks.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Refused by the limiter or a timeout.
    #[error(transparent)]
    Limited(#[from] Limited),
    /// Text messages.
    #[error(transparent)]
    Message(MessageError),
    /// Users and moderation.
    #[error(transparent)]
    User(UserError),
    /// Roles.
    #[error(transparent)]
    Role(RoleError),
    /// Channels.
    #[error(transparent)]
    Channel(ChannelError),
    /// Voice.
    #[error(transparent)]
    Voice(VoiceError),
    /// Slash commands.
    #[error(transparent)]
    Slash(SlashError),
    /// Plugins.
    #[error(transparent)]
    Plugin(PluginError),
    /// Server name, icon and banner.
    #[error(transparent)]
    Server(ServerError),
    /// Web Push.
    #[error(transparent)]
    Push(PushError),
    /// Custom emoji.
    #[error(transparent)]
    Emoji(EmojiError),
}

/// Families whose shared variants are lifted to the top, so that a refusal or a storage
/// failure looks the same whichever family met it.
macro_rules! family {
    ($variant:ident($family:ident) $(, $limited:ident)?) => {
        impl From<$family> for CommandError {
            fn from(e: $family) -> Self {
                match e {
                    $family::Access(a) => Self::Access(a),
                    $($family::$limited(l) => Self::Limited(l),)?
                    other => Self::$variant(other),
                }
            }
        }
        impl From<StoreError> for $family {
            fn from(e: StoreError) -> Self {
                Self::Access(AccessError::Store(e))
            }
        }
    };
}
family!(Message(MessageError), Limited);
family!(User(UserError), Limited);
family!(Role(RoleError));
family!(Channel(ChannelError));
family!(Voice(VoiceError), Limited);
family!(Slash(SlashError), Limited);
family!(Plugin(PluginError));
family!(Server(ServerError));
family!(Push(PushError));
family!(Emoji(EmojiError));

/// Families whose actions pass the [`Refused`] gate.
macro_rules! gated {
    ($($family:ident),*) => {$(
        impl From<Refused> for $family {
            fn from(r: Refused) -> Self {
                match r {
                    Refused::Access(a) => Self::Access(a),
                    Refused::Limited(l) => Self::Limited(l),
                }
            }
        }
    )*};
}
gated!(MessageError, SlashError, VoiceError);

impl From<StoreError> for CommandError {
    fn from(e: StoreError) -> Self {
        Self::Access(AccessError::Store(e))
    }
}

impl CommandError {
    /// Errors that are sent without `src` even though a request caused them.
    pub fn omits_src(&self) -> bool {
        matches!(self, Self::Request(RequestError::NotJson | RequestError::NotAnObject(_)))
    }

    /// The storage failure behind an "Internal error", to be logged.
    pub fn store_failure(&self) -> Option<&StoreError> {
        match self {
            Self::Access(AccessError::Store(e)) => Some(e),
            _ => None,
        }
    }
}

/// Texts of `auth_error` packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthErrorText {
    /// Rotur said no.
    #[error("Invalid authentication")]
    Invalid,
    /// Rotur could not be asked.
    #[error("Authentication service unavailable")]
    Unavailable,
    /// The user holds the `banned` role.
    #[error("Access denied: You are banned from this server")]
    Banned,
    /// The record vanished between steps.
    #[error("User not found")]
    UserNotFound,
    /// A command other than `auth` before authentication.
    #[error("Authentication required")]
    Required,
    /// The address failed to log in too often in the last minute (new).
    #[error("Too many failed authentication attempts, try again later")]
    Throttled,
}

impl AuthErrorText {
    /// A short, stable name for metrics and logs.
    pub fn label(self) -> &'static str {
        match self {
            AuthErrorText::Invalid => "invalid",
            AuthErrorText::Unavailable => "unavailable",
            AuthErrorText::Banned => "banned",
            AuthErrorText::UserNotFound => "user_not_found",
            AuthErrorText::Required => "required",
            AuthErrorText::Throttled => "throttled",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::StoreErrorKind;

    #[test]
    fn shared_failures_read_the_same_in_every_family() {
        let store = StoreError::new(StoreErrorKind::Unavailable, "user", "gone");
        for e in [
            CommandError::from(MessageError::from(store.clone())),
            CommandError::from(ChannelError::from(store.clone())),
            CommandError::from(SlashError::from(store.clone())),
        ] {
            assert_eq!(e.to_string(), "Internal error");
            assert_eq!(e.store_failure(), Some(&store));
        }
        let denial = Denial { reason: "slow down".into(), wait_seconds: 1.0 };
        let limited = Limited { denial, typing: true };
        assert_eq!(CommandError::from(MessageError::from(limited.clone())), CommandError::Limited(limited));
        assert!(CommandError::from(RequestError::NotJson).omits_src());
        assert!(!CommandError::from(RequestError::UnknownCommand("x".into())).omits_src());
    }
}
