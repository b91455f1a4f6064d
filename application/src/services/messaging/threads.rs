//! Threads of forum channels (docs/design/threads.md): `thread_create`, `thread_get`,
//! `thread_messages`, `thread_update`, `thread_delete`, `thread_join`, `thread_leave`, and
//! the thread side of `message_new`, `messages_get`, `messages_around` and `typing`.
//! Every thread event goes to the viewers of the forum, like a channel's events.

use domain::permission::named::MANAGE_THREADS;
use domain::thread::{MAX_PARTICIPANTS, MAX_THREAD_NAME, MAX_THREADS_PER_FORUM, thread_key, trimmed_name};
use domain::{Action, Channel, Thread, User, may};

use super::post::{Composed, in_thread};
use super::{HistoryStart, Messaging, NewMessage};
use crate::errors::MessageError;
use crate::limiter::Purpose;
use crate::ports::{Actor, PluginEvent};
use crate::services::{Outcome, Reply};
use crate::views::ThreadView;
use crate::{Origin, Packet, Session};

/// Input of `thread_create`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewThread {
    /// The forum.
    pub channel: String,
    /// The name as sent (trimmed and checked by the use case).
    pub name: String,
}

/// What `thread_update` changes (`None`: absent).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ThreadChanges {
    /// A new name as sent (`Err`: not a string).
    pub name: Option<Result<String, MessageError>>,
    /// Lock or unlock (applied only for holders of `manage_threads`).
    pub locked: Option<bool>,
    /// Archive or reopen.
    pub archived: Option<bool>,
}

/// Default and largest `thread_messages` page.
const THREAD_PAGE: i64 = 100;

/// A checked thread name.
fn thread_name(raw: &str) -> Result<String, MessageError> {
    let name = trimmed_name(raw).ok_or(MessageError::ThreadNameEmpty)?;
    if name.chars().count() > MAX_THREAD_NAME {
        return Err(MessageError::ThreadNameTooLong);
    }
    Ok(name.to_owned())
}

impl Messaging {
    /// The view of a thread as stored now.
    async fn thread_view(&self, thread: Thread) -> Result<ThreadView, MessageError> {
        let newest = self.store.messages_page(&thread_key(&thread.id), 0, 1).await?.pop();
        let book = self.name_book().await?;
        Ok(ThreadView::of(thread, newest.as_ref(), &book))
    }

    /// The caller (with roles), a thread and its forum, once the caller may view the forum.
    pub(super) async fn viewable_thread(
        &self,
        session: &Session,
        id: Option<String>,
    ) -> Result<(User, Thread, Channel), MessageError> {
        let user = self.directory.caller_with_roles(session).await?;
        let id = id.ok_or(MessageError::ThreadIdRequired)?;
        let thread = self.store.thread(&id).await?.ok_or(MessageError::ThreadNotFound)?;
        let forum = self.store.channel(&thread.parent_channel).await?.ok_or(MessageError::ThreadNotFound)?;
        if !may(&user.roles, Some(&forum), Action::View) {
            return Err(MessageError::ThreadViewDenied);
        }
        Ok((user, thread, forum))
    }

    /// The message key and forum of a thread message command (`message_edit`,
    /// `message_delete`, reactions): the thread must exist and its forum be viewable;
    /// `writing` refuses a locked thread.
    pub(super) async fn thread_place(
        &self,
        user: &User,
        id: &str,
        writing: bool,
    ) -> Result<(Thread, Channel), MessageError> {
        let thread = self.store.thread(id).await?.ok_or(MessageError::ThreadNotFound)?;
        let forum = self.store.channel(&thread.parent_channel).await?.ok_or(MessageError::ThreadNotFound)?;
        if !may(&user.roles, Some(&forum), Action::View) {
            return Err(MessageError::ThreadViewDenied);
        }
        if writing && thread.locked {
            return Err(MessageError::ThreadLocked);
        }
        Ok((thread, forum))
    }

    /// `thread_create`: a new thread in a forum the caller may create threads in; the
    /// creator is its first participant.
    pub async fn create_thread(
        &self,
        session: &Session,
        req: Result<NewThread, MessageError>,
        origin: &Origin,
    ) -> Outcome<MessageError> {
        // Rate limited and blocked by a timeout like a message (docs/design/threads.md#bounds).
        self.gate.admit(session, Purpose::Messages).await?;
        let user = self.directory.caller_with_roles(session).await?;
        let NewThread { channel, name } = req?;
        let forum = self.store.channel(&channel).await?.ok_or(MessageError::ChannelNotFound)?;
        if !forum.is_forum() {
            return Err(MessageError::ThreadsForumOnly);
        }
        if !may(&user.roles, Some(&forum), Action::CreateThread) {
            return Err(MessageError::ThreadCreateDenied);
        }
        let name = thread_name(&name)?;
        if self.store.threads(&channel).await?.len() >= MAX_THREADS_PER_FORUM {
            return Err(MessageError::TooManyThreads);
        }
        let thread = Thread {
            id: self.ids.message_id(),
            name,
            parent_channel: channel.clone(),
            created_by: user.id.clone(),
            created_at: self.clock.now(),
            locked: false,
            archived: false,
            participants: vec![user.id.clone()],
        };
        if !self.store.insert_thread(&thread).await? {
            return Err(MessageError::ChannelNotFound);
        }
        session.before_output().await;
        let view = self.thread_view(thread).await?;
        let packet = Packet::ThreadCreate { channel: channel.clone(), thread: Box::new(view) };
        self.audience.broadcast(&packet, &channel, origin).await;
        Ok(Reply::Done)
    }

