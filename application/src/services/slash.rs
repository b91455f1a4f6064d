//! Slash commands (docs/design/slash-commands.md): bots register commands, users call
//! them, calls go to the registering connection, and the bot's `slash_response` answers a
//! pending call as a message.

use std::sync::Arc;

use domain::message::Interaction;
use domain::{Action, ContentError, Message, MessageContent, UserId, may};

use super::{Audience, Directory, Gate, Outcome, Plugins, Reply};
use crate::errors::{Limited, SlashError};
use crate::hub::Hub;
use crate::limiter::Purpose;
use crate::ports::{Actor, Clock, ClusterEvent, Draft, IdSource, PluginHost, RemoteCall, SlashChange, Store};
use crate::settings::Settings;
use crate::slash::{PendingCall, SlashArgs, SlashCommand, SlashRegistry, check_args, check_roles, roles_clause};
use crate::views::NameBook;
use crate::{ConnId, Origin, Packet, Session};

/// The `commands` of `slash_register`, as parsed from the request.
#[derive(Debug, Clone, PartialEq)]
pub enum SlashCommands {
    /// Missing, not a list, or empty.
    Missing,
    /// The schema error of the first bad command (nothing is registered then).
    Invalid(String),
    /// Every command, valid.
    Valid(Vec<SlashCommand>),
}

/// Input of `slash_call`; each field's own error is reported in the original's order.
#[derive(Debug, Clone, PartialEq)]
pub struct SlashCallRequest {
    /// Where it is called.
    pub channel: Result<String, SlashError>,
    /// The command's name.
    pub command: Result<String, SlashError>,
    /// Its arguments.
    pub args: Result<SlashArgs, SlashError>,
}

/// Input of `slash_response`; each field's own error is reported in the original's order.
#[derive(Debug, Clone, PartialEq)]
pub struct SlashAnswer {
    /// Channel of the call.
    pub channel: Result<String, SlashError>,
    /// The text.
    pub response: Result<String, SlashError>,
    /// The command: `None` when absent (filled in from the call).
    pub command: Result<Option<String>, SlashError>,
    /// The caller's id (defaults to the responder).
    pub invoker: Option<String>,
    /// The request's `ephemeral` flag (else the command's).
    pub ephemeral: Option<bool>,
}

/// Slash commands of bots.
pub struct Slash {
    registry: SlashRegistry,
    store: Arc<dyn Store>,
    directory: Arc<Directory>,
    gate: Arc<Gate>,
    audience: Arc<Audience>,
    hub: Arc<Hub>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    settings: Arc<Settings>,
    host: Arc<dyn PluginHost>,
    plugins: Arc<Plugins>,
}

/// The parts a [`Slash`] service is built from.
pub struct SlashParts {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// Lookups.
    pub directory: Arc<Directory>,
    /// Timeouts.
    pub gate: Arc<Gate>,
    /// Channel audiences.
    pub audience: Arc<Audience>,
    /// Connections.
    pub hub: Arc<Hub>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Message ids.
    pub ids: Arc<dyn IdSource>,
    /// Configuration.
    pub settings: Arc<Settings>,
    /// Plugins that screen answers.
    pub host: Arc<dyn PluginHost>,
    /// Carries out what screening plugins ask for.
    pub plugins: Arc<Plugins>,
}

impl Slash {
    /// The slash service, with no command registered.
    pub fn new(p: SlashParts) -> Self {
        Self {
            registry: SlashRegistry::default(),
            store: p.store,
            directory: p.directory,
            gate: p.gate,
            audience: p.audience,
            hub: p.hub,
            clock: p.clock,
            ids: p.ids,
            settings: p.settings,
            host: p.host,
            plugins: p.plugins,
        }
    }

    /// `slash_register`: all or nothing.
    pub async fn register(&self, session: &Session, commands: SlashCommands) -> Outcome<SlashError> {
        let user = self.directory.caller_with_roles(session).await?;
        let commands = match commands {
            SlashCommands::Missing => return Err(SlashError::CommandsRequired),
            SlashCommands::Invalid(why) => Err(SlashError::InvalidCommandSchema(why)),
            SlashCommands::Valid(list) => Ok(list),
        };
        if let Some(needed) = &self.settings.slash_register_roles
            && !needed.iter().any(|r| user.has_role(r))
        {
            return Err(SlashError::RoleRequired(roles_clause(needed)));
        }
        if self.hub.connections_of(&user.id).iter().any(|c| *c != session.conn)
            || self.hub.presence().is_elsewhere(&user.id)
        {
            return Err(SlashError::OtherSession);
        }
        let commands = commands?;
        let count = commands.len();
        let added = self.registry.register(session.conn, &user.id, user.display_name(), commands)?;
        tracing::info!(bot = %user.display_name(), count, "slash commands registered");
        // Other nodes know the commands before their clients see `slash_add`.
        self.hub.publish(|| {
            ClusterEvent::Slash(SlashChange::Registered {
                conn: session.conn,
                user: user.id.clone(),
                username: user.display_name().to_owned(),
                commands: added.iter().map(|r| r.command.clone()).collect(),
            })
        });
        self.hub.send_all_authenticated(&Packet::SlashAdd(added));
        Ok(Reply::Packet(Packet::SlashRegistered(count)))
    }

