//! Shared test helpers: Apache fixtures and their expected trees, and running Apache ZooKeeper
//! 3.8 (server, zkCli, its own recovery code) when `ZK_JAVA_CLASSPATH` is set.

#![allow(dead_code)] // each test binary uses a different subset

pub mod tree_target;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use zk_proto::{Acl, Id, Perms, SessionId, StatPersisted, Zxid};

/// `zk-storage/tests/data/<name>` (a dataDir holding `version-2/`).
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// The three Apache fixtures: uncompressed, gz and snappy snapshots.
pub const FIXTURES: [&str; 3] = [
    "apache-datadir",
    "apache-datadir-gz",
    "apache-datadir-snappy",
];

/// One node as Apache's `Dump.java` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedNode {
    /// `None` for null data.
    pub data: Option<Vec<u8>>,
    /// The node's ACL list.
    pub acl: Vec<Acl>,
    /// The stored stat.
    pub stat: StatPersisted,
}

/// A whole state as `Dump.java` prints it: last zxid, sessions, nodes by path ("/" = root).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExpectedTree {
    /// The last processed zxid.
    pub zxid: Zxid,
    /// The tree digest (`DataTree.getTreeDigest`), when the dump has it.
    pub digest: Option<i64>,
    /// Session id → timeout.
    pub sessions: BTreeMap<SessionId, i32>,
    /// Path → node.
    pub nodes: BTreeMap<String, ExpectedNode>,
}

fn hex_i64(s: &str) -> i64 {
    u64::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex") as i64
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex byte"))
        .collect()
}

impl ExpectedTree {
    /// Parses `Dump.java` output.
    pub fn parse(text: &str) -> ExpectedTree {
        let mut t = ExpectedTree::default();
        for line in text.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            match f[0] {
                "zxid" => t.zxid = Zxid(hex_i64(f[1])),
                "digest" => t.digest = Some(f[1].parse().unwrap()),
                "session" => {
                    t.sessions
                        .insert(SessionId(hex_i64(f[1])), f[2].parse().unwrap());
                }
                "node" => {
                    let data = (f[2] != "-").then(|| unhex(f[2]));
                    let acl = f[3]
                        .split(',')
                        .map(|a| {
                            let mut p = a.splitn(3, ':');
                            let perms = Perms(p.next().unwrap().parse().unwrap());
                            Acl::new(perms, Id::new(p.next().unwrap(), p.next().unwrap()))
                        })
                        .collect();
                    let s: Vec<&str> = f[4].split(' ').collect();
                    let stat = StatPersisted {
                        czxid: Zxid(hex_i64(s[0])),
                        mzxid: Zxid(hex_i64(s[1])),
                        ctime: s[2].parse().unwrap(),
                        mtime: s[3].parse().unwrap(),
                        version: s[4].parse().unwrap(),
                        cversion: s[5].parse().unwrap(),
                        aversion: s[6].parse().unwrap(),
                        ephemeral_owner: hex_i64(s[7]),
                        pzxid: Zxid(hex_i64(s[8])),
                    };
                    t.nodes
                        .insert(f[1].to_owned(), ExpectedNode { data, acl, stat });
                }
                other => panic!("unexpected dump line kind {other:?}"),
            }
        }
        t
    }

    /// `expected.tsv` of a fixture.
    pub fn of_fixture(name: &str) -> ExpectedTree {
        let text = std::fs::read_to_string(fixture(name).join("expected.tsv")).unwrap();
        ExpectedTree::parse(&text)
    }
}

/// Asserts two trees are equal, naming the first differing node.
pub fn assert_trees_eq(ours: &ExpectedTree, apache: &ExpectedTree, what: &str) {
    let our_paths: Vec<&String> = ours.nodes.keys().collect();
    let apache_paths: Vec<&String> = apache.nodes.keys().collect();
    assert_eq!(our_paths, apache_paths, "{what}: paths differ");
    for (path, node) in &apache.nodes {
        assert_eq!(&ours.nodes[path], node, "{what}: node {path} differs");
    }
    assert_eq!(ours.sessions, apache.sessions, "{what}: sessions differ");
    assert_eq!(ours.zxid, apache.zxid, "{what}: zxid differs");
    if let (Some(a), Some(b)) = (ours.digest, apache.digest) {
        assert_eq!(a, b, "{what}: tree digest differs");
    }
}

