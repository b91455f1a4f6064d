//! Slash commands (slash-and-plugins.md Part A with decisions.md §14, §16, §24): bots
//! register commands, users call them, calls go to the registering connection, and the
//! bot's `slash_response` answers a pending call as a message.

use domain::message::Interaction;
use domain::{Action, Message, UserId, may};
use serde_json::{Map, Value};

use super::{CommandResult, Reply};
use crate::slash::{PendingCall, SlashCommand, check_args, check_roles, roles_clause};
use crate::views::NameBook;
use crate::{App, AppError, Origin, Packet, Session};

/// Input of `slash_response`, with the wire's shapes already checked.
#[derive(Debug, Clone, PartialEq)]
pub struct SlashAnswer {
    /// Channel of the call.
    pub channel: Option<String>,
    /// The text: `Err` when present but not a string.
    pub response: Result<String, ()>,
    /// The command: `None` when absent (filled in from the call), `Err` when not a
    /// non-empty string.
    pub command: Option<Result<String, ()>>,
    /// The caller's id (defaults to the responder).
    pub invoker: Option<String>,
    /// The request's `ephemeral` flag (else the command's).
    pub ephemeral: Option<bool>,
}

impl App {
    /// `slash_register`: `commands` is `None` when not a non-empty list, `Some(Err)` with
    /// the schema error of the first bad command (nothing is registered then).
    pub async fn slash_register(
        &self,
        session: &Session,
        commands: Option<Result<Vec<SlashCommand>, String>>,
    ) -> CommandResult {
        let user = self.caller_with_roles(session).await?;
        let commands = commands.ok_or(AppError::CommandsRequired)?;
        if let Some(needed) = &self.settings.slash_register_roles
            && !needed.iter().any(|r| user.has_role(r))
        {
            return Err(AppError::RoleRequired(roles_clause(needed)).into());
        }
        if self.hub.connections_of(&user.id).iter().any(|c| *c != session.conn) {
            return Err(AppError::SlashOtherSession.into());
        }
        let commands = commands.map_err(AppError::InvalidCommandSchema)?;
        let count = commands.len();
        let added = self.slash.register(session.conn, &user.id, user.display_name(), commands)?;
        tracing::info!(bot = %user.display_name(), count, "slash commands registered");
        self.hub.send_all_authenticated(&Packet::SlashAdd(added));
        Ok(Reply::Packet(Packet::SlashRegistered(count)))
    }

    /// `slash_list`: every registered command.
    pub async fn slash_list(&self, session: &Session) -> CommandResult {
        self.caller_with_roles(session).await?;
        Ok(Reply::Packet(Packet::SlashList(self.slash.list())))
    }

    /// `slash_call`: checks the caller and the arguments, then routes the call to the bot.
    pub async fn slash_call(
        &self,
        session: &Session,
        channel: Option<String>,
        command: Option<&Value>,
        args: Option<&Value>,
    ) -> CommandResult {
        let user = self.caller_with_roles(session).await?;
        let channel = channel.ok_or(AppError::SlashChannelRequired)?;
        let chan = self.store.channel(&channel).await?;
        if !may(&user.roles, chan.as_ref(), Action::View) {
            return Err(AppError::ChannelAccessDenied.into());
        }
        if !chan.as_ref().is_some_and(|c| c.is_text()) || !may(&user.roles, chan.as_ref(), Action::Send) {
            return Err(AppError::SendDenied.into());
        }
        let args: Map<String, Value> = match args {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(_) => return Err(AppError::ArgsNotObject.into()),
        };
        let Some(Value::String(name)) = command else { return Err(AppError::CommandNameNotString.into()) };
        let registered = self.slash.find(name).ok_or_else(|| AppError::UnknownSlashCommand(name.clone()))?;
        check_roles(&registered.command, &user.roles)?;
        check_args(&registered.command, &args)?;
        self.not_in_timeout(session).await?;
        let recorded = self.slash.record(PendingCall {
            bot: registered.conn,
            invoker_conn: session.conn,
            invoker: user.id.clone(),
            invoker_username: user.display_name().to_owned(),
            channel: channel.clone(),
            command: name.clone(),
            ephemeral: registered.command.ephemeral,
            at: self.clock.now(),
            answered: false,
        });
        if !recorded {
            return Err(AppError::SlashHandlerOffline(name.clone()).into());
        }
        let call = Packet::SlashCall {
            command: name.clone(),
            args: Value::Object(args),
            commander: registered.username.clone(),
            invoker: user.id.clone(),
            invoker_username: user.display_name().to_owned(),
            channel,
        };
        self.hub.send(registered.conn, &call, None);
        Ok(Reply::Packet(Packet::SlashCallSent(name.clone())))
    }

    /// `slash_response`: the bot answers a pending call; the answer is stored and sent
    /// like a message (or, ephemeral, only to the caller). Exempt from the rate limiter.
    pub async fn slash_response(&self, session: &Session, req: SlashAnswer, origin: &Origin) -> CommandResult {
        let bot = self.caller_with_roles(session).await?;
        let channel = req.channel.ok_or(AppError::SlashChannelRequired)?;
        let response = req.response.map_err(|_| AppError::SlashResponseNotString)?.trim().to_owned();
        if response.is_empty() {
            return Err(AppError::SlashResponseEmpty.into());
        }
        let command = req.command.transpose().map_err(|_| AppError::SlashCommandRequired)?;
        if response.chars().count() > self.settings.post_content {
            return Err(AppError::ContentTooLong(self.settings.post_content).into());
        }
        let invoker = req.invoker.map(UserId).unwrap_or_else(|| bot.id.clone());
        let now = self.clock.now();
        let call = self
            .slash
            .answer(session.conn, &channel, &invoker, command.as_deref(), now)
            .ok_or(AppError::NoPendingCall)?;
        if !self.store.channel(&channel).await?.is_some_and(|c| c.is_text()) {
            return Err(AppError::SendDenied.into());
        }
        let invoker_name = match self.store.user(&invoker).await? {
            Some(u) => u.display_name().to_owned(),
            None => call.invoker_username.clone(),
        };
        let mut message = Message::new(self.ids.message_id(), bot.id.clone(), response, now);
        message.interaction = Some(Interaction { command: call.command.clone(), username: invoker_name });
        let view = NameBook::from_users([&bot]).view(message.clone());
        let packet = Packet::MessageNew { channel: channel.clone(), message: Box::new(view) };
        if req.ephemeral.unwrap_or(call.ephemeral) {
            let conns = self.hub.connections_of(&invoker);
            self.hub.fan_out(&packet, &conns, &Origin::default());
            return Ok(Reply::Done);
        }
        self.store.append_message(&channel, &message).await?;
        self.broadcast_to_channel(&packet, &channel, origin).await;
        Ok(Reply::Done)
    }

    /// A closed connection's commands leave `slash_list` (everyone is told), and callers
    /// still waiting for it get an error.
    pub(crate) fn slash_disconnect(&self, conn: crate::ConnId) {
        let (names, unanswered) = self.slash.drop_conn(conn);
        if !names.is_empty() {
            self.hub.send_all_authenticated(&Packet::SlashRemove(names));
        }
        for call in unanswered {
            let error = Packet::Error { src: Some("slash_call".into()), error: AppError::BotDisconnected };
            self.hub.send(call.invoker_conn, &error, None);
        }
    }
}
