//! [`Cluster`]: N voters and M observers in memory, each a [`Peer`] with a simulated
//! [`Disk`] and toy state machine, joined by a simulated [`Network`], driven one time unit at
//! a time by a seeded [`SimRng`], with every action checked by the [`Checker`].
//!
//! One [`Cluster::step`] is one time unit: every `units_per_tick` units each live peer ticks;
//! every message due is delivered (random interleaving, per-connection order); each disk
//! fsyncs some of its pending writes with probability `flush_prob`. Tests add faults between
//! steps ([`Cluster::crash`], [`Cluster::partition`], ...) and client writes
//! ([`Cluster::write`]). A violated invariant panics with the seed and, with `ZAB_TRACE=N`
//! set, the last N events.

use std::collections::{BTreeMap, VecDeque};

use bytes::Bytes;
use zk_proto::Zxid;

use crate::action::{Action, EpochKind, Role};
use crate::config::Config;
use crate::message::Message;
use crate::peer::{Peer, Status};
use crate::quorum::ServerId;
use crate::synchronization::SyncPlan;

use super::checker::{check_current_epoch_order, Check, Checker};
use super::disk::{Completion, Disk};
use super::network::{Delivery, NetOptions, Network};
use super::rng::SimRng;
use super::state_machine::SmState;

/// How to build a cluster.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// Voting members (ids `1..=voters`).
    pub voters: usize,
    /// Observers (ids after the voters).
    pub observers: usize,
    /// The seed of everything random.
    pub seed: u64,
    /// Network knobs.
    pub net: NetOptions,
    /// Time units per peer tick.
    pub units_per_tick: u64,
    /// Per unit, the probability that a disk fsyncs some pending writes.
    pub flush_prob: f64,
    /// Per commit, the probability that a replica saves a state machine snapshot.
    pub snapshot_prob: f64,
    /// Peer `init_limit_ticks`.
    pub init_limit_ticks: u64,
    /// Peer `sync_limit_ticks`.
    pub sync_limit_ticks: u64,
    /// Peer `committed_log_max`.
    pub committed_log_max: usize,
    /// Peer `zxid_counter_max`.
    pub zxid_counter_max: u32,
}

impl ClusterOptions {
    /// A benign cluster: reliable network with small delays, fast disks.
    pub fn new(voters: usize, observers: usize, seed: u64) -> ClusterOptions {
        ClusterOptions {
            voters,
            observers,
            seed,
            net: NetOptions::default(),
            units_per_tick: 4,
            flush_prob: 0.5,
            snapshot_prob: 0.05,
            init_limit_ticks: 20,
            sync_limit_ticks: 10,
            committed_log_max: 500,
            zxid_counter_max: u32::MAX,
        }
    }

    /// Sets the committed-log window of every peer.
    pub fn with_committed_log_max(mut self, proposals: usize) -> ClusterOptions {
        self.committed_log_max = proposals;
        self
    }

    /// Sets the zxid counter limit of every peer.
    pub fn with_zxid_counter_max(mut self, counter: u32) -> ClusterOptions {
        self.zxid_counter_max = counter;
        self
    }

    /// Sets the network knobs.
    pub fn with_net(mut self, net: NetOptions) -> ClusterOptions {
        self.net = net;
        self
    }

    /// The ids of the voters.
    pub fn voter_ids(&self) -> Vec<ServerId> {
        (1..=self.voters as u64).map(ServerId).collect()
    }

    /// The ids of the observers.
    pub fn observer_ids(&self) -> Vec<ServerId> {
        let first = self.voters as u64 + 1;
        (first..first + self.observers as u64)
            .map(ServerId)
            .collect()
    }

    /// The peer configuration of `id`.
    pub fn config_for(&self, id: ServerId) -> Config {
        Config::new(id, self.voter_ids(), self.observer_ids())
            .expect("harness ids are members")
            .with_init_limit_ticks(self.init_limit_ticks)
            .with_sync_limit_ticks(self.sync_limit_ticks)
            .with_ping_interval_ticks(2)
            .with_finalize_wait_ticks(1)
            .with_notification_interval_ticks(2, 16)
            .with_committed_log_max(self.committed_log_max)
            .with_zxid_counter_max(self.zxid_counter_max)
    }
}

