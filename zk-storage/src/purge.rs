//! Retention (autopurge): keep the newest snapshots and the logs they need, delete the rest.
//!
//! The rules are Apache's `PurgeTxnLog`, which `DatadirCleanupManager` runs every
//! `autopurge.purgeInterval` hours:
//!
//! 1. Take the newest `autopurge.snapRetainCount` (at least 3) snapshots that pass the quick
//!    validity check; the oldest of them, at zxid `X`, is the oldest snapshot kept.
//! 2. Delete every snapshot with zxid < `X`.
//! 3. Delete every log file whose start zxid is < `X`, **except** the one with the greatest start
//!    zxid ≤ `X`: it may hold the txns right after `X`, which loading snapshot `X` replays.
//!    Log files starting after `X` are kept.
//!
//! With no valid snapshot nothing is deleted. Unlike Apache, whose autopurge is off unless
//! configured, [`AutopurgeConfig::default`] purges every hour.
//!
//! [`plan_purge`] is the pure rule (a table of inputs and outputs, tested as such); [`purge`]
//! executes it on a [`SnapshotStore`] and a [`TxnLog`], whose
//! [`purge_before`](TxnLog::purge_before) applies rule 3 to its own files.
//! [`detach_purge`] splits it for a server: the decision on the thread that writes the log,
//! the slow deletions on another.
//!
//! ```
//! use zk_storage::purge::plan_purge;
//! use zk_proto::Zxid;
//!
//! // Snapshots at 0x10, 0x20, 0x30, 0x40 (all valid); logs starting at 1, 0x15, 0x25, 0x38.
//! let snaps = [Zxid(0x10), Zxid(0x20), Zxid(0x30), Zxid(0x40)].map(|z| (z, true));
//! let logs = [Zxid(1), Zxid(0x15), Zxid(0x25), Zxid(0x38)];
//! let plan = plan_purge(&snaps, &logs, 3);
//! assert_eq!(plan.oldest_kept, Some(Zxid(0x20)));
//! assert_eq!(plan.snapshots, [Zxid(0x10)]);
//! // log.15 holds the txns after 0x20, so only log.1 goes.
//! assert_eq!(plan.logs, [Zxid(1)]);
//! ```

use std::time::Duration;

use zk_proto::Zxid;

use crate::entry::LogEntry;
use crate::error::Result;
use crate::file_log::{DetachedLogFiles, FileTxnLog};
use crate::snapshot::{SnapshotInfo, SnapshotStore};
use crate::txn_log::TxnLog;

/// `autopurge.snapRetainCount` and `autopurge.purgeInterval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutopurgeConfig {
    /// How many snapshots to keep (`autopurge.snapRetainCount`), at least
    /// [`MIN_SNAP_RETAIN_COUNT`](Self::MIN_SNAP_RETAIN_COUNT).
    pub snap_retain_count: usize,
    /// Hours between purges (`autopurge.purgeInterval`); 0 disables autopurge.
    pub purge_interval_hours: u32,
}

impl AutopurgeConfig {
    /// The fewest snapshots Apache lets a purge keep.
    pub const MIN_SNAP_RETAIN_COUNT: usize = 3;

    /// A configuration from zoo.cfg's values. A retain count below 3 is raised to 3 with a
    /// warning, as Apache's `QuorumPeerConfig` does.
    pub fn new(snap_retain_count: usize, purge_interval_hours: u32) -> Self {
        let snap_retain_count = if snap_retain_count < Self::MIN_SNAP_RETAIN_COUNT {
            tracing::warn!(
                snap_retain_count,
                "autopurge.snapRetainCount below {}: using {}",
                Self::MIN_SNAP_RETAIN_COUNT,
                Self::MIN_SNAP_RETAIN_COUNT
            );
            Self::MIN_SNAP_RETAIN_COUNT
        } else {
            snap_retain_count
        };
        AutopurgeConfig {
            snap_retain_count,
            purge_interval_hours,
        }
    }

    /// The time between purges, or `None` when autopurge is off.
    pub fn interval(&self) -> Option<Duration> {
        (self.purge_interval_hours > 0)
            .then(|| Duration::from_secs(u64::from(self.purge_interval_hours) * 3600))
    }
}

impl Default for AutopurgeConfig {
    /// Keep 3 snapshots, purge hourly.
    fn default() -> Self {
        AutopurgeConfig {
            snap_retain_count: Self::MIN_SNAP_RETAIN_COUNT,
            purge_interval_hours: 1,
        }
    }
}

/// What a purge deletes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PurgePlan {
    /// The zxid of the oldest snapshot kept; `None` when there is no valid snapshot (and
    /// nothing is deleted).
    pub oldest_kept: Option<Zxid>,
    /// Zxids of the snapshots to delete, ascending.
    pub snapshots: Vec<Zxid>,
    /// Start zxids of the log files to delete, ascending.
    pub logs: Vec<Zxid>,
}

