//! [`Actor`]: the task that owns a session — its connection, its pending requests, its
//! credentials and its watches. Client handles talk to it only through [`Command`]s.
//!
//! ```text
//!            ┌──────────── establish ◀──────────── connection lost ──┐
//!            │  try hosts in turn, each within the connection        │
//!            │  timeout; commands received meanwhile are queued      │
//!            ▼                                                       │
//!  handshake ok ─▶ auth packets, setWatches(lastZxidSeen), queued ─▶ serve
//!                                                                    │
//!     expired (server says timeout 0, or nothing heard for the       │
//!     whole session timeout), auth failed, closed ───────────────────┴─▶ finish
//! ```
//!
//! Replies come back in request order, so the actor matches each one to the head of its
//! FIFO of pending xids; a mismatch is a protocol error and drops the connection (as Java's
//! "Xid out of order"). Pings (-2), auth (-4) and setWatches (-8) replies and notifications
//! (-1) are handled outside that FIFO.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{sleep, sleep_until, Instant};
use zk_proto::jute::{Jute, Reader};
use zk_proto::{
    AuthPacket, ConnectRequest, ConnectResponse, ErrorCode, KeeperState, OpCode, ReplyHeader,
    Request, Response, SessionId, WatcherEvent, WatcherType, Xid, Zxid,
};

use crate::builder::ClientBuilder;
use crate::command::{Command, Operation, WatchKind, WatchSpec};
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::state::{SessionEvent, SessionInfo, StateHub};
use crate::watch_registry::WatchRegistry;

/// Commands handled per wake-up before the actor polls the socket again: batches pipelined
/// requests into few writes without starving replies.
const COMMAND_BATCH: usize = 256;
/// First and largest pause after a round of failed connection attempts.
const BACKOFF_MIN: Duration = Duration::from_millis(50);
const BACKOFF_MAX: Duration = Duration::from_secs(1);

/// A request written to the connection and not yet answered.
#[derive(Debug)]
struct Pending {
    xid: Xid,
    op: OpCode,
    /// `None` for requests the actor sends itself (removeWatches for dropped watchers,
    /// closeSession).
    reply: Option<oneshot::Sender<Result<Response>>>,
    watch: Option<WatchSpec>,
    /// A user's removeWatches: the local watchers to remove when it succeeds.
    removes_local: Option<(String, WatcherType)>,
}

/// How a connection ended.
enum Outcome {
    /// Lost: reconnect within the session timeout.
    Lost(String),
    /// The session is over.
    End(End),
}

/// How the session ended, and what a caller still waiting in `connect()` gets.
struct End {
    event: SessionEvent,
    connect_error: Error,
}

impl End {
    fn of(event: SessionEvent) -> Self {
        let connect_error = event
            .state()
            .terminal_error()
            .expect("End is built from terminal events only");
        End {
            event,
            connect_error,
        }
    }
}

/// The session task.
pub(crate) struct Actor {
    builder: ClientBuilder,
    hosts: Vec<(String, u16)>,
    next_host: usize,
    hub: Arc<StateHub>,
    commands: mpsc::UnboundedReceiver<Command>,
    session: SessionInfo,
    last_zxid: Zxid,
    next_xid: i32,
    /// Every credential added so far, re-sent after each handshake.
    auths: Vec<(String, Bytes)>,
    /// Auth replies awaited on this connection, in send order; `None` for re-sent ones.
    auth_waiters: VecDeque<Option<oneshot::Sender<Result<()>>>>,
    pending: VecDeque<Pending>,
    /// Requests received while disconnected, sent after the next handshake in call order.
    queued: VecDeque<Command>,
    watches: WatchRegistry,
    connected_before: bool,
    /// When a server was last heard from: the base of local expiry.
    last_heard: Instant,
    /// Set once close began: give up waiting for the closeSession reply at this instant.
    close_deadline: Option<Instant>,
    close_waiters: Vec<oneshot::Sender<()>>,
}

impl Actor {
    pub(crate) fn new(
        builder: ClientBuilder,
        hosts: Vec<(String, u16)>,
        hub: Arc<StateHub>,
        commands: mpsc::UnboundedReceiver<Command>,
    ) -> Self {
        let mut session = SessionInfo {
            timeout: builder.session_timeout,
            ..SessionInfo::default()
        };
        if let Some((id, password)) = &builder.resume {
            session.id = *id;
            session.password = password.clone();
        }
        Actor {
            auths: builder.auths.clone(),
            builder,
            hosts,
            next_host: 0,
            hub,
            commands,
            session,
            last_zxid: Zxid::ZERO,
            next_xid: 1,
            auth_waiters: VecDeque::new(),
            pending: VecDeque::new(),
            queued: VecDeque::new(),
            watches: WatchRegistry::default(),
            connected_before: false,
            last_heard: Instant::now(),
            close_deadline: None,
            close_waiters: Vec::new(),
        }
    }

