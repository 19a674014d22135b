//! Quorum-mode storage: what a replica recovers at start, and the storage thread that executes
//! the ZAB core's log, epoch and snapshot actions in order.
//!
//! In standalone mode the log is replayed into the tree at start ([`crate::persistence`]). A
//! replica must not do that: only *committed* txns may reach the tree, and only the ZAB core
//! ([`zk_zab::Peer`]) knows which logged txns are committed (ZooKeeper's replay of its whole
//! log, committed or not, is ZOOKEEPER-1549 / 2845). So recovery here stops at the snapshot:
//!
//! ```text
//!   snapshot.S  ──>  QuorumRecovered::tree, ::sessions      (committed state at S)
//!   log above S ──>  Restored::log                           (the Peer decides what commits)
//!   acceptedEpoch, currentEpoch (dataDir/version-2) ──> Restored::{accepted,current}_epoch
//! ```
//!
//! Everything the core asks for afterwards goes through one [`StorageThread`], which executes
//! [`StorageCommand`]s strictly in order and reports [`StorageEvent`]s in the order things
//! became durable: appends are group-committed (one fsync per batch, and before any other
//! command), a truncation is durable before the next command, epoch files are replaced
//! atomically, and an installed snapshot cuts the log after its zxid and then is written
//! (that order is the safe one for a crash in between; see [`StorageCommand::InstallSnapshot`]
//! and the thread's code). Any storage failure is [`StorageEvent::Failed`] and ends the
//! thread: the server must stop rather than acknowledge anything the disk may have dropped.
//!
//! # Layout
//!
//! - this file: [`QuorumStorage`] (open, recover) and [`QuorumRecovered`].
//! - `thread`: [`StorageCommand`], [`StorageEvent`], [`StorageThread`].
//! - `sync_body`: [`encode_sync_snapshot`] / [`decode_sync_snapshot`], the snapshot body a
//!   leader streams after a SNAP packet.
//!
//! # Example
//!
//! ```
//! use zk_server::config::ServerConfig;
//! use zk_server::ensemble::storage::{QuorumStorage, StorageCommand, StorageEvent, StorageThread};
//! use zk_proto::Epoch;
//!
//! let dir = tempfile::tempdir()?;
//! let config = ServerConfig {
//!     data_dir: dir.path().into(),
//!     data_log_dir: dir.path().into(),
//!     ..ServerConfig::default()
//! };
//! let mut storage = QuorumStorage::open(&config)?;
//! let recovered = storage.recover()?;
//! assert!(recovered.restored.log.is_empty()); // a brand-new replica
//!
//! let (thread, mut events) = StorageThread::start(storage, &config)?;
//! thread.submit(StorageCommand::PersistEpoch(zk_zab::EpochKind::Accepted, Epoch(1)));
//! assert!(matches!(
//!     events.blocking_recv(),
//!     Some(StorageEvent::EpochPersisted(zk_zab::EpochKind::Accepted, Epoch(1)))
//! ));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use zk_proto::{Epoch, SessionId, Zxid};
use zk_storage::recovery::{Recovery, RecoveryTarget};
use zk_storage::snapshot::{
    SnapshotAcl, SnapshotInfo, SnapshotNode, SnapshotSession, SnapshotTrailer,
};
use zk_storage::{EpochFiles, EpochKind, LogEntry, RawTxn, TxnLog};
use zk_tree::data_tree::DataTree;
use zk_zab::log::is_successor;
use zk_zab::{Proposal, Restored};

use crate::config::ServerConfig;
use crate::persistence::{Persistence, RecoveryError, TreeTarget};
use crate::{Error, Result};

mod sync_body;
#[cfg(test)]
mod tests;
mod thread;

pub use self::sync_body::{decode_sync_snapshot, encode_sync_snapshot};
pub use self::thread::{StorageCommand, StorageEvent, StorageThread};

