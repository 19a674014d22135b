//! Recovery: rebuild state from the newest valid snapshot plus the txn log after it, as Apache's
//! `FileTxnSnapLog.restore` does, with the safety checks Apache lacks.
//!
//! The state is anything implementing [`RecoveryTarget`]: the server's DataTree and session
//! table, or another program's own state machine (see `examples/kv_log.rs`).
//!
//! # The procedure
//!
//! 1. List snapshots newest first. Try up to [`RecoveryOptions::snapshots_to_try`] of those
//!    that pass the quick check ([`SnapshotStore::looks_valid`]); a snapshot that fails to
//!    load (truncated, checksum mismatch, rejected by the target) is skipped with a warning and
//!    the next older one is tried, after [`RecoveryTarget::begin`] discards the partial state.
//! 2. With a snapshot at zxid `S` loaded, replay every logged txn with zxid > `S`
//!    ([`TxnLog::read_from`] finds the log file that holds `S + 1`, which may start before `S`).
//!    The first replayed txn must [follow](crate::zxid_follows) `S`; otherwise txns were lost
//!    between them and recovery fails with [`Error::LogGapAfterSnapshot`]. Snapshots are
//!    fuzzy, so the target must tolerate txns whose effect the snapshot already has.
//! 3. With no usable snapshot: if nothing is stored at all, the state is empty. If the log
//!    reaches back to the first txn ever (zxid 1 of epoch 0 or 1), everything is replayed from
//!    the empty state. Otherwise older history was purged or the snapshots are damaged, and
//!    recovery fails with [`Error::NoUsableSnapshot`] rather than serve a partial tree
//!    (ZOOKEEPER-2325; Apache's `snapshot.trust.empty` escape hatch is
//!    [`RecoveryOptions::trust_empty_snapshot`]). Unlike Apache, damaged snapshots with no log
//!    also refuse to start: Apache would start empty.
//!
//! Errors in the log itself (a checksum failure in the middle, a gap) come from the
//! [`TxnLog`] and stop recovery: they are never skipped.

use std::time::{Duration, Instant};

use zk_proto::{Epoch, Zxid};

use crate::entry::{zxid_follows, LogEntry};
use crate::error::{Error, Result};
use crate::snapshot::{
    SnapshotAcl, SnapshotInfo, SnapshotNode, SnapshotSession, SnapshotStore, SnapshotTrailer,
};
use crate::txn_log::TxnLog;

/// State that recovery rebuilds: it receives a snapshot's contents, then the logged txns after
/// it. `E` is the log's entry type ([`RawTxn`](crate::RawTxn) for ZooKeeper servers).
///
/// # Contract
///
/// - [`begin`](Self::begin) discards everything received so far. Recovery calls it before each
///   snapshot it tries (a failed attempt leaves partial state) and, with `None`, before
///   replaying from the empty state, which is the state of a brand-new database (for
///   ZooKeeper: the root and `/zookeeper` with its children).
/// - A snapshot's contents arrive in file order: sessions, then ACLs, then nodes with every
///   parent before its children. An error from `add_*` makes recovery treat the snapshot as
///   invalid and fall back to an older one.
/// - [`apply_txn`](Self::apply_txn) receives each logged txn after the snapshot in zxid order.
///   Because snapshots are fuzzy, a txn may already be reflected in the snapshot: outcomes
///   like "node exists" or "no node" are not errors (Apache ignores them). An error means the
///   log cannot be applied at all; recovery stops with [`Error::Replay`].
/// - [`finish`](Self::finish) is called once, last, with the zxid of the recovered state.
pub trait RecoveryTarget<E> {
    /// Why the target refused a snapshot item or a txn.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Discards all state; `snapshot` is what will be loaded next (`None`: start empty).
    fn begin(&mut self, snapshot: Option<&SnapshotInfo>);

    /// A session from the snapshot's session table.
    fn add_session(&mut self, session: SnapshotSession) -> Result<(), Self::Error>;

    /// An entry of the snapshot's ACL cache.
    fn add_acl(&mut self, acl: SnapshotAcl) -> Result<(), Self::Error>;

    /// A node from the snapshot (the root `"/"` first).
    fn add_node(&mut self, node: SnapshotNode) -> Result<(), Self::Error>;