    /// Runs the session until it ends; `ready` learns how the first connection went.
    pub(crate) async fn run(mut self, ready: oneshot::Sender<Result<()>>) {
        let mut ready = Some(ready);
        let end = loop {
            let conn = match self.establish().await {
                Ok(conn) => conn,
                Err(end) => break end,
            };
            if let Some(ready) = ready.take() {
                let _ = ready.send(Ok(()));
            }
            match self.serve(conn).await {
                Outcome::Lost(reason) => self.on_connection_lost(&reason),
                Outcome::End(end) => break end,
            }
        };
        if let Some(ready) = ready.take() {
            let _ = ready.send(Err(end.connect_error.clone()));
        }
        self.finish(end.event);
    }

    // ---------------------------------------------------------------- connecting

    /// Tries hosts in turn until a handshake succeeds or the session ends.
    async fn establish(&mut self) -> Result<Connection, End> {
        let mut backoff = BACKOFF_MIN;
        loop {
            let mut last_failure = String::new();
            for _ in 0..self.hosts.len() {
                self.check_local_expiry()?;
                let (host, port) = self.hosts[self.next_host].clone();
                self.next_host = (self.next_host + 1) % self.hosts.len();
                let request = self.connect_request();
                let attempt = Connection::open(
                    &host,
                    port,
                    &request,
                    self.attempt_timeout(),
                    self.builder.max_frame_bytes,
                );
                match self.while_connecting(attempt).await? {
                    Ok((conn, response)) => {
                        if let Some(conn) = self.on_handshake(conn, response)? {
                            return Ok(conn);
                        }
                        last_failure = format!("{host}:{port}: handshake refused");
                    }
                    Err(failure) => {
                        tracing::debug!(%host, port, %failure, "connection attempt failed");
                        last_failure = format!("{host}:{port}: {failure}");
                    }
                }
            }
            if !self.connected_before && self.builder.fail_eagerly {
                return Err(End {
                    event: SessionEvent::Closed,
                    connect_error: Error::NoHostReachable(last_failure),
                });
            }
            let pause = match self.until_local_expiry() {
                Some(left) => backoff.min(left),
                None => backoff,
            };
            self.while_connecting(sleep(pause)).await?;
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
    }

    /// Awaits `fut` while serving commands: requests are queued for the next connection,
    /// dropped watchers are forgotten, close ends the session.
    async fn while_connecting<F: std::future::Future>(&mut self, fut: F) -> Result<F::Output, End> {
        tokio::pin!(fut);
        loop {
            tokio::select! {
                out = &mut fut => return Ok(out),
                cmd = self.commands.recv() => match cmd {
                    None => return Err(End::of(SessionEvent::Closed)),
                    Some(Command::Close(tx)) => {
                        self.close_waiters.push(tx);
                        return Err(End::of(SessionEvent::Closed));
                    }
                    // The connection that held its server registration is gone already.
                    Some(Command::DropWatcher(id)) => drop(self.watches.drop_watcher(id)),
                    Some(cmd) => self.queued.push_back(cmd),
                },
            }
        }
    }

    fn connect_request(&self) -> ConnectRequest {
        let resuming = self.session.id != SessionId(0);
        ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: self.last_zxid,
            timeout_ms: i32::try_from(self.builder.session_timeout.as_millis()).unwrap_or(i32::MAX),
            session_id: self.session.id,
            passwd: if resuming {
                self.session.password.clone()
            } else {
                Bytes::from_static(&[0; 16])
            },
            read_only: self.builder.read_only,
            old_client: false,
        }
    }

    /// One attempt's time limit: the configured connection timeout, or the session timeout
    /// divided among the hosts; never past local expiry.
    fn attempt_timeout(&self) -> Duration {
        let hosts = u32::try_from(self.hosts.len()).unwrap_or(u32::MAX).max(1);
        let timeout = self
            .builder
            .connection_timeout
            .unwrap_or(self.session.timeout / hosts)
            .max(Duration::from_millis(100));
        match self.until_local_expiry() {
            Some(left) => timeout.min(left.max(Duration::from_millis(10))),
            None => timeout,
        }
    }

    /// Time left before the session must be presumed expired: no server heard from for the
    /// whole negotiated timeout. `None` before the session exists.
    fn until_local_expiry(&self) -> Option<Duration> {
        self.connected_before.then(|| {
            self.session
                .timeout
                .saturating_sub(self.last_heard.elapsed())
        })
    }

