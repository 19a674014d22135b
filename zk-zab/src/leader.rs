//! [`LeaderState`]: what a leading peer tracks, and [`LearnerHandler`], its view of one
//! learner (ZooKeeper's `Leader` and `LearnerHandler`).
//!
//! The handlers run through the phases in `discovery.rs`, `synchronization.rs` and
//! `broadcast.rs`; this file only holds the data.

use std::collections::{BTreeMap, BTreeSet};

use zk_proto::{Epoch, Zxid};

use crate::quorum::ServerId;

/// Where the leader is in establishing its epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LeaderPhase {
    /// Gathering FOLLOWERINFOs to pick the epoch, then ACKEPOCHs to fix it (Zab phase 1).
    Discovery,
    /// Syncing learners and waiting for a quorum of NEWLEADER acks (Zab phase 2).
    Synchronization,
    /// Established: proposing and committing (Zab phase 3).
    Broadcast,
}

/// Where one learner is, from the leader's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HandlerStage {
    /// FOLLOWERINFO received; LEADERINFO not sent yet (the epoch is not chosen or not durable).
    AwaitingLeaderInfo,
    /// LEADERINFO sent; waiting for ACKEPOCH.
    AwaitingAckEpoch,
    /// ACKEPOCH received; waiting for discovery to complete before syncing.
    AckedEpoch,
    /// Sync packets and NEWLEADER queued; waiting for the NEWLEADER ack.
    Syncing,
    /// NEWLEADER acked but the epoch is not established yet: UPTODATE is due once it is.
    AwaitingUpToDate,
    /// UPTODATE sent: in broadcast.
    Broadcasting,
}

impl HandlerStage {
    /// Whether the learner's sync stream has started, so that it receives every later
    /// proposal, commit or inform in order.
    pub(crate) fn is_forwarding(self) -> bool {
        matches!(
            self,
            HandlerStage::Syncing | HandlerStage::AwaitingUpToDate | HandlerStage::Broadcasting
        )
    }
}

/// The leader's view of one learner (ZooKeeper's `LearnerHandler`).
#[derive(Debug, Clone)]
pub(crate) struct LearnerHandler {
    /// Whether the learner is an observer.
    pub(crate) observer: bool,
    /// Its stage.
    pub(crate) stage: HandlerStage,
    /// Its last logged zxid, from ACKEPOCH.
    pub(crate) peer_last: Zxid,
    /// The newest proposal (follower) or inform (observer) queued to it.
    pub(crate) sent_upto: Zxid,
    /// The newest zxid it has acknowledged as durable (followers only; cumulative).
    pub(crate) acked: Zxid,
    /// `sent_upto` when NEWLEADER was queued: what its NEWLEADER ack covers.
    pub(crate) newleader_upto: Zxid,
    /// The tick of the last message from it.
    pub(crate) last_heard: u64,
}

impl LearnerHandler {
    /// A handler for a learner that just sent FOLLOWERINFO / OBSERVERINFO.
    pub(crate) fn new(observer: bool, now: u64) -> LearnerHandler {
        LearnerHandler {
            observer,
            stage: HandlerStage::AwaitingLeaderInfo,
            peer_last: Zxid::ZERO,
            sent_upto: Zxid::ZERO,
            acked: Zxid::ZERO,
            newleader_upto: Zxid::ZERO,
            last_heard: now,
        }
    }
}

/// Everything a leading peer tracks.
#[derive(Debug, Clone)]
pub(crate) struct LeaderState {
    /// The phase.
    pub(crate) phase: LeaderPhase,
    /// The epoch under construction: one above every accepted epoch seen so far.
    pub(crate) epoch_proposal: Epoch,
    /// The chosen epoch, once a quorum connected (`getEpochToPropose`).
    pub(crate) epoch: Option<Epoch>,
    /// Whether our own `acceptedEpoch = epoch` is durable, so LEADERINFO may go out.
    pub(crate) epoch_ready: bool,
    /// Voters that sent FOLLOWERINFO (and ourselves).
    pub(crate) connecting: BTreeSet<ServerId>,
    /// Voters whose ACKEPOCH counts (and ourselves).
    pub(crate) electing: BTreeSet<ServerId>,
    /// Voters whose NEWLEADER ack counts (and ourselves, once our epoch and log are durable).
    pub(crate) newleader_acks: BTreeSet<ServerId>,
    /// Our last zxid when discovery completed: it must be durable before `currentEpoch`.
    pub(crate) own_sync_upto: Zxid,
    /// Whether `PersistCurrentEpoch(epoch)` was emitted.
    pub(crate) current_epoch_requested: bool,
    /// The learners.
    pub(crate) learners: BTreeMap<ServerId, LearnerHandler>,
    /// The tick by which the current phase must complete (before broadcast).
    pub(crate) phase_deadline: u64,
    /// The tick of the last PING round.
    pub(crate) last_ping: u64,
}

impl LeaderState {
    /// The state of a just-elected leader whose accepted epoch is `accepted`.
    pub(crate) fn new(me: ServerId, accepted: Epoch, now: u64, init_limit: u64) -> LeaderState {
        LeaderState {
            phase: LeaderPhase::Discovery,
            epoch_proposal: Epoch(accepted.0.saturating_add(1)),
            epoch: None,
            epoch_ready: false,
            connecting: BTreeSet::from([me]),
            electing: BTreeSet::new(),
            newleader_acks: BTreeSet::new(),
            own_sync_upto: Zxid::ZERO,
            current_epoch_requested: false,
            learners: BTreeMap::new(),
            phase_deadline: now + init_limit,
            last_ping: now,
        }
    }

    /// Whether the epoch is established (a quorum acknowledged NEWLEADER).
    pub(crate) fn is_established(&self) -> bool {
        self.phase == LeaderPhase::Broadcast
    }
}

/// A leader's learners as ZooKeeper's `mntr` reports them (`zk_learners`,
/// `zk_synced_followers`, `zk_synced_observers`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LearnerSummary {
    /// Connected learners, in any stage.
    pub learners: usize,
    /// Followers in broadcast (synced and receiving proposals).
    pub synced_followers: usize,
    /// Observers in broadcast.
    pub synced_observers: usize,
}

impl crate::peer::Peer {
    /// Leader: a summary of its learners; all zero on a peer that does not lead.
    pub fn learner_summary(&self) -> LearnerSummary {
        let crate::peer::RoleState::Leading(l) = &self.role else {
            return LearnerSummary::default();
        };
        let synced = |observer: bool| {
            l.learners
                .values()
                .filter(|h| h.observer == observer && h.stage == HandlerStage::Broadcasting)
                .count()
        };
        LearnerSummary {
            learners: l.learners.len(),
            synced_followers: synced(false),
            synced_observers: synced(true),
        }
    }
}
