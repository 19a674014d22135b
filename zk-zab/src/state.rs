//! Persisted state: what the caller stores for the core, and [`Restored`], what it hands back
//! after a restart.
//!
//! A peer's durable state is exactly the persistent variables of the Zab paper (Junqueira,
//! Reed, Serafini, DSN 2011), in ZooKeeper's files:
//!
//! | Zab | ZooKeeper file | written on |
//! |---|---|---|
//! | `acceptedEpoch` (`f.p`) | `dataDir/version-2/acceptedEpoch` | [`crate::Action::PersistAcceptedEpoch`] |
//! | `currentEpoch` (`f.a`) | `dataDir/version-2/currentEpoch` | [`crate::Action::PersistCurrentEpoch`] |
//! | history (`h_f`) | `log.<zxid>` txn logs | [`crate::Action::AppendTxns`], [`crate::Action::TruncateLogAfter`], [`crate::Action::InstallSnapshot`] |
//! | (delivered prefix) | `snapshot.<zxid>` | the caller's state machine snapshots |
//!
//! The contract: only what the caller *reported* durable (through `on_log_persisted`,
//! `on_epoch_persisted`, `on_snapshot_installed`) may be relied on by the core; anything
//! not yet reported may be lost in a crash, and the core never acknowledges it to anyone.
//! After a crash, the caller restores whatever actually survived. The state machine must
//! only ever contain committed txns (it is fed by [`crate::Action::Commit`] and
//! [`crate::Action::InstallSnapshot`]), so its snapshot zxid is a committed zxid.

use zk_proto::{Epoch, Zxid};

use crate::message::Proposal;

/// The durable state a peer restarts from.
///
/// ```
/// use zk_zab::Restored;
/// // A brand-new server: epochs 0, empty log, empty state machine.
/// let fresh = Restored::default();
/// assert!(fresh.log.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Restored {
    /// The `acceptedEpoch` file (0 when absent).
    pub accepted_epoch: Epoch,
    /// The `currentEpoch` file (0 when absent). Never above `accepted_epoch`.
    pub current_epoch: Epoch,
    /// The zxid of the state machine the caller restored (its snapshot, or 0): every txn up to
    /// it is committed and applied, so the core emits `Commit` only above it.
    pub snapshot_zxid: Zxid,
    /// The durable txn log, in zxid order. Entries at or below `snapshot_zxid` are ignored
    /// (the committed-log window restarts at the snapshot, as ZooKeeper's does); entries
    /// above it are the not-yet-known-committed tail and must continue the snapshot without
    /// a hole (same epoch and counter + 1, or a later epoch and counter 1). A log that ends
    /// below the snapshot is obsolete: the caller should discard it before appending again,
    /// so that the log on disk never has a hole.
    pub log: Vec<Proposal>,
}

/// The two epochs as requested (`accepted`, `current`) and as reported durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct EpochState {
    /// The newest accepted epoch asked for (what the peer acts on).
    pub(crate) accepted: Epoch,
    /// The newest accepted epoch reported durable.
    pub(crate) accepted_durable: Epoch,
    /// The newest current epoch asked for.
    pub(crate) current: Epoch,
    /// The newest current epoch reported durable.
    pub(crate) current_durable: Epoch,
}

impl EpochState {
    /// The epochs of a restarted peer: everything restored is durable.
    pub(crate) fn restored(accepted: Epoch, current: Epoch) -> EpochState {
        EpochState {
            accepted,
            accepted_durable: accepted,
            current,
            current_durable: current,
        }
    }
}
