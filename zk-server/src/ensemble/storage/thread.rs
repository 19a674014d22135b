//! [`StorageThread`]: the one owner of a replica's log, snapshots and epoch files while it
//! runs, executing [`StorageCommand`]s in order and reporting [`StorageEvent`]s.

use std::path::PathBuf;
use std::sync::mpsc as std_mpsc;
use std::thread;

use bytes::Bytes;
use tokio::sync::mpsc;
use zk_proto::{Epoch, Zxid};
use zk_storage::snapshot::save_snapshot;
use zk_storage::{LogEntry, RawTxn, TxnLog};
use zk_zab::{EpochKind, Proposal};

use super::sync_body::decode_sync_snapshot;
use super::QuorumStorage;
use crate::config::ServerConfig;
use crate::persistence::{start_snapshot, TreeSnapshot};
use crate::retention::Retention;
use crate::snapshotter::{Received, Snapshotter};
use crate::{Error, Result};

/// Commands queued in one batch at most; more wait for the next fsync.
const BATCH_COMMANDS_MAX: usize = 10_000;

/// What the storage thread is asked to do; executed strictly in submission order.
pub enum StorageCommand {
    /// Append these proposals to the txn log ([`zk_zab::Action::AppendTxns`]). Each
    /// `Proposal::txn` holds the serialized `TxnHeader` + txn + optional digest (what the log
    /// stores, [`RawTxn`]); its header's zxid must equal `Proposal::zxid`. Group-committed:
    /// [`StorageEvent::LogPersisted`] follows once they are fsynced.
    Append(Vec<Proposal>),
    /// Remove every logged txn above this zxid, durably, before the next command
    /// ([`zk_zab::Action::TruncateLogAfter`]); the log then continues after it.
    TruncateAfter(Zxid),
    /// Replace an epoch file atomically, then report [`StorageEvent::EpochPersisted`].
    PersistEpoch(EpochKind, Epoch),
    /// Replace the durable state with this snapshot sync body (see
    /// [`super::encode_sync_snapshot`]) at `zxid`: cut the log so that it continues after
    /// `zxid` and write `snapshot.<zxid>`, both durably; then report
    /// [`StorageEvent::SnapshotInstalled`]. A body that does not decode changes nothing (and
    /// is a [`StorageEvent::Failed`]).
    InstallSnapshot {
        /// The zxid the snapshot reflects (the SNAP packet's).
        zxid: Zxid,
        /// The body as the leader sent it, without `"BenWasHere"`.
        snapshot: Bytes,
    },
    /// A periodic snapshot of the (committed-only) tree: roll the log, write it on a thread of
    /// its own (logging goes on meanwhile), purge once it is durable.
    Snapshot(Box<TreeSnapshot>),
}

impl std::fmt::Debug for StorageCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StorageCommand::Append(proposals) => f
                .debug_struct("Append")
                .field("first", &proposals.first().map(|p| p.zxid))
                .field("last", &proposals.last().map(|p| p.zxid))
                .field("count", &proposals.len())
                .finish(),
            StorageCommand::TruncateAfter(zxid) => {
                f.debug_tuple("TruncateAfter").field(zxid).finish()
            }
            StorageCommand::PersistEpoch(kind, epoch) => f
                .debug_tuple("PersistEpoch")
                .field(kind)
                .field(epoch)
                .finish(),
            StorageCommand::InstallSnapshot { zxid, snapshot } => f
                .debug_struct("InstallSnapshot")
                .field("zxid", zxid)
                .field("bytes", &snapshot.len())
                .finish(),
            StorageCommand::Snapshot(_) => f.write_str("Snapshot(..)"),
        }
    }
}

/// What the storage thread reports, in the order things became durable.
#[derive(Debug)]
pub enum StorageEvent {
    /// Every appended txn up to this zxid is fsynced ([`zk_zab::Peer::on_log_persisted`]).
    LogPersisted(Zxid),
    /// The epoch file holds this epoch durably ([`zk_zab::Peer::on_epoch_persisted`]).
    EpochPersisted(EpochKind, Epoch),
    /// The snapshot at this zxid is durable and the log continues after it
    /// ([`zk_zab::Peer::on_snapshot_installed`]).
    SnapshotInstalled(Zxid),
    /// Storage failed; the thread has stopped and the server must stop too.
    Failed(Error),
}

