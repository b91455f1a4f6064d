//! A connection's life, the same for every transport: the handshake, `auth` (Rotur
//! validation, first-seen users, bans, owners from config, `ready`, presence), the
//! answers to its requests, and exactly-once cleanup however it closed
//! (docs/design/connections.md, docs/design/authentication.md).

use std::sync::Arc;

use domain::{User, UserId};

use tokio::sync::Semaphore;

use super::server::ServerInfo;
use super::throttle::AuthThrottle;
use super::{Audience, Directory, Lists, Pushes, Reply, Slash, Voice};
use crate::errors::{AuthErrorText, CommandError};
use crate::hub::Hub;
use crate::packets::Handshake;
use crate::ports::{
    AuthFailure, AuthValidator, Clock, Handoff, HandoffAnswer, HandoffRequest, IdSource, Outbox, PluginEvent,
    PluginHost, ResumeRelay, RoturIdentity, Store, StoreError,
};
use crate::resume::{Detach, Link, ResumableSession, Resumes};
use crate::settings::Settings;
use crate::views::UserView;
use crate::{ConnId, Packet, Session, SessionUser};

/// The handshake's hard-coded protocol version.
pub const PROTOCOL_VERSION: &str = "1.1.0";

/// Connection lifecycles.
pub struct Sessions {
    auth: Arc<dyn AuthValidator>,
    ids: Arc<dyn IdSource>,
    store: Arc<dyn Store>,
    directory: Arc<Directory>,
    hub: Arc<Hub>,
    voice: Arc<Voice>,
    slash: Arc<Slash>,
    lists: Arc<Lists>,
    audience: Arc<Audience>,
    host: Arc<dyn PluginHost>,
    settings: Arc<Settings>,
    server: Arc<ServerInfo>,
    throttle: AuthThrottle,
    checks: Semaphore,
    clock: Arc<dyn Clock>,
    resumes: Arc<Resumes>,
    relay: Option<Arc<dyn ResumeRelay>>,
}

/// The parts a [`Sessions`] service is built from.
pub struct SessionsParts {
    /// Rotur (or mock) validation.
    pub auth: Arc<dyn AuthValidator>,
    /// Handshake keys and session tokens.
    pub ids: Arc<dyn IdSource>,
    /// Storage.
    pub store: Arc<dyn Store>,
    /// Lookups and record locks.
    pub directory: Arc<Directory>,
    /// Connections.
    pub hub: Arc<Hub>,
    /// Voice seats to free on close.
    pub voice: Arc<Voice>,
    /// Slash commands to drop on close.
    pub slash: Arc<Slash>,
    /// Live list pushes.
    pub lists: Arc<Lists>,
    /// Channel audiences (who may view what).
    pub audience: Arc<Audience>,
    /// Plugins that hear events.
    pub host: Arc<dyn PluginHost>,
    /// Configuration.
    pub settings: Arc<Settings>,
    /// Time (failed logins per minute).
    pub clock: Arc<dyn Clock>,
    /// The current server name, icon and banner.
    pub server: Arc<ServerInfo>,
    /// Resumable sessions (docs/design/resume.md).
    pub resumes: Arc<Resumes>,
    /// Other nodes' sessions, in a cluster.
    pub relay: Option<Arc<dyn ResumeRelay>>,
}

impl Sessions {
    /// The sessions service.
    pub fn new(p: SessionsParts) -> Self {
        Self {
            throttle: AuthThrottle::new(p.settings.auth_failures_per_address),
            checks: Semaphore::new(p.settings.auth_concurrent_checks.max(1)),
            clock: p.clock,
            auth: p.auth,
            ids: p.ids,
            store: p.store,
            directory: p.directory,
            hub: p.hub,
            voice: p.voice,
            slash: p.slash,
            lists: p.lists,
            audience: p.audience,
            host: p.host,
            settings: p.settings,
            server: p.server,
            resumes: p.resumes,
            relay: p.relay,
        }
    }

    fn emit(&self, event: PluginEvent) {
        self.host.notify(&event);
    }

    /// Registers a new connection and sends it the handshake.
    pub fn open(&self, conn: ConnId, outbox: Arc<dyn Outbox>) -> Session {
        self.hub.register(conn, outbox);
        let session = Session::new(conn, self.ids.validator_key());
        let handshake = Handshake {
            server: self.settings.server_info.clone(),
            overrides: self.server.overrides(),
            limits: self.settings.limits_info.clone(),
            version: PROTOCOL_VERSION,
            validator_key: session.validator_key.clone(),
            capabilities: self.settings.capabilities.clone(),
        };
        self.hub.send(conn, &Packet::Handshake(Box::new(handshake)), None);
        session
    }

