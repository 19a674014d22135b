//! [`TxnLog`]: the core's in-memory view of its txn log.
//!
//! It holds the committed-log window (the newest `committed_log_max` committed proposals, as
//! `ZKDatabase.committedLog` does, for DIFF syncs) and every proposal above the commit point.
//! Alongside it tracks three zxids:
//!
//! ```text
//!   base < ...window (committed)... <= committed < ...pending... <= last
//!                                    durable: how much of it the caller has fsynced
//! ```
//!
//! `base` is the zxid just below the oldest proposal held (a snapshot zxid, or an evicted
//! proposal): a learner whose last zxid equals `base` can still be synced by DIFF.

use std::collections::VecDeque;

use zk_proto::Zxid;

use crate::message::Proposal;

/// Whether `next` may directly follow `prev` in a Zab history: the next counter of the same
/// epoch, or the first counter of a later epoch. A learner rejects a proposal that does not
/// (ZOOKEEPER-4925's fix rejects discontinuous proposals the same way).
///
/// ```
/// use zk_proto::{Epoch, Zxid};
/// use zk_zab::log::is_successor;
/// let z = |e, c| Zxid::new(Epoch(e), c);
/// assert!(is_successor(z(1, 4), z(1, 5)));
/// assert!(is_successor(z(1, 4), z(3, 1)));
/// assert!(is_successor(Zxid::ZERO, z(1, 1)));
/// assert!(!is_successor(z(1, 4), z(1, 6)));
/// assert!(!is_successor(z(2, 4), z(1, 5)));
/// ```
pub fn is_successor(prev: Zxid, next: Zxid) -> bool {
    if next.epoch() == prev.epoch() {
        prev.counter() != u32::MAX && next.counter() == prev.counter() + 1
    } else {
        next.epoch() > prev.epoch() && next.counter() == 1
    }
}

/// The in-memory txn log of a peer. Read-only outside the crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnLog {
    entries: VecDeque<Proposal>,
    base: Zxid,
    committed: Zxid,
    durable: Zxid,
    snapshot_pending: Option<Zxid>,
    window_max: usize,
}

impl TxnLog {
    /// A log holding `entries` (ascending, each following the previous) above `base`, with
    /// everything up to `committed` committed and everything durable.
    pub fn new(base: Zxid, entries: Vec<Proposal>, committed: Zxid, window_max: usize) -> TxnLog {
        let mut log = TxnLog {
            entries: entries.into(),
            base,
            committed,
            durable: Zxid::ZERO,
            snapshot_pending: None,
            window_max: window_max.max(1),
        };
        log.durable = log.last();
        log.trim_window();
        log
    }

    /// The zxid just below the oldest proposal held.
    pub fn base(&self) -> Zxid {
        self.base
    }

    /// The last logged zxid (`base` when nothing is held).
    pub fn last(&self) -> Zxid {
        self.entries.back().map_or(self.base, |p| p.zxid)
    }

    /// The last committed zxid: `Commit` actions were emitted up to here.
    pub fn committed(&self) -> Zxid {
        self.committed
    }

    /// The last zxid the caller reported durable (never above `last`).
    pub fn durable(&self) -> Zxid {
        self.durable.min(self.last())
    }

    /// The zxid of a snapshot whose installation has not been reported durable yet.
    pub fn snapshot_pending(&self) -> Option<Zxid> {
        self.snapshot_pending
    }

    /// The oldest proposal held (`minCommittedLog` when committed), if any.
    pub fn first(&self) -> Option<Zxid> {
        self.entries.front().map(|p| p.zxid)
    }

    /// The number of proposals held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no proposal is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `zxid` is in this history as far as the log can tell: `base` or a held proposal.
    pub fn contains(&self, zxid: Zxid) -> bool {
        zxid == self.base || self.index_of(zxid).is_some()
    }

    /// The newest zxid of this history at or below `zxid` (`base` if none is held), or `None`
    /// when `zxid` is below `base`.
    pub fn newest_at_or_below(&self, zxid: Zxid) -> Option<Zxid> {
        if zxid < self.base {
            return None;
        }
        let n = self.entries.partition_point(|p| p.zxid <= zxid);
        Some(if n == 0 {
            self.base
        } else {
            self.entries[n - 1].zxid
        })
    }

    /// The held proposal with this zxid.
    pub fn get(&self, zxid: Zxid) -> Option<&Proposal> {
        self.index_of(zxid).map(|i| &self.entries[i])
    }

    /// The held proposals above `zxid`, in order.
    pub fn entries_after(&self, zxid: Zxid) -> impl Iterator<Item = &Proposal> {
        let start = self.entries.partition_point(|p| p.zxid <= zxid);
        self.entries.range(start..)
    }

    fn index_of(&self, zxid: Zxid) -> Option<usize> {
        self.entries.binary_search_by_key(&zxid, |p| p.zxid).ok()
    }

    /// Appends a proposal that follows `last`.
    pub(crate) fn append(&mut self, proposal: Proposal) {
        assert!(
            proposal.zxid > self.last(),
            "append of {} after {} would break the log order",
            proposal.zxid,
            self.last()
        );
        self.entries.push_back(proposal);
    }

    /// Drops every proposal above `zxid` (never a committed one).
    pub(crate) fn truncate_after(&mut self, zxid: Zxid) {
        assert!(zxid >= self.committed, "truncating committed txns");
        let keep = self.entries.partition_point(|p| p.zxid <= zxid);
        self.entries.truncate(keep);
        self.durable = self.durable.min(self.last());
    }

    /// Replaces everything with a snapshot at `zxid` whose installation is pending.
    pub(crate) fn reset_to_snapshot(&mut self, zxid: Zxid) {
        self.entries.clear();
        self.base = zxid;
        self.committed = zxid;
        self.durable = zxid;
        self.snapshot_pending = Some(zxid);
    }

    /// Records that appends up to `zxid` are durable. Reports that arrive while a snapshot
    /// installation is pending describe the log the snapshot replaces, and are ignored.
    pub(crate) fn on_persisted(&mut self, zxid: Zxid) -> bool {
        if self.snapshot_pending.is_some() {
            return false;
        }
        let new = zxid.min(self.last()).max(self.durable);
        let changed = new != self.durable;
        self.durable = new;
        changed
    }

    /// Records that the pending snapshot at `zxid` is durable.
    pub(crate) fn on_snapshot_installed(&mut self, zxid: Zxid) -> bool {
        if self.snapshot_pending == Some(zxid) {
            self.snapshot_pending = None;
            true
        } else {
            false
        }
    }

    /// Marks everything up to `zxid` (clamped to `last`) committed and returns the newly
    /// committed proposals, in order.
    pub(crate) fn commit_upto(&mut self, zxid: Zxid) -> Vec<Proposal> {
        let zxid = zxid.min(self.last());
        if zxid <= self.committed {
            return Vec::new();
        }
        let newly = self
            .entries_after(self.committed)
            .take_while(|p| p.zxid <= zxid)
            .cloned()
            .collect();
        self.committed = zxid;
        self.trim_window();
        newly
    }

    /// Evicts the oldest committed proposals beyond the window size.
    fn trim_window(&mut self) {
        let committed = self.entries.partition_point(|p| p.zxid <= self.committed);
        let excess = committed.saturating_sub(self.window_max);
        for _ in 0..excess {
            if let Some(p) = self.entries.pop_front() {
                self.base = p.zxid;
            }
        }
    }
}
