//! An ensemble of real `zk-server` processes on loopback: voters and observers started from
//! Apache-style `zoo.cfg` files, controlled with signals (SIGKILL, SIGTERM, SIGSTOP, SIGCONT)
//! and observed through the `srvr` and `mntr` four-letter words.
//!
//! Every process is killed when the [`Ensemble`] is dropped, also when a test panics; a
//! panicking test prints the tail of every server's log and keeps the directory (as does any
//! test with `ENSEMBLE_KEEP=1`).
//!
//! # Layout
//!
//! - `<tmp>/node-<id>/zoo.cfg`, `<tmp>/node-<id>/data/myid`, `<tmp>/node-<id>/server.log`
//!   (stdout and stderr, `RUST_LOG=info`, appended across restarts).

use std::fmt;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// tickTime of every node: small, so that elections and syncLimit play out in about a second.
pub const TICK_MS: u64 = 200;
/// initLimit (ticks).
pub const INIT_LIMIT: u64 = 20;
/// syncLimit (ticks): a learner silent for longer than `SYNC_LIMIT * TICK_MS` is dropped.
pub const SYNC_LIMIT: u64 = 5;
/// How long a four-letter word may take before the node counts as not answering (a stopped
/// process accepts connections in the kernel but never answers).
const FOUR_LETTER_TIMEOUT: Duration = Duration::from_secs(2);
/// How long the first election of a fresh ensemble may take.
pub const START_WAIT: Duration = Duration::from_secs(30);

/// What `srvr` says a node is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `Mode: leader`.
    Leader,
    /// `Mode: follower`.
    Follower,
    /// `Mode: observer`.
    Observer,
    /// `Mode: standalone` (a misconfiguration here).
    Standalone,
}

impl Mode {
    fn parse(s: &str) -> Option<Mode> {
        match s.trim() {
            "leader" => Some(Mode::Leader),
            "follower" => Some(Mode::Follower),
            "observer" => Some(Mode::Observer),
            "standalone" => Some(Mode::Standalone),
            _ => None,
        }
    }
}

/// A serving node's `srvr` answer, the parts the tests use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Srvr {
    /// The `Mode:` line.
    pub mode: Mode,
    /// The `Zxid:` line (last processed zxid).
    pub zxid: u64,
}

impl Srvr {
    /// Parses a `srvr` answer; `None` for "not currently serving" or anything unparsable.
    fn parse(answer: &str) -> Option<Srvr> {
        let mut mode = None;
        let mut zxid = None;
        for line in answer.lines() {
            if let Some(m) = line.strip_prefix("Mode: ") {
                mode = Mode::parse(m);
            } else if let Some(z) = line.strip_prefix("Zxid: ") {
                zxid = u64::from_str_radix(z.trim().trim_start_matches("0x"), 16).ok();
            }
        }
        Some(Srvr {
            mode: mode?,
            zxid: zxid?,
        })
    }
}

/// Whether a node votes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A voting member (`server.N=host:qp:ep`).
    Voter,
    /// `server.N=host:qp:ep:observer` with `peerType=observer` in its own zoo.cfg.
    Observer,
}

/// One member of the ensemble.
pub struct Node {
    /// The `server.N` id (`myid`).
    pub id: u64,
    /// Voter or observer.
    pub role: Role,
    /// The client port's address.
    pub client: SocketAddr,
    /// Holds `zoo.cfg` and `data/`.
    pub dir: PathBuf,
    child: Option<Child>,
    paused: bool,
}

impl Node {
    /// The `srvr` answer, `None` while the node does not serve or does not answer.
    pub fn srvr(&self) -> Option<Srvr> {
        Srvr::parse(&four_letter(self.client, "srvr")?)
    }

    /// The mode, `None` while the node does not serve.
    pub fn mode(&self) -> Option<Mode> {
        self.srvr().map(|s| s.mode)
    }

