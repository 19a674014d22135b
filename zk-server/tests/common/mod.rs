//! Test support for the server's integration tests: a server on 127.0.0.1 port 0 with a
//! temporary data directory — in-process ([`TestServer`]) or as the real binary
//! ([`ServerProcess`], for restart and kill tests) — and [`RawClient`], a tiny blocking client
//! built on `zk-proto` that sends request frames with xids and reads replies and notifications
//! one by one, for precise assertions about what goes over the wire.
//!
//! Every test binary that says `mod common;` uses only part of this module.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use zk_proto::frame::FrameDecoder;
use zk_proto::{
    Acl, AuthPacket, ConnectRequest, ConnectResponse, CreateMode, CreateRequest, ErrorCode,
    GetDataRequest, OpCode, ReplyHeader, Request, Response, SessionId, Stat, WatcherEvent, Xid,
    Zxid,
};
use zk_server::config::{FourLetterWhitelist, HostPort, ServerConfig};

/// How long a test waits for something that should happen promptly.
pub const WAIT: Duration = Duration::from_secs(10);

/// The session timeout [`RawClient::connect`] asks for: long, so that a loaded test machine
/// never expires a session a test did not mean to expire.
pub const LONG_SESSION_MS: i32 = 60_000;

/// The configuration tests start from: tickTime 50 ms (fast expiry), sessions of 100 ms to
/// 60 s, every four-letter word allowed, data in `dir`.
pub fn test_config(dir: &Path) -> ServerConfig {
    ServerConfig {
        tick_time_ms: 50,
        min_session_timeout_ms: 100,
        max_session_timeout_ms: 120_000,
        data_dir: dir.to_owned(),
        data_log_dir: dir.to_owned(),
        client_address: Some(HostPort::new("127.0.0.1", 0)),
        four_letter_words: FourLetterWhitelist::parse("*").0,
        // Small preallocation: tests create many logs.
        pre_alloc_size_kb: 64,
        ..ServerConfig::default()
    }
}

/// A server running in this process, on its own tokio runtime and thread.
pub struct TestServer {
    /// Where clients connect.
    pub addr: SocketAddr,
    /// The configuration it runs with (its port is the bound one).
    pub config: ServerConfig,
    dir: Option<tempfile::TempDir>,
    running: Option<Running>,
}

struct Running {
    shutdown: tokio::sync::oneshot::Sender<()>,
    thread: JoinHandle<zk_server::Result<()>>,
}

impl TestServer {
    /// Starts a server with [`test_config`].
    pub fn start() -> Self {
        Self::start_with(|_| {})
    }

    /// Starts a server with [`test_config`] changed by `adjust`.
    pub fn start_with(adjust: impl FnOnce(&mut ServerConfig)) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = test_config(dir.path());
        adjust(&mut config);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        config.client_address = Some(HostPort::new("127.0.0.1", addr.port()));
        let mut server = TestServer {
            addr,
            config,
            dir: Some(dir),
            running: None,
        };
        server.run_on(listener);
        server
    }

    fn run_on(&mut self, listener: TcpListener) {
        listener.set_nonblocking(true).expect("nonblocking");
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let config = self.config.clone();
        let thread = std::thread::Builder::new()
            .name("test-server".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                    zk_server::server::run(config, listener, async {
                        let _ = stop.await;
                    })
                    .await
                })
            })
            .expect("spawn");
        self.running = Some(Running { shutdown, thread });
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.config.data_dir
    }

    /// Stops the server gracefully and waits for it; panics if it had failed.
    pub fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            let _ = running.shutdown.send(());
            running
                .thread
                .join()
                .expect("server thread panicked")
                .expect("server failed");
        }
    }

    /// Stops the server and starts it again on the same port and data directory.
    pub fn restart(&mut self) {
        self.stop();
        let listener = TcpListener::bind(self.addr).expect("rebind the same port");
        self.run_on(listener);
    }

    /// A new session on this server.
    pub fn client(&self) -> RawClient {
        RawClient::connect(self.addr)
    }

    /// The answer to a four-letter word.
    pub fn four_letter(&self, word: &str) -> String {
        four_letter(self.addr, word)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            let _ = running.shutdown.send(());
            let _ = running.thread.join();
        }
        // Keep the directory of a failed test for inspection.
        if std::thread::panicking() {
            if let Some(dir) = self.dir.take() {
                eprintln!("server data kept in {}", dir.keep().display());
            }
        }
    }
}

