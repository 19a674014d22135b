//! [`Peer`]: the sans-IO ZAB peer. This file only holds the state and dispatches inputs to
//! the phase that handles them (`election.rs`, `discovery.rs`, `synchronization.rs`,
//! `broadcast.rs`), in the style of openraft's engine handlers.
//!
//! Inputs: [`Peer::tick`], [`Peer::step`], [`Peer::propose`], [`Peer::forward`] and the
//! completions [`Peer::on_log_persisted`], [`Peer::on_epoch_persisted`],
//! [`Peer::on_snapshot_installed`], [`Peer::on_disconnected`]. Output: [`Peer::take_actions`],
//! to execute in order (see [`crate::action`]). Same inputs, same outputs: there is no clock,
//! no randomness and no I/O in here.

use zk_proto::{Epoch, Zxid};

use crate::action::{Action, EpochKind, Role};
use crate::config::Config;
use crate::election::Election;
use crate::error::{Error, Result};
use crate::leader::LeaderState;
use crate::learner::LearnerState;
use crate::log::{is_successor, TxnLog};
use crate::message::{Message, Proposal, ServerState};
use crate::quorum::ServerId;
use crate::state::{EpochState, Restored};

/// The actions produced so far, in order.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    actions: Vec<Action>,
}

impl Outbox {
    /// Queues an action.
    pub(crate) fn push(&mut self, action: Action) {
        self.actions.push(action);
    }

    /// Queues a `Send`.
    pub(crate) fn send(&mut self, to: ServerId, msg: Message) {
        self.actions.push(Action::Send { to, msg });
    }
}

/// The role-specific state.
#[derive(Debug)]
pub(crate) enum RoleState {
    /// Electing.
    Looking,
    /// Leading.
    Leading(Box<LeaderState>),
    /// Following or observing.
    Learning(Box<LearnerState>),
}

/// A snapshot of a peer's externally interesting state (for `srvr`/`mntr`, logs and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// The role.
    pub role: Role,
    /// The leader this peer follows, observes or is.
    pub leader: Option<ServerId>,
    /// The leader's epoch, once known (LEADERINFO received, or chosen by this leader).
    pub epoch: Option<Epoch>,
    /// Leader only: a quorum acknowledged NEWLEADER; the leader proposes and commits.
    pub established: bool,
    /// Whether the peer serves clients.
    pub serving: bool,
    /// The accepted epoch asked for.
    pub accepted_epoch: Epoch,
    /// The current epoch asked for.
    pub current_epoch: Epoch,
    /// The last logged zxid.
    pub last_zxid: Zxid,
    /// The last committed zxid.
    pub committed_zxid: Zxid,
    /// The last zxid reported durable.
    pub durable_zxid: Zxid,
    /// The election round (logical clock).
    pub logical_clock: u64,
}

/// A ZAB peer: one server's replication state machine.
///
/// ```
/// use zk_zab::{Action, Config, Peer, Restored, Role, ServerId};
///
/// // A single-voter ensemble elects itself and establishes epoch 1 once its epochs are durable.
/// let config = Config::new(ServerId(1), [ServerId(1)], []).unwrap()
///     .with_finalize_wait_ticks(0);
/// let mut peer = Peer::new(config, Restored::default()).unwrap();
/// for _ in 0..3 {
///     for action in peer.take_actions() {
///         match action {
///             Action::PersistAcceptedEpoch(e) => peer.on_epoch_persisted(zk_zab::EpochKind::Accepted, e),
///             Action::PersistCurrentEpoch(e) => peer.on_epoch_persisted(zk_zab::EpochKind::Current, e),
///             _ => {}
///         }
///     }
/// }
/// assert_eq!(peer.status().role, Role::Leading);
/// assert!(peer.status().serving);
/// let zxid = peer.propose("set /a 1".into()).unwrap();
/// assert_eq!(zxid.to_string(), "0x100000001");
/// ```
#[derive(Debug)]
pub struct Peer {
    pub(crate) config: Config,
    pub(crate) epochs: EpochState,
    pub(crate) log: TxnLog,
    pub(crate) election: Election,
    pub(crate) role: RoleState,
    pub(crate) out: Outbox,
    pub(crate) now: u64,
    pub(crate) serving: bool,
    /// FOLLOWERINFO/OBSERVERINFO that arrived while electing: a learner often decides the
    /// election a moment before its leader does. Replayed if we become the leader, refused
    /// otherwise (ZooKeeper's learner retries its connection for the same reason).
    pub(crate) early_hellos: std::collections::BTreeMap<ServerId, Message>,
}

impl Peer {
    /// A peer restarting from `restored` (use `Restored::default()` for a new server). It
    /// starts looking for a leader: the first actions are `RoleChanged(Looking)` and its
    /// notifications.
    pub fn new(config: Config, restored: Restored) -> Result<Peer> {
        let log = restore_log(&config, restored.snapshot_zxid, restored.log)?;
        if restored.current_epoch > restored.accepted_epoch {
            return Err(Error::InvalidRestoredState(
                "currentEpoch is above acceptedEpoch",
            ));
        }
        let me = config.my_id;
        let mut peer = Peer {
            election: Election::new(me, &config),
            config,
            epochs: EpochState::restored(restored.accepted_epoch, restored.current_epoch),
            log,
            role: RoleState::Looking,
            out: Outbox::default(),
            now: 0,
            serving: false,
            early_hellos: std::collections::BTreeMap::new(),
        };
        peer.out.push(Action::RoleChanged {
            role: Role::Looking,
            leader: None,
        });
        peer.start_election();
        Ok(peer)
    }