    fn check_local_expiry(&self) -> Result<(), End> {
        if self.until_local_expiry() == Some(Duration::ZERO) {
            tracing::warn!(
                session = %self.session.id,
                "no server reachable for the whole session timeout; the session is expired"
            );
            return Err(End::of(SessionEvent::Expired));
        }
        Ok(())
    }

    /// Takes a handshake reply: `Ok(None)` to try the next host, `Err` if the session is over.
    fn on_handshake(
        &mut self,
        mut conn: Connection,
        response: ConnectResponse,
    ) -> Result<Option<Connection>, End> {
        let resuming = self.session.id != SessionId(0);
        if response.is_expired() {
            if resuming {
                tracing::warn!(session = %self.session.id, peer = %conn.peer, "session expired");
                return Err(End::of(SessionEvent::Expired));
            }
            return Ok(None);
        }
        if resuming && response.session_id != self.session.id {
            tracing::warn!(peer = %conn.peer, "server answered with another session id");
            return Ok(None);
        }
        self.session = SessionInfo {
            id: response.session_id,
            password: response.passwd.clone(),
            timeout: Duration::from_millis(u64::try_from(response.timeout_ms).unwrap_or(0)),
        };
        self.hub.set_session(self.session.clone());
        self.last_heard = Instant::now();
        tracing::info!(
            session = %self.session.id,
            peer = %conn.peer,
            timeout_ms = response.timeout_ms,
            read_only = response.read_only,
            "session established"
        );
        // Credentials first, so every later request on this connection runs with them.
        for (scheme, auth) in &self.auths {
            let packet = AuthPacket {
                auth_type: 0,
                scheme: scheme.clone(),
                auth: auth.clone(),
            };
            conn.push(Xid::AUTH, &Request::Auth(packet));
            self.auth_waiters.push_back(None);
        }
        // Then the watches, relative to the last zxid seen: the server fires at once what
        // changed while we were away.
        for request in self.watches.set_watches(self.last_zxid) {
            conn.push(Xid::SET_WATCHES, &request);
        }
        let event = match (response.read_only, self.connected_before) {
            (true, _) => SessionEvent::ConnectedReadOnly,
            (false, false) => SessionEvent::Connected,
            (false, true) => SessionEvent::Reconnected,
        };
        if self.connected_before {
            self.watches.connection_event(KeeperState::SyncConnected);
        }
        self.connected_before = true;
        self.hub.transition(event);
        while let Some(cmd) = self.queued.pop_front() {
            self.handle_command(cmd, &mut conn);
        }
        Ok(Some(conn))
    }

    // ---------------------------------------------------------------- connected

    /// Serves one connection until it is lost or the session ends.
    async fn serve(&mut self, mut conn: Connection) -> Outcome {
        let read_timeout = self.session.timeout * 2 / 3;
        let ping_interval = read_timeout / 2;
        let mut last_recv = Instant::now();
        let mut last_send = Instant::now();
        loop {
            let close_deadline = self.close_deadline.unwrap_or_else(far_future);
            tokio::select! {
                biased;
                read = conn.inbound.read() => match read {
                    Ok(0) => return self.lost("the server closed the connection"),
                    Ok(_) => {
                        last_recv = Instant::now();
                        self.last_heard = last_recv;
                        if let Some(outcome) = self.on_input(&mut conn) {
                            return outcome;
                        }
                    }
                    Err(e) => return self.lost(&e.to_string()),
                },
                flushed = conn.outbound.flush(), if conn.outbound.has_output() => match flushed {
                    Ok(()) => last_send = Instant::now(),
                    Err(e) => return self.lost(&e.to_string()),
                },
                cmd = self.commands.recv(), if self.close_deadline.is_none() => {
                    match cmd {
                        // Every client handle is gone: close the session politely.
                        None => self.begin_close(&mut conn),
                        Some(cmd) => self.handle_command(cmd, &mut conn),
                    }
                    for _ in 0..COMMAND_BATCH {
                        if self.close_deadline.is_some() {
                            break;
                        }
                        match self.commands.try_recv() {
                            Ok(cmd) => self.handle_command(cmd, &mut conn),
                            Err(_) => break,
                        }
                    }
                }
                () = sleep_until(last_send + ping_interval) => {
                    conn.push(Xid::PING, &Request::Ping);
                    last_send = Instant::now();
                }
                () = sleep_until(last_recv + read_timeout) => {
                    return self.lost("nothing received within the read timeout");
                }
                () = sleep_until(close_deadline) => return Outcome::End(End::of(SessionEvent::Closed)),
            }
        }
    }