/// The `zk-server` binary, started with a generated `zoo.cfg`.
pub struct ServerProcess {
    /// Where clients connect.
    pub addr: SocketAddr,
    /// The directory holding `zoo.cfg`, `data/` and `server.log`.
    pub dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    child: Option<Child>,
}

impl ServerProcess {
    /// Writes `zoo.cfg` (tickTime 50, a free port, every four-letter word, plus `extra`
    /// lines) in a new temporary directory and starts the binary on it.
    pub fn start(extra: &str) -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().to_owned();
        let port = free_port();
        let cfg = format!(
            "tickTime=50\nminSessionTimeout=100\nmaxSessionTimeout=120000\n\
             dataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
             4lw.commands.whitelist=*\nadmin.enableServer=false\npreAllocSize=64\n{extra}\n",
            dir.join("data").display()
        );
        std::fs::write(dir.join("zoo.cfg"), cfg).expect("write zoo.cfg");
        let mut server = ServerProcess {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            dir,
            _tmp: Some(tmp),
            child: None,
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("server.log"))
            .expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_zk-server"))
            .arg(self.dir.join("zoo.cfg"))
            .env_remove("SERVER_JVMFLAGS")
            .env_remove("JVMFLAGS")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start zk-server");
        self.child = Some(child);
        let deadline = Instant::now() + WAIT;
        while four_letter_opt(self.addr, "ruok").as_deref() != Some("imok") {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("zk-server exited with {status}:\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "zk-server did not start:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// The data directory's `version-2`.
    pub fn version_2(&self) -> PathBuf {
        self.dir.join("data").join("version-2")
    }

    /// Kills the server with SIGKILL: no shutdown code runs.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub fn terminate(&mut self) {
        if let Some(mut child) = self.child.take() {
            let status = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status()
                .expect("kill -TERM");
            assert!(status.success());
            let deadline = Instant::now() + WAIT;
            loop {
                if let Some(status) = child.try_wait().expect("wait") {
                    assert!(status.success(), "zk-server exited with {status}");
                    return;
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    panic!("zk-server ignored SIGTERM:\n{}", self.log());
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// Starts the binary again on the same `zoo.cfg` (after [`kill`](Self::kill) or
    /// [`terminate`](Self::terminate)).
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "stop the server first");
        self.spawn();
    }

    /// A new session.
    pub fn client(&self) -> RawClient {
        RawClient::connect(self.addr)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            eprintln!("--- zk-server log ---\n{}", self.log());
            if let Some(tmp) = self._tmp.take() {
                eprintln!("server directory kept in {}", tmp.keep().display());
            }
        }
    }
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Sends a four-letter word and returns the whole answer.
pub fn four_letter(addr: SocketAddr, word: &str) -> String {
    four_letter_opt(addr, word).unwrap_or_else(|| panic!("no answer to {word}"))
}

/// Like [`four_letter`], but `None` if the server does not answer.
pub fn four_letter_opt(addr: SocketAddr, word: &str) -> Option<String> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(WAIT)).ok()?;
    stream.write_all(word.as_bytes()).ok()?;
    let mut out = String::new();
    stream.read_to_string(&mut out).ok()?;
    Some(out)
}

/// What arrived on a connection.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A watch notification (xid -1).
    Event(ReplyHeader, WatcherEvent),
    /// A reply, decoded as the answer to the request with its xid.
    Reply(ReplyHeader, Response),
}

/// A blocking client that speaks raw frames. Requests get xids 1, 2, 3, ... (ping, auth and
/// setWatches their special xids); replies are decoded by remembering which op each xid was.
pub struct RawClient {
    stream: TcpStream,
    buf: BytesMut,
    decoder: FrameDecoder,
    next_xid: i32,
    /// Ops sent and not yet answered, oldest first.
    pending: VecDeque<(Xid, OpCode)>,
    /// Notifications that arrived while the client waited for a reply.
    pub events: VecDeque<WatcherEvent>,
    /// The handshake's answer (default until a handshake is made).
    pub session: ConnectResponse,
    /// The highest zxid seen in replies.
    pub last_zxid: Zxid,
}

