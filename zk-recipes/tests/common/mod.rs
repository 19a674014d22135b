//! Test support: one in-process `zk-server` per test binary (127.0.0.1, port 0, a temporary
//! data directory), a fresh root path per test, clients rooted there, and session expiry on
//! demand.
#![allow(dead_code)]

use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use zk_client::{Client, ClientBuilder, CreateOptions, SessionState};
use zk_server::config::{FourLetterWhitelist, HostPort, ServerConfig};

/// Generous bound for anything that should happen promptly.
pub const WAIT: Duration = Duration::from_secs(20);

/// The server this test binary shares.
pub struct Server {
    /// Where clients connect.
    pub addr: SocketAddr,
    _dir: Option<tempfile::TempDir>,
}

/// Starts the shared server on first use. It runs on its own thread and runtime (so every
/// `#[tokio::test]` runtime can come and go) until the test binary exits.
///
/// `ZK_RECIPES_SERVER=127.0.0.1:PORT` runs the tests against a server already running there
/// instead (e.g. Apache ZooKeeper, to check that the recipes assume nothing ours does
/// differently).
pub fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        if let Some(external) = std::env::var("ZK_RECIPES_SERVER")
            .ok()
            .filter(|s| !s.is_empty())
        {
            let addr = external.parse().expect("ZK_RECIPES_SERVER is host:port");
            return Server { addr, _dir: None };
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let config = ServerConfig {
            tick_time_ms: 50,
            min_session_timeout_ms: 100,
            max_session_timeout_ms: 120_000,
            data_dir: dir.path().to_owned(),
            data_log_dir: dir.path().to_owned(),
            client_address: Some(HostPort::new("127.0.0.1", addr.port())),
            four_letter_words: FourLetterWhitelist::parse("*").0,
            pre_alloc_size_kb: 64,
            // The benchmark runs 100 sessions from 127.0.0.1 (the default allows 60).
            max_client_cnxns: 0,
            ..ServerConfig::default()
        };
        listener.set_nonblocking(true).expect("nonblocking");
        std::thread::Builder::new()
            .name("recipes-test-server".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                    let result =
                        zk_server::server::run(config, listener, std::future::pending()).await;
                    eprintln!("test server stopped: {result:?}");
                })
            })
            .expect("spawn server");
        Server {
            addr,
            _dir: Some(dir),
        }
    })
}

/// A test's own part of the shared server: every client it makes is rooted (chroot) at a
/// fresh path.
pub struct Env {
    /// The root path on the server.
    pub root: String,
}

impl Env {
    /// A new root for `test`.
    pub async fn new(test: &str) -> Env {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        // Unique across runs too, for servers that outlive the test binary.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let root = format!(
            "/{test}-{}-{nanos}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let client = connect(&server().addr.to_string()).await;
        match client
            .create(&root, b"", &CreateOptions::persistent())
            .await
        {
            Ok(_) | Err(zk_client::Error::NodeExists) => {}
            Err(e) => panic!("create {root}: {e}"),
        }
        client.close().await;
        Env { root }
    }

    /// The connect string of this test's clients.
    pub fn connect_string(&self) -> String {
        format!("{}{}", server().addr, self.root)
    }

    /// A new session rooted at this test's path.
    pub async fn client(&self) -> Client {
        connect(&self.connect_string()).await
    }
}

async fn connect(connect_string: &str) -> Client {
    within(
        "connect",
        ClientBuilder::new(connect_string)
            .with_session_timeout(Duration::from_secs(30))
            .with_fail_eagerly(true)
            .connect(),
    )
    .await
    .expect("connect")
}

/// Fails the test if `fut` takes longer than [`WAIT`].
pub async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(WAIT, fut).await {
        Ok(value) => value,
        Err(_) => panic!("timed out after {WAIT:?} waiting for {what}"),
    }
}

/// Expires `client`'s session: another connection presents the session's id and password
/// (taking the session over) and closes it, in one write, so the client cannot win the
/// session back in between; the client's reconnection is then refused with "session
/// expired". Repeated until the client reports the expiry.
pub async fn expire(client: &Client) {
    within("the client to see its session expire", async {
        while client.state() != SessionState::Expired {
            steal_and_close(client.session_id(), client.session_password()).await;
            for _ in 0..20 {
                if client.state() == SessionState::Expired {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    })
    .await;
}

/// Sends a ConnectRequest resuming `session` and a closeSession right behind it, then waits
/// for the server to hang up.
async fn steal_and_close(session: zk_proto::SessionId, password: bytes::Bytes) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let request = zk_proto::ConnectRequest {
        protocol_version: 0,
        last_zxid_seen: zk_proto::Zxid(0),
        timeout_ms: 30_000,
        session_id: session,
        passwd: password,
        read_only: false,
        old_client: false,
    };
    let mut out = bytes::BytesMut::new();
    request.write_frame(&mut out);
    zk_proto::Request::CloseSession.write_frame(zk_proto::Xid(1), &mut out);
    let Ok(mut stream) = tokio::net::TcpStream::connect(server().addr).await else {
        return;
    };
    if stream.write_all(&out).await.is_ok() {
        let mut sink = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut sink)).await;
    }
}

/// Polls `check` until it returns true.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    within(what, async {
        while !check() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
}
