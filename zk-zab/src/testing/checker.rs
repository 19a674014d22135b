//! [`Checker`]: the protocol invariants, checked as the harness executes each action.
//!
//! They are fault-scenarios.md §A7, made executable:
//!
//! | invariant | where it is checked |
//! |---|---|
//! | at most one established leader per epoch | [`Checker::on_established`] |
//! | epochs never decrease | [`Checker::on_epoch_request`] |
//! | a zxid is proposed once and means the same txn everywhere | [`Checker::on_propose`], [`Checker::on_append`], [`Checker::on_commit`] |
//! | every log is a contiguous piece of one history (no gaps: ZOOKEEPER-4925, 5094) | [`Checker::on_append`] |
//! | committed prefixes agree; commits are in order and only of logged txns | [`Checker::on_commit`], [`Checker::on_install`] |
//! | no committed txn is ever truncated; never below the applied state (ZOOKEEPER-1549) | [`Checker::on_truncate`] |
//! | a leader commits only what a quorum has durably logged | [`Checker::on_leader_commit`] |
//! | persist before ack: ACKEPOCH, ACK, ACK(NEWLEADER) | [`Checker::on_send`] |
//! | every acknowledged write survives on every replica (G-Dur), replicas converge (G-Conv) | [`super::Cluster::check_durability`], [`super::Cluster::converged`] |
//!
//! The committed history is kept as one "canonical" sequence: the i-th txn any replica ever
//! applies must be the canonical i-th txn, and its state-machine hash after it must match.

use std::collections::BTreeMap;

use bytes::Bytes;
use zk_proto::{Epoch, Zxid};

use crate::action::EpochKind;
use crate::message::{Message, Proposal};
use crate::quorum::{QuorumVerifier, ServerId};

use super::disk::Disk;
use super::state_machine::SmState;

/// The result of a check: `Err` describes the violation.
pub type Check = Result<(), String>;

/// The invariant checker's global knowledge.
#[derive(Debug, Clone)]
pub struct Checker {
    quorum: QuorumVerifier,
    txn_of: BTreeMap<Zxid, Bytes>,
    prev_of: BTreeMap<Zxid, Zxid>,
    canonical: Vec<(Zxid, u64)>,
    index_of: BTreeMap<Zxid, usize>,
    leaders: BTreeMap<Epoch, ServerId>,
    requested: BTreeMap<(ServerId, bool), Epoch>,
    acked: Vec<Zxid>,
}

impl Checker {
    /// A checker for this ensemble.
    pub fn new(quorum: QuorumVerifier) -> Checker {
        Checker {
            quorum,
            txn_of: BTreeMap::new(),
            prev_of: BTreeMap::new(),
            canonical: Vec::new(),
            index_of: BTreeMap::new(),
            leaders: BTreeMap::new(),
            requested: BTreeMap::new(),
            acked: Vec::new(),
        }
    }

    /// The established leader of each epoch seen so far.
    pub fn leaders(&self) -> &BTreeMap<Epoch, ServerId> {
        &self.leaders
    }

    /// Writes acknowledged to clients, in acknowledgement order.
    pub fn acked(&self) -> &[Zxid] {
        &self.acked
    }

    /// How many txns were ever committed.
    pub fn committed_len(&self) -> usize {
        self.canonical.len()
    }

    /// Whether `zxid` was ever committed anywhere.
    pub fn is_committed(&self, zxid: Zxid) -> bool {
        self.index_of.contains_key(&zxid)
    }

    /// Whether the replica state `sm` includes the committed txn `zxid`.
    pub fn state_includes(&self, sm: &SmState, zxid: Zxid) -> bool {
        self.index_of
            .get(&zxid)
            .is_some_and(|i| (*i as u64) < sm.count)
    }

    /// A client write was acknowledged.
    pub fn acknowledge(&mut self, zxid: Zxid) {
        self.acked.push(zxid);
    }

