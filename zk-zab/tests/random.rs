//! Randomized runs in the harness: random ensembles (1–5 voters, 0–2 observers), random
//! network and disk behaviour, crashes (single and coordinated), partitions, connection cuts
//! and stalled disks, with writes throughout; every invariant is checked after every action,
//! and after healing the ensemble must converge with every acknowledged write everywhere.
//!
//! `ZAB_SEED=n` replays one seed, `ZAB_SEEDS=n` runs n seeds (default 500),
//! `ZAB_SEED_BASE=n` shifts the range; `ZAB_SOAK=n` additionally runs n long seeds.

use std::collections::BTreeMap;

use zk_zab::testing::{run_soak, seeds_from_env, SoakOptions};

#[test]
fn random_faults_never_violate_an_invariant_or_lose_an_acknowledged_write() {
    let seeds = seeds_from_env(500);
    let mut plans: BTreeMap<&'static str, usize> = BTreeMap::new();
    let (mut acked, mut epochs) = (0, 0);
    for seed in &seeds {
        let report = run_soak(*seed, &SoakOptions::default());
        for (plan, n) in &report.plans {
            *plans.entry(plan).or_default() += n;
        }
        acked += report.acked;
        epochs += report.epochs;
    }
    eprintln!(
        "zk-zab: {} seeds, {acked} acknowledged writes, {epochs} established epochs, sync plans {plans:?}",
        seeds.len()
    );
    if seeds.len() >= 100 {
        for plan in ["diff", "trunc+diff", "trunc", "snap"] {
            assert!(
                plans.contains_key(plan),
                "the seeds never exercised {plan}: {plans:?}"
            );
        }
    }
}

#[test]
fn long_soak_when_asked() {
    let Some(count) = std::env::var("ZAB_SOAK")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    else {
        eprintln!("zk-zab: set ZAB_SOAK=<seeds> for the long soak");
        return;
    };
    let base = std::env::var("ZAB_SEED_BASE")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(1_000_000);
    let options = SoakOptions {
        steps: 30_000,
        ..SoakOptions::default()
    };
    for seed in base..base + count {
        let report = run_soak(seed, &options);
        eprintln!("{report:?}");
    }
}

#[test]
fn a_seed_replays_identically() {
    let a = run_soak(77, &SoakOptions::default());
    let b = run_soak(77, &SoakOptions::default());
    assert_eq!(
        (a.acked, a.committed, a.epochs, a.crashes, a.plans),
        (b.acked, b.committed, b.epochs, b.crashes, b.plans)
    );
}
