//! The core in an ensemble: which requests go through the leader, how a learner matches the
//! committed txns it receives with the clients waiting for them, and what changes when the
//! server stops or starts serving.
//!
//! ```text
//!            learner (follower / observer)                         leader
//!  client write ──▶ Forward::Request ────────────── REQUEST ──▶ on_forwarded → prep → propose
//!  new session ───▶ Forward::CreateSession ───────── REQUEST ──▶ on_forwarded → createSession txn
//!  activity ──────▶ Forward::Touch (every tick) ──── REQUEST ──▶ tracker.touch
//!  client sync ───▶ Forward::Sync ────────────────── REQUEST ──▶ Peer::answer_sync
//!  on_commit(txn) ◀── COMMIT / INFORM ◀──────────────────────── quorum acks
//!  on_sync_answered(zxid) ◀── SYNC ◀──────────────────────────── (leader's last proposed zxid)
//! ```
//!
//! Every server applies every committed txn through [`ServerCore::on_commit`]; the one that
//! received the request answers it, as ZooKeeper's `CommitProcessor` does: a learner keeps the
//! requests it forwarded per session, in order, and a committed txn whose session and cxid match
//! the oldest one answers it. Sessions are global: each server learns them from the committed
//! createSession/closeSession txns, only the leader expires them, and learners report the
//! sessions their clients touched so the leader does not expire them.
//!
//! A learner's `sync` completes once the learner has committed everything the leader had
//! proposed when the sync reached it: the leader answers with its last proposed zxid (in FIFO
//! order with its proposals), and the learner replies to the client once its own last committed
//! zxid reaches that.

use bytes::{BufMut, Bytes, BytesMut};
use zk_proto::jute::Reader;
use zk_proto::records::SyncResponse;
use zk_proto::txn::{Txn, TxnLogEntry};
use zk_proto::{ErrorCode, Id, Jute, Request, RequestHeader, Response, SessionId, Xid, Zxid};
use zk_tree::auth::AuthInfo;
use zk_tree::data_tree::DataTree;
use zk_tree::prep::{PrepOutcome, SessionInfo};

use super::connection::ConnId;
use super::{Action, Origin, Proposal, ServerCore};

/// How the server takes part in replication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replication {
    /// A standalone server: a write commits once it is durable in the local log.
    Standalone,
    /// The ensemble's leader: it orders every write and expires sessions.
    Leader,
    /// A follower or observer: writes, new sessions and syncs go to the leader.
    Learner,
}

/// What a learner sends its leader (inside a ZAB REQUEST packet). The bytes are this server's
/// own format (see [`Forward::encode`]), not Apache's: ensembles mixing Apache and these
/// servers are not supported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Forward {
    /// A client write (or closeSession) of `session`, with the connection's auth ids.
    Request {
        /// The session.
        session: SessionId,
        /// The connection's authenticated ids (the leader checks ACLs against them).
        auth: Vec<Id>,
        /// The client's xid (the txn's cxid).
        xid: Xid,
        /// The request.
        request: Request,
    },
    /// A client asked for a new session; the learner chose its id.
    CreateSession {
        /// The new session's id.
        session: SessionId,
        /// The negotiated timeout.
        timeout_ms: i32,
    },
    /// Sessions with client activity since the last report: the leader pushes their expiry
    /// back (ZooKeeper carries these in the learner's PING replies).
    Touch(Vec<SessionId>),
    /// A client's `sync`: the leader answers with a ZAB SYNC carrying its last proposed zxid.
    Sync,
}

impl Forward {
    const REQUEST: u8 = 1;
    const CREATE_SESSION: u8 = 2;
    const TOUCH: u8 = 3;
    const SYNC: u8 = 4;

