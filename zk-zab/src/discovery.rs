//! Discovery: agreeing on a new epoch (phase 1 of Zab: Junqueira, Reed, Serafini, "Zab:
//! High-performance broadcast for primary-backup systems", DSN 2011; ZooKeeper's
//! `Leader.getEpochToPropose` / `waitForEpochAck` and `Learner.registerWithLeader`).
//!
//! ```text
//! learner                                   leader
//!   FOLLOWERINFO(acceptedEpoch)  ───────▶   epoch = 1 + max(acceptedEpoch of a quorum)
//!                                            persist acceptedEpoch = epoch   (before LEADERINFO)
//!                                ◀───────   LEADERINFO(epoch)
//!   persist acceptedEpoch = epoch
//!   ACKEPOCH(currentEpoch, lastZxid) ───▶   quorum of ACKEPOCH → synchronization
//! ```
//!
//! Safety rests on two rules. The epoch exceeds every epoch a quorum has accepted, and every
//! peer (the leader included) persists its promise before anyone relies on it: so two leaders
//! can never both establish the same epoch, even across crashes. A learner that had already
//! accepted this very epoch answers with no current epoch (ZooKeeper's `-1`) and is not
//! counted again. If a voter's (currentEpoch, lastZxid) is more recent than the leader's, the
//! election chose badly and the leader steps down ("Follower is ahead of the leader").
//!
//! One deliberate difference from ZooKeeper: a learner that already promised an epoch above
//! the leader's (a failed leader candidate bumps its own `acceptedEpoch` on every attempt)
//! refuses LEADERINFO, and ZooKeeper's leader keeps it out for as long as it leads, leaving the
//! ensemble one server short. Our leader adopts the higher promise as its own `acceptedEpoch`
//! and steps down, so the next election's epoch is above every promise and everyone can join.

use zk_proto::{Epoch, Zxid};

use crate::action::{Action, Role};
use crate::leader::{HandlerStage, LeaderPhase, LeaderState, LearnerHandler};
use crate::learner::{LearnerStage, LearnerState};
use crate::message::Message;
use crate::peer::{Peer, RoleState};
use crate::quorum::ServerId;

impl Peer {
    /// The election chose us.
    pub(crate) fn become_leader(&mut self) {
        let me = self.config.my_id;
        let state = LeaderState::new(
            me,
            self.epochs.accepted,
            self.now,
            self.config.init_limit_ticks,
        );
        self.role = RoleState::Leading(Box::new(state));
        self.out.push(Action::RoleChanged {
            role: Role::Leading,
            leader: Some(me),
        });
        self.maybe_choose_epoch();
        // Learners that connected while we were still electing.
        for (from, hello) in std::mem::take(&mut self.early_hellos) {
            self.leader_step(from, hello);
        }
    }

    /// The election chose `leader`: connect and introduce ourselves.
    pub(crate) fn become_learner(&mut self, leader: ServerId) {
        for from in std::mem::take(&mut self.early_hellos).into_keys() {
            self.out.push(Action::Disconnect { peer: from });
        }
        self.role = RoleState::Learning(Box::new(LearnerState::new(leader, self.now)));
        self.out.push(Action::RoleChanged {
            role: self.learner_role(),
            leader: Some(leader),
        });
        self.out.push(Action::Connect { to: leader });
        let accepted_epoch = self.epochs.accepted;
        let info = if self.config.is_observer() {
            Message::ObserverInfo { accepted_epoch }
        } else {
            Message::FollowerInfo { accepted_epoch }
        };
        self.out.send(leader, info);
    }

    /// Leader: FOLLOWERINFO / OBSERVERINFO on a new connection.
    pub(crate) fn handle_learner_info(
        &mut self,
        from: ServerId,
        accepted_epoch: Epoch,
        observer: bool,
    ) {
        if observer != self.config.quorum.is_observer(from) {
            self.out.push(Action::Disconnect { peer: from });
            return;
        }
        let RoleState::Leading(l) = &mut self.role else {
            return;
        };
        if l.epoch.is_some_and(|epoch| accepted_epoch > epoch) {
            // It promised a newer epoch than ours and can never join us. ZooKeeper leaves such
            // a server out until the next leader change; we adopt its promise (always safe:
            // a promise only restricts) and re-elect, so the next epoch is above it.
            self.epochs.accepted = accepted_epoch;
            self.out.push(Action::PersistAcceptedEpoch(accepted_epoch));
            return self.become_looking();
        }
        l.learners
            .insert(from, LearnerHandler::new(observer, self.now));
        if l.epoch.is_none() {
            l.epoch_proposal = l
                .epoch_proposal
                .max(Epoch(accepted_epoch.0.saturating_add(1)));
            if !observer {
                l.connecting.insert(from);
            }
            self.maybe_choose_epoch();
        } else if let (Some(epoch), true) = (l.epoch, l.epoch_ready) {
            if let Some(h) = l.learners.get_mut(&from) {
                h.stage = HandlerStage::AwaitingAckEpoch;
            }
            self.out.send(from, Message::LeaderInfo { epoch });
        }
    }