/// One server: its peer (absent while crashed), disk and state machine.
#[derive(Debug)]
pub struct Replica {
    /// The peer, `None` while crashed.
    pub peer: Option<Peer>,
    /// The data directory.
    pub disk: Disk,
    /// The in-memory state machine.
    pub sm: SmState,
    /// Whether the disk fsyncs on its own (tests turn it off to hold writes pending).
    pub auto_flush: bool,
    config: Config,
    newleader_upto: Option<Zxid>,
}

/// An input for a peer.
#[derive(Debug, Clone)]
enum Input {
    Tick,
    Message(ServerId, Message),
    Completion(Completion),
    Disconnected(ServerId),
}

/// The in-memory ensemble.
#[derive(Debug)]
pub struct Cluster {
    opts: ClusterOptions,
    rng: SimRng,
    now: u64,
    net: Network,
    replicas: BTreeMap<ServerId, Replica>,
    checker: Checker,
    inbox: VecDeque<(ServerId, Input)>,
    pending_writes: BTreeMap<(ServerId, Zxid), ()>,
    sync_plans: Vec<(ServerId, ServerId, SyncPlan)>,
    write_seq: u64,
    trace: Option<(usize, VecDeque<String>)>,
}

impl Cluster {
    /// A fresh cluster: every server starts empty and looking.
    pub fn new(opts: ClusterOptions) -> Cluster {
        let ids: Vec<ServerId> = opts
            .voter_ids()
            .into_iter()
            .chain(opts.observer_ids())
            .collect();
        let quorum = opts.config_for(ids[0]).quorum.clone();
        let trace = std::env::var("ZAB_TRACE")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(|n| (n, VecDeque::new()));
        let mut cluster = Cluster {
            rng: SimRng::new(opts.seed),
            now: 0,
            net: Network::new(opts.net),
            replicas: BTreeMap::new(),
            checker: Checker::new(quorum),
            inbox: VecDeque::new(),
            pending_writes: BTreeMap::new(),
            sync_plans: Vec::new(),
            write_seq: 0,
            trace,
            opts,
        };
        for id in ids {
            let config = cluster.opts.config_for(id);
            let peer = Peer::new(config.clone(), Default::default()).expect("fresh peer");
            cluster.replicas.insert(
                id,
                Replica {
                    peer: Some(peer),
                    disk: Disk::default(),
                    sm: SmState::default(),
                    auto_flush: true,
                    config,
                    newleader_upto: None,
                },
            );
            cluster.drain(id);
        }
        cluster
    }

    /// The options the cluster was built with.
    pub fn options(&self) -> &ClusterOptions {
        &self.opts
    }

    /// The current time unit.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// The network, for fine-grained fault injection.
    pub fn net_mut(&mut self) -> &mut Network {
        &mut self.net
    }

    /// The invariant checker's knowledge.
    pub fn checker(&self) -> &Checker {
        &self.checker
    }

    /// Every server id.
    pub fn ids(&self) -> Vec<ServerId> {
        self.replicas.keys().copied().collect()
    }

    /// The servers that are up.
    pub fn live_ids(&self) -> Vec<ServerId> {
        self.replicas
            .iter()
            .filter(|(_, r)| r.peer.is_some())
            .map(|(id, _)| *id)
            .collect()
    }

    /// One server.
    pub fn replica(&self, id: ServerId) -> &Replica {
        &self.replicas[&id]
    }

    /// One server, mutably (to hold its disk's fsyncs, say).
    pub fn replica_mut(&mut self, id: ServerId) -> &mut Replica {
        self.replicas.get_mut(&id).expect("known server")
    }

    /// The status of a live server.
    pub fn status(&self, id: ServerId) -> Option<Status> {
        self.replicas[&id].peer.as_ref().map(Peer::status)
    }

    /// The established, serving leader with the newest epoch, if any.
    pub fn leader(&self) -> Option<ServerId> {
        self.live_ids()
            .into_iter()
            .filter_map(|id| self.status(id).map(|s| (id, s)))
            .filter(|(_, s)| s.role == Role::Leading && s.established && s.serving)
            .max_by_key(|(_, s)| s.epoch)
            .map(|(id, _)| id)
    }

    /// Every sync decision so far: (leader, learner, plan).
    pub fn sync_plans(&self) -> &[(ServerId, ServerId, SyncPlan)] {
        &self.sync_plans
    }

