//! [`Retention`]: autopurge — keep the newest `autopurge.snapRetainCount` snapshots and the logs
//! they need, delete the rest, without holding up the thread that writes the log.
//!
//! The thread that owns the log (the standalone sync thread, or an ensemble member's storage
//! thread) purges once at start and again after every snapshot becomes durable — the only
//! time there is something new to delete. Apache's `DatadirCleanupManager` purges on a timer
//! every `autopurge.purgeInterval` instead; purging as soon as possible is never later than
//! that, and keeps the disk bounded whatever the write rate. `autopurge.purgeInterval=0`
//! turns purging off, as in Apache. A failed purge is logged and retried after the next
//! snapshot; it never stops the server.
//!
//! # Deciding here, deleting elsewhere
//!
//! A purge is split in two ([`detach_purge`]). The owner of the log decides what goes and
//! detaches those log files from its log, which takes microseconds; a `zk-purge` thread then
//! deletes the files, a few MiB at a time ([`remove_gradually`]). Deleting is the slow half:
//! the file system frees a log file's 100 MiB of blocks as it unlinks it, and where it
//! discards freed blocks (ext4 `-o discard`) every fsync waits for the journal commit that
//! does so. Unlinked whole on the sync thread, each purge held every group commit — and so
//! every write's acknowledgement — for 25-45 ms; unlinked whole on another thread, it still
//! held the fsyncs for 17-70 ms. Issue 10 measured the standalone p99/p50 at 50 % writes at
//! 2.9-3.3 before, 2.3-2.45 after (2.2 with purging off). Nothing a writer needs is
//! deleted: snapshots older than every kept one, and log files the log no longer lists.
//!
//! Before the owner rewrites the data directory outside the log's own bookkeeping (a
//! truncation, installing a leader's snapshot) it calls [`Retention::wait`], so that a
//! deletion still queued cannot meet a file of the same name written meanwhile.

use std::sync::mpsc;
use std::thread::{self, JoinHandle};

#[cfg(doc)]
use zk_storage::fs::remove_gradually;
use zk_storage::purge::{detach_purge, AutopurgeConfig, PendingPurge};
use zk_storage::snapshot::FileSnapshotStore;

use crate::config::ServerConfig;
use crate::persistence::Persistence;

/// What to keep, and the thread that deletes the rest. See the module docs.
pub(crate) struct Retention {
    config: AutopurgeConfig,
    /// `None` when `autopurge.purgeInterval=0` disables purging.
    reaper: Option<Reaper>,
}

impl Retention {
    /// `autopurge.snapRetainCount` (at least 3) and whether `autopurge.purgeInterval` is on.
    pub(crate) fn from_config(config: &ServerConfig) -> Retention {
        let retain = config.autopurge_snap_retain_count.max(3) as usize;
        Retention {
            config: AutopurgeConfig::new(retain, 1),
            reaper: config.autopurge_purge_interval.map(|_| Reaper::start()),
        }
    }

    /// Purges after a background snapshot finished durably (`Some(true)`): only then is there
    /// something new to delete.
    pub(crate) fn after_snapshot(&self, finished: Option<bool>, persistence: &mut Persistence) {
        if finished == Some(true) {
            self.purge_if_enabled(persistence);
        }
    }

    /// Decides what to purge and detaches it from `persistence` now; the deletions follow on
    /// the `zk-purge` thread. Nothing, if purging is off.
    pub(crate) fn purge_if_enabled(&self, persistence: &mut Persistence) {
        let Some(reaper) = &self.reaper else {
            return;
        };
        match detach_purge(&persistence.snapshots, &mut persistence.log, &self.config) {
            Ok(pending) => reaper.submit(pending),
            Err(err) => tracing::warn!(%err, "purging old snapshots and logs failed; will retry"),
        }
    }

    /// Returns once every deletion queued so far is done.
    pub(crate) fn wait(&self) {
        if let Some(reaper) = &self.reaper {
            reaper.wait();
        }
    }
}

/// What the `zk-purge` thread is asked to do.
enum Job {
    Purge(PendingPurge<FileSnapshotStore>),
    /// Answer once every earlier job is done.
    Flush(mpsc::SyncSender<()>),
}

