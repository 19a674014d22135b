//! [`Disk`]: a simulated data directory with a durable part and a pending (written but not
//! fsynced) part.
//!
//! It models what the core's storage contract allows and no more (see [`crate::action`]):
//!
//! - the txn log and snapshot installs form one ordered queue; a crash keeps a random
//!   *prefix* of the pending queue (a torn log tail is truncated, an install is atomic);
//! - `acceptedEpoch` and `currentEpoch` are separate files, each with its own queue: a crash
//!   keeps a random prefix of each, independently of the log — the core must order them
//!   itself where it matters (ZOOKEEPER-4643);
//! - a truncation first makes the queue durable, then truncates, synchronously;
//! - the state machine's snapshot (saved now and then by the replica) is durable at once.

use std::collections::VecDeque;

use zk_proto::{Epoch, Zxid};

use crate::action::EpochKind;
use crate::message::Proposal;
use crate::state::Restored;

use super::rng::SimRng;
use super::state_machine::SmState;

/// One pending log operation.
#[derive(Debug, Clone)]
enum LogOp {
    Append(Vec<Proposal>),
    Install(SmState),
}

/// A completion to report to the core once an operation became durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// `on_log_persisted(zxid)`.
    Log(Zxid),
    /// `on_snapshot_installed(zxid)`.
    Snapshot(Zxid),
    /// `on_epoch_persisted(kind, epoch)`.
    Epoch(EpochKind, Epoch),
}

/// A simulated data directory.
#[derive(Debug, Clone, Default)]
pub struct Disk {
    /// Durable `acceptedEpoch`.
    pub accepted: Epoch,
    /// Durable `currentEpoch`.
    pub current: Epoch,
    /// Durable txn log.
    pub log: Vec<Proposal>,
    /// Durable state machine snapshot.
    pub snapshot: SmState,
    log_ops: VecDeque<LogOp>,
    accepted_ops: VecDeque<Epoch>,
    current_ops: VecDeque<Epoch>,
    /// The last zxid of the log as the core sees it (durable and pending).
    view_last: Zxid,
}

impl Disk {
    /// The last zxid of the durable log (or of the durable snapshot below an empty log).
    pub fn durable_last(&self) -> Zxid {
        self.log
            .last()
            .map_or(self.snapshot.zxid, |p| p.zxid.max(self.snapshot.zxid))
    }

    /// The last zxid of the log including pending appends: what the core believes it logged.
    pub fn view_last(&self) -> Zxid {
        self.view_last
    }

    /// Whether `zxid` is durable here: in the durable log or covered by the durable snapshot.
    pub fn durable_has(&self, zxid: Zxid) -> bool {
        zxid <= self.snapshot.zxid || self.log.binary_search_by_key(&zxid, |p| p.zxid).is_ok()
    }

    /// Whether a snapshot install is pending.
    pub fn install_pending(&self) -> bool {
        self.log_ops
            .iter()
            .any(|op| matches!(op, LogOp::Install(_)))
    }

    /// Whether anything is pending.
    pub fn has_pending(&self) -> bool {
        !self.log_ops.is_empty() || !self.accepted_ops.is_empty() || !self.current_ops.is_empty()
    }

    /// Every logged proposal above `zxid`, durable or pending, as the core sees the log.
    pub fn view_entries_above(&self, zxid: Zxid) -> Vec<Zxid> {
        let mut entries: Vec<Zxid> = self.log.iter().map(|p| p.zxid).collect();
        for op in &self.log_ops {
            match op {
                LogOp::Append(txns) => entries.extend(txns.iter().map(|p| p.zxid)),
                LogOp::Install(_) => entries.clear(),
            }
        }
        entries.retain(|z| *z > zxid);
        entries
    }

    /// Queues an append.
    pub fn append(&mut self, txns: Vec<Proposal>) {
        if let Some(p) = txns.last() {
            self.view_last = p.zxid;
        }
        self.log_ops.push_back(LogOp::Append(txns));
    }

    /// Queues a snapshot install (replaces state and log atomically when durable).
    pub fn install(&mut self, state: SmState) {
        self.view_last = state.zxid;
        self.log_ops.push_back(LogOp::Install(state));
    }