/// The Apache classpath from `ZK_JAVA_CLASSPATH`, or `None` after printing a skip note.
pub fn java_classpath(test: &str) -> Option<String> {
    match std::env::var("ZK_JAVA_CLASSPATH") {
        Ok(cp) if !cp.is_empty() => Some(cp),
        _ => {
            eprintln!("skipping {test}: ZK_JAVA_CLASSPATH is not set (scripts/test.sh sets it)");
            None
        }
    }
}

fn java_source(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/apache")
        .join(name)
}

/// Loads `data_dir` with Apache's own recovery (`Dump.java`) and returns what Apache sees.
pub fn apache_dump(cp: &str, data_dir: &Path, snapshot_only: bool) -> ExpectedTree {
    let mut cmd = Command::new("java");
    cmd.arg("-cp")
        .arg(cp)
        .arg(java_source("Dump.java"))
        .arg(data_dir);
    if snapshot_only {
        cmd.arg("--snapshot-only");
    }
    let out = cmd.output().expect("run java");
    assert!(
        out.status.success(),
        "Dump.java failed on {}:\n{}",
        data_dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    ExpectedTree::parse(&String::from_utf8(out.stdout).unwrap())
}

/// A free loopback port (bound, then released for the server to take).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An Apache ZooKeeper 3.8 server on 127.0.0.1, killed on drop.
pub struct ApacheServer {
    child: Child,
    /// The client port.
    pub port: u16,
    cp: String,
    log: PathBuf,
}

impl ApacheServer {
    /// Starts a standalone server on `data_dir` (which holds `version-2/`) and waits until it
    /// accepts connections.
    pub fn start(cp: &str, data_dir: &Path, work: &Path) -> ApacheServer {
        let port = free_port();
        let cfg = work.join("zoo.cfg");
        std::fs::write(
            &cfg,
            format!(
                "tickTime=2000\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
                 admin.enableServer=false\n4lw.commands.whitelist=*\n",
                data_dir.display()
            ),
        )
        .unwrap();
        let log = work.join("server.log");
        let child = Command::new("java")
            .arg("-cp")
            .arg(cp)
            .arg("-Dzookeeper.extendedTypesEnabled=true")
            .arg("org.apache.zookeeper.server.quorum.QuorumPeerMain")
            .arg(&cfg)
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(work.join("server.err")).unwrap())
            .spawn()
            .expect("start java");
        let mut server = ApacheServer {
            child,
            port,
            cp: cp.to_owned(),
            log,
        };
        // The port opens before the database is loaded; `srvr` reports a mode once serving.
        let deadline = Instant::now() + Duration::from_secs(60);
        while !server.four_letter("srvr").contains("Mode:") {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("Apache server exited with {status}: {}", server.log());
            }
            assert!(
                Instant::now() < deadline,
                "Apache server did not start: {}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    /// Sends a four-letter word and returns the reply ("" if the server is not up).
    pub fn four_letter(&self, word: &str) -> String {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return String::new();
        };
        // A command sent while Apache is still starting can go unanswered (seen once in CI):
        // give up on this try after a while; the caller polls again.
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        let _ = s.set_write_timeout(Some(Duration::from_secs(2)));
        let mut out = String::new();
        let _ = s.write_all(word.as_bytes());
        let _ = s.read_to_string(&mut out);
        out
    }

    /// The server's output so far.
    pub fn log(&self) -> String {
        let err = self.log.with_file_name("server.err");
        std::fs::read_to_string(&self.log).unwrap_or_default()
            + &std::fs::read_to_string(err).unwrap_or_default()
    }

    /// Runs one zkCli command (`ZooKeeperMain -server … <args>`) and returns its stderr then
    /// its stdout (so the last line is the command's output).
    pub fn zkcli(&self, args: &[&str]) -> String {
        let out = Command::new("java")
            .arg("-cp")
            .arg(&self.cp)
            .arg("org.apache.zookeeper.ZooKeeperMain")
            .arg("-server")
            .arg(format!("127.0.0.1:{}", self.port))
            .args(args)
            .output()
            .expect("run zkCli");
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        )
    }
}

impl Drop for ApacheServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
