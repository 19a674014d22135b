//! [`ServerCore`]: the deterministic heart of the server — sessions, the tree, watches and the
//! write pipeline — with no sockets, files, threads or clocks inside.
//!
//! The tokio shell ([`crate::server`]) owns the sockets and the log; it feeds the core inputs
//! and executes the [`Action`]s the core returns, in order:
//!
//! ```text
//!   connection tasks ──on_connect / on_request / on_disconnect──▶ ServerCore ──Send / Close──▶ connections
//!   sync thread ───────on_durable(zxid)──────────────────────────▶     │      ──Append(txn)──▶ sync thread
//!   timer ─────────────tick(now)─────────────────────────────────▶     │
//! ```
//!
//! # The write path
//!
//! A write is *prepared* against the tree plus every change already proposed but not yet
//! applied (ZooKeeper's PrepRequestProcessor, [`zk_tree::prep`]), which yields a transaction —
//! an error transaction if a check failed, because failed writes consume a zxid too. The core
//! numbers it, asks the shell to append it to the log ([`Action::Append`]), and keeps it as a
//! pending `Proposal`. Standalone, a proposal commits once the log reports it durable
//! ([`ServerCore::on_durable`]); in an ensemble the same hand-off goes through ZAB. Commit
//! applies the transaction to the tree, fires watches (notifications are queued *before* the
//! reply, as clients rely on), and answers the client. Nothing is acknowledged before it is
//! durable.
//!
//! # Ordering per session
//!
//! Replies go out in request order, and a read sees every earlier write of its session and
//! none of its later ones. Writes are pipelined: many can be in flight at once. A plain read
//! that arrives while writes of its session are in flight is held until the last of them has
//! been answered and served right after that reply — while the writes that arrived after the
//! read are already being logged (or, on a learner, already forwarded to the leader). A
//! session mixing reads and writes thus keeps its writes flowing into every group commit
//! instead of proposing one write per fsync (Apache gets the same from its single ordered
//! pipeline of Prep, Sync and Final processors, and on a follower from forwarding writes
//! before its CommitProcessor holds the reads). Anything else that arrives behind in-flight
//! writes (a sync on a standalone server or the leader, setWatches) waits in the session's
//! queue, and everything after it waits too, until the session has no write in flight.
//!
//! A held read counts the session's writes rather than naming a zxid: a learner does not know
//! the zxid of a write it forwarded until the write commits. Every member holds reads this way
//! — when only the leader did, its own sessions outran the followers' (whose reads then
//! waited behind every forwarded write, and so did the writes behind those reads) and the
//! followers' sessions starved (docs/performance.md).

mod connection;
mod handshake;
mod reads;
mod replication;
mod stats;
mod writes;

use std::collections::VecDeque;
use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use zk_proto::txn::TxnLogEntry;
use zk_proto::{
    ConnectRequest, ErrorCode, ReplyHeader, Request, RequestHeader, Response, SessionId, Xid, Zxid,
};
use zk_tree::acl_check::AclChecker;
use zk_tree::auth::AuthProviders;
use zk_tree::data_tree::DataTree;
use zk_tree::outstanding_changes::OutstandingChanges;
use zk_tree::prep::{PrepRequestProcessor, PrepSettings, ReconfigMode};
use zk_tree::watch_manager::{WatchManager, WatcherId};

use self::connection::Connection;
pub use self::connection::{ConnId, ConnectionInfo};
pub use self::replication::{Forward, Replication};
pub use self::stats::ServerStats;
use crate::session_tracker::SessionTracker;

/// Requests a connection may send before its session exists.
const MAX_BACKLOG: usize = 1000;

/// What the core asks the shell to do. Execute in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Write `frame` (a whole frame, length prefix included) to connection `conn`.
    Send {
        /// The connection.
        conn: ConnId,
        /// The frame.
        frame: Bytes,
    },
    /// Close connection `conn` once everything sent before this action is flushed.
    Close {
        /// The connection.
        conn: ConnId,
    },
    /// Append a transaction to the log; report it with [`ServerCore::on_durable`] once fsynced.
    Append(TxnLogEntry),
    /// Learner: send this to the leader (inside a ZAB REQUEST).
    Forward(Forward),
    /// Take a snapshot of the tree as it is now (every transaction up to
    /// [`ServerCore::last_processed_zxid`] is applied and durable).
    Snapshot,
}