/// What a replica restarts from (see the module docs).
pub struct QuorumRecovered {
    /// The newest valid snapshot's tree, at its zxid; the log is **not** replayed into it.
    /// An empty tree (root and `/zookeeper`) at zxid 0 when there is no snapshot.
    pub tree: DataTree,
    /// The snapshot's session table, with timeouts in ms.
    pub sessions: Vec<(SessionId, i32)>,
    /// For [`zk_zab::Peer::new`]: the epochs, the snapshot's zxid and every logged txn above
    /// it, in order, without holes.
    pub restored: Restored,
}

/// The txn log, the snapshot store and the epoch files of one replica.
pub struct QuorumStorage {
    pub(crate) persistence: Persistence,
    pub(crate) epochs: EpochFiles,
}

impl QuorumStorage {
    /// Opens (creating if needed) `dataLogDir/version-2` and `dataDir/version-2`, cutting a
    /// torn log tail as standalone does. The epoch files live in `dataDir/version-2`, where
    /// Apache's `QuorumPeer` keeps them.
    pub fn open(config: &ServerConfig) -> Result<QuorumStorage> {
        let persistence = Persistence::open(config)?;
        let epochs = EpochFiles::new(config.data_dir.join("version-2"));
        Ok(QuorumStorage {
            persistence,
            epochs,
        })
    }

    /// Loads the newest valid snapshot, reads the log above it and the epoch files.
    ///
    /// Fails if the log above the snapshot has a hole (txns lost: the replica must not take
    /// part with a history it does not have), if no usable snapshot covers a log that does not
    /// reach back to the first txn, or if an epoch file is unreadable or `acceptedEpoch` is
    /// below `currentEpoch`.
    ///
    /// A missing epoch file is derived and written, as Apache's `QuorumPeer.loadDataBase`
    /// does: `currentEpoch` becomes the epoch of the last logged zxid (a data directory from
    /// a standalone server), and `acceptedEpoch` becomes `currentEpoch`.
    pub fn recover(&mut self) -> Result<QuorumRecovered> {
        let p = &mut self.persistence;
        let mut target = QuorumTarget {
            inner: TreeTarget::new(p.extended_types),
            snapshot_zxid: Zxid::ZERO,
            log: Vec::new(),
        };
        let report = Recovery::new(&p.snapshots, &p.log).run(&mut target)?;
        for (snapshot, reason) in &report.skipped {
            tracing::warn!(snapshot = %snapshot.name, %reason, "skipped an unusable snapshot");
        }
        let snapshot_zxid = target.snapshot_zxid;
        check_no_holes(snapshot_zxid, &target.log)?;
        if p.log.last_zxid().is_none_or(|z| z < snapshot_zxid) {
            // The log ends below the snapshot (a SNAP sync, or a purge): appends continue after
            // the snapshot, so the log on disk never gets a hole in the part that matters.
            p.log.skip_to(snapshot_zxid)?;
        }
        let mut tree = target
            .inner
            .tree
            .take()
            .unwrap_or_else(|| DataTree::with_extended_types(p.extended_types));
        tree.set_last_processed_zxid(snapshot_zxid);
        let last_zxid = target.log.last().map_or(snapshot_zxid, |p| p.zxid);
        let (accepted_epoch, current_epoch) = self.recover_epochs(last_zxid)?;
        tracing::info!(
            snapshot = %snapshot_zxid,
            log_above_snapshot = target.log.len(),
            last_logged = %last_zxid,
            %accepted_epoch,
            %current_epoch,
            "recovered the replica's data directory"
        );
        Ok(QuorumRecovered {
            tree,
            sessions: target.inner.sessions.into_iter().collect(),
            restored: Restored {
                accepted_epoch,
                current_epoch,
                snapshot_zxid,
                log: target.log,
            },
        })
    }

