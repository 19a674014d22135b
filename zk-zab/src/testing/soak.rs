//! Randomized runs: [`run_soak`] builds a random ensemble from a seed, throws random faults
//! and writes at it, then heals everything and requires convergence with no acknowledged
//! write lost. Every invariant of [`super::Checker`] is checked throughout.
//!
//! Seeds come from the environment through [`seeds_from_env`]: `ZAB_SEED=n` replays one
//! seed, `ZAB_SEEDS=n` sets how many run, `ZAB_SEED_BASE=n` shifts the range.

use std::collections::BTreeMap;

use crate::action::Role;
use crate::quorum::ServerId;

use super::cluster::{Cluster, ClusterOptions};
use super::network::NetOptions;
use super::rng::SimRng;

/// How long and how hostile a randomized run is.
#[derive(Debug, Clone, Copy)]
pub struct SoakOptions {
    /// Time units with faults and writes.
    pub steps: u64,
    /// Time units allowed to converge after healing.
    pub converge_steps: u64,
    /// Per step, the probability of a client write.
    pub write_prob: f64,
    /// Per step, the probability of crashing a random live server.
    pub crash_prob: f64,
    /// Per step, the probability of crashing every server at once.
    pub crash_all_prob: f64,
    /// Per step, the probability of restarting a random crashed server.
    pub restart_prob: f64,
    /// Per step, the probability of a random two-way partition.
    pub partition_prob: f64,
    /// Per step, the probability of cutting the current leader off (it keeps accepting
    /// writes until syncLimit: the zombie-leader case that makes TRUNC necessary).
    pub isolate_leader_prob: f64,
    /// Per step, the probability of healing partitions.
    pub heal_prob: f64,
    /// Per step, the probability of cutting a random quorum connection.
    pub cut_prob: f64,
    /// Per step, the probability of stalling or unstalling a random disk.
    pub stall_prob: f64,
}

impl Default for SoakOptions {
    fn default() -> SoakOptions {
        SoakOptions {
            steps: 3_000,
            converge_steps: 30_000,
            write_prob: 0.15,
            crash_prob: 0.003,
            crash_all_prob: 0.0003,
            restart_prob: 0.01,
            partition_prob: 0.002,
            isolate_leader_prob: 0.001,
            heal_prob: 0.004,
            cut_prob: 0.003,
            stall_prob: 0.002,
        }
    }
}

/// What a randomized run did.
#[derive(Debug, Clone, Default)]
pub struct SoakReport {
    /// The seed.
    pub seed: u64,
    /// Voters and observers.
    pub shape: (usize, usize),
    /// Writes acknowledged to clients.
    pub acked: usize,
    /// Txns committed.
    pub committed: usize,
    /// Epochs that got an established leader.
    pub epochs: usize,
    /// Sync plans chosen, by kind.
    pub plans: BTreeMap<&'static str, usize>,
    /// Crashes injected.
    pub crashes: usize,
}

/// The cluster shape and knobs a seed stands for.
pub fn random_options(seed: u64) -> ClusterOptions {
    let mut rng = SimRng::new(seed ^ 0x5eed_0fc1_u64);
    let voters = [1, 3, 3, 3, 5, 5][rng.below(6) as usize];
    let observers = [0, 0, 1, 2][rng.below(4) as usize];
    let mut opts = ClusterOptions::new(voters, observers, seed).with_net(NetOptions {
        max_delay: 1 + rng.below(8),
        election_drop: [0.0, 0.05, 0.2][rng.below(3) as usize],
        election_dup: [0.0, 0.05][rng.below(2) as usize],
        notify_close_prob: [1.0, 0.8, 0.3][rng.below(3) as usize],
    });
    opts.flush_prob = [0.1, 0.3, 0.8][rng.below(3) as usize];
    opts.committed_log_max = [3, 10, 500][rng.below(3) as usize];
    if rng.chance(0.15) {
        opts.zxid_counter_max = 5 + rng.below(20) as u32;
    }
    opts
}