    /// The bytes: a tag, then the fields in jute encoding; a request is its whole client frame.
    pub fn encode(&self) -> Bytes {
        let mut out = BytesMut::new();
        match self {
            Forward::Request {
                session,
                auth,
                xid,
                request,
            } => {
                out.put_u8(Self::REQUEST);
                out.put_i64(session.0);
                out.put_i32(auth.len() as i32);
                for id in auth {
                    id.write(&mut out);
                }
                request.write_frame(*xid, &mut out);
            }
            Forward::CreateSession {
                session,
                timeout_ms,
            } => {
                out.put_u8(Self::CREATE_SESSION);
                out.put_i64(session.0);
                out.put_i32(*timeout_ms);
            }
            Forward::Touch(sessions) => {
                out.put_u8(Self::TOUCH);
                out.put_i32(sessions.len() as i32);
                for s in sessions {
                    out.put_i64(s.0);
                }
            }
            Forward::Sync => out.put_u8(Self::SYNC),
        }
        out.freeze()
    }

    /// Parses [`Forward::encode`]'s bytes; anything else is an error, never a panic.
    pub fn decode(bytes: Bytes) -> Result<Forward, zk_proto::Error> {
        let mut r = Reader::new(bytes);
        let forward = match r.read_u8("Forward.tag")? {
            Self::REQUEST => {
                let session = SessionId(r.read_i64("Forward.session")?);
                let count = r.read_count("Forward.auth", 8)?.unwrap_or(0);
                let mut auth = Vec::with_capacity(count);
                for _ in 0..count {
                    auth.push(Id::read(&mut r, "Id")?);
                }
                let _len = r.read_i32("Forward.frameLength")?;
                let (header, request) = Request::decode(r.take_rest())?;
                Forward::Request {
                    session,
                    auth,
                    xid: header.xid,
                    request,
                }
            }
            Self::CREATE_SESSION => Forward::CreateSession {
                session: SessionId(r.read_i64("Forward.session")?),
                timeout_ms: r.read_i32("Forward.timeout")?,
            },
            Self::TOUCH => {
                let count = r.read_count("Forward.sessions", 8)?.unwrap_or(0);
                let mut sessions = Vec::with_capacity(count);
                for _ in 0..count {
                    sessions.push(SessionId(r.read_i64("Forward.session")?));
                }
                Forward::Touch(sessions)
            }
            Self::SYNC => Forward::Sync,
            _ => {
                return Err(zk_proto::Error::Malformed {
                    record: "Forward",
                    reason: "unknown tag",
                })
            }
        };
        Ok(forward)
    }
}

/// A request a learner forwarded, waiting for its txn to commit (or, for a sync, for the
/// learner to catch up with the leader).
#[derive(Debug)]
pub(super) struct Awaiting {
    conn: ConnId,
    xid: Xid,
    request: Box<Request>,
    received_ms: i64,
    /// A sync: the zxid the leader answered with, once it has.
    sync_target: Option<Zxid>,
}

impl ServerCore {
    /// How this server takes part in replication.
    pub fn replication(&self) -> Replication {
        self.replication
    }

    /// Whether the server serves clients (an ensemble member only while it leads an
    /// established epoch or is synced with its leader).
    pub fn is_serving(&self) -> bool {
        self.serving
    }

    /// Whether `req` goes through the leader on this server.
    pub(super) fn goes_to_leader(replication: Replication, req: &Request) -> bool {
        req.op().is_write()
            || (replication == Replication::Learner && matches!(req, Request::Sync(_)))
    }

    /// Stops serving: every client connection closes (clients reconnect elsewhere, as with
    /// ZooKeeper when a server leaves its role) and everything in flight is forgotten — a
    /// proposal that never committed was never acknowledged.
    pub fn stop_serving(&mut self) {
        self.serving = false;
        let conns: Vec<ConnId> = self.connections.keys().copied().collect();
        for conn in conns {
            self.close(conn);
        }
        self.proposals.clear();
        self.client_proposals = 0;
        self.changes.clear();
        self.awaiting.clear();
        self.connects.clear();
        self.pending_syncs.clear();
        self.touched.clear();
        self.queues.clear();
    }

    /// Starts serving as `replication`. A leader numbers its txns from `epoch`'s first zxid and
    /// gives every session a fresh timeout (ZooKeeper's new leader does the same: it cannot
    /// know how long ago the old leader last heard from them).
    pub fn start_serving(
        &mut self,
        replication: Replication,
        epoch: Option<zk_proto::Epoch>,
        now_ms: i64,
    ) {
        self.replication = replication;
        self.serving = true;
        if replication == Replication::Leader {
            if let Some(epoch) = epoch {
                self.last_proposed = Zxid::new(epoch, 0);
            }
        }
        // A close that never committed did not happen; a learner's timeouts are unused.
        self.tracker.reset_timeouts(now_ms);
    }