    /// Sends one packet to one connection (`listener` added when given).
    pub fn send(&self, conn: ConnId, packet: &Packet, listener: Option<&str>) {
        self.hub.send(conn, packet, listener);
    }

    /// Answers a request of `src` with its outcome: the reply (with the request's
    /// `listener`), then the list pushes it causes; a failure as its error packet, or as a
    /// `rate_limit` packet. A storage failure is logged with the command and the caller.
    pub async fn answer(&self, session: &Session, src: &str, listener: Option<&str>, outcome: super::CommandResult) {
        let conn = session.conn;
        match outcome {
            Ok(Reply::Packet(p)) => self.hub.send(conn, &p, listener),
            Ok(Reply::Done) => {}
            Ok(Reply::Then(packet, pushes)) => {
                if let Some(p) = packet {
                    self.hub.send(conn, &p, listener);
                }
                self.lists.run(pushes).await;
            }
            Err(CommandError::Limited(limited)) => {
                let packet = Packet::RateLimit { denial: limited.denial, typing: limited.typing };
                self.hub.send(conn, &packet, listener);
            }
            Err(error) => {
                if let Some(failure) = error.store_failure() {
                    crate::telemetry::store_failure();
                    let user = session.user.as_ref().map(|u| u.username.as_str()).unwrap_or_default();
                    tracing::error!(cmd = src, conn, user, error = %failure, "command failed in storage");
                }
                self.hub.send(conn, &Packet::Error { src: Some(src.to_owned()), error }, listener);
            }
        }
    }

    /// Checks a validator for this connection's key, as `auth` does: the address's throttle,
    /// a bounded number of Rotur calls at once, then Rotur. A refusal is sent as the
    /// `auth_error` it maps to and counts against the connection and its address.
    async fn identify(&self, session: &mut Session, validator: Option<&str>) -> Option<RoturIdentity> {
        match self.check_validator(session, validator).await {
            Ok(identity) => Some(identity),
            Err(text) => {
                self.refuse(session, text);
                None
            }
        }
    }

    async fn check_validator(
        &self,
        session: &Session,
        validator: Option<&str>,
    ) -> Result<RoturIdentity, AuthErrorText> {
        if session.address.is_some_and(|ip| self.throttle.blocked(ip, self.clock.now())) {
            return Err(AuthErrorText::Throttled);
        }
        // A bounded number of Rotur calls at once, server-wide.
        let Ok(Ok(_slot)) = tokio::time::timeout(self.settings.auth_timeout, self.checks.acquire()).await else {
            return Err(AuthErrorText::Unavailable);
        };
        match self.auth.validate(&session.validator_key, validator.map(str::to_owned)).await {
            Ok(id) => Ok(id),
            Err(AuthFailure::Invalid) => Err(AuthErrorText::Invalid),
            Err(AuthFailure::Unavailable) => Err(AuthErrorText::Unavailable),
        }
    }

    /// Sends a login refusal. "Unavailable" is not the client's doing; a banned user is not
    /// guessing, so it counts against the socket but never shuts out the whole address.
    fn refuse(&self, session: &mut Session, text: AuthErrorText) {
        crate::telemetry::login(text.label());
        if text != AuthErrorText::Unavailable {
            session.failed_auths += 1;
            if let (Some(ip), false) = (session.address, text == AuthErrorText::Banned) {
                self.throttle.failed(ip, self.clock.now());
            }
        }
        self.hub.send(session.conn, &Packet::AuthError(text), None);
    }

    /// Handles `auth` on an unauthenticated connection. Every outcome sends a packet; a
    /// refusal counts against the connection and its address.
    pub async fn login(&self, session: &mut Session, validator: Option<&str>) {
        self.login_opting(session, validator, false).await;
    }

