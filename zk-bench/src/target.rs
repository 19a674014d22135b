//! The server under test: its address (one server or an ensemble's connect string), an
//! optional CPU probe, and session helpers.
//!
//! Against an ensemble (`--server h1:p1,h2:p2,h3:p3`), sessions are spread over the servers
//! deterministically rather than by the client's random shuffle: session `i` of
//! [`Target::connect_many`] tries server `i mod n` first, and [`Target::connect`] the first
//! server listed, so runs against two ensembles load their members the same way.

use std::time::Duration;

use zk_client::{Client, CreateOptions, Error as ZkError};

use crate::probe::CpuProbe;
use crate::Result;

/// Sessions opened at once by [`Target::connect_many`] (a burst of thousands of handshakes
/// would measure the accept queue, not the server).
const CONNECT_BATCH: usize = 64;

/// Where the workloads send their requests.
#[derive(Debug, Clone)]
pub struct Target {
    /// `host:port` of the server (loopback), or a comma-separated list of an ensemble's.
    pub server: String,
    /// Reads the server's CPU time, when its pid is known.
    pub probe: Option<CpuProbe>,
}

impl Target {
    /// A target at `server`, with a CPU probe summing the processes `pids` (none: no probe).
    pub fn new(server: impl Into<String>, pids: &[u32], clock_ticks: u32) -> Self {
        Target {
            server: server.into(),
            probe: (!pids.is_empty()).then(|| CpuProbe::of_processes(pids, clock_ticks)),
        }
    }

    /// The server's CPU seconds so far (summed over the probed processes), if probed.
    pub fn cpu(&self) -> Option<f64> {
        self.probe.as_ref().and_then(CpuProbe::cpu_seconds)
    }

    /// Opens one session on the first server listed (30 s timeout, generous so a loaded
    /// machine does not expire it).
    pub async fn connect(&self) -> Result<Client> {
        self.connect_nth(0).await
    }

    /// Opens session number `i`: it tries server `i mod n` first, then the others in order.
    async fn connect_nth(&self, i: usize) -> Result<Client> {
        Ok(Client::builder(&rotated(&self.server, i))
            .with_session_timeout(Duration::from_secs(30))
            .with_connection_timeout(Duration::from_secs(10))
            .with_request_timeout(Duration::from_secs(120))
            .with_fail_eagerly(true)
            .with_randomized_hosts(false)
            .connect()
            .await?)
    }

    /// Opens `n` sessions, 64 handshakes at a time, spread round-robin over the servers.
    pub async fn connect_many(&self, n: usize) -> Result<Vec<Client>> {
        let mut clients = Vec::with_capacity(n);
        while clients.len() < n {
            let batch = CONNECT_BATCH.min(n - clients.len());
            let mut tasks = Vec::with_capacity(batch);
            for k in 0..batch {
                let target = self.clone();
                let i = clients.len() + k;
                tasks.push(tokio::spawn(async move { target.connect_nth(i).await }));
            }
            for task in tasks {
                clients.push(task.await.expect("connect task panicked")?);
            }
        }
        Ok(clients)
    }
}

impl Target {
    /// Polls (every 20 ms) until a session opens and `/` can be read; returns the time it
    /// took. For start-up and restart-to-serving times.
    pub async fn wait_ready(&self, limit: Duration) -> Result<Duration> {
        let started = std::time::Instant::now();
        loop {
            let attempt = async {
                let client = Client::builder(&self.server)
                    .with_session_timeout(Duration::from_secs(10))
                    .with_connection_timeout(Duration::from_secs(2))
                    .with_fail_eagerly(true)
                    .connect()
                    .await?;
                let read = client.exists("/").await;
                client.close().await;
                read.map(drop)
            };
            match tokio::time::timeout(Duration::from_secs(5), attempt).await {
                Ok(Ok(())) => return Ok(started.elapsed()),
                Ok(Err(err)) if started.elapsed() >= limit => return Err(err.into()),
                Err(_) if started.elapsed() >= limit => return Err(ZkError::ConnectionLoss.into()),
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }
}

/// `connect` (hosts, then an optional chroot) with its host list rotated left by `i mod n`:
/// the connect string of session `i`.
fn rotated(connect: &str, i: usize) -> String {
    let (hosts, chroot) = connect.split_at(connect.find('/').unwrap_or(connect.len()));
    let mut hosts: Vec<&str> = hosts.split(',').collect();
    let n = hosts.len();
    hosts.rotate_left(i % n);
    format!("{}{chroot}", hosts.join(","))
}

/// Creates `path` with `data` if missing, or overwrites its data if present.
pub async fn put(client: &Client, path: &str, data: &[u8]) -> Result<()> {
    match client
        .create(path, data, &CreateOptions::persistent())
        .await
    {
        Ok(_) => Ok(()),
        Err(ZkError::NodeExists) => Ok(client.set_data(path, data, None).await.map(drop)?),
        Err(err) => Err(err.into()),
    }
}

/// Closes every session, concurrently.
pub async fn close_all(clients: Vec<Client>) {
    let closes: Vec<_> = clients.iter().map(|c| tokio::spawn(c.close())).collect();
    for close in closes {
        let _ = close.await;
    }
}

#[cfg(test)]
mod tests {
    use super::rotated;

    #[test]
    fn rotated_puts_server_i_mod_n_first_and_keeps_the_chroot() {
        let ensemble = "127.0.0.1:1,127.0.0.1:2,127.0.0.1:3/app";
        assert_eq!(rotated(ensemble, 0), ensemble);
        assert_eq!(
            rotated(ensemble, 1),
            "127.0.0.1:2,127.0.0.1:3,127.0.0.1:1/app"
        );
        assert_eq!(
            rotated(ensemble, 5),
            "127.0.0.1:3,127.0.0.1:1,127.0.0.1:2/app"
        );
    }

    #[test]
    fn rotated_leaves_a_single_server_alone() {
        assert_eq!(rotated("127.0.0.1:2181", 7), "127.0.0.1:2181");
    }
}
