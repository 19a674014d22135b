//! The four sync modes, each in the situation it exists for, in a 3-voter ensemble: the test
//! asserts which plan the leader chose and that every replica converges to the same state
//! with every acknowledged write.

mod common;

use common::*;
use zk_zab::testing::{Cluster, ClusterOptions};
use zk_zab::SyncPlan;

#[test]
fn diff_syncs_a_follower_a_few_txns_behind() {
    let mut cluster = Cluster::new(ClusterOptions::new(3, 0, 101));
    write_acked(&mut cluster, b"a");
    let leader = cluster.leader().unwrap();
    let follower = other_voter(&cluster, &[leader]);
    cluster.crash(follower);
    let behind = cluster.replica(follower).disk.durable_last();
    for _ in 0..3 {
        write_acked(&mut cluster, b"missed");
    }
    cluster.restart(follower);
    converge(&mut cluster);
    assert_eq!(
        last_plan(&cluster, follower),
        Some(SyncPlan::Diff { from: behind })
    );
}

/// The old leader logs a proposal nobody else gets, crashes, and rejoins after the new
/// leader committed more in a new epoch: roll back to the newest common zxid, then diff.
#[test]
fn trunc_diff_rolls_back_an_old_leaders_unreplicated_proposal() {
    let mut cluster = Cluster::new(ClusterOptions::new(3, 0, 102));
    let common_zxid = write_acked(&mut cluster, b"a");
    let old = cluster.leader().unwrap();
    cluster.isolate(old);
    let lost = cluster.write_at(old, b"never replicated").unwrap();
    cluster.flush(old);
    cluster.crash(old);
    cluster.heal();
    write_acked(&mut cluster, b"new epoch 1");
    write_acked(&mut cluster, b"new epoch 2");
    cluster.restart(old);
    converge(&mut cluster);
    assert_eq!(
        last_plan(&cluster, old),
        Some(SyncPlan::TruncDiff {
            truncate_to: common_zxid
        })
    );
    assert!(!cluster.checker().is_committed(lost));
}

/// A learner ahead of the leader's last zxid with uncommitted txns is truncated.
#[test]
fn trunc_cuts_a_learner_ahead_of_the_leader() {
    let mut cluster = Cluster::new(ClusterOptions::new(3, 0, 103));
    let last = write_acked(&mut cluster, b"a");
    let old = cluster.leader().unwrap();
    cluster.isolate(old);
    let lost = cluster.write_at(old, b"never replicated").unwrap();
    cluster.flush(old);
    cluster.crash(old);
    cluster.heal();
    let next = cluster.run_until_leader(20_000).unwrap();
    assert_ne!(next, old);
    cluster.restart(old);
    converge(&mut cluster);
    assert_eq!(
        last_plan(&cluster, old),
        Some(SyncPlan::Trunc { truncate_to: last })
    );
    assert!(!cluster.checker().is_committed(lost));
}

/// A follower that fell behind the committed-log window gets a snapshot.
#[test]
fn snap_syncs_a_follower_behind_the_committed_log_window() {
    let mut cluster = Cluster::new(ClusterOptions::new(3, 0, 104).with_committed_log_max(3));
    write_acked(&mut cluster, b"a");
    let leader = cluster.leader().unwrap();
    let follower = other_voter(&cluster, &[leader]);
    cluster.crash(follower);
    let mut last = None;
    for _ in 0..10 {
        last = Some(write_acked(&mut cluster, b"missed"));
    }
    cluster.restart(follower);
    converge(&mut cluster);
    assert_eq!(
        last_plan(&cluster, follower),
        Some(SyncPlan::Snap {
            zxid: last.unwrap()
        })
    );
}

/// A server that lost its data directory comes back empty and gets a snapshot.
#[test]
fn snap_syncs_an_empty_learner() {
    let mut cluster = Cluster::new(ClusterOptions::new(3, 1, 105).with_committed_log_max(3));
    for _ in 0..6 {
        write_acked(&mut cluster, b"a");
    }
    let observer = cluster.options().observer_ids()[0];
    cluster.wipe(observer);
    let last = write_acked(&mut cluster, b"b");
    cluster.restart(observer);
    converge(&mut cluster);
    assert_eq!(
        last_plan(&cluster, observer),
        Some(SyncPlan::Snap { zxid: last })
    );
}
