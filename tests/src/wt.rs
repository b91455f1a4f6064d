//! The WebTransport side of the test client: one session, one bidirectional stream,
//! newline-delimited JSON both ways (docs/transports.md#framing).

use std::sync::Arc;

use wtransport::endpoint::endpoint_side::Client as ClientSide;
use wtransport::error::ConnectionError;
use wtransport::tls::Sha256Digest;
use wtransport::{ClientConfig, Connection, Endpoint, RecvStream, SendStream, VarInt};

use crate::client::TIMEOUT;

/// How the client checks the server's certificate.
#[derive(Clone)]
pub enum Trust {
    /// Pinned SHA-256 hashes, as a browser's `serverCertificateHashes`.
    Hashes(Vec<[u8; 32]>),
    /// A TLS client configuration (its roots); ALPN `h3` is set here.
    Roots(Arc<rustls::ClientConfig>),
}

/// What the stream produced.
#[derive(Debug)]
pub enum Event {
    /// A packet line.
    Text(String),
    /// The session was closed by the server with an application code and reason.
    Close(u16, String),
    /// It ended otherwise.
    End,
}

/// An open session and its packet stream.
pub struct WtStream {
    _endpoint: Endpoint<ClientSide>,
    /// The session.
    pub conn: Connection,
    send: SendStream,
    recv: RecvStream,
    buf: Vec<u8>,
    ended: bool,
}

impl WtStream {
    /// Opens a session to `url` (`https://host:port/path`) and its packet stream.
    ///
    /// A session the server closes while it is being set up ("connection closed by
    /// peer", whatever the code; wtransport 0.7.2 did so once in CI with 261,
    /// H3_FRAME_UNEXPECTED) is tried again, at most twice: what the tests check starts
    /// after the session exists. Any other failure, or a third refusal, fails the test.
    pub async fn connect(url: &str, trust: Trust) -> Self {
        let mut attempt = 1;
        loop {
            match Self::try_connect(url, trust.clone()).await {
                Ok(stream) => return stream,
                Err(e) if attempt < 3 && e.starts_with("connection closed by peer") => {
                    eprintln!("WebTransport set-up to {url} refused ({e}); attempt {}", attempt + 1);
                    attempt += 1;
                }
                Err(e) => panic!("WebTransport connect to {url} failed: {e}"),
            }
        }
    }

    /// Opens a session; `Err` tells why not.
    pub async fn try_connect(url: &str, trust: Trust) -> Result<Self, String> {
        let (endpoint, conn) = Self::session(url, trust).await?;
        let opening = tokio::time::timeout(TIMEOUT, conn.open_bi()).await.map_err(|_| "open_bi timed out")?;
        let (send, recv) = opening.map_err(|e| e.to_string())?.await.map_err(|e| e.to_string())?;
        Ok(Self { _endpoint: endpoint, conn, send, recv, buf: vec![], ended: false })
    }

    /// Only the session (and the endpoint it lives on), without opening a stream.
    pub async fn session(url: &str, trust: Trust) -> Result<(Endpoint<ClientSide>, Connection), String> {
        let builder = ClientConfig::builder().with_bind_default();
        let config = match trust {
            Trust::Hashes(h) => builder.with_server_certificate_hashes(h.into_iter().map(Sha256Digest::new)).build(),
            Trust::Roots(tls) => {
                let mut tls = (*tls).clone();
                tls.alpn_protocols = vec![b"h3".to_vec()];
                builder.with_custom_tls(tls).build()
            }
        };
        let endpoint = Endpoint::client(config).map_err(|e| e.to_string())?;
        let conn = tokio::time::timeout(TIMEOUT, endpoint.connect(url))
            .await
            .map_err(|_| "connect timed out".to_owned())?
            .map_err(|e| e.to_string())?;
        Ok((endpoint, conn))
    }

    /// Writes bytes as they are.
    pub async fn write(&mut self, bytes: &[u8]) -> bool {
        self.send.write_all(bytes).await.is_ok()
    }

    /// Writes one packet line.
    pub async fn send_line(&mut self, text: &str) -> bool {
        let mut line = Vec::with_capacity(text.len() + 1);
        line.extend_from_slice(text.as_bytes());
        line.push(b'\n');
        self.write(&line).await
    }

    /// The next packet line, or how the session ended.
    pub async fn next(&mut self) -> Event {
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            if let Some(at) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=at).collect();
                return Event::Text(String::from_utf8(line[..at].to_vec()).expect("the server sent invalid UTF-8"));
            }
            if self.ended {
                return self.close_of().await;
            }
            match self.recv.read(&mut chunk).await {
                Ok(Some(n)) => self.buf.extend_from_slice(&chunk[..n]),
                Ok(None) | Err(_) => self.ended = true,
            }
        }
    }

    async fn close_of(&self) -> Event {
        match tokio::time::timeout(TIMEOUT, self.conn.closed()).await {
            Ok(ConnectionError::ApplicationClosed(close)) => Event::Close(
                u16::try_from(close.code().into_inner()).unwrap_or(u16::MAX),
                String::from_utf8_lossy(close.reason()).into_owned(),
            ),
            _ => Event::End,
        }
    }

    /// Closes the session.
    pub fn close(&self) {
        self.conn.close(VarInt::from_u32(0), b"");
    }
}

/// Base64 of the standard alphabet, as `GET /webtransport` writes hashes.
pub fn hash_of(value: &str) -> [u8; 32] {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD.decode(value).expect("a base64 hash");
    bytes.try_into().expect("32 bytes")
}

/// Lower-case hex, as the server logs hashes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