    /// `slash_list`: every registered command.
    pub async fn list(&self, session: &Session) -> Outcome<SlashError> {
        self.directory.caller_with_roles(session).await?;
        Ok(Reply::Packet(Packet::SlashList(self.registry.list())))
    }

    /// `slash_call`: checks the caller and the arguments, then routes the call to the bot.
    pub async fn call(&self, session: &Session, req: SlashCallRequest) -> Outcome<SlashError> {
        let user = self.directory.caller_with_roles(session).await?;
        let channel = req.channel?;
        let chan = self.store.channel(&channel).await?;
        if !may(&user.roles, chan.as_ref(), Action::View) {
            return Err(crate::errors::AccessError::ChannelAccessDenied.into());
        }
        if !chan.as_ref().is_some_and(|c| c.is_text()) || !may(&user.roles, chan.as_ref(), Action::Send) {
            return Err(SlashError::SendDenied);
        }
        let args = req.args?;
        let name = req.command?;
        let registered = self.registry.find(&name).ok_or_else(|| SlashError::UnknownCommand(name.clone()))?;
        check_roles(&registered.command, &user.roles)?;
        check_args(&registered.command, &args)?;
        self.gate.not_in_timeout(session).await?;
        let id = self.registry.call_id();
        let at = self.clock.now();
        let recorded = self.registry.record(PendingCall {
            id,
            bot_node: registered.node.clone(),
            bot: registered.conn,
            invoker_node: None,
            invoker_conn: session.conn,
            invoker: user.id.clone(),
            invoker_username: user.display_name().to_owned(),
            channel: channel.clone(),
            command: name.clone(),
            ephemeral: registered.command.ephemeral,
            at,
            answers: 0,
        });
        if !recorded {
            return Err(SlashError::HandlerOffline(name.clone()));
        }
        match registered.node {
            None => {
                let call = Packet::SlashCall {
                    command: name.clone(),
                    args: args.raw,
                    commander: registered.username.clone(),
                    invoker: user.id.clone(),
                    invoker_username: user.display_name().to_owned(),
                    channel,
                };
                self.hub.send(registered.conn, &call, None);
            }
            // The bot's node records the call and hands it to the bot; if the bot is gone
            // by then, its `Removed` reaches this node after this call and fails it here.
            Some(to) => self.hub.publish(|| {
                ClusterEvent::Slash(SlashChange::Call(RemoteCall {
                    to,
                    bot: registered.conn,
                    id,
                    invoker: user.id.clone(),
                    invoker_username: user.display_name().to_owned(),
                    channel,
                    command: name.clone(),
                    ephemeral: registered.command.ephemeral,
                    at,
                    args: args.raw,
                    commander: registered.username.clone(),
                }))
            }),
        }
        Ok(Reply::Packet(Packet::SlashCallSent(name)))
    }

