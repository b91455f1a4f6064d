//! One WebSocket connection as the application's lifecycle sees it: a reader that turns
//! WebSocket messages into [`Inbound`] events and a writer that sends batches of frames
//! with one flush each. Everything else (deadlines, heartbeats, budgets, closing) is the
//! application's connection lifecycle, shared by every transport.

use std::net::IpAddr;
use std::sync::Arc;

use application::App;
use application::connection::{self, ConnectionLimits, FrameHandler, Inbound, Peer, PeerReader, PeerWriter, Shutdown};
use application::ports::Frame;
use async_trait::async_trait;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Utf8Bytes;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::coalesce::Coalesce;

/// The upgraded stream of one connection.
pub type Ws = WebSocketStream<Coalesce<TokioIo<hyper::upgrade::Upgraded>>>;

/// Reads WebSocket messages.
pub struct WsReader(SplitStream<Ws>);

/// Writes WebSocket messages.
pub struct WsWriter(SplitSink<Ws, Message>);

/// The text of a frame, without checking its UTF-8 again.
fn text_of(frame: &Frame) -> Utf8Bytes {
    // SAFETY: the only way to build a `Frame` is `Frame::new(String)`, so its bytes are
    // valid UTF-8; checking them again for every recipient of a broadcast is the cost this
    // avoids (docs/design/transport.md#limits).
    #[allow(unsafe_code)]
    unsafe {
        Utf8Bytes::from_bytes_unchecked(frame.bytes().clone())
    }
}

#[async_trait]
impl PeerReader for WsReader {
    async fn next(&mut self) -> Inbound {
        match self.0.next().await {
            Some(Ok(Message::Text(text))) => Inbound::Text(text.as_str().to_owned()),
            // A binary packet is read as text; one that is not UTF-8 is answered as "not
            // JSON", like the original.
            Some(Ok(Message::Binary(bytes))) => {
                Inbound::Text(String::from_utf8(bytes.to_vec()).unwrap_or_else(|_| "\u{0}".to_owned()))
            }
            Some(Ok(Message::Pong(payload))) => Inbound::Pong(payload.to_vec()),
            Some(Ok(Message::Ping(_) | Message::Frame(_))) => Inbound::Nothing,
            Some(Ok(Message::Close(_))) | None => Inbound::Closed,
            Some(Err(WsError::Capacity(_))) => Inbound::TooBig,
            Some(Err(WsError::Utf8(_))) => Inbound::NotUtf8,
            Some(Err(e)) => {
                tracing::debug!(error = %e, "websocket read error");
                Inbound::Failed
            }
        }
    }
}

#[async_trait]
impl PeerWriter for WsWriter {
    async fn send(&mut self, frames: &[Frame]) -> std::io::Result<()> {
        for frame in frames {
            self.0.feed(Message::Text(text_of(frame))).await.map_err(std::io::Error::other)?;
        }
        self.0.flush().await.map_err(std::io::Error::other)
    }

    async fn ping(&mut self, payload: &[u8]) -> std::io::Result<()> {
        self.0.send(Message::Ping(payload.to_vec().into())).await.map_err(std::io::Error::other)
    }

    async fn close(&mut self, code: u16, reason: &str) {
        let frame = CloseFrame { code: code.into(), reason: reason.into() };
        let _ = self.0.send(Message::Close(Some(frame))).await;
    }
}

/// Runs one upgraded WebSocket to its end.
pub async fn run_connection(
    ws: Ws,
    app: Arc<App>,
    handler: Arc<dyn FrameHandler>,
    limits: Arc<ConnectionLimits>,
    address: IpAddr,
    shutdown: Shutdown,
) {
    let (sink, stream) = ws.split();
    let peer = Peer { reader: WsReader(stream), writer: WsWriter(sink), address: Some(address) };
    connection::run(app, handler, peer, limits, shutdown).await;
}
