//! Broadcast: proposing, acknowledging and committing in the established epoch (Zab paper
//! phase 3; ZooKeeper's `Leader.propose`/`processAck`/`tryToCommit`, `Follower.processPacket`
//! and `Observer.processPacket`), plus the liveness machinery of every phase: pings,
//! `initLimit` and `syncLimit`.
//!
//! - The leader numbers proposals `epoch << 32 | counter`, logs each one itself and queues it
//!   to every follower whose sync stream has started (one ordered queue per learner: the
//!   quorum connection).
//! - A follower logs a PROPOSAL and sends ACK only once the caller reports it durable, and
//!   only after its NEWLEADER ack (ZOOKEEPER-4685). ACKs are cumulative, the log being a
//!   prefix: one ACK, for the newest txn, answers every proposal one fsync made durable.
//! - The leader commits the newest zxid that a quorum of voters — itself included, through its
//!   own durable log — has acknowledged, in order, then sends COMMIT to followers (and to
//!   observers for the initial history they were sent) and INFORM (the txn itself) to
//!   observers. A COMMIT commits everything up to its zxid, so a commit step sends each
//!   learner one, for the newest txn it was sent.
//! - The leader pings every `ping_interval_ticks`. A learner silent for `syncLimit` (or
//!   `initLimit` before UPTODATE) is dropped; a leader whose connected voters no longer form a
//!   quorum steps down and stops serving; a learner that has not heard from its leader for as
//!   long goes back to election.
//! - When the counter reaches `zxid_counter_max` the leader refuses the proposal and steps
//!   down, so that the next election starts a new epoch (ZooKeeper's `XidRolloverException`).

use std::collections::BTreeSet;

use bytes::Bytes;
use zk_proto::Zxid;

use crate::action::Action;
use crate::error::{Error, Result};
use crate::leader::{HandlerStage, LeaderPhase};
use crate::learner::LearnerStage;
use crate::log::is_successor;
use crate::message::{Message, Proposal};
use crate::peer::{Peer, RoleState};
use crate::quorum::ServerId;

impl Peer {
    /// Leader: proposes a txn; returns its zxid. Fails unless this peer leads an established
    /// epoch. The txn is committed (a `Commit` action) once a quorum has logged it.
    pub fn propose(&mut self, txn: Bytes) -> Result<Zxid> {
        let epoch = match &self.role {
            RoleState::Leading(l) if l.is_established() => l.epoch.expect("established epoch"),
            RoleState::Leading(_) => return Err(Error::NotServing),
            RoleState::Learning(l) => {
                return Err(Error::NotLeader {
                    leader: Some(l.leader),
                })
            }
            RoleState::Looking => return Err(Error::NotLeader { leader: None }),
        };
        let last = self.log.last();
        assert!(
            last.epoch() <= epoch,
            "log {last} is ahead of epoch {epoch}"
        );
        let zxid = if last.epoch() < epoch {
            Zxid::new(epoch, 1)
        } else if last.counter() >= self.config.zxid_counter_max {
            self.become_looking();
            return Err(Error::ZxidCounterExhausted { epoch });
        } else {
            Zxid::new(epoch, last.counter() + 1)
        };
        let proposal = Proposal { zxid, txn };
        self.log.append(proposal.clone());
        self.out.push(Action::AppendTxns(vec![proposal.clone()]));
        let RoleState::Leading(l) = &mut self.role else {
            unreachable!("checked above");
        };
        for (id, h) in l.learners.iter_mut() {
            if !h.observer && h.stage.is_forwarding() {
                h.sent_upto = zxid;
                self.out.send(*id, Message::Proposal(proposal.clone()));
            }
        }
        Ok(zxid)
    }

    /// Learner: forwards a client request to the leader (it comes out of the leader's core as
    /// [`Action::Forwarded`]). Fails unless this peer is a synced learner.
    pub fn forward(&mut self, request: Bytes) -> Result<()> {
        match &self.role {
            RoleState::Learning(l) if l.stage == LearnerStage::Broadcast => {
                self.out.send(l.leader, Message::Request { data: request });
                Ok(())
            }
            _ => Err(Error::NotFollowing),
        }
    }

