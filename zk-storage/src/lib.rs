//! Durable storage for ZooKeeper state: transaction logs, snapshots and epoch files in Apache
//! ZooKeeper 3.8's on-disk format, usable on its own by any program that wants a checksummed,
//! group-committed write-ahead log.
//!
//! # Layout
//!
//! - [`txn_log`]: the [`TxnLog`] trait, whose `# Contract` is the durability promise.
//! - [`entry`]: what a log stores: [`LogEntry`], [`RawTxn`] (ZooKeeper's txn bytes),
//!   [`BytesEntry`] (any program's), and [`zxid_follows`], the "no holes" rule.
//! - [`mem_log`]: [`MemTxnLog`], in memory, with simulated durability.
//! - [`file_log`]: [`FileTxnLog`], Apache 3.8's `log.<zxid>` files: group commit,
//!   preallocation, recovery. [`log_format`]: their bytes, and how a damaged file is classified
//!   (torn tail versus corruption).
//! - [`epoch`]: [`EpochFiles`], the atomic `acceptedEpoch` / `currentEpoch` files.
//! - [`fs`]: the [`FileSystem`] seam under all file access, and [`StdFs`].
//! - [`snapshot`]: Apache 3.8 snapshots (`snapshot.<zxid>[.gz|.snappy]`) as plain data, a
//!   streaming [`SnapshotReader`](snapshot::SnapshotReader) / [`SnapshotWriter`](snapshot::SnapshotWriter),
//!   and the [`SnapshotStore`](snapshot::SnapshotStore) trait with file and memory stores.
//! - [`recovery`]: newest valid snapshot plus log replay into any
//!   [`RecoveryTarget`](recovery::RecoveryTarget), refusing to start on a purge gap.
//! - [`purge`]: retention (autopurge): keep the newest snapshots and the logs they need.
//! - `testing` (with the `testing` feature, or in this crate's tests): `FaultyFs`, a
//!   fault-injecting in-memory file system, and the `TxnLog` conformance suite.
//!
//! # Using the log on its own
//!
//! The txn log is a general write-ahead log: checksummed records, group commit, crash recovery
//! that keeps every acknowledged entry and refuses corruption. A program that is not ZooKeeper
//! stores [`BytesEntry`] values (a sequence number and its own bytes) or implements
//! [`LogEntry`] for its command type, and acknowledges an operation only once a
//! [`sync`](TxnLog::sync) result covers it:
//!
//! ```
//! use zk_storage::{BytesEntry, FileTxnLog, TxnLog};
//! use zk_proto::Zxid;
//!
//! let dir = tempfile::tempdir()?;
//! let mut counter = 0i64;
//! {
//!     let mut log = FileTxnLog::<BytesEntry>::open(dir.path())?;
//!     for (seq, delta) in [(1, 5i64), (2, -2), (3, 10)] {
//!         log.append(BytesEntry::new(seq, delta.to_be_bytes().to_vec()))?;
//!     }
//!     let durable = log.sync()?; // one fsync for the batch
//!     assert_eq!(durable, Some(Zxid(3))); // now the three operations may be acknowledged
//! }
//! // After a restart (or a crash), replay rebuilds the state from what is durable.
//! let log = FileTxnLog::<BytesEntry>::open(dir.path())?;
//! for entry in log.read_from(Zxid(1))? {
//!     let entry = entry?; // a checksum failure or a gap is an error, never skipped
//!     counter += i64::from_be_bytes(entry.payload[..].try_into()?);
//! }
//! assert_eq!(counter, 13);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Durability rules, in short (the [`TxnLog`] contract has them in full): nothing is durable
//! before `sync` returns; a failed write or fsync poisons the log, which then refuses every
//! write until it is reopened; reopening keeps a prefix that holds every synced entry, cuts a
//! torn tail with a warning, and refuses damage a crash cannot explain with an error naming
//! the file and offset.

pub mod entry;
pub mod epoch;
pub mod error;
pub mod file_log;
mod file_txn_iterator;
pub mod fs;
pub mod log_format;
pub mod mem_log;
pub mod purge;
pub mod recovery;
pub mod snapshot;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod txn_log;

pub use entry::{zxid_follows, BytesEntry, EntryError, LogEntry, RawTxn};
pub use epoch::{EpochFiles, EpochKind};
pub use error::{Error, Result};
pub use file_log::{DetachedLogFiles, FileTxnLog, FileTxnLogConfig, LogFile};
pub use fs::{FileHandle, FileSystem, StdFs};
pub use mem_log::MemTxnLog;
pub use txn_log::{TxnIter, TxnLog};
