//! Regression tests named after the ZooKeeper data-loss bugs of fault-scenarios.md
//! Appendix A that apply to a ZAB core. Each builds the bug's situation in the harness, whose
//! checker enforces the invariants throughout (persist-before-ack, no committed txn truncated,
//! prefix agreement, one leader per epoch), then asserts convergence with every acknowledged
//! write on every replica.

mod common;

use common::*;
use zk_zab::testing::{Cluster, ClusterOptions};
use zk_zab::{Role, SyncPlan};

/// ZOOKEEPER-1154/1156 (`testHighestZxidJoinLate`): the leader logs a txn after its followers
/// are gone, so it holds the highest zxid; it is down while the others elect a new leader and
/// commit; it joins late. Its uncommitted txn must go, and no committed txn with it.
#[test]
fn zookeeper_1154_highest_zxid_server_joins_late() {
    let mut cluster = Cluster::new(ClusterOptions::new(3, 0, 1154));
    write_acked(&mut cluster, b"create /hzxidtest1");
    write_acked(&mut cluster, b"create /hzxidtest2");
    let leader = cluster.leader().unwrap();
    let followers: Vec<_> = cluster
        .ids()
        .into_iter()
        .filter(|id| *id != leader)
        .collect();
    for f in &followers {
        cluster.crash(*f);
    }
    let highest = cluster.write_at(leader, b"setData /hzxidtest1 2").unwrap();
    cluster.flush(leader);
    cluster.crash(leader);
    for f in &followers {
        cluster.restart(*f);
    }
    let committed_later = write_acked(&mut cluster, b"create /after");
    cluster.restart(leader);
    converge(&mut cluster);
    assert!(matches!(
        last_plan(&cluster, leader),
        Some(SyncPlan::TruncDiff { .. })
    ));
    assert!(
        !cluster.checker().is_committed(highest),
        "the late server's txn was never committed"
    );
    assert!(cluster
        .checker()
        .state_includes(&cluster.replica(leader).sm, committed_later));
}

/// ZOOKEEPER-3911: followers acknowledged NEWLEADER before the DIFF proposals were on disk,
/// then the whole quorum crashed right after UPTODATE and committed txns were lost. Here the
/// syncing follower's disk stalls: the leader cannot establish until it is durable; then
/// everyone crashes at once.
#[test]
fn zookeeper_3911_newleader_is_acked_only_after_diff_txns_are_durable() {
    let mut cluster = Cluster::new(ClusterOptions::new(3, 0, 3911));
    write_acked(&mut cluster, b"a");
    let first = cluster.leader().unwrap();
    let behind = other_voter(&cluster, &[first]);
    cluster.crash(behind);
    for _ in 0..3 {
        write_acked(&mut cluster, b"committed while behind is down");
    }
    // The old leader goes: the survivor needs `behind` for a quorum and must DIFF it.
    cluster.crash(first);
    cluster.replica_mut(behind).auto_flush = false;
    cluster.restart(behind);
    cluster.run(400);
    assert_eq!(
        cluster.leader(),
        None,
        "no NEWLEADER ack while the DIFF is not durable"
    );
    assert!(matches!(
        last_plan(&cluster, behind),
        Some(SyncPlan::Diff { .. })
    ));
    cluster.replica_mut(behind).auto_flush = true;
    let leader = cluster.run_until_leader(20_000).unwrap();
    assert_ne!(leader, first);
    for id in cluster.live_ids() {
        cluster.crash(id);
    }
    converge(&mut cluster);
}

/// ZOOKEEPER-4643: a follower wrote `currentEpoch` before the synced txns reached its disk,
/// crashed, and later lost committed txns to a truncation. Here `currentEpoch` is not even
/// requested while the txns are pending, and a crash at that point loses nothing committed.
#[test]
fn zookeeper_4643_current_epoch_waits_for_the_synced_txns() {
    let mut cluster = Cluster::new(ClusterOptions::new(3, 0, 4643));
    write_acked(&mut cluster, b"a");
    let first = cluster.leader().unwrap();
    let behind = other_voter(&cluster, &[first]);
    cluster.crash(behind);
    write_acked(&mut cluster, b"b");
    write_acked(&mut cluster, b"c");
    cluster.crash(first);
    cluster.replica_mut(behind).auto_flush = false;
    let epoch_before = cluster.replica(behind).disk.current;
    cluster.restart(behind);
    let synced = cluster.run_until(20_000, |c| {
        c.replica(behind).disk.has_pending() && c.status(behind).is_some_and(|s| s.epoch.is_some())
    });
    assert!(synced);
    cluster.run(200);
    let status = cluster.status(behind).unwrap();
    assert_eq!(
        status.current_epoch, epoch_before,
        "currentEpoch not requested yet"
    );
    cluster.crash_losing_pending(behind);
    assert_eq!(cluster.replica(behind).disk.current, epoch_before);
    converge(&mut cluster);
}

