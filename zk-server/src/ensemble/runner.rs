//! [`run`]: a server in quorum mode — the tokio shell around two deterministic cores, the
//! [`ServerCore`] (sessions, tree, watches) and ZAB's [`Peer`] (election, sync, broadcast).
//!
//! ```text
//!  client connections ──ConnEvent──▶ ┌──────────── core task ────────────┐ ──frames──▶ clients
//!  quorum/election net ──NetEvent──▶ │ ServerCore ◀──Commit/Serve── Peer │ ──Message──▶ peers
//!  storage thread ──StorageEvent───▶ │        ──Append/Forward──▶        │ ──Command──▶ storage
//!  timer ─────────────────────────▶  └───────────────────────────────────┘
//! ```
//!
//! One task owns both cores, so the order of events is the order of their effects: a txn the
//! peer commits is applied to the tree before the next input is looked at. After every input
//! the task drains both cores' actions until neither has more ("execute in order" is the
//! contract of both).
//!
//! Work is handed on in batches, because on a busy server the cost is in the wake-ups, not
//! the messages: the quorum messages already queued are stepped together (as client requests
//! are), the appends of one round of actions reach the storage thread as one command (so they
//! share an fsync), and the messages for each peer reach its connection together, after the
//! round ([`QuorumNet::queue`], [`QuorumNet::flush`]). Executing in order still holds where
//! it matters: a storage command other than an append first hands over the appends before it,
//! and an ACK still follows its txn's fsync (the `Peer` emits ACKs only on
//! [`StorageEvent::LogPersisted`]). On the leader a client write becomes a txn in the `ServerCore`, a
//! proposal in the `Peer`, a log append on the storage thread and PROPOSALs to the followers;
//! the `Peer`'s `Commit` brings it back to the `ServerCore`, which applies it and answers.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::net::TcpListener;
use zk_proto::txn::TxnLogEntry;
use zk_zab::{Action as ZabAction, Config as ZabConfig, Message, Peer, Role, ServerId};

use crate::config::ServerConfig;
use crate::core::{Action, ConnId, Forward, Replication, ServerCore};
use crate::ensemble::net::{NetEvent, NetSettings, PeerAddrs, QuorumNet};
use crate::ensemble::storage::{
    decode_sync_snapshot, encode_sync_snapshot, QuorumStorage, StorageCommand, StorageEvent,
    StorageThread,
};
use crate::four_letter::{self, EnsembleInfo, ServerInfo};
use crate::net::connection::{ConnEvent, Outbox};
use crate::persistence::TreeSnapshot;
use crate::server::{core_settings, deliver, dispatch, now_ms, Clients};
use crate::{Error, Result};

/// The period of [`Peer::tick`]: zoo.cfg's limits are converted to these ticks.
const PEER_TICK_MS: u64 = 100;
/// The size of the buffers the leader encodes txns into (see [`Shell::encode_txn`]).
const TXN_ENCODE_CHUNK: usize = 256 * 1024;
/// A new buffer is started when less than this is left in the current one.
const TXN_ENCODE_SLACK: usize = 16 * 1024;
/// Quorum messages handled per wake-up at most before the actions are executed, so that the
/// core's other inputs keep their turn (as `CORE_BATCH` bounds client requests).
const NET_BATCH: usize = 256;

