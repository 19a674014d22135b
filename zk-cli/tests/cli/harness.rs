//! Servers and processes for the tests: our server in-process (a thread with its own
//! runtime), Apache ZooKeeper 3.8 as a child process when `ZK_JAVA_CLASSPATH` is set, and
//! runs of the `zk-cli` binary and of Apache's zkCli.

use std::io::Write;
use std::net::TcpListener as StdListener;
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tempfile::TempDir;
use tokio::sync::oneshot;
use zk_server::config::HostPort;
use zk_server::ServerConfig;

/// The tickTime of test servers.
pub const TICK_MS: u32 = 500;

/// Apache's classpath, if the machine has Apache ZooKeeper.
pub fn java_classpath() -> Option<String> {
    std::env::var("ZK_JAVA_CLASSPATH")
        .ok()
        .filter(|c| !c.is_empty())
}

/// A running server with its own data directory, stopped when dropped.
pub struct Server {
    port: u16,
    _data: TempDir,
    running: Running,
}

enum Running {
    Ours {
        shutdown: Option<oneshot::Sender<()>>,
        thread: Option<JoinHandle<()>>,
    },
    Apache(Child),
}

impl Server {
    /// Our server on a free port.
    pub fn ours() -> Server {
        let data = tempfile::tempdir().expect("temp dir");
        let listener = StdListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let dir = data.path().to_path_buf();
        let config = ServerConfig {
            tick_time_ms: TICK_MS,
            min_session_timeout_ms: 2 * TICK_MS,
            max_session_timeout_ms: 20 * TICK_MS,
            data_dir: dir.clone(),
            data_log_dir: dir,
            client_address: Some(HostPort::new("127.0.0.1", port)),
            max_client_cnxns: 0,
            extended_types_enabled: true,
            force_sync: false,
            ..ServerConfig::default()
        };
        let (shutdown, stop) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
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
        wait_for_port(port);
        Server {
            port,
            _data: data,
            running: Running::Ours {
                shutdown: Some(shutdown),
                thread: Some(thread),
            },
        }
    }

    /// Apache ZooKeeper 3.8 on a free port (the caller checked [`java_classpath`]).
    pub fn apache() -> Server {
        let classpath = java_classpath().expect("ZK_JAVA_CLASSPATH");
        let data = tempfile::tempdir().expect("temp dir");
        let port = StdListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cfg = data.path().join("zoo.cfg");
        let data_dir = data.path().join("data");
        std::fs::create_dir_all(&data_dir).unwrap();
        std::fs::write(
            &cfg,
            format!(
                "tickTime={TICK_MS}\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
                 maxClientCnxns=0\n4lw.commands.whitelist=*\nadmin.enableServer=false\n\
                 extendedTypesEnabled=true\nforceSync=no\n",
                data_dir.display()
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
            .env("TZ", "UTC")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start java");
        watchdog(java.id());
        wait_for_port(port);
        wait_until_serving(port);
        Server {
            port,
            _data: data,
            running: Running::Apache(java),
        }
    }

    /// `127.0.0.1:port`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        match &mut self.running {
            Running::Ours { shutdown, thread } => {
                if let Some(tx) = shutdown.take() {
                    let _ = tx.send(());
                }
                if let Some(thread) = thread.take() {
                    let _ = thread.join();
                }
            }
            Running::Apache(java) => {
                let _ = java.kill();
                let _ = java.wait();
            }
        }
    }
}

/// Kills the JVM if the test process dies first.
fn watchdog(pid: u32) {
    let me = std::process::id();
    let script = format!(
        "while kill -0 {me} 2>/dev/null && kill -0 {pid} 2>/dev/null; do sleep 0.5; done; \
         kill {pid} 2>/dev/null"
    );
    let _ = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server on {port} never came up");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until the server answers `srvr` with its mode: Apache accepts connections before
/// its ZooKeeperServer runs, and drops the first sessions otherwise.
fn wait_until_serving(port: u16) {
    use std::io::Read;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut answer = String::new();
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            // A JVM still starting may accept and then say nothing.
            let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
            let _ = stream.write_all(b"srvr");
            let _ = stream.read_to_string(&mut answer);
        }
        if answer.contains("Mode:") {
            return;
        }
        assert!(Instant::now() < deadline, "server on {port} never served");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The shared server of tests that need no fresh state (each works under its own path).
pub fn shared() -> &'static Server {
    static OURS: OnceLock<Server> = OnceLock::new();
    OURS.get_or_init(Server::ours)
}

/// What a process printed and how it ended.
#[derive(Debug)]
pub struct Run {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// The exit status (-1 if killed by a signal).
    pub code: i32,
}

impl From<Output> for Run {
    fn from(output: Output) -> Run {
        Run {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            code: output.status.code().unwrap_or(-1),
        }
    }
}

/// The `zk-cli` binary, with `TZ=UTC` so Stat times print alike everywhere.
pub fn zk_cli() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_zk-cli"));
    command.env("TZ", "UTC").env("HOME", std::env::temp_dir());
    command
}

/// Runs `zk-cli -server address args...` once.
pub fn one_shot(address: &str, args: &[&str]) -> Run {
    zk_cli()
        .args(["-server", address])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run zk-cli")
        .into()
}

/// Feeds `script` to a process's stdin and collects its output.
pub fn with_stdin(mut command: Command, script: &str) -> Run {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    child.wait_with_output().expect("wait").into()
}

/// Apache's zkCli against `address`, reading `script` from stdin.
pub fn apache_cli(address: &str, script: &str) -> Run {
    let mut command = Command::new("java");
    command
        .args(["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp"])
        .arg(java_classpath().expect("ZK_JAVA_CLASSPATH"))
        .arg("org.apache.zookeeper.ZooKeeperMain")
        .args(["-server", address])
        .env("TZ", "UTC");
    with_stdin(command, script)
}

/// Our zk-cli shell against `address`, reading `script` from stdin.
pub fn our_cli(address: &str, script: &str) -> Run {
    let mut command = zk_cli();
    command.args(["-server", address]);
    with_stdin(command, script)
}