    /// The snapshot named by `zxid` is completely loaded and its checksums verified; `trailer`
    /// holds its digest, if any, to compare once replay reaches the digest's zxid.
    fn snapshot_loaded(
        &mut self,
        zxid: Zxid,
        trailer: &SnapshotTrailer,
    ) -> Result<(), Self::Error> {
        let _ = (zxid, trailer);
        Ok(())
    }

    /// Applies one logged txn.
    fn apply_txn(&mut self, entry: E) -> Result<(), Self::Error>;

    /// Recovery is complete; `last_zxid` is the zxid of the recovered state.
    fn finish(&mut self, last_zxid: Zxid) -> Result<(), Self::Error> {
        let _ = last_zxid;
        Ok(())
    }
}

/// Knobs of [`Recovery`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryOptions {
    /// How many snapshots (passing the quick check) to try, newest first, before giving up.
    /// Apache tries 100.
    pub snapshots_to_try: usize,
    /// Apache's `snapshot.trust.empty`: with no usable snapshot, replay whatever log there is
    /// from the empty state even if it does not reach back to the first txn. Only for
    /// upgrades from ZooKeeper 3.4 dataDirs, which may legitimately lack snapshots; otherwise
    /// it risks serving a partial tree.
    pub trust_empty_snapshot: bool,
    /// Report [`RecoveryProgress::Nodes`] / [`RecoveryProgress::Txns`] every this many items.
    pub progress_every: u64,
}

impl Default for RecoveryOptions {
    fn default() -> Self {
        RecoveryOptions {
            snapshots_to_try: 100,
            trust_empty_snapshot: false,
            progress_every: 100_000,
        }
    }
}

/// What recovery is doing, for a progress display or log.
#[derive(Debug)]
pub enum RecoveryProgress<'a> {
    /// Loading this snapshot.
    SnapshotStarted(&'a SnapshotInfo),
    /// Nodes loaded so far from the snapshot being loaded.
    Nodes {
        /// The snapshot.
        snapshot: &'a SnapshotInfo,
        /// Nodes so far.
        nodes: u64,
    },
    /// The snapshot was unusable and is skipped.
    SnapshotSkipped {
        /// The snapshot.
        snapshot: &'a SnapshotInfo,
        /// Why.
        error: &'a Error,
    },
    /// The snapshot is loaded.
    SnapshotLoaded {
        /// The snapshot.
        snapshot: &'a SnapshotInfo,
        /// Its node count.
        nodes: u64,
    },
    /// Txns replayed so far.
    Txns {
        /// Txns so far.
        txns: u64,
        /// The last one's zxid.
        last_zxid: Zxid,
    },
}

/// What recovery did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecoveryReport {
    /// The snapshot the state was loaded from; `None` if it was built from the empty state.
    pub snapshot: Option<SnapshotInfo>,
    /// Snapshots skipped as unusable, newest first, with the reason.
    pub skipped: Vec<(SnapshotInfo, String)>,
    /// Nodes loaded from the snapshot.
    pub nodes: u64,
    /// Txns replayed from the log.
    pub txns: u64,
    /// The zxid of the recovered state: the last replayed txn, else the snapshot's zxid, else
    /// zero. If the log ends before it (a snapshot received by SNAP sync), the caller must move
    /// the log past it with [`TxnLog::skip_to`] before appending.
    pub last_zxid: Zxid,
    /// Time spent loading snapshots (including skipped ones).
    pub snapshot_time: Duration,
    /// Time spent replaying the log.
    pub replay_time: Duration,
}