/// Runs a member of the ensemble described by `config`, serving clients on `listener` while it
/// leads an established epoch or is synced with a leader, until `shutdown` completes or storage
/// fails.
pub async fn run(
    config: ServerConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let started = Instant::now();
    let my_id = config
        .my_id
        .ok_or_else(|| Error::Replication("quorum mode needs dataDir/myid".into()))?;
    if config.quorum.is_hierarchical() {
        return Err(Error::Replication(
            "hierarchical quorums (group.x / weight.x) are not supported; use majority quorums"
                .into(),
        ));
    }
    let zab_config = zab_config(&config, my_id)?;
    let peers = peer_addresses(&config)?;

    let mut storage = QuorumStorage::open(&config)?;
    let recovered = storage.recover()?;
    let mut settings = core_settings(&config);
    settings.server_id = my_id as u8;
    let logged_before_start = recovered
        .restored
        .log
        .last()
        .map_or(recovered.restored.snapshot_zxid, |p| p.zxid);
    let mut core = ServerCore::new(settings, recovered.tree, &recovered.sessions, now_ms());
    core.set_replication(Replication::Learner);
    core.stop_serving();
    let peer = Peer::new(zab_config, recovered.restored).map_err(|err| {
        Error::Replication(format!("cannot restore the replication state: {err}"))
    })?;
    let (storage, mut storage_rx) = StorageThread::start(storage, &config)?;
    let net_settings = NetSettings {
        connect_timeout: Duration::from_millis(u64::from(config.quorum.cnx_timeout_ms)),
        // jute.maxbuffer plus Apache's zookeeper.jute.maxbuffer.extrasize (1024) for the
        // packet's own fields.
        max_packet_bytes: config.jute_max_buffer_bytes as usize + 1024,
        listen_on_all_ips: config.quorum.listen_on_all_ips,
    };
    let (net, mut net_rx) = QuorumNet::start(ServerId(my_id), peers, net_settings).await?;

    tracing::info!(
        myid = my_id,
        client = ?listener.local_addr().ok(),
        zxid = %core.last_processed_zxid(),
        "starting as a member of the ensemble"
    );
    let mut clients = Clients::start(listener, &config);

    let mut shell = Shell {
        core,
        peer,
        net,
        storage,
        outboxes: HashMap::new(),
        role: Role::Looking,
        config,
        started,
        last_reap_ms: now_ms(),
        snapshot_due: false,
        appends: Vec::new(),
        scratch: BytesMut::new(),
        logged_before_start,
    };
    let mut ticker = tokio::time::interval(Duration::from_millis(PEER_TICK_MS));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    shell.execute()?;

    let result = loop {
        let mut received = 0;
        tokio::select! {
            () = &mut shutdown => break Ok(()),
            event = clients.recv() => {
                let Some(event) = event else { break Ok(()) };
                received = clients.take_batch(event, |event| shell.on_client_event(event));
            }
            event = net_rx.recv() => {
                let Some(event) = event else { break Ok(()) };
                // Everything the peers sent so far, up to a bound, like the clients' batch:
                // one execute per batch of PROPOSALs, ACKs, COMMITs and forwarded requests, so
                // that the storage thread gets one append and each connection one wake-up for
                // all of them; and one message per turn let the leader's own clients (a batch
                // per turn) crowd out the requests its followers forwarded.
                shell.on_net_event(event);
                for _ in 1..NET_BATCH {
                    let Ok(event) = net_rx.try_recv() else { break };
                    shell.on_net_event(event);
                }
            }
            event = storage_rx.recv() => match event {
                Some(StorageEvent::LogPersisted(zxid)) => shell.peer.on_log_persisted(zxid),
                Some(StorageEvent::EpochPersisted(kind, epoch)) => shell.peer.on_epoch_persisted(kind, epoch),
                Some(StorageEvent::SnapshotInstalled(zxid)) => shell.peer.on_snapshot_installed(zxid),
                Some(StorageEvent::Failed(err)) => {
                    tracing::error!(%err, "storage failed; stopping (nothing unsynced was acknowledged)");
                    break Err(err);
                }
                None => break Ok(()),
            },
            _ = ticker.tick() => shell.on_tick(),
        }
        if let Err(err) = shell.execute() {
            break Err(err);
        }
        clients.on_core_step(received, shell.core.outstanding_requests());
    };
    drop(clients);
    drop(shell);
    tracing::info!("server stopped");
    result
}