/// The `zk-purge` thread; executes purges inline if it could not be started.
struct Reaper {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Reaper {
    fn start() -> Reaper {
        let (jobs, rx) = mpsc::channel();
        match thread::Builder::new()
            .name("zk-purge".into())
            .spawn(move || rx.into_iter().for_each(run))
        {
            Ok(thread) => Reaper {
                jobs: Some(jobs),
                thread: Some(thread),
            },
            Err(err) => {
                tracing::warn!(%err, "could not start the purge thread; purging inline");
                Reaper {
                    jobs: None,
                    thread: None,
                }
            }
        }
    }

    fn submit(&self, pending: PendingPurge<FileSnapshotStore>) {
        match &self.jobs {
            Some(jobs) => {
                if let Err(mpsc::SendError(job)) = jobs.send(Job::Purge(pending)) {
                    run(job); // the thread is gone (it panicked): purge here
                }
            }
            None => run(Job::Purge(pending)),
        }
    }

    fn wait(&self) {
        let Some(jobs) = &self.jobs else {
            return; // inline purges are done when submit returns
        };
        let (done, finished) = mpsc::sync_channel(1);
        if jobs.send(Job::Flush(done)).is_ok() {
            let _ = finished.recv();
        }
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        // Closing the channel ends the thread once it has deleted what is queued.
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(job: Job) {
    match job {
        Job::Purge(pending) => match pending.execute() {
            Ok(plan) => tracing::debug!(?plan, "purged old snapshots and logs"),
            Err(err) => tracing::warn!(%err, "purging old snapshots and logs failed; will retry"),
        },
        Job::Flush(done) => {
            let _ = done.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persistence::TreeSnapshot;
    use zk_proto::txn::{CreateSessionTxn, Txn, TxnHeader, TxnLogEntry};
    use zk_proto::{OpCode, SessionId, Xid, Zxid};
    use zk_storage::snapshot::{save_snapshot, SnapshotStore};
    use zk_storage::{RawTxn, TxnLog};
    use zk_tree::data_tree::DataTree;

    fn names(dir: &std::path::Path, prefix: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir.join("version-2"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with(prefix))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_purge_deletes_on_the_purge_thread_what_the_retention_rule_says() {
        let dir = tempfile::tempdir().unwrap();
        let config = ServerConfig {
            data_dir: dir.path().to_path_buf(),
            data_log_dir: dir.path().to_path_buf(),
            ..ServerConfig::default()
        };
        let mut persistence = Persistence::open(&config).unwrap();
        // Five log files, each followed by a snapshot.
        let mut tree = DataTree::new();
        for zxid in 1..=5 {
            let header = TxnHeader {
                client_id: SessionId(7),
                cxid: Xid(0),
                zxid: Zxid(zxid),
                time: 1_700_000_000_000,
                txn_type: OpCode::CreateSession,
            };
            let txn = Txn::CreateSession(CreateSessionTxn { timeout_ms: 5_000 });
            let entry = TxnLogEntry::new(header, txn, None);
            let raw = RawTxn::from_entry_in(&entry, &mut Vec::new());
            persistence.log.append(raw).unwrap();
            persistence.log.roll().unwrap();
            tree.set_last_processed_zxid(Zxid(zxid));
            let snapshot = TreeSnapshot::capture(&tree, Vec::new());
            save_snapshot(&persistence.snapshots, Zxid(zxid), &snapshot).unwrap();
        }
        let retention = Retention::from_config(&config);
        retention.after_snapshot(Some(true), &mut persistence);
        let listed: Vec<Zxid> = persistence
            .log
            .log_files()
            .iter()
            .map(|f| f.start_zxid)
            .collect();
        assert_eq!(listed, [Zxid(3), Zxid(4), Zxid(5)], "detached at once");
        retention.wait();
        assert_eq!(
            names(dir.path(), "snapshot."),
            ["snapshot.3", "snapshot.4", "snapshot.5"]
        );
        assert_eq!(names(dir.path(), "log."), ["log.3", "log.4", "log.5"]);
        assert_eq!(persistence.snapshots.list().unwrap().len(), 3);
    }
}