    /// `thread_get`.
    pub async fn get_thread(&self, session: &Session, id: Option<String>) -> Outcome<MessageError> {
        let (_, thread, _) = self.viewable_thread(session, id).await?;
        Ok(Reply::Packet(Packet::ThreadGet(Box::new(self.thread_view(thread).await?))))
    }

    /// `thread_messages`: `limit` (default and at most 100) messages before `start`
    /// (skip that many newest, or older than that id), oldest first.
    pub async fn thread_messages(
        &self,
        session: &Session,
        id: Option<String>,
        start: HistoryStart,
        limit: i64,
    ) -> Outcome<MessageError> {
        let (_, thread, _) = self.viewable_thread(session, id).await?;
        let limit = if limit <= 0 { THREAD_PAGE } else { limit.min(THREAD_PAGE) };
        let messages = self.page(&thread_key(&thread.id), &start, limit as u64).await?;
        let book = self.name_book().await?;
        let messages = messages.into_iter().map(|m| book.view(m)).collect();
        Ok(Reply::Packet(Packet::ThreadMessages { thread_id: thread.id, messages }))
    }

    /// `thread_update`: by its creator or a holder of `manage_threads`; only the latter
    /// may lock or unlock (a `locked` from anyone else is ignored, as in the original).
    pub async fn update_thread(
        &self,
        session: &Session,
        id: Option<String>,
        changes: ThreadChanges,
        origin: &Origin,
    ) -> Outcome<MessageError> {
        self.gate.admit(session, Purpose::Messages).await?;
        let (user, thread, _) = self.viewable_thread(session, id).await?;
        let manager = self.directory.holds(&user, MANAGE_THREADS).await?;
        if thread.created_by != user.id && !manager {
            return Err(MessageError::ThreadModifyDenied);
        }
        let name = match changes.name {
            Some(raw) => Some(thread_name(&raw?)?),
            None => None,
        };
        let _lock = self.directory.locks().message(&thread_key(&thread.id), "").await;
        let mut thread = self.store.thread(&thread.id).await?.ok_or(MessageError::ThreadNotFound)?;
        if let Some(name) = name {
            thread.name = name;
        }
        if let (Some(locked), true) = (changes.locked, manager) {
            thread.locked = locked;
        }
        if let Some(archived) = changes.archived {
            thread.archived = archived;
        }
        if !self.store.update_thread(&thread).await? {
            return Err(MessageError::ThreadNotFound);
        }
        session.before_output().await;
        self.announce_update(thread, origin).await?;
        Ok(Reply::Done)
    }

    /// Sends `thread_update` to the forum's viewers.
    async fn announce_update(&self, thread: Thread, origin: &Origin) -> Result<(), MessageError> {
        let channel = thread.parent_channel.clone();
        let packet =
            Packet::ThreadUpdate { channel: channel.clone(), thread: Box::new(self.thread_view(thread).await?) };
        self.audience.broadcast(&packet, &channel, origin).await;
        Ok(())
    }

    /// `thread_delete`: by its creator or a holder of `manage_threads`; its messages go
    /// with it.
    pub async fn delete_thread(&self, session: &Session, id: Option<String>, origin: &Origin) -> Outcome<MessageError> {
        let (user, thread, _) = self.viewable_thread(session, id).await?;
        if thread.created_by != user.id && !self.directory.holds(&user, MANAGE_THREADS).await? {
            return Err(MessageError::ThreadModifyDenied);
        }
        if !self.store.delete_thread(&thread.id).await? {
            return Err(MessageError::ThreadNotFound);
        }
        session.before_output().await;
        let channel = thread.parent_channel;
        let packet = Packet::ThreadDelete { channel: channel.clone(), thread_id: thread.id };
        self.audience.broadcast(&packet, &channel, origin).await;
        Ok(Reply::Done)
    }