/// The core task's state.
struct Shell {
    core: ServerCore,
    peer: Peer,
    net: QuorumNet,
    storage: StorageThread,
    outboxes: HashMap<ConnId, Outbox>,
    role: Role,
    config: ServerConfig,
    started: Instant,
    /// When containers were last reaped.
    last_reap_ms: i64,
    /// The core asked for a snapshot while not serving: taken at the first tick once serving.
    snapshot_due: bool,
    /// Proposals to log, gathered from consecutive `AppendTxns` actions and handed to the
    /// storage thread as one command (before any other storage command, and at the end of
    /// every [`Shell::execute`]).
    appends: Vec<zk_zab::Proposal>,
    /// Where the leader encodes its txns: each is split off as its own `Bytes`, so that the
    /// encoding is the one copy the log, the PROPOSALs and the commit all share.
    scratch: BytesMut,
    /// The last zxid in the log at start: committing txns up to it replays the restored log
    /// tail, which does not count toward `snapCount` (see [`Shell::execute_core`]).
    logged_before_start: zk_proto::Zxid,
}

impl Shell {
    /// A message from a peer, or a peer connection lost: ZAB's to handle.
    fn on_net_event(&mut self, event: NetEvent) {
        match event {
            NetEvent::Message { from, msg } => self.peer.step(from, msg),
            NetEvent::Disconnected { peer } => self.peer.on_disconnected(peer),
        }
    }

    fn on_tick(&mut self) {
        let now = now_ms();
        self.peer.tick();
        self.core.tick(now);
        if self.snapshot_due && self.core.is_serving() {
            self.snapshot_due = false;
            self.take_snapshot();
        }
        let reaping = &self.config.container;
        if self.core.replication() == Replication::Leader
            && self.core.is_serving()
            && now - self.last_reap_ms >= i64::from(reaping.check_interval_ms)
        {
            // ContainerManager runs on the leader only: at most maxPerMinute deletions a minute.
            self.last_reap_ms = now;
            let per_check =
                u64::from(reaping.max_per_minute) * u64::from(reaping.check_interval_ms) / 60_000;
            self.core.reap_containers(
                now,
                reaping.max_never_used_interval_ms as i64,
                per_check.max(1) as usize,
            );
        }
        if self.core.replication() == Replication::Learner && self.core.is_serving() {
            let touched = self.core.take_touched_sessions();
            if !touched.is_empty() {
                let _ = self.peer.forward(Forward::Touch(touched).encode());
            }
        }
    }

    fn on_client_event(&mut self, event: ConnEvent) {
        let now = now_ms();
        if let Some((word, reply)) = dispatch(&mut self.core, &mut self.outboxes, event, now) {
            let answer = self.four_letter(word, now);
            let _ = reply.send(answer);
        }
    }

    fn four_letter(&mut self, word: zk_proto::FourLetterWord, now: i64) -> String {
        let mode = match self.role {
            Role::Leading => "leader",
            Role::Following => "follower",
            Role::Observing => "observer",
            Role::Looking => "looking",
        };
        let learners = self.peer.learner_summary();
        let uptime_ms = self.started.elapsed().as_millis() as i64;
        let info = ServerInfo {
            ensemble: Some(EnsembleInfo {
                serving: self.core.is_serving(),
                learners: learners.learners,
                synced_followers: learners.synced_followers,
                synced_observers: learners.synced_observers,
                voters: self.config.quorum.participants().count(),
            }),
            ..ServerInfo::new(&self.config, mode, uptime_ms, now)
        };
        four_letter::answer(word, &mut self.core, &info)
    }

    /// Executes both cores' actions until neither has more, then hands the gathered appends
    /// to the storage thread.
    fn execute(&mut self) -> Result<()> {
        loop {
            let zab = self.peer.take_actions();
            let server = self.core.take_actions();
            if zab.is_empty() && server.is_empty() {
                self.flush_appends();
                self.net.flush();
                return Ok(());
            }
            for action in zab {
                self.execute_zab(action)?;
            }
            for action in server {
                self.execute_core(action);
            }
        }
    }

