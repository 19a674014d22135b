//! [`Snapshotter`]: writes periodic snapshots on a thread of their own, so that the thread
//! that logs and fsyncs transactions never waits for one.
//!
//! A snapshot of a large tree takes a while to serialize and fsync (hundreds of milliseconds
//! for a million znodes). Written on the sync thread, it would hold back every group commit —
//! and so every write's acknowledgement — for that long; under load that showed as the tail of
//! the write latency. Apache's `SyncRequestProcessor` starts a "Snapshot Thread" for the same
//! reason, and like it we keep at most one snapshot in flight: a request that finds one still
//! being written is skipped ("too busy to snap"); the log, rolled at every request, keeps every
//! txn either way, and the next request comes `snapCount` txns later.
//!
//! A snapshot that fails is logged and forgotten: nothing acknowledged depends on it, since
//! recovery replays the log from the newest valid snapshot, and retention purges old files
//! only after a newer snapshot is durable.
//!
//! The owner (the sync thread) keeps everything else in order: it rolls the log before
//! [`start`](Snapshotter::start), asks [`finished`](Snapshotter::finished) between batches
//! (purging after a success), and calls [`wait`](Snapshotter::wait) before anything that
//! rewrites the data directory under a snapshot in flight (truncating the log, installing a
//! leader's snapshot) and before it exits.

use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use zk_storage::snapshot::{save_snapshot, FileSnapshotStore, SnapshotInfo};

use crate::persistence::TreeSnapshot;

/// How often an idle owner looks whether the snapshot in flight has finished (to purge after
/// it); a busy one looks after every batch.
const POLL: Duration = Duration::from_millis(100);

/// What the owner's next receive got.
pub(crate) enum Received<T> {
    /// A command to execute.
    Command(T),
    /// Nothing within [`POLL`] while a snapshot is in flight: time to look at it.
    Poll,
    /// Every sender is gone.
    Closed,
}

/// At most one snapshot being written in the background.
#[derive(Default)]
pub(crate) struct Snapshotter {
    in_flight: Option<JoinHandle<zk_storage::Result<SnapshotInfo>>>,
}

impl Snapshotter {
    /// Starts writing `snapshot` into `store` on a new thread; false (and nothing written)
    /// when the previous snapshot is still being written or no thread could be started.
    pub(crate) fn start(&mut self, store: FileSnapshotStore, snapshot: Box<TreeSnapshot>) -> bool {
        if self.in_flight.is_some() {
            tracing::warn!("the previous snapshot is still being written; skipping this one");
            return false;
        }
        let spawned = thread::Builder::new()
            .name("zk-snapshot".into())
            .spawn(move || {
                let started = Instant::now();
                let info = save_snapshot(&store, snapshot.zxid(), &*snapshot)?;
                tracing::info!(
                    snapshot = %info.name,
                    nodes = snapshot.node_count(),
                    ms = started.elapsed().as_millis() as u64,
                    "wrote a snapshot"
                );
                Ok(info)
            });
        match spawned {
            Ok(handle) => {
                self.in_flight = Some(handle);
                true
            }
            Err(err) => {
                tracing::warn!(%err, "could not start the snapshot thread; skipping this snapshot");
                false
            }
        }
    }

    /// Whether a snapshot is being written.
    pub(crate) fn is_busy(&self) -> bool {
        self.in_flight.is_some()
    }

    /// The owner's next command: waits for one, but while a snapshot is in flight no longer
    /// than [`POLL`], so that its end is noticed (and purged after) even when no command comes.
    pub(crate) fn recv<T>(&self, commands: &mpsc::Receiver<T>) -> Received<T> {
        if self.is_busy() {
            match commands.recv_timeout(POLL) {
                Ok(command) => Received::Command(command),
                Err(mpsc::RecvTimeoutError::Timeout) => Received::Poll,
                Err(mpsc::RecvTimeoutError::Disconnected) => Received::Closed,
            }
        } else {
            commands.recv().map_or(Received::Closed, Received::Command)
        }
    }

    /// The snapshot that finished since the last call, if any: `Some(true)` when it is
    /// durable, `Some(false)` when it failed (already logged). Never blocks.
    pub(crate) fn finished(&mut self) -> Option<bool> {
        if self.in_flight.as_ref()?.is_finished() {
            self.wait()
        } else {
            None
        }
    }

    /// Waits for the snapshot in flight, if any; its outcome as for
    /// [`finished`](Self::finished).
    pub(crate) fn wait(&mut self) -> Option<bool> {
        let handle = self.in_flight.take()?;
        Some(match handle.join() {
            Ok(Ok(_)) => true,
            Ok(Err(err)) => {
                tracing::error!(%err, "writing a snapshot failed; the log still holds every txn");
                false
            }
            Err(_) => {
                tracing::error!("the snapshot thread panicked; the log still holds every txn");
                false
            }
        })
    }
}

impl Drop for Snapshotter {
    fn drop(&mut self) {
        // A half-written snapshot would only be skipped at recovery, but finishing it is cheap
        // and leaves a tidy directory.
        self.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zk_proto::{SessionId, Zxid};
    use zk_storage::snapshot::SnapshotStore;
    use zk_tree::data_tree::DataTree;

    fn snapshot_at(zxid: i64) -> Box<TreeSnapshot> {
        let mut tree = DataTree::new();
        tree.set_last_processed_zxid(Zxid(zxid));
        Box::new(TreeSnapshot::capture(&tree, vec![(SessionId(7), 5_000)]))
    }

    #[test]
    fn writes_one_snapshot_at_a_time_and_skips_requests_meanwhile() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileSnapshotStore::open(dir.path()).unwrap();
        let mut snapshotter = Snapshotter::default();
        assert!(snapshotter.start(store.clone(), snapshot_at(0x10)));
        assert!(snapshotter.is_busy());
        assert!(
            !snapshotter.start(store.clone(), snapshot_at(0x20)),
            "a second snapshot while one is in flight is skipped"
        );
        assert_eq!(snapshotter.wait(), Some(true));
        assert!(!snapshotter.is_busy());
        assert_eq!(snapshotter.wait(), None, "nothing left in flight");

        let zxids: Vec<Zxid> = store.list().unwrap().iter().map(|s| s.zxid).collect();
        assert_eq!(
            zxids,
            vec![Zxid(0x10)],
            "only the first snapshot was written"
        );

        assert!(snapshotter.start(store.clone(), snapshot_at(0x30)));
        let outcome = loop {
            if let Some(outcome) = snapshotter.finished() {
                break outcome;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        };
        assert!(outcome);
        assert_eq!(store.list().unwrap().len(), 2);
    }

    #[test]
    fn a_failed_snapshot_is_reported_and_the_next_one_can_start() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileSnapshotStore::open(dir.path().join("snaps")).unwrap();
        // The directory vanishes under the store: writing fails.
        std::fs::remove_dir_all(dir.path().join("snaps")).unwrap();
        let mut snapshotter = Snapshotter::default();
        assert!(snapshotter.start(store.clone(), snapshot_at(0x10)));
        assert_eq!(snapshotter.wait(), Some(false));
        std::fs::create_dir_all(dir.path().join("snaps")).unwrap();
        assert!(snapshotter.start(store, snapshot_at(0x20)));
        assert_eq!(snapshotter.wait(), Some(true));
    }
}
