//! An in-memory ZAB ensemble for tests: deterministic, seeded, replayable.
//!
//! [`Cluster`] runs N voters and M observers, each a real [`crate::Peer`], over a simulated
//! [`Network`] (per-connection FIFO with delays, connection loss, partitions; a lossy,
//! duplicating, reordering election port) and simulated [`Disk`]s whose un-fsynced writes may
//! be lost in a crash. A toy state machine ([`SmState`], a running hash of applied txns)
//! stands in for the data tree; a client model proposes writes at the leader and records
//! which were acknowledged. After every action the [`Checker`] verifies the protocol
//! invariants of fault-scenarios.md §A7; [`Cluster::check_durability`] and
//! [`Cluster::converged`] give G-Dur and G-Conv after healing.
//!
//! Everything random flows from one seed through [`SimRng`]; a failure message names the
//! seed, and `ZAB_SEED=<seed>` replays it exactly ([`seeds_from_env`]). `ZAB_TRACE=<n>`
//! adds the last `n` events to failure messages.
//!
//! # Layout
//!
//! - [`cluster`] — [`Cluster`] and [`ClusterOptions`]: stepping, faults, client writes.
//! - [`network`] — [`Network`], connections and partitions.
//! - [`disk`] — [`Disk`], durable versus pending writes and crashes.
//! - [`checker`] — [`Checker`], the invariants.
//! - [`state_machine`] — [`SmState`].
//! - [`soak`] — [`run_soak`], randomized runs from a seed.
//! - [`rng`] — [`SimRng`].
//!
//! # Example
//!
//! ```
//! use zk_zab::testing::{Cluster, ClusterOptions};
//! use zk_zab::SyncPlan;
//!
//! // A follower misses a few writes while down and catches up by DIFF.
//! let mut cluster = Cluster::new(ClusterOptions::new(3, 1, 11));
//! let leader = cluster.run_until_leader(2_000).unwrap();
//! let follower = cluster.ids().into_iter().find(|id| *id != leader && id.0 <= 3).unwrap();
//! cluster.crash(follower);
//! for _ in 0..3 {
//!     let zxid = cluster.write(b"x").unwrap();
//!     assert!(cluster.run_until(2_000, |c| c.is_acknowledged(zxid)));
//! }
//! cluster.restart(follower);
//! assert!(cluster.run_until_converged(10_000));
//! assert!(cluster.sync_plans().iter().any(|(_, learner, plan)|
//!     *learner == follower && matches!(plan, SyncPlan::Diff { .. })));
//! ```

pub mod checker;
pub mod cluster;
pub mod disk;
pub mod network;
pub mod rng;
pub mod soak;
pub mod state_machine;

pub use checker::Checker;
pub use cluster::{Cluster, ClusterOptions, Replica};
pub use disk::Disk;
pub use network::{NetOptions, Network};
pub use rng::SimRng;
pub use soak::{run_soak, seeds_from_env, SoakOptions, SoakReport};
pub use state_machine::SmState;
