//! Requests answered from the local tree without a transaction (`FinalRequestProcessor`'s read
//! side): exists, getData, getChildren(2), getACL, getEphemerals, getAllChildrenNumber, whoAmI,
//! multiRead, sync, ping, and the watch-management requests.

use zk_proto::frame::write_frame;
use zk_proto::jute::{write_buffer, Jute};
use zk_proto::multi::{MultiOp, MultiResponse, MultiResult};
use zk_proto::records::{
    ClientInfo, ErrorResponse, ExistsResponse, GetAclResponse, GetAllChildrenNumberResponse,
    GetChildren2Response, GetChildrenResponse, GetEphemeralsResponse, SyncResponse, WhoAmIResponse,
};
use zk_proto::watch::AddWatchMode;
use zk_proto::{
    ErrorCode, Perms, ReplyHeader, Request, RequestHeader, Response, SessionId, Stat, Xid, Zxid,
};
use zk_tree::watch_manager::{NodeZxids, Notification, SetWatchesLists, WatchKind};

use super::connection::ConnId;
use super::ServerCore;

/// The outcome of a read: a result code and a body (ignored unless the code is OK).
type ReadResult = Result<Response, ErrorCode>;

impl ServerCore {
    /// Answers a read-side request of `session`, received at `received_ms`.
    pub(super) fn serve_read(
        &mut self,
        session: SessionId,
        header: RequestHeader,
        req: Request,
        received_ms: i64,
        now_ms: i64,
    ) {
        let Some(conn) = self.queues.get(&session).and_then(|q| q.conn) else {
            return; // the session has no connection here any more
        };
        let xid = match req {
            Request::Ping => Xid::PING,
            Request::SetWatches(_) | Request::SetWatches2(_) => Xid::SET_WATCHES,
            _ => header.xid,
        };
        let zxid = self.tree.last_processed_zxid();
        let result = match &req {
            Request::GetData(r) => match self.send_data(conn, xid, zxid, &r.path, r.watch) {
                Ok(()) => {
                    self.on_answered(conn, xid, zxid, received_ms, now_ms);
                    return;
                }
                Err(code) => Err(code),
            },
            _ => self.read(conn, session, &req),
        };
        match result {
            Ok(body) => self.send_reply(conn, xid, zxid, ErrorCode::Ok, &body),
            Err(code) => self.send_reply(conn, xid, zxid, code, &Response::Empty),
        }
        self.on_answered(conn, xid, zxid, received_ms, now_ms);
    }

