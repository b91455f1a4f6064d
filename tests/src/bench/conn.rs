//! The load generator's connections: log in with a mock validator, then either drive the
//! socket directly or hand it to a task that reads everything it is sent (a client that
//! stops reading would be closed as a slow consumer, and would measure nothing).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::task::{JoinHandle, JoinSet};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::wire::{cmd_of, validator};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;
/// The writing half of a connection.
pub type Tx = SplitSink<Ws, Message>;
/// The reading half of a connection.
pub type Rx = SplitStream<Ws>;

/// Longest wait for one expected packet during set-up.
const WAIT: Duration = Duration::from_secs(30);

/// One logged-in connection.
pub struct Conn {
    /// Writing half.
    pub tx: Tx,
    /// Reading half.
    pub rx: Rx,
}

/// What a read returned: a text frame, or the end of the connection with its reason.
pub enum Frame {
    /// A text (or binary) frame.
    Text(Utf8Bytes),
    /// The connection ended: close code and reason, or the error.
    Closed(String),
}

/// The next text frame, skipping control frames.
pub async fn next_frame(rx: &mut Rx) -> Frame {
    loop {
        match rx.next().await {
            Some(Ok(Message::Text(t))) => return Frame::Text(t),
            Some(Ok(Message::Binary(b))) => match Utf8Bytes::try_from(b) {
                Ok(t) => return Frame::Text(t),
                Err(_) => return Frame::Closed("binary frame that is not UTF-8".into()),
            },
            Some(Ok(Message::Close(f))) => {
                let why = f.map(|f| format!("close {} {}", u16::from(f.code), f.reason));
                return Frame::Closed(why.unwrap_or_else(|| "close without a frame".into()));
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Frame::Closed(e.to_string()),
            None => return Frame::Closed("connection ended".into()),
        }
    }
}

impl Conn {
    /// Connects, reads the handshake, logs in as `name` and reads up to `ready`.
    /// `url` may list several servers (the nodes of a cluster) separated by spaces: each
    /// login takes the next one.
    pub async fn login(url: &str, name: &str) -> anyhow::Result<Self> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let urls: Vec<&str> = url.split(' ').collect();
        let url = urls[NEXT.fetch_add(1, Ordering::Relaxed) % urls.len()];
        // Small buffers: thousands of these live in the bench process next to the servers.
        let config = WebSocketConfig::default().read_buffer_size(16 * 1024).write_buffer_size(16 * 1024);
        let connecting = tokio_tungstenite::connect_async_with_config(url, Some(config), true);
        let (ws, _) = tokio::time::timeout(WAIT, connecting).await.context("connect timed out")??;
        let (tx, rx) = ws.split();
        let mut c = Self { tx, rx };
        let first = c.next_text().await?;
        if cmd_of(&first) != Some("handshake") {
            bail!("first packet is not the handshake: {}", first.as_str());
        }
        c.send(format!(r#"{{"cmd":"auth","validator":"{}"}}"#, validator(name))).await?;
        loop {
            let t = c.next_text().await?;
            match cmd_of(&t) {
                Some("ready") => return Ok(c),
                Some("auth_error") => bail!("{name} was refused: {}", t.as_str()),
                _ => continue,
            }
        }
    }

    /// Sends one text frame.
    pub async fn send(&mut self, text: String) -> anyhow::Result<()> {
        Ok(self.tx.send(Message::Text(text.into())).await?)
    }

    /// The next text frame; fails when the connection ends or nothing comes for a while.
    pub async fn next_text(&mut self) -> anyhow::Result<Utf8Bytes> {
        match tokio::time::timeout(WAIT, next_frame(&mut self.rx)).await.context("timed out waiting for a packet")? {
            Frame::Text(t) => Ok(t),
            Frame::Closed(why) => bail!("connection closed: {why}"),
        }
    }

    /// Sends `request` and returns the first frame whose `cmd` is `reply`.
    pub async fn request(&mut self, request: String, reply: &str) -> anyhow::Result<Utf8Bytes> {
        self.send(request).await?;
        loop {
            let t = self.next_text().await?;
            if cmd_of(&t) == Some(reply) {
                return Ok(t);
            }
        }
    }

    /// A `ping` round trip: requests on one connection are answered in order, so everything
    /// this connection sent before has been handled when the `pong` comes.
    pub async fn sync(&mut self) -> anyhow::Result<()> {
        self.request(r#"{"cmd":"ping","listener":"sync"}"#.to_owned(), "pong").await.map(drop)
    }
}

/// Logs in `names` with at most `concurrency` logins in flight (none started after
/// `deadline`), handing each connection to `ready` as soon as it is logged in; returns
/// what `ready` made, in the order of `names`, and the first failure.
pub async fn login_many<T, F>(
    url: &str,
    names: Vec<String>,
    concurrency: usize,
    deadline: Instant,
    ready: F,
) -> (Vec<Option<T>>, Option<String>)
where
    T: Send + 'static,
    F: Fn(usize, Conn) -> T + Send + Sync + 'static,
{
    let permits = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let ready = Arc::new(ready);
    let mut set = JoinSet::new();
    let n = names.len();
    for (i, name) in names.into_iter().enumerate() {
        let (permits, ready, url) = (permits.clone(), ready.clone(), url.to_owned());
        set.spawn(async move {
            let _permit = permits.acquire_owned().await;
            if Instant::now() > deadline {
                return (i, Err("not started: --max-seconds reached".to_owned()));
            }
            match Conn::login(&url, &name).await {
                Ok(c) => (i, Ok(ready(i, c))),
                Err(e) => (i, Err(format!("{name}: {e:#}"))),
            }
        });
    }
    let mut out: Vec<Option<T>> = (0..n).map(|_| None).collect();
    let mut first_error = None;
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((i, Ok(t))) => out[i] = Some(t),
            Ok((_, Err(e))) => {
                first_error.get_or_insert(e);
            }
            Err(e) => {
                first_error.get_or_insert(e.to_string());
            }
        }
    }
    (out, first_error)
}

/// Connections that only read (and count) what they are sent, until dropped.
#[derive(Default)]
pub struct Drained {
    tasks: Vec<JoinHandle<()>>,
    counts: Arc<Counts>,
}

/// What drained connections read.
#[derive(Default)]
pub struct Counts {
    /// Frames read by all of them.
    pub frames: AtomicU64,
    /// `error` and `rate_limit` packets among them.
    pub errors: AtomicU64,
    /// Why each connection the server ended was ended.
    pub closed: Mutex<Vec<String>>,
}

impl Drained {
    /// A task reading everything sent to the connection of `rx` (its writing half is used
    /// elsewhere).
    pub fn add_reader(&mut self, rx: Rx) {
        self.tasks.push(drain(rx, None, self.counts.clone()));
    }

    /// Adds a task made by [`drain`] with [`Drained::counts`].
    pub fn add_task(&mut self, task: JoinHandle<()>) {
        self.tasks.push(task);
    }

    /// The counters its tasks update.
    pub fn counts(&self) -> Arc<Counts> {
        self.counts.clone()
    }

    /// How many connections.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// How many connections the server ended, and the first reason.
    pub fn closed(&self) -> (usize, Option<String>) {
        let closed = self.counts.closed.lock().unwrap();
        (closed.len(), closed.first().cloned())
    }
}

impl Drop for Drained {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// A task reading everything sent to `rx`, counting frames and errors and recording its end;
/// `tx`, when given, lives as long as the task.
pub fn drain(mut rx: Rx, tx: Option<Tx>, counts: Arc<Counts>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match next_frame(&mut rx).await {
                Frame::Text(t) => {
                    counts.frames.fetch_add(1, Ordering::Relaxed);
                    if matches!(cmd_of(&t), Some("error" | "rate_limit")) {
                        counts.errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Frame::Closed(why) => {
                    counts.closed.lock().unwrap().push(why);
                    break;
                }
            }
        }
        drop(tx);
    })
}

/// Waits until `count` has not moved for `quiet` (at most `bound`): the server has sent
/// what it had queued (presence after a storm of logins, say). Returns when it last moved.
pub async fn settle(count: impl Fn() -> u64, quiet: Duration, bound: Duration) -> Instant {
    let started = Instant::now();
    let (mut last, mut since) = (count(), Instant::now());
    while started.elapsed() < bound {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = count();
        if now != last {
            (last, since) = (now, Instant::now());
        } else if since.elapsed() >= quiet {
            break;
        }
    }
    since
}

/// Resident memory of this process, in bytes.
pub fn self_rss_bytes() -> u64 {
    crate::server::resident_bytes("self").unwrap_or(0)
}

/// Resident memory of process `pid`, in bytes (0 once it is gone).
pub fn rss_of(pid: u32) -> u64 {
    crate::server::resident_bytes(&pid.to_string()).unwrap_or(0)
}
