//! Test servers: ours in-process ([`zk_server::server::run`] on a thread with its own
//! runtime) and Apache ZooKeeper 3.8 as a child process (`ZK_JAVA_CLASSPATH`).
//!
//! Both run with `tickTime=500`, so sessions may last 1 s to 10 s, TTL nodes enabled and no
//! per-IP connection limit. A server can be stopped and restarted on the same port with the
//! same data directory, which is how the reconnect and expiry tests move time.

use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tempfile::TempDir;
use tokio::sync::oneshot;
use zk_server::config::HostPort;
use zk_server::ServerConfig;

/// Which implementation a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// This workspace's `zk-server`.
    Ours,
    /// Apache ZooKeeper 3.8 from `ZK_JAVA_CLASSPATH`.
    Apache,
}

impl Kind {
    /// True if this kind can run here (Apache needs `ZK_JAVA_CLASSPATH`).
    pub fn available(self) -> bool {
        match self {
            Kind::Ours => true,
            Kind::Apache => std::env::var_os("ZK_JAVA_CLASSPATH").is_some(),
        }
    }
}

/// The server's tickTime: sessions may last 2 to 20 ticks.
pub const TICK_MS: u32 = 500;

/// A running (or stopped) server with its own data directory.
pub struct Server {
    kind: Kind,
    port: u16,
    data: Arc<TempDir>,
    running: Option<Running>,
}

enum Running {
    Ours {
        shutdown: oneshot::Sender<()>,
        thread: JoinHandle<()>,
    },
    Apache {
        java: Child,
    },
}

impl Server {
    /// Starts a server of `kind` on a free port with a fresh data directory.
    pub fn start(kind: Kind) -> Server {
        let data = Arc::new(tempfile::tempdir().expect("temp dir"));
        let listener = StdListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        let mut server = Server {
            kind,
            port,
            data,
            running: None,
        };
        server.launch(Some(listener));
        server
    }

    /// `127.0.0.1:port`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The client port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server: every connection drops; the data directory stays.
    pub fn stop(&mut self) {
        match self.running.take() {
            Some(Running::Ours { shutdown, thread }) => {
                let _ = shutdown.send(());
                thread.join().expect("server thread");
            }
            Some(Running::Apache { mut java }) => {
                let _ = java.kill();
                let _ = java.wait();
            }
            None => {}
        }
    }

    /// Starts the server again on the same port with the same data directory.
    pub fn restart(&mut self) {
        self.stop();
        self.launch(None);
    }

    fn launch(&mut self, listener: Option<StdListener>) {
        self.running = Some(match self.kind {
            Kind::Ours => self.launch_ours(listener),
            Kind::Apache => {
                drop(listener);
                self.launch_apache()
            }
        });
        wait_for_port(self.port);
    }

    fn launch_ours(&self, listener: Option<StdListener>) -> Running {
        let listener = listener.unwrap_or_else(|| bind_again(self.port));
        listener.set_nonblocking(true).unwrap();
        let dir = self.data.path().to_path_buf();
        let config = ServerConfig {
            tick_time_ms: TICK_MS,
            min_session_timeout_ms: 2 * TICK_MS,
            max_session_timeout_ms: 20 * TICK_MS,
            data_dir: dir.clone(),
            data_log_dir: dir,
            client_address: Some(HostPort::new("127.0.0.1", self.port)),
            max_client_cnxns: 0,
            extended_types_enabled: true,
            force_sync: false,
            ..ServerConfig::default()
        };
        let (shutdown, stop) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            // Its own runtime: dropping it at the end closes every connection, as a crash
            // would, whichever test runtime started the server.
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let shutdown = async {
                    let _ = stop.await;
                };
                if let Err(err) = zk_server::server::run(config, listener, shutdown).await {
                    eprintln!("zk-server stopped with an error: {err}");
                }
            });
            runtime.shutdown_timeout(Duration::from_millis(100));
        });
        Running::Ours { shutdown, thread }
    }

    fn launch_apache(&self) -> Running {
        let classpath = std::env::var("ZK_JAVA_CLASSPATH").expect("ZK_JAVA_CLASSPATH");
        let cfg: PathBuf = self.data.path().join("zoo.cfg");
        let data_dir = self.data.path().join("data");
        std::fs::create_dir_all(&data_dir).unwrap();
        std::fs::write(
            &cfg,
            format!(
                "tickTime={TICK_MS}\ndataDir={}\nclientPort={}\nclientPortAddress=127.0.0.1\n\
                 maxClientCnxns=0\n4lw.commands.whitelist=*\nadmin.enableServer=false\n\
                 extendedTypesEnabled=true\nforceSync=no\n",
                data_dir.display(),
                self.port
            ),
        )
        .unwrap();
        let java = Command::new("java")
            .args([
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-cp",
            ])
            .arg(&classpath)
            .arg("org.apache.zookeeper.server.quorum.QuorumPeerMain")
            .arg(&cfg)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start java");
        watchdog(java.id());
        Running::Apache { java }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Kills the java process if this test process dies first (statics are never dropped, and a
/// failed test must not leave a server behind).
fn watchdog(java: u32) {
    let me = std::process::id();
    let script = format!(
        "while kill -0 {me} 2>/dev/null && kill -0 {java} 2>/dev/null; do sleep 0.5; done; \
         kill {java} 2>/dev/null"
    );
    let _ = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}

/// Binds `port` again after a stop; the old socket may linger for a moment.
fn bind_again(port: u16) -> StdListener {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match StdListener::bind(("127.0.0.1", port)) {
            Ok(listener) => return listener,
            Err(e) if Instant::now() > deadline => panic!("rebind {port}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// Waits until the server on `port` completes a handshake: the JVM opens its port before its
/// ZooKeeperServer runs, and closes connections until then.
fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !handshake(port) {
        assert!(Instant::now() < deadline, "server on {port} never came up");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One blocking handshake (then closeSession): true if the server granted a session.
fn handshake(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = zk_proto::ConnectRequest {
        protocol_version: 0,
        last_zxid_seen: zk_proto::Zxid::ZERO,
        timeout_ms: 2 * TICK_MS as i32,
        session_id: zk_proto::SessionId(0),
        passwd: bytes::Bytes::from_static(&[0; 16]),
        read_only: false,
        old_client: false,
    };
    let mut out = bytes::BytesMut::new();
    request.write_frame(&mut out);
    zk_proto::Request::CloseSession.write_frame(zk_proto::Xid(1), &mut out);
    if stream.write_all(&out).is_err() {
        return false;
    }
    let mut len = [0u8; 4];
    if stream.read_exact(&mut len).is_err() {
        return false;
    }
    let mut body = vec![0u8; u32::from_be_bytes(len).min(64) as usize];
    stream.read_exact(&mut body).is_ok()
        && zk_proto::ConnectResponse::decode(body.into()).is_ok_and(|r| !r.is_expired())
}

/// The server of `kind` that tests without restarts share (each under its own root path).
pub fn shared(kind: Kind) -> &'static Server {
    static OURS: OnceLock<Server> = OnceLock::new();
    static APACHE: OnceLock<Server> = OnceLock::new();
    let cell = match kind {
        Kind::Ours => &OURS,
        Kind::Apache => &APACHE,
    };
    cell.get_or_init(|| Server::start(kind))
}
