//! Posting, editing and deleting messages, and history pages.

use domain::mentions::{role_mentions, user_mentions};
use domain::permission::named::MANAGE_MESSAGES;
use domain::{Action, Message, ReplyRef, UnixSeconds, User, may};

use super::{EditMessage, HistoryRequest, HistoryStart, MAX_PAGE, Messaging, NewMessage, ReplyTarget};
use crate::errors::{AccessError, Limited, MessageError};
use crate::limiter::Purpose;
use crate::packets::Range;
use crate::ports::{Actor, Draft, PluginEvent, Requested};
use crate::services::hot_history::TAIL;
use crate::services::{Outcome, Reply};
use crate::views::{MessageView, NameBook, Pings};
use crate::{Origin, Packet, Session};

/// A message ready to be stored: see [`Messaging::compose`].
pub(super) struct Composed {
    pub(super) message: Message,
    pub(super) by: Actor,
    /// What the plugins asked for, carried out after the broadcast.
    pub(super) actions: Vec<Requested>,
    pub(super) book: NameBook,
    pub(super) pings: Pings,
}

impl Messaging {
    /// `message_new`: check, commit, then broadcast to the channel's viewers.
    pub async fn post(&self, session: &Session, req: NewMessage, origin: &Origin) -> Outcome<MessageError> {
        let now = self.clock.now();
        self.gate.admit(session, Purpose::Messages).await?;
        let user = self.directory.caller_with_roles(session).await?;
        self.check_role_mentions(&user, req.content.as_str()).await?;
        let channel = match self.store.channel(&req.channel).await? {
            Some(c) if c.is_text() && may(&user.roles, Some(&c), Action::Send) => c,
            _ => return Err(MessageError::SendDenied),
        };
        let channel_name = req.channel.clone();
        let Composed { message, by, actions, book, pings } =
            self.compose(&user, &channel_name, &channel_name, req, now, true).await?;
        // Queued in arrival order; while it waits for its commit the connection's next
        // request may start, so one sender's messages share group commits.
        let commit = self.store.submit_message(&channel_name, &message).await?;
        session.release_effects();
        commit.await?;
        session.before_output().await;
        let mut view = book.view(message.clone());
        view.pings = Some(pings);
        let packet = Packet::MessageNew { channel: channel_name.clone(), message: Box::new(view) };
        self.audience.broadcast(&packet, &channel_name, origin).await;
        self.push.message_posted(&channel, &message, &user);
        self.plugins.perform_all(actions).await;
        self.emit(PluginEvent::NewMessage { channel: channel_name, thread_id: None, message: Box::new(message), by });
        Ok(Reply::Done)
    }

    /// The message `req` posts under `key` (a channel's name, or a thread's key), screened
    /// by the plugins, which see it in channel `shown_as` and may read it as a command when
    /// `commands`; refused when the reply target is not under `key` or a plugin blocks it.
    pub(super) async fn compose(
        &self,
        user: &User,
        key: &str,
        shown_as: &str,
        req: NewMessage,
        now: UnixSeconds,
        commands: bool,
    ) -> Result<Composed, MessageError> {
        let reply_to = match req.reply_to {
            ReplyTarget::Invalid => return Err(MessageError::ReplyTargetNotFound),
            ReplyTarget::Id(target) => match self.store.message(key, &target).await? {
                Some((m, _)) => Some(ReplyRef { id: m.id, author: m.author }),
                None => return Err(MessageError::ReplyTargetNotFound),
            },
            ReplyTarget::None => None,
        };
        let mut message = Message::new(self.ids.message_id(), user.id.clone(), req.content.into_string(), now);
        message.reply_to = reply_to;
        message.ping = req.ping;
        let by = Actor::of(user);
        let draft = Draft {
            channel: shown_as.to_owned(),
            id: message.id.clone(),
            content: message.content.clone(),
            by: by.clone(),
            roles: user.roles.clone(),
            commands,
        };
        let screening = self.host.screen_message(&draft);
        if let Some(denial) = screening.block {
            self.plugins.perform_all(screening.actions).await;
            return Err(Limited { denial, typing: false }.into());
        }
        let book = self.name_book_for(&message).await?;
        let pings = self.pings_of(&message, &book).await?;
        Ok(Composed { message, by, actions: screening.actions, book, pings })
    }

    /// Refuses a text that mentions a role the author may not mention.
    pub(super) async fn check_role_mentions(&self, user: &User, content: &str) -> Result<(), MessageError> {
        for role_name in role_mentions(content) {
            if let Some(role) = self.store.role(role_name).await?
                && !role.mentionable_by(&user.roles)
            {
                return Err(MessageError::MentionDenied(role_name.to_owned()));
            }
        }
        Ok(())
    }