    fn execute_core(&mut self, action: Action) {
        match action {
            Action::Send { .. } | Action::Close { .. } => {
                deliver(&mut self.core, &mut self.outboxes, action);
            }
            Action::Append(entry) => {
                let zxid = entry.zxid();
                let txn = self.encode_txn(&entry);
                match self.peer.propose(txn) {
                    Ok(proposed) => debug_assert_eq!(proposed, zxid, "the cores agree on zxids"),
                    // Leadership was lost meanwhile: the peer stops serving, which drops this
                    // unacknowledged proposal with the rest.
                    Err(err) => tracing::info!(%zxid, %err, "could not propose"),
                }
            }
            Action::Forward(forward) => {
                if let Err(err) = self.peer.forward(forward.encode()) {
                    tracing::debug!(%err, "could not forward to the leader");
                }
            }
            // A restarted member applies its whole log tail when the leader's DIFF (or its
            // own new epoch) commits it, which often crosses the snapshot threshold. Those
            // txns were logged before the restart: Apache's SyncRequestProcessor counts only
            // the txns it logs itself, from zero at start, so a snapshot due only to them is
            // skipped (the core's count starts over, as Apache's does).
            Action::Snapshot if self.core.last_processed_zxid() <= self.logged_before_start => {
                tracing::debug!(
                    zxid = %self.core.last_processed_zxid(),
                    "snapshot due to replaying the log tail: skipped"
                );
            }
            // Newly logged txns made it due while syncing: capturing the tree there (and
            // writing it beside the core) would delay the NEWLEADER ack and serving. Nothing
            // depends on the snapshot being taken now (the log is durable), so it waits for
            // the first tick after serving starts.
            Action::Snapshot if !self.core.is_serving() => {
                tracing::debug!("snapshot due: deferred until serving");
                self.snapshot_due = true;
            }
            Action::Snapshot => self.take_snapshot(),
        }
    }

    /// Encodes a txn for the log and the PROPOSALs (what [`zk_storage::RawTxn`] holds).
    fn encode_txn(&mut self, entry: &TxnLogEntry) -> Bytes {
        if self.scratch.capacity() < TXN_ENCODE_SLACK {
            // The previous chunk is shared by the txns split off it; start a new one. A chunk
            // lives as long as the newest of its txns in the peer's window of committed ones.
            self.scratch = BytesMut::with_capacity(TXN_ENCODE_CHUNK);
        }
        entry.write(&mut self.scratch);
        self.scratch.split().freeze()
    }

    /// Queues a storage command behind the gathered appends (the storage thread executes
    /// commands in order, and the peer's log actions must reach it in the order it gave them).
    fn submit(&mut self, command: StorageCommand) {
        self.flush_appends();
        self.storage.submit(command);
    }

    /// Hands the gathered appends to the storage thread as one command.
    fn flush_appends(&mut self) {
        if !self.appends.is_empty() {
            let appends = std::mem::take(&mut self.appends);
            self.storage.submit(StorageCommand::Append(appends));
        }
    }

    /// Captures the tree and sessions and hands them to the storage thread to write.
    fn take_snapshot(&mut self) {
        let snapshot = TreeSnapshot::capture(
            self.core.tree(),
            self.core.sessions().sessions_with_timeouts(),
        );
        self.submit(StorageCommand::Snapshot(Box::new(snapshot)));
    }