/// Settings the core needs (a subset of the server configuration).
#[derive(Debug, Clone)]
pub struct CoreSettings {
    /// This server's id (1 standalone, as Apache).
    pub server_id: u8,
    /// `tickTime` in ms.
    pub tick_ms: i64,
    /// `minSessionTimeout` in ms.
    pub min_session_timeout_ms: i32,
    /// `maxSessionTimeout` in ms.
    pub max_session_timeout_ms: i32,
    /// `zookeeper.extendedTypesEnabled` (TTL nodes).
    pub extended_types_enabled: bool,
    /// `DigestAuthenticationProvider.superDigest`, if configured.
    pub super_digest: Option<String>,
    /// `zookeeper.skipACL`.
    pub skip_acl: bool,
    /// `reconfigEnabled`.
    pub reconfig_enabled: bool,
    /// `snapCount`: transactions between snapshots (randomised per snapshot, see
    /// [`crate::persistence`]).
    pub snap_count: u32,
    /// Seed of the core's randomness (the snapshot interval jitter).
    pub seed: u64,
}

impl Default for CoreSettings {
    fn default() -> Self {
        CoreSettings {
            server_id: 1,
            tick_ms: 2000,
            min_session_timeout_ms: 4000,
            max_session_timeout_ms: 40000,
            extended_types_enabled: false,
            super_digest: None,
            skip_acl: false,
            reconfig_enabled: false,
            snap_count: 100_000,
            seed: 0,
        }
    }
}

/// Who is waiting for a proposal's commit.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    /// A client request: reply to `xid` on `conn`, the connection it came on — if that is
    /// gone (the session moved), the reply goes nowhere, as in Apache.
    Request {
        session: SessionId,
        conn: ConnId,
        xid: Xid,
        request: Box<Request>,
        received_ms: i64,
    },
    /// A handshake creating a session: answer the ConnectResponse on `conn`.
    Connect { conn: ConnId, timeout_ms: i32 },
    /// The server itself (session expiry, container/TTL reaping): nobody to answer.
    Server,
}

impl Origin {
    /// Whether the proposal answers a client of this server, and so counts toward
    /// `globalOutstandingLimit` (see [`ServerCore::outstanding_requests`]).
    fn answers_a_client(&self) -> bool {
        !matches!(self, Origin::Server)
    }
}

/// A transaction proposed and not yet committed.
#[derive(Debug, Clone)]
struct Proposal {
    entry: TxnLogEntry,
    origin: Origin,
}

/// A request waiting for its turn.
#[derive(Debug)]
struct Pending {
    header: RequestHeader,
    request: Request,
    received_ms: i64,
}

/// Per-session request queue (see "Ordering per session").
#[derive(Debug, Default)]
struct SessionQueue {
    /// The connection currently carrying the session, if any.
    conn: Option<ConnId>,
    /// Writes (and, on a learner, syncs) proposed or forwarded and not yet answered.
    writes_in_flight: usize,
    /// Writes (and syncs) of the session answered so far. A count rather than a zxid because a
    /// learner does not know the zxid of a write it forwarded until the write commits.
    writes_done: u64,
    /// Plain reads held behind in-flight writes, each with the value `writes_done` must reach
    /// before it may be served (the writes before it), in arrival order (see "Ordering per
    /// session").
    reads_after: VecDeque<(u64, Pending)>,
    /// Requests waiting behind those writes, in arrival order.
    waiting: VecDeque<Pending>,
}

/// The scratch buffer's usual capacity: more than any reply of a 1 KiB znode.
const SCRATCH_BYTES: usize = 16 * 1024;

