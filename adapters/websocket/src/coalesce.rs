//! The write side of a connection's socket: the WebSocket library hands every frame over as
//! soon as it is framed, this layer gathers them and writes them with one system call per
//! flush, then lets go of the memory (docs/design/transport.md#lean-connections).
//!
//! The library's own write buffer would do the gathering too, but it keeps its largest size
//! for the life of the connection: after a storm of presence packets every idle connection
//! would hold kilobytes it no longer needs. Here the buffer exists only while there is
//! something to write.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Bytes gathered before a write waits for the socket: a bound on the buffer, so a peer
/// that reads nothing cannot make it grow (the outbound queue bounds what reaches it).
const HIGH_WATER: usize = 64 * 1024;

/// Capacity reserved when the first frame of a batch arrives: most batches fit in it.
const FIRST_RESERVE: usize = 2 * 1024;

/// A stream whose writes are gathered until a flush.
pub struct Coalesce<S> {
    inner: S,
    pending: Vec<u8>,
    written: usize,
}

impl<S> Coalesce<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        Self { inner, pending: Vec::new(), written: 0 }
    }
}

impl<S: AsyncWrite + Unpin> Coalesce<S> {
    /// Writes out what is gathered; once all of it is written, the buffer is released.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending = Vec::new();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Coalesce<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Coalesce<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        if self.pending.len() >= HIGH_WATER {
            ready!(self.poll_drain(cx))?;
        }
        if self.pending.capacity() == 0 {
            self.pending.reserve(data.len().max(FIRST_RESERVE));
        }
        self.pending.extend_from_slice(data);
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn writes_reach_the_peer_only_on_flush_in_order_and_the_buffer_is_released() {
        let (ours, mut theirs) = tokio::io::duplex(1 << 20);
        let mut w = Coalesce::new(ours);
        w.write_all(b"one ").await.unwrap();
        w.write_all(b"two").await.unwrap();
        assert_eq!(w.pending.len(), 7, "gathered, not written");
        w.flush().await.unwrap();
        assert_eq!(w.pending.capacity(), 0, "released once written");
        let mut got = [0u8; 7];
        theirs.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"one two");
    }

    #[test]
    fn a_peer_that_reads_nothing_stops_the_writer_at_the_high_water_mark() {
        use futures_util::FutureExt;
        let (ours, _theirs) = tokio::io::duplex(1024);
        let mut w = Coalesce::new(ours);
        let chunk = vec![b'x'; 4096];
        let mut accepted = 0;
        for _ in 0..1000 {
            match w.write(&chunk).now_or_never() {
                Some(Ok(n)) => accepted += n,
                Some(Err(e)) => panic!("{e}"),
                None => break,
            }
        }
        assert!(accepted >= HIGH_WATER, "gathers up to the mark: {accepted}");
        assert!(accepted <= HIGH_WATER + chunk.len(), "then waits for the peer: {accepted}");
    }
}