/// One recovery run: a snapshot store, a txn log, options and a progress callback.
///
/// ```
/// use zk_storage::recovery::{Recovery, RecoveryTarget};
/// use zk_storage::snapshot::{MemSnapshotStore, SnapshotAcl, SnapshotInfo, SnapshotNode, SnapshotSession};
/// use zk_storage::{BytesEntry, MemTxnLog, TxnLog};
/// use zk_proto::Zxid;
///
/// /// A target that sums the first payload byte of every logged entry.
/// #[derive(Default)]
/// struct Sum(u64);
///
/// impl RecoveryTarget<BytesEntry> for Sum {
///     type Error = std::convert::Infallible;
///     fn begin(&mut self, _: Option<&SnapshotInfo>) { self.0 = 0; }
///     fn add_session(&mut self, _: SnapshotSession) -> Result<(), Self::Error> { Ok(()) }
///     fn add_acl(&mut self, _: SnapshotAcl) -> Result<(), Self::Error> { Ok(()) }
///     fn add_node(&mut self, _: SnapshotNode) -> Result<(), Self::Error> { Ok(()) }
///     fn apply_txn(&mut self, e: BytesEntry) -> Result<(), Self::Error> {
///         self.0 += u64::from(e.payload[0]);
///         Ok(())
///     }
/// }
///
/// let mut log = MemTxnLog::new();
/// for seq in 1..=3 {
///     log.append(BytesEntry::new(seq, vec![seq as u8]))?;
/// }
/// log.sync()?;
/// let mut sum = Sum::default();
/// let report = Recovery::new(&MemSnapshotStore::new(), &log).run(&mut sum)?;
/// assert_eq!((sum.0, report.txns, report.last_zxid), (6, 3, Zxid(3)));
/// # Ok::<(), zk_storage::Error>(())
/// ```
pub struct Recovery<'a, S, L> {
    snapshots: &'a S,
    log: &'a L,
    options: RecoveryOptions,
    progress: Box<dyn FnMut(&RecoveryProgress<'_>) + 'a>,
}

impl<'a, S: SnapshotStore, L: TxnLog> Recovery<'a, S, L> {
    /// Recovery from `snapshots` and `log` with default options.
    pub fn new(snapshots: &'a S, log: &'a L) -> Self {
        Recovery {
            snapshots,
            log,
            options: RecoveryOptions::default(),
            progress: Box::new(|_| {}),
        }
    }

    /// Uses `options`.
    pub fn with_options(mut self, options: RecoveryOptions) -> Self {
        self.options = options;
        self
    }

