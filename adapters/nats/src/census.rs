//! Counting open connections across the nodes, for the `connected_users` of HTTP `/info`
//! (docs/design/cluster.md#counts). Subject `<cluster>.census`: a node asks with its own id
//! as the body and an inbox as the reply subject; every other live node answers with its
//! count in decimal. The asker waits for as many answers as there are other live leases,
//! at most [`CENSUS_TIMEOUT`] in all, and adds up what came. A node runs one census at a
//! time: callers that arrive meanwhile share the next one's answer ([`Census`]), so
//! requests to `/info` cannot multiply the traffic.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_nats::jetstream::kv;
use futures_util::StreamExt;

/// How long a node waits for the others' counts.
pub const CENSUS_TIMEOUT: Duration = Duration::from_millis(500);

fn subject(cluster: &str) -> String {
    format!("{cluster}.census")
}

/// What this node counts; set once the node serves (0 until then).
pub type Count = Arc<OnceLock<Box<dyn Fn() -> usize + Send + Sync>>>;

/// Answers the other nodes' census requests with `count` until the connection ends.
pub async fn serve(client: async_nats::Client, cluster: &str, me: String, count: Count) -> anyhow::Result<()> {
    let mut requests = client.subscribe(subject(cluster)).await?;
    while let Some(request) = requests.next().await {
        let (Some(reply), false) = (request.reply, request.payload == me.as_bytes()) else { continue };
        let n = count.get().map_or(0, |count| count());
        if let Err(e) = client.publish(reply, n.to_string().into()).await {
            tracing::debug!(error = %e, "census: could not answer");
        }
    }
    Ok(())
}

/// One census at a time, its answer shared with the callers that waited for it.
#[derive(Default)]
pub struct Census {
    last: tokio::sync::Mutex<Option<(tokio::time::Instant, usize)>>,
}

impl Census {
    /// The other live nodes' counts added up, from a census that started after this call.
    pub async fn others(&self, client: &async_nats::Client, nodes: &kv::Store, cluster: &str, me: &str) -> usize {
        let asked = tokio::time::Instant::now();
        let mut last = self.last.lock().await;
        if let Some((started, total)) = *last
            && started >= asked
        {
            return total;
        }
        let started = tokio::time::Instant::now();
        let total = others(client, nodes, cluster, me).await;
        *last = Some((started, total));
        total
    }
}

/// The other live nodes' counts added up (what answered within [`CENSUS_TIMEOUT`]).
async fn others(client: &async_nats::Client, nodes: &kv::Store, cluster: &str, me: &str) -> usize {
    let deadline = tokio::time::Instant::now() + CENSUS_TIMEOUT;
    let expected = tokio::time::timeout_at(deadline, live_others(nodes, me)).await.unwrap_or(0);
    if expected == 0 {
        return 0;
    }
    let inbox = client.new_inbox();
    let Ok(mut answers) = client.subscribe(inbox.clone()).await else { return 0 };
    if client.publish_with_reply(subject(cluster), inbox, me.to_owned().into()).await.is_err() {
        return 0;
    }
    let mut total = 0;
    for _ in 0..expected {
        match tokio::time::timeout_at(deadline, answers.next()).await {
            Ok(Some(answer)) => {
                total += std::str::from_utf8(&answer.payload).ok().and_then(|s| s.parse().ok()).unwrap_or(0)
            }
            _ => break,
        }
    }
    total
}

/// How many other nodes hold a lease.
async fn live_others(nodes: &kv::Store, me: &str) -> usize {
    let Ok(mut keys) = nodes.keys().await else { return 0 };
    let mut n = 0;
    while let Some(key) = keys.next().await {
        if key.is_ok_and(|k| k != me) {
            n += 1;
        }
    }
    n
}