    /// A leader proposed `zxid` right after `prev`.
    pub fn on_propose(&mut self, leader: ServerId, zxid: Zxid, prev: Zxid, txn: &Bytes) -> Check {
        if let Some(old) = self.txn_of.get(&zxid) {
            return Err(format!(
                "double propose: {leader} proposed {zxid} ({txn:?}) but it was already {old:?}"
            ));
        }
        self.txn_of.insert(zxid, txn.clone());
        self.prev_of.insert(zxid, prev);
        Ok(())
    }

    /// Replica `id`, whose log ended at `last`, appends `txns`.
    pub fn on_append(&self, id: ServerId, mut last: Zxid, txns: &[Proposal]) -> Check {
        for p in txns {
            match self.txn_of.get(&p.zxid) {
                None => return Err(format!("{id} logged {} that nobody proposed", p.zxid)),
                Some(t) if *t != p.txn => {
                    return Err(format!("{id} logged {} with a different txn", p.zxid))
                }
                Some(_) => {}
            }
            let prev = self.prev_of[&p.zxid];
            if prev != last {
                return Err(format!(
                    "{id} logged {} after {last}, but it follows {prev} in its history (log gap)",
                    p.zxid
                ));
            }
            last = p.zxid;
        }
        Ok(())
    }

    /// Replica `id`, whose state machine is `sm`, truncates away `removed`, keeping `zxid`.
    pub fn on_truncate(&self, id: ServerId, zxid: Zxid, sm: &SmState, removed: &[Zxid]) -> Check {
        if zxid < sm.zxid {
            return Err(format!(
                "{id} truncates after {zxid}, below its applied state {}",
                sm.zxid
            ));
        }
        match removed.iter().find(|z| self.is_committed(**z)) {
            Some(z) => Err(format!("{id} truncates committed txn {z}")),
            None => Ok(()),
        }
    }

    /// Whether `state` is a prefix of the committed history.
    pub fn on_install(&self, id: ServerId, state: &SmState) -> Check {
        if state.count == 0 {
            return if *state == SmState::default() {
                Ok(())
            } else {
                Err(format!("{id} has an impossible empty state {state:?}"))
            };
        }
        match self.canonical.get(state.count as usize - 1) {
            Some((zxid, hash)) if *zxid == state.zxid && *hash == state.hash => Ok(()),
            other => Err(format!(
                "{id} holds state {state:?}, not a committed prefix (history has {other:?})"
            )),
        }
    }

    /// Replica `id` applied `p`, going from `before` to `after`.
    pub fn on_commit(
        &mut self,
        id: ServerId,
        before: &SmState,
        after: &SmState,
        p: &Proposal,
    ) -> Check {
        if p.zxid <= before.zxid {
            return Err(format!(
                "{id} commits {} after {}: out of order",
                p.zxid, before.zxid
            ));
        }
        if self.txn_of.get(&p.zxid) != Some(&p.txn) {
            return Err(format!(
                "{id} commits {} with a txn nobody proposed",
                p.zxid
            ));
        }
        let i = before.count as usize;
        match self.canonical.get(i) {
            Some((zxid, hash)) => {
                if *zxid != p.zxid || *hash != after.hash {
                    return Err(format!(
                        "{id} commits {} as txn #{i}, but the committed history has {zxid} there",
                        p.zxid
                    ));
                }
            }
            None if i == self.canonical.len() => {
                self.canonical.push((p.zxid, after.hash));
                self.index_of.insert(p.zxid, i);
            }
            None => return Err(format!("{id} commits txn #{i} beyond the history")),
        }
        Ok(())
    }

    /// A leader commits `zxid`: a quorum of voters must hold it durably.
    pub fn on_leader_commit<'a>(
        &self,
        leader: ServerId,
        zxid: Zxid,
        disks: impl Iterator<Item = (ServerId, &'a Disk)>,
    ) -> Check {
        let holders: std::collections::BTreeSet<ServerId> = disks
            .filter(|(_, d)| d.durable_has(zxid))
            .map(|(id, _)| id)
            .collect();
        if self.quorum.has_quorum(&holders) {
            Ok(())
        } else {
            Err(format!(
                "leader {leader} commits {zxid} durable only on {holders:?}"
            ))
        }
    }