    /// Calls `progress` as recovery advances (besides the `tracing` log lines it always writes).
    pub fn with_progress(mut self, progress: impl FnMut(&RecoveryProgress<'_>) + 'a) -> Self {
        self.progress = Box::new(progress);
        self
    }

    /// Rebuilds `target`. On error the target holds partial state and must not be served.
    pub fn run<T: RecoveryTarget<L::Entry>>(mut self, target: &mut T) -> Result<RecoveryReport> {
        let mut report = RecoveryReport::default();
        let started = Instant::now();
        let loaded = self.load_newest_snapshot(target, &mut report)?;
        report.snapshot_time = started.elapsed();
        let replay_from = match loaded {
            Some(snapshot) => {
                report.last_zxid = snapshot.zxid;
                report.snapshot = Some(snapshot);
                Some(report.last_zxid)
            }
            None => self.start_empty(target, &report)?,
        };
        let started = Instant::now();
        if let Some(after) = replay_from {
            self.replay(target, after, &mut report)?;
        }
        report.replay_time = started.elapsed();
        target.finish(report.last_zxid).map_err(|e| Error::Replay {
            zxid: report.last_zxid,
            source: Box::new(e),
        })?;
        tracing::info!(
            snapshot = report.snapshot.as_ref().map(|s| s.name.as_str()),
            nodes = report.nodes,
            txns = report.txns,
            last_zxid = %report.last_zxid,
            "recovered"
        );
        Ok(report)
    }

    /// Loads the newest usable snapshot into `target` and returns it, if any.
    fn load_newest_snapshot<T: RecoveryTarget<L::Entry>>(
        &mut self,
        target: &mut T,
        report: &mut RecoveryReport,
    ) -> Result<Option<SnapshotInfo>> {
        let mut tried = 0;
        for info in self.snapshots.list()? {
            if tried == self.options.snapshots_to_try {
                break;
            }
            if !self.snapshots.looks_valid(&info) {
                tracing::warn!(snapshot = %info.name, "skipping snapshot: fails the quick check");
                report.skipped.push((info, "fails the quick check".into()));
                continue;
            }
            tried += 1;
            (self.progress)(&RecoveryProgress::SnapshotStarted(&info));
            target.begin(Some(&info));
            match self.load_snapshot(&info, target) {
                Ok(nodes) => {
                    report.nodes = nodes;
                    (self.progress)(&RecoveryProgress::SnapshotLoaded {
                        snapshot: &info,
                        nodes,
                    });
                    tracing::info!(snapshot = %info.name, nodes, "snapshot loaded");
                    return Ok(Some(info));
                }
                Err(error) => {
                    tracing::warn!(snapshot = %info.name, %error, "skipping unusable snapshot");
                    (self.progress)(&RecoveryProgress::SnapshotSkipped {
                        snapshot: &info,
                        error: &error,
                    });
                    report.skipped.push((info, error.to_string()));
                }
            }
        }
        Ok(None)
    }

    fn load_snapshot<T: RecoveryTarget<L::Entry>>(
        &mut self,
        info: &SnapshotInfo,
        target: &mut T,
    ) -> Result<u64> {
        let mut reader = self.snapshots.open(info)?;
        let file = reader.file().to_owned();
        let rejected = |offset: u64, e: T::Error| Error::InvalidSnapshot {
            file: file.clone(),
            offset,
            reason: format!("rejected by the recovery target: {e}"),
        };
        let (sessions, acls) = reader.take_sessions_and_acls();
        for s in sessions {
            target.add_session(s).map_err(|e| rejected(0, e))?;
        }
        for a in acls {
            target.add_acl(a).map_err(|e| rejected(0, e))?;
        }
        let every = self.options.progress_every.max(1);
        while let Some(node) = reader.next_node()? {
            let at = reader.offset();
            target.add_node(node).map_err(|e| rejected(at, e))?;
            let nodes = reader.nodes_read();
            if nodes % every == 0 {
                (self.progress)(&RecoveryProgress::Nodes {
                    snapshot: info,
                    nodes,
                });
            }
        }
        let nodes = reader.nodes_read();
        let trailer = reader.finish()?;
        target
            .snapshot_loaded(info.zxid, &trailer)
            .map_err(|e| rejected(0, e))?;
        Ok(nodes)
    }

    /// Decides what to do without a snapshot: `Some(zxid)` to replay the log after `zxid` from
    /// the empty state, `None` for an empty state with nothing to replay.
    fn start_empty<T: RecoveryTarget<L::Entry>>(
        &mut self,
        target: &mut T,
        report: &RecoveryReport,
    ) -> Result<Option<Zxid>> {
        let first = self.log.first_zxid();
        let anything_stored = first.is_some() || !report.skipped.is_empty();
        if !anything_stored {
            target.begin(None);
            return Ok(None);
        }
        let whole_history = first.is_some_and(is_first_txn_ever);
        if !whole_history && !self.options.trust_empty_snapshot {
            return Err(Error::NoUsableSnapshot {
                tried: report.skipped.len(),
                first_logged: first.unwrap_or(Zxid::NONE),
            });
        }
        if !whole_history {
            tracing::warn!(
                first_logged = ?first,
                "no usable snapshot: replaying the log from an empty state (snapshot.trust.empty)"
            );
        }
        target.begin(None);
        Ok(first.map(|z| Zxid(z.0 - 1)))
    }

    /// Replays every logged txn after `after` into `target`.
    fn replay<T: RecoveryTarget<L::Entry>>(
        &mut self,
        target: &mut T,
        after: Zxid,
        report: &mut RecoveryReport,
    ) -> Result<()> {
        let every = self.options.progress_every.max(1);
        let mut prev = after;
        for entry in self.log.read_from(Zxid(after.0 + 1))? {
            let entry = entry?;
            let zxid = entry.zxid();
            if report.txns == 0 && !zxid_follows(after, zxid) {
                return Err(Error::LogGapAfterSnapshot {
                    snapshot_zxid: after,
                    next_zxid: zxid,
                });
            }
            debug_assert!(zxid > prev, "the TxnLog contract orders entries");
            target.apply_txn(entry).map_err(|e| Error::Replay {
                zxid,
                source: Box::new(e),
            })?;
            prev = zxid;
            report.txns += 1;
            report.last_zxid = zxid;
            if report.txns % every == 0 {
                (self.progress)(&RecoveryProgress::Txns {
                    txns: report.txns,
                    last_zxid: zxid,
                });
            }
        }
        Ok(())
    }
}

/// Whether `zxid` is the first txn a ZooKeeper database ever logs: counter 1 of epoch 0
/// (standalone) or epoch 1 (the first quorum epoch).
fn is_first_txn_ever(zxid: Zxid) -> bool {
    zxid.counter() == 1 && zxid.epoch() <= Epoch(1)
}
