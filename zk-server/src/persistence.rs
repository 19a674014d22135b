//! The server's durable state: recovery at start, the group-commit sync thread, snapshots and
//! retention — the glue between `zk-storage` (which knows files) and `zk-tree` (which knows
//! znodes), neither of which depends on the other.
//!
//! # Durability
//!
//! The core task hands every proposed transaction to the [`Durability`] sync thread, which
//! appends whatever has queued up, issues one fsync for the batch (group commit) and reports
//! the highest durable zxid back. Only then does the core commit and answer. An fsync error is
//! fatal: the log refuses further writes and the server stops rather than acknowledge a write
//! the disk may have dropped.
//!
//! # Snapshots
//!
//! Every `snapCount` transactions (randomised in `[snapCount/2 + 1, snapCount]`, as Apache
//! does, so that an ensemble does not snapshot in lockstep) the core task asks for a
//! snapshot: the log rolls to a new file, and the tree is serialized to
//! `snapshot.<last applied zxid>` on a thread of its own (`snapshotter.rs`), so that group
//! commits go on meanwhile. Snapshots are fuzzy, exactly like Apache's: recovery
//! replays every logged transaction after the snapshot's zxid, and replay is idempotent.
//!
//! # Retention
//!
//! The sync thread purges old snapshots and logs at start and after every snapshot: it
//! decides and detaches, and a thread of its own deletes (`retention.rs`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc as std_mpsc;
use std::thread;

use tokio::sync::mpsc;
use zk_proto::txn::{Txn, TxnLogEntry};
use zk_proto::{SessionId, Zxid};
use zk_storage::recovery::{Recovery, RecoveryTarget};
use zk_storage::snapshot::{
    Compression, FileSnapshotStore, SnapshotAcl, SnapshotInfo, SnapshotNode, SnapshotSession,
    SnapshotTrailer,
};
use zk_storage::{FileTxnLog, FileTxnLogConfig, LogEntry, RawTxn, TxnLog};
use zk_tree::acl_cache::AclId;
use zk_tree::data_tree::DataTree;
use zk_tree::snapshot::TreeBuilder;

use crate::config::{ServerConfig, SnapshotCompression};
use crate::retention::Retention;
use crate::snapshotter::{Received, Snapshotter};
use crate::{Error, Result};

mod tree_snapshot;
pub use tree_snapshot::TreeSnapshot;

/// The transaction log and snapshot store of one server.
pub struct Persistence {
    pub(crate) log: FileTxnLog<RawTxn>,
    pub(crate) snapshots: FileSnapshotStore,
    pub(crate) extended_types: bool,
}

/// What recovery found.
pub struct Recovered {
    /// The tree, at the last durable zxid.
    pub tree: DataTree,
    /// The sessions alive at that zxid, with their timeouts.
    pub sessions: Vec<(SessionId, i32)>,
}

impl Persistence {
    /// Opens (creating if needed) `dataLogDir/version-2` and `dataDir/version-2`. A torn log
    /// tail is cut with a warning; damage in the middle of the log is an error.
    pub fn open(config: &ServerConfig) -> Result<Self> {
        let log_dir = config.data_log_dir.join("version-2");
        let snap_dir = config.data_dir.join("version-2");
        let log_config = FileTxnLogConfig {
            prealloc_bytes: config.pre_alloc_size_kb.saturating_mul(1024),
            fsync_warning_ms: config.fsync_warning_threshold_ms,
            ..FileTxnLogConfig::default()
        };
        let log =
            FileTxnLog::open_with(std::sync::Arc::new(zk_storage::StdFs), &log_dir, log_config)
                .map_err(storage)?;
        let compression = match config.snapshot_compression {
            SnapshotCompression::None => Compression::None,
            SnapshotCompression::Gz => Compression::Gzip,
            SnapshotCompression::Snappy => Compression::Snappy,
        };
        let snapshots = FileSnapshotStore::open(&snap_dir)
            .map_err(storage)?
            .with_compression(compression);
        Ok(Persistence {
            log,
            snapshots,
            extended_types: config.extended_types_enabled,
        })
    }