    /// Leader: answers a `sync` that `learner` forwarded (ZooKeeper's `Leader.processSync`),
    /// with a [`Message::Sync`] carrying the last *proposed* zxid: once the learner has
    /// committed that, it has seen every write the leader had accepted when the sync arrived.
    /// The answer queues behind the proposals already sent on the same FIFO connection, so
    /// unlike ZooKeeper we need not hold it back until they commit. Fails unless this peer
    /// leads an established epoch and `learner`'s sync stream has started.
    pub fn answer_sync(&mut self, learner: ServerId) -> Result<()> {
        let zxid = self.log.last();
        match &self.role {
            RoleState::Leading(l) if l.is_established() => {
                if !l
                    .learners
                    .get(&learner)
                    .is_some_and(|h| h.stage.is_forwarding())
                {
                    return Err(Error::UnknownLearner { learner });
                }
                self.out.send(learner, Message::Sync { zxid });
                Ok(())
            }
            RoleState::Leading(_) => Err(Error::NotServing),
            RoleState::Learning(l) => Err(Error::NotLeader {
                leader: Some(l.leader),
            }),
            RoleState::Looking => Err(Error::NotLeader { leader: None }),
        }
    }

    /// Leader: ACK from a follower (NEWLEADER's, or a proposal's).
    pub(crate) fn handle_ack(&mut self, from: ServerId, zxid: Zxid) {
        let RoleState::Leading(l) = &mut self.role else {
            return;
        };
        if zxid.counter() == 0 && l.epoch == Some(zxid.epoch()) {
            return self.handle_newleader_ack(from);
        }
        let Some(h) = l.learners.get_mut(&from) else {
            return;
        };
        let synced = matches!(
            h.stage,
            HandlerStage::AwaitingUpToDate | HandlerStage::Broadcasting
        );
        if h.observer || !synced || zxid <= h.acked || zxid > h.sent_upto {
            return;
        }
        h.acked = zxid;
        self.try_commit();
    }

    /// Leader: commits the newest zxid a quorum of voters (ourselves included) has durably
    /// logged.
    pub(crate) fn try_commit(&mut self) {
        let RoleState::Leading(l) = &self.role else {
            return;
        };
        if !l.is_established() {
            return;
        }
        let mut acks: Vec<Zxid> = l
            .learners
            .iter()
            .filter(|(id, h)| {
                self.config.quorum.is_voter(**id)
                    && matches!(
                        h.stage,
                        HandlerStage::AwaitingUpToDate | HandlerStage::Broadcasting
                    )
            })
            .map(|(_, h)| h.acked)
            .collect();
        acks.push(self.log.durable());
        acks.sort_unstable_by(|a, b| b.cmp(a));
        let Some(&zxid) = acks.get(self.config.quorum.quorum_size() - 1) else {
            return;
        };
        if zxid > self.log.committed() {
            self.commit_and_broadcast(zxid);
        }
    }

    /// Leader: commits up to `zxid` and tells the learners (COMMIT to followers for what they
    /// were sent, INFORM to observers).
    pub(crate) fn commit_and_broadcast(&mut self, zxid: Zxid) {
        let newly = self.commit_upto(zxid);
        let RoleState::Leading(l) = &mut self.role else {
            return;
        };
        for (id, h) in l.learners.iter_mut() {
            if !h.stage.is_forwarding() {
                continue;
            }
            // One COMMIT for the newest of these txns the learner was sent: a learner commits
            // everything it logged up to a COMMIT's zxid (`handle_commit`), and commits are in
            // order, so one packet per commit step does what one per txn did.
            let sent_upto = h.sent_upto;
            if let Some(zxid) = newly.iter().rev().map(|p| p.zxid).find(|z| *z <= sent_upto) {
                self.out.send(*id, Message::Commit { zxid });
            }
            if h.observer {
                for p in newly.iter().filter(|p| p.zxid > sent_upto) {
                    h.sent_upto = p.zxid;
                    self.out.send(*id, Message::Inform(p.clone()));
                }
            }
        }
    }

    /// Leader: more of our log is durable.
    pub(crate) fn leader_on_log_persisted(&mut self) {
        let RoleState::Leading(l) = &self.role else {
            return;
        };
        match l.phase {
            LeaderPhase::Discovery => {}
            LeaderPhase::Synchronization => self.maybe_persist_leader_epoch(),
            LeaderPhase::Broadcast => self.try_commit(),
        }
    }

