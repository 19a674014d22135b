//! Client load for the ensemble tests: writers that create uniquely named znodes
//! continuously through a multi-host connect string and record every write the ensemble
//! acknowledged, and checks that read one server directly.
//!
//! A write counts as acknowledged when its create succeeded, or when a retry after an
//! unknown outcome (connection loss) answered NODEEXISTS: names are unique, so only the
//! earlier attempt can have created the node, and the error reply is ordered after it.
//!
//! # Layout
//!
//! - [`Writers`]: the writer tasks and their [`WriterReport`]s.
//! - [`connect`], [`children_on`], [`wait_children_on`]: sessions and direct reads.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;
use tokio::task::JoinHandle;
use zk_client::{Client, ClientBuilder, CreateOptions, Error};

/// The session timeout every client asks for.
pub const SESSION_TIMEOUT: Duration = Duration::from_secs(4);
/// How long one write keeps retrying through a failover before the writer gives it up.
const WRITE_DEADLINE: Duration = Duration::from_secs(20);
/// The pause between retries of a write whose connection was lost.
const RETRY_PAUSE: Duration = Duration::from_millis(50);

/// A runtime for the clients (the test thread drives processes and polls `srvr`).
pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// A new session on `hosts` (one or many `host:port`), within 20 s.
pub async fn connect(hosts: &str) -> Client {
    let builder = ClientBuilder::new(hosts).with_session_timeout(SESSION_TIMEOUT);
    match tokio::time::timeout(Duration::from_secs(20), builder.connect()).await {
        Ok(Ok(client)) => client,
        Ok(Err(e)) => panic!("connecting to {hosts}: {e}"),
        Err(_) => panic!("connecting to {hosts}: no session within 20 s"),
    }
}

/// The sorted children of `path` on the server at `addr` alone, after a `sync` on that
/// server's session (so it has applied everything committed before).
pub async fn children_on(addr: SocketAddr, path: &str) -> Result<BTreeSet<String>, Error> {
    let builder = ClientBuilder::new(addr.to_string())
        .with_session_timeout(SESSION_TIMEOUT)
        .with_fail_eagerly(true)
        .with_request_timeout(Duration::from_secs(10));
    let client = builder.connect().await?;
    let result = async {
        client.sync(path).await?;
        client.get_children(path).await
    }
    .await;
    client.close().await;
    Ok(result?.into_iter().collect())
}

/// [`children_on`], retried for up to 30 s while the server is not (yet) serving.
pub async fn wait_children_on(addr: SocketAddr, path: &str) -> BTreeSet<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match children_on(addr, path).await {
            Ok(children) => return children,
            Err(e) if Instant::now() < deadline => {
                eprintln!("reading {path} on {addr}: {e}; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("reading {path} on {addr}: {e} (gave up after 30 s)"),
        }
    }
}