    /// The reply to a read other than getData, which [`ServerCore::serve_read`] answers with
    /// `send_data`, straight from the node's record.
    fn read(&mut self, conn: ConnId, session: SessionId, req: &Request) -> ReadResult {
        match req {
            Request::Ping => Ok(Response::Empty),
            Request::Exists(r) => self.exists(conn, &r.path, r.watch),
            Request::GetData(_) => unreachable!("serve_read answers getData with send_data"),
            Request::GetChildren(r) => {
                let (children, _) = self.get_children(conn, &r.path)?;
                if r.watch {
                    self.watches
                        .add_watch(&r.path, Self::watcher(conn), WatchKind::Child);
                }
                Ok(Response::GetChildren(GetChildrenResponse { children }))
            }
            Request::GetChildren2(r) => {
                let (children, stat) = self.get_children(conn, &r.path)?;
                if r.watch {
                    self.watches
                        .add_watch(&r.path, Self::watcher(conn), WatchKind::Child);
                }
                Ok(Response::GetChildren2(GetChildren2Response {
                    children,
                    stat,
                }))
            }
            Request::GetAcl(r) => {
                let node = self.tree.node(&r.path).ok_or(ErrorCode::NoNode)?;
                let auth = &self.connection(conn)?.auth;
                let acl = self.acl.acl_for_get_acl(self.tree.acl_of(node), auth)?;
                let stat = self.tree.stat_of(node);
                Ok(Response::GetAcl(GetAclResponse { acl, stat }))
            }
            Request::GetEphemerals(r) => {
                let prefix = r.prefix_path.trim();
                let all = prefix.is_empty() || prefix == "/";
                let ephemerals = self
                    .tree
                    .ephemerals(session)
                    .into_iter()
                    .filter(|p| all || p.starts_with(&r.prefix_path))
                    .collect();
                Ok(Response::GetEphemerals(GetEphemeralsResponse {
                    ephemerals,
                }))
            }
            Request::GetAllChildrenNumber(r) => {
                let node = self.tree.node(&r.path).ok_or(ErrorCode::NoNode)?;
                self.require(conn, self.tree.acl_of(node).clone().as_ref(), Perms::READ)?;
                let total = self.tree.all_children_number(&r.path).unwrap_or(0);
                Ok(Response::GetAllChildrenNumber(
                    GetAllChildrenNumberResponse {
                        total_number: i32::try_from(total).unwrap_or(i32::MAX),
                    },
                ))
            }
            Request::WhoAmI => {
                let connection = self.connection(conn)?;
                let client_info = connection
                    .auth
                    .client_infos(self.acl.providers())
                    .into_iter()
                    .map(|(auth_scheme, user)| ClientInfo { auth_scheme, user })
                    .collect();
                Ok(Response::WhoAmI(WhoAmIResponse { client_info }))
            }
            Request::Sync(r) => Ok(Response::Sync(SyncResponse {
                path: r.path.clone(),
            })),
            Request::MultiRead(multi) => Ok(Response::Multi(self.multi_read(conn, &multi.ops))),
            Request::AddWatch(r) => {
                let kind = match AddWatchMode::from_code(r.mode) {
                    Some(AddWatchMode::Persistent) => WatchKind::Persistent,
                    Some(AddWatchMode::PersistentRecursive) => WatchKind::PersistentRecursive,
                    None => return Err(ErrorCode::MarshallingError),
                };
                self.watches.add_watch(&r.path, Self::watcher(conn), kind);
                Ok(Response::AddWatch(ErrorResponse { err: ErrorCode::Ok }))
            }
            Request::CheckWatches(r) => {
                let kind = r.watcher_type().ok_or(ErrorCode::MarshallingError)?;
                self.watches
                    .check_watches(&r.path, Self::watcher(conn), kind)
                    .map(|()| Response::Empty)
            }
            Request::RemoveWatches(r) => {
                let kind = r.watcher_type().ok_or(ErrorCode::MarshallingError)?;
                self.watches
                    .remove_watches(&r.path, Self::watcher(conn), kind)
                    .map(|()| Response::Empty)
            }
            Request::SetWatches(w) => {
                let lists = SetWatchesLists {
                    relative_zxid: w.relative_zxid,
                    data_watches: &w.data_watches,
                    exist_watches: &w.exist_watches,
                    child_watches: &w.child_watches,
                    ..SetWatchesLists::default()
                };
                self.set_watches(conn, lists);
                Ok(Response::Empty)
            }
            Request::SetWatches2(w) => {
                let lists = SetWatchesLists {
                    relative_zxid: w.relative_zxid,
                    data_watches: &w.data_watches,
                    exist_watches: &w.exist_watches,
                    child_watches: &w.child_watches,
                    persistent_watches: &w.persistent_watches,
                    persistent_recursive_watches: &w.persistent_recursive_watches,
                };
                self.set_watches(conn, lists);
                Ok(Response::Empty)
            }
            // SASL is not offered; a client that tries it is told authentication failed.
            Request::Sasl(_) => Err(ErrorCode::AuthFailed),
            // Writes, auth and closeSession never reach here.
            _ => Err(ErrorCode::Unimplemented),
        }
    }

    /// exists: NUL in the path is BADARGUMENTS; an existing node needs READ (as 3.8.4+ and
    /// 3.9.2+ require); the watch is set whether or not the node exists.
    fn exists(&mut self, conn: ConnId, path: &str, watch: bool) -> ReadResult {
        if path.contains('\0') {
            return Err(ErrorCode::BadArguments);
        }
        let found = match self.tree.node(path) {
            Some(node) => {
                let acl = self.tree.acl_of(node).clone();
                self.require(conn, &acl, Perms::READ)?;
                Some(self.tree.stat_of(node))
            }
            None => None,
        };
        if watch {
            self.watches
                .add_watch(path, Self::watcher(conn), WatchKind::Data);
        }
        match found {
            Some(stat) => Ok(Response::Exists(ExistsResponse { stat })),
            None => Err(ErrorCode::NoNode),
        }
    }