    /// [`Sessions::login`]; with `resumable`, the session survives a dropped connection
    /// (docs/design/resume.md).
    pub async fn login_opting(&self, session: &mut Session, validator: Option<&str>, resumable: bool) {
        let conn = session.conn;
        let refuse = |session: &mut Session, text: AuthErrorText| self.refuse(session, text);
        let Some(identity) = self.identify(session, validator).await else { return };
        // The user's lock is held until the connection is registered, so that a ban or a
        // role change either happens before (and is seen here) or after (and sees this
        // connection).
        let id = UserId(identity.id);
        let lock = self.directory.locks().user(&id).await;
        let (user, created, changed) = match self.admit(id, &identity.username).await {
            Ok(Some(found)) => found,
            Ok(None) => return refuse(session, AuthErrorText::Banned),
            Err(e) => {
                tracing::error!(error = %e, "auth: storage failure");
                return refuse(session, AuthErrorText::Unavailable);
            }
        };
        self.hub.send(conn, &Packet::AuthSuccess, None);
        crate::telemetry::login("ok");
        let token = user.validator.clone().unwrap_or_default();
        let me = SessionUser { id: user.id.clone(), username: identity.username.clone() };
        let session_id = resumable.then(|| self.ids.session_token());
        let ready = Packet::Ready { user: Box::new(user.clone()), validator: token, session_id: session_id.clone() };
        self.hub.send(conn, &ready, None);
        if let (Some(id), Some(outbox)) = (session_id, self.hub.outbox_of(conn)) {
            // From here on the hub delivers to the session, which numbers and keeps every
            // packet (docs/design/resume.md#session-not-socket).
            let resumable = self.resumes.create(id, conn, me.clone(), Link { id: session.link, outbox });
            self.hub.replace_outbox(conn, resumable);
        }
        session.user = Some(me.clone());
        let first = self.hub.authenticate(conn, me.clone());
        self.audience.joined(conn, &user).await;
        drop(lock);
        tracing::info!(conn, user = %identity.username, created, "authenticated");
        let roles = self.store.roles().await.unwrap_or_default();
        let view = UserView::of(&user, &roles);
        // First here, then first anywhere (docs/design/cluster.md#presence); a hidden status
        // keeps the login quiet (docs/design/status.md#hidden-presence).
        let first_anywhere = first && self.hub.presence().arrived(&me.id, &me.username).await;
        // A first login's two packets go out in one pass over the connections
        // (docs/design/transport.md#presence-in-one-pass).
        let mut presence = Vec::with_capacity(2);
        if created {
            presence.push(Packet::UserJoin(view.clone()));
        }
        if first_anywhere && !user.hidden() {
            presence.push(Packet::UserConnect(view.clone()));
        }
        if !presence.is_empty() {
            self.hub.send_all_authenticated_many(&presence);
        }
        if created {
            self.emit(PluginEvent::UserJoin { user: Box::new(user.clone()), color: view.color.clone() });
        }
        self.emit(PluginEvent::UserConnect { user: Box::new(user), color: view.color });
        if changed {
            // A new name or roles (owners from config, pending grants) are news to everyone.
            self.lists.run(Pushes::MEMBERSHIP).await;
        }
    }

    /// Loads or creates the user, applies name changes, owners and a new session token.
    /// `None` when the user is banned; else the user, whether it was created, and whether
    /// an existing user's name or roles changed.
    async fn admit(&self, id: UserId, username: &str) -> Result<Option<(User, bool, bool)>, StoreError> {
        let Some(stored) = self.store.user(&id).await? else {
            // A first login is written once, complete: one durable commit instead of an
            // insert then an update (docs/performance.md#where-the-time-goes).
            let mut fresh = self.new_user(id.clone(), username);
            let (admitted, pending) = self.prepare(&mut fresh, username).await?;
            return match self.store.insert_user(&fresh).await {
                Ok(()) => {
                    self.forget_pending(pending, username).await?;
                    Ok(admitted.then_some((fresh, true, false)))
                }
                // A concurrent first login of the same user won the race.
                Err(e) => {
                    let stored = self.store.user(&id).await?.ok_or(e)?;
                    self.admit_stored(stored, username).await
                }
            };
        };
        self.admit_stored(stored, username).await
    }

    /// [`Sessions::admit`] of a stored user.
    async fn admit_stored(&self, mut user: User, username: &str) -> Result<Option<(User, bool, bool)>, StoreError> {
        let before = (user.username.clone(), user.roles.clone());
        let (admitted, pending) = self.prepare(&mut user, username).await?;
        self.store.update_user(&user).await?;
        self.forget_pending(pending, username).await?;
        let changed = before != (user.username.clone(), user.roles.clone());
        Ok(admitted.then_some((user, false, changed)))
    }

    /// Applies to `user` the operator changes recorded for this username before its first
    /// login, then (unless they make the user banned) the current name, owners and a new
    /// session token. Returns whether the user may log in, and whether there were pending
    /// changes, to be forgotten once `user` is written.
    async fn prepare(&self, user: &mut User, username: &str) -> Result<(bool, bool), StoreError> {
        let changes = self.store.pending_changes(username).await?;
        for change in &changes {
            if !change.apply_to(user) {
                tracing::info!(username, ?change, "pending change had nothing to do");
            }
        }
        let pending = !changes.is_empty();
        if user.is_banned() {
            return Ok((false, pending));
        }
        if user.username.as_deref() != Some(username) {
            user.username = Some(username.to_owned());
        }
        if self.settings.owners.iter().any(|o| o.eq_ignore_ascii_case(username)) {
            user.grant_front(domain::user::OWNER_ROLE);
        }
        user.validator = Some(self.ids.session_token());
        Ok((true, pending))
    }