    /// The `zk_<key>` value of `mntr`, if the node answers and reports it.
    pub fn mntr(&self, key: &str) -> Option<String> {
        let answer = four_letter(self.client, "mntr")?;
        let wanted = format!("zk_{key}");
        answer.lines().find_map(|line| {
            let (k, v) = line.split_once('\t')?;
            (k == wanted).then(|| v.trim().to_owned())
        })
    }

    /// True while the process runs (stopped counts as running).
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    fn pid(&self) -> String {
        self.child
            .as_ref()
            .unwrap_or_else(|| panic!("node {} is not running", self.id))
            .id()
            .to_string()
    }

    fn spawn(&mut self) {
        assert!(self.child.is_none(), "node {} is already running", self.id);
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("log file");
        // Restarts append: a marker shows where each run begins.
        writeln!(log, "===== test harness: starting node {} =====", self.id).expect("log");
        let child = server_command()
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
        self.paused = false;
    }

    /// Panics (with the log) if the process has exited on its own.
    fn assert_alive(&mut self) {
        if let Some(child) = self.child.as_mut() {
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                panic!("node {} exited on its own with {status}", self.id);
            }
        }
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.pid()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {signal} node {} failed", self.id);
    }

    /// The last `lines` lines of the log.
    fn log_tail(&self, lines: usize) -> String {
        let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node {} ({:?}, {})", self.id, self.role, self.client)
    }
}

/// The ensemble: nodes with ids 1..=n, voters first, then observers.
pub struct Ensemble {
    /// The members, index `id - 1`.
    pub nodes: Vec<Node>,
    tmp: Option<tempfile::TempDir>,
}

impl Ensemble {
    /// Writes the configuration of `voters` voters and `observers` observers, starts every
    /// node and waits until each serves (its `srvr` reports a mode).
    pub fn start(voters: usize, observers: usize) -> Ensemble {
        let tmp = tempfile::tempdir().expect("tempdir");
        let total = voters + observers;
        let ports = free_ports(3 * total);
        let mut servers = String::new();
        let mut nodes = Vec::new();
        for index in 0..total {
            let id = index as u64 + 1;
            let role = if index < voters {
                Role::Voter
            } else {
                Role::Observer
            };
            let (quorum, election, client) =
                (ports[3 * index], ports[3 * index + 1], ports[3 * index + 2]);
            let observer = if role == Role::Observer {
                ":observer"
            } else {
                ""
            };
            servers.push_str(&format!(
                "server.{id}=127.0.0.1:{quorum}:{election}{observer};127.0.0.1:{client}\n"
            ));
            nodes.push(Node {
                id,
                role,
                client: SocketAddr::from(([127, 0, 0, 1], client)),
                dir: tmp.path().join(format!("node-{id}")),
                child: None,
                paused: false,
            });
        }
        for node in &nodes {
            write_config(node, &servers);
        }
        let mut ensemble = Ensemble {
            nodes,
            tmp: Some(tmp),
        };
        for node in &mut ensemble.nodes {
            node.spawn();
        }
        let all: Vec<usize> = (0..total).collect();
        ensemble.wait_serving(&all, START_WAIT);
        ensemble
    }

    /// `host:port,...` of every node, for a client that fails over among them.
    pub fn connect_string(&self) -> String {
        let hosts: Vec<String> = self.nodes.iter().map(|n| n.client.to_string()).collect();
        hosts.join(",")
    }

    /// Each running node's mode (`None` while not serving), by index.
    pub fn modes(&self) -> Vec<Option<Mode>> {
        self.nodes
            .iter()
            .map(|n| {
                if n.is_running() && !n.paused {
                    n.mode()
                } else {
                    None
                }
            })
            .collect()
    }

    /// Indexes of the running, unpaused nodes whose `srvr` says `mode`.
    pub fn in_mode(&self, mode: Mode) -> Vec<usize> {
        self.modes()
            .iter()
            .enumerate()
            .filter(|(_, m)| **m == Some(mode))
            .map(|(i, _)| i)
            .collect()
    }

