//! The sending side of a connection and the encoder that turns packets into frames.

use bytes::Bytes;

use crate::Packet;

/// One encoded packet (UTF-8 JSON text), cheap to clone and share between recipients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame(Bytes);

impl Frame {
    /// Wraps encoded text.
    pub fn new(text: String) -> Self {
        Self(Bytes::from(text))
    }

    /// The shared bytes (valid UTF-8).
    pub fn bytes(&self) -> &Bytes {
        &self.0
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Only `Frame::new` builds a frame, from a `String`.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// The bounded outbound queue of one connection.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Outbox: Send + Sync {
    /// Queues a frame without waiting. MUST return false when the queue is full or closed;
    /// the caller then closes the connection as a slow consumer.
    fn push(&self, frame: Frame) -> bool;
    /// Queues frames in order, like [`Outbox::push`] of each; false (the connection is to
    /// be closed) when one of them does not fit. Every frame is offered, even after one was
    /// refused: an outbox may keep what its connection refused (a resumable session numbers
    /// and keeps every packet for a resume).
    fn push_all(&self, frames: &[Frame]) -> bool {
        let refused = frames.iter().filter(|f| !self.push((*f).clone())).count();
        refused == 0
    }
    /// Asks the transport to close the connection with a WebSocket close code and reason.
    fn close(&self, code: u16, reason: &str);
}

/// Renders packets to wire frames; lives in the transport-facing adapter.
pub trait PacketEncoder: Send + Sync {
    /// Encodes `packet`, adding `listener` when given.
    fn encode(&self, packet: &Packet, listener: Option<&str>) -> Frame;
}