    /// Whether the write with this zxid was acknowledged (committed by its leader).
    pub fn is_acknowledged(&self, zxid: Zxid) -> bool {
        self.checker.acked().contains(&zxid)
    }

    /// Advances one time unit.
    pub fn step(&mut self) {
        self.now += 1;
        let mut live = self.live_ids();
        if self.now % self.opts.units_per_tick == 0 {
            self.rng.shuffle(&mut live);
            for id in &live {
                self.process(*id, Input::Tick);
            }
        }
        for d in self.net.due(self.now, &mut self.rng) {
            self.deliver(d);
        }
        self.rng.shuffle(&mut live);
        for id in live {
            let r = &self.replicas[&id];
            if r.peer.is_some() && r.auto_flush && self.rng.chance(self.opts.flush_prob) {
                let ops = if self.rng.chance(0.5) { usize::MAX } else { 1 };
                self.flush_n(id, ops);
            }
        }
    }

    /// Makes every pending write of `id` durable now.
    pub fn flush(&mut self, id: ServerId) {
        self.flush_n(id, usize::MAX);
    }

    fn flush_n(&mut self, id: ServerId, ops: usize) {
        let disk = &mut self.replica_mut(id).disk;
        let mut done = disk.flush_log(ops);
        done.extend(disk.flush_epochs(ops));
        for c in done {
            self.process(id, Input::Completion(c));
        }
    }

    /// Runs `steps` time units.
    pub fn run(&mut self, steps: u64) {
        for _ in 0..steps {
            self.step();
        }
    }

    /// Runs until `done` holds (checked before each step) or `max_steps` pass; returns
    /// whether it held.
    pub fn run_until(&mut self, max_steps: u64, mut done: impl FnMut(&Cluster) -> bool) -> bool {
        for _ in 0..max_steps {
            if done(self) {
                return true;
            }
            self.step();
        }
        done(self)
    }

    /// Runs until a leader is established and serving.
    pub fn run_until_leader(&mut self, max_steps: u64) -> Option<ServerId> {
        self.run_until(max_steps, |c| c.leader().is_some());
        self.leader()
    }

    /// Proposes a write at the current leader; its payload is `payload` plus a unique suffix.
    /// Returns the zxid, or `None` when there is no serving leader or it refused.
    pub fn write(&mut self, payload: &[u8]) -> Option<Zxid> {
        let leaders: Vec<ServerId> = self
            .live_ids()
            .into_iter()
            .filter(|id| {
                self.status(*id)
                    .is_some_and(|s| s.role == Role::Leading && s.established)
            })
            .collect();
        let id = self.rng.pick(&leaders)?;
        self.write_at(id, payload)
    }

    /// Proposes a write at server `id` (which must be an established leader to accept it).
    pub fn write_at(&mut self, id: ServerId, payload: &[u8]) -> Option<Zxid> {
        self.write_seq += 1;
        let mut txn = payload.to_vec();
        txn.extend_from_slice(format!("#{}", self.write_seq).as_bytes());
        let txn = Bytes::from(txn);
        let r = self.replicas.get_mut(&id)?;
        let prev = r.disk.view_last();
        let result = r.peer.as_mut()?.propose(txn.clone());
        let zxid = match result {
            Ok(zxid) => {
                let check = self.checker.on_propose(id, zxid, prev, &txn);
                self.ensure(check);
                self.pending_writes.insert((id, zxid), ());
                self.note(id, format!("propose {zxid}"));
                Some(zxid)
            }
            Err(e) => {
                self.note(id, format!("propose refused: {e}"));
                None
            }
        };
        self.drain(id);
        self.process_inbox();
        zxid
    }

    /// Crashes `id`: un-fsynced writes are partly lost, connections die.
    pub fn crash(&mut self, id: ServerId) {
        let r = self.replicas.get_mut(&id).expect("known server");
        if r.peer.take().is_none() {
            return;
        }
        r.disk.crash(&mut self.rng);
        r.sm = SmState::default();
        r.newleader_upto = None;
        self.pending_writes.retain(|(leader, _), _| *leader != id);
        self.note(id, "crash".into());
        let told = self.net.crash(id, &mut self.rng);
        for d in told {
            self.deliver(d);
        }
    }

    /// Crashes `id` losing every write it had not fsynced (the worst case of [`Cluster::crash`]).
    pub fn crash_losing_pending(&mut self, id: ServerId) {
        self.replica_mut(id).disk.lose_pending();
        self.crash(id);
    }

