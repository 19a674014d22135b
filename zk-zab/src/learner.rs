//! [`LearnerState`]: what a following or observing peer tracks about its leader (ZooKeeper's
//! `Learner`, `Follower` and `Observer`).
//!
//! The transitions live in `discovery.rs`, `synchronization.rs` and `broadcast.rs`.

use zk_proto::{Epoch, Zxid};

use crate::quorum::ServerId;

/// Where a learner is with its leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LearnerStage {
    /// FOLLOWERINFO sent; waiting for LEADERINFO.
    Connecting,
    /// LEADERINFO received; waiting for `acceptedEpoch` to be durable before ACKEPOCH.
    AcceptingEpoch {
        /// Whether the epoch was newly accepted (so ACKEPOCH carries `currentEpoch`).
        fresh: bool,
    },
    /// ACKEPOCH sent: receiving the sync stream up to NEWLEADER, then waiting for UPTODATE.
    Syncing,
    /// UPTODATE received: serving.
    Broadcast,
}

/// NEWLEADER received and not yet acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NewLeaderWait {
    /// The last zxid received before NEWLEADER: it must be durable before the ack.
    pub(crate) upto: Zxid,
}

/// Everything a learner tracks.
#[derive(Debug, Clone)]
pub(crate) struct LearnerState {
    /// The leader.
    pub(crate) leader: ServerId,
    /// The stage.
    pub(crate) stage: LearnerStage,
    /// The leader's epoch, from LEADERINFO.
    pub(crate) epoch: Option<Epoch>,
    /// NEWLEADER received, ack pending.
    pub(crate) newleader: Option<NewLeaderWait>,
    /// Whether the NEWLEADER ack was sent (proposals are acknowledged only after it:
    /// ZOOKEEPER-4685).
    pub(crate) newleader_acked: bool,
    /// The newest zxid acknowledged to the leader.
    pub(crate) acked_upto: Zxid,
    /// The tick of the last message from the leader.
    pub(crate) last_heard: u64,
}

impl LearnerState {
    /// The state of a learner that just connected to `leader`.
    pub(crate) fn new(leader: ServerId, now: u64) -> LearnerState {
        LearnerState {
            leader,
            stage: LearnerStage::Connecting,
            epoch: None,
            newleader: None,
            newleader_acked: false,
            acked_upto: Zxid::ZERO,
            last_heard: now,
        }
    }
}