    /// getData, answered by writing the reply straight from the node's record (no copy of
    /// the data but the reply frame itself).
    fn send_data(
        &mut self,
        conn: ConnId,
        xid: Xid,
        zxid: Zxid,
        path: &str,
        watch: bool,
    ) -> Result<(), ErrorCode> {
        let node = self.tree.node(path).ok_or(ErrorCode::NoNode)?;
        self.require(conn, self.tree.acl_of(node), Perms::READ)?;
        if watch {
            self.watches
                .add_watch(path, Self::watcher(conn), WatchKind::Data);
        }
        let (stat, data) = self.tree.stat_and_data_of(node);
        let header = ReplyHeader {
            xid,
            zxid,
            err: ErrorCode::Ok,
        };
        let frame = super::encode_in(&mut self.scratch, |out| {
            write_frame(out, |b| {
                header.write(b);
                write_buffer(b, data);
                stat.write(b);
            });
        });
        self.send(conn, frame);
        Ok(())
    }

    /// getData inside multiRead (the data copied into the result).
    fn get_data(
        &self,
        conn: ConnId,
        path: &str,
    ) -> Result<(Option<bytes::Bytes>, Stat), ErrorCode> {
        let node = self.tree.node(path).ok_or(ErrorCode::NoNode)?;
        self.require(conn, self.tree.acl_of(node), Perms::READ)?;
        let data = node.data().map(bytes::Bytes::copy_from_slice);
        Ok((data, self.tree.stat_of(node)))
    }

    fn get_children(&self, conn: ConnId, path: &str) -> Result<(Vec<String>, Stat), ErrorCode> {
        let node = self.tree.node(path).ok_or(ErrorCode::NoNode)?;
        self.require(conn, self.tree.acl_of(node), Perms::READ)?;
        let children = self.tree.children_of(node).map(str::to_owned).collect();
        Ok((children, self.tree.stat_of(node)))
    }

    /// multiRead: each op on its own, READ-checked, no watches; failures are inline results.
    fn multi_read(&self, conn: ConnId, ops: &[MultiOp]) -> MultiResponse {
        let results = ops
            .iter()
            .map(|op| {
                let result = match op {
                    MultiOp::GetData(r) => self
                        .get_data(conn, &r.path)
                        .map(|(data, stat)| MultiResult::GetData { data, stat }),
                    MultiOp::GetChildren(r) => self
                        .get_children(conn, &r.path)
                        .map(|(children, _)| MultiResult::GetChildren { children }),
                    _ => Err(ErrorCode::MarshallingError),
                };
                result.unwrap_or_else(|err| MultiResult::Error { err })
            })
            .collect();
        MultiResponse { results }
    }

    fn set_watches(&mut self, conn: ConnId, lists: SetWatchesLists<'_>) {
        let tree = &self.tree;
        let mut lookup = |path: &str| {
            tree.stat(path).map(|s| NodeZxids {
                mzxid: s.mzxid,
                pzxid: s.pzxid,
            })
        };
        let notifications = self
            .watches
            .set_watches(Self::watcher(conn), lists, &mut lookup);
        self.send_notifications(notifications);
    }

    /// Sends watch notifications. Like ZooKeeper 3.8, the header zxid is -1.
    pub(super) fn send_notifications(&mut self, notifications: Vec<Notification>) {
        for n in notifications {
            let conn = ConnId(n.watcher.0);
            let frame = self.encode(|out| n.event.write_frame(Zxid::NONE, out));
            self.send(conn, frame);
        }
    }

    /// Fails with NOAUTH unless `conn` has `perm` on `acl`.
    fn require(&self, conn: ConnId, acl: &[zk_proto::Acl], perm: Perms) -> Result<(), ErrorCode> {
        let auth = &self.connection(conn)?.auth;
        self.acl.require(acl, auth, perm)
    }

    fn connection(&self, conn: ConnId) -> Result<&super::connection::Connection, ErrorCode> {
        // A request is only served while its connection exists.
        self.connections.get(&conn).ok_or(ErrorCode::ConnectionLoss)
    }

    /// Bookkeeping after a reply: per-connection and server latency.
    pub(super) fn on_answered(
        &mut self,
        conn: ConnId,
        xid: Xid,
        zxid: Zxid,
        received_ms: i64,
        now_ms: i64,
    ) {
        if let Some(connection) = self.connections.get_mut(&conn) {
            connection.on_replied(xid, zxid, received_ms, now_ms);
        }
        self.stats.latency.record(now_ms - received_ms);
    }
}
