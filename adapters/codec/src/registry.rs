//! The one command registry: every family of [`crate::commands`] lists its commands in its
//! own `COMMANDS` table (name and handler, next to the handler); this module joins them.
//! Adding a command means writing its handler and naming it in its family's table. The
//! handshake's `capabilities` are derived from the registry.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::LazyLock;

use application::services::CommandResult;
use application::{App, Session};

use super::commands::{channels, emojis, messages, push, roles, server, slash, threads, users, voice};
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

/// The command tables of every family.
const FAMILIES: [&[Command]; 10] = [
    messages::COMMANDS,
    threads::COMMANDS,
    users::COMMANDS,
    roles::COMMANDS,
    channels::COMMANDS,
    server::COMMANDS,
    voice::COMMANDS,
    slash::COMMANDS,
    push::COMMANDS,
    emojis::COMMANDS,
];

static BY_NAME: LazyLock<HashMap<&'static str, &'static Command>> =
    LazyLock::new(|| FAMILIES.iter().flat_map(|family| family.iter()).map(|c| (c.name, c)).collect());

/// Every command an authenticated connection may send.
pub fn commands() -> impl Iterator<Item = &'static Command> {
    FAMILIES.iter().flat_map(|family| family.iter())
}

/// Commands that may let the connection's next request start while they wait for their
/// commit (docs/design/connections.md#pipelining).
const PIPELINED: [&str; 1] = ["message_new"];

/// Whether `name` is a pipelined command.
pub fn pipelined(name: &str) -> bool {
    PIPELINED.contains(&name)
}

/// Finds a command by name.
pub fn find(name: &str) -> Option<&'static Command> {
    BY_NAME.get(name).copied()
}

/// The handshake `capabilities`: `auth`, `resume` (docs/design/resume.md) and every
/// registered command, sorted.
pub fn capabilities() -> Vec<String> {
    let mut names: Vec<String> =
        ["auth", "resume"].into_iter().chain(commands().map(|c| c.name)).map(str::to_owned).collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_registered_once() {
        let names: Vec<&str> = commands().map(|c| c.name).collect();
        assert_eq!(names.len(), BY_NAME.len(), "a command is listed twice");
        assert!(find("message_new").is_some());
        assert!(find("auth").is_none(), "auth is handled before the registry");
    }

    /// The capabilities as docs/protocol.md shows them: a JSON block, wrapped.
    fn documented_block() -> String {
        let mut lines = vec![];
        let mut line = String::from("[");
        let names = capabilities();
        for (i, name) in names.iter().enumerate() {
            let item = format!("\"{name}\"{}", if i + 1 == names.len() { "]" } else { "," });
            if line.len() + item.len() + 1 > 96 {
                lines.push(line.trim_end().to_owned());
                line = String::from(" ");
            }
            line.push_str(&item);
            line.push(' ');
        }
        lines.push(line.trim_end().to_owned());
        format!("```json\n{}\n```\n", lines.join("\n"))
    }

    #[test]
    fn the_protocol_doc_lists_exactly_the_registered_capabilities() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join("docs/protocol.md");
        let doc = std::fs::read_to_string(&path).unwrap();
        let (begin, end) = ("<!-- capabilities:begin -->\n", "<!-- capabilities:end -->");
        let start = doc.find(begin).expect("begin marker") + begin.len();
        let stop = doc.find(end).expect("end marker");
        let wanted = documented_block();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(&path, format!("{}{wanted}{}", &doc[..start], &doc[stop..])).unwrap();
            return;
        }
        assert_eq!(&doc[start..stop], wanted, "docs/protocol.md is out of date: run UPDATE_DOCS=1 cargo test -p codec");
    }
}