    fn execute_zab(&mut self, action: ZabAction) -> Result<()> {
        let now = now_ms();
        match action {
            ZabAction::Send { to, msg } => self.net.queue(to, msg),
            ZabAction::Connect { to } => self.net.connect(to),
            ZabAction::Disconnect { peer } => self.net.disconnect(peer),
            ZabAction::PersistAcceptedEpoch(epoch) => self.submit(StorageCommand::PersistEpoch(
                zk_zab::EpochKind::Accepted,
                epoch,
            )),
            ZabAction::PersistCurrentEpoch(epoch) => self.submit(StorageCommand::PersistEpoch(
                zk_zab::EpochKind::Current,
                epoch,
            )),
            ZabAction::AppendTxns(txns) => self.appends.extend(txns),
            ZabAction::TruncateLogAfter(zxid) => self.submit(StorageCommand::TruncateAfter(zxid)),
            ZabAction::SendSnapshot { to, zxid } => {
                debug_assert_eq!(self.core.last_processed_zxid(), zxid);
                let snapshot = encode_sync_snapshot(
                    self.core.tree(),
                    &self.core.sessions().sessions_with_timeouts(),
                );
                tracing::info!(learner = to.0, %zxid, bytes = snapshot.len(), "sending a snapshot");
                self.net.send(to, Message::Snap { zxid, snapshot });
            }
            ZabAction::InstallSnapshot { zxid, snapshot } => {
                // An unusable snapshot stops the server: the peer already counts it as its
                // new state, and only a restart (recovering from what is on disk) makes the
                // two agree again. The net layer checked the stream's framing and signature.
                let (mut tree, sessions) =
                    decode_sync_snapshot(&snapshot, self.config.extended_types_enabled)?;
                tree.set_last_processed_zxid(zxid);
                tracing::info!(%zxid, nodes = tree.node_count(), "installing the leader's snapshot");
                self.core.install_snapshot(tree, &sessions, now);
                self.submit(StorageCommand::InstallSnapshot { zxid, snapshot });
            }
            ZabAction::Commit(proposal) => {
                self.core
                    .on_commit(proposal.zxid, &proposal.txn, now)
                    .map_err(|err| {
                        Error::Replication(format!(
                            "committed txn {} cannot be applied: {err}",
                            proposal.zxid
                        ))
                    })?;
            }
            ZabAction::RoleChanged { role, leader } => {
                tracing::info!(?role, leader = leader.map(|l| l.0), "role changed");
                self.role = role;
            }
            ZabAction::ServeClients(serving) => {
                if serving {
                    let replication = if self.role == Role::Leading {
                        Replication::Leader
                    } else {
                        Replication::Learner
                    };
                    let epoch = self.peer.status().epoch;
                    tracing::info!(?replication, "serving clients");
                    self.core.start_serving(replication, epoch, now);
                } else {
                    tracing::info!("not serving clients until a leader is established");
                    self.core.stop_serving();
                }
            }
            ZabAction::SyncStarted { learner, plan } => {
                tracing::info!(learner = learner.0, ?plan, "synchronizing a learner");
            }
            ZabAction::Forwarded { from, request } => match Forward::decode(request) {
                Ok(Forward::Sync) => {
                    if let Err(err) = self.peer.answer_sync(from) {
                        tracing::debug!(%err, "could not answer a sync");
                    }
                }
                Ok(forward) => self.core.on_forwarded(forward, now),
                Err(err) => tracing::warn!(from = from.0, %err, "undecodable forwarded request"),
            },
            ZabAction::SyncAnswered { zxid } => self.core.on_sync_answered(zxid, now),
        }
        Ok(())
    }
}

/// The ZAB configuration: the ensemble's voters and observers, with zoo.cfg's limits.
fn zab_config(config: &ServerConfig, my_id: u64) -> Result<ZabConfig> {
    let voters = config.quorum.participants().map(|s| ServerId(s.id));
    let observers = config.quorum.observers().map(|s| ServerId(s.id));
    let zab = ZabConfig::new(ServerId(my_id), voters, observers)
        .map_err(|err| Error::Replication(format!("invalid ensemble: {err}")))?;
    Ok(zab.with_zoo_cfg_limits(
        u64::from(config.tick_time_ms),
        u64::from(config.init_limit_ticks),
        u64::from(config.sync_limit_ticks),
        PEER_TICK_MS,
    ))
}

/// Every member's quorum and election address, resolved now.
fn peer_addresses(config: &ServerConfig) -> Result<BTreeMap<ServerId, PeerAddrs>> {
    let mut peers = BTreeMap::new();
    for server in config.quorum.servers.values() {
        let Some(address) = server.addresses.first() else {
            continue;
        };
        let resolve = |hp: crate::config::HostPort| {
            hp.to_socket_addr()
                .map_err(|err| Error::Replication(format!("server.{}: {err}", server.id)))
        };
        peers.insert(
            ServerId(server.id),
            PeerAddrs {
                quorum: resolve(address.quorum())?,
                election: resolve(address.election())?,
            },
        );
    }
    Ok(peers)
}