/// Runs one randomized scenario; panics (naming the seed) on any violation, on a lost
/// acknowledged write, or if the healed cluster does not converge.
pub fn run_soak(seed: u64, soak: &SoakOptions) -> SoakReport {
    let opts = random_options(seed);
    let shape = (opts.voters, opts.observers);
    let mut cluster = Cluster::new(opts);
    let mut rng = SimRng::new(seed.rotate_left(32) ^ 0xfa17);
    // Some seeds are calm, some stormy.
    let intensity = [0.5, 1.0, 1.0, 2.0, 4.0][rng.below(5) as usize];
    let faults = SoakOptions {
        crash_prob: soak.crash_prob * intensity,
        crash_all_prob: soak.crash_all_prob * intensity,
        restart_prob: soak.restart_prob * intensity,
        partition_prob: soak.partition_prob * intensity,
        isolate_leader_prob: soak.isolate_leader_prob * intensity,
        cut_prob: soak.cut_prob * intensity,
        stall_prob: soak.stall_prob * intensity,
        ..*soak
    };
    let mut crashes = 0;
    for _ in 0..soak.steps {
        crashes += inject_faults(&mut cluster, &mut rng, &faults);
        if rng.chance(soak.write_prob) {
            cluster.write(b"w");
        }
        cluster.step();
    }
    for id in cluster.ids() {
        cluster.replica_mut(id).auto_flush = true;
    }
    if !cluster.run_until_converged(soak.converge_steps) {
        cluster.fail(format!(
            "no convergence after healing: {}",
            describe(&cluster)
        ));
    }
    cluster.check_durability();
    // Liveness after healing: one more write goes through (a leader whose zxid counter ran
    // out refuses it and a new epoch has to start first).
    let mut ok = false;
    for _ in 0..3 {
        cluster.run_until_leader(soak.converge_steps);
        if let Some(z) = cluster.write(b"final") {
            ok = cluster.run_until(soak.converge_steps, |c| c.is_acknowledged(z));
            break;
        }
    }
    if !ok {
        cluster.fail(format!(
            "a final write was not acknowledged: {}",
            describe(&cluster)
        ));
    }
    let mut plans = BTreeMap::new();
    for (_, _, plan) in cluster.sync_plans() {
        let name = match plan {
            crate::SyncPlan::Diff { .. } => "diff",
            crate::SyncPlan::TruncDiff { .. } => "trunc+diff",
            crate::SyncPlan::Trunc { .. } => "trunc",
            crate::SyncPlan::Snap { .. } => "snap",
        };
        *plans.entry(name).or_default() += 1;
    }
    SoakReport {
        seed,
        shape,
        acked: cluster.checker().acked().len(),
        committed: cluster.checker().committed_len(),
        epochs: cluster.checker().leaders().len(),
        plans,
        crashes,
    }
}

/// One step's worth of random faults; returns the number of crashes.
fn inject_faults(cluster: &mut Cluster, rng: &mut SimRng, soak: &SoakOptions) -> usize {
    let ids = cluster.ids();
    let live = cluster.live_ids();
    let down: Vec<ServerId> = ids
        .iter()
        .filter(|id| !live.contains(id))
        .copied()
        .collect();
    let mut crashes = 0;
    if rng.chance(soak.crash_prob) {
        if let Some(id) = rng.pick(&live) {
            cluster.crash(id);
            crashes += 1;
        }
    }
    if rng.chance(soak.crash_all_prob) {
        for id in &live {
            cluster.crash(*id);
            crashes += 1;
        }
    }
    if rng.chance(soak.restart_prob) {
        if let Some(id) = rng.pick(&down) {
            cluster.restart(id);
        }
    }
    if rng.chance(soak.partition_prob) {
        let mut shuffled = ids.clone();
        rng.shuffle(&mut shuffled);
        let k = 1 + rng.below(shuffled.len() as u64 - 1) as usize;
        let (a, b) = shuffled.split_at(k);
        cluster.partition(&[a.to_vec(), b.to_vec()]);
    }
    if rng.chance(soak.isolate_leader_prob) {
        if let Some(leader) = cluster.leader() {
            cluster.isolate(leader);
        }
    }
    if rng.chance(soak.heal_prob) {
        cluster.heal();
    }
    if rng.chance(soak.cut_prob) {
        if let (Some(a), Some(b)) = (rng.pick(&ids), rng.pick(&ids)) {
            if a != b {
                cluster.cut(a, b);
            }
        }
    }
    if rng.chance(soak.stall_prob) {
        if let Some(id) = rng.pick(&ids) {
            let r = cluster.replica_mut(id);
            r.auto_flush = !r.auto_flush;
        }
    }
    crashes
}

/// A one-line summary of every server, for failure messages.
pub fn describe(cluster: &Cluster) -> String {
    cluster
        .ids()
        .into_iter()
        .map(|id| match cluster.status(id) {
            None => format!("{id}: down"),
            Some(s) => format!(
                "{id}: {:?}{} epoch {:?} last {} committed {} serving {}",
                s.role,
                if s.role == Role::Leading && s.established {
                    "(established)"
                } else {
                    ""
                },
                s.epoch,
                s.last_zxid,
                s.committed_zxid,
                s.serving
            ),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The seeds to run: `ZAB_SEED` alone if set, else `ZAB_SEEDS` (default `default_count`)
/// seeds from `ZAB_SEED_BASE` (default 0). Prints what it chose.
pub fn seeds_from_env(default_count: u64) -> Vec<u64> {
    let var = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    if let Some(seed) = var("ZAB_SEED") {
        eprintln!("zk-zab: replaying ZAB_SEED={seed}");
        return vec![seed];
    }
    let count = var("ZAB_SEEDS").unwrap_or(default_count);
    let base = var("ZAB_SEED_BASE").unwrap_or(0);
    eprintln!(
        "zk-zab: running seeds {base}..{} (ZAB_SEED=n replays one)",
        base + count
    );
    (base..base + count).collect()
}
