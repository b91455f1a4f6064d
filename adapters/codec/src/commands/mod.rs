//! Command handlers, one module per family: each parses its request into the typed input
//! of a use case, at the edge, and calls it. Each family lists its commands in its own
//! `COMMANDS` table; [`crate::registry`] joins the tables.
//!
//! Parsing never reorders what clients see: where the original checks a state (the owner
//! gate, a rate limit) before a field, the field's failure travels into the use case as an
//! `Err` and is reported there, at the original's point (docs/design/parse-at-the-edge.md).

pub mod channels;
pub mod emojis;
pub mod messages;
pub mod push;
pub mod roles;
pub mod server;
pub mod slash;
pub mod threads;
pub mod users;
pub mod voice;

/// Defines a registry handler: `handler!(name(app, session, req) { body })`, where the
/// body evaluates to a use case's outcome (any family's error).
macro_rules! handler {
    ($name:ident($app:ident, $session:ident, $req:ident) $body:block) => {
        #[doc = concat!("Handler of `", stringify!($name), "`.")]
        pub fn $name<'a>(
            $app: &'a application::App,
            $session: &'a application::Session,
            $req: &'a $crate::request::Request,
        ) -> $crate::registry::HandlerFuture<'a> {
            Box::pin(async move {
                let outcome = async move $body.await;
                outcome.map_err(application::CommandError::from)
            })
        }
    };
}
pub(crate) use handler;

/// One entry of a family's command table.
macro_rules! commands {
    ($($name:ident),* $(,)?) => {
        /// The commands of this family.
        pub const COMMANDS: &[$crate::registry::Command] =
            &[$($crate::registry::Command { name: stringify!($name), run: $name }),*];
    };
}
pub(crate) use commands;

/// The origin of a request: its connection and `listener`.
pub(crate) fn origin(session: &application::Session, req: &crate::request::Request) -> application::Origin {
    application::Origin::of(session.conn, req.listener.clone())
}