    /// Loads the newest valid snapshot and replays the log after it.
    pub fn recover(&mut self) -> Result<Recovered> {
        let mut target = TreeTarget::new(self.extended_types);
        let report = Recovery::new(&self.snapshots, &self.log)
            .run(&mut target)
            .map_err(storage)?;
        for (snapshot, reason) in &report.skipped {
            tracing::warn!(snapshot = %snapshot.name, %reason, "skipped an unusable snapshot");
        }
        tracing::info!(
            snapshot = report.snapshot.as_ref().map_or("none", |s| s.name.as_str()),
            nodes = report.nodes,
            txns = report.txns,
            zxid = %report.last_zxid,
            snapshot_ms = report.snapshot_time.as_millis() as u64,
            replay_ms = report.replay_time.as_millis() as u64,
            "recovered the data directory"
        );
        if self.log.last_zxid().is_none_or(|z| z < report.last_zxid) {
            // The state is newer than the log (e.g. a snapshot without a log): continue after it.
            self.log.skip_to(report.last_zxid).map_err(storage)?;
        }
        let tree = target
            .tree
            .unwrap_or_else(|| DataTree::with_extended_types(self.extended_types));
        Ok(Recovered {
            tree,
            sessions: target.sessions.into_iter().collect(),
        })
    }
}

/// Commands for the sync thread.
enum SyncCommand {
    Append(TxnLogEntry),
    /// Roll the log, then write this snapshot (taken by the core task).
    Snapshot(Box<TreeSnapshot>),
}