    /// This peer's id.
    pub fn id(&self) -> ServerId {
        self.config.my_id
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The in-memory txn log.
    pub fn log(&self) -> &TxnLog {
        &self.log
    }

    /// The externally interesting state.
    pub fn status(&self) -> Status {
        let (role, leader, epoch, established) = match &self.role {
            RoleState::Looking => (Role::Looking, None, None, false),
            RoleState::Leading(l) => (
                Role::Leading,
                Some(self.config.my_id),
                l.epoch,
                l.is_established(),
            ),
            RoleState::Learning(l) => (self.learner_role(), Some(l.leader), l.epoch, false),
        };
        Status {
            role,
            leader,
            epoch,
            established,
            serving: self.serving,
            accepted_epoch: self.epochs.accepted,
            current_epoch: self.epochs.current,
            last_zxid: self.log.last(),
            committed_zxid: self.log.committed(),
            durable_zxid: self.log.durable(),
            logical_clock: self.election.logical_clock,
        }
    }

    /// Drains the actions produced so far; execute them in order.
    pub fn take_actions(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.out.actions)
    }

    /// One period of the caller's timer: re-sends votes, finalizes elections, pings learners,
    /// and enforces `initLimit`/`syncLimit`.
    pub fn tick(&mut self) {
        self.now += 1;
        match &self.role {
            RoleState::Looking => self.election_tick(),
            RoleState::Leading(_) => self.leader_tick(),
            RoleState::Learning(_) => self.learner_tick(),
        }
    }

    /// A message from `from`. Messages from non-members, from ourselves, or that make no sense
    /// in the current state are ignored; a learner that sees its leader break the protocol
    /// goes back to election.
    pub fn step(&mut self, from: ServerId, msg: Message) {
        if from == self.config.my_id || !self.config.quorum.is_member(from) {
            return;
        }
        if let Message::Notification(n) = msg {
            self.handle_notification(from, n);
            return;
        }
        let hello = matches!(
            msg,
            Message::FollowerInfo { .. } | Message::ObserverInfo { .. }
        );
        match &self.role {
            RoleState::Leading(_) => self.leader_step(from, msg),
            RoleState::Looking if hello => {
                self.early_hellos.insert(from, msg);
            }
            // Following someone else: refuse the connection so the learner re-elects at once.
            _ if hello => self.out.push(Action::Disconnect { peer: from }),
            RoleState::Learning(_) => self.learner_step(from, msg),
            RoleState::Looking => {}
        }
    }

    /// The caller made every log action up to the append ending at `upto` durable.
    pub fn on_log_persisted(&mut self, upto: Zxid) {
        if !self.log.on_persisted(upto) {
            return;
        }
        match &self.role {
            RoleState::Looking => {}
            RoleState::Leading(_) => self.leader_on_log_persisted(),
            RoleState::Learning(_) => self.learner_on_log_persisted(),
        }
    }

    /// The caller durably wrote `epoch` to the `kind` epoch file.
    pub fn on_epoch_persisted(&mut self, kind: EpochKind, epoch: Epoch) {
        match kind {
            EpochKind::Accepted if epoch <= self.epochs.accepted => {
                self.epochs.accepted_durable = self.epochs.accepted_durable.max(epoch);
            }
            EpochKind::Current if epoch <= self.epochs.current => {
                self.epochs.current_durable = self.epochs.current_durable.max(epoch);
            }
            _ => return,
        }
        match (&self.role, kind) {
            (RoleState::Leading(_), EpochKind::Accepted) => self.leader_on_accepted_persisted(),
            (RoleState::Leading(_), EpochKind::Current) => self.leader_on_current_persisted(),
            (RoleState::Learning(_), EpochKind::Accepted) => self.maybe_send_ack_epoch(),
            (RoleState::Learning(_), EpochKind::Current) => self.try_ack_newleader(),
            (RoleState::Looking, _) => {}
        }
    }

    /// The caller durably installed the snapshot at `zxid`.
    pub fn on_snapshot_installed(&mut self, zxid: Zxid) {
        if self.log.on_snapshot_installed(zxid) {
            if let RoleState::Learning(_) = self.role {
                self.try_ack_newleader();
            }
        }
    }

    /// The quorum connection with `peer` closed (reset, timed out, or refused).
    pub fn on_disconnected(&mut self, peer: ServerId) {
        self.early_hellos.remove(&peer);
        match &mut self.role {
            RoleState::Leading(l) => {
                l.learners.remove(&peer);
            }
            RoleState::Learning(l) if l.leader == peer => self.become_looking(),
            _ => {}
        }
    }