    /// `thread_join` (not in a locked thread) and `thread_leave` (never the creator).
    pub async fn thread_membership(
        &self,
        session: &Session,
        id: Option<String>,
        join: bool,
        origin: &Origin,
    ) -> Outcome<MessageError> {
        // Cheap toggles, limited like reactions.
        self.gate.admit(session, Purpose::Reactions).await?;
        let (user, thread, _) = self.viewable_thread(session, id).await?;
        if join && thread.locked {
            return Err(MessageError::ThreadLocked);
        }
        let _lock = self.directory.locks().message(&thread_key(&thread.id), "").await;
        let mut thread = self.store.thread(&thread.id).await?.ok_or(MessageError::ThreadNotFound)?;
        let changed = if join {
            if !thread.participants.contains(&user.id) && thread.participants.len() >= MAX_PARTICIPANTS {
                return Err(MessageError::ThreadFull);
            }
            thread.join(&user.id)
        } else {
            thread.leave(&user.id)
        };
        if changed && !self.store.update_thread(&thread).await? {
            return Err(MessageError::ThreadNotFound);
        }
        session.before_output().await;
        let channel = thread.parent_channel.clone();
        let view = self.thread_view(thread).await?;
        let packet = Packet::ThreadMembership { join, thread: Box::new(view), user: user.display_name().to_owned() };
        self.audience.broadcast(&packet, &channel, origin).await;
        Ok(Reply::Done)
    }

    /// `message_new` with `thread_id`: checked against the forum's `send`; refused in a
    /// locked thread; a message in an archived thread reopens it.
    pub async fn post_in_thread(
        &self,
        session: &Session,
        thread_id: String,
        req: NewMessage,
        origin: &Origin,
    ) -> Outcome<MessageError> {
        let now = self.clock.now();
        self.gate.admit(session, Purpose::Messages).await?;
        let user = self.directory.caller_with_roles(session).await?;
        self.check_role_mentions(&user, req.content.as_str()).await?;
        let thread = self.store.thread(&thread_id).await?.ok_or(MessageError::ThreadNotFound)?;
        if thread.locked {
            return Err(MessageError::ThreadLocked);
        }
        let forum = self.store.channel(&thread.parent_channel).await?.ok_or(MessageError::ThreadNotFound)?;
        if !may(&user.roles, Some(&forum), Action::Send) {
            return Err(MessageError::ThreadSendDenied);
        }
        let key = thread_key(&thread.id);
        let Composed { message, by, actions, book, pings } =
            self.compose(&user, &key, &forum.name, req, now, false).await?;
        self.store.append_message(&key, &message).await?;
        let reopened = if thread.archived {
            let _lock = self.directory.locks().message(&key, "").await;
            match self.store.thread(&thread.id).await? {
                Some(mut t) if t.archived => {
                    t.archived = false;
                    self.store.update_thread(&t).await?.then_some(t)
                }
                _ => None,
            }
        } else {
            None
        };
        session.before_output().await;
        let mut view = book.view(message.clone());
        view.pings = Some(pings);
        let channel = forum.name.clone();
        let packet = in_thread(
            Some(thread.id.clone()),
            Packet::MessageNew { channel: channel.clone(), message: Box::new(view) },
        );
        self.audience.broadcast(&packet, &channel, origin).await;
        if let Some(t) = reopened {
            self.announce_update(t, &Origin::default()).await?;
        }
        self.push.message_posted(&forum, &message, &user);
        self.plugins.perform_all(actions).await;
        self.host.notify(&PluginEvent::NewMessage {
            channel,
            thread_id: Some(thread.id),
            message: Box::new(message),
            by,
        });
        Ok(Reply::Done)
    }

    /// `messages_get` with `thread_id`: a page of the thread, as for a channel.
    pub async fn thread_history(
        &self,
        session: &Session,
        id: String,
        start: HistoryStart,
        limit: i64,
    ) -> Outcome<MessageError> {
        let (_, thread, forum) = self.viewable_thread(session, Some(id)).await?;
        let (messages, range) = self.history_page(&thread_key(&thread.id), &start, limit).await?;
        Ok(Reply::Packet(Packet::ThreadPage {
            around: false,
            channel: forum.name,
            thread_id: thread.id,
            messages,
            range,
        }))
    }

    /// `typing` with `thread_id`: to the forum's viewers; silently nothing where the
    /// caller may view but not send, or the thread is locked.
    pub async fn typing_in_thread(&self, session: &Session, id: String, origin: &Origin) -> Outcome<MessageError> {
        self.gate.admit(session, Purpose::Typing).await?;
        let (user, thread, forum) = self.viewable_thread(session, Some(id)).await?;
        if thread.locked || !may(&user.roles, Some(&forum), Action::Send) {
            return Ok(Reply::Done);
        }
        let typing = Packet::Typing { channel: forum.name.clone(), user: user.display_name().to_owned() };
        let packet = in_thread(Some(thread.id.clone()), typing);
        self.audience.broadcast(&packet, &forum.name, origin).await;
        self.host.notify(&PluginEvent::Typing {
            channel: forum.name,
            thread_id: Some(thread.id),
            by: Actor::of(&user),
        });
        Ok(Reply::Done)
    }
}