    /// Sets the replication role without serving (an ensemble member before its first
    /// election).
    pub fn set_replication(&mut self, replication: Replication) {
        self.replication = replication;
    }

    /// A learner's state was replaced by the leader's snapshot (SNAP sync).
    pub fn install_snapshot(&mut self, tree: DataTree, sessions: &[(SessionId, i32)], now_ms: i64) {
        self.tree = tree;
        self.changes.clear();
        for (id, _) in self.tracker.sessions_with_timeouts() {
            self.tracker.remove_session(id);
        }
        for (id, timeout_ms) in sessions {
            self.tracker.add_session(*id, *timeout_ms, now_ms);
        }
    }

    /// Learner: the sessions touched since the last call (to forward as [`Forward::Touch`]).
    pub fn take_touched_sessions(&mut self) -> Vec<SessionId> {
        let mut touched: Vec<SessionId> = self.touched.drain().collect();
        touched.sort();
        touched
    }

    /// Learner: forwards a client write or sync of `session` to the leader.
    pub(super) fn forward_request(
        &mut self,
        session: SessionId,
        header: RequestHeader,
        request: Request,
        received_ms: i64,
    ) {
        let Some(conn) = self.queues.get(&session).and_then(|q| q.conn) else {
            return;
        };
        let Some(auth) = self.connections.get(&conn).map(|c| c.auth.ids().to_vec()) else {
            return;
        };
        let forward = match &request {
            Request::Sync(_) => {
                self.pending_syncs.push_back(session);
                Forward::Sync
            }
            _ => {
                if matches!(request, Request::CloseSession) {
                    self.tracker.set_closing(session);
                }
                Forward::Request {
                    session,
                    auth,
                    xid: header.xid,
                    request: request.clone(),
                }
            }
        };
        if let Some(queue) = self.queues.get_mut(&session) {
            queue.writes_in_flight += 1;
        }
        self.awaiting
            .entry(session)
            .or_default()
            .push_back(Awaiting {
                conn,
                xid: header.xid,
                request: Box::new(request),
                received_ms,
                sync_target: None,
            });
        self.actions.push(Action::Forward(forward));
    }

    /// Leader: a learner forwarded `forward` (a [`Forward::Sync`] is the shell's to answer).
    pub fn on_forwarded(&mut self, forward: Forward, now_ms: i64) {
        match forward {
            Forward::Request {
                session,
                auth,
                xid,
                request,
            } => {
                // checkSession: a write of an unknown or closing session fails as expired.
                let check = if self.tracker.is_live(session) {
                    Ok(())
                } else {
                    Err(ErrorCode::SessionExpired)
                };
                self.tracker.touch(session, now_ms);
                if matches!(request, Request::CloseSession) {
                    self.tracker.set_closing(session);
                }
                let auth = AuthInfo::from_ids(auth);
                let info = SessionInfo {
                    check,
                    ..SessionInfo::global(session, &auth)
                };
                let slot = self.next_slot(xid, now_ms);
                let prepared =
                    self.prep
                        .prepare(&mut self.changes, &self.tree, &info, slot, &request);
                match prepared.outcome {
                    PrepOutcome::Txn(entry) => self.propose(entry, Origin::Server),
                    PrepOutcome::NoTxn(result) => {
                        tracing::warn!(%session, ?result, op = ?request.op(), "a forwarded request produced no txn");
                    }
                }
            }
            Forward::CreateSession {
                session,
                timeout_ms,
            } => self.propose_create_session(session, timeout_ms, Origin::Server, now_ms),
            Forward::Touch(sessions) => {
                for session in sessions {
                    self.tracker.touch(session, now_ms);
                }
            }
            Forward::Sync => {}
        }
    }

