//! Command handlers, one module per family: each parses its fields and calls a use case.

pub mod channels;
pub mod messages;
pub mod roles;
pub mod server;
pub mod slash;
pub mod users;
pub mod voice;

/// Defines a registry handler: `handler!(name(app, session, req) { body })`.
macro_rules! handler {
    ($name:ident($app:ident, $session:ident, $req:ident) $body:block) => {
        #[doc = concat!("Handler of `", stringify!($name), "`.")]
        pub fn $name<'a>(
            $app: &'a application::App,
            $session: &'a application::Session,
            $req: &'a $crate::request::Request,
        ) -> $crate::registry::HandlerFuture<'a> {
            Box::pin(async move $body)
        }
    };
}
pub(crate) use handler;
