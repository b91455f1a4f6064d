//! Server commands.

use application::Packet;
use application::usecases::Reply;

use super::handler;

handler!(ping(_app, _session, _req) { Ok(Reply::Packet(Packet::Pong)) });
