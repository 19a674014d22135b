//! The write path: prepare → propose → (durable) → commit → apply → notify → reply.

use zk_proto::multi::{MultiOp, MultiResponse, MultiResult};
use zk_proto::records::{Create2Response, CreateResponse, SetAclResponse, SetDataResponse};
use zk_proto::txn::{Txn, TxnLogEntry};
use zk_proto::{
    CreateMode, ErrorCode, Perms, Request, RequestHeader, Response, SessionId, Xid, Zxid,
};
use zk_tree::apply::OpResult;
use zk_tree::prep::{PrepOutcome, SessionInfo, TxnSlot};

use super::connection::ConnId;
use super::{Action, Origin, Proposal, ServerCore};

impl ServerCore {
    /// Prepares a client write and proposes its transaction (an error transaction if a check
    /// failed: failed writes consume a zxid and are logged, as in ZooKeeper).
    pub(super) fn propose_write(
        &mut self,
        session: SessionId,
        header: RequestHeader,
        req: Request,
        received_ms: i64,
        now_ms: i64,
    ) {
        let Some(conn) = self.queues.get(&session).and_then(|q| q.conn) else {
            return;
        };
        let Some(auth) = self.connections.get(&conn).map(|c| c.auth.clone()) else {
            return;
        };
        if matches!(req, Request::CloseSession) {
            self.tracker.set_closing(session);
        }
        let info = SessionInfo::global(session, &auth);
        let slot = self.next_slot(header.xid, now_ms);
        let prepared = self
            .prep
            .prepare(&mut self.changes, &self.tree, &info, slot, &req);
        for warning in &prepared.quota_warnings {
            tracing::warn!(?warning, "quota exceeded (soft limit)");
        }
        match prepared.outcome {
            PrepOutcome::Txn(entry) => {
                if let Some(queue) = self.queues.get_mut(&session) {
                    queue.writes_in_flight += 1;
                }
                let origin = Origin::Request {
                    session,
                    conn,
                    xid: header.xid,
                    request: Box::new(req),
                    received_ms,
                };
                self.propose(entry, origin);
            }
            PrepOutcome::NoTxn(result) => {
                let err = result.err().unwrap_or(ErrorCode::Ok);
                let zxid = self.tree.last_processed_zxid();
                self.send_reply(conn, header.xid, zxid, err, &Response::Empty);
                self.on_answered(conn, header.xid, zxid, received_ms, now_ms);
            }
        }
    }

    /// ZooKeeper's `ContainerManager`: proposes a `deleteContainer` for up to `limit` empty
    /// containers and expired TTL nodes, as server-issued writes (session 0, xid 0) that nobody
    /// waits for. A candidate that gained a child meanwhile fails preparation harmlessly.
    pub fn reap_containers(&mut self, now_ms: i64, max_never_used_ms: i64, limit: usize) {
        let requests = zk_tree::reaper::reap_requests(&self.tree, now_ms, max_never_used_ms);
        for request in requests.into_iter().take(limit) {
            if let Some(path) = request.path() {
                tracing::info!(path, "deleting an empty container or expired TTL node");
            }
            let auth = zk_tree::auth::AuthInfo::default();
            let info = SessionInfo::global(SessionId(0), &auth);
            let slot = self.next_slot(Xid(0), now_ms);
            let prepared = self
                .prep
                .prepare(&mut self.changes, &self.tree, &info, slot, &request);
            if let PrepOutcome::Txn(entry) = prepared.outcome {
                self.propose(entry, Origin::Server);
            }
        }
    }

    /// Proposes a createSession txn for `session` with `timeout_ms`, answered to `origin`.
    pub(super) fn propose_create_session(
        &mut self,
        session: SessionId,
        timeout_ms: i32,
        origin: Origin,
        now_ms: i64,
    ) {
        let slot = self.next_slot(Xid(0), now_ms);
        let entry = self.prep.prepare_create_session(
            &mut self.changes,
            &self.tree,
            session,
            timeout_ms,
            slot,
        );
        self.propose(entry, origin);
    }

    /// The zxid and time the next transaction gets.
    pub(super) fn next_slot(&self, xid: Xid, now_ms: i64) -> TxnSlot {
        TxnSlot {
            xid,
            zxid: Zxid(self.last_proposed.0 + 1),
            time_ms: now_ms,
        }
    }

    /// Asks the shell to log `entry` and remembers who waits for its commit.
    pub(super) fn propose(&mut self, entry: TxnLogEntry, origin: Origin) {
        debug_assert_eq!(
            entry.zxid().0,
            self.last_proposed.0 + 1,
            "zxids are consecutive"
        );
        self.last_proposed = entry.zxid();
        self.actions.push(Action::Append(entry.clone()));
        if origin.answers_a_client() {
            self.client_proposals += 1;
        }
        self.proposals.push_back(Proposal { entry, origin });
    }