    /// The connection broke: a loss, unless we were closing anyway.
    fn lost(&self, reason: &str) -> Outcome {
        if self.close_deadline.is_some() {
            return Outcome::End(End::of(SessionEvent::Closed));
        }
        Outcome::Lost(reason.to_owned())
    }

    fn next_xid(&mut self) -> Xid {
        let xid = self.next_xid;
        // Java's wrap-around: never 0 or negative, which are reserved.
        self.next_xid = if xid == i32::MAX { 1 } else { xid + 1 };
        Xid(xid)
    }

    /// Writes a client command to the connection.
    fn handle_command(&mut self, cmd: Command, conn: &mut Connection) {
        match cmd {
            Command::Request(op) => {
                let Operation {
                    request,
                    reply,
                    watch,
                } = *op;
                let removes_local = match &request {
                    Request::RemoveWatches(r) => r.watcher_type().map(|t| (r.path.clone(), t)),
                    _ => None,
                };
                let xid = self.next_xid();
                conn.push(xid, &request);
                self.pending.push_back(Pending {
                    xid,
                    op: request.op(),
                    reply: Some(reply),
                    watch,
                    removes_local,
                });
            }
            Command::Auth {
                scheme,
                auth,
                reply,
            } => {
                let packet = AuthPacket {
                    auth_type: 0,
                    scheme: scheme.clone(),
                    auth: auth.clone(),
                };
                conn.push(Xid::AUTH, &Request::Auth(packet));
                self.auths.push((scheme, auth));
                self.auth_waiters.push_back(Some(reply));
            }
            Command::DropWatcher(id) => {
                if let Some(request) = self.watches.drop_watcher(id) {
                    self.send_internal(conn, request);
                }
            }
            Command::Close(tx) => {
                self.close_waiters.push(tx);
                self.begin_close(conn);
            }
        }
    }

    /// Sends a request of the actor's own, whose reply nobody awaits.
    fn send_internal(&mut self, conn: &mut Connection, request: Request) {
        let xid = self.next_xid();
        conn.push(xid, &request);
        self.pending.push_back(Pending {
            xid,
            op: request.op(),
            reply: None,
            watch: None,
            removes_local: None,
        });
    }

    /// Sends closeSession; the session ends with its reply, the server closing the socket,
    /// or a read timeout, whichever comes first.
    fn begin_close(&mut self, conn: &mut Connection) {
        if self.close_deadline.is_none() {
            self.send_internal(conn, Request::CloseSession);
            self.close_deadline = Some(Instant::now() + self.session.timeout * 2 / 3);
        }
    }

    /// Handles every whole frame buffered.
    fn on_input(&mut self, conn: &mut Connection) -> Option<Outcome> {
        loop {
            match conn.inbound.next_frame() {
                Ok(Some(frame)) => {
                    if let Some(outcome) = self.on_frame(frame, conn) {
                        return Some(outcome);
                    }
                }
                Ok(None) => return None,
                Err(e) => return Some(self.lost(&format!("bad frame: {e}"))),
            }
        }
    }

    fn on_frame(&mut self, frame: Bytes, conn: &mut Connection) -> Option<Outcome> {
        let mut r = Reader::new(frame);
        let header = match ReplyHeader::read(&mut r, "ReplyHeader") {
            Ok(header) => header,
            Err(e) => return Some(self.lost(&format!("bad reply header: {e}"))),
        };
        match header.xid {
            Xid::NOTIFICATION => match WatcherEvent::read(&mut r, "WatcherEvent") {
                Ok(event) => {
                    for request in self.watches.dispatch(&event, header.zxid) {
                        self.send_internal(conn, request);
                    }
                    None
                }
                Err(e) => Some(self.lost(&format!("bad notification: {e}"))),
            },
            Xid::PING => None,
            Xid::AUTH => self.on_auth_reply(header.err),
            Xid::SET_WATCHES => {
                if !header.err.is_ok() {
                    tracing::warn!(err = %header.err, "setWatches failed");
                }
                None
            }
            xid => {
                let Some(pending) = self.pending.pop_front() else {
                    return Some(self.lost(&format!("reply {xid} to no request")));
                };
                if pending.xid != xid {
                    let expected = pending.xid;
                    self.pending.push_front(pending);
                    return Some(
                        self.lost(&format!("xid out of order: expected {expected}, got {xid}")),
                    );
                }
                if header.zxid > self.last_zxid {
                    self.last_zxid = header.zxid;
                }
                self.complete(pending, header.err, &mut r, conn)
            }
        }
    }

