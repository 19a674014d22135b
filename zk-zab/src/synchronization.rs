//! Synchronization: bringing each learner's history in line with the leader's, then
//! establishing the epoch (Zab paper phase 2; ZooKeeper's `LearnerHandler.syncFollower`,
//! `Leader.waitForNewLeaderAck` and `Learner.syncWithLeader`).
//!
//! # Choosing the sync mode
//!
//! [`choose_sync_plan`] decides from the learner's last zxid (`peerLastZxid`) and the leader's
//! in-memory log, exactly as `syncFollower` does with `minCommittedLog`/`maxCommittedLog`:
//!
//! | situation | plan | stream |
//! |---|---|---|
//! | learner at the leader's last zxid | [`SyncPlan::Diff`] (empty) | DIFF |
//! | learner's last zxid is in the leader's window | [`SyncPlan::Diff`] | DIFF, then PROPOSAL (+COMMIT) for each missing txn |
//! | learner has txns the leader lacks, inside the window | [`SyncPlan::TruncDiff`] | TRUNC to the newest common zxid, then as DIFF |
//! | learner ahead of the leader's last zxid | [`SyncPlan::Trunc`] | TRUNC to the leader's last zxid |
//! | learner below the window, or no window | [`SyncPlan::Snap`] | SNAP (the leader's state at its commit point), then as DIFF |
//!
//! Two deliberate differences from ZooKeeper. (1) ZooKeeper refuses a TRUNC that crosses an
//! epoch boundary and falls back to SNAP, because its learner's on-disk truncation could not
//! cross log files; our learner truncates through [`crate::Action::TruncateLogAfter`], whose
//! contract has no such limit, so the old-leader-with-an-unreplicated-proposal case is a
//! TRUNC+DIFF here. (2) A learner exactly at the window's lower bound (the zxid just below the
//! oldest proposal held) is diffable; ZooKeeper would read its on-disk log or send a snapshot.
//! Observers are synced up to the end of the leader's initial history or its commit point,
//! whichever is later: like `startForwarding`, they never see outstanding proposals.
//!
//! # Establishing the epoch
//!
//! After the stream the leader queues NEWLEADER. The learner acknowledges it only once the
//! synced txns are durable, *then* `currentEpoch` is durable, in that order (the fixes of
//! ZOOKEEPER-3911, 4643, 4646 and 4685): an ACK of NEWLEADER is a promise that this history
//! survives a crash. The leader counts itself the same way, and once a quorum including itself
//! has acknowledged, the epoch is established: the initial history is committed, UPTODATE goes
//! to every acknowledged learner, and the leader starts serving. A learner discards nothing it
//! made durable on an aborted sync, because everything it made durable is a consistent prefix
//! of the leader's history (ZOOKEEPER-3642: a snapshot is installed atomically and the log
//! continues after it).

use bytes::Bytes;
use zk_proto::Zxid;

use crate::action::Action;
use crate::leader::{HandlerStage, LeaderPhase};
use crate::learner::{LearnerStage, NewLeaderWait};
use crate::log::TxnLog;
use crate::message::Message;
use crate::peer::{Peer, RoleState};
use crate::quorum::ServerId;

/// How the leader synchronizes one learner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyncPlan {
    /// Send the txns after `from` (the learner's last zxid).
    Diff {
        /// The learner's last zxid, a zxid of the leader's history.
        from: Zxid,
    },
    /// Truncate the learner to `truncate_to` (the newest zxid both histories share), then send
    /// the txns after it.
    TruncDiff {
        /// The newest common zxid.
        truncate_to: Zxid,
    },
    /// Truncate the learner to `truncate_to` (the leader's last zxid); nothing to send.
    Trunc {
        /// The leader's last zxid.
        truncate_to: Zxid,
    },
    /// Send a snapshot of the state at `zxid` (the leader's commit point), then the txns after.
    Snap {
        /// The snapshot's zxid.
        zxid: Zxid,
    },
}

/// Chooses how to sync a learner whose last zxid is `peer_last`, from the leader's `log`, up
/// to `max` (the leader's last zxid; its commit point for observers).
///
/// ```
/// use bytes::Bytes;
/// use zk_proto::{Epoch, Zxid};
/// use zk_zab::{choose_sync_plan, Proposal, SyncPlan, TxnLog};
///
/// let z = |e, c| Zxid::new(Epoch(e), c);
/// let p = |zxid| Proposal { zxid, txn: Bytes::new() };
/// // The leader holds 1:1..1:4 then 2:1..2:2, all committed.
/// let log = TxnLog::new(Zxid::ZERO,
///     vec![p(z(1, 1)), p(z(1, 2)), p(z(1, 3)), p(z(1, 4)), p(z(2, 1)), p(z(2, 2))],
///     z(2, 2), 500);
/// assert_eq!(choose_sync_plan(z(1, 3), &log, z(2, 2)), SyncPlan::Diff { from: z(1, 3) });
/// // An old leader that logged 1:5 alone: roll back to 1:4, then diff.
/// assert_eq!(choose_sync_plan(z(1, 5), &log, z(2, 2)), SyncPlan::TruncDiff { truncate_to: z(1, 4) });
/// assert_eq!(choose_sync_plan(z(2, 7), &log, z(2, 2)), SyncPlan::Trunc { truncate_to: z(2, 2) });
/// ```
pub fn choose_sync_plan(peer_last: Zxid, log: &TxnLog, max: Zxid) -> SyncPlan {
    if peer_last == max {
        return SyncPlan::Diff { from: peer_last };
    }
    if peer_last > max {
        return SyncPlan::Trunc { truncate_to: max };
    }
    match log.newest_at_or_below(peer_last) {
        Some(common) if common == peer_last => SyncPlan::Diff { from: peer_last },
        Some(common) => SyncPlan::TruncDiff {
            truncate_to: common,
        },
        None => SyncPlan::Snap {
            zxid: log.committed(),
        },
    }
}

