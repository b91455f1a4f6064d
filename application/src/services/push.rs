//! Web Push (docs/design/push.md): the `push_*` commands, and the notifications a new
//! message sends to the users it replies to or mentions while they are offline.
//!
//! The message path only queues: [`Push::message_posted`] never waits. One worker
//! ([`Push::run`]) takes the posted messages in order, works out who gets a push, and
//! starts one delivery task per subscription, at most `push.max_in_flight` at once. Each
//! delivery (with the notifier's retries) runs on its own, so a slow or failing push
//! service holds up no other message's pushes. Only when the queue is full is a message's
//! push dropped, and that is logged and counted.

use std::sync::Arc;

use domain::mentions::user_mentions;
use domain::{Action, Channel, Message, User, UserId, may};
use tokio::sync::{Mutex, Semaphore, mpsc};
use tokio::task::JoinHandle;

use super::{Outcome, Reply};
use crate::errors::PushError;
use crate::hub::Hub;
use crate::ports::{Clock, Delivery, Notifier, PushMessage, Store, StoreResult, Subscription};
use crate::settings::Settings;
use crate::{Packet, Session};

/// Longest endpoint stored (push services use far shorter ones).
pub const MAX_ENDPOINT_BYTES: usize = 2048;

/// Characters of the message a push shows, as the original.
pub const BODY_CHARS: usize = 120;

/// A message whose pushes are still to be worked out.
struct Posted {
    channel: Channel,
    message: Message,
    sender: User,
}

/// Why a user gets a push; a reply wins over a mention of the same user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Why {
    Reply,
    Mention,
}

/// The Web Push service.
pub struct Push {
    store: Arc<dyn Store>,
    notifier: Arc<dyn Notifier>,
    hub: Arc<Hub>,
    clock: Arc<dyn Clock>,
    settings: Arc<Settings>,
    queue: mpsc::Sender<Posted>,
    posted: Mutex<mpsc::Receiver<Posted>>,
    slots: Arc<Semaphore>,
}

/// The parts a [`Push`] service is built from.
pub struct PushParts {
    /// Storage (subscriptions, users).
    pub store: Arc<dyn Store>,
    /// Delivers pushes.
    pub notifier: Arc<dyn Notifier>,
    /// Who is online.
    pub hub: Arc<Hub>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Configuration.
    pub settings: Arc<Settings>,
}

impl Push {
    /// The service, with its queue; [`Push::run`] works it off.
    pub fn new(p: PushParts) -> Self {
        let (queue, posted) = mpsc::channel(p.settings.push.queue.max(1));
        let slots = Arc::new(Semaphore::new(p.settings.push.max_in_flight.max(1)));
        Self {
            store: p.store,
            notifier: p.notifier,
            hub: p.hub,
            clock: p.clock,
            settings: p.settings,
            queue,
            posted: Mutex::new(posted),
            slots,
        }
    }

    /// The VAPID public key, when push is on and a key is there.
    fn key(&self) -> Option<String> {
        if self.settings.push.enabled { self.notifier.public_key() } else { None }
    }

    fn caller(session: &Session) -> Result<&UserId, PushError> {
        session.user.as_ref().map(|u| &u.id).ok_or(PushError::NotAuthenticated)
    }

    /// `push_get_vapid`: the key browsers subscribe with.
    pub fn vapid(&self, session: &Session) -> Outcome<PushError> {
        Self::caller(session)?;
        let key = self.key().ok_or(PushError::VapidKeysMissing)?;
        Ok(Reply::Packet(Packet::PushVapid(key)))
    }

    /// `push_subscribe`: the original's checks in its order (the request's shape comes in
    /// as `subscription`), then this server's own: push on, the endpoint's length, then
    /// the notifier's checks of endpoint and keys; then the subscription is stored.
    pub async fn subscribe(
        &self,
        session: &Session,
        subscription: Result<Subscription, PushError>,
    ) -> Outcome<PushError> {
        let me = Self::caller(session)?;
        let subscription = subscription?;
        if self.key().is_none() {
            return Err(PushError::VapidKeysMissing);
        }
        if subscription.endpoint.len() > MAX_ENDPOINT_BYTES {
            return Err(PushError::EndpointTooLong(MAX_ENDPOINT_BYTES));
        }
        self.notifier.check(&subscription).await?;
        let keep = self.settings.push.max_subscriptions_per_user.max(1);
        self.store.save_subscription(me, &subscription, keep, self.clock.now()).await.map_err(|e| {
            tracing::error!(error = %e, user = %me, "push_subscribe: the subscription could not be stored");
            crate::telemetry::store_failure();
            PushError::SaveFailed
        })?;
        Ok(Reply::Packet(Packet::PushSubscribed))
    }

    /// `push_unsubscribe`: deletes the caller's own subscription with this endpoint;
    /// answers success also when there was none. Works while push is off too.
    pub async fn unsubscribe(&self, session: &Session, endpoint: Option<String>) -> Outcome<PushError> {
        let me = Self::caller(session)?;
        let endpoint = endpoint.ok_or(PushError::MissingEndpoint)?;
        self.store.delete_subscription(me, &endpoint).await.map_err(|e| {
            tracing::error!(error = %e, user = %me, "push_unsubscribe: the subscription could not be deleted");
            crate::telemetry::store_failure();
            PushError::RemoveFailed
        })?;
        Ok(Reply::Packet(Packet::PushUnsubscribed))
    }