/// Handle to the storage thread. Dropping it lets the thread finish what is queued (syncing
/// the log) and joins it.
pub struct StorageThread {
    commands: std_mpsc::Sender<StorageCommand>,
    thread: Option<thread::JoinHandle<()>>,
}

impl StorageThread {
    /// Starts the thread (which first purges old snapshots and logs, if autopurge is on);
    /// events arrive on the receiver.
    pub fn start(
        storage: QuorumStorage,
        config: &ServerConfig,
    ) -> Result<(StorageThread, mpsc::UnboundedReceiver<StorageEvent>)> {
        let (commands, rx) = std_mpsc::channel();
        let (events, events_rx) = mpsc::unbounded_channel();
        if !config.force_sync {
            tracing::warn!(
                "forceSync=no is ignored: a txn is acknowledged only after it is fsynced"
            );
        }
        let worker = Worker {
            storage,
            events,
            retention: Retention::from_config(config),
            unsynced: None,
            snapshotter: Snapshotter::default(),
        };
        let thread = thread::Builder::new()
            .name("zk-quorum-storage".into())
            .spawn(move || worker.run(rx))
            .map_err(|source| Error::Io {
                path: PathBuf::from("zk-quorum-storage thread"),
                source,
            })?;
        Ok((
            StorageThread {
                commands,
                thread: Some(thread),
            },
            events_rx,
        ))
    }

    /// Queues a command. After [`StorageEvent::Failed`] commands are silently dropped.
    pub fn submit(&self, command: StorageCommand) {
        let _ = self.commands.send(command);
    }
}