/// Handle to the sync thread: the only owner of the log and snapshot store while serving.
pub struct Durability {
    commands: std_mpsc::Sender<SyncCommand>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Durability {
    /// Starts the sync thread; durable zxids (or the fatal error) arrive on the receiver.
    pub fn start(
        persistence: Persistence,
        config: &ServerConfig,
    ) -> Result<(Durability, mpsc::UnboundedReceiver<Result<Zxid>>)> {
        let (commands, rx) = std_mpsc::channel();
        let (durable_tx, durable_rx) = mpsc::unbounded_channel();
        let purge = Retention::from_config(config);
        if !config.force_sync {
            tracing::warn!(
                "forceSync=no is ignored: a write is acknowledged only after it is fsynced"
            );
        }
        let thread = thread::Builder::new()
            .name("zk-sync".into())
            .spawn(move || sync_loop(persistence, rx, durable_tx, purge))
            .map_err(|source| Error::Io {
                path: PathBuf::from("zk-sync thread"),
                source,
            })?;
        Ok((
            Durability {
                commands,
                thread: Some(thread),
            },
            durable_rx,
        ))
    }

    /// Queues a transaction for the log.
    pub fn append(&self, entry: TxnLogEntry) {
        let _ = self.commands.send(SyncCommand::Append(entry));
    }

    /// Queues a snapshot of `tree` (with `sessions`) taken now.
    pub fn snapshot(&self, tree: &DataTree, sessions: Vec<(SessionId, i32)>) {
        let snapshot = TreeSnapshot::capture(tree, sessions);
        let _ = self
            .commands
            .send(SyncCommand::Snapshot(Box::new(snapshot)));
    }
}

impl Drop for Durability {
    fn drop(&mut self) {
        // Closing the channel ends the thread once it has synced what it holds.
        let (dead, _) = std_mpsc::channel();
        self.commands = dead;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn sync_loop(
    mut persistence: Persistence,
    commands: std_mpsc::Receiver<SyncCommand>,
    durable: mpsc::UnboundedSender<Result<Zxid>>,
    purge: Retention,
) {
    let fail = |err: zk_storage::Error| {
        let _ = durable.send(Err(storage(err)));
    };
    let mut snapshotter = Snapshotter::default();
    let mut scratch = Vec::new();
    purge.purge_if_enabled(&mut persistence);
    loop {
        let first = match snapshotter.recv(&commands) {
            Received::Command(command) => command,
            Received::Poll => {
                purge.after_snapshot(snapshotter.finished(), &mut persistence);
                continue;
            }
            Received::Closed => break,
        };
        // Group commit: take everything already queued, then one fsync for all of it.
        let mut batch = vec![first];
        while let Ok(more) = commands.try_recv() {
            batch.push(more);
            if batch.len() >= 10_000 {
                break;
            }
        }
        let mut appended = false;
        for command in batch {
            match command {
                SyncCommand::Append(entry) => {
                    if let Err(err) = persistence
                        .log
                        .append(RawTxn::from_entry_in(&entry, &mut scratch))
                    {
                        return fail(err);
                    }
                    appended = true;
                }
                SyncCommand::Snapshot(snapshot) => {
                    if let Err(err) = start_snapshot(&mut persistence, &mut snapshotter, snapshot) {
                        return fail(err);
                    }
                }
            }
        }
        if appended {
            match persistence.log.sync() {
                Ok(Some(zxid)) => {
                    let _ = durable.send(Ok(zxid));
                }
                Ok(None) => {}
                Err(err) => return fail(err),
            }
        }
        purge.after_snapshot(snapshotter.finished(), &mut persistence);
    }
    let _ = persistence.log.sync();
    purge.after_snapshot(snapshotter.wait(), &mut persistence);
}

/// Rolls the log (so that the snapshot's txns and the ones after it start a new file, which
/// retention can later delete whole), then starts writing `snapshot` in the background.
pub(crate) fn start_snapshot(
    persistence: &mut Persistence,
    snapshotter: &mut Snapshotter,
    snapshot: Box<TreeSnapshot>,
) -> zk_storage::Result<()> {
    persistence.log.roll()?;
    snapshotter.start(persistence.snapshots.clone(), snapshot);
    Ok(())
}

/// Rebuilds a [`DataTree`] and the session table from a snapshot plus the log.
pub(crate) struct TreeTarget {
    extended_types: bool,
    builder: Option<TreeBuilder>,
    pub(crate) tree: Option<DataTree>,
    pub(crate) sessions: BTreeMap<SessionId, i32>,
}

impl TreeTarget {
    pub(crate) fn new(extended_types: bool) -> Self {
        TreeTarget {
            extended_types,
            builder: None,
            tree: None,
            sessions: BTreeMap::new(),
        }
    }

    fn builder(&mut self) -> std::result::Result<&mut TreeBuilder, RecoveryError> {
        self.builder
            .as_mut()
            .ok_or_else(|| RecoveryError("snapshot item outside a snapshot".into()))
    }

    /// The tree: the snapshot's once it is loaded (finishing the builder), else empty.
    pub(crate) fn tree(&mut self) -> std::result::Result<&mut DataTree, RecoveryError> {
        if let Some(builder) = self.builder.take() {
            self.tree = Some(builder.finish().map_err(RecoveryError::from_tree)?);
        }
        Ok(self
            .tree
            .get_or_insert_with(|| DataTree::with_extended_types(self.extended_types)))
    }
}

/// Why recovery could not use a snapshot item or a logged txn.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct RecoveryError(String);

impl RecoveryError {
    fn from_tree(err: zk_tree::Error) -> Self {
        RecoveryError(err.to_string())
    }
}

impl RecoveryTarget<RawTxn> for TreeTarget {
    type Error = RecoveryError;

    fn begin(&mut self, snapshot: Option<&SnapshotInfo>) {
        self.sessions.clear();
        self.tree = None;
        self.builder = snapshot.map(|_| TreeBuilder::new(self.extended_types));
    }

    fn add_session(&mut self, session: SnapshotSession) -> std::result::Result<(), RecoveryError> {
        self.sessions.insert(session.id, session.timeout_ms);
        Ok(())
    }

    fn add_acl(&mut self, acl: SnapshotAcl) -> std::result::Result<(), RecoveryError> {
        self.builder()?
            .add_acl(AclId(acl.id), acl.acl)
            .map_err(RecoveryError::from_tree)
    }

    fn add_node(&mut self, node: SnapshotNode) -> std::result::Result<(), RecoveryError> {
        // Snapshots name the root "" on disk; the storage layer reports it as "/".
        let path = if node.path == "/" {
            ""
        } else {
            node.path.as_str()
        };
        self.builder()?
            .add_node(path, node.data, AclId(node.acl_id), node.stat)
            .map_err(RecoveryError::from_tree)
    }

    fn snapshot_loaded(
        &mut self,
        zxid: Zxid,
        _trailer: &SnapshotTrailer,
    ) -> std::result::Result<(), RecoveryError> {
        self.tree()?.set_last_processed_zxid(zxid);
        Ok(())
    }

    fn apply_txn(&mut self, raw: RawTxn) -> std::result::Result<(), RecoveryError> {
        let entry = raw
            .to_entry()
            .map_err(|e| RecoveryError(format!("undecodable txn {}: {e}", raw.zxid())))?;
        match &entry.txn {
            Txn::CreateSession(create) => {
                self.sessions
                    .insert(entry.header.client_id, create.timeout_ms);
            }
            Txn::CloseSession(_) => {
                self.sessions.remove(&entry.header.client_id);
            }
            _ => {}
        }
        // Outcomes such as "node exists" are expected on a fuzzy snapshot and not errors.
        self.tree()?.apply(&entry.header, &entry.txn);
        Ok(())
    }

    fn finish(&mut self, last_zxid: Zxid) -> std::result::Result<(), RecoveryError> {
        self.tree()?.set_last_processed_zxid(last_zxid);
        Ok(())
    }
}

fn storage(err: zk_storage::Error) -> Error {
    Error::Storage(err)
}