    /// Queues an epoch write.
    pub fn persist_epoch(&mut self, kind: EpochKind, epoch: Epoch) {
        match kind {
            EpochKind::Accepted => self.accepted_ops.push_back(epoch),
            EpochKind::Current => self.current_ops.push_back(epoch),
        }
    }

    /// Saves the state machine as the durable snapshot (the caller checks it is safe).
    pub fn save_snapshot(&mut self, state: SmState) {
        if state.count >= self.snapshot.count {
            self.snapshot = state;
        }
    }

    /// Truncates the log after `zxid`, synchronously: the pending queue is made durable
    /// first. Returns the completions of what was flushed.
    pub fn truncate(&mut self, zxid: Zxid) -> Vec<Completion> {
        let done = self.flush_log(usize::MAX);
        self.log.retain(|p| p.zxid <= zxid);
        self.view_last = self.durable_last();
        done
    }

    /// Makes up to `max_ops` pending log operations durable, in order.
    pub fn flush_log(&mut self, max_ops: usize) -> Vec<Completion> {
        let mut done = Vec::new();
        for _ in 0..max_ops {
            let Some(op) = self.log_ops.pop_front() else {
                break;
            };
            match op {
                LogOp::Append(txns) => {
                    if let Some(p) = txns.last() {
                        // Group commit: one report for a run of appends.
                        if let Some(Completion::Log(z)) = done.last_mut() {
                            *z = p.zxid;
                        } else {
                            done.push(Completion::Log(p.zxid));
                        }
                    }
                    self.log.extend(txns);
                }
                LogOp::Install(state) => {
                    self.log.clear();
                    self.snapshot = state;
                    done.push(Completion::Snapshot(state.zxid));
                }
            }
        }
        done
    }

    /// Makes up to `max_ops` pending writes of each epoch file durable.
    pub fn flush_epochs(&mut self, max_ops: usize) -> Vec<Completion> {
        let mut done = Vec::new();
        for _ in 0..max_ops {
            let Some(e) = self.accepted_ops.pop_front() else {
                break;
            };
            self.accepted = e;
            done.push(Completion::Epoch(EpochKind::Accepted, e));
        }
        for _ in 0..max_ops {
            let Some(e) = self.current_ops.pop_front() else {
                break;
            };
            self.current = e;
            done.push(Completion::Epoch(EpochKind::Current, e));
        }
        done
    }

    /// A crash: a random prefix of each pending queue reaches the disk, the rest is lost.
    pub fn crash(&mut self, rng: &mut SimRng) {
        let keep_log = rng.below(self.log_ops.len() as u64 + 1) as usize;
        self.flush_log(keep_log);
        if keep_log < self.log_ops.len() {
            // A torn append: a random prefix of the next batch survives.
            if let Some(LogOp::Append(txns)) = self.log_ops.front() {
                let n = rng.below(txns.len() as u64 + 1) as usize;
                let torn = txns[..n].to_vec();
                self.log.extend(torn);
            }
        }
        self.log_ops.clear();
        let keep = rng.below(self.accepted_ops.len() as u64 + 1) as usize;
        for e in self.accepted_ops.drain(..).take(keep) {
            self.accepted = e;
        }
        let keep = rng.below(self.current_ops.len() as u64 + 1) as usize;
        for e in self.current_ops.drain(..).take(keep) {
            self.current = e;
        }
        self.view_last = self.durable_last();
    }

    /// Drops every pending write, as a power loss right now would at worst.
    pub fn lose_pending(&mut self) {
        self.log_ops.clear();
        self.accepted_ops.clear();
        self.current_ops.clear();
        self.view_last = self.durable_last();
    }

    /// A lost data directory: a brand-new server.
    pub fn wipe(&mut self) {
        *self = Disk::default();
    }

    /// What a restarted peer reads back. Call after [`Disk::crash`] (nothing pending). A log
    /// that ends below the snapshot is obsolete and discarded first, as the storage contract
    /// asks, so that later appends never leave a hole.
    pub fn restored(&mut self) -> Restored {
        if self.log.last().is_some_and(|p| p.zxid < self.snapshot.zxid) {
            self.log.clear();
            self.view_last = self.durable_last();
        }
        Restored {
            accepted_epoch: self.accepted,
            current_epoch: self.current,
            snapshot_zxid: self.snapshot.zxid,
            log: self.log.clone(),
        }
    }
}