/// Creates `path` until the ensemble acknowledges it; see the module docs.
pub async fn create_acknowledged(client: &Client, path: &str) -> Result<u32, Error> {
    let started = Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        match client
            .create(path, path.as_bytes(), &CreateOptions::persistent())
            .await
        {
            Ok(_) => return Ok(attempts),
            Err(Error::NodeExists) if attempts > 1 => return Ok(attempts),
            Err(e) if e.is_retryable() && started.elapsed() < WRITE_DEADLINE => {
                tokio::time::sleep(RETRY_PAUSE).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// What one writer did.
#[derive(Debug, Default)]
pub struct WriterReport {
    /// The writer's name (prefix of its znodes).
    pub name: String,
    /// Paths the ensemble acknowledged, in order.
    pub acked: Vec<String>,
    /// Attempts beyond the first, summed over all writes.
    pub retries: u64,
    /// Times the session expired (the writer then continued on a new session).
    pub expiries: u64,
    /// Writes given up, with the error: their outcome is unknown.
    pub gave_up: Vec<(String, String)>,
}

/// Writer tasks creating `<dir>/<name>-<n>` continuously: several sessions, each with several
/// lanes (a lane waits for its write before the next, so a session has as many writes in
/// flight as it has lanes).
pub struct Writers {
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<usize>>,
    in_flight: usize,
    handles: Vec<JoinHandle<Vec<WriterReport>>>,
}

impl Writers {
    /// Creates `dir` and starts `sessions` sessions on `hosts`, each writing from `lanes`
    /// lanes.
    pub fn start(rt: &Runtime, hosts: &str, dir: &str, sessions: usize, lanes: usize) -> Writers {
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(Mutex::new(0));
        rt.block_on(async {
            let client = connect(hosts).await;
            create_acknowledged(&client, dir)
                .await
                .unwrap_or_else(|e| panic!("create {dir}: {e}"));
            client.close().await;
        });
        let handles = (0..sessions)
            .map(|s| {
                let (hosts, dir) = (hosts.to_owned(), dir.to_owned());
                let (stop, acked) = (stop.clone(), acked.clone());
                rt.spawn(async move {
                    let client = connect(&hosts).await;
                    let lanes: Vec<_> = (0..lanes)
                        .map(|l| {
                            let lane = Lane {
                                hosts: hosts.clone(),
                                dir: dir.clone(),
                                name: format!("s{s}l{l}"),
                                stop: stop.clone(),
                                acked: acked.clone(),
                            };
                            tokio::spawn(lane.run(client.clone()))
                        })
                        .collect();
                    let mut reports = Vec::new();
                    for lane in lanes {
                        reports.push(lane.await.expect("writer lane panicked"));
                    }
                    client.close().await;
                    reports
                })
            })
            .collect();
        Writers {
            stop,
            acked,
            in_flight: sessions * lanes,
            handles,
        }
    }

    /// Writes acknowledged so far, all writers together.
    pub fn acked(&self) -> usize {
        *self.acked.lock().expect("lock")
    }

    /// How many writes can be in flight at once (sessions times lanes).
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Waits until `more` further writes are acknowledged; returns how long it took.
    pub fn wait_for_progress(&self, more: usize, within: Duration) -> Duration {
        let started = Instant::now();
        let target = self.acked() + more;
        while self.acked() < target {
            assert!(
                started.elapsed() < within,
                "writes stalled: {} of {more} more acknowledged in {within:?}",
                more + self.acked() - target
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        started.elapsed()
    }

    /// Stops the writers (each lane finishes its current write) and returns one report per
    /// lane.
    pub fn stop(self, rt: &Runtime) -> Vec<WriterReport> {
        self.stop.store(true, Ordering::SeqCst);
        rt.block_on(async {
            let mut reports = Vec::new();
            for handle in self.handles {
                let lanes = tokio::time::timeout(Duration::from_secs(40), handle)
                    .await
                    .expect("a writer did not stop within 40 s")
                    .expect("writer task panicked");
                reports.extend(lanes);
            }
            reports
        })
    }
}

/// One lane of a writer session.
struct Lane {
    hosts: String,
    dir: String,
    name: String,
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<usize>>,
}

impl Lane {
    async fn run(self, mut client: Client) -> WriterReport {
        let mut report = WriterReport {
            name: self.name.clone(),
            ..WriterReport::default()
        };
        let mut own_session = false;
        let mut n = 0u64;
        while !self.stop.load(Ordering::SeqCst) {
            let path = format!("{}/{}-{n:08}", self.dir, self.name);
            n += 1;
            match create_acknowledged(&client, &path).await {
                Ok(attempts) => {
                    report.retries += u64::from(attempts - 1);
                    report.acked.push(path);
                    *self.acked.lock().expect("lock") += 1;
                }
                Err(Error::SessionExpired) => {
                    // The write's outcome is unknown; carry on with a session of its own.
                    report.expiries += 1;
                    report.gave_up.push((path, "session expired".into()));
                    if own_session {
                        client.close().await;
                    }
                    client = connect(&self.hosts).await;
                    own_session = true;
                }
                Err(e) => report.gave_up.push((path, e.to_string())),
            }
        }
        if own_session {
            client.close().await;
        }
        report
    }
}

/// Every acknowledged path of `reports`.
pub fn all_acked(reports: &[WriterReport]) -> Vec<String> {
    reports
        .iter()
        .flat_map(|r| r.acked.iter().cloned())
        .collect()
}

/// One line per writer, for the test's output.
pub fn summary(reports: &[WriterReport]) -> String {
    let lines: Vec<String> = reports
        .iter()
        .map(|r| {
            format!(
                "{}: {} acknowledged, {} retries, {} expiries, {} given up {:?}",
                r.name,
                r.acked.len(),
                r.retries,
                r.expiries,
                r.gave_up.len(),
                r.gave_up.iter().take(3).collect::<Vec<_>>()
            )
        })
        .collect();
    lines.join("\n")
}

/// The basename of each of `paths` (what `getChildren` lists).
pub fn names(paths: &[String]) -> BTreeSet<String> {
    paths
        .iter()
        .map(|p| p.rsplit('/').next().expect("name").to_owned())
        .collect()
}
