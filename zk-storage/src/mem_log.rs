//! [`MemTxnLog`]: the in-memory [`TxnLog`], for tests, simulations and programs that do not
//! need persistence.

use std::path::PathBuf;

use zk_proto::Zxid;

use crate::entry::{zxid_follows, LogEntry};
use crate::txn_log::{TxnIter, TxnLog};
use crate::{Error, Result};

/// An in-memory [`TxnLog`] that simulates durability: [`sync`](TxnLog::sync) marks the
/// appended entries durable, and [`crash`](MemTxnLog::crash) drops the others, as a power loss
/// would. It passes the same conformance suite as [`FileTxnLog`](crate::FileTxnLog).
///
/// ```
/// use zk_storage::{BytesEntry, MemTxnLog, TxnLog};
///
/// let mut log = MemTxnLog::new();
/// log.append(BytesEntry::new(1, &b"a"[..]))?;
/// log.append(BytesEntry::new(2, &b"b"[..]))?;
/// assert_eq!(log.sync()?.map(|z| z.0), Some(2));
/// log.append(BytesEntry::new(3, &b"c"[..]))?;
/// log.crash(); // entry 3 was never synced
/// let seqs: Vec<i64> = log.read_from(zk_proto::Zxid(0))?.map(|e| e.unwrap().zxid.0).collect();
/// assert_eq!(seqs, [1, 2]);
/// # Ok::<(), zk_storage::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct MemTxnLog<E> {
    entries: Vec<E>,
    /// How many leading entries are durable.
    durable: usize,
    /// The position set by `skip_to`, when it is past the last entry.
    skipped_to: Option<Zxid>,
}

impl<E: LogEntry> Default for MemTxnLog<E> {
    fn default() -> Self {
        MemTxnLog {
            entries: Vec::new(),
            durable: 0,
            skipped_to: None,
        }
    }
}

impl<E: LogEntry> MemTxnLog<E> {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Simulates a crash and restart: entries appended since the last sync are lost, and the
    /// `skip_to` position (not persisted, as with files) is forgotten.
    pub fn crash(&mut self) {
        self.entries.truncate(self.durable);
        self.skipped_to = None;
    }

    fn last_entry_zxid(&self) -> Option<Zxid> {
        self.entries.last().map(LogEntry::zxid)
    }

    /// Index of the first entry with zxid > `zxid`.
    fn index_after(&self, zxid: Zxid) -> usize {
        self.entries.partition_point(|e| e.zxid() <= zxid)
    }
}

impl<E: LogEntry> TxnLog for MemTxnLog<E> {
    type Entry = E;

    fn append(&mut self, entry: E) -> Result<()> {
        if let Some(last) = self.last_zxid() {
            if !zxid_follows(last, entry.zxid()) {
                return Err(Error::ZxidOrder {
                    last,
                    zxid: entry.zxid(),
                });
            }
        }
        self.entries.push(entry);
        Ok(())
    }

    fn sync(&mut self) -> Result<Option<Zxid>> {
        self.durable = self.entries.len();
        Ok(self.durable_zxid())
    }

    fn read_from(&self, zxid: Zxid) -> Result<TxnIter<'_, E>> {
        let start = self.entries[..self.durable].partition_point(|e| e.zxid() < zxid);
        let mut prev: Option<Zxid> = None;
        let mut failed = false;
        let iter = self.entries[start..self.durable]
            .iter()
            .enumerate()
            .map_while(move |(i, e)| {
                if failed {
                    return None;
                }
                let next = e.zxid();
                if let Some(p) = prev.filter(|p| !zxid_follows(*p, next)) {
                    failed = true;
                    return Some(Err(Error::ZxidGap {
                        path: PathBuf::from("memory"),
                        offset: (start + i) as u64,
                        prev: p,
                        next,
                    }));
                }
                prev = Some(next);
                Some(Ok(e.clone()))
            });
        Ok(Box::new(iter))
    }

    fn first_zxid(&self) -> Option<Zxid> {
        self.entries[..self.durable].first().map(LogEntry::zxid)
    }

    fn last_zxid(&self) -> Option<Zxid> {
        self.last_entry_zxid().max(self.skipped_to)
    }

    fn durable_zxid(&self) -> Option<Zxid> {
        let last_durable = self.durable.checked_sub(1).map(|i| self.entries[i].zxid());
        last_durable.max(self.skipped_to)
    }

    fn truncate_after(&mut self, zxid: Zxid) -> Result<()> {
        let keep = self.index_after(zxid);
        self.entries.truncate(keep);
        self.durable = keep;
        if self.skipped_to.is_some_and(|s| s > zxid) {
            self.skipped_to = None;
        }
        Ok(())
    }

    fn skip_to(&mut self, zxid: Zxid) -> Result<()> {
        self.truncate_after(zxid)?;
        if self.last_entry_zxid().is_none_or(|last| last < zxid) {
            self.skipped_to = Some(zxid);
        }
        Ok(())
    }

    fn purge_before(&mut self, zxid: Zxid) -> Result<()> {
        // The finest unit is one entry: keep exactly what read_from(zxid) needs, and the last
        // durable entry, as a file log keeps the file being written.
        let older = self.entries[..self.durable].partition_point(|e| e.zxid() < zxid);
        let drop = older.min(self.durable.saturating_sub(1));
        self.entries.drain(..drop);
        self.durable -= drop;
        Ok(())
    }

    fn roll(&mut self) -> Result<()> {
        self.sync().map(drop)
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::conformance::MemHarness;

    crate::txn_log_conformance_tests!(MemHarness::default());
}
