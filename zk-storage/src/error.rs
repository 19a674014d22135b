//! Errors of the storage layer.

use std::path::PathBuf;

/// A storage error. Every variant that concerns a file names it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O operation failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done (`open`, `fsync`, `rename`, ...).
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A txn log file is damaged in a way a torn write cannot explain (a complete record whose
    /// checksum fails, a zxid that does not increase, valid records after a damaged one): the
    /// history may have lost acknowledged txns, so the log is not opened. Never "fixed" by
    /// truncation; the node must be resynced from the quorum.
    #[error("corrupt txn log {} at offset {offset}: {reason}", path.display())]
    CorruptLog {
        /// The log file.
        path: PathBuf,
        /// Byte offset of the damaged record (or header) in the file.
        offset: u64,
        /// What was found.
        reason: String,
    },
    /// Reading the log crossed two consecutive entries whose zxids do not follow each other
    /// (a txn is missing between them). See [`zxid_follows`](crate::zxid_follows).
    #[error("gap in txn log {} at offset {offset}: zxid {next} does not follow {prev}", path.display())]
    ZxidGap {
        /// The log file holding the later entry (`memory` for the in-memory log).
        path: PathBuf,
        /// Byte offset of the later entry (its index for the in-memory log).
        offset: u64,
        /// The zxid before the gap.
        prev: zk_proto::Zxid,
        /// The zxid after the gap.
        next: zk_proto::Zxid,
    },
    /// An append whose zxid does not follow the log's last zxid: a regression, a duplicate or
    /// a gap. The log is unchanged and stays usable.
    #[error("cannot append zxid {zxid} after {last}: zxids must increase with no gap")]
    ZxidOrder {
        /// The log's last zxid.
        last: zk_proto::Zxid,
        /// The zxid offered.
        zxid: zk_proto::Zxid,
    },
    /// An earlier write, preallocation or fsync failed, so what is on disk is unknown: the log
    /// refuses all further writes (fsyncgate: a failed fsync is never retried and trusted).
    /// Reopen the log to recover what is durable.
    #[error("txn log refuses writes after an earlier failure: {cause}")]
    Poisoned {
        /// The first failure.
        cause: String,
    },
    /// An `acceptedEpoch` / `currentEpoch` file holds something other than a decimal epoch.
    #[error("invalid epoch file {}: {reason}", path.display())]
    InvalidEpochFile {
        /// The epoch file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// A snapshot is truncated, fails its checksum or is malformed. Recovery skips it and falls
    /// back to an older one.
    #[error("invalid snapshot {} at offset {offset}: {reason}", file.display())]
    InvalidSnapshot {
        /// The snapshot file (or the in-memory store's name for it).
        file: PathBuf,
        /// Offset in the uncompressed snapshot stream where the problem was found.
        offset: u64,
        /// What was wrong.
        reason: String,
    },
    /// Recovery found no usable snapshot while older history is gone (logs that do not start
    /// at the first txn, or only invalid snapshots): starting would serve a partial tree
    /// (ZOOKEEPER-2325), so the server must not start.
    #[error(
        "no usable snapshot ({tried} tried) and the txn log does not reach back to the first \
         txn (it starts at {first_logged}); refusing to start with a partial tree"
    )]
    NoUsableSnapshot {
        /// How many snapshots were tried (all invalid).
        tried: usize,
        /// The first zxid the txn log holds (`Zxid::NONE` if there is no log at all).
        first_logged: zk_proto::Zxid,
    },
    /// The txn log does not continue where the loaded snapshot ends: txns between them were
    /// purged or lost, so replay would skip history.
    #[error("txn log gap after snapshot {snapshot_zxid}: the next logged txn is {next_zxid}")]
    LogGapAfterSnapshot {
        /// The zxid of the loaded snapshot.
        snapshot_zxid: zk_proto::Zxid,
        /// The first logged zxid after it.
        next_zxid: zk_proto::Zxid,
    },
    /// The recovery target refused to apply a logged txn (for example ZooKeeper's "parent
    /// missing" on a create): the log and the snapshot disagree, and replay stops.
    #[error("replaying txn {zxid} failed: {source}")]
    Replay {
        /// The txn's zxid.
        zxid: zk_proto::Zxid,
        /// The target's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
