//! [`Action`]: what the core asks its caller to do.
//!
//! [`crate::Peer::take_actions`] drains them; the caller executes them **in order**. The order
//! carries meaning: a `Send` that follows an `AppendTxns` must not overtake it on the wire, a
//! `SendSnapshot` must snapshot exactly the state produced by the `Commit`s before it, and
//! `TruncateLogAfter` applies to the log as left by the actions before it.
//!
//! # Contract for storage actions
//!
//! - `PersistAcceptedEpoch(e)` / `PersistCurrentEpoch(e)`: write the `acceptedEpoch` /
//!   `currentEpoch` file atomically (temp file, fsync, rename, fsync dir), then call
//!   [`crate::Peer::on_epoch_persisted`]. The two files are independent: the core itself orders
//!   them against the log where it matters.
//! - `AppendTxns(txns)`: append to the txn log, in order, with no holes. Durability may be
//!   asynchronous (group commit): once every append up to zxid `z` is fsynced, call
//!   [`crate::Peer::on_log_persisted`]`(z)`.
//! - `TruncateLogAfter(z)`: remove every logged txn above `z`, **durably, before executing the
//!   next action** (ZooKeeper's learner truncates synchronously too). The core never asks to
//!   remove a txn it knows to be committed, and never asks to remove one below the state
//!   machine's applied zxid.
//! - `InstallSnapshot { zxid, snapshot }`: replace the state machine with `snapshot` and empty
//!   the log, so that the log continues after `zxid`. The swap must be atomic on disk (after a
//!   crash: the old state and log, or the new state and an empty log), and later log actions
//!   apply after it. Call [`crate::Peer::on_snapshot_installed`] once durable.
//! - Log actions (`AppendTxns`, `TruncateLogAfter`, `InstallSnapshot`) are executed in order,
//!   and their completions are reported in that order.
//!
//! What survives a crash is handed back to [`crate::Peer::new`] as a [`crate::Restored`].

use bytes::Bytes;
use zk_proto::{Epoch, Zxid};

use crate::message::{Message, Proposal};
use crate::quorum::ServerId;
use crate::synchronization::SyncPlan;

/// Which epoch file an epoch write targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EpochKind {
    /// `acceptedEpoch`: the newest epoch this peer promised to follow (Zab's `e'`).
    Accepted,
    /// `currentEpoch`: the epoch of the leader whose history this peer accepted (Zab's `e`).
    Current,
}

/// A peer's role, as ZooKeeper's `srvr`/`mntr` report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Electing a leader.
    Looking,
    /// Following a leader.
    Following,
    /// Leading.
    Leading,
    /// Observing a leader.
    Observing,
}

/// One thing for the caller to do. See the module docs for the ordering contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send `msg` to `to`: on the election port if [`Message::is_election`], otherwise on the
    /// current quorum connection with `to`. A quorum message with no open connection is
    /// dropped (the protocol recovers through timeouts).
    Send {
        /// The recipient.
        to: ServerId,
        /// The message.
        msg: Message,
    },
    /// Learner: open a fresh quorum connection to the leader `to`, closing any previous one.
    Connect {
        /// The leader.
        to: ServerId,
    },
    /// Close the quorum connection with `peer` (a timed-out learner, an abandoned leader).
    Disconnect {
        /// The other end.
        peer: ServerId,
    },
    /// Durably write the `acceptedEpoch` file, then call `on_epoch_persisted(Accepted, e)`.
    PersistAcceptedEpoch(Epoch),
    /// Durably write the `currentEpoch` file, then call `on_epoch_persisted(Current, e)`.
    PersistCurrentEpoch(Epoch),
    /// Append these proposals to the txn log; call `on_log_persisted` once durable.
    AppendTxns(Vec<Proposal>),
    /// Durably remove every logged txn above this zxid before the next action.
    TruncateLogAfter(Zxid),
    /// Leader: send learner `to` a [`Message::Snap`] holding the state machine as of `zxid`
    /// (the state left by the `Commit` actions so far), on the quorum connection, before the
    /// actions that follow.
    SendSnapshot {
        /// The learner.
        to: ServerId,
        /// The zxid the snapshot must reflect.
        zxid: Zxid,
    },
    /// Learner: replace the state machine and log with the leader's snapshot, durably; then
    /// call `on_snapshot_installed(zxid)`.
    InstallSnapshot {
        /// The snapshot's zxid.
        zxid: Zxid,
        /// The snapshot as the leader sent it.
        snapshot: Bytes,
    },
    /// Apply this committed txn to the state machine. Commits come in zxid order, exactly
    /// once per zxid per run of the peer.
    Commit(Proposal),
    /// The peer changed role; `leader` is the leader it follows, observes or is.
    RoleChanged {
        /// The new role.
        role: Role,
        /// The leader, if any.
        leader: Option<ServerId>,
    },
    /// Start (`true`) or stop (`false`) serving clients.
    ServeClients(bool),
    /// Leader: synchronization of `learner` began with this plan (for logs, metrics, tests).
    SyncStarted {
        /// The learner.
        learner: ServerId,
        /// How it is being synchronized.
        plan: SyncPlan,
    },
    /// Leader: a learner forwarded a client request.
    Forwarded {
        /// The learner.
        from: ServerId,
        /// The request bytes.
        request: Bytes,
    },
    /// Learner: a sync forwarded earlier was answered; once this server has committed `zxid`,
    /// the oldest pending client sync may complete. Answers come in the order the syncs were
    /// forwarded, because the quorum connection is FIFO both ways.
    SyncAnswered {
        /// The leader's last proposed zxid when it answered.
        zxid: Zxid,
    },
}