    /// Leader: once a quorum has connected, fix the epoch and persist our promise.
    fn maybe_choose_epoch(&mut self) {
        let RoleState::Leading(l) = &mut self.role else {
            return;
        };
        if l.epoch.is_some() || !self.config.quorum.has_quorum(&l.connecting) {
            return;
        }
        let epoch = l.epoch_proposal;
        l.epoch = Some(epoch);
        self.epochs.accepted = epoch;
        self.out.push(Action::PersistAcceptedEpoch(epoch));
    }

    /// Leader: our `acceptedEpoch` is durable; LEADERINFO may go out.
    pub(crate) fn leader_on_accepted_persisted(&mut self) {
        let me = self.config.my_id;
        let RoleState::Leading(l) = &mut self.role else {
            return;
        };
        let Some(epoch) = l.epoch else {
            return;
        };
        if l.epoch_ready || self.epochs.accepted_durable < epoch {
            return;
        }
        l.epoch_ready = true;
        l.electing.insert(me);
        for (id, h) in l.learners.iter_mut() {
            if h.stage == HandlerStage::AwaitingLeaderInfo {
                h.stage = HandlerStage::AwaitingAckEpoch;
                self.out.send(*id, Message::LeaderInfo { epoch });
            }
        }
        self.maybe_finish_discovery();
    }

    /// Leader: ACKEPOCH.
    pub(crate) fn handle_ack_epoch(
        &mut self,
        from: ServerId,
        current_epoch: Option<Epoch>,
        last_zxid: Zxid,
    ) {
        let own = (self.epochs.current, self.log.last());
        let RoleState::Leading(l) = &mut self.role else {
            return;
        };
        let Some(h) = l.learners.get_mut(&from) else {
            return;
        };
        if h.stage != HandlerStage::AwaitingAckEpoch {
            return;
        }
        h.stage = HandlerStage::AckedEpoch;
        h.peer_last = last_zxid;
        let observer = h.observer;
        if l.phase != LeaderPhase::Discovery {
            self.start_sync(from);
            return;
        }
        if let (Some(current), false) = (current_epoch, observer) {
            if (current, last_zxid) > own {
                // The election picked a leader behind a voter: let a new round fix it.
                self.become_looking();
                return;
            }
            l.electing.insert(from);
        }
        self.maybe_finish_discovery();
    }

    /// Leader: a quorum acknowledged the epoch: move to synchronization and sync everyone who
    /// is waiting.
    fn maybe_finish_discovery(&mut self) {
        let last = self.log.last();
        let RoleState::Leading(l) = &mut self.role else {
            return;
        };
        if l.phase != LeaderPhase::Discovery
            || !l.epoch_ready
            || !self.config.quorum.has_quorum(&l.electing)
        {
            return;
        }
        l.phase = LeaderPhase::Synchronization;
        l.phase_deadline = self.now + self.config.init_limit_ticks;
        l.own_sync_upto = last;
        let waiting: Vec<ServerId> = l
            .learners
            .iter()
            .filter(|(_, h)| h.stage == HandlerStage::AckedEpoch)
            .map(|(id, _)| *id)
            .collect();
        self.maybe_persist_leader_epoch();
        for id in waiting {
            self.start_sync(id);
        }
    }

    /// Learner: LEADERINFO.
    pub(crate) fn handle_leader_info(&mut self, epoch: Epoch) {
        let RoleState::Learning(l) = &mut self.role else {
            return;
        };
        if l.stage != LearnerStage::Connecting {
            return;
        }
        if epoch > self.epochs.accepted {
            self.epochs.accepted = epoch;
            self.out.push(Action::PersistAcceptedEpoch(epoch));
            l.stage = LearnerStage::AcceptingEpoch { fresh: true };
        } else if epoch == self.epochs.accepted {
            l.stage = LearnerStage::AcceptingEpoch { fresh: false };
        } else {
            // "Leaders epoch is less than accepted epoch": we promised a newer leader.
            self.become_looking();
            return;
        }
        l.epoch = Some(epoch);
        self.maybe_send_ack_epoch();
    }

    /// Learner: ACKEPOCH once the accepted epoch is durable.
    pub(crate) fn maybe_send_ack_epoch(&mut self) {
        let RoleState::Learning(l) = &mut self.role else {
            return;
        };
        let (LearnerStage::AcceptingEpoch { fresh }, Some(epoch)) = (l.stage, l.epoch) else {
            return;
        };
        if self.epochs.accepted_durable < epoch {
            return;
        }
        l.stage = LearnerStage::Syncing;
        let msg = Message::AckEpoch {
            current_epoch: fresh.then_some(self.epochs.current),
            last_zxid: self.log.last(),
        };
        self.out.send(l.leader, msg);
    }
}