/// Apache's retention rule. `snapshots` are `(zxid, passes the quick check)` in any order;
/// `log_starts` are the start zxids of the log files (their names). Keeps the newest `retain`
/// valid snapshots (panics if `retain` < 3: configuration clamps it).
pub fn plan_purge(snapshots: &[(Zxid, bool)], log_starts: &[Zxid], retain: usize) -> PurgePlan {
    assert!(
        retain >= AutopurgeConfig::MIN_SNAP_RETAIN_COUNT,
        "snapRetainCount must be at least 3"
    );
    let mut valid: Vec<Zxid> = snapshots.iter().filter(|s| s.1).map(|s| s.0).collect();
    valid.sort_unstable_by(|a, b| b.cmp(a));
    valid.truncate(retain);
    let Some(&oldest_kept) = valid.last() else {
        return PurgePlan::default();
    };
    let mut delete_snaps: Vec<Zxid> = snapshots
        .iter()
        .map(|s| s.0)
        .filter(|&z| z < oldest_kept)
        .collect();
    delete_snaps.sort_unstable();
    delete_snaps.dedup();
    // The log file that may hold the txns right after `oldest_kept`.
    let needed_log = log_starts
        .iter()
        .copied()
        .filter(|&z| z <= oldest_kept)
        .max();
    let mut delete_logs: Vec<Zxid> = log_starts
        .iter()
        .copied()
        .filter(|&z| z < oldest_kept && Some(z) != needed_log)
        .collect();
    delete_logs.sort_unstable();
    delete_logs.dedup();
    PurgePlan {
        oldest_kept: Some(oldest_kept),
        snapshots: delete_snaps,
        logs: delete_logs,
    }
}

/// Runs one purge: deletes the snapshots [`plan_purge`] picks from `store`, then has `log`
/// delete its files before the oldest kept snapshot ([`TxnLog::purge_before`]). Returns what
/// was deleted (the plan's `logs` is left empty: the log decides on its own files).
///
/// Snapshots go first: if the purge stops half-way, every kept snapshot still has its logs.
pub fn purge<S, L>(store: &S, log: &mut L, config: &AutopurgeConfig) -> Result<PurgePlan>
where
    S: SnapshotStore,
    L: TxnLog,
{
    let (plan, doomed) = choose_snapshots(store, config)?;
    let Some(oldest_kept) = plan.oldest_kept else {
        return Ok(plan);
    };
    remove_snapshots(store, &doomed)?;
    log.purge_before(oldest_kept)?;
    Ok(plan)
}

/// A purge decided but not yet carried out: see [`detach_purge`].
#[derive(Debug)]
#[must_use = "nothing is deleted until the purge is executed"]
pub struct PendingPurge<S> {
    plan: PurgePlan,
    store: S,
    snapshots: Vec<SnapshotInfo>,
    logs: Option<DetachedLogFiles>,
}

impl<S: SnapshotStore> PendingPurge<S> {
    /// What it deletes (the plan's `logs` is left empty, as [`purge`]'s is).
    pub fn plan(&self) -> &PurgePlan {
        &self.plan
    }

    /// Deletes the snapshots, then the detached log files, as [`purge`] does.
    pub fn execute(self) -> Result<PurgePlan> {
        remove_snapshots(&self.store, &self.snapshots)?;
        if let Some(logs) = self.logs {
            logs.remove()?;
        }
        Ok(self.plan)
    }
}

/// [`purge`] in two halves, for a writer that must not wait for deletions: decides (reading
/// only the snapshots' names and ends) and detaches the log files from `log`
/// ([`FileTxnLog::detach_before`]) now, and returns the deletions, which may run on any
/// thread. What they delete is older than every snapshot kept and than every file `log`
/// still lists, so the writer goes on meanwhile; a crash before they finish leaves files the
/// next purge deletes.
pub fn detach_purge<S, E>(
    store: &S,
    log: &mut FileTxnLog<E>,
    config: &AutopurgeConfig,
) -> Result<PendingPurge<S>>
where
    S: SnapshotStore + Clone,
    E: LogEntry,
{
    let (plan, snapshots) = choose_snapshots(store, config)?;
    let logs = plan.oldest_kept.map(|zxid| log.detach_before(zxid));
    Ok(PendingPurge {
        plan,
        store: store.clone(),
        snapshots,
        logs,
    })
}

/// The plan for `store`'s snapshots (logs left to the log) and the snapshots it deletes.
fn choose_snapshots<S: SnapshotStore>(
    store: &S,
    config: &AutopurgeConfig,
) -> Result<(PurgePlan, Vec<SnapshotInfo>)> {
    let listed: Vec<SnapshotInfo> = store.list()?;
    let checked: Vec<(Zxid, bool)> = listed
        .iter()
        .map(|s| (s.zxid, store.looks_valid(s)))
        .collect();
    let retain = config
        .snap_retain_count
        .max(AutopurgeConfig::MIN_SNAP_RETAIN_COUNT);
    let plan = plan_purge(&checked, &[], retain);
    let Some(oldest_kept) = plan.oldest_kept else {
        tracing::info!("purge: no valid snapshot, nothing deleted");
        return Ok((plan, Vec::new()));
    };
    let doomed = listed
        .into_iter()
        .filter(|s| s.zxid < oldest_kept)
        .collect();
    Ok((plan, doomed))
}