    /// Restarts a crashed `id` from its disk.
    pub fn restart(&mut self, id: ServerId) {
        let r = self.replicas.get_mut(&id).expect("known server");
        if r.peer.is_some() {
            return;
        }
        r.sm = r.disk.snapshot;
        let peer = Peer::new(r.config.clone(), r.disk.restored());
        let sm = r.sm;
        match peer {
            Ok(peer) => r.peer = Some(peer),
            Err(e) => {
                let log: Vec<String> = self.replicas[&id]
                    .disk
                    .log
                    .iter()
                    .map(|p| p.zxid.to_string())
                    .collect();
                self.fail(format!(
                    "{id} cannot restart from its disk: {e} (snapshot {:?}, log {})",
                    sm,
                    log.join(" ")
                ))
            }
        }
        let check = self.checker.on_install(id, &sm);
        self.ensure(check);
        let disk = &self.replicas[&id].disk;
        let check = self.checker.on_restart(id, disk.accepted, disk.current);
        self.ensure(check);
        self.note(id, "restart".into());
        self.drain(id);
        self.process_inbox();
    }

    /// Crashes `id` and loses its data directory: it comes back as a brand-new server.
    pub fn wipe(&mut self, id: ServerId) {
        self.crash(id);
        self.replica_mut(id).disk.wipe();
    }

    /// Splits the network into groups that cannot talk to each other.
    pub fn partition(&mut self, groups: &[Vec<ServerId>]) {
        self.note(ServerId(0), format!("partition {groups:?}"));
        self.net.partition(groups);
    }

    /// Cuts `id` off from everyone else.
    pub fn isolate(&mut self, id: ServerId) {
        let others = self.ids().into_iter().filter(|o| *o != id).collect();
        self.partition(&[vec![id], others]);
    }

    /// Lifts every partition.
    pub fn heal(&mut self) {
        self.note(ServerId(0), "heal".into());
        self.net.heal();
    }

    /// Kills the quorum connection between `a` and `b` (both sides may be told).
    pub fn cut(&mut self, a: ServerId, b: ServerId) {
        let mut told = self.net.disconnect(a, b, &mut self.rng);
        told.extend(self.net.disconnect(b, a, &mut self.rng));
        if !told.is_empty() {
            self.note(a, format!("cut {a}-{b}"));
        }
        for d in told {
            self.deliver(d);
        }
    }

    /// Whether every live server serves, one leader is established, and all hold the same
    /// state including every acknowledged write.
    pub fn converged(&self) -> bool {
        let live = self.live_ids();
        let Some(first) = live.first() else {
            return false;
        };
        let sm = self.replicas[first].sm;
        let leaders = live
            .iter()
            .filter(|id| self.status(**id).is_some_and(|s| s.role == Role::Leading))
            .count();
        leaders == 1
            && live.iter().all(|id| {
                let r = &self.replicas[id];
                r.sm == sm && r.peer.as_ref().is_some_and(|p| p.status().serving)
            })
            && self
                .checker
                .acked()
                .iter()
                .all(|z| self.checker.state_includes(&sm, *z))
    }

    /// Heals everything (partitions, stalled disks), restarts crashed servers, and runs until
    /// [`Cluster::converged`].
    pub fn run_until_converged(&mut self, max_steps: u64) -> bool {
        self.heal();
        for id in self.ids() {
            self.replica_mut(id).auto_flush = true;
            self.restart(id);
        }
        self.run_until(max_steps, Cluster::converged)
    }

    /// G-Dur: every acknowledged write is applied on every live server. Panics otherwise.
    pub fn check_durability(&self) {
        for id in self.live_ids() {
            let sm = self.replicas[&id].sm;
            for zxid in self.checker.acked() {
                if !self.checker.state_includes(&sm, *zxid) {
                    self.fail(format!("acknowledged write {zxid} is missing on {id}"));
                }
            }
        }
    }

    /// Panics with the seed (and trace) if `check` failed.
    fn ensure(&self, check: Check) {
        if let Err(msg) = check {
            self.fail(msg);
        }
    }

