//! Resuming a session held by another node of a cluster (docs/design/resume.md#across-nodes):
//! a request for the session's buffer that only the node holding it answers.

use domain::UserId;

use super::Frame;

/// What a node asks the node that holds a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoffRequest {
    /// The session.
    pub session_id: String,
    /// The user the resuming client's validator names.
    pub user: UserId,
    /// The last number the client processed.
    pub seq: u64,
}

/// The session's buffer, handed over: the packets after the requested `seq` (numbered) and
/// the last number sent. The session ended on the node that answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handoff {
    /// The numbered packets after `seq`, in order.
    pub frames: Vec<Frame>,
    /// The last number sent.
    pub last: u64,
}

/// How a node answers a hand-over request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandoffAnswer {
    /// The session is not on this node: say nothing (the node that holds it answers).
    NotHere,
    /// The session is here but cannot be resumed from there (another user, a lost or future
    /// `seq`, ended): it is left as it was.
    Refused,
    /// The session, handed over; it ended here.
    Handed(Handoff),
}

/// Asks the other nodes for a session.
#[async_trait::async_trait]
pub trait ResumeRelay: Send + Sync {
    /// Asks the node that holds the session to hand it over; `None` when it refused, or no
    /// node answered in time (unknown session, or its node died).
    async fn fetch(&self, request: HandoffRequest) -> Option<Handoff>;
}