    /// Applies a durable proposal and answers whoever waits for it.
    pub(super) fn commit(&mut self, proposal: Proposal, now_ms: i64) {
        let Proposal { entry, origin } = proposal;
        let zxid = entry.zxid();
        let outcome = self.tree.apply(&entry.header, &entry.txn);
        self.changes.on_applied(zxid);
        self.count_for_snapshot();

        let notifications = {
            let connections = &self.connections;
            let acl = &self.acl;
            let mut may_read = |w: zk_tree::watch_manager::WatcherId,
                                node_acl: &[zk_proto::Acl]| {
                connections
                    .get(&ConnId(w.0))
                    .is_some_and(|c| acl.check(node_acl, &c.auth, Perms::READ))
            };
            self.watches.fire_all(&outcome, &mut may_read)
        };
        self.send_notifications(notifications);

        match origin {
            Origin::Connect { conn, timeout_ms } => {
                let session = entry.header.client_id;
                self.tracker.add_session(session, timeout_ms, now_ms);
                self.establish(conn, session, timeout_ms, now_ms);
            }
            Origin::Request {
                session,
                conn,
                xid,
                request,
                received_ms,
            } => {
                // Only to the connection that sent it: after a session move the new
                // connection must not see replies to xids it never sent.
                if self.connections.contains_key(&conn) {
                    let (err, body) = reply_for(&request, &outcome.result);
                    self.send_reply(conn, xid, zxid, err, &body);
                    self.on_answered(conn, xid, zxid, received_ms, now_ms);
                }
                if matches!(*request, Request::CloseSession) {
                    self.on_session_closed(session);
                } else {
                    self.on_write_done(session, now_ms);
                }
            }
            Origin::Server => match &entry.txn {
                Txn::CloseSession(_) => self.on_session_closed(entry.header.client_id),
                // A session created through another server (ensemble): sessions are global.
                Txn::CreateSession(t) => {
                    self.tracker
                        .add_session(entry.header.client_id, t.timeout_ms, now_ms);
                }
                _ => {}
            },
        }
    }
}

/// The reply to `request` whose transaction produced `result`.
fn reply_for(request: &Request, result: &OpResult) -> (ErrorCode, Response) {
    if let OpResult::Error(err) = result {
        if !err.is_ok() {
            return (*err, Response::Empty);
        }
    }
    let body = match (request, result) {
        (Request::Create(_), OpResult::Created { path, .. }) => {
            Response::Create(CreateResponse { path: path.clone() })
        }
        (
            Request::Create2(_) | Request::CreateContainer(_) | Request::CreateTtl(_),
            OpResult::Created { path, stat },
        ) => Response::Create2(Create2Response {
            path: path.clone(),
            stat: *stat,
        }),
        (Request::SetData(_), OpResult::DataSet { stat, .. }) => {
            Response::SetData(SetDataResponse { stat: *stat })
        }
        (Request::SetAcl(_), OpResult::AclSet { stat, .. }) => {
            Response::SetAcl(SetAclResponse { stat: *stat })
        }
        (Request::Multi(multi), OpResult::Multi(results)) => Response::Multi(MultiResponse {
            results: multi
                .ops
                .iter()
                .zip(results)
                .map(|(op, r)| multi_result(op, r))
                .collect(),
        }),
        _ => Response::Empty,
    };
    (ErrorCode::Ok, body)
}

/// One multi sub-result, shaped by the sub-op's type as Apache's `MultiOperationRecord`
/// re-derives it from the flags: a container or TTL create answers a path and a Stat (type
/// 15); any other create — create2 included — answers the path only (type 1).
fn multi_result(op: &MultiOp, result: &OpResult) -> MultiResult {
    let plain_create =
        |flags: i32| CreateMode::from_flag(flags).is_none_or(|m| !m.is_container() && !m.is_ttl());
    match (op, result) {
        (
            MultiOp::Create(r) | MultiOp::Create2(r) | MultiOp::CreateContainer(r),
            OpResult::Created { path, .. },
        ) if plain_create(r.flags) => MultiResult::Create { path: path.clone() },
        (MultiOp::CreateTtl(r), OpResult::Created { path, .. }) if plain_create(r.flags) => {
            MultiResult::Create { path: path.clone() }
        }
        (_, OpResult::Created { path, stat }) => MultiResult::Create2 {
            path: path.clone(),
            stat: *stat,
        },
        (_, OpResult::Deleted { .. }) => MultiResult::Delete,
        (_, OpResult::DataSet { stat, .. }) => MultiResult::SetData { stat: *stat },
        (_, OpResult::Checked { .. }) => MultiResult::Check,
        (_, OpResult::Error(err)) => MultiResult::Error { err: *err },
        _ => MultiResult::Error {
            err: ErrorCode::RuntimeInconsistency,
        },
    }
}