    /// `messages_get`: a page of history, oldest first; from the hot tail of the channel
    /// when it can answer, else from the store.
    pub async fn history(&self, session: &Session, req: HistoryRequest) -> Outcome<MessageError> {
        let channel = req.channel;
        self.directory.readable_text_channel(session, &channel).await?;
        let (messages, range) = self.history_page(&channel, &req.start, req.limit).await?;
        Ok(Reply::Packet(Packet::MessagesGet { channel, messages, range }))
    }

    /// The `messages_get` page of `limit` (0: 100, at most [`MAX_PAGE`], negative: none)
    /// under `key` (a channel's name, or a thread's key), with the range it reports.
    pub(super) async fn history_page(
        &self,
        key: &str,
        start: &HistoryStart,
        limit: i64,
    ) -> Result<(Vec<MessageView>, Range), MessageError> {
        let effective = if limit == 0 { 100 } else { limit.min(MAX_PAGE) };
        let range = match start {
            HistoryStart::Skip(skip) => Range { start: *skip, end: skip.saturating_add(limit) },
            HistoryStart::Before(_) => Range { start: 0, end: limit },
        };
        let messages = if effective < 0 { vec![] } else { self.page(key, start, effective as u64).await? };
        let book = self.name_book().await?;
        Ok((messages.into_iter().map(|m| book.view(m)).collect(), range))
    }

    /// A page of at most `limit` messages: from the hot tail, else from the store (and
    /// the tail is read for the next time).
    pub(super) async fn page(
        &self,
        channel: &str,
        start: &HistoryStart,
        limit: u64,
    ) -> Result<Vec<Message>, MessageError> {
        let wanted = usize::try_from(limit).unwrap_or(usize::MAX);
        if let Some(page) = self.history.page(channel, start, wanted) {
            crate::telemetry::history_read(true);
            return Ok(page);
        }
        crate::telemetry::history_read(false);
        let generation = self.history.generation(channel);
        let newest = self.store.messages_page(channel, 0, TAIL as u64).await?;
        self.history.install(channel, generation, newest);
        if let Some(page) = self.history.page(channel, start, wanted) {
            return Ok(page);
        }
        Ok(match start {
            HistoryStart::Skip(skip) => self.store.messages_page(channel, (*skip).max(0) as u64, limit).await?,
            HistoryStart::Before(id) => self.store.messages_before(channel, id, limit).await?,
        })
    }

    /// The `pings` object of a new message.
    pub(super) async fn pings_of(&self, m: &Message, book: &NameBook) -> Result<Pings, MessageError> {
        let mut pings = Pings::default();
        for name in user_mentions(&m.content) {
            if let Some(u) = self.store.user_by_name(name).await?
                && !pings.users.iter().any(|n| n == u.display_name())
            {
                pings.users.push(u.display_name().to_owned());
            }
        }
        for role in role_mentions(&m.content) {
            if self.store.role(role).await?.is_some() {
                pings.roles.push(role.to_owned());
            }
        }
        if let (Some(r), false) = (&m.reply_to, m.ping == Some(false)) {
            pings.replies.push(book.name(&r.author));
        }
        Ok(pings)
    }

    /// `message_edit`: own messages only, with message_new's content rules. A request
    /// missing a field is refused only after the rate limit (the original's order).
    pub async fn edit(
        &self,
        session: &Session,
        req: Result<EditMessage, MessageError>,
        origin: &Origin,
    ) -> Outcome<MessageError> {
        self.edit_in(session, req, None, origin).await
    }

