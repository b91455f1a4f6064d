//! The one table of error texts. Each text is exactly the original's (protocol.md §9,
//! messages.md, users-roles-channels.md); texts marked "new" are this server's additions
//! where the original sent nothing.

/// Errors a command answers with `{"cmd":"error","src":<cmd>,"val":<text>}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppError {
    /// The caller's record is gone.
    #[error("User not found")]
    UserNotFound,
    /// The caller has no roles.
    #[error("User roles not found")]
    UserRolesNotFound,
    /// An owner-only command from a non-owner.
    #[error("Access denied: 'owner' role required")]
    OwnerRequired,
    /// A channel the caller may not view, or that does not hold text.
    #[error("Access denied to this channel")]
    ChannelAccessDenied,
    /// Missing `channel`.
    #[error("Channel name not provided")]
    ChannelNameNotProvided,
    /// `message_new` without `channel` and/or `content`.
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
    /// `messages_get` without a channel.
    #[error("Invalid channel name")]
    InvalidChannelName,
    /// `messages_get` with a wrongly typed `start` or `limit` (new).
    #[error("Invalid start or limit")]
    InvalidPaging,
    /// A command the server does not know.
    #[error("Unknown command: {0}")]
    UnknownCommand(String),
    /// A frame that is not JSON (decisions.md §34).
    #[error("Invalid message format: not valid JSON")]
    NotJson,
    /// JSON that is not an object.
    #[error("Invalid message format: expected a dictionary, got {0}")]
    NotAnObject(&'static str),
    /// A storage failure; details are logged, never sent (new).
    #[error("Internal error")]
    Internal,
}

impl AppError {
    /// Errors that are sent without `src` even though a command caused them.
    pub fn omits_src(&self) -> bool {
        matches!(self, Self::NotJson | Self::NotAnObject(_))
    }
}

/// Texts of `auth_error` packets (protocol.md §5.5, decisions.md §1).
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
}

impl From<crate::ports::StoreError> for AppError {
    fn from(e: crate::ports::StoreError) -> Self {
        tracing::error!(error = %e, "storage failure");
        Self::Internal
    }
}