    /// Waits until exactly one node says leader and returns its index.
    pub fn leader(&mut self, within: Duration) -> usize {
        self.wait_for("exactly one leader", within, |e| {
            let leaders = e.in_mode(Mode::Leader);
            (leaders.len() == 1).then(|| leaders[0])
        })
    }

    /// Waits until every node in `indexes` serves; panics after `within` with the modes.
    pub fn wait_serving(&mut self, indexes: &[usize], within: Duration) {
        self.wait_for("the nodes to serve", within, |e| {
            let modes = e.modes();
            indexes.iter().all(|&i| modes[i].is_some()).then_some(())
        });
    }

    /// Polls `check` every 50 ms until it returns a value; panics after `within` with the
    /// modes of every node. Also panics at once if a node exits on its own.
    pub fn wait_for<T>(
        &mut self,
        what: &str,
        within: Duration,
        mut check: impl FnMut(&Ensemble) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + within;
        loop {
            for node in &mut self.nodes {
                node.assert_alive();
            }
            if let Some(value) = check(self) {
                return value;
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out after {within:?} waiting for {what}; srvr: {}",
                    self.describe()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Every node's state, for failure messages.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .nodes
            .iter()
            .map(|n| {
                let state = if !n.is_running() {
                    "down".to_owned()
                } else if n.paused {
                    "paused".to_owned()
                } else {
                    match n.srvr() {
                        Some(s) => format!("{:?} zxid 0x{:x}", s.mode, s.zxid),
                        None => "not serving".to_owned(),
                    }
                };
                format!("{}: {state}", n.id)
            })
            .collect();
        parts.join("; ")
    }

    /// Waits until every running node serves and reports the same zxid; returns it.
    pub fn wait_zxids_converge(&mut self, within: Duration) -> u64 {
        self.wait_for("every node to report the same zxid", within, |e| {
            let zxids: Vec<Option<u64>> = e
                .nodes
                .iter()
                .filter(|n| n.is_running())
                .map(|n| n.srvr().map(|s| s.zxid))
                .collect();
            let first = zxids.first().copied().flatten()?;
            zxids.iter().all(|z| *z == Some(first)).then_some(first)
        })
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill(&mut self, index: usize) {
        let node = &mut self.nodes[index];
        if let Some(mut child) = node.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        node.paused = false;
    }

    /// SIGTERM, and waits up to 10 s for a clean exit.
    pub fn terminate(&mut self, index: usize) {
        self.nodes[index].signal("-TERM");
        let node = &mut self.nodes[index];
        let mut child = node.child.take().expect("running");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                // A JVM ends on SIGTERM with status 143 after its shutdown hooks.
                assert!(
                    status.success() || runs_apache(),
                    "node {} exited with {status} after SIGTERM",
                    node.id
                );
                return;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("node {} ignored SIGTERM for 10 s", node.id);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts a stopped node again on its configuration and data.
    pub fn restart(&mut self, index: usize) {
        self.nodes[index].spawn();
    }

    /// SIGSTOP: the process freezes with its sockets open.
    pub fn pause(&mut self, index: usize) {
        self.nodes[index].signal("-STOP");
        self.nodes[index].paused = true;
    }

    /// SIGCONT.
    pub fn resume(&mut self, index: usize) {
        self.nodes[index].signal("-CONT");
        self.nodes[index].paused = false;
    }
}

impl Drop for Ensemble {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            if let Some(mut child) = node.child.take() {
                // SIGKILL ends a stopped process too.
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        if std::thread::panicking() {
            for node in &self.nodes {
                eprintln!(
                    "----- {node}: last lines of {} -----\n{}",
                    node.log_path().display(),
                    node.log_tail(80)
                );
            }
        }
        // Kept after a failure, or on request (`ENSEMBLE_KEEP=1`) to read the logs of a pass.
        if std::thread::panicking() || std::env::var_os("ENSEMBLE_KEEP").is_some() {
            if let Some(tmp) = self.tmp.take() {
                eprintln!("ensemble directory kept in {}", tmp.keep().display());
            }
        }
    }
}

/// Writes `zoo.cfg` and `data/myid` for `node`.
fn write_config(node: &Node, servers: &str) {
    let data = node.dir.join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    std::fs::write(data.join("myid"), format!("{}\n", node.id)).expect("myid");
    let peer_type = match node.role {
        Role::Observer => "peerType=observer\n",
        Role::Voter => "",
    };
    let cfg = format!(
        "tickTime={TICK_MS}\ninitLimit={INIT_LIMIT}\nsyncLimit={SYNC_LIMIT}\n\
         minSessionTimeout={}\nmaxSessionTimeout=30000\n\
         dataDir={}\nclientPort={}\nclientPortAddress=127.0.0.1\n\
         4lw.commands.whitelist=*\nadmin.enableServer=false\npreAllocSize=64\n\
         {peer_type}{servers}",
        2 * TICK_MS,
        data.display(),
        node.client.port(),
    );
    std::fs::write(node.dir.join("zoo.cfg"), cfg).expect("zoo.cfg");
}

/// The server to run: our binary, or Apache ZooKeeper's `QuorumPeerMain` when
/// `ENSEMBLE_SERVER=apache` (with `ZK_JAVA_CLASSPATH`), to check the tests themselves against
/// the reference implementation.
fn server_command() -> Command {
    if !runs_apache() {
        return Command::new(env!("CARGO_BIN_EXE_zk-server"));
    }
    let classpath =
        std::env::var("ZK_JAVA_CLASSPATH").expect("ENSEMBLE_SERVER=apache needs ZK_JAVA_CLASSPATH");
    let mut java = Command::new("java");
    java.args([
        "-Xmx256m",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-cp",
        &classpath,
    ])
    .arg("org.apache.zookeeper.server.quorum.QuorumPeerMain");
    java
}

/// True when `ENSEMBLE_SERVER=apache`.
fn runs_apache() -> bool {
    std::env::var("ENSEMBLE_SERVER").as_deref() == Ok("apache")
}

/// The ports tests choose from: below Linux's ephemeral range (32768 and up), so that no
/// outgoing connection (a client, a four-letter poll, a quorum link) can take a node's port
/// while it is down, or between choosing it and the node binding it.
const PORT_RANGE: std::ops::Range<u32> = 10_000..32_000;

/// `count` distinct ports that were free a moment ago. Ports are handed out once per test
/// process (tests run in parallel), starting at an offset derived from the process id (other
/// test processes may run at the same time).
fn free_ports(count: usize) -> Vec<u16> {
    static NEXT: std::sync::Mutex<Option<u32>> = std::sync::Mutex::new(None);
    let mut next = NEXT.lock().unwrap_or_else(|e| e.into_inner());
    let span = PORT_RANGE.end - PORT_RANGE.start;
    let mut candidate = next.unwrap_or(std::process::id().wrapping_mul(7919) % span);
    let mut held = Vec::new();
    for _ in 0..span {
        if held.len() == count {
            break;
        }
        let port = u16::try_from(PORT_RANGE.start + candidate % span).expect("port");
        candidate += 1;
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)) {
            held.push(listener);
        }
    }
    *next = Some(candidate);
    assert_eq!(held.len(), count, "not enough free ports");
    held.iter()
        .map(|l| l.local_addr().expect("addr").port())
        .collect()
}

/// The answer to a four-letter word, `None` if the node does not answer promptly.
pub fn four_letter(addr: SocketAddr, word: &str) -> Option<String> {
    let mut stream = TcpStream::connect_timeout(&addr, FOUR_LETTER_TIMEOUT).ok()?;
    stream.set_read_timeout(Some(FOUR_LETTER_TIMEOUT)).ok()?;
    stream.set_write_timeout(Some(FOUR_LETTER_TIMEOUT)).ok()?;
    stream.write_all(word.as_bytes()).ok()?;
    let mut out = String::new();
    stream.read_to_string(&mut out).ok()?;
    Some(out)
}