impl RawClient {
    /// Opens a TCP connection without a handshake.
    pub fn open(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_read_timeout(Some(WAIT)).expect("timeout");
        stream.set_nodelay(true).expect("nodelay");
        RawClient {
            stream,
            buf: BytesMut::new(),
            decoder: FrameDecoder::new(64 << 20),
            next_xid: 1,
            pending: VecDeque::new(),
            events: VecDeque::new(),
            session: ConnectResponse {
                protocol_version: 0,
                timeout_ms: 0,
                session_id: SessionId(0),
                passwd: Bytes::new(),
                read_only: false,
                old_client: false,
            },
            last_zxid: Zxid(0),
        }
    }

    /// A new session with a long timeout.
    pub fn connect(addr: SocketAddr) -> Self {
        Self::connect_with_timeout(addr, LONG_SESSION_MS)
    }

    /// A new session asking for `timeout_ms`.
    pub fn connect_with_timeout(addr: SocketAddr, timeout_ms: i32) -> Self {
        let client = Self::handshake(addr, Self::connect_request(timeout_ms, SessionId(0), None));
        assert!(!client.session.is_expired(), "new session refused");
        client
    }

    /// Resumes `session` (with its password) on a new connection; the response may say expired.
    pub fn resume(addr: SocketAddr, session: &ConnectResponse) -> Self {
        let mut req = Self::connect_request(session.timeout_ms, session.session_id, None);
        req.passwd = session.passwd.clone();
        Self::handshake(addr, req)
    }

