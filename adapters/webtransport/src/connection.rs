//! One WebTransport session as the application's lifecycle sees it: the first bidirectional
//! stream carries newline-delimited JSON both ways ([`crate::framing`]). Everything else
//! (handshake, deadlines, heartbeat, budgets, closing) is the shared connection lifecycle
//! (docs/design/webtransport.md#one-lifecycle).

use std::sync::{Arc, Mutex};

use application::connection::{Inbound, PeerReader, PeerWriter};
use application::ports::Frame;
use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::Notify;
use wtransport::{Connection, RecvStream, SendStream, VarInt};

use crate::framing::Lines;

/// Bytes read from the stream at a time.
const CHUNK: usize = 16 * 1024;

/// The lifecycle's pings, answered by the reader while QUIC keeps the connection alive
/// (docs/design/webtransport.md#liveness).
#[derive(Debug, Default)]
pub(crate) struct Pings {
    latest: Mutex<Option<Vec<u8>>>,
    asked: Notify,
}

impl Pings {
    fn ask(&self, payload: &[u8]) {
        *self.latest.lock().unwrap_or_else(|p| p.into_inner()) = Some(payload.to_vec());
        self.asked.notify_one();
    }

    async fn answer(&self) -> Vec<u8> {
        loop {
            let asked = self.asked.notified();
            if let Some(p) = self.latest.lock().unwrap_or_else(|p| p.into_inner()).take() {
                return p;
            }
            asked.await;
        }
    }
}

/// The close the lifecycle asked for, so that it happens even if writing it timed out.
#[derive(Debug, Default)]
pub(crate) struct Closing(Mutex<Option<(u16, String)>>);

impl Closing {
    pub(crate) fn get(&self) -> Option<(u16, String)> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set(&self, code: u16, reason: &str) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert_with(|| (code, reason.to_owned()));
    }
}

/// Reads packets from the session's stream.
pub struct WtReader {
    recv: RecvStream,
    lines: Lines,
    chunk: Box<[u8]>,
    conn: Connection,
    pings: Arc<Pings>,
    ended: bool,
}

/// Writes packets to the session's stream.
pub struct WtWriter {
    send: SendStream,
    conn: Connection,
    pings: Arc<Pings>,
    closing: Arc<Closing>,
}

/// The two halves of a session's stream, and what the session keeps to close it.
pub(crate) fn halves(
    conn: Connection,
    send: SendStream,
    recv: RecvStream,
    max_line: usize,
) -> (WtReader, WtWriter, Arc<Closing>) {
    let pings = Arc::new(Pings::default());
    let closing = Arc::new(Closing::default());
    let reader = WtReader {
        recv,
        lines: Lines::new(max_line),
        chunk: vec![0; CHUNK].into_boxed_slice(),
        conn: conn.clone(),
        pings: pings.clone(),
        ended: false,
    };
    (reader, WtWriter { send, conn, pings, closing: closing.clone() }, closing)
}

/// A line as the lifecycle reads it: its text, or text that is not JSON when it is not UTF-8
/// (as a binary WebSocket message is read).
fn text_of(line: Vec<u8>) -> Inbound {
    Inbound::Text(String::from_utf8(line).unwrap_or_else(|_| "\u{0}".to_owned()))
}

#[async_trait]
impl PeerReader for WtReader {
    async fn next(&mut self) -> Inbound {
        loop {
            match self.lines.next_line() {
                Some(Ok(line)) => return text_of(line),
                Some(Err(_)) => return Inbound::TooBig,
                None if self.ended => return Inbound::Closed,
                None => {}
            }
            tokio::select! {
                payload = self.pings.answer() => {
                    if self.conn.quic_connection().close_reason().is_some() {
                        return Inbound::Closed;
                    }
                    return Inbound::Pong(payload);
                }
                read = self.recv.read(&mut self.chunk) => match read {
                    Ok(Some(n)) => self.lines.push(&self.chunk[..n]),
                    // The client finished its side: what is buffered without a newline is
                    // not a packet.
                    Ok(None) => self.ended = true,
                    Err(e) => {
                        tracing::debug!(error = %e, "webtransport read ended");
                        return Inbound::Closed;
                    }
                },
            }
        }
    }
}

#[async_trait]
impl PeerWriter for WtWriter {
    async fn send(&mut self, frames: &[Frame]) -> std::io::Result<()> {
        let newline = Bytes::from_static(b"\n");
        let mut chunks: Vec<Bytes> = Vec::with_capacity(frames.len() * 2);
        for frame in frames {
            chunks.push(frame.bytes().clone());
            chunks.push(newline.clone());
        }
        self.send.quic_stream_mut().write_all_chunks(&mut chunks).await.map_err(std::io::Error::other)
    }

    /// QUIC keeps the connection alive by itself (keep-alive and idle timeout); the reader
    /// answers while the connection is open.
    async fn ping(&mut self, payload: &[u8]) -> std::io::Result<()> {
        if self.conn.quic_connection().close_reason().is_some() {
            return Err(std::io::ErrorKind::NotConnected.into());
        }
        self.pings.ask(payload);
        Ok(())
    }

    /// Finishes the stream (what was written is delivered and acknowledged first), then
    /// closes the connection with the lifecycle's code and reason
    /// (docs/design/webtransport.md#close-codes).
    async fn close(&mut self, code: u16, reason: &str) {
        self.closing.set(code, reason);
        let _ = self.send.finish().await;
        close_connection(&self.conn, code, reason);
    }
}

/// Closes the QUIC connection with a WebSocket close code as its application error code.
pub(crate) fn close_connection(conn: &Connection, code: u16, reason: &str) {
    conn.close(VarInt::from_u32(u32::from(code)), reason.as_bytes());
}
