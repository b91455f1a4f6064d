//! Slash commands (docs/design/slash-commands.md): commands registered at run time by a
//! connection (normally a bot), calls routed to it, and the calls it may still answer.
//! Memory only: a bot's commands live as long as its connection.

use std::collections::VecDeque;
use std::sync::Mutex;

use domain::{RawJson, UnixSeconds, UserId};

use crate::ConnId;
use crate::errors::SlashError;

/// How long a call may be answered (docs/design/slash-commands.md#calling).
pub const PENDING_SECONDS: f64 = 15.0 * 60.0;
/// How many times a bot may answer one call (its answers are stored messages).
pub const MAX_ANSWERS_PER_CALL: u32 = 10;
/// Calls remembered per bot connection; the oldest go first.
pub const MAX_PENDING_PER_BOT: usize = 1000;

/// The type of a command option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    /// A string.
    Str,
    /// An integer (not a boolean).
    Int,
    /// A boolean.
    Bool,
    /// One of `choices`.
    Enum,
    /// Any number (not a boolean).
    Float,
}

impl OptionKind {
    /// The name used on the wire and in error texts.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Str => "str",
            Self::Int => "int",
            Self::Bool => "bool",
            Self::Enum => "enum",
            Self::Float => "float",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "str" => Self::Str,
            "int" => Self::Int,
            "bool" => Self::Bool,
            "enum" => Self::Enum,
            "float" => Self::Float,
            _ => return None,
        })
    }

    fn accepts(self, kind: ArgKind) -> bool {
        match self {
            Self::Str | Self::Enum => kind == ArgKind::Str,
            Self::Int => kind == ArgKind::Int,
            Self::Float => matches!(kind, ArgKind::Int | ArgKind::Float),
            Self::Bool => kind == ArgKind::Bool,
        }
    }
}

/// The type of an argument value a caller sent, as the original names it in error texts
/// (Python's type names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// `null`.
    None,
    /// `true` / `false`.
    Bool,
    /// A number without a fraction or exponent.
    Int,
    /// Any other number.
    Float,
    /// A string.
    Str,
    /// An array.
    List,
    /// An object.
    Dict,
}

impl ArgKind {
    /// Python's name of the type.
    pub fn python_name(self) -> &'static str {
        match self {
            Self::None => "NoneType",
            Self::Bool => "bool",
            Self::Int => "int",
            Self::Float => "float",
            Self::Str => "str",
            Self::List => "list",
            Self::Dict => "dict",
        }
    }
}

/// One argument of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgValue {
    /// Its type.
    pub kind: ArgKind,
    /// The text, when it is a string.
    pub text: Option<String>,
}

/// The arguments of a call: each name with its value, in the order sent, and the whole
/// object as sent, which the bot receives verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlashArgs {
    /// Name and value of each argument.
    pub entries: Vec<(String, ArgValue)>,
    /// The JSON object as the caller sent it.
    pub raw: RawJson,
}

impl Default for SlashArgs {
    fn default() -> Self {
        Self { entries: vec![], raw: RawJson("{}".into()) }
    }
}

