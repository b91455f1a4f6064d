//! Hand-over of resumable sessions between nodes (docs/design/resume.md#across-nodes).
//!
//! Subject `<cluster>.resume`: a node asks for a session; the request carries its own inbox
//! as the reply subject. Every node hears it, and only the node that holds the session
//! answers: one or more JSON messages `{"ok":true,"last":N,"frames":[…],"more":bool}`
//! (several when the buffer is larger than one NATS message should be), or one
//! `{"ok":false}`. When no node answers within [`FETCH_TIMEOUT`] the session is unknown or its
//! node died: it cannot be resumed.

use std::sync::Arc;
use std::time::Duration;

use application::ports::{Frame, Handoff, HandoffAnswer, HandoffRequest, ResumeRelay};
use domain::UserId;
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use serde_json::{Value, json};

/// How long a node waits for the session's node to answer (each part of the answer).
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(3);

/// The most frame bytes in one answer message (NATS' default payload limit is 1 MiB).
pub const CHUNK_BYTES: usize = 512 * 1024;

/// What answers a hand-over request on this node.
pub type Handler = Arc<dyn Fn(HandoffRequest) -> BoxFuture<'static, HandoffAnswer> + Send + Sync>;

fn subject(cluster: &str) -> String {
    format!("{cluster}.resume")
}

/// Asks the other nodes of the cluster for a session.
pub struct NatsRelay {
    client: async_nats::Client,
    cluster: String,
}

impl NatsRelay {
    /// The relay of a node of `cluster`.
    pub fn new(client: async_nats::Client, cluster: String) -> Self {
        Self { client, cluster }
    }
}

#[async_trait::async_trait]
impl ResumeRelay for NatsRelay {
    async fn fetch(&self, request: HandoffRequest) -> Option<Handoff> {
        let inbox = self.client.new_inbox();
        let mut answers = self.client.subscribe(inbox.clone()).await.ok()?;
        let body = json!({"session_id": request.session_id, "user": request.user.0, "seq": request.seq});
        self.client.publish_with_reply(subject(&self.cluster), inbox, body.to_string().into()).await.ok()?;
        let mut frames = vec![];
        loop {
            let Ok(Some(message)) = tokio::time::timeout(FETCH_TIMEOUT, answers.next()).await else {
                tracing::info!("resume: no node holds the session");
                return None;
            };
            let answer: Value = serde_json::from_slice(&message.payload).ok()?;
            if answer["ok"] != true {
                return None;
            }
            for frame in answer["frames"].as_array()? {
                frames.push(Frame::new(frame.as_str()?.to_owned()));
            }
            if answer["more"] != true {
                return Some(Handoff { frames, last: answer["last"].as_u64()? });
            }
        }
    }
}

/// The answer messages of a hand-over: the frames cut into parts of at most [`CHUNK_BYTES`]
/// (at least one frame each).
pub fn answer_parts(answer: HandoffAnswer) -> Vec<Value> {
    let Handoff { frames, last } = match answer {
        HandoffAnswer::NotHere => return vec![],
        HandoffAnswer::Refused => return vec![json!({"ok": false})],
        HandoffAnswer::Handed(handoff) => handoff,
    };
    let mut parts = vec![];
    let mut part: Vec<&str> = vec![];
    let mut bytes = 0;
    for frame in &frames {
        let text = frame.as_str();
        if !part.is_empty() && bytes + text.len() > CHUNK_BYTES {
            parts.push(json!({"ok": true, "last": last, "frames": std::mem::take(&mut part), "more": true}));
            bytes = 0;
        }
        bytes += text.len();
        part.push(text);
    }
    parts.push(json!({"ok": true, "last": last, "frames": part, "more": false}));
    parts
}

/// Answers hand-over requests for this node's sessions with `handler`, each on its own task.
pub async fn serve(client: async_nats::Client, cluster: &str, handler: Handler) -> anyhow::Result<()> {
    let mut requests = client.subscribe(subject(cluster)).await?;
    tokio::spawn(async move {
        while let Some(message) = requests.next().await {
            let Some(reply) = message.reply.clone() else { continue };
            let Ok(body) = serde_json::from_slice::<Value>(&message.payload) else { continue };
            let (Some(session_id), Some(user), Some(seq)) =
                (body["session_id"].as_str(), body["user"].as_str(), body["seq"].as_u64())
            else {
                continue;
            };
            let request = HandoffRequest { session_id: session_id.to_owned(), user: UserId(user.to_owned()), seq };
            let (client, handler) = (client.clone(), handler.clone());
            tokio::spawn(async move {
                for part in answer_parts(handler(request).await) {
                    if let Err(e) = client.publish(reply.clone(), part.to_string().into()).await {
                        tracing::error!(error = %e, "resume: could not answer a hand-over");
                        return;
                    }
                }
                let _ = client.flush().await;
            });
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_answers_come_in_parts() {
        let frame = Frame::new("x".repeat(CHUNK_BYTES / 2 + 1));
        let handoff = Handoff { frames: vec![frame.clone(), frame.clone(), frame], last: 9 };
        let parts = answer_parts(HandoffAnswer::Handed(handoff));
        assert_eq!(parts.len(), 3);
        assert!(parts[..2].iter().all(|p| p["more"] == true));
        assert_eq!(parts[2]["more"], false);
        assert_eq!(parts[2]["last"], 9);
        assert_eq!(answer_parts(HandoffAnswer::Refused), vec![json!({"ok": false})]);
        assert!(answer_parts(HandoffAnswer::NotHere).is_empty(), "only the holder answers");
    }
}
