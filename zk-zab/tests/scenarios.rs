//! Whole-ensemble scenarios from fault-scenarios.md §A1/A2/A5 in the harness: a zombie
//! leader, observers, rolling restarts, coordinated crashes, zxid rollover.

mod common;

use common::*;
use zk_zab::testing::{Cluster, ClusterOptions};
use zk_zab::Role;

/// A1.1 / A2.3: a leader cut off from its followers stops serving within syncLimit, never
/// acknowledges what it accepts meanwhile, and the majority moves on.
#[test]
fn an_isolated_leader_stops_serving_and_never_acknowledges() {
    let mut cluster = Cluster::new(ClusterOptions::new(5, 0, 11));
    write_acked(&mut cluster, b"a");
    let old = cluster.leader().unwrap();
    cluster.isolate(old);
    let zombie = cluster.write_at(old, b"zombie write").unwrap();
    let stepped_down = cluster.run_until(2_000, |c| c.status(old).is_some_and(|s| !s.serving));
    assert!(stepped_down, "the old leader stops serving");
    assert!(!cluster.is_acknowledged(zombie));
    let new = cluster.run_until_leader(20_000).unwrap();
    assert_ne!(new, old);
    write_acked(&mut cluster, b"majority side");
    converge(&mut cluster);
    assert!(!cluster.checker().is_committed(zombie));
}

/// A1.3: the old leader can send but not receive. The rest elect a leader and make progress.
#[test]
fn an_asymmetric_partition_does_not_stop_the_majority() {
    let mut cluster = Cluster::new(ClusterOptions::new(3, 0, 13));
    write_acked(&mut cluster, b"a");
    let old = cluster.leader().unwrap();
    for id in cluster.ids() {
        if id != old {
            cluster.net_mut().block(id, old);
        }
    }
    let progressed = cluster.run_until(20_000, |c| c.leader().is_some_and(|l| l != old));
    assert!(progressed);
    write_acked(&mut cluster, b"b");
    converge(&mut cluster);
}

/// Observers receive committed txns, survive crashes, and never count towards a quorum.
#[test]
fn observers_follow_commits_but_never_make_a_quorum() {
    let mut cluster = Cluster::new(ClusterOptions::new(3, 2, 21));
    write_acked(&mut cluster, b"a");
    let leader = cluster.leader().unwrap();
    let voters: Vec<_> = cluster.options().voter_ids();
    for v in voters.iter().filter(|v| **v != leader) {
        cluster.crash(*v);
    }
    // Leader plus two observers is not a quorum of voters.
    let lost_quorum = cluster.run_until(2_000, |c| c.leader().is_none());
    assert!(lost_quorum);
    let observer = cluster.options().observer_ids()[0];
    cluster.run(500);
    assert_ne!(
        cluster.status(observer).map(|s| s.role),
        Some(Role::Leading)
    );
    converge(&mut cluster);
    write_acked(&mut cluster, b"b");
    converge(&mut cluster);
}

/// A5.4: a rolling restart of every server, one at a time, while writes continue.
#[test]
fn a_rolling_restart_loses_no_acknowledged_write() {
    let mut cluster = Cluster::new(ClusterOptions::new(3, 1, 31));
    for id in cluster.ids() {
        write_acked(&mut cluster, b"before");
        cluster.crash(id);
        write_acked(&mut cluster, b"during");
        cluster.restart(id);
        cluster.run(200);
    }
    converge(&mut cluster);
}

/// A2.2: every server crashes at once, losing a random part of what was not fsynced, then
/// they come back in turn. Nothing acknowledged may be lost.
#[test]
fn a_coordinated_crash_of_every_server_loses_no_acknowledged_write() {
    for seed in 0..20 {
        let mut cluster = Cluster::new(ClusterOptions::new(3, 1, 4000 + seed));
        for _ in 0..5 {
            write_acked(&mut cluster, b"w");
        }
        for _ in 0..5 {
            cluster.write(b"in flight");
            cluster.step();
        }
        for id in cluster.live_ids() {
            cluster.crash(id);
        }
        converge(&mut cluster);
    }
}

/// Counter exhaustion forces a new epoch and writes carry on in it.
#[test]
fn zxid_counter_exhaustion_moves_to_a_new_epoch_cleanly() {
    let mut cluster = Cluster::new(ClusterOptions::new(3, 0, 41).with_zxid_counter_max(3));
    let mut zxids = Vec::new();
    while zxids.len() < 10 {
        let leader = cluster.run_until_leader(20_000).unwrap();
        if let Some(z) = cluster.write_at(leader, b"w") {
            assert!(cluster.run_until(20_000, |c| c.is_acknowledged(z)));
            zxids.push(z);
        }
    }
    let epochs: std::collections::BTreeSet<_> = zxids.iter().map(|z| z.epoch()).collect();
    assert!(epochs.len() >= 3, "{zxids:?}");
    assert!(zxids.iter().all(|z| z.counter() <= 3));
    converge(&mut cluster);
}