    /// A new message was stored and broadcast: queues its pushes without waiting. A
    /// message that replies to nobody and mentions nobody costs nothing more.
    pub fn message_posted(&self, channel: &Channel, message: &Message, sender: &User) {
        let replies = message.reply_to.is_some() && message.ping != Some(false);
        if self.key().is_none() || (!replies && user_mentions(&message.content).is_empty()) {
            return;
        }
        let posted = Posted { channel: channel.clone(), message: message.clone(), sender: sender.clone() };
        if let Err(mpsc::error::TrySendError::Full(p)) = self.queue.try_send(posted) {
            tracing::warn!(channel = %p.channel.name, id = %p.message.id, "push queue full; this message sends no pushes");
            crate::telemetry::push_dropped();
        }
    }

    /// The worker: works off the queue for as long as the service lives.
    pub async fn run(self: Arc<Self>) {
        loop {
            let next = self.posted.lock().await.recv().await;
            let Some(posted) = next else { return };
            self.dispatch(posted).await;
        }
    }

    /// Works off what is queued now and waits until those deliveries have ended (for
    /// tests; the worker does the same without waiting).
    pub async fn deliver_queued(&self) {
        let mut tasks = vec![];
        loop {
            let next = self.posted.lock().await.try_recv();
            let Ok(posted) = next else { break };
            tasks.extend(self.dispatch(posted).await);
        }
        for t in tasks {
            let _ = t.await;
        }
    }

    /// Starts the deliveries of one posted message; waits only for free delivery slots.
    async fn dispatch(&self, posted: Posted) -> Vec<JoinHandle<()>> {
        let recipients = match self.recipients(&posted).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, id = %posted.message.id, "push: recipients could not be read; no pushes");
                return vec![];
            }
        };
        let mut tasks = vec![];
        for (user, why) in recipients {
            let subscriptions = match self.store.subscriptions(&user).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, %user, "push: subscriptions could not be read");
                    continue;
                }
            };
            let message = Arc::new(push_message(&posted, why));
            for subscription in subscriptions {
                let Ok(slot) = self.slots.clone().acquire_owned().await else { return tasks };
                let (store, notifier) = (self.store.clone(), self.notifier.clone());
                let (user, message) = (user.clone(), message.clone());
                tasks.push(tokio::spawn(async move {
                    let outcome = notifier.deliver(&subscription, &message).await;
                    drop(slot);
                    crate::telemetry::push_delivery(outcome);
                    if outcome == Delivery::Gone {
                        forget(store.as_ref(), &user, &subscription.endpoint).await;
                    }
                }));
            }
        }
        tasks
    }

    /// Who gets a push for `p`, each once: the replied author (unless the reply is
    /// silent), then every mentioned user that exists; never the sender; only users who
    /// are offline, not banned and (with `push.require_view_permission`) may view the
    /// channel.
    async fn recipients(&self, p: &Posted) -> StoreResult<Vec<(UserId, Why)>> {
        let mut found: Vec<(User, Why)> = vec![];
        if let Some(r) = &p.message.reply_to
            && p.message.ping != Some(false)
            && r.author != p.sender.id
            && let Some(author) = self.store.user(&r.author).await?
        {
            found.push((author, Why::Reply));
        }
        for name in user_mentions(&p.message.content) {
            if let Some(u) = self.store.user_by_name(name).await?
                && u.id != p.sender.id
                && !found.iter().any(|(f, _)| f.id == u.id)
            {
                found.push((u, Why::Mention));
            }
        }
        Ok(found.into_iter().filter(|(u, _)| self.may_receive(u, &p.channel)).map(|(u, why)| (u.id, why)).collect())
    }

    fn may_receive(&self, user: &User, channel: &Channel) -> bool {
        let sees = !self.settings.push.require_view_permission || may(&user.roles, Some(channel), Action::View);
        sees && !user.is_banned() && !self.hub.is_online(&user.id)
    }
}

/// The notification for one recipient of `p`.
fn push_message(p: &Posted, why: Why) -> PushMessage {
    let sender = p.sender.display_name();
    let title = match why {
        Why::Reply => format!("#{} \u{2014} {sender} replied", p.channel.name),
        Why::Mention => format!("#{} \u{2014} {sender}", p.channel.name),
    };
    let body = p.message.content.chars().take(BODY_CHARS).collect();
    PushMessage { title, body, channel: p.channel.name.clone() }
}

/// Deletes a subscription the push service says is gone.
async fn forget(store: &dyn Store, user: &UserId, endpoint: &str) {
    match store.delete_subscription(user, endpoint).await {
        Ok(_) => tracing::info!(%user, "push subscription gone (404/410); removed"),
        Err(e) => tracing::error!(error = %e, %user, "push: a gone subscription could not be removed"),
    }
}