    /// A ConnectRequest (password: 16 zero bytes unless given).
    pub fn connect_request(
        timeout_ms: i32,
        session: SessionId,
        passwd: Option<Bytes>,
    ) -> ConnectRequest {
        ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: Zxid(0),
            timeout_ms,
            session_id: session,
            passwd: passwd.unwrap_or_else(|| Bytes::from_static(&[0; 16])),
            read_only: false,
            old_client: false,
        }
    }

    /// Sends `req` as the handshake and reads the ConnectResponse.
    pub fn handshake(addr: SocketAddr, req: ConnectRequest) -> Self {
        let mut client = Self::open(addr);
        client.send_handshake(&req);
        client.read_handshake();
        client
    }

    /// Sends a ConnectRequest frame.
    pub fn send_handshake(&mut self, req: &ConnectRequest) {
        let mut out = BytesMut::new();
        req.write_frame(&mut out);
        self.send_bytes(&out);
    }

    /// Reads the ConnectResponse frame.
    pub fn read_handshake(&mut self) -> &ConnectResponse {
        let frame = self
            .read_frame()
            .expect("connection closed before the ConnectResponse");
        self.session = ConnectResponse::decode(frame).expect("ConnectResponse");
        &self.session
    }

    /// The session id.
    pub fn session_id(&self) -> SessionId {
        self.session.session_id
    }

    /// Writes raw bytes.
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    /// Like [`send_bytes`](Self::send_bytes), but tolerates a connection the server closed.
    pub fn try_send_bytes(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).is_ok()
    }

    /// The xid the next ordinary request will get.
    pub fn peek_xid(&self) -> Xid {
        Xid(self.next_xid)
    }

    /// Sends `req` (not waiting for the reply) and returns its xid.
    pub fn send(&mut self, req: &Request) -> Xid {
        let xid = match req {
            Request::Ping => Xid::PING,
            Request::Auth(_) => Xid::AUTH,
            Request::SetWatches(_) | Request::SetWatches2(_) => Xid::SET_WATCHES,
            _ => {
                let xid = Xid(self.next_xid);
                self.next_xid += 1;
                xid
            }
        };
        self.send_with_xid(xid, req);
        xid
    }

    /// Sends `req` with an explicit xid.
    pub fn send_with_xid(&mut self, xid: Xid, req: &Request) {
        let mut out = BytesMut::new();
        req.write_frame(xid, &mut out);
        self.pending.push_back((xid, req.op()));
        self.send_bytes(&out);
    }

    /// Reads one frame; `None` when the server closed the connection. Panics after [`WAIT`].
    pub fn read_frame(&mut self) -> Option<Bytes> {
        self.read_frame_within(WAIT)
            .expect("timed out waiting for a frame")
    }

    /// Reads one frame: `Ok(None)` on EOF, `Err(())` if nothing came within `limit`.
    pub fn read_frame_within(&mut self, limit: Duration) -> Result<Option<Bytes>, ()> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(frame) = self.decoder.decode(&mut self.buf).expect("frame") {
                return Ok(Some(frame));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(());
            }
            self.stream.set_read_timeout(Some(left)).expect("timeout");
            let mut chunk = [0u8; 64 * 1024];
            match self.stream.read(&mut chunk) {
                Ok(0) => return Ok(None),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Err(())
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                // A reset counts as closed.
                Err(_) => return Ok(None),
            }
        }
    }

    /// Reads the next frame as a notification or a reply; `None` on EOF.
    pub fn recv(&mut self) -> Option<Incoming> {
        let frame = self.read_frame()?;
        Some(self.decode_incoming(frame))
    }

    fn decode_incoming(&mut self, frame: Bytes) -> Incoming {
        let xid = Xid(i32::from_be_bytes(frame[..4].try_into().expect("xid")));
        if xid == Xid::NOTIFICATION {
            let (header, event) = WatcherEvent::decode_frame(frame).expect("notification");
            return Incoming::Event(header, event);
        }
        let position = self.pending.iter().position(|(x, _)| *x == xid);
        let (_, op) = self
            .pending
            .remove(position.unwrap_or_else(|| panic!("reply to unknown xid {xid:?}")))
            .expect("position");
        let (header, body) = Response::decode_frame(op, frame).expect("reply");
        if header.zxid.0 > self.last_zxid.0 {
            self.last_zxid = header.zxid;
        }
        Incoming::Reply(header, body)
    }

    /// Reads until the reply to `xid`, keeping notifications in [`events`](Self::events).
    /// Panics if another reply comes first (replies must be in request order).
    pub fn reply_to(&mut self, xid: Xid) -> (ReplyHeader, Response) {
        loop {
            match self
                .recv()
                .unwrap_or_else(|| panic!("connection closed awaiting {xid:?}"))
            {
                Incoming::Event(_, event) => self.events.push_back(event),
                Incoming::Reply(header, body) => {
                    assert_eq!(header.xid, xid, "replies out of order");
                    return (header, body);
                }
            }
        }
    }

    /// Sends `req` and waits for its reply.
    pub fn call(&mut self, req: &Request) -> (ReplyHeader, Response) {
        let xid = self.send(req);
        self.reply_to(xid)
    }

    /// Sends `req`, asserts it succeeded and returns the body.
    pub fn ok(&mut self, req: &Request) -> Response {
        let (header, body) = self.call(req);
        assert_eq!(header.err, ErrorCode::Ok, "{req:?} failed");
        body
    }

    /// Sends `req` and returns its result code.
    pub fn code(&mut self, req: &Request) -> ErrorCode {
        self.call(req).0.err
    }

    /// The next notification (already received or arriving within [`WAIT`]).
    pub fn next_event(&mut self) -> WatcherEvent {
        if let Some(event) = self.events.pop_front() {
            return event;
        }
        match self.recv().expect("connection closed awaiting an event") {
            Incoming::Event(_, event) => event,
            Incoming::Reply(header, body) => panic!("expected an event, got {header:?} {body:?}"),
        }
    }

    /// Asserts nothing arrives within `quiet`.
    pub fn assert_silent(&mut self, quiet: Duration) {
        assert!(
            self.events.is_empty(),
            "unexpected events: {:?}",
            self.events
        );
        if let Ok(frame) = self.read_frame_within(quiet) {
            let incoming = frame.map(|f| self.decode_incoming(f));
            panic!("expected silence, got {incoming:?}");
        }
    }

    /// Asserts the server closes the connection within [`WAIT`]; returns what came before.
    pub fn expect_closed(&mut self) -> Vec<Bytes> {
        let mut frames = Vec::new();
        loop {
            match self.read_frame_within(WAIT) {
                Ok(Some(frame)) => frames.push(frame),
                Ok(None) => return frames,
                Err(()) => panic!("the server did not close the connection"),
            }
        }
    }

    /// Sends closeSession and waits for its reply and the close.
    pub fn close_session(mut self) {
        let (header, _) = self.call(&Request::CloseSession);
        assert_eq!(header.err, ErrorCode::Ok);
        self.expect_closed();
    }

    /// Adds `user:password` as a digest identity (the reply comes at once, xid -4).
    pub fn add_digest(&mut self, user_password: &str) {
        let (header, _) = self.call(&auth("digest", user_password));
        assert_eq!(header.err, ErrorCode::Ok, "auth failed");
    }

    /// Shuts down the write half (the server sees EOF).
    pub fn shutdown(&self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }

    /// A shared handle to the socket, for tests that write from another thread.
    pub fn try_clone_stream(&self) -> Arc<TcpStream> {
        Arc::new(self.stream.try_clone().expect("clone"))
    }
}

