//! ZooKeeper Atomic Broadcast as a sans-IO state machine.
//!
//! [`Peer`] is one server's replication core: fast leader election, discovery,
//! synchronization (DIFF, TRUNC+DIFF, TRUNC, SNAP) and broadcast, for followers and
//! observers, as ZooKeeper 3.8/3.9 run them (the few differences are listed below) and with
//! the fixes for the data-loss bugs of its sync phase (ZOOKEEPER-3911, 4643, 4646, 4685,
//! 3642) built into its structure. It has no sockets, files,
//! threads or clocks: the caller feeds it inputs ([`Peer::tick`], [`Peer::step`],
//! [`Peer::propose`] and completion callbacks) and executes the [`Action`]s it returns, in
//! order. The core enforces durability order itself: no ACK before the caller reports the
//! proposal durable, no ACKEPOCH before `acceptedEpoch` is durable, no ACK of NEWLEADER before
//! the synced txns and then `currentEpoch` are durable.
//!
//! Because it is deterministic, [`testing`] can run whole ensembles in memory under a seeded
//! simulated network and disk, with crashes that lose un-fsynced data, checking the
//! protocol's invariants after every step.
//!
//! # Layout
//!
//! - [`peer`] — [`Peer`], its inputs and [`Status`]; dispatches to the phases below.
//! - `election` — fast leader election (votes, rounds, finalize wait, joining a leader).
//! - `discovery` — FOLLOWERINFO → LEADERINFO → ACKEPOCH, choosing the new epoch.
//! - [`synchronization`] — [`SyncPlan`] and [`choose_sync_plan`], NEWLEADER and UPTODATE.
//! - `broadcast` — proposals, ACKs, COMMIT/INFORM, pings, `syncLimit`, zxid rollover.
//! - `leader`, `learner` — the per-role state those phases share.
//! - [`quorum`] — [`ServerId`] and the majority [`QuorumVerifier`].
//! - [`message`] — [`Message`], [`Proposal`], [`Vote`], [`Notification`].
//! - [`action`] — [`Action`] and the caller's storage contract.
//! - [`state`] — what must be persisted, and [`Restored`] to restart from.
//! - [`log`] — [`TxnLog`], the in-memory log and committed-log window.
//! - [`config`] — [`Config`], every limit in ticks.
//! - [`error`] — [`Error`].
//! - [`wire`] — mapping to and from `zk-proto`'s `QuorumPacket` and FLE notification.
//! - [`testing`] — the in-memory cluster harness (network, disk, crash, invariants).
//!
//! # Wiring it into a server
//!
//! One task owns the [`Peer`] and loops "input → core call → execute [`Action`]s in order":
//! call [`Peer::tick`] every [`config::DEFAULT_CORE_TICK_MS`] (or what the [`Config`] was
//! built for); decode packets with [`wire`] and pass them to [`Peer::step`] (the quorum
//! connection a learner opened identifies the peer through its FOLLOWERINFO); hand storage
//! actions to the txn-log/epoch-file thread and feed its completions back in the order it
//! made them durable; apply [`Action::Commit`] to the data tree; report closed quorum
//! connections with [`Peer::on_disconnected`]. After a restart, build [`Restored`] from what
//! storage recovered. The contracts are in [`action`] and [`state`]. `zk-server`'s
//! `ensemble` module is such a caller: one tokio task owning a `Peer` and the server's own
//! deterministic core, a network layer for the two ports, and a storage thread.
//!
//! # Differences from ZooKeeper
//!
//! Where Apache ZooKeeper had a data-loss bug, this core does what the fix does; elsewhere it
//! follows ZooKeeper except, deliberately:
//!
//! - only committed txns ever reach the state machine ([`Action::Commit`]); ZooKeeper replays
//!   its whole log, committed or not, into the data tree at startup (ZOOKEEPER-1549, 2845);
//! - a learner logs synced txns as they arrive rather than holding them until NEWLEADER, and
//!   the core, not thread timing, orders "txns durable → `currentEpoch` → ACK(NEWLEADER)";
//! - TRUNC may cross an epoch boundary (ZooKeeper falls back to SNAP), and a learner at the
//!   committed-log window's lower bound is diffable (see [`synchronization`]);
//! - a leader that meets a learner which promised a higher epoch adopts the promise and
//!   re-elects, instead of leaving that server out until the next leader change;
//! - the leader's ACK bookkeeping is cumulative (a follower's log is a prefix), so a follower
//!   sends one ACK, for the newest txn, per batch that became durable together, and the leader
//!   one COMMIT, for the newest txn, per commit step (ZooKeeper sends one of each per txn, and
//!   its leader would not count an ACK for earlier txns: an ensemble cannot mix the two
//!   anyway); a learner rejects a proposal that does not directly follow its log
//!   (ZOOKEEPER-4925's fix);
//! - not modelled: dynamic reconfiguration, REVALIDATE packets, session data in PINGs
//!   (forward them with [`Peer::forward`] / [`Action::Forwarded`]), quorum authentication.
//!
//! # Example
//!
//! Three voters in the harness: elect a leader, write through it, crash it, and check that the
//! survivors elect a new one that still has the acknowledged write.
//!
//! ```
//! use zk_zab::testing::{Cluster, ClusterOptions};
//!
//! let mut cluster = Cluster::new(ClusterOptions::new(3, 0, 7));
//! let leader = cluster.run_until_leader(2_000).expect("a leader is elected");
//! let zxid = cluster.write(b"create /a").expect("the leader accepts the write");
//! cluster.run_until(2_000, |c| c.is_acknowledged(zxid));
//!
//! cluster.crash(leader);
//! let next = cluster.run_until_leader(5_000).expect("the survivors elect a new leader");
//! assert_ne!(next, leader);
//! cluster.restart(leader);
//! assert!(cluster.run_until_converged(10_000), "all replicas converge");
//! cluster.check_durability(); // every acknowledged write is on every replica
//! ```

pub mod action;
mod broadcast;
pub mod config;
mod discovery;
mod election;
pub mod error;
mod leader;
mod learner;
pub mod log;
pub mod message;
pub mod peer;
pub mod quorum;
pub mod state;
pub mod synchronization;
pub mod testing;
pub mod wire;

pub use action::{Action, EpochKind, Role};
pub use config::Config;
pub use error::{Error, Result};
pub use leader::LearnerSummary;
pub use log::TxnLog;
pub use message::{Message, Notification, Proposal, ServerState, Vote};
pub use peer::{Peer, Status};
pub use quorum::{QuorumVerifier, ServerId};
pub use state::Restored;
pub use synchronization::{choose_sync_plan, SyncPlan};