fn remove_snapshots<S: SnapshotStore>(store: &S, doomed: &[SnapshotInfo]) -> Result<()> {
    for info in doomed {
        tracing::info!(snapshot = %info.name, "purge: removing snapshot");
        store.remove(info)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn z(v: i64) -> Zxid {
        Zxid(v)
    }

    /// (snapshots with validity, log starts, retain) → (oldest kept, snapshots deleted, logs
    /// deleted). Each row is a case from Apache's PurgeTxnLogTest or its comment.
    #[test]
    fn purge_rules_table() {
        type Row = (
            &'static [(i64, bool)],
            &'static [i64],
            usize,
            Option<i64>,
            &'static [i64],
            &'static [i64],
        );
        let rows: &[Row] = &[
            // Nothing stored.
            (&[], &[], 3, None, &[], &[]),
            // No valid snapshot: nothing deleted, not even old logs.
            (&[(0x10, false)], &[1, 0x11], 3, None, &[], &[]),
            // Fewer snapshots than retained: keep all, only logs older than the oldest's log go.
            (
                &[(0x10, true), (0x20, true)],
                &[1, 0x5, 0x12],
                3,
                Some(0x10),
                &[],
                &[1],
            ),
            // Exactly retain: the oldest is kept with its log (start ≤ its zxid).
            (
                &[(0x10, true), (0x20, true), (0x30, true), (0x40, true)],
                &[1, 0x15, 0x25, 0x38],
                3,
                Some(0x20),
                &[0x10],
                &[1],
            ),
            // A log starting exactly at the oldest kept snapshot's zxid is the one it needs.
            (
                &[(0x10, true), (0x20, true), (0x30, true), (0x40, true)],
                &[1, 0x15, 0x20, 0x38],
                3,
                Some(0x20),
                &[0x10],
                &[1, 0x15],
            ),
            // One log file spanning many snapshots (no roll): kept.
            (
                &[
                    (0x10, true),
                    (0x20, true),
                    (0x30, true),
                    (0x40, true),
                    (0x50, true),
                ],
                &[1],
                3,
                Some(0x30),
                &[0x10, 0x20],
                &[],
            ),
            // Invalid snapshots don't count towards retain; older ones are deleted even if
            // invalid, newer invalid ones are kept.
            (
                &[
                    (0x10, true),
                    (0x20, false),
                    (0x30, true),
                    (0x40, true),
                    (0x50, false),
                    (0x60, true),
                ],
                &[1, 0x25, 0x35, 0x45],
                3,
                Some(0x30),
                &[0x10, 0x20],
                &[1],
            ),
            // Retain 5.
            (
                &[
                    (1, true),
                    (2, true),
                    (3, true),
                    (4, true),
                    (5, true),
                    (6, true),
                    (7, true),
                ],
                &[1, 2, 3, 4, 5, 6, 7],
                5,
                Some(3),
                &[1, 2],
                &[1, 2],
            ),
            // Two snapshots of the same zxid (plain and .gz) count as two.
            (
                &[(0x10, true), (0x20, true), (0x20, true), (0x30, true)],
                &[1, 0x11],
                3,
                Some(0x20),
                &[0x10],
                &[1],
            ),
        ];
        for (i, (snaps, logs, retain, kept, del_snaps, del_logs)) in rows.iter().enumerate() {
            let snaps: Vec<(Zxid, bool)> = snaps.iter().map(|&(v, ok)| (z(v), ok)).collect();
            let logs: Vec<Zxid> = logs.iter().map(|&v| z(v)).collect();
            let plan = plan_purge(&snaps, &logs, *retain);
            let expected = PurgePlan {
                oldest_kept: kept.map(z),
                snapshots: del_snaps.iter().map(|&v| z(v)).collect(),
                logs: del_logs.iter().map(|&v| z(v)).collect(),
            };
            assert_eq!(plan, expected, "row {i}");
        }
    }

    #[test]
    fn retain_count_below_three_is_raised() {
        assert_eq!(AutopurgeConfig::new(1, 0).snap_retain_count, 3);
        assert_eq!(AutopurgeConfig::new(7, 0).snap_retain_count, 7);
        assert_eq!(AutopurgeConfig::new(3, 0).interval(), None);
        assert_eq!(
            AutopurgeConfig::default().interval(),
            Some(Duration::from_secs(3600))
        );
    }

    #[test]
    #[should_panic(expected = "at least 3")]
    fn plan_with_retain_below_three_is_a_bug() {
        plan_purge(&[], &[], 2);
    }
}