    /// Reads `acceptedEpoch` and `currentEpoch`, deriving a missing one as Apache's
    /// `QuorumPeer.loadDataBase` does and writing it: `currentEpoch` becomes the epoch of the
    /// last logged zxid (a data directory from a standalone server or an old version);
    /// `acceptedEpoch` becomes `currentEpoch`. (Apache uses the last zxid's epoch for both;
    /// with `currentEpoch` present and newer, that would fail its own `accepted < current`
    /// check. The two agree whenever Apache's choice works.)
    ///
    /// Unlike Apache, a last logged zxid in a later epoch than `currentEpoch` is accepted: a
    /// learner here logs synced txns before `currentEpoch` is written, so a crash in between
    /// leaves exactly that, and the core handles it. A leftover `<name>.tmp` is ignored: the
    /// write it belongs to never completed, so nothing relied on it.
    fn recover_epochs(&self, last_zxid: Zxid) -> Result<(Epoch, Epoch)> {
        let current = match self.epochs.read(EpochKind::Current)? {
            Some(epoch) => epoch,
            None => self.derive_epoch(EpochKind::Current, last_zxid.epoch())?,
        };
        let accepted = match self.epochs.read(EpochKind::Accepted)? {
            Some(epoch) => epoch,
            None => self.derive_epoch(EpochKind::Accepted, current)?,
        };
        if accepted < current {
            return Err(zk_storage::Error::InvalidEpochFile {
                path: self.epochs.path(EpochKind::Accepted),
                reason: format!("acceptedEpoch {accepted} is below currentEpoch {current}"),
            }
            .into());
        }
        Ok((accepted, current))
    }

    fn derive_epoch(&self, kind: EpochKind, epoch: Epoch) -> Result<Epoch> {
        tracing::info!(
            file = %self.epochs.path(kind).display(),
            %epoch,
            "epoch file not found: creating it (expected once, when a data directory is \
             first used by a replica)"
        );
        self.epochs.write(kind, epoch)?;
        Ok(epoch)
    }
}

/// Fails unless every entry of `log` directly follows the one before it, the first following
/// `snapshot_zxid`, as [`zk_zab::Peer::new`] requires (a later epoch must start at counter
/// 1: stricter than the storage layer, which accepts any counter there).
fn check_no_holes(snapshot_zxid: Zxid, log: &[Proposal]) -> Result<()> {
    let mut prev = snapshot_zxid;
    for p in log {
        if !is_successor(prev, p.zxid) {
            return Err(Error::Replication(format!(
                "the txn log above snapshot {snapshot_zxid} has a hole: {} does not directly \
                 follow {prev}",
                p.zxid
            )));
        }
        prev = p.zxid;
    }
    Ok(())
}

/// A [`RecoveryTarget`] that loads the snapshot into a tree (through the standalone
/// [`TreeTarget`]) but collects the logged txns instead of applying them.
struct QuorumTarget {
    inner: TreeTarget,
    snapshot_zxid: Zxid,
    log: Vec<Proposal>,
}

impl RecoveryTarget<RawTxn> for QuorumTarget {
    type Error = RecoveryError;

    fn begin(&mut self, snapshot: Option<&SnapshotInfo>) {
        self.snapshot_zxid = Zxid::ZERO;
        self.log.clear();
        self.inner.begin(snapshot);
    }

    fn add_session(&mut self, session: SnapshotSession) -> std::result::Result<(), RecoveryError> {
        self.inner.add_session(session)
    }

    fn add_acl(&mut self, acl: SnapshotAcl) -> std::result::Result<(), RecoveryError> {
        self.inner.add_acl(acl)
    }

    fn add_node(&mut self, node: SnapshotNode) -> std::result::Result<(), RecoveryError> {
        self.inner.add_node(node)
    }

    fn snapshot_loaded(
        &mut self,
        zxid: Zxid,
        trailer: &SnapshotTrailer,
    ) -> std::result::Result<(), RecoveryError> {
        self.snapshot_zxid = zxid;
        self.inner.snapshot_loaded(zxid, trailer)
    }

    fn apply_txn(&mut self, raw: RawTxn) -> std::result::Result<(), RecoveryError> {
        self.log.push(Proposal {
            zxid: raw.zxid(),
            txn: raw.bytes().clone(),
        });
        Ok(())
    }

    fn finish(&mut self, _last_zxid: Zxid) -> std::result::Result<(), RecoveryError> {
        // Finish the snapshot's builder (or make the empty tree); the zxid stays the
        // snapshot's, since nothing was replayed.
        self.inner.tree().map(|_| ())
    }
}