/// The server's state machine. See the module docs.
pub struct ServerCore {
    settings: CoreSettings,
    tree: DataTree,
    watches: WatchManager,
    acl: AclChecker,
    tracker: SessionTracker,
    prep: PrepRequestProcessor,
    changes: OutstandingChanges,
    connections: HashMap<ConnId, Connection>,
    queues: HashMap<SessionId, SessionQueue>,
    proposals: VecDeque<Proposal>,
    /// How many of `proposals` answer a client of this server (not a learner's forwarded
    /// request, nor the server's own expiry or reaping): what counts toward the throttle.
    client_proposals: usize,
    last_proposed: Zxid,
    actions: Vec<Action>,
    stats: ServerStats,
    /// Transactions committed since the last snapshot, and when the next one is due.
    txns_since_snapshot: u32,
    next_snapshot_at: u32,
    rng: u64,
    /// Standalone, leader or learner (see [`replication`]).
    replication: Replication,
    /// Whether clients are served (always, standalone).
    serving: bool,
    /// Learner: forwarded requests per session, oldest first, waiting for their commit.
    awaiting: HashMap<SessionId, VecDeque<replication::Awaiting>>,
    /// Learner: forwarded createSessions (session → connection, timeout).
    connects: HashMap<SessionId, (ConnId, i32)>,
    /// Learner: sessions whose forwarded syncs the leader has not answered yet, in order.
    pending_syncs: VecDeque<SessionId>,
    /// Learner: sessions with client activity since the last report to the leader.
    touched: HashSet<SessionId>,
    /// Where reply frames are encoded before being copied out at their exact size: one
    /// allocation per reply instead of a buffer regrown (and recopied) as the body is written.
    scratch: BytesMut,
}

impl ServerCore {
    /// A core serving `tree` (recovered from disk, with its sessions in `sessions`), whose clock
    /// reads `now_ms`.
    pub fn new(
        settings: CoreSettings,
        tree: DataTree,
        sessions: &[(SessionId, i32)],
        now_ms: i64,
    ) -> Self {
        let mut providers = AuthProviders::default();
        if let Some(digest) = &settings.super_digest {
            providers = providers.with_super_digest(digest.clone());
        }
        let acl = AclChecker::new(providers).with_skip_acl(settings.skip_acl);
        let prep_settings = PrepSettings {
            extended_types_enabled: settings.extended_types_enabled,
            reconfig: if settings.reconfig_enabled {
                ReconfigMode::Standalone
            } else {
                ReconfigMode::Disabled
            },
            ..PrepSettings::default()
        };
        let mut tracker = SessionTracker::new(settings.server_id, settings.tick_ms, now_ms);
        for (id, timeout_ms) in sessions {
            tracker.add_session(*id, *timeout_ms, now_ms);
        }
        let last_proposed = tree.last_processed_zxid();
        let mut core = ServerCore {
            prep: PrepRequestProcessor::new(prep_settings, acl.clone()),
            changes: OutstandingChanges::new(),
            settings,
            tree,
            watches: WatchManager::new(),
            acl,
            tracker,
            connections: HashMap::new(),
            queues: HashMap::new(),
            proposals: VecDeque::new(),
            client_proposals: 0,
            last_proposed,
            actions: Vec::new(),
            scratch: BytesMut::with_capacity(SCRATCH_BYTES),
            stats: ServerStats::default(),
            txns_since_snapshot: 0,
            next_snapshot_at: 0,
            rng: 0,
            replication: Replication::Standalone,
            serving: true,
            awaiting: HashMap::new(),
            connects: HashMap::new(),
            pending_syncs: VecDeque::new(),
            touched: HashSet::new(),
        };
        core.rng = core.settings.seed | 1;
        core.next_snapshot_at = core.snapshot_interval();
        core
    }

    /// The number of transactions until the next snapshot: uniform in
    /// `[snapCount/2 + 1, snapCount]`, like Apache's `SyncRequestProcessor`, so that the
    /// servers of an ensemble do not all snapshot at once.
    fn snapshot_interval(&mut self) -> u32 {
        // xorshift64: a few lines of seeded randomness keep the core deterministic.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let half = (self.settings.snap_count / 2).max(1);
        half + 1 + (self.rng % u64::from(self.settings.snap_count - half).max(1)) as u32
    }