impl Peer {
    /// Leader: queue the sync stream and NEWLEADER for learner `id` (its ACKEPOCH is in and
    /// discovery is complete).
    pub(crate) fn start_sync(&mut self, id: ServerId) {
        let committed = self.log.committed();
        let RoleState::Leading(l) = &mut self.role else {
            return;
        };
        let (Some(epoch), Some(h)) = (l.epoch, l.learners.get_mut(&id)) else {
            return;
        };
        // Observers get the initial history and what was committed since, never the
        // outstanding proposals (`startForwarding`).
        let max = if h.observer {
            committed.max(l.own_sync_upto)
        } else {
            self.log.last()
        };
        let plan = choose_sync_plan(h.peer_last, &self.log, max);
        self.out.push(Action::SyncStarted { learner: id, plan });
        let from = match plan {
            SyncPlan::Diff { from } => {
                self.out.send(
                    id,
                    Message::Diff {
                        last_committed: committed,
                    },
                );
                from
            }
            SyncPlan::TruncDiff { truncate_to } | SyncPlan::Trunc { truncate_to } => {
                self.out.send(id, Message::Trunc { zxid: truncate_to });
                truncate_to
            }
            SyncPlan::Snap { zxid } => {
                self.out.push(Action::SendSnapshot { to: id, zxid });
                zxid
            }
        };
        let mut last_commit = None;
        for p in self.log.entries_after(from).take_while(|p| p.zxid <= max) {
            self.out.send(id, Message::Proposal(p.clone()));
            if p.zxid <= committed {
                self.out.send(id, Message::Commit { zxid: p.zxid });
                last_commit = Some(p.zxid);
            }
        }
        let truncated = matches!(plan, SyncPlan::TruncDiff { .. } | SyncPlan::Trunc { .. });
        if truncated && committed > Zxid::ZERO && last_commit != Some(committed) {
            // After a TRUNC the learner cannot know which of the txns it kept are committed.
            self.out.send(id, Message::Commit { zxid: committed });
        }
        h.sent_upto = max;
        h.newleader_upto = max;
        h.stage = HandlerStage::Syncing;
        self.out.send(
            id,
            Message::NewLeader {
                zxid: Zxid::new(epoch, 0),
            },
        );
    }

    /// Leader: once our history is durable, persist `currentEpoch` (our own NEWLEADER ack).
    pub(crate) fn maybe_persist_leader_epoch(&mut self) {
        let RoleState::Leading(l) = &mut self.role else {
            return;
        };
        let Some(epoch) = l.epoch else {
            return;
        };
        if l.phase == LeaderPhase::Discovery
            || l.current_epoch_requested
            || self.log.durable() < l.own_sync_upto
            || self.log.snapshot_pending().is_some()
        {
            return;
        }
        l.current_epoch_requested = true;
        self.epochs.current = epoch;
        self.out.push(Action::PersistCurrentEpoch(epoch));
    }

    /// Leader: our `currentEpoch` is durable: we acknowledge our own NEWLEADER.
    pub(crate) fn leader_on_current_persisted(&mut self) {
        let me = self.config.my_id;
        let RoleState::Leading(l) = &mut self.role else {
            return;
        };
        if l.phase == LeaderPhase::Synchronization
            && l.epoch.is_some_and(|e| self.epochs.current_durable >= e)
        {
            l.newleader_acks.insert(me);
            self.maybe_establish();
        }
    }

    /// Leader: a learner acknowledged NEWLEADER: its synced history is durable.
    pub(crate) fn handle_newleader_ack(&mut self, from: ServerId) {
        let voter = self.config.quorum.is_voter(from);
        let RoleState::Leading(l) = &mut self.role else {
            return;
        };
        let Some(h) = l.learners.get_mut(&from) else {
            return;
        };
        if h.stage != HandlerStage::Syncing {
            return;
        }
        if !h.observer {
            h.acked = h.acked.max(h.newleader_upto);
        }
        if voter {
            l.newleader_acks.insert(from);
        }
        if l.phase == LeaderPhase::Broadcast {
            h.stage = HandlerStage::Broadcasting;
            self.out.send(from, Message::UpToDate);
            self.try_commit();
        } else {
            h.stage = HandlerStage::AwaitingUpToDate;
            self.maybe_establish();
        }
    }

