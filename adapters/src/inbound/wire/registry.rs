//! The one command registry: adding a command means adding one line here and its handler
//! in [`super::commands`]. The handshake's `capabilities` are derived from this table.

use std::future::Future;
use std::pin::Pin;

use application::usecases::CommandResult;
use application::{App, Session};

use super::commands::{channels, messages, server};
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
    Command { name: "channels_get", run: channels::channels_get },
    Command { name: "message_new", run: messages::message_new },
    Command { name: "messages_get", run: messages::messages_get },
    Command { name: "ping", run: server::ping },
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