    /// Forgets the pending changes of a username once the user they were applied to is
    /// written.
    async fn forget_pending(&self, pending: bool, username: &str) -> Result<(), StoreError> {
        if pending { self.store.clear_pending_changes(username).await } else { Ok(()) }
    }

    fn new_user(&self, id: UserId, username: &str) -> User {
        let roles = self.settings.new_user_roles.clone().unwrap_or_default();
        User::new(id, username.to_owned(), roles, self.settings.new_user_extra.clone())
    }

    /// The resumable sessions of this node.
    pub fn resumes(&self) -> &Arc<Resumes> {
        &self.resumes
    }

    /// Handles `resume` on an unauthenticated connection (docs/design/resume.md#resume):
    /// the validator is checked as for `auth` (its refusals are the same `auth_error`), then
    /// the session must exist, be this user's and still hold every packet after `seq`.
    pub async fn resume(
        self: &Arc<Self>,
        session: &mut Session,
        session_id: Option<&str>,
        seq: Option<u64>,
        validator: Option<&str>,
        listener: Option<&str>,
    ) {
        let Some(identity) = self.identify(session, validator).await else { return };
        let refused = |session: &Session| {
            crate::telemetry::login("resume_refused");
            let error = crate::errors::RequestError::NotResumable.into();
            self.hub.send(session.conn, &Packet::Error { src: Some("resume".into()), error }, listener);
        };
        let (Some(id), Some(seq)) = (session_id, seq) else { return refused(session) };
        let Some(resumable) = self.resumes.get(id) else {
            // Held by another node? (docs/design/resume.md#across-nodes)
            let Some(relay) = self.relay.clone() else { return refused(session) };
            if !self.resume_from(session, &relay, id, seq, &identity, listener).await {
                refused(session);
            }
            return;
        };
        if resumable.user().id.0 != identity.id {
            return refused(session);
        }
        let Some(outbox) = self.hub.outbox_of(session.link) else { return refused(session) };
        let resumed = |last| {
            let packet = Packet::Resumed { session_id: id.to_owned(), seq: last };
            self.hub.encoder().encode(&packet, listener)
        };
        if resumable.attach(Link { id: session.link, outbox }, seq, resumed).is_err() {
            return refused(session);
        }
        crate::telemetry::login("resumed");
        self.hub.set_detached(resumable.conn(), false);
        // This connection is the session now; its own entry goes.
        self.hub.unregister(session.link);
        session.conn = resumable.conn();
        session.user = Some(resumable.user().clone());
        tracing::info!(conn = session.conn, link = session.link, user = %resumable.user().username, "resumed");
    }

    /// Resumes a session held by another node: this connection becomes an authenticated session
    /// that holds what it receives, then the other node hands over its buffer, then
    /// everything after `seq` is replayed. False (and nothing changed here) when refused.
    #[allow(clippy::too_many_arguments)]
    async fn resume_from(
        &self,
        session: &mut Session,
        relay: &Arc<dyn ResumeRelay>,
        id: &str,
        seq: u64,
        identity: &RoturIdentity,
        listener: Option<&str>,
    ) -> bool {
        let conn = session.link;
        let user_id = UserId(identity.id.clone());
        let user = match self.store.user(&user_id).await {
            Ok(Some(u)) if !u.is_banned() => u,
            _ => return false,
        };
        let Some(outbox) = self.hub.outbox_of(conn) else { return false };
        let me = SessionUser { id: user_id.clone(), username: identity.username.clone() };
        let holding = self.resumes.create_holding(id.to_owned(), conn, me.clone());
        self.hub.replace_outbox(conn, holding.clone());
        let first = self.hub.authenticate(conn, me.clone());
        self.audience.joined(conn, &user).await;
        if first {
            // The user is online on the other node until it hands over: no news for anyone.
            self.hub.presence().arrived(&me.id, &me.username).await;
        }
        let request = HandoffRequest { session_id: id.to_owned(), user: user_id.clone(), seq };
        let done = match relay.fetch(request).await {
            Some(Handoff { frames, last }) => {
                let resumed = |last| {
                    let packet = Packet::Resumed { session_id: id.to_owned(), seq: last };
                    self.hub.encoder().encode(&packet, listener)
                };
                holding.complete(frames, last, seq, Link { id: conn, outbox: outbox.clone() }, resumed).is_ok()
            }
            None => false,
        };
        if !done {
            self.resumes.remove(&holding);
            self.hub.replace_outbox(conn, outbox.clone());
            if let Some(departure) = self.hub.unregister(conn) {
                self.audience.left(conn, &user_id);
                if departure.last {
                    self.hub.presence().departed(&user_id).await;
                }
            }
            self.hub.register(conn, outbox);
            return false;
        }
        crate::telemetry::login("resumed");
        session.user = Some(me);
        tracing::info!(conn, user = %identity.username, "resumed from another node");
        true
    }

