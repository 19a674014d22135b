//! [`Config`]: who this peer is, who else is in the ensemble, and every timeout in ticks.
//!
//! The core has no clock: the caller calls [`crate::Peer::tick`] at a fixed period (the "core
//! tick") and every limit here counts those calls. zoo.cfg's `tickTime`, `initLimit` and
//! `syncLimit` map onto them with [`Config::with_zoo_cfg_limits`]; FastLeaderElection's
//! `finalizeWait` (200 ms) and notification back-off (200 ms doubling to 60 s) are why the
//! default core tick is 100 ms rather than a whole `tickTime`.

use crate::error::{Error, Result};
use crate::quorum::{QuorumVerifier, ServerId};

/// The core tick the defaults assume, in milliseconds.
pub const DEFAULT_CORE_TICK_MS: u64 = 100;

/// A peer's configuration. Build it with [`Config::new`] and the `with_*` methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// This server's id (`myid`).
    pub my_id: ServerId,
    /// The ensemble: voters and observers.
    pub quorum: QuorumVerifier,
    /// Ticks a learner has to connect, complete discovery and synchronize, and a new leader has
    /// to gather a quorum through NEWLEADER (`initLimit * tickTime`).
    pub init_limit_ticks: u64,
    /// Ticks without hearing from the other side after which a synced learner is dropped by
    /// the leader, or a learner abandons its leader (`syncLimit * tickTime`).
    pub sync_limit_ticks: u64,
    /// Ticks between the leader's PINGs (ZooKeeper pings every `tickTime / 2`).
    pub ping_interval_ticks: u64,
    /// Ticks an electing peer waits, once a quorum agrees, for a better vote
    /// (`FastLeaderElection.finalizeWait`).
    pub finalize_wait_ticks: u64,
    /// Initial ticks without notifications before an electing peer re-sends its vote.
    pub min_notification_interval_ticks: u64,
    /// Cap of the doubling re-send interval (`maxNotificationInterval`).
    pub max_notification_interval_ticks: u64,
    /// Committed proposals kept in memory for DIFF syncs (`ZKDatabase.commitLogCount`).
    pub committed_log_max: usize,
    /// The largest zxid counter a leader uses before it forces a new epoch. ZooKeeper's is
    /// `0xffffffff`; tests lower it to exercise the rollover.
    pub zxid_counter_max: u32,
}

impl Config {
    /// A configuration for `my_id` in an ensemble of `voters` and `observers`, with ZooKeeper's
    /// default limits for a 100 ms core tick (`tickTime=2000`, `initLimit=10`, `syncLimit=5`).
    ///
    /// Fails when there are no voters or when `my_id` is not a member.
    pub fn new(
        my_id: ServerId,
        voters: impl IntoIterator<Item = ServerId>,
        observers: impl IntoIterator<Item = ServerId>,
    ) -> Result<Config> {
        let quorum = QuorumVerifier::new(voters, observers);
        if quorum.voters().is_empty() {
            return Err(Error::InvalidConfig("the ensemble has no voting members"));
        }
        if !quorum.is_member(my_id) {
            return Err(Error::InvalidConfig("myid is not a member of the ensemble"));
        }
        Ok(Config {
            my_id,
            quorum,
            init_limit_ticks: 200,
            sync_limit_ticks: 100,
            ping_interval_ticks: 10,
            finalize_wait_ticks: 2,
            min_notification_interval_ticks: 2,
            max_notification_interval_ticks: 600,
            committed_log_max: 500,
            zxid_counter_max: u32::MAX,
        })
    }

    /// Derives the init, sync and ping limits from zoo.cfg's values for a core ticking every
    /// `core_tick_ms`.
    pub fn with_zoo_cfg_limits(
        mut self,
        tick_time_ms: u64,
        init_limit: u64,
        sync_limit: u64,
        core_tick_ms: u64,
    ) -> Config {
        let core_tick_ms = core_tick_ms.max(1);
        let ticks = |ms: u64| (ms / core_tick_ms).max(1);
        self.init_limit_ticks = ticks(tick_time_ms * init_limit);
        self.sync_limit_ticks = ticks(tick_time_ms * sync_limit);
        self.ping_interval_ticks = ticks(tick_time_ms / 2);
        self
    }

    /// Sets `init_limit_ticks`.
    pub fn with_init_limit_ticks(mut self, ticks: u64) -> Config {
        self.init_limit_ticks = ticks;
        self
    }

    /// Sets `sync_limit_ticks`.
    pub fn with_sync_limit_ticks(mut self, ticks: u64) -> Config {
        self.sync_limit_ticks = ticks;
        self
    }

    /// Sets `ping_interval_ticks`.
    pub fn with_ping_interval_ticks(mut self, ticks: u64) -> Config {
        self.ping_interval_ticks = ticks.max(1);
        self
    }

    /// Sets `finalize_wait_ticks` (0 decides as soon as a quorum agrees).
    pub fn with_finalize_wait_ticks(mut self, ticks: u64) -> Config {
        self.finalize_wait_ticks = ticks;
        self
    }

    /// Sets the notification re-send interval bounds.
    pub fn with_notification_interval_ticks(mut self, min: u64, max: u64) -> Config {
        self.min_notification_interval_ticks = min.max(1);
        self.max_notification_interval_ticks = max.max(self.min_notification_interval_ticks);
        self
    }

    /// Sets `committed_log_max` (at least 1).
    pub fn with_committed_log_max(mut self, proposals: usize) -> Config {
        self.committed_log_max = proposals.max(1);
        self
    }

    /// Sets `zxid_counter_max` (at least 1).
    pub fn with_zxid_counter_max(mut self, counter: u32) -> Config {
        self.zxid_counter_max = counter.max(1);
        self
    }

    /// Whether this peer is an observer.
    pub fn is_observer(&self) -> bool {
        !self.quorum.is_voter(self.my_id)
    }
}