    fn on_auth_reply(&mut self, err: ErrorCode) -> Option<Outcome> {
        let waiter = self.auth_waiters.pop_front().flatten();
        let result = match err {
            ErrorCode::Ok => Ok(()),
            other => Err(Error::from(other)),
        };
        if let Some(waiter) = waiter {
            let _ = waiter.send(result);
        }
        // The server closes the connection after AUTHFAILED; the credentials would fail
        // again on every reconnection, so the session is unusable.
        (err == ErrorCode::AuthFailed).then(|| Outcome::End(End::of(SessionEvent::AuthFailed)))
    }

    /// Answers a pending request with its reply.
    fn complete(
        &mut self,
        pending: Pending,
        err: ErrorCode,
        body: &mut Reader,
        conn: &mut Connection,
    ) -> Option<Outcome> {
        if pending.op == OpCode::CloseSession {
            return Some(Outcome::End(End::of(SessionEvent::Closed)));
        }
        let result = match err {
            ErrorCode::Ok => Response::decode(pending.op, body).map_err(Error::from),
            // Not a failure for exists: the answer is "no such node" (and a watch is set).
            ErrorCode::NoNode if pending.op == OpCode::Exists => Ok(Response::Empty),
            other => Err(Error::from(other)),
        };
        if let (Ok(_), Some((path, watcher_type))) = (&result, &pending.removes_local) {
            self.watches.remove_local(path, *watcher_type);
        }
        let mut registered = None;
        if let (Ok(response), Some(spec)) = (&result, pending.watch) {
            let kind = match (pending.op, response, spec.kind) {
                (OpCode::Exists, Response::Empty, WatchKind::Data) => WatchKind::Exist,
                (_, _, kind) => kind,
            };
            registered = Some(spec.id);
            self.watches.add(spec, kind);
        }
        match pending.reply {
            Some(reply) => {
                if reply.send(result).is_err() {
                    // The caller gave up: nobody will ever hold this watcher.
                    if let Some(request) = registered.and_then(|id| self.watches.drop_watcher(id)) {
                        self.send_internal(conn, request);
                    }
                }
            }
            None => {
                if let Err(e) = result {
                    tracing::debug!(op = ?pending.op, %e, "internal request failed");
                }
            }
        }
        None
    }

    /// Fails what was in flight and tells everyone the connection is gone.
    fn on_connection_lost(&mut self, reason: &str) {
        tracing::warn!(session = %self.session.id, reason, "connection lost; reconnecting");
        for pending in self.pending.drain(..) {
            if let Some(reply) = pending.reply {
                let _ = reply.send(Err(Error::ConnectionLoss));
            }
        }
        for waiter in self.auth_waiters.drain(..).flatten() {
            let _ = waiter.send(Err(Error::ConnectionLoss));
        }
        self.hub.transition(SessionEvent::Disconnected);
        self.watches.connection_event(KeeperState::Disconnected);
    }

    /// Ends the session: every waiter, watcher and queued command learns how.
    fn finish(mut self, event: SessionEvent) {
        self.hub.transition(event);
        let keeper_state = match event {
            SessionEvent::Expired => KeeperState::Expired,
            SessionEvent::AuthFailed => KeeperState::AuthFailed,
            _ => KeeperState::Closed,
        };
        self.watches.end_session(keeper_state);
        let err = event.state().terminal_error().unwrap_or(Error::Closed);
        for pending in self.pending.drain(..) {
            if let Some(reply) = pending.reply {
                let _ = reply.send(Err(err.clone()));
            }
        }
        for waiter in self.auth_waiters.drain(..).flatten() {
            let _ = waiter.send(Err(err.clone()));
        }
        // No more commands: the channel's closing makes every later call fail at once.
        self.commands.close();
        let queued: Vec<Command> = self.queued.drain(..).collect();
        let mut rest = Vec::new();
        while let Ok(cmd) = self.commands.try_recv() {
            rest.push(cmd);
        }
        for cmd in queued.into_iter().chain(rest) {
            match cmd {
                Command::Request(op) => {
                    let _ = op.reply.send(Err(err.clone()));
                }
                Command::Auth { reply, .. } => {
                    let _ = reply.send(Err(err.clone()));
                }
                Command::DropWatcher(_) => {}
                Command::Close(tx) => self.close_waiters.push(tx),
            }
        }
        for tx in self.close_waiters.drain(..) {
            let _ = tx.send(());
        }
        tracing::info!(session = %self.session.id, ?event, "session ended");
    }
}

/// An instant that never comes, for a disabled `select!` timer.
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365)
}
