//! [`Message`]: what peers send each other, as typed values.
//!
//! The core speaks in these values; mapping them to ZooKeeper's wire records (`QuorumPacket`
//! on the quorum port, the FLE notification on the election port, both in `zk-proto`) is the
//! caller's job, so the state machine never sees bytes. [`Message::is_election`] tells which
//! port a message belongs to.
//!
//! | message | ZooKeeper packet | direction |
//! |---|---|---|
//! | [`Message::Notification`] | FLE notification | election port, any to any |
//! | [`Message::FollowerInfo`], [`Message::ObserverInfo`] | FOLLOWERINFO (11), OBSERVERINFO (16) | learner → leader, first packet |
//! | [`Message::LeaderInfo`] | LEADERINFO (17) | leader → learner |
//! | [`Message::AckEpoch`] | ACKEPOCH (18) | learner → leader |
//! | [`Message::Diff`], [`Message::Trunc`], [`Message::Snap`] | DIFF (13), TRUNC (14), SNAP (15) | leader → learner |
//! | [`Message::Proposal`] | PROPOSAL (2) | leader → follower |
//! | [`Message::Commit`] | COMMIT (4) | leader → follower |
//! | [`Message::Inform`] | INFORM (8) | leader → observer |
//! | [`Message::NewLeader`] | NEWLEADER (10) | leader → learner |
//! | [`Message::Ack`] | ACK (3) | follower → leader |
//! | [`Message::UpToDate`] | UPTODATE (12) | leader → learner |
//! | [`Message::Ping`] | PING (5) | both ways |
//! | [`Message::Request`] | REQUEST (1) | learner → leader |
//! | [`Message::Sync`] | SYNC (7) | leader → learner |

use bytes::Bytes;
use zk_proto::{Epoch, Zxid};

use crate::quorum::ServerId;

/// One transaction of the replicated log: its zxid and the txn bytes (in ZooKeeper,
/// `TxnHeader` + txn record + digest). The core never looks inside `txn`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// The transaction id: `epoch << 32 | counter`.
    pub zxid: Zxid,
    /// The opaque txn.
    pub txn: Bytes,
}

/// A peer's state as announced in election notifications (`QuorumPeer.ServerState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerState {
    /// Electing a leader.
    Looking,
    /// Following an elected leader.
    Following,
    /// Leading.
    Leading,
    /// Observing an elected leader.
    Observing,
}

/// A vote: the proposed leader and the history it would lead with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Vote {
    /// The proposed leader.
    pub leader: ServerId,
    /// The proposed leader's last logged zxid.
    pub zxid: Zxid,
    /// The proposed leader's `currentEpoch`.
    pub peer_epoch: Epoch,
}

impl Vote {
    /// FastLeaderElection's `totalOrderPredicate`: whether `self` beats `other`, comparing
    /// (peer epoch, zxid, server id) lexicographically.
    pub fn beats(&self, other: &Vote) -> bool {
        (self.peer_epoch, self.zxid, self.leader) > (other.peer_epoch, other.zxid, other.leader)
    }
}

/// An election notification (FastLeaderElection's `ToSend`/`Notification`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Notification {
    /// The sender's state.
    pub state: ServerState,
    /// The sender's vote: its current proposal while looking, the vote it settled on otherwise.
    pub vote: Vote,
    /// The sender's logical clock (election round) for that vote.
    pub election_epoch: u64,
}

/// A message between peers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Election port: a vote.
    Notification(Notification),
    /// A follower's first packet on a new connection: its `acceptedEpoch`.
    FollowerInfo {
        /// The follower's accepted epoch.
        accepted_epoch: Epoch,
    },
    /// An observer's first packet on a new connection.
    ObserverInfo {
        /// The observer's accepted epoch.
        accepted_epoch: Epoch,
    },
    /// The leader's proposed epoch (sent as the zxid `epoch << 32`).
    LeaderInfo {
        /// The new epoch.
        epoch: Epoch,
    },
    /// The learner accepted the new epoch: its `currentEpoch` (`None` when it had already
    /// accepted this epoch before and so may not be counted again, ZooKeeper's `-1`) and last
    /// logged zxid.
    AckEpoch {
        /// The learner's current epoch, or `None`.
        current_epoch: Option<Epoch>,
        /// The learner's last logged zxid.
        last_zxid: Zxid,
    },
    /// Sync by difference: the learner's log is a prefix of the leader's history; the missing
    /// proposals follow. Carries the leader's last committed zxid.
    Diff {
        /// The leader's last committed zxid.
        last_committed: Zxid,
    },
    /// Truncate the log after `zxid`; missing proposals (if any) follow.
    Trunc {
        /// The newest zxid the learner keeps.
        zxid: Zxid,
    },
    /// Replace the state with the leader's snapshot at `zxid`; later proposals follow.
    Snap {
        /// The snapshot's last applied zxid.
        zxid: Zxid,
        /// The serialized state, opaque to the core.
        snapshot: Bytes,
    },
    /// A proposal to log.
    Proposal(Proposal),
    /// Commit every logged proposal up to and including `zxid`.
    Commit {
        /// The committed zxid.
        zxid: Zxid,
    },
    /// Observers: a committed proposal, to log and apply.
    Inform(Proposal),
    /// End of the sync stream: acknowledge once the history is durable. `zxid` is
    /// `new epoch << 32`.
    NewLeader {
        /// The new epoch's zero zxid.
        zxid: Zxid,
    },
    /// Follower: a proposal (or, with the zero zxid of the epoch, NEWLEADER) is durable.
    Ack {
        /// The acknowledged zxid.
        zxid: Zxid,
    },
    /// The learner is synchronized and may serve clients.
    UpToDate,
    /// Heartbeat. From the leader it carries its last proposed zxid; learners echo it back.
    Ping {
        /// The sender's last zxid.
        zxid: Zxid,
    },
    /// A client request forwarded by a learner to the leader, opaque to the core.
    Request {
        /// The request bytes.
        data: Bytes,
    },
    /// The answer to a `sync` the learner forwarded: once the learner has committed `zxid`
    /// (the leader's last proposed zxid when it answered), its oldest pending client sync
    /// may complete.
    Sync {
        /// The leader's last proposed zxid.
        zxid: Zxid,
    },
}

impl Message {
    /// Whether this message travels on the election port (otherwise: the quorum port).
    pub fn is_election(&self) -> bool {
        matches!(self, Message::Notification(_))
    }

    /// The ZooKeeper name of the message, for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Message::Notification(_) => "NOTIFICATION",
            Message::FollowerInfo { .. } => "FOLLOWERINFO",
            Message::ObserverInfo { .. } => "OBSERVERINFO",
            Message::LeaderInfo { .. } => "LEADERINFO",
            Message::AckEpoch { .. } => "ACKEPOCH",
            Message::Diff { .. } => "DIFF",
            Message::Trunc { .. } => "TRUNC",
            Message::Snap { .. } => "SNAP",
            Message::Proposal(_) => "PROPOSAL",
            Message::Commit { .. } => "COMMIT",
            Message::Inform(_) => "INFORM",
            Message::NewLeader { .. } => "NEWLEADER",
            Message::Ack { .. } => "ACK",
            Message::UpToDate => "UPTODATE",
            Message::Ping { .. } => "PING",
            Message::Request { .. } => "REQUEST",
            Message::Sync { .. } => "SYNC",
        }
    }
}