    /// Hands a session of this node over to another node that resumes it: the session ends
    /// here without a word to anyone (its user is online on the other node), its old
    /// connection is closed (docs/design/resume.md#across-nodes).
    pub async fn hand_off(&self, request: HandoffRequest) -> HandoffAnswer {
        // A session this node is itself fetching is not here yet.
        let Some(resumable) = self.resumes.get(&request.session_id).filter(|r| !r.is_holding()) else {
            return HandoffAnswer::NotHere;
        };
        if resumable.user().id != request.user {
            return HandoffAnswer::Refused;
        }
        let Ok((frames, last, old)) = resumable.take_after(request.seq) else { return HandoffAnswer::Refused };
        if let Some(old) = old {
            old.outbox.close(crate::resume::RESUMED_ELSEWHERE.0, crate::resume::RESUMED_ELSEWHERE.1);
        }
        self.resumes.remove(&resumable);
        let conn = resumable.conn();
        if let Some(departure) = self.hub.unregister(conn) {
            self.audience.left(conn, &departure.user.id);
            if departure.last {
                self.hub.presence().departed(&departure.user.id).await;
            }
        }
        self.voice.disconnect(conn).await;
        self.slash.disconnect(conn);
        tracing::info!(conn, user = %resumable.user().username, "session handed over to another node");
        HandoffAnswer::Handed(Handoff { frames, last })
    }

    /// Forgets a connection, exactly once however it closed. A resumable session detaches
    /// instead and waits for a resume (docs/design/resume.md#detached): its voice seat goes
    /// as today, the rest stays until its window ends.
    pub async fn close(self: &Arc<Self>, session: &Session) {
        if let Some(resumable) = self.resumes.of_conn(session.conn) {
            match resumable.detach(session.link) {
                Detach::Detached(generation) => {
                    self.hub.set_detached(session.conn, true);
                    self.voice.disconnect(session.conn).await;
                    self.resumes.limit_detached(&resumable.user().id);
                    tracing::info!(conn = session.conn, user = %resumable.user().username, "detached");
                    let this = self.clone();
                    let window = self.resumes.settings().window;
                    tokio::spawn(async move {
                        if resumable.wait_window(generation, window).await {
                            this.end_resumable(&resumable).await;
                        }
                    });
                    return;
                }
                Detach::NotMine => {
                    // The session was resumed on another connection; only this
                    // connection's own entry (if it was not the session's) goes.
                    if session.link != session.conn {
                        self.hub.unregister(session.link);
                    }
                    return;
                }
                Detach::Ended => self.resumes.remove(&resumable),
            }
        }
        self.forget(session.conn).await;
    }

    /// A detached session's window ended without a resume: it goes like a closed connection.
    async fn end_resumable(&self, resumable: &ResumableSession) {
        self.resumes.remove(resumable);
        tracing::info!(conn = resumable.conn(), user = %resumable.user().username, "resumable session ended");
        self.forget(resumable.conn()).await;
    }

    /// Forgets a connection id, exactly once: it leaves its voice call, its slash commands
    /// go, and when it was its user's last connection, everyone is told.
    async fn forget(&self, conn: ConnId) {
        let departure = self.hub.unregister(conn);
        if let Some(d) = &departure {
            self.audience.left(conn, &d.user.id);
        }
        self.voice.disconnect(conn).await;
        self.slash.disconnect(conn);
        if let Some(departure) = departure {
            tracing::info!(conn, user = %departure.user.username, "disconnected");
            let last_anywhere = departure.last && self.hub.presence().departed(&departure.user.id).await;
            let hidden = match self.store.user(&departure.user.id).await {
                Ok(u) => u.is_some_and(|u| u.hidden()),
                Err(_) => false,
            };
            if last_anywhere && !hidden {
                self.hub.send_all_authenticated(&Packet::UserDisconnect { username: departure.user.username });
            }
        }
    }
}