    /// Panics with the seed and the trace.
    pub fn fail(&self, msg: String) -> ! {
        let trace = match &self.trace {
            Some((_, lines)) => lines.iter().cloned().collect::<Vec<_>>().join("\n"),
            None => "(set ZAB_TRACE=200 to see the last events)".into(),
        };
        panic!(
            "invariant violated (seed {}, time {}): {msg}\n{trace}",
            self.opts.seed, self.now
        );
    }

    fn note(&mut self, id: ServerId, line: String) {
        if let Some((cap, lines)) = &mut self.trace {
            if lines.len() == *cap {
                lines.pop_front();
            }
            lines.push_back(format!("t={} s{}: {line}", self.now, id));
        }
    }

    /// Hands a network delivery to its peer.
    fn deliver(&mut self, d: Delivery) {
        match d {
            Delivery::Message {
                from,
                to,
                msg,
                conn,
            } => {
                if let Some(c) = conn {
                    if !self.net.is_open(from, to, c) {
                        return;
                    }
                    self.net.note_received(to, from, c);
                }
                self.process(to, Input::Message(from, msg));
            }
            Delivery::Disconnected { at, peer } => self.process(at, Input::Disconnected(peer)),
        }
    }

    /// Feeds one input to a live peer, executes its actions, and checks its state.
    fn process(&mut self, id: ServerId, input: Input) {
        if self.replicas[&id].peer.is_none() {
            return;
        }
        if self.trace.is_some() && !matches!(input, Input::Tick) {
            let line = format!("<- {input:?}");
            self.note(id, line);
        }
        let r = self.replicas.get_mut(&id).expect("known server");
        let peer = r.peer.as_mut().expect("live");
        match input {
            Input::Tick => peer.tick(),
            Input::Message(from, msg) => {
                if matches!(msg, Message::NewLeader { .. }) {
                    r.newleader_upto = Some(r.disk.view_last());
                }
                peer.step(from, msg);
            }
            Input::Completion(Completion::Log(z)) => peer.on_log_persisted(z),
            Input::Completion(Completion::Snapshot(z)) => peer.on_snapshot_installed(z),
            Input::Completion(Completion::Epoch(kind, e)) => peer.on_epoch_persisted(kind, e),
            Input::Disconnected(from) => peer.on_disconnected(from),
        }
        self.drain(id);
        self.process_inbox();
    }

    fn process_inbox(&mut self) {
        while let Some((id, input)) = self.inbox.pop_front() {
            self.process(id, input);
        }
    }

    /// Executes every action `id` produced, then checks its state.
    fn drain(&mut self, id: ServerId) {
        loop {
            let Some(peer) = self.replicas.get_mut(&id).and_then(|r| r.peer.as_mut()) else {
                return;
            };
            let actions = peer.take_actions();
            if actions.is_empty() {
                break;
            }
            for action in actions {
                self.execute(id, action);
            }
        }
        self.check_replica(id);
    }

    /// Per-replica invariants after an input.
    fn check_replica(&mut self, id: ServerId) {
        let r = &self.replicas[&id];
        let Some(status) = r.peer.as_ref().map(Peer::status) else {
            return;
        };
        if status.last_zxid != r.disk.view_last() {
            self.fail(format!(
                "{id}'s core log ends at {} but its disk at {}",
                status.last_zxid,
                r.disk.view_last()
            ));
        }
        if status.committed_zxid != r.sm.zxid {
            self.fail(format!(
                "{id} committed {} but applied {}",
                status.committed_zxid, r.sm.zxid
            ));
        }
        if status.role == Role::Leading && status.established {
            let epoch = status.epoch.expect("established leader has an epoch");
            let check = self.checker.on_established(id, epoch);
            self.ensure(check);
        }
    }