impl Drop for StorageThread {
    fn drop(&mut self) {
        // Closing the channel ends the thread once it has executed what is queued.
        let (dead, _) = std_mpsc::channel();
        self.commands = dead;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The thread's state.
struct Worker {
    storage: QuorumStorage,
    events: mpsc::UnboundedSender<StorageEvent>,
    retention: Retention,
    /// The last zxid appended since the last fsync.
    unsynced: Option<Zxid>,
    /// The periodic snapshot being written, if any.
    snapshotter: Snapshotter,
}

impl Worker {
    fn run(mut self, commands: std_mpsc::Receiver<StorageCommand>) {
        self.retention
            .purge_if_enabled(&mut self.storage.persistence);
        loop {
            let first = match self.snapshotter.recv(&commands) {
                Received::Command(command) => command,
                Received::Poll => {
                    self.after_snapshot();
                    continue;
                }
                Received::Closed => break,
            };
            // Group commit: take everything already queued; one fsync covers the appends up to
            // the next other command or the end of the batch.
            let mut batch = vec![first];
            while batch.len() < BATCH_COMMANDS_MAX {
                match commands.try_recv() {
                    Ok(more) => batch.push(more),
                    Err(_) => break,
                }
            }
            let done = batch
                .into_iter()
                .try_for_each(|command| self.execute(command))
                .and_then(|()| self.sync_log());
            if let Err(err) = done {
                tracing::error!(%err, "quorum storage failed; the server must stop");
                let _ = self.events.send(StorageEvent::Failed(err));
                return;
            }
            self.after_snapshot();
        }
        let _ = self.storage.persistence.log.sync();
        let finished = self.snapshotter.wait();
        self.retention
            .after_snapshot(finished, &mut self.storage.persistence);
    }

    /// Purges if the snapshot in flight has become durable.
    fn after_snapshot(&mut self) {
        let finished = self.snapshotter.finished();
        self.retention
            .after_snapshot(finished, &mut self.storage.persistence);
    }

    fn execute(&mut self, command: StorageCommand) -> Result<()> {
        if let StorageCommand::Append(proposals) = command {
            return self.append(proposals);
        }
        // Everything appended so far is durable (and reported) before anything else happens.
        self.sync_log()?;
        match command {
            StorageCommand::Append(_) => unreachable!("handled above"),
            StorageCommand::TruncateAfter(zxid) => {
                // A snapshot written meanwhile must not land beside a log it no longer fits,
                // nor a deletion still queued meet a file this writes.
                self.snapshotter.wait();
                self.retention.wait();
                // Durable when it returns (the log's contract).
                self.storage.persistence.log.truncate_after(zxid)?;
            }
            StorageCommand::PersistEpoch(kind, epoch) => {
                self.storage.epochs.write(storage_kind(kind), epoch)?;
                self.send(StorageEvent::EpochPersisted(kind, epoch));
            }
            StorageCommand::InstallSnapshot { zxid, snapshot } => {
                // Same: the leader's snapshot replaces the data directory's state, and a
                // periodic snapshot (or a queued deletion) at the same zxid would write (or
                // delete) the same file name.
                self.snapshotter.wait();
                self.retention.wait();
                self.install_snapshot(zxid, &snapshot)?;
                self.send(StorageEvent::SnapshotInstalled(zxid));
            }
            StorageCommand::Snapshot(snapshot) => {
                start_snapshot(
                    &mut self.storage.persistence,
                    &mut self.snapshotter,
                    snapshot,
                )?;
            }
        }
        Ok(())
    }

    /// Appends (not yet durable). A txn that is not a txn, or whose header names another zxid
    /// than its proposal, is refused: it came from the network.
    fn append(&mut self, proposals: Vec<Proposal>) -> Result<()> {
        for proposal in proposals {
            let raw = RawTxn::new(proposal.txn)
                .map_err(|e| Error::Replication(format!("proposal {}: {e}", proposal.zxid)))?;
            if raw.zxid() != proposal.zxid {
                return Err(Error::Replication(format!(
                    "proposal {} carries a txn whose header says zxid {}",
                    proposal.zxid,
                    raw.zxid()
                )));
            }
            self.storage.persistence.log.append(raw)?;
            self.unsynced = Some(proposal.zxid);
        }
        Ok(())
    }

    /// Fsyncs what was appended since the last fsync, if anything, and reports it.
    fn sync_log(&mut self) -> Result<()> {
        let Some(zxid) = self.unsynced else {
            return Ok(());
        };
        self.storage.persistence.log.sync()?;
        self.unsynced = None;
        self.send(StorageEvent::LogPersisted(zxid));
        Ok(())
    }

    /// Decodes the body (a body that does not parse must change nothing), cuts the log so
    /// that it continues after `zxid`, writes `snapshot.<zxid>` durably, then purges.
    ///
    /// Each step is durable before the next, but the two are not one atomic step, so the
    /// order decides what a crash in between leaves. Cutting the log first leaves the old
    /// snapshot with a prefix of the old log: a history this replica really had, as after a
    /// TRUNC, which loses nothing the finished install would keep. Writing the snapshot first
    /// would leave the new snapshot under the old log's entries above `zxid`; entries of a
    /// later epoch (counter 1 follows any zxid of an earlier one) would then sit on a history
    /// they were never proposed on, and recovery could not tell.
    fn install_snapshot(&mut self, zxid: Zxid, body: &[u8]) -> Result<()> {
        let persistence = &mut self.storage.persistence;
        let (mut tree, sessions) = decode_sync_snapshot(body, persistence.extended_types)?;
        tree.set_last_processed_zxid(zxid);
        let snapshot = TreeSnapshot::capture(&tree, sessions);
        drop(tree);
        // Drops every entry above `zxid` and lets the next append follow `zxid` even if the
        // log ends below it; durable when it returns.
        persistence.log.skip_to(zxid)?;
        let info = save_snapshot(&persistence.snapshots, zxid, &snapshot)?;
        tracing::info!(snapshot = %info.name, "installed the leader's snapshot");
        self.retention.purge_if_enabled(persistence);
        Ok(())
    }

    fn send(&self, event: StorageEvent) {
        // A closed receiver means the server is shutting down; nothing is waiting.
        let _ = self.events.send(event);
    }
}

fn storage_kind(kind: EpochKind) -> zk_storage::EpochKind {
    match kind {
        EpochKind::Accepted => zk_storage::EpochKind::Accepted,
        EpochKind::Current => zk_storage::EpochKind::Current,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ensemble::storage::tests::{config, proposal, z};

    /// Queues every command before the worker starts, so that they form one batch.
    fn run_one_batch(dir: &std::path::Path, commands: Vec<StorageCommand>) -> Vec<StorageEvent> {
        let mut storage = QuorumStorage::open(&config(dir)).expect("open");
        storage.recover().expect("recover");
        let (events, mut events_rx) = mpsc::unbounded_channel();
        let worker = Worker {
            storage,
            events,
            retention: Retention::from_config(&config(dir)),
            unsynced: None,
            snapshotter: Snapshotter::default(),
        };
        let (tx, rx) = std_mpsc::channel();
        for command in commands {
            tx.send(command).expect("queued");
        }
        drop(tx);
        worker.run(rx);
        let mut got = Vec::new();
        while let Ok(event) = events_rx.try_recv() {
            got.push(event);
        }
        got
    }

    #[test]
    fn group_commit_fsyncs_before_other_commands_and_reports_in_durability_order() {
        let dir = tempfile::tempdir().unwrap();
        let events = run_one_batch(
            dir.path(),
            vec![
                StorageCommand::Append(vec![proposal(z(1, 1), "/a")]),
                StorageCommand::Append(vec![proposal(z(1, 2), "/b")]),
                StorageCommand::PersistEpoch(EpochKind::Current, Epoch(1)),
                StorageCommand::Append(vec![proposal(z(1, 3), "/c")]),
                StorageCommand::Append(vec![]),
                StorageCommand::Append(vec![proposal(z(1, 4), "/d")]),
                StorageCommand::TruncateAfter(z(1, 3)),
                StorageCommand::PersistEpoch(EpochKind::Accepted, Epoch(2)),
            ],
        );
        let described: Vec<String> = events.iter().map(|e| format!("{e:?}")).collect();
        assert_eq!(
            described,
            vec![
                format!("{:?}", StorageEvent::LogPersisted(z(1, 2))),
                format!(
                    "{:?}",
                    StorageEvent::EpochPersisted(EpochKind::Current, Epoch(1))
                ),
                format!("{:?}", StorageEvent::LogPersisted(z(1, 4))),
                format!(
                    "{:?}",
                    StorageEvent::EpochPersisted(EpochKind::Accepted, Epoch(2))
                ),
            ]
        );
        let restored = QuorumStorage::open(&config(dir.path()))
            .unwrap()
            .recover()
            .unwrap()
            .restored;
        let logged: Vec<Zxid> = restored.log.iter().map(|p| p.zxid).collect();
        assert_eq!(logged, vec![z(1, 1), z(1, 2), z(1, 3)]);
        assert_eq!(
            (restored.accepted_epoch, restored.current_epoch),
            (Epoch(2), Epoch(1))
        );
    }

    #[test]
    fn a_storage_error_is_reported_once_and_stops_the_thread() {
        let dir = tempfile::tempdir().unwrap();
        let events = run_one_batch(
            dir.path(),
            vec![
                StorageCommand::Append(vec![proposal(z(1, 1), "/a")]),
                // A hole within an epoch: the log refuses it.
                StorageCommand::Append(vec![proposal(z(1, 3), "/c")]),
                StorageCommand::PersistEpoch(EpochKind::Current, Epoch(1)),
            ],
        );
        assert_eq!(events.len(), 1, "{events:?}");
        let StorageEvent::Failed(err) = &events[0] else {
            panic!("expected Failed: {events:?}");
        };
        assert!(err.to_string().contains(&z(1, 3).to_string()), "{err}");
    }
}