    /// `slash_response`: the bot answers a pending call (at most
    /// [`crate::slash::MAX_ANSWERS_PER_CALL`] times); the answer is screened and stored and
    /// sent like a message (or, ephemeral, only to the caller). It draws on the bot's own
    /// bucket, not its message bucket, and a bot in timeout cannot answer.
    pub async fn respond(&self, session: &Session, req: SlashAnswer, origin: &Origin) -> Outcome<SlashError> {
        let bot = self.directory.caller_with_roles(session).await?;
        let channel = req.channel?;
        let content = MessageContent::parse(&req.response?, self.settings.post_content);
        if content == Err(ContentError::Empty) {
            return Err(SlashError::ResponseEmpty);
        }
        let command = req.command?;
        let response = content.map_err(|_| SlashError::ResponseTooLong(self.settings.post_content))?.into_string();
        self.gate.admit(session, Purpose::SlashResponses).await?;
        let invoker = req.invoker.map(UserId).unwrap_or_else(|| bot.id.clone());
        let now = self.clock.now();
        let call = self
            .registry
            .answerable(session.conn, &channel, &invoker, command.as_deref(), now)
            .ok_or(SlashError::NoPendingCall)?;
        if !self.store.channel(&channel).await?.is_some_and(|c| c.is_text()) {
            return Err(SlashError::SendDenied);
        }
        let id = self.ids.message_id();
        let draft = Draft {
            channel: channel.clone(),
            id: id.clone(),
            content: response.clone(),
            by: Actor::of(&bot),
            roles: bot.roles.clone(),
            commands: false,
        };
        let screening = self.host.screen_message(&draft);
        if let Some(denial) = screening.block {
            self.plugins.perform_all(screening.actions).await;
            return Err(Limited { denial, typing: false }.into());
        }
        // Only an answer that goes out counts against the call.
        let counted = self
            .registry
            .answer(session.conn, &channel, &invoker, command.as_deref(), now)
            .ok_or(SlashError::NoPendingCall)?;
        if let (1, Some(node)) = (counted.answers, counted.invoker_node) {
            // The caller's node no longer fails this call when the bot goes.
            self.hub.publish(|| ClusterEvent::Slash(SlashChange::Answered { node, call: counted.id }));
        }
        let invoker_name = match self.store.user(&invoker).await? {
            Some(u) => u.display_name().to_owned(),
            None => call.invoker_username.clone(),
        };
        let mut message = Message::new(id, bot.id.clone(), response, now);
        message.interaction = Some(Interaction { command: call.command.clone(), username: invoker_name });
        let view = NameBook::from_users([&bot]).view(message.clone());
        let packet = Packet::MessageNew { channel: channel.clone(), message: Box::new(view) };
        if req.ephemeral.unwrap_or(call.ephemeral) {
            self.hub.send_user(&invoker, &packet);
        } else {
            self.store.append_message(&channel, &message).await?;
            self.audience.broadcast(&packet, &channel, origin).await;
        }
        self.plugins.perform_all(screening.actions).await;
        Ok(Reply::Done)
    }

    /// A closed connection's commands leave `slash_list` (everyone is told), and callers
    /// still waiting for it get an error. Every node does both for its own connections.
    pub fn disconnect(&self, conn: ConnId) {
        let (names, unanswered) = self.registry.drop_conn(conn);
        if !names.is_empty() {
            self.hub.publish(|| ClusterEvent::Slash(SlashChange::Removed { conn }));
        }
        self.removed(names, unanswered);
    }

    fn removed(&self, names: Vec<String>, unanswered: Vec<PendingCall>) {
        if !names.is_empty() {
            self.hub.send_all_here(&Packet::SlashRemove(names));
        }
        for call in unanswered.into_iter().filter(|c| c.invoker_node.is_none()) {
            let error = Packet::Error { src: Some("slash_call".into()), error: SlashError::BotDisconnected.into() };
            self.hub.send(call.invoker_conn, &error, None);
        }
    }

    /// Applies a change of another node's bots (docs/design/cluster.md#slash-commands).
    pub fn remote(&self, from: &str, change: SlashChange) {
        match change {
            SlashChange::Registered { conn, user, username, commands } => {
                self.registry.register_remote(from, conn, &user, &username, commands);
            }
            SlashChange::Removed { conn } => {
                let (names, unanswered) = self.registry.drop_bot(Some(from), Some(conn));
                self.removed(names, unanswered);
            }
            SlashChange::Call(call) if call.to == self.hub.bus().node() => {
                let recorded = self.registry.record(PendingCall {
                    id: call.id,
                    bot_node: None,
                    bot: call.bot,
                    invoker_node: Some(from.to_owned()),
                    invoker_conn: 0,
                    invoker: call.invoker.clone(),
                    invoker_username: call.invoker_username.clone(),
                    channel: call.channel.clone(),
                    command: call.command.clone(),
                    ephemeral: call.ephemeral,
                    at: call.at,
                    answers: 0,
                });
                if recorded {
                    let packet = Packet::SlashCall {
                        command: call.command,
                        args: call.args,
                        commander: call.commander,
                        invoker: call.invoker,
                        invoker_username: call.invoker_username,
                        channel: call.channel,
                    };
                    self.hub.send(call.bot, &packet, None);
                }
            }
            SlashChange::Answered { node, call } if node == self.hub.bus().node() => {
                self.registry.answered_remote(call);
            }
            SlashChange::Call(_) | SlashChange::Answered { .. } => {}
        }
    }

    /// Another node is gone: its bots' commands leave, and callers here still waiting for
    /// them get the error, as if those bots had disconnected.
    pub fn node_gone(&self, node: &str) {
        let (names, unanswered) = self.registry.drop_bot(Some(node), None);
        self.removed(names, unanswered);
    }

    /// Publishes the commands of this node's bots again (for a node that just joined).
    pub fn announce(&self) {
        for (conn, regs) in self.registry.local() {
            let Some(first) = regs.first() else { continue };
            let change = SlashChange::Registered {
                conn,
                user: first.user.clone(),
                username: first.username.clone(),
                commands: regs.iter().map(|r| r.command.clone()).collect(),
            };
            self.hub.publish(|| ClusterEvent::Slash(change));
        }
    }
}