    /// Executes one action of `id`, checking it first.
    fn execute(&mut self, id: ServerId, action: Action) {
        if self.trace.is_some() {
            self.note(id, format!("-> {action:?}"));
        }
        let now = self.now;
        let r = self.replicas.get_mut(&id).expect("known server");
        match action {
            Action::Send { to, msg } => {
                assert_ne!(to, id, "{id} sends to itself");
                let accepted = r
                    .peer
                    .as_ref()
                    .map_or(Default::default(), |p| p.status().accepted_epoch);
                let check = self
                    .checker
                    .on_send(id, &msg, &r.disk, accepted, r.newleader_upto);
                self.ensure(check);
                self.net.send(id, to, msg, now, &mut self.rng);
            }
            Action::Connect { to } => {
                let told = self.net.connect(id, to, &mut self.rng);
                self.queue(told);
            }
            Action::Disconnect { peer } => {
                let told = self.net.disconnect(id, peer, &mut self.rng);
                self.queue(told);
            }
            Action::SendSnapshot { to, zxid } => {
                if r.sm.zxid != zxid {
                    let msg = format!("{id} must snapshot at {zxid} but applied {}", r.sm.zxid);
                    self.fail(msg);
                }
                let snapshot = r.sm.encode();
                self.net
                    .send(id, to, Message::Snap { zxid, snapshot }, now, &mut self.rng);
            }
            Action::Commit(p) => self.execute_commit(id, p),
            Action::RoleChanged { role, .. } => {
                r.newleader_upto = None;
                if role != Role::Leading {
                    self.pending_writes.retain(|(leader, _), _| *leader != id);
                }
            }
            Action::ServeClients(_) | Action::Forwarded { .. } | Action::SyncAnswered { .. } => {}
            Action::SyncStarted { learner, plan } => self.sync_plans.push((id, learner, plan)),
            storage => self.execute_storage(id, storage),
        }
    }

    /// Executes a storage action of `id` on its disk, checking it first.
    fn execute_storage(&mut self, id: ServerId, action: Action) {
        let r = self.replicas.get_mut(&id).expect("known server");
        match action {
            Action::PersistAcceptedEpoch(e) => {
                r.disk.persist_epoch(EpochKind::Accepted, e);
                let check = self.checker.on_epoch_request(id, EpochKind::Accepted, e);
                self.ensure(check);
            }
            Action::PersistCurrentEpoch(e) => {
                let upto = r.newleader_upto.unwrap_or(r.disk.view_last());
                let order = check_current_epoch_order(id, &r.disk, upto);
                r.disk.persist_epoch(EpochKind::Current, e);
                self.ensure(order);
                let check = self.checker.on_epoch_request(id, EpochKind::Current, e);
                self.ensure(check);
            }
            Action::AppendTxns(txns) => {
                let check = self.checker.on_append(id, r.disk.view_last(), &txns);
                r.disk.append(txns);
                self.ensure(check);
            }
            Action::TruncateLogAfter(zxid) => {
                let removed = r.disk.view_entries_above(zxid);
                let check = self.checker.on_truncate(id, zxid, &r.sm, &removed);
                let done = r.disk.truncate(zxid);
                self.ensure(check);
                self.inbox
                    .extend(done.into_iter().map(|c| (id, Input::Completion(c))));
            }
            Action::InstallSnapshot { zxid, snapshot } => {
                let Some(state) = SmState::decode(&snapshot).filter(|s| s.zxid == zxid) else {
                    self.fail(format!("{id} got a bad snapshot for {zxid}"));
                };
                r.sm = state;
                r.disk.install(state);
                let check = self.checker.on_install(id, &state);
                self.ensure(check);
            }
            other => unreachable!("not a storage action: {other:?}"),
        }
    }

    fn execute_commit(&mut self, id: ServerId, p: crate::message::Proposal) {
        let r = self.replicas.get_mut(&id).expect("known server");
        let before = r.sm;
        r.sm.apply(&p);
        let after = r.sm;
        let leading = r
            .peer
            .as_ref()
            .is_some_and(|peer| peer.status().role == Role::Leading);
        if !r.disk.install_pending() && self.rng.chance(self.opts.snapshot_prob) {
            r.disk.save_snapshot(after);
        }
        let check = self.checker.on_commit(id, &before, &after, &p);
        self.ensure(check);
        if leading {
            let disks = self
                .replicas
                .iter()
                .filter(|(v, _)| self.opts.voter_ids().contains(v))
                .map(|(v, r)| (*v, &r.disk));
            let check = self.checker.on_leader_commit(id, p.zxid, disks);
            self.ensure(check);
        }
        if self.pending_writes.remove(&(id, p.zxid)).is_some() {
            self.checker.acknowledge(p.zxid);
        }
    }

    fn queue(&mut self, told: Vec<Delivery>) {
        for d in told {
            match d {
                Delivery::Disconnected { at, peer } => {
                    self.inbox.push_back((at, Input::Disconnected(peer)))
                }
                Delivery::Message { to, from, msg, .. } => {
                    self.inbox.push_back((to, Input::Message(from, msg)))
                }
            }
        }
    }
}
