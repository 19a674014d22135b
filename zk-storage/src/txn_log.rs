//! [`TxnLog`]: the write-ahead log of txns, as a trait with a written contract.
//!
//! Two implementations share one conformance suite: [`MemTxnLog`](crate::MemTxnLog) (durability
//! simulated) and [`FileTxnLog`](crate::FileTxnLog) (Apache 3.8's `log.<zxid>` files).

use zk_proto::Zxid;

use crate::entry::LogEntry;
use crate::Result;

/// An iterator over log entries, each read, checksummed and decoded as it is reached.
pub type TxnIter<'a, E> = Box<dyn Iterator<Item = Result<E>> + 'a>;

/// A write-ahead log of entries ordered by zxid, with explicit durability.
///
/// # Contract
///
/// **Order.** [`append`](TxnLog::append) accepts an entry only if its zxid
/// [follows](crate::zxid_follows) [`last_zxid`](TxnLog::last_zxid): the next counter of the
/// same epoch, or any zxid of a later epoch. A regression, a duplicate or a hole within an
/// epoch is [`Error::ZxidOrder`](crate::Error::ZxidOrder): an error value, not a panic, and the
/// log is unchanged. The first append to an empty log may carry any zxid.
///
/// **Durability.** Nothing appended is durable until [`sync`](TxnLog::sync) returns
/// `Ok(durable)`; then every entry up to `durable` survives a crash. Many appends and one
/// `sync` make a group commit. A server acknowledges a txn only when a `sync` result covers
/// its zxid. Dropping the log (or crashing) loses what was appended after the last successful
/// `sync`, and nothing else.
///
/// **Failure is final.** If writing, preallocating or syncing fails, the call returns the error
/// and every later write (`append`, `sync`, `roll`, `truncate_after`, `skip_to`) returns
/// [`Error::Poisoned`](crate::Error::Poisoned). A failed fsync is never retried: after one,
/// the kernel may have dropped the dirty pages while a retry reports success (fsyncgate). To
/// continue, reopen the log; recovery finds what really is durable. Reads stay available.
///
/// **Reads** see the durable prefix only. [`read_from(z)`](TxnLog::read_from) yields, in order,
/// the durable entries with zxid ≥ `z`. Consecutive yielded entries always follow each other:
/// where the stored history has a hole (left by [`skip_to`](TxnLog::skip_to), or by another
/// writer), the iterator yields [`Error::ZxidGap`](crate::Error::ZxidGap) naming the place and
/// stops. The *first* yielded entry is not checked against `z`: a caller that needs
/// "continues exactly after zxid S" (recovery after a snapshot at S) checks it with
/// [`zxid_follows`](crate::zxid_follows). Damaged data is an error, never silently skipped.
///
/// **Recovery** (opening a persistent log) yields a prefix of what was appended that contains
/// every entry a successful `sync` covered. A torn tail (a partial record left by a crash,
/// with nothing valid after it) is cut off with a warning. Damage that a crash cannot explain
/// (a complete record with a bad checksum, valid records after a damaged one, zxids that do
/// not increase) is an error naming the file and offset: never a silent truncation.
///
/// **Truncation** ([`truncate_after`](TxnLog::truncate_after), for ZAB's TRUNC) and
/// [`skip_to`](TxnLog::skip_to) (after a SNAP sync) are durable when they return: a crash
/// afterwards never brings back a removed entry. Both first make every kept entry durable.
///
/// **Purging** ([`purge_before`](TxnLog::purge_before)) removes only whole units (files) of
/// entries older than the given zxid and keeps everything [`read_from`](TxnLog::read_from) of
/// that zxid needs.
pub trait TxnLog {
    /// What the log stores.
    type Entry: LogEntry;

    /// Appends an entry (not yet durable). Fails with `ZxidOrder` if its zxid does not follow
    /// [`last_zxid`](TxnLog::last_zxid), or `Poisoned` after an earlier write failure.
    fn append(&mut self, entry: Self::Entry) -> Result<()>;

    /// Makes every appended entry durable (one fsync for all of them) and returns the highest
    /// durable zxid (`None` if the log is empty). An error poisons the log.
    fn sync(&mut self) -> Result<Option<Zxid>>;

    /// The durable entries with zxid ≥ `zxid`, in order (see the contract for gaps).
    fn read_from(&self, zxid: Zxid) -> Result<TxnIter<'_, Self::Entry>>;

    /// The zxid of the first durable entry, if any.
    fn first_zxid(&self) -> Option<Zxid>;

    /// The zxid the next append must follow: the last appended entry (durable or not), or the
    /// zxid given to [`skip_to`](TxnLog::skip_to) if that is later. `None` for an empty log.
    fn last_zxid(&self) -> Option<Zxid>;

    /// The highest durable zxid: what the last successful [`sync`](TxnLog::sync) returned, or
    /// what recovery found.
    fn durable_zxid(&self) -> Option<Zxid>;

    /// Removes every entry with zxid > `zxid`, durable or not, durably (ZAB's TRUNC: the leader
    /// tells a follower to drop txns it never committed). Entries ≤ `zxid` that were appended
    /// but not synced are synced. Afterwards [`last_zxid`](TxnLog::last_zxid) is the last kept
    /// entry.
    fn truncate_after(&mut self, zxid: Zxid) -> Result<()>;

    /// Declares that a snapshot at `zxid` covers everything up to it (after a SNAP sync): drops
    /// entries > `zxid` like [`truncate_after`](TxnLog::truncate_after), syncs, and lets the next
    /// append follow `zxid` even if the log ends earlier. The hole left in the stored history
    /// is reported by [`read_from`](TxnLog::read_from) if a read crosses it. The position is not
    /// persisted by the log: after reopening, `last_zxid` is the last stored entry again (the
    /// snapshot at `zxid` is what records it).
    fn skip_to(&mut self, zxid: Zxid) -> Result<()>;

    /// Removes stored entries older than `zxid` in whole units (files), keeping every unit
    /// that [`read_from(zxid)`](TxnLog::read_from) needs. Never removes the unit being written.
    fn purge_before(&mut self, zxid: Zxid) -> Result<()>;

    /// Makes everything appended durable and starts a new unit (file) at the next append. The
    /// server rolls the log when it starts a snapshot, so that purging by snapshot works on
    /// whole files. A no-op for logs without files (beyond the sync).
    fn roll(&mut self) -> Result<()>;
}
