//! The one command registry: adding a command means adding one line here and its handler
//! in [`super::commands`]. The handshake's `capabilities` are derived from this table.

use std::future::Future;
use std::pin::Pin;

use application::usecases::CommandResult;
use application::{App, Session};

use super::commands::{channels, messages, roles, server, slash, users, voice};
use super::request::Request;

/// A boxed handler future.
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = CommandResult> + Send + 'a>>;

/// A command handler: parse the request, call the use case.
pub type Handler = for<'a> fn(&'a App, &'a Session, &'a Request) -> HandlerFuture<'a>;

/// One registered command.
pub struct Command {
    /// The `cmd` value.
    pub name: &'static str,
    /// What runs it.
    pub run: Handler,
}

/// Every command an authenticated connection may send.
pub static COMMANDS: &[Command] = &[
    Command { name: "channel_create", run: channels::channel_create },
    Command { name: "channel_delete", run: channels::channel_delete },
    Command { name: "channel_move", run: channels::channel_move },
    Command { name: "channel_update", run: channels::channel_update },
    Command { name: "channels_get", run: channels::channels_get },
    Command { name: "message_delete", run: messages::message_delete },
    Command { name: "message_edit", run: messages::message_edit },
    Command { name: "message_get", run: messages::message_get },
    Command { name: "message_new", run: messages::message_new },
    Command { name: "message_pin", run: messages::message_pin },
    Command { name: "message_react_add", run: messages::message_react_add },
    Command { name: "message_react_remove", run: messages::message_react_remove },
    Command { name: "message_replies", run: messages::message_replies },
    Command { name: "message_unpin", run: messages::message_unpin },
    Command { name: "messages_get", run: messages::messages_get },
    Command { name: "messages_pinned", run: messages::messages_pinned },
    Command { name: "messages_search", run: messages::messages_search },
    Command { name: "ping", run: server::ping },
    Command { name: "pings_get", run: messages::pings_get },
    Command { name: "plugins_list", run: server::plugins_list },
    Command { name: "plugins_reload", run: server::plugins_reload },
    Command { name: "rate_limit_reset", run: server::rate_limit_reset },
    Command { name: "rate_limit_status", run: server::rate_limit_status },
    Command { name: "role_create", run: roles::role_create },
    Command { name: "role_delete", run: roles::role_delete },
    Command { name: "role_permissions_get", run: roles::role_permissions_get },
    Command { name: "role_permissions_set", run: roles::role_permissions_set },
    Command { name: "role_update", run: roles::role_update },
    Command { name: "roles_list", run: roles::roles_list },
    Command { name: "slash_call", run: slash::slash_call },
    Command { name: "slash_list", run: slash::slash_list },
    Command { name: "slash_register", run: slash::slash_register },
    Command { name: "slash_response", run: slash::slash_response },
    Command { name: "typing", run: messages::typing },
    Command { name: "user_ban", run: users::user_ban },
    Command { name: "user_leave", run: users::user_leave },
    Command { name: "user_roles_add", run: users::user_roles_add },
    Command { name: "user_roles_get", run: users::user_roles_get },
    Command { name: "user_roles_remove", run: users::user_roles_remove },
    Command { name: "user_timeout", run: users::user_timeout },
    Command { name: "user_unban", run: users::user_unban },
    Command { name: "users_banned_list", run: users::users_banned_list },
    Command { name: "users_list", run: users::users_list },
    Command { name: "users_online", run: users::users_online },
    Command { name: "voice_join", run: voice::voice_join },
    Command { name: "voice_leave", run: voice::voice_leave },
    Command { name: "voice_mute", run: voice::voice_mute },
    Command { name: "voice_state", run: voice::voice_state },
    Command { name: "voice_unmute", run: voice::voice_unmute },
];

/// Finds a command by name.
pub fn find(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// The handshake `capabilities`: `auth` plus every registered command, sorted.
pub fn capabilities() -> Vec<String> {
    let mut names: Vec<String> =
        std::iter::once("auth").chain(COMMANDS.iter().map(|c| c.name)).map(str::to_owned).collect();
    names.sort();
    names
}