// ---------------------------------------------------------------------------------------------
// Request builders.

/// create (op 1) of a persistent node with open ACL.
pub fn create(path: &str, data: &[u8]) -> Request {
    Request::Create(create_req(path, data, CreateMode::Persistent))
}

/// create (op 1) with a mode.
pub fn create_mode(path: &str, data: &[u8], mode: CreateMode) -> Request {
    Request::Create(create_req(path, data, mode))
}

/// The CreateRequest record with open ACL.
pub fn create_req(path: &str, data: &[u8], mode: CreateMode) -> CreateRequest {
    CreateRequest {
        path: path.to_owned(),
        data: Some(Bytes::copy_from_slice(data)),
        acl: Acl::open_acl_unsafe(),
        flags: mode.flag(),
    }
}

/// getData.
pub fn get_data(path: &str, watch: bool) -> Request {
    Request::GetData(GetDataRequest {
        path: path.to_owned(),
        watch,
    })
}

/// setData.
pub fn set_data(path: &str, data: &[u8], version: i32) -> Request {
    Request::SetData(zk_proto::SetDataRequest {
        path: path.to_owned(),
        data: Some(Bytes::copy_from_slice(data)),
        version,
    })
}

/// delete.
pub fn delete(path: &str, version: i32) -> Request {
    Request::Delete(zk_proto::DeleteRequest {
        path: path.to_owned(),
        version,
    })
}

/// exists.
pub fn exists(path: &str, watch: bool) -> Request {
    Request::Exists(zk_proto::ExistsRequest {
        path: path.to_owned(),
        watch,
    })
}

/// getChildren.
pub fn get_children(path: &str, watch: bool) -> Request {
    Request::GetChildren(zk_proto::GetChildrenRequest {
        path: path.to_owned(),
        watch,
    })
}

/// An auth packet.
pub fn auth(scheme: &str, credentials: &str) -> Request {
    Request::Auth(AuthPacket {
        auth_type: 0,
        scheme: scheme.to_owned(),
        auth: Bytes::copy_from_slice(credentials.as_bytes()),
    })
}

/// The data of a getData reply.
pub fn data_of(body: &Response) -> (Option<Bytes>, Stat) {
    match body {
        Response::GetData(r) => (r.data.clone(), r.stat),
        other => panic!("not a getData reply: {other:?}"),
    }
}

/// getData's data as a string, asserting success.
pub fn read_string(client: &mut RawClient, path: &str) -> String {
    let body = client.ok(&get_data(path, false));
    let (data, _) = data_of(&body);
    String::from_utf8(data.map(|d| d.to_vec()).unwrap_or_default()).expect("utf-8")
}

/// The Stat of an exists reply, or `None` for NONODE.
pub fn stat_of(client: &mut RawClient, path: &str) -> Option<Stat> {
    match client.call(&exists(path, false)) {
        (h, Response::Exists(r)) if h.err.is_ok() => Some(r.stat),
        (h, _) if h.err == ErrorCode::NoNode => None,
        other => panic!("exists {path}: {other:?}"),
    }
}

/// The children of a getChildren reply, sorted.
pub fn children_of(client: &mut RawClient, path: &str) -> Vec<String> {
    match client.ok(&get_children(path, false)) {
        Response::GetChildren(mut r) => {
            r.children.sort();
            r.children
        }
        other => panic!("not a getChildren reply: {other:?}"),
    }
}

/// Waits until `check` holds, polling every 20 ms, for at most [`WAIT`].
pub fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The `zk_<key>` value of a `mntr` answer.
pub fn mntr_value(mntr: &str, key: &str) -> Option<String> {
    mntr.lines().find_map(|line| {
        let (k, v) = line.split_once('\t')?;
        (k == format!("zk_{key}")).then(|| v.to_owned())
    })
}