impl SlashArgs {
    fn get(&self, name: &str) -> Option<&ArgValue> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

/// One option of a command.
#[derive(Debug, Clone, PartialEq)]
pub struct SlashOption {
    /// Argument name.
    pub name: String,
    /// Shown to users.
    pub description: String,
    /// Its type.
    pub kind: OptionKind,
    /// Allowed values (enum options).
    pub choices: Option<Vec<String>>,
    /// Whether a call must give it (default true).
    pub required: bool,
}

/// A command as a bot registered it (already validated).
#[derive(Debug, Clone, PartialEq)]
pub struct SlashCommand {
    /// Name, without `/`.
    pub name: String,
    /// Shown to users.
    pub description: String,
    /// Callers need at least one of these roles (empty or `None`: everyone).
    pub whitelist: Option<Vec<String>>,
    /// Callers holding any of these roles are refused.
    pub blacklist: Option<Vec<String>>,
    /// Options in declaration order.
    pub options: Vec<SlashOption>,
    /// Answers are shown only to the caller.
    pub ephemeral: bool,
}

/// A command together with who registered it.
#[derive(Debug, Clone, PartialEq)]
pub struct Registered {
    /// The node holding the bot's connection (`None`: this node).
    pub node: Option<String>,
    /// The bot's connection (on its node).
    pub conn: ConnId,
    /// The bot's user.
    pub user: UserId,
    /// The bot's display name (`registeredBy`).
    pub username: String,
    /// The command.
    pub command: SlashCommand,
}

/// A call sent to a bot that it may still answer. Each node remembers the calls to its
/// own bots, and the calls its own callers made to bots of other nodes (so that it can
/// tell them when that bot goes).
#[derive(Debug, Clone, PartialEq)]
pub struct PendingCall {
    /// The call's id on the caller's node.
    pub id: u64,
    /// The node of the bot's connection (`None`: this node).
    pub bot_node: Option<String>,
    /// The bot's connection (on its node).
    pub bot: ConnId,
    /// The node of the caller's connection (`None`: this node).
    pub invoker_node: Option<String>,
    /// The caller's connection (on its node).
    pub invoker_conn: ConnId,
    /// The caller.
    pub invoker: UserId,
    /// The caller's display name.
    pub invoker_username: String,
    /// Where it was called.
    pub channel: String,
    /// The command name.
    pub command: String,
    /// The command's `ephemeral` flag.
    pub ephemeral: bool,
    /// When it was called.
    pub at: UnixSeconds,
    /// How many times the bot answered it.
    pub answers: u32,
}

#[derive(Debug, Default)]
struct State {
    registered: Vec<Registered>,
    pending: VecDeque<PendingCall>,
}

/// Every registered command and pending call.
#[derive(Debug, Default)]
pub struct SlashRegistry {
    state: Mutex<State>,
    next_call: std::sync::atomic::AtomicU64,
}

impl SlashRegistry {
    /// A fresh id for a call made on this node.
    pub fn call_id(&self) -> u64 {
        self.next_call.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces the commands of `conn` with `commands` (a later duplicate name wins).
    /// Fails, changing nothing, when another connection registered one of the names.
    pub fn register(
        &self,
        conn: ConnId,
        user: &UserId,
        username: &str,
        commands: Vec<SlashCommand>,
    ) -> Result<Vec<Registered>, SlashError> {
        let mut st = self.lock();
        if let Some(taken) = commands
            .iter()
            .find(|c| st.registered.iter().any(|r| (r.conn != conn || r.node.is_some()) && r.command.name == c.name))
        {
            return Err(SlashError::NameTaken(taken.name.clone()));
        }
        Ok(Self::replace(&mut st, None, conn, user, username, commands))
    }

    /// Replaces the commands of bot connection `conn` of another node (no name check:
    /// that node checked) as [`SlashRegistry::register`] did there; the same commands
    /// again (a node's answer to a hello) change nothing.
    pub fn register_remote(
        &self,
        node: &str,
        conn: ConnId,
        user: &UserId,
        username: &str,
        commands: Vec<SlashCommand>,
    ) {
        let mut st = self.lock();
        let had: Vec<&SlashCommand> = st
            .registered
            .iter()
            .filter(|r| r.conn == conn && r.node.as_deref() == Some(node))
            .map(|r| &r.command)
            .collect();
        if !had.is_empty() && had.len() == commands.len() && had.iter().zip(&commands).all(|(a, b)| *a == b) {
            return;
        }
        Self::replace(&mut st, Some(node), conn, user, username, commands);
    }

    fn replace(
        st: &mut State,
        node: Option<&str>,
        conn: ConnId,
        user: &UserId,
        username: &str,
        commands: Vec<SlashCommand>,
    ) -> Vec<Registered> {
        st.registered.retain(|r| !(r.conn == conn && r.node.as_deref() == node));
        let mut mine: Vec<Registered> = vec![];
        for command in commands {
            let entry = Registered {
                node: node.map(str::to_owned),
                conn,
                user: user.clone(),
                username: username.to_owned(),
                command,
            };
            match mine.iter_mut().find(|r| r.command.name == entry.command.name) {
                Some(slot) => *slot = entry,
                None => mine.push(entry),
            }
        }
        st.registered.extend(mine.iter().cloned());
        mine
    }

    /// The commands of this node's bot connections, each with its connection.
    pub fn local(&self) -> Vec<(ConnId, Vec<Registered>)> {
        let mut out: Vec<(ConnId, Vec<Registered>)> = vec![];
        for r in self.lock().registered.iter().filter(|r| r.node.is_none()) {
            match out.iter_mut().find(|(c, _)| *c == r.conn) {
                Some((_, list)) => list.push(r.clone()),
                None => out.push((r.conn, vec![r.clone()])),
            }
        }
        out
    }

    /// Every registered command, in registration order.
    pub fn list(&self) -> Vec<Registered> {
        self.lock().registered.clone()
    }

    /// The command called `name`.
    pub fn find(&self, name: &str) -> Option<Registered> {
        self.lock().registered.iter().find(|r| r.command.name == name).cloned()
    }

    /// Forgets a closed connection of this node: the names of its commands, and the calls
    /// it never answered (their callers are told).
    pub fn drop_conn(&self, conn: ConnId) -> (Vec<String>, Vec<PendingCall>) {
        self.drop_bot(None, Some(conn))
    }

    /// Forgets the bot connection `conn` (every one when `None`) of `node` (`None`: this
    /// node): the names of its commands, and the calls to it never answered.
    pub fn drop_bot(&self, node: Option<&str>, conn: Option<ConnId>) -> (Vec<String>, Vec<PendingCall>) {
        let mut st = self.lock();
        let hit = |n: &Option<String>, c: ConnId| n.as_deref() == node && conn.is_none_or(|x| x == c);
        let names = st.registered.iter().filter(|r| hit(&r.node, r.conn)).map(|r| r.command.name.clone()).collect();
        st.registered.retain(|r| !hit(&r.node, r.conn));
        let (gone, kept): (Vec<PendingCall>, Vec<PendingCall>) =
            st.pending.drain(..).partition(|p| hit(&p.bot_node, p.bot));
        st.pending = kept.into();
        (names, gone.into_iter().filter(|p| p.answers == 0).collect())
    }

    /// A call this node's caller made to another node's bot got an answer.
    pub fn answered_remote(&self, id: u64) {
        if let Some(p) = self.lock().pending.iter_mut().find(|p| p.id == id && p.bot_node.is_some()) {
            p.answers += 1;
        }
    }

    /// Remembers a call sent to a bot; false (and nothing remembered) when that bot's
    /// connection no longer holds the command, so a call racing a disconnect is refused
    /// rather than left waiting.
    pub fn record(&self, call: PendingCall) -> bool {
        let mut st = self.lock();
        let same_bot = |p: &PendingCall| p.bot == call.bot && p.bot_node == call.bot_node;
        if !st
            .registered
            .iter()
            .any(|r| r.conn == call.bot && r.node == call.bot_node && r.command.name == call.command)
        {
            return false;
        }
        let now = call.at;
        st.pending.retain(|p| now - p.at < PENDING_SECONDS);
        if st.pending.iter().filter(|p| same_bot(p)).count() >= MAX_PENDING_PER_BOT
            && let Some(i) = st.pending.iter().position(same_bot)
        {
            st.pending.remove(i);
        }
        st.pending.push_back(call);
        true
    }

    /// The call a response from `bot` would answer: same channel and caller (and command,
    /// when given), not expired, answered fewer than [`MAX_ANSWERS_PER_CALL`] times; the
    /// oldest unanswered first, else the latest answered one. Nothing changes.
    pub fn answerable(
        &self,
        bot: ConnId,
        channel: &str,
        invoker: &UserId,
        command: Option<&str>,
        now: UnixSeconds,
    ) -> Option<PendingCall> {
        let st = self.lock();
        Self::pick(&st, bot, channel, invoker, command, now).map(|i| st.pending[i].clone())
    }

    /// Answers the call [`SlashRegistry::answerable`] names (counting the answer); a call
    /// answered [`MAX_ANSWERS_PER_CALL`] times is forgotten.
    pub fn answer(
        &self,
        bot: ConnId,
        channel: &str,
        invoker: &UserId,
        command: Option<&str>,
        now: UnixSeconds,
    ) -> Option<PendingCall> {
        let mut st = self.lock();
        st.pending.retain(|p| now - p.at < PENDING_SECONDS);
        let index = Self::pick(&st, bot, channel, invoker, command, now)?;
        let call = &mut st.pending[index];
        call.answers += 1;
        let answered = call.clone();
        if answered.answers >= MAX_ANSWERS_PER_CALL {
            st.pending.remove(index);
        }
        Some(answered)
    }

    fn pick(
        st: &State,
        bot: ConnId,
        channel: &str,
        invoker: &UserId,
        command: Option<&str>,
        now: UnixSeconds,
    ) -> Option<usize> {
        let matches = |p: &PendingCall| {
            now - p.at < PENDING_SECONDS
                && p.bot == bot
                && p.bot_node.is_none()
                && p.channel == channel
                && &p.invoker == invoker
                && command.is_none_or(|c| c == p.command)
        };
        st.pending.iter().position(|p| matches(p) && p.answers == 0).or_else(|| st.pending.iter().rposition(matches))
    }
}

/// The roles clause of an access error: `'a'` or `'a' or 'b'`.
pub fn roles_clause(roles: &[String]) -> String {
    roles.iter().map(|r| format!("'{r}'")).collect::<Vec<_>>().join(" or ")
}

/// Whether a caller holding `roles` may call `command` (docs/design/slash-commands.md#calling: the blacklist
/// wins; the whitelist needs any one listed role).
pub fn check_roles(command: &SlashCommand, roles: &[String]) -> Result<(), SlashError> {
    let holds = |list: &Option<Vec<String>>| list.iter().flatten().any(|r| roles.contains(r));
    if holds(&command.blacklist) {
        return Err(SlashError::ForbiddenRoles);
    }
    match &command.whitelist {
        Some(list) if !list.is_empty() && !holds(&command.whitelist) => {
            Err(SlashError::RoleRequired(roles_clause(list)))
        }
        _ => Ok(()),
    }
}

/// Checks a call's arguments against the command's options, in the original's order:
/// unknown names, then missing required ones, then each value's type.
pub fn check_args(command: &SlashCommand, args: &SlashArgs) -> Result<(), SlashError> {
    let option = |name: &str| command.options.iter().find(|o| o.name == name);
    if let Some((unknown, _)) = args.entries.iter().find(|(k, _)| option(k).is_none()) {
        return Err(SlashError::UnknownArgument(unknown.clone()));
    }
    if let Some(missing) = command.options.iter().find(|o| o.required && args.get(&o.name).is_none()) {
        return Err(SlashError::MissingArgument(missing.name.clone()));
    }
    for (name, value) in &args.entries {
        let Some(opt) = option(name) else { continue };
        if !opt.kind.accepts(value.kind) {
            return Err(SlashError::ArgumentType {
                name: name.clone(),
                expected: opt.kind.as_str(),
                got: value.kind.python_name(),
            });
        }
        if opt.kind == OptionKind::Enum {
            let choices = opt.choices.clone().unwrap_or_default();
            let given = value.text.as_deref().unwrap_or_default();
            if !choices.iter().any(|c| c == given) {
                return Err(SlashError::EnumValue {
                    name: name.clone(),
                    choices: choices.join(", "),
                    got: given.into(),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
