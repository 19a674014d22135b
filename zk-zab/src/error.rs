//! Errors of the replication core.
//!
//! Protocol events are never errors here: a stale message is ignored, a leader that loses its
//! quorum steps down, a learner that sees a protocol violation goes back to election. What is
//! left are the answers to the caller's own requests ([`crate::Peer::propose`] on a peer that
//! is not a serving leader) and inputs that cannot describe a valid peer (a configuration or a
//! recovered state that is inconsistent).

use zk_proto::Epoch;

use crate::quorum::ServerId;

/// An error of the replication core.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// `propose` was called on a peer that is not leading. `leader` is the leader this peer
    /// follows, if it knows one, so that the caller can forward the request there.
    #[error("not the leader (leader: {leader:?})")]
    NotLeader {
        /// The leader this peer currently follows or observes.
        leader: Option<ServerId>,
    },
    /// This peer leads, but a quorum has not yet acknowledged NEWLEADER: it may not propose.
    #[error("the leader is not serving yet: its epoch is not established")]
    NotServing,
    /// The zxid counter of the epoch is exhausted (its low 32 bits reached the configured
    /// maximum). The leader has stepped down so that the next election starts a new epoch, as
    /// ZooKeeper's `Leader.propose` does on `XidRolloverException`.
    #[error("zxid counter exhausted in epoch {epoch}: stepping down to start a new epoch")]
    ZxidCounterExhausted {
        /// The epoch whose counter ran out.
        epoch: Epoch,
    },
    /// `forward` was called on a peer that is not a synced follower or observer.
    #[error("not following a leader")]
    NotFollowing,
    /// `answer_sync` named a server that is not a connected learner in broadcast or sync.
    #[error("{learner} is not a learner of this leader")]
    UnknownLearner {
        /// The server named.
        learner: ServerId,
    },
    /// The configuration cannot describe an ensemble.
    #[error("invalid configuration: {0}")]
    InvalidConfig(&'static str),
    /// A quorum packet or election notification from the network does not decode to a
    /// [`crate::Message`] (see [`crate::wire`]).
    #[error("malformed {packet} packet: {reason}")]
    MalformedPacket {
        /// The packet type.
        packet: &'static str,
        /// What was wrong.
        reason: &'static str,
    },
    /// A quorum packet type this core does not speak (REVALIDATE, reconfig packets).
    #[error("unsupported quorum packet type {0:?}")]
    UnsupportedPacket(zk_proto::quorum::QuorumPacketType),
    /// The recovered state handed to [`crate::Peer::new`] is inconsistent.
    #[error("invalid recovered state: {0}")]
    InvalidRestoredState(&'static str),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