    /// A txn committed (ZAB's COMMIT or INFORM, or the leader's own quorum): apply it and answer
    /// whoever waits for it here. `txn` is the logged form (header, record, digest).
    pub fn on_commit(
        &mut self,
        zxid: Zxid,
        txn: &Bytes,
        now_ms: i64,
    ) -> Result<(), zk_proto::Error> {
        if self
            .proposals
            .front()
            .is_some_and(|p| p.entry.zxid() == zxid)
        {
            let proposal = self.pop_proposal();
            self.commit(proposal, now_ms);
        } else {
            let entry = TxnLogEntry::decode(txn.clone())?;
            if entry.zxid() != zxid {
                return Err(zk_proto::Error::Malformed {
                    record: "TxnHeader",
                    reason: "the txn's zxid differs from the committed zxid",
                });
            }
            let origin = self.waiting_origin(&entry);
            self.commit(Proposal { entry, origin }, now_ms);
        }
        if !self.awaiting.is_empty() {
            self.complete_syncs(now_ms);
        }
        Ok(())
    }

    /// Learner: the leader answered the oldest forwarded sync with `zxid`.
    pub fn on_sync_answered(&mut self, zxid: Zxid, now_ms: i64) {
        let Some(session) = self.pending_syncs.pop_front() else {
            return;
        };
        if let Some(waiting) = self.awaiting.get_mut(&session) {
            if let Some(sync) = waiting
                .iter_mut()
                .find(|a| matches!(*a.request, Request::Sync(_)) && a.sync_target.is_none())
            {
                sync.sync_target = Some(zxid);
            }
        }
        self.complete_syncs(now_ms);
    }

    /// Who waits here for `entry`: the client whose forwarded request it is, if any.
    fn waiting_origin(&mut self, entry: &TxnLogEntry) -> Origin {
        let session = entry.header.client_id;
        if let Txn::CreateSession(t) = &entry.txn {
            if let Some((conn, _)) = self.connects.remove(&session) {
                return Origin::Connect {
                    conn,
                    timeout_ms: t.timeout_ms,
                };
            }
            return Origin::Server;
        }
        let Some(waiting) = self.awaiting.get_mut(&session) else {
            return Origin::Server;
        };
        match waiting.front() {
            Some(a) if a.xid == entry.header.cxid && !matches!(*a.request, Request::Sync(_)) => {
                let a = waiting.pop_front().expect("checked above");
                if waiting.is_empty() {
                    self.awaiting.remove(&session);
                }
                Origin::Request {
                    session,
                    conn: a.conn,
                    xid: a.xid,
                    request: a.request,
                    received_ms: a.received_ms,
                }
            }
            Some(a) => {
                tracing::warn!(%session, expected = a.xid.0, got = entry.header.cxid.0, "a committed txn does not match the session's oldest forwarded request");
                Origin::Server
            }
            None => Origin::Server,
        }
    }

    /// Answers every sync at the head of its session's queue whose target this server has
    /// committed.
    fn complete_syncs(&mut self, now_ms: i64) {
        loop {
            let applied = self.tree.last_processed_zxid();
            let ready: Vec<SessionId> = self
                .awaiting
                .iter()
                .filter(|(_, w)| {
                    w.front()
                        .is_some_and(|a| a.sync_target.is_some_and(|t| t <= applied))
                })
                .map(|(s, _)| *s)
                .collect();
            if ready.is_empty() {
                return;
            }
            for session in ready {
                self.complete_sync(session, applied, now_ms);
            }
        }
    }

    /// Answers the sync at the head of `session`'s queue.
    fn complete_sync(&mut self, session: SessionId, applied: Zxid, now_ms: i64) {
        {
            let Some(waiting) = self.awaiting.get_mut(&session) else {
                return;
            };
            let a = waiting.pop_front().expect("checked above");
            if waiting.is_empty() {
                self.awaiting.remove(&session);
            }
            if self.connections.contains_key(&a.conn) {
                let path = match &*a.request {
                    Request::Sync(r) => r.path.clone(),
                    _ => String::new(),
                };
                let body = Response::Sync(SyncResponse { path });
                self.send_reply(a.conn, a.xid, applied, ErrorCode::Ok, &body);
                self.on_answered(a.conn, a.xid, applied, a.received_ms, now_ms);
            }
            self.on_write_done(session, now_ms);
        }
    }
}