    /// Leader: pings, drops silent learners, and steps down without a quorum.
    pub(crate) fn leader_tick(&mut self) {
        let now = self.now;
        let (init, sync) = (self.config.init_limit_ticks, self.config.sync_limit_ticks);
        let last = self.log.last();
        let RoleState::Leading(l) = &mut self.role else {
            return;
        };
        let silent: Vec<ServerId> = l
            .learners
            .iter()
            .filter(|(_, h)| {
                let limit = if h.stage == HandlerStage::Broadcasting {
                    sync
                } else {
                    init
                };
                now.saturating_sub(h.last_heard) > limit
            })
            .map(|(id, _)| *id)
            .collect();
        for id in silent {
            l.learners.remove(&id);
            self.out.push(Action::Disconnect { peer: id });
        }
        if now.saturating_sub(l.last_ping) >= self.config.ping_interval_ticks {
            l.last_ping = now;
            for (id, h) in &l.learners {
                if h.stage.is_forwarding() {
                    self.out.send(*id, Message::Ping { zxid: last });
                }
            }
        }
        let keep = match l.phase {
            LeaderPhase::Discovery | LeaderPhase::Synchronization => now < l.phase_deadline,
            LeaderPhase::Broadcast => {
                // Like `LearnerHandler.synced()`: every connected voter still within its
                // deadline counts, including one that is re-syncing after a reconnect.
                let mut synced: BTreeSet<ServerId> = l
                    .learners
                    .iter()
                    .filter(|(_, h)| !h.observer)
                    .map(|(id, _)| *id)
                    .collect();
                synced.insert(self.config.my_id);
                self.config.quorum.has_quorum(&synced)
            }
        };
        if !keep {
            self.become_looking();
        }
    }

    /// Learner: PROPOSAL (in the sync stream or in broadcast). Duplicates are ignored; a gap
    /// means the stream is broken, so we re-elect and resync.
    pub(crate) fn handle_proposal(&mut self, proposal: Proposal) {
        let RoleState::Learning(l) = &self.role else {
            return;
        };
        if !matches!(l.stage, LearnerStage::Syncing | LearnerStage::Broadcast) {
            return self.become_looking();
        }
        let last = self.log.last();
        if proposal.zxid <= last {
            return;
        }
        if !is_successor(last, proposal.zxid) {
            return self.become_looking();
        }
        self.log.append(proposal.clone());
        self.out.push(Action::AppendTxns(vec![proposal]));
    }

    /// Learner: COMMIT. Commits everything logged up to `zxid`, never beyond what we hold.
    pub(crate) fn handle_commit(&mut self, zxid: Zxid) {
        let RoleState::Learning(l) = &self.role else {
            return;
        };
        if !matches!(l.stage, LearnerStage::Syncing | LearnerStage::Broadcast) {
            return self.become_looking();
        }
        self.commit_upto(zxid);
    }

    /// Observer: INFORM, a committed txn to log and apply.
    pub(crate) fn handle_inform(&mut self, proposal: Proposal) {
        let zxid = proposal.zxid;
        self.handle_proposal(proposal);
        if let RoleState::Learning(_) = self.role {
            self.commit_upto(zxid);
        }
    }

    /// Learner: more of our log is durable: maybe acknowledge NEWLEADER, then proposals.
    pub(crate) fn learner_on_log_persisted(&mut self) {
        self.try_ack_newleader();
        self.send_pending_acks();
    }

    /// Follower: ACK every durable proposal not yet acknowledged, once NEWLEADER is acked.
    pub(crate) fn send_pending_acks(&mut self) {
        if self.config.is_observer() {
            return;
        }
        let RoleState::Learning(l) = &mut self.role else {
            return;
        };
        if !l.newleader_acked {
            return;
        }
        let durable = self.log.durable();
        // One ACK for the newest durable proposal covers every one before it: the leader
        // keeps one acknowledged zxid per follower (`handle_ack`), and the log is a prefix.
        // A batch made durable by one fsync thus costs one ACK, not one per txn.
        let newest = self
            .log
            .entries_after(l.acked_upto)
            .take_while(|p| p.zxid <= durable)
            .last()
            .map(|p| p.zxid);
        if let Some(zxid) = newest {
            self.out.send(l.leader, Message::Ack { zxid });
        }
        l.acked_upto = l.acked_upto.max(durable);
    }

    /// Learner: abandon a silent leader.
    pub(crate) fn learner_tick(&mut self) {
        let RoleState::Learning(l) = &self.role else {
            return;
        };
        let limit = if l.stage == LearnerStage::Broadcast {
            self.config.sync_limit_ticks
        } else {
            self.config.init_limit_ticks
        };
        if self.now.saturating_sub(l.last_heard) > limit {
            self.become_looking();
        }
    }
}
