//! The server under test: its address, an optional CPU probe, and session helpers.

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
    /// `host:port` of the server (loopback).
    pub server: String,
    /// Reads the server's CPU time, when its pid is known.
    pub probe: Option<CpuProbe>,
}

impl Target {
    /// A target at `server`, with a CPU probe when `pid` is given.
    pub fn new(server: impl Into<String>, pid: Option<u32>, clock_ticks: u32) -> Self {
        Target {
            server: server.into(),
            probe: pid.map(|pid| CpuProbe::new(pid, clock_ticks)),
        }
    }

    /// The server's CPU seconds so far, if probed.
    pub fn cpu(&self) -> Option<f64> {
        self.probe.and_then(|p| p.cpu_seconds())
    }

    /// Opens one session (30 s timeout, generous so a loaded machine does not expire it).
    pub async fn connect(&self) -> Result<Client> {
        Ok(Client::builder(&self.server)
            .with_session_timeout(Duration::from_secs(30))
            .with_connection_timeout(Duration::from_secs(10))
            .with_request_timeout(Duration::from_secs(120))
            .with_fail_eagerly(true)
            .connect()
            .await?)
    }

    /// Opens `n` sessions, 64 handshakes at a time.
    pub async fn connect_many(&self, n: usize) -> Result<Vec<Client>> {
        let mut clients = Vec::with_capacity(n);
        while clients.len() < n {
            let batch = CONNECT_BATCH.min(n - clients.len());
            let mut tasks = Vec::with_capacity(batch);
            for _ in 0..batch {
                let target = self.clone();
                tasks.push(tokio::spawn(async move { target.connect().await }));
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
