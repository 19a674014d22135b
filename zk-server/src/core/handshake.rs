//! The connect handshake (`ZooKeeperServer.processConnectRequest`), auth packets and session
//! close.

use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use zk_proto::records::AuthPacket;
use zk_proto::{ConnectRequest, ConnectResponse, ErrorCode, SessionId, Xid};
use zk_tree::watch_manager::WatcherId;

use super::connection::{ConnId, Connection};
use super::{Origin, ServerCore};
use crate::session_tracker::session_password;

impl ServerCore {
    pub(super) fn handle_connect(
        &mut self,
        conn: ConnId,
        addr: SocketAddr,
        req: ConnectRequest,
        now_ms: i64,
    ) {
        self.stats.packets_received += 1;
        let mut connection = Connection::new(addr, req.old_client, now_ms);
        // Single system image: never serve a client a state older than one it has seen.
        if req.last_zxid_seen > self.tree.last_processed_zxid() {
            tracing::info!(
                %addr,
                client_zxid = %req.last_zxid_seen,
                our_zxid = %self.tree.last_processed_zxid(),
                "refusing a client that has seen a newer zxid than this server"
            );
            self.actions.push(super::Action::Close { conn });
            return;
        }
        let timeout_ms = req.timeout_ms.clamp(
            self.settings.min_session_timeout_ms,
            self.settings.max_session_timeout_ms,
        );
        connection.timeout_ms = timeout_ms;
        self.connections.insert(conn, connection);

        if req.session_id.0 == 0 && self.replication == super::Replication::Learner {
            // The learner picks the id (its server id is in the top byte) and the leader
            // logs the createSession.
            let session = self.tracker.next_session_id();
            self.connects.insert(session, (conn, timeout_ms));
            self.actions
                .push(super::Action::Forward(super::Forward::CreateSession {
                    session,
                    timeout_ms,
                }));
            return;
        }
        if req.session_id.0 == 0 {
            let session = self.tracker.next_session_id();
            self.propose_create_session(
                session,
                timeout_ms,
                Origin::Connect { conn, timeout_ms },
                now_ms,
            );
            return;
        }

        let session = req.session_id;
        let password_ok = req.passwd[..] == session_password(session)[..];
        if !password_ok || !self.tracker.is_live(session) {
            tracing::info!(%session, %addr, password_ok, "refusing to resume a session");
            self.send_connect_response(conn, None);
            self.close(conn);
            return;
        }
        // The session moves here: drop the connection that carried it before.
        let previous = self.queues.get(&session).and_then(|q| q.conn);
        if let Some(previous) = previous.filter(|p| *p != conn) {
            tracing::info!(%session, "session moved to a new connection; closing the old one");
            self.close(previous);
        }
        self.tracker.touch(session, now_ms);
        if self.replication == super::Replication::Learner {
            self.touched.insert(session);
        }
        self.establish(conn, session, timeout_ms, now_ms);
    }

    /// Binds `session` to `conn` and sends the ConnectResponse.
    pub(super) fn establish(
        &mut self,
        conn: ConnId,
        session: SessionId,
        timeout_ms: i32,
        now_ms: i64,
    ) {
        let Some(connection) = self.connections.get_mut(&conn) else {
            return; // the client went away before its session was created
        };
        connection.session = Some(session);
        connection.timeout_ms = timeout_ms;
        let backlog = std::mem::take(&mut connection.backlog);
        let queue = self.queues.entry(session).or_default();
        queue.conn = Some(conn);
        self.send_connect_response(conn, Some((session, timeout_ms)));
        for (header, request) in backlog {
            self.on_request(conn, header, request, now_ms);
        }
    }

    /// Sends the ConnectResponse: `Some((session, timeout))` accepts, `None` tells the client
    /// its session is expired or invalid (timeout 0).
    fn send_connect_response(&mut self, conn: ConnId, accepted: Option<(SessionId, i32)>) {
        let Some(connection) = self.connections.get(&conn) else {
            return;
        };
        let (session_id, timeout_ms, passwd) = match accepted {
            Some((id, timeout)) => (id, timeout, Bytes::copy_from_slice(&session_password(id))),
            None => (SessionId(0), 0, Bytes::from_static(&[0; 16])),
        };
        let response = ConnectResponse {
            protocol_version: 0,
            timeout_ms,
            session_id,
            passwd,
            read_only: false,
            old_client: connection.old_client,
        };
        let mut frame = BytesMut::new();
        response.write_frame(&mut frame);
        self.send(conn, frame.freeze());
    }

    /// An `auth` packet: answered at once (xid -4); failure closes the connection.
    pub(super) fn handle_auth(&mut self, conn: ConnId, auth: &AuthPacket) {
        let Some(connection) = self.connections.get_mut(&conn) else {
            return;
        };
        let result =
            self.acl
                .providers()
                .authenticate(&mut connection.auth, &auth.scheme, &auth.auth);
        match result {
            Ok(()) => {
                let zxid = zk_proto::Zxid(0);
                self.send_reply(
                    conn,
                    Xid::AUTH,
                    zxid,
                    ErrorCode::Ok,
                    &zk_proto::Response::Empty,
                );
            }
            Err(code) => {
                tracing::info!(conn = conn.0, scheme = %auth.scheme, "authentication failed");
                let zxid = zk_proto::Zxid(0);
                self.send_reply(conn, Xid::AUTH, zxid, code, &zk_proto::Response::Empty);
                self.close(conn);
            }
        }
    }

    /// Proposes closing an expired `session` (the server is the requester: nobody waits for a
    /// reply). A client's own closeSession goes through the ordinary write path.
    pub(super) fn propose_expiry(&mut self, session: SessionId, now_ms: i64) {
        let auth = zk_tree::auth::AuthInfo::default();
        let info = zk_tree::prep::SessionInfo::global(session, &auth);
        let slot = self.next_slot(Xid(0), now_ms);
        let prepared = self.prep.prepare(
            &mut self.changes,
            &self.tree,
            &info,
            slot,
            &zk_proto::Request::CloseSession,
        );
        match prepared.outcome {
            zk_tree::prep::PrepOutcome::Txn(entry) => self.propose(entry, Origin::Server),
            zk_tree::prep::PrepOutcome::NoTxn(result) => {
                tracing::warn!(%session, ?result, "expired session produced no closeSession txn");
                self.on_session_closed(session);
            }
        }
    }

    /// Called when a closeSession commits: forget the session and close its connection after
    /// the reply.
    pub(super) fn on_session_closed(&mut self, session: SessionId) {
        self.tracker.remove_session(session);
        if let Some(queue) = self.queues.remove(&session) {
            if let Some(conn) = queue.conn {
                self.close(conn);
            }
        }
    }

    /// The watcher id of a connection.
    pub(super) fn watcher(conn: ConnId) -> WatcherId {
        WatcherId(conn.0)
    }
}