    /// `message_edit`, of a message of the thread `thread` when given
    /// (docs/design/threads.md#thread-messages).
    pub async fn edit_in(
        &self,
        session: &Session,
        req: Result<EditMessage, MessageError>,
        thread: Option<String>,
        origin: &Origin,
    ) -> Outcome<MessageError> {
        self.gate.admit(session, Purpose::Messages).await?;
        let EditMessage { channel, id, content } = req?;
        let (user, chan, message, key, channel) = match thread {
            None => {
                let (user, chan, message, _) =
                    self.visible_message(session, &channel, &id).await?.ok_or(MessageError::EditNotFound)?;
                (user, chan, message, channel.clone(), channel)
            }
            Some(t) => {
                let user = self.directory.caller_with_roles(session).await?;
                let (thread, forum) = self.thread_place(&user, &t, true).await?;
                let key = domain::thread::thread_key(&thread.id);
                let (message, _) = self.store.message(&key, &id).await?.ok_or(MessageError::EditNotFound)?;
                (user, forum.clone(), message, key, forum.name)
            }
        };
        let thread_id = domain::thread::thread_of_key(&key).map(str::to_owned);
        if user.roles.is_empty() {
            return Err(AccessError::UserRolesNotFound.into());
        }
        let own = message.author == user.id;
        if !may(&user.roles, Some(&chan), Action::Edit { own }) {
            return Err(if own { MessageError::EditOwnDenied } else { MessageError::EditOthersDenied });
        }
        let content = content?.into_string();
        // Screened like a new message: an edit cannot carry what a post may not.
        let draft = Draft {
            channel: channel.clone(),
            id: id.clone(),
            content: content.clone(),
            by: Actor::of(&user),
            roles: user.roles.clone(),
            commands: false,
        };
        let screening = self.host.screen_message(&draft);
        if let Some(denial) = screening.block {
            self.plugins.perform_all(screening.actions).await;
            return Err(Limited { denial, typing: false }.into());
        }
        let rewrite = |m: &mut Message| {
            m.content = content;
            m.edited = true;
            Ok::<_, MessageError>(())
        };
        let (message, position, ()) =
            self.directory.update_message_with(&key, &id, rewrite).await?.ok_or(MessageError::EditNotFound)?;
        let book = self.name_book_for(&message).await?;
        let (id, content) = (message.id.clone(), message.content.clone());
        let mut view = book.view(message);
        view.position = Some(position);
        let packet =
            in_thread(thread_id.clone(), Packet::MessageEdit { channel: channel.clone(), message: Box::new(view) });
        self.audience.broadcast(&packet, &channel, origin).await;
        self.plugins.perform_all(screening.actions).await;
        self.emit(PluginEvent::MessageEdit { channel, thread_id, id, content, by: Actor::of(&user) });
        Ok(Reply::Done)
    }

    /// `message_delete`: own messages with `delete_own`, others' with `delete`.
    pub async fn delete(
        &self,
        session: &Session,
        channel: String,
        id: String,
        origin: &Origin,
    ) -> Outcome<MessageError> {
        self.delete_in(session, channel, id, None, origin).await
    }

    /// `message_delete`, of a message of the thread `thread` when given (also in a
    /// locked thread).
    pub async fn delete_in(
        &self,
        session: &Session,
        channel: String,
        id: String,
        thread: Option<String>,
        origin: &Origin,
    ) -> Outcome<MessageError> {
        let (user, chan, message, key, channel) = match thread {
            None => {
                let (user, chan, message, _) =
                    self.visible_message(session, &channel, &id).await?.ok_or(MessageError::DeleteNotFound)?;
                (user, chan, message, channel.clone(), channel)
            }
            Some(t) => {
                let user = self.directory.caller_with_roles(session).await?;
                let (thread, forum) = self.thread_place(&user, &t, false).await?;
                let key = domain::thread::thread_key(&thread.id);
                let (message, _) = self.store.message(&key, &id).await?.ok_or(MessageError::DeleteNotFound)?;
                (user, forum.clone(), message, key, forum.name)
            }
        };
        let thread_id = domain::thread::thread_of_key(&key).map(str::to_owned);
        if user.roles.is_empty() {
            return Err(AccessError::UserRolesNotFound.into());
        }
        let own = message.author == user.id;
        // `manage_messages` widens deleting others' messages to every channel the caller
        // can view (docs/design/permissions.md#named-permissions).
        if !may(&user.roles, Some(&chan), Action::Delete { own })
            && (own || !self.directory.holds(&user, MANAGE_MESSAGES).await?)
        {
            return Err(if own { MessageError::DeleteOwnDenied } else { MessageError::DeleteOthersDenied });
        }
        if !self.store.delete_message(&key, &id).await? {
            return Err(MessageError::DeleteNotFound);
        }
        let packet = in_thread(thread_id.clone(), Packet::MessageDelete { channel: channel.clone(), id: id.clone() });
        self.audience.broadcast(&packet, &channel, origin).await;
        self.emit(PluginEvent::MessageDelete { channel, thread_id, id, by: Actor::of(&user) });
        Ok(Reply::Done)
    }
}

/// `packet`, with `thread_id` added when it is about a thread's message.
pub(super) fn in_thread(thread_id: Option<String>, packet: Packet) -> Packet {
    match thread_id {
        Some(thread_id) => Packet::InThread { thread_id, packet: Box::new(packet) },
        None => packet,
    }
}
