//! [`Connection`]: what the core knows about one client connection.

use std::net::SocketAddr;

use zk_proto::{OpCode, SessionId, Xid, Zxid};
use zk_tree::auth::AuthInfo;

/// A connection's id, chosen by the shell; also its watcher id in the watch tables (a session
/// has at most one connection on a server at a time, so watches belong to connections, as in
/// Apache).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// One client connection.
#[derive(Debug, Clone)]
pub(crate) struct Connection {
    pub(crate) addr: SocketAddr,
    /// The session, once the handshake completed.
    pub(crate) session: Option<SessionId>,
    /// Authenticated ids: always `ip:<addr>`, plus what `auth` packets added.
    pub(crate) auth: AuthInfo,
    /// The client sent the 44-byte handshake (no readOnly byte).
    pub(crate) old_client: bool,
    pub(crate) timeout_ms: i32,
    pub(crate) established_ms: i64,
    pub(crate) received: u64,
    pub(crate) sent: u64,
    pub(crate) last_op: Option<OpCode>,
    pub(crate) last_cxid: Xid,
    pub(crate) last_zxid: Zxid,
    pub(crate) last_response_ms: i64,
    pub(crate) last_latency_ms: i64,
    pub(crate) latency: Latency,
    /// Requests received before the session was established, replayed once it is.
    pub(crate) backlog: Vec<(zk_proto::RequestHeader, zk_proto::Request)>,
}

/// Min/avg/max request latency in ms, as `srvr` and `cons` print it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Latency {
    /// Smallest latency seen (0 before any request).
    pub min_ms: i64,
    /// Largest latency seen.
    pub max_ms: i64,
    /// Sum of all latencies.
    pub total_ms: i64,
    /// Requests counted.
    pub count: u64,
}

impl Latency {
    /// Counts one request that took `ms`.
    pub fn record(&mut self, ms: i64) {
        let ms = ms.max(0);
        if self.count == 0 || ms < self.min_ms {
            self.min_ms = ms;
        }
        self.max_ms = self.max_ms.max(ms);
        self.total_ms += ms;
        self.count += 1;
    }

    /// The average, as the double Apache prints.
    pub fn avg_ms(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.total_ms as f64 / self.count as f64
        }
    }
}

/// A read-only view of a connection, for `cons`, `stat` and `dump`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionInfo {
    /// The client's address.
    pub addr: SocketAddr,
    /// Its session, once established.
    pub session: Option<SessionId>,
    /// Negotiated session timeout.
    pub timeout_ms: i32,
    /// When the connection was established (ms).
    pub established_ms: i64,
    /// Packets received.
    pub received: u64,
    /// Packets sent.
    pub sent: u64,
    /// Last operation.
    pub last_op: Option<OpCode>,
    /// Last client xid.
    pub last_cxid: Xid,
    /// Last zxid answered.
    pub last_zxid: Zxid,
    /// When the last response went out (ms).
    pub last_response_ms: i64,
    /// The last request's latency.
    pub last_latency_ms: i64,
    /// Latency statistics.
    pub latency: Latency,
}

impl Connection {
    pub(crate) fn new(addr: SocketAddr, old_client: bool, now_ms: i64) -> Self {
        Connection {
            addr,
            session: None,
            auth: AuthInfo::for_address(addr.ip()),
            old_client,
            timeout_ms: 0,
            established_ms: now_ms,
            received: 1,
            sent: 0,
            last_op: None,
            last_cxid: Xid(0),
            last_zxid: Zxid(0),
            last_response_ms: now_ms,
            last_latency_ms: 0,
            latency: Latency::default(),
            backlog: Vec::new(),
        }
    }

    pub(crate) fn reset_stats(&mut self) {
        self.received = 0;
        self.sent = 0;
        self.latency = Latency::default();
    }

    pub(crate) fn on_received(&mut self, op: OpCode, _now_ms: i64) {
        self.received += 1;
        self.last_op = Some(op);
    }

    pub(crate) fn on_sent(&mut self, _bytes: usize) {
        self.sent += 1;
    }

    /// Records a reply to `xid` with `zxid`, for a request received at `received_ms`.
    pub(crate) fn on_replied(&mut self, xid: Xid, zxid: Zxid, received_ms: i64, now_ms: i64) {
        if xid.0 > 0 {
            self.last_cxid = xid;
        }
        self.last_zxid = zxid;
        self.last_response_ms = now_ms;
        self.last_latency_ms = now_ms - received_ms;
        self.latency.record(now_ms - received_ms);
    }

    pub(crate) fn info(&self) -> ConnectionInfo {
        ConnectionInfo {
            addr: self.addr,
            session: self.session,
            timeout_ms: self.timeout_ms,
            established_ms: self.established_ms,
            received: self.received,
            sent: self.sent,
            last_op: self.last_op,
            last_cxid: self.last_cxid,
            last_zxid: self.last_zxid,
            last_response_ms: self.last_response_ms,
            last_latency_ms: self.last_latency_ms,
            latency: self.latency,
        }
    }
}