    /// Replica `id` asks to persist an epoch: never lower than before.
    pub fn on_epoch_request(&mut self, id: ServerId, kind: EpochKind, epoch: Epoch) -> Check {
        let key = (id, kind == EpochKind::Accepted);
        let old = self.requested.insert(key, epoch).unwrap_or_default();
        if epoch < old {
            return Err(format!(
                "{id} lowers its {kind:?} epoch from {old} to {epoch}"
            ));
        }
        Ok(())
    }

    /// Replica `id` restarted with these durable epochs: un-fsynced epoch writes were lost,
    /// which is allowed, since nothing relied on them.
    pub fn on_restart(&mut self, id: ServerId, accepted: Epoch, current: Epoch) -> Check {
        for (accepted_kind, epoch) in [(true, accepted), (false, current)] {
            let old = self
                .requested
                .get(&(id, accepted_kind))
                .copied()
                .unwrap_or_default();
            if epoch > old {
                return Err(format!(
                    "{id} restarted with epoch {epoch} it never asked for"
                ));
            }
            self.requested.insert((id, accepted_kind), epoch);
        }
        if current > accepted {
            return Err(format!(
                "{id} restarted with currentEpoch {current} above acceptedEpoch {accepted}"
            ));
        }
        Ok(())
    }

    /// Replica `id` is the established leader of `epoch`.
    pub fn on_established(&mut self, id: ServerId, epoch: Epoch) -> Check {
        match self.leaders.insert(epoch, id) {
            Some(other) if other != id => Err(format!(
                "two established leaders in epoch {epoch}: {other} and {id}"
            )),
            _ => Ok(()),
        }
    }

    /// Replica `id` sends `msg`: acknowledgements only of what its disk holds.
    /// `accepted` is the epoch it accepted, `newleader_upto` its log end at NEWLEADER.
    pub fn on_send(
        &self,
        id: ServerId,
        msg: &Message,
        disk: &Disk,
        accepted: Epoch,
        newleader_upto: Option<Zxid>,
    ) -> Check {
        match msg {
            Message::AckEpoch { .. } if disk.accepted < accepted => Err(format!(
                "{id} sends ACKEPOCH for {accepted} with acceptedEpoch {} on disk",
                disk.accepted
            )),
            Message::Ack { zxid } if zxid.counter() == 0 => {
                let upto = newleader_upto.unwrap_or(Zxid::ZERO);
                if disk.current < zxid.epoch() {
                    Err(format!(
                        "{id} acks NEWLEADER {zxid} with currentEpoch {} on disk (ZOOKEEPER-4646)",
                        disk.current
                    ))
                } else if disk.install_pending() || disk.durable_last() < upto {
                    Err(format!(
                        "{id} acks NEWLEADER {zxid} before its synced txns up to {upto} are durable (ZOOKEEPER-3911)"
                    ))
                } else {
                    Ok(())
                }
            }
            Message::Ack { zxid } if !disk.durable_has(*zxid) => {
                Err(format!("{id} acks {zxid} before it is durable"))
            }
            _ => Ok(()),
        }
    }
}

/// Replica `id` asks to persist `currentEpoch`: the history it accepted (its log up to
/// `upto`, or a pending snapshot) must already be durable (ZOOKEEPER-4643's order).
pub fn check_current_epoch_order(id: ServerId, disk: &Disk, upto: Zxid) -> Check {
    if disk.install_pending() || disk.durable_last() < upto {
        Err(format!(
            "{id} writes currentEpoch before its history up to {upto} is durable (durable: {}) (ZOOKEEPER-4643)",
            disk.durable_last()
        ))
    } else {
        Ok(())
    }
}