    /// Counts a committed transaction and asks for a snapshot when one is due.
    fn count_for_snapshot(&mut self) {
        self.txns_since_snapshot += 1;
        if self.txns_since_snapshot >= self.next_snapshot_at {
            self.txns_since_snapshot = 0;
            self.next_snapshot_at = self.snapshot_interval();
            self.actions.push(Action::Snapshot);
        }
    }

    /// Drains the actions produced so far.
    pub fn take_actions(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.actions)
    }

    /// The tree (for snapshots and the four-letter words).
    pub fn tree(&self) -> &DataTree {
        &self.tree
    }

    /// The watch tables.
    pub fn watches(&self) -> &WatchManager {
        &self.watches
    }

    /// The session tracker.
    pub fn sessions(&self) -> &SessionTracker {
        &self.tracker
    }

    /// Request counters and latencies.
    pub fn stats(&self) -> &ServerStats {
        &self.stats
    }

    /// Resets the request counters and latencies (`srst`).
    pub fn reset_stats(&mut self) {
        self.stats = ServerStats::default();
    }

    /// Resets every connection's counters (`crst`).
    pub fn reset_connection_stats(&mut self) {
        for connection in self.connections.values_mut() {
            connection.reset_stats();
        }
    }

    /// The session carried by connection `conn`, if any.
    pub fn session_of(&self, conn: ConnId) -> Option<SessionId> {
        self.connections.get(&conn)?.session
    }

    /// Per-connection details, for `cons` and `stat`.
    pub fn connections(&self) -> impl Iterator<Item = ConnectionInfo> + '_ {
        self.connections.values().map(Connection::info)
    }

    /// Requests received from this server's clients and not yet answered (what
    /// `globalOutstandingLimit` bounds). A leader's proposals for requests its learners
    /// forwarded do not count, as in Apache (`submitLearnerRequest` is not throttled): counting
    /// them let the followers' sessions take the leader's whole limit and throttled its own
    /// clients.
    pub fn outstanding_requests(&self) -> usize {
        self.client_proposals
            + self
                .queues
                .values()
                .map(|q| q.waiting.len() + q.reads_after.len())
                .sum::<usize>()
            + self.awaiting.values().map(VecDeque::len).sum::<usize>()
    }

    /// The zxid of the last transaction applied to the tree.
    pub fn last_processed_zxid(&self) -> Zxid {
        self.tree.last_processed_zxid()
    }

    /// A connection was accepted from `addr` and sent its handshake.
    pub fn on_connect(&mut self, conn: ConnId, addr: SocketAddr, req: ConnectRequest, now_ms: i64) {
        if !self.serving {
            // ZooKeeper closes the connection too ("not currently serving requests"); the
            // client tries the next server.
            self.actions.push(Action::Close { conn });
            return;
        }
        self.handle_connect(conn, addr, req, now_ms);
    }

    /// Connection `conn` sent a request.
    pub fn on_request(&mut self, conn: ConnId, header: RequestHeader, req: Request, now_ms: i64) {
        let Some(connection) = self.connections.get_mut(&conn) else {
            return; // closed meanwhile
        };
        connection.on_received(header.op, now_ms);
        self.stats.packets_received += 1;
        let Some(session) = connection.session else {
            // The handshake has not completed. A client may pipeline requests right behind its
            // ConnectRequest (Apache stops reading until the session exists); keep them, in
            // order, until it does — but not without bound.
            if connection.backlog.len() >= MAX_BACKLOG {
                tracing::info!(
                    conn = conn.0,
                    "too many requests before the handshake completed"
                );
                self.close(conn);
            } else {
                connection.backlog.push((header, req));
            }
            return;
        };
        if !self.tracker.touch(session, now_ms) {
            // The session is closing (closeSession requested, or expired): like Apache
            // (MissingSessionException, "Dropping request"), ignore what follows; the
            // closeSession's commit answers the requests before it, then closes the
            // connection. Closing here would lose those replies.
            if self.tracker.session(session).is_none() {
                self.close(conn); // gone altogether: nothing will close it otherwise
            }
            return;
        }
        if self.replication == Replication::Learner {
            self.touched.insert(session);
        }
        if let Request::Auth(auth) = &req {
            // Auth is answered at once, outside the FIFO order of other replies.
            self.handle_auth(conn, auth);
            return;
        }
        let queue = self.queues.entry(session).or_default();
        let via_leader = Self::goes_to_leader(self.replication, &req);
        let held_after_write =
            queue.waiting.is_empty() && queue.writes_in_flight > 0 && is_plain_read(&req);
        let must_wait = !queue.waiting.is_empty() || (queue.writes_in_flight > 0 && !via_leader);
        let pending = Pending {
            header,
            request: req,
            received_ms: now_ms,
        };
        if held_after_write {
            let after = queue.writes_done + queue.writes_in_flight as u64;
            queue.reads_after.push_back((after, pending));
        } else if must_wait {
            queue.waiting.push_back(pending);
        } else {
            self.process(session, pending, now_ms);
        }
    }

    /// Connection `conn` sent a frame that could not be decoded. Unknown opcodes are answered
    /// `UNIMPLEMENTED`, undecodable bodies `MARSHALLINGERROR`; either way the connection closes.
    pub fn on_bad_request(&mut self, conn: ConnId, xid: Option<Xid>, err: &zk_proto::Error) {
        let code = match err {
            zk_proto::Error::UnknownOpCode(_) => ErrorCode::Unimplemented,
            _ => ErrorCode::MarshallingError,
        };
        tracing::info!(conn = conn.0, %err, "closing connection after an undecodable request");
        if let Some(xid) = xid {
            self.send_error(conn, xid, code);
        }
        self.close(conn);
    }

    /// Connection `conn` is gone. Its session lives on until it expires or is resumed elsewhere.
    pub fn on_disconnect(&mut self, conn: ConnId) {
        if let Some(connection) = self.connections.remove(&conn) {
            self.watches.remove_watcher(WatcherId(conn.0));
            if let Some(session) = connection.session {
                if let Some(queue) = self.queues.get_mut(&session) {
                    if queue.conn == Some(conn) {
                        queue.conn = None;
                        queue.waiting.clear();
                        queue.reads_after.clear();
                    }
                }
            }
        }
    }

    /// The log is durable up to `upto`: commit every proposal up to it, in order.
    pub fn on_durable(&mut self, upto: Zxid, now_ms: i64) {
        while self
            .proposals
            .front()
            .is_some_and(|p| p.entry.zxid() <= upto)
        {
            let proposal = self.pop_proposal();
            self.commit(proposal, now_ms);
        }
    }

    /// Takes the oldest proposal off the queue to commit it.
    fn pop_proposal(&mut self) -> Proposal {
        let proposal = self.proposals.pop_front().expect("a proposal to commit");
        if proposal.origin.answers_a_client() {
            self.client_proposals -= 1;
        }
        proposal
    }

    /// Time passed: expire sessions whose timeout ran out.
    pub fn tick(&mut self, now_ms: i64) {
        // Only the leader (or a standalone server) expires sessions.
        if self.replication == Replication::Learner || !self.serving {
            return;
        }
        for session in self.tracker.take_expired(now_ms) {
            tracing::info!(%session, "session expired");
            self.propose_expiry(session, now_ms);
        }
    }

    /// Sends a reply frame for `xid` on `conn`.
    fn send_reply(&mut self, conn: ConnId, xid: Xid, zxid: Zxid, err: ErrorCode, body: &Response) {
        let header = ReplyHeader { xid, zxid, err };
        let frame = self.encode(|out| body.write_frame(&header, out));
        self.send(conn, frame);
    }

    /// A frame written by `write` into the scratch buffer, copied out at its exact size.
    fn encode(&mut self, write: impl FnOnce(&mut BytesMut)) -> Bytes {
        encode_in(&mut self.scratch, write)
    }

    fn send_error(&mut self, conn: ConnId, xid: Xid, err: ErrorCode) {
        let zxid = self.tree.last_processed_zxid();
        self.send_reply(conn, xid, zxid, err, &Response::Empty);
    }

    fn send(&mut self, conn: ConnId, frame: Bytes) {
        if let Some(connection) = self.connections.get_mut(&conn) {
            connection.on_sent(frame.len());
            self.stats.packets_sent += 1;
            self.actions.push(Action::Send { conn, frame });
        }
    }

    /// Asks the shell to close `conn` and forgets it.
    fn close(&mut self, conn: ConnId) {
        if self.connections.contains_key(&conn) {
            self.actions.push(Action::Close { conn });
            self.on_disconnect(conn);
        }
    }

    /// One of `session`'s writes (or a learner's sync) has been answered: serve the reads held
    /// behind it, then whatever waited behind those.
    fn on_write_done(&mut self, session: SessionId, now_ms: i64) {
        if let Some(queue) = self.queues.get_mut(&session) {
            queue.writes_in_flight = queue.writes_in_flight.saturating_sub(1);
            queue.writes_done += 1;
        }
        self.serve_reads_after(session, now_ms);
        self.drain_queue(session, now_ms);
    }

    /// Serves the reads held behind `session`'s writes that have all been answered now.
    fn serve_reads_after(&mut self, session: SessionId, now_ms: i64) {
        loop {
            let Some(queue) = self.queues.get_mut(&session) else {
                return;
            };
            match queue.reads_after.front() {
                Some((after, _)) if *after <= queue.writes_done => {}
                _ => return,
            }
            let (_, pending) = queue.reads_after.pop_front().expect("checked above");
            let Pending {
                header,
                request,
                received_ms,
            } = pending;
            self.serve_read(session, header, request, received_ms, now_ms);
        }
    }

    /// Runs the requests that were waiting behind `session`'s writes, until one must wait again.
    fn drain_queue(&mut self, session: SessionId, now_ms: i64) {
        loop {
            let Some(queue) = self.queues.get_mut(&session) else {
                return;
            };
            let Some(front) = queue.waiting.front() else {
                return;
            };
            if queue.writes_in_flight > 0 && !Self::goes_to_leader(self.replication, &front.request)
            {
                return;
            }
            let pending = queue.waiting.pop_front().expect("checked above");
            self.process(session, pending, now_ms);
        }
    }

    /// Serves or proposes one request whose turn has come.
    fn process(&mut self, session: SessionId, pending: Pending, now_ms: i64) {
        let Pending {
            header,
            request,
            received_ms,
        } = pending;
        if self.replication == Replication::Learner
            && Self::goes_to_leader(self.replication, &request)
        {
            self.forward_request(session, header, request, received_ms);
        } else if is_write(&request) {
            self.propose_write(session, header, request, received_ms, now_ms);
        } else {
            self.serve_read(session, header, request, received_ms, now_ms);
        }
    }
}

/// True for requests that become transactions (including closeSession).
fn is_write(req: &Request) -> bool {
    req.op().is_write()
}

/// Reads that only look at the tree (and may leave a watch), which can be held behind a
/// session's in-flight writes and served when the write before them commits.
fn is_plain_read(req: &Request) -> bool {
    matches!(
        req,
        Request::Exists(_)
            | Request::GetData(_)
            | Request::GetChildren(_)
            | Request::GetChildren2(_)
            | Request::GetAcl(_)
            | Request::GetAllChildrenNumber(_)
            | Request::GetEphemerals(_)
    )
}

/// A frame written by `write` into `scratch`, copied out at its exact size (a free function,
/// so that a reply can be written from a borrow of the tree: see `reads.rs`'s getData).
fn encode_in(scratch: &mut BytesMut, write: impl FnOnce(&mut BytesMut)) -> Bytes {
    scratch.clear();
    write(scratch);
    let frame = Bytes::copy_from_slice(scratch);
    if scratch.capacity() > 4 * SCRATCH_BYTES {
        // One huge reply (a large getChildren, say) should not pin its size for good.
        *scratch = BytesMut::with_capacity(SCRATCH_BYTES);
    }
    frame
}

#[cfg(test)]
mod replication_tests;
