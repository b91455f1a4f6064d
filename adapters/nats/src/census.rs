//! Counting open connections across the nodes, for the `connected_users` of HTTP `/info`
//! (docs/design/cluster.md#counts). Subject `<cluster>.census`: a node asks with its own id
//! as the body and an inbox as the reply subject; every other live node answers with its
//! count in decimal. The asker waits for as many answers as there are other live leases,
//! at most [`CENSUS_TIMEOUT`], and adds up what came.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::kv;
use futures_util::StreamExt;

/// How long a node waits for the others' counts.
pub const CENSUS_TIMEOUT: Duration = Duration::from_millis(500);

fn subject(cluster: &str) -> String {
    format!("{cluster}.census")
}

/// What this node counts.
pub type Count = Arc<dyn Fn() -> usize + Send + Sync>;

/// Answers the other nodes' census requests with `count` until the connection ends.
pub async fn serve(client: async_nats::Client, cluster: &str, me: String, count: Count) -> anyhow::Result<()> {
    let mut requests = client.subscribe(subject(cluster)).await?;
    while let Some(request) = requests.next().await {
        let (Some(reply), false) = (request.reply, request.payload == me.as_bytes()) else { continue };
        if let Err(e) = client.publish(reply, count().to_string().into()).await {
            tracing::debug!(error = %e, "census: could not answer");
        }
    }
    Ok(())
}

/// The other live nodes' counts added up (what answered within [`CENSUS_TIMEOUT`]).
pub async fn others(client: &async_nats::Client, nodes: &kv::Store, cluster: &str, me: &str) -> usize {
    let Ok(mut keys) = nodes.keys().await else { return 0 };
    let mut expected = 0;
    while let Some(key) = keys.next().await {
        if key.is_ok_and(|k| k != me) {
            expected += 1;
        }
    }
    if expected == 0 {
        return 0;
    }
    let inbox = client.new_inbox();
    let Ok(mut answers) = client.subscribe(inbox.clone()).await else { return 0 };
    if client.publish_with_reply(subject(cluster), inbox, me.to_owned().into()).await.is_err() {
        return 0;
    }
    let mut total = 0;
    let deadline = tokio::time::Instant::now() + CENSUS_TIMEOUT;
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