    /// Dispatches a quorum message to the leader's handlers.
    pub(crate) fn leader_step(&mut self, from: ServerId, msg: Message) {
        let RoleState::Leading(l) = &mut self.role else {
            return;
        };
        if let Some(h) = l.learners.get_mut(&from) {
            h.last_heard = self.now;
        }
        match msg {
            Message::FollowerInfo { accepted_epoch } => {
                self.handle_learner_info(from, accepted_epoch, false)
            }
            Message::ObserverInfo { accepted_epoch } => {
                self.handle_learner_info(from, accepted_epoch, true)
            }
            Message::AckEpoch {
                current_epoch,
                last_zxid,
            } => self.handle_ack_epoch(from, current_epoch, last_zxid),
            Message::Ack { zxid } => self.handle_ack(from, zxid),
            Message::Request { data }
                if l.learners
                    .get(&from)
                    .is_some_and(|h| h.stage.is_forwarding()) =>
            {
                self.out.push(Action::Forwarded {
                    from,
                    request: data,
                });
            }
            _ => {}
        }
    }

    /// Dispatches a quorum message from the leader to the learner's handlers.
    fn learner_step(&mut self, from: ServerId, msg: Message) {
        let RoleState::Learning(l) = &mut self.role else {
            return;
        };
        if from != l.leader {
            return;
        }
        l.last_heard = self.now;
        match msg {
            Message::LeaderInfo { epoch } => self.handle_leader_info(epoch),
            Message::Diff { last_committed } => self.handle_diff(last_committed),
            Message::Trunc { zxid } => self.handle_trunc(zxid),
            Message::Snap { zxid, snapshot } => self.handle_snap(zxid, snapshot),
            Message::NewLeader { zxid } => self.handle_newleader(zxid),
            Message::UpToDate => self.handle_uptodate(),
            Message::Proposal(p) => self.handle_proposal(p),
            Message::Commit { zxid } => self.handle_commit(zxid),
            Message::Inform(p) => self.handle_inform(p),
            Message::Ping { .. } => {
                let zxid = self.log.last();
                self.out.send(from, Message::Ping { zxid });
            }
            Message::Sync { zxid } => self.out.push(Action::SyncAnswered { zxid }),
            _ => {}
        }
    }

    /// Leaves the current role and starts a new election round.
    pub(crate) fn become_looking(&mut self) {
        self.early_hellos.clear();
        match std::mem::replace(&mut self.role, RoleState::Looking) {
            RoleState::Leading(l) => {
                for peer in l.learners.keys() {
                    self.out.push(Action::Disconnect { peer: *peer });
                }
            }
            RoleState::Learning(l) => self.out.push(Action::Disconnect { peer: l.leader }),
            RoleState::Looking => {}
        }
        self.set_serving(false);
        self.out.push(Action::RoleChanged {
            role: Role::Looking,
            leader: None,
        });
        self.start_election();
    }

    /// Starts or stops serving clients.
    pub(crate) fn set_serving(&mut self, serving: bool) {
        if self.serving != serving {
            self.serving = serving;
            self.out.push(Action::ServeClients(serving));
        }
    }

    /// Commits up to `zxid` (clamped to the log), emitting `Commit` actions; returns the newly
    /// committed proposals.
    pub(crate) fn commit_upto(&mut self, zxid: Zxid) -> Vec<Proposal> {
        let newly = self.log.commit_upto(zxid);
        for p in &newly {
            self.out.push(Action::Commit(p.clone()));
        }
        newly
    }

    /// The role a learner plays.
    pub(crate) fn learner_role(&self) -> Role {
        if self.config.is_observer() {
            Role::Observing
        } else {
            Role::Following
        }
    }

    /// The state announced in notifications.
    pub(crate) fn server_state(&self) -> ServerState {
        match (&self.role, self.config.is_observer()) {
            (RoleState::Looking, _) => ServerState::Looking,
            (RoleState::Leading(_), _) => ServerState::Leading,
            (RoleState::Learning(_), false) => ServerState::Following,
            (RoleState::Learning(_), true) => ServerState::Observing,
        }
    }
}

/// Builds the in-memory log from the restored snapshot zxid and log.
///
/// Entries above the snapshot must continue it without a hole. Entries at or below it are
/// dropped, as ZooKeeper's `committedLog` after a restart holds only the txns replayed on top
/// of the snapshot: a log may keep segments the snapshot superseded, with holes that no zxid
/// arithmetic can detect across an epoch boundary, so only the snapshot is a safe base.
fn restore_log(config: &Config, snapshot_zxid: Zxid, mut entries: Vec<Proposal>) -> Result<TxnLog> {
    let split = entries.partition_point(|p| p.zxid <= snapshot_zxid);
    let above = entries.split_off(split);
    let mut prev = snapshot_zxid;
    for p in &above {
        if !is_successor(prev, p.zxid) {
            return Err(Error::InvalidRestoredState(
                "the log above the snapshot has a hole",
            ));
        }
        prev = p.zxid;
    }
    Ok(TxnLog::new(
        snapshot_zxid,
        above,
        snapshot_zxid,
        config.committed_log_max,
    ))
}