    /// Leader: a quorum including ourselves acknowledged NEWLEADER: commit the initial
    /// history, release the acknowledged learners and serve.
    fn maybe_establish(&mut self) {
        let me = self.config.my_id;
        let RoleState::Leading(l) = &mut self.role else {
            return;
        };
        if l.phase != LeaderPhase::Synchronization
            || !l.newleader_acks.contains(&me)
            || !self.config.quorum.has_quorum(&l.newleader_acks)
        {
            return;
        }
        l.phase = LeaderPhase::Broadcast;
        let epoch = l.epoch.expect("an epoch under synchronization");
        self.update_election_vote(epoch);
        let last = self.log.last();
        self.commit_and_broadcast(last);
        let RoleState::Leading(l) = &mut self.role else {
            return;
        };
        for (id, h) in l.learners.iter_mut() {
            if h.stage == HandlerStage::AwaitingUpToDate {
                h.stage = HandlerStage::Broadcasting;
                h.last_heard = self.now;
                self.out.send(*id, Message::UpToDate);
            }
        }
        self.set_serving(true);
    }

    /// Learner: whether a DIFF/TRUNC/SNAP may arrive now (after ACKEPOCH, before NEWLEADER).
    fn in_sync_stream(&self) -> bool {
        matches!(&self.role, RoleState::Learning(l)
            if l.stage == LearnerStage::Syncing && l.newleader.is_none() && !l.newleader_acked)
    }

    /// Learner: DIFF. Our log is a prefix of the leader's history.
    pub(crate) fn handle_diff(&mut self, last_committed: Zxid) {
        if !self.in_sync_stream() {
            return self.become_looking();
        }
        self.commit_upto(last_committed);
    }

    /// Learner: TRUNC. Never below what we know is committed.
    pub(crate) fn handle_trunc(&mut self, zxid: Zxid) {
        if !self.in_sync_stream() || zxid < self.log.committed() {
            return self.become_looking();
        }
        if zxid < self.log.last() {
            self.out.push(Action::TruncateLogAfter(zxid));
            self.log.truncate_after(zxid);
        }
    }

    /// Learner: SNAP. The state and log are replaced atomically by the caller. A snapshot
    /// older than what we already applied would un-apply committed txns: refused.
    pub(crate) fn handle_snap(&mut self, zxid: Zxid, snapshot: Bytes) {
        if !self.in_sync_stream() || zxid < self.log.committed() {
            return self.become_looking();
        }
        self.out.push(Action::InstallSnapshot { zxid, snapshot });
        self.log.reset_to_snapshot(zxid);
    }

    /// Learner: NEWLEADER closes the sync stream.
    pub(crate) fn handle_newleader(&mut self, zxid: Zxid) {
        let upto = self.log.last();
        let ok = self.in_sync_stream()
            && matches!(&self.role, RoleState::Learning(l)
                if l.epoch == Some(zxid.epoch()) && zxid.counter() == 0);
        let RoleState::Learning(l) = &mut self.role else {
            return;
        };
        if !ok {
            return self.become_looking();
        }
        l.newleader = Some(NewLeaderWait { upto });
        self.try_ack_newleader();
    }

    /// Learner: acknowledge NEWLEADER once the synced txns are durable, then `currentEpoch`.
    pub(crate) fn try_ack_newleader(&mut self) {
        let RoleState::Learning(l) = &mut self.role else {
            return;
        };
        let (Some(wait), Some(epoch)) = (l.newleader, l.epoch) else {
            return;
        };
        if self.log.snapshot_pending().is_some() || self.log.durable() < wait.upto {
            return;
        }
        if self.epochs.current < epoch {
            // Only now: the txns are on disk (ZOOKEEPER-4643).
            self.epochs.current = epoch;
            self.out.push(Action::PersistCurrentEpoch(epoch));
            return;
        }
        if self.epochs.current_durable < epoch {
            return;
        }
        l.newleader = None;
        l.newleader_acked = true;
        l.acked_upto = wait.upto;
        let leader = l.leader;
        self.out.send(
            leader,
            Message::Ack {
                zxid: Zxid::new(epoch, 0),
            },
        );
        self.send_pending_acks();
    }

    /// Learner: UPTODATE: serve.
    pub(crate) fn handle_uptodate(&mut self) {
        let RoleState::Learning(l) = &mut self.role else {
            return;
        };
        if l.stage != LearnerStage::Syncing || !l.newleader_acked {
            return self.become_looking();
        }
        l.stage = LearnerStage::Broadcast;
        if let Some(epoch) = l.epoch {
            self.update_election_vote(epoch);
        }
        self.set_serving(true);
    }
}
