//! Quorum mode: the server as a member of a replicated ensemble, replicating with ZAB.
//!
//! A `zoo.cfg` with more than one participant `server.N` line (or `standaloneEnabled=false`)
//! starts [`runner::run`] instead of the standalone [`crate::server::run`]. The same
//! [`ServerCore`](crate::core::ServerCore) serves clients; what changes is where a write goes
//! and when it commits:
//!
//! ```text
//!                 ┌──────────────── one core task per server ─────────────────┐
//!   clients ────▶ │ ServerCore ──write/session/sync──▶ (leader) prep → txn    │
//!                 │     ▲                                   │                 │
//!                 │     └──────── Commit(txn) ◀── zk_zab::Peer ◀─ ACKs ◀──────┼── quorum port
//!                 └───────────────────────────────────────────────────────────┘
//! ```
//!
//! - The **leader** prepares every write (its own clients' and those its learners forward),
//!   proposes the txn through [`zk_zab::Peer`], which logs it, sends PROPOSALs, and commits
//!   once a quorum (itself included) has logged it durably. Only then is it applied and
//!   answered. The leader alone expires sessions and reaps containers.
//! - **Followers** and **observers** serve reads from their own tree and forward writes,
//!   session creation and `sync` to the leader (see [`crate::core::Forward`]); they apply every
//!   committed txn and answer the requests they forwarded when those commit. Learners report
//!   the sessions their clients touched every tick so that the leader keeps them alive.
//! - A server that is electing or synchronizing serves no client: every client connection is
//!   closed when it stops serving (clients move to another server with their session) and the
//!   four-letter words answer "This ZooKeeper instance is not currently serving requests".
//!
//! Durability is ZAB's: a txn is acknowledged to a client only after a quorum logged it, and
//! only committed txns ever reach the tree, on every server (after a restart the tree is the
//! last snapshot, and the log's tail goes back to the `Peer`, which commits it once the
//! ensemble agrees).
//!
//! # Layout
//!
//! - [`runner`] — the core task: owns the `ServerCore` and the `Peer` and executes both cores'
//!   actions.
//! - [`net`] — the election and quorum listeners and connections ([`net::QuorumNet`]).
//! - [`storage`] — recovery, the storage thread executing ZAB's log, epoch and snapshot
//!   actions, and the snapshot sync body a SNAP carries.
//!
//! # Differences from Apache ZooKeeper
//!
//! The quorum and election ports speak Apache's packet formats, but the contents of a
//! forwarded REQUEST are this server's own ([`crate::core::Forward`]), so an ensemble cannot mix
//! Apache servers and these. Not implemented: dynamic reconfiguration, local sessions,
//! read-only mode, observer masters, quorum SASL/TLS, hierarchical (group/weight) quorums.

pub mod net;
pub mod runner;
pub mod storage;
