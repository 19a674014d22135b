//! Interop with a lock implementation nobody here wrote: kazoo's `Lock` (Python) and ours
//! contend for one lock path; a file created with O_EXCL inside each critical section proves
//! that they never hold it together. Needs `ZK_PYTHON` (a python with kazoo; scripts/test.sh
//! sets it); prints SKIP otherwise.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{within, Env};
use zk_recipes::{Lock, NodeNaming};

/// kazoo's side: `rounds` times take the lock, prove exclusivity with the marker file, hold it
/// a moment, release. `extra` is kazoo's `extra_lock_patterns` (empty: none).
const KAZOO_SCRIPT: &str = r#"
import os, sys, time
from kazoo.client import KazooClient
hosts, path, rounds, marker, extra = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
zk = KazooClient(hosts=hosts, timeout=20)
zk.start(timeout=20)
patterns = (extra,) if extra else ()
lock = zk.Lock(path, "kazoo", extra_lock_patterns=patterns)
print("kazoo ready", flush=True)
sys.stdin.readline()  # wait until the Rust contenders run
for i in range(rounds):
    lock.acquire(timeout=30)
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        print("VIOLATION: the lock is held by someone else too", flush=True)
        sys.exit(3)
    os.close(fd)
    with open(marker + ".log", "a") as log:
        log.write("K")
    time.sleep(0.005)
    os.unlink(marker)
    lock.release()
    print("kazoo held", i, flush=True)
zk.stop()
print("kazoo done", flush=True)
"#;

async fn contend_with_kazoo(test: &str, naming: NodeNaming, extra_patterns: &str) {
    let Ok(python) = std::env::var("ZK_PYTHON") else {
        println!(
            "SKIP: ZK_PYTHON is not set (run scripts/test.sh, or point it at a python with kazoo)"
        );
        return;
    };
    let env = Env::new(test).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("critical-section");
    let rounds = 15;
    let mut kazoo = tokio::process::Command::new(python)
        .args(["-c", KAZOO_SCRIPT, &env.connect_string(), "/shared-lock"])
        .arg(rounds.to_string())
        .arg(&marker)
        .arg(extra_patterns)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start kazoo");

    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
    let mut lines = tokio::io::BufReader::new(kazoo.stdout.take().unwrap()).lines();
    let ready = within("kazoo to start", lines.next_line())
        .await
        .expect("read kazoo");
    assert_eq!(ready.as_deref(), Some("kazoo ready"));

    // Our contenders keep going until kazoo is through, so the two really contend.
    let kazoo_done = Arc::new(AtomicBool::new(false));
    let mut ours = Vec::new();
    for _ in 0..2 {
        let client = env.client().await;
        let marker = marker.clone();
        let kazoo_done = kazoo_done.clone();
        ours.push(tokio::spawn(async move {
            let lock = Lock::new(&client, "/shared-lock").with_naming(naming);
            let mut rounds = 0;
            while rounds < 5 || !kazoo_done.load(Ordering::SeqCst) {
                let guard = lock.acquire().await.expect("acquire");
                enter(&marker);
                log_holder(&marker, "R");
                tokio::time::sleep(Duration::from_millis(5)).await;
                std::fs::remove_file(&marker).expect("leave the critical section");
                guard.release().await.expect("release");
                rounds += 1;
            }
            client.close().await;
        }));
    }
    let mut stdin = kazoo.stdin.take().unwrap();
    stdin.write_all(b"go\n").await.expect("start kazoo");
    let mut out = String::new();
    while let Some(line) = within("kazoo output", lines.next_line())
        .await
        .expect("read")
    {
        out.push_str(&line);
        out.push('\n');
    }
    kazoo_done.store(true, Ordering::SeqCst);
    for task in ours {
        within("our contenders", task)
            .await
            .expect("our contender failed");
    }
    let status = within("kazoo", kazoo.wait()).await.expect("wait for kazoo");
    let mut err = String::new();
    kazoo
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .await
        .unwrap();
    assert!(status.success(), "kazoo failed ({status}):\n{out}\n{err}");
    assert!(out.contains("kazoo done"), "{out}");
    assert_eq!(out.matches("kazoo held").count(), rounds);
    // The holders' log: K for kazoo, R for ours. Hand-overs both ways show real contention.
    let log = std::fs::read_to_string(marker.with_extension("log")).expect("log");
    let handovers = log.as_bytes().windows(2).filter(|w| w[0] != w[1]).count();
    assert!(handovers >= 2, "kazoo and our lock never alternated: {log}");
}

fn log_holder(marker: &Path, who: &str) {
    use std::io::Write;
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(marker.with_extension("log"))
        .expect("open log");
    log.write_all(who.as_bytes()).expect("write log");
}

/// Our side of the exclusivity proof.
fn enter(marker: &Path) {
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(marker)
    {
        Ok(_) => {}
        Err(e) => panic!("VIOLATION: the lock is held by someone else too ({e})"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kazoo_with_extra_lock_patterns_and_our_curator_names_exclude_each_other() {
    contend_with_kazoo("kazoo-curator-names", NodeNaming::Curator, "-lock-").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_kazoo_and_our_kazoo_names_exclude_each_other() {
    contend_with_kazoo("kazoo-kazoo-names", NodeNaming::Kazoo, "").await;
}