/// ZOOKEEPER-4646: a follower acknowledged NEWLEADER, then crashed before the txns reached
/// its disk. Here the ack implies durability, so crashing the follower and the leader right
/// after the epoch is established loses nothing.
#[test]
fn zookeeper_4646_a_crash_right_after_the_newleader_ack_loses_nothing() {
    let mut cluster = Cluster::new(ClusterOptions::new(3, 0, 4646));
    write_acked(&mut cluster, b"a");
    let first = cluster.leader().unwrap();
    let behind = other_voter(&cluster, &[first]);
    cluster.crash(behind);
    for _ in 0..4 {
        write_acked(&mut cluster, b"b");
    }
    cluster.crash(first);
    cluster.restart(behind);
    let leader = cluster.run_until_leader(20_000).unwrap();
    cluster.crash(behind);
    cluster.crash(leader);
    converge(&mut cluster);
}

/// ZOOKEEPER-2355: a follower failed while reading a closeSession proposal, and the ephemeral
/// nodes were never deleted on it. At the ZAB level: a txn committed while a follower crashed
/// holding it un-fsynced must still be applied on that follower after restart.
#[test]
fn zookeeper_2355_a_committed_txn_reaches_a_follower_that_crashed_while_receiving_it() {
    let mut cluster = Cluster::new(ClusterOptions::new(3, 0, 2355));
    write_acked(&mut cluster, b"createSession");
    let leader = cluster.leader().unwrap();
    let follower = other_voter(&cluster, &[leader]);
    cluster.replica_mut(follower).auto_flush = false;
    let close = write_acked(&mut cluster, b"closeSession");
    assert!(
        cluster.replica(follower).disk.has_pending(),
        "the follower has it un-fsynced"
    );
    cluster.crash_losing_pending(follower);
    assert!(!cluster.replica(follower).disk.durable_has(close));
    cluster.replica_mut(follower).auto_flush = true;
    cluster.restart(follower);
    converge(&mut cluster);
    assert!(cluster
        .checker()
        .state_includes(&cluster.replica(follower).sm, close));
}

/// ZOOKEEPER-3642: the leader crashed after sending SNAP and before NEWLEADER; the next
/// leader sent a DIFF; the learner had only held the snapshot in memory and silently lost
/// data. Here the snapshot install is pending when the leader dies, the learner then crashes
/// before it is durable, and everything still converges.
#[test]
fn zookeeper_3642_a_learner_discards_a_partial_snapshot_sync() {
    let mut cluster = Cluster::new(ClusterOptions::new(3, 0, 3642).with_committed_log_max(2));
    write_acked(&mut cluster, b"a");
    // Every voter in broadcast first, so that crashing one leaves the leader its quorum.
    assert!(
        cluster.run_until_converged(20_000),
        "the ensemble converges"
    );
    let first = cluster.leader().unwrap();
    let learner = other_voter(&cluster, &[first]);
    let third = other_voter(&cluster, &[first, learner]);
    cluster.crash(learner);
    for _ in 0..6 {
        write_acked(&mut cluster, b"b");
    }
    cluster.replica_mut(learner).auto_flush = false;
    cluster.restart(learner);
    let snapped = cluster.run_until(20_000, |c| {
        matches!(last_plan(c, learner), Some(SyncPlan::Snap { .. }))
            && c.replica(learner).disk.install_pending()
    });
    assert!(snapped, "the learner is installing a snapshot");
    cluster.crash(first);
    // The third voter leads now and syncs the learner from its in-memory position.
    cluster.run_until(20_000, |c| {
        c.status(third).is_some_and(|s| s.role == Role::Leading)
    });
    cluster.run(100);
    cluster.crash(learner);
    assert!(!cluster.replica(learner).disk.install_pending());
    cluster.replica_mut(learner).auto_flush = true;
    converge(&mut cluster);
}
