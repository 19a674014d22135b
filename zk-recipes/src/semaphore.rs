//! [`Semaphore`]: at most N holders of leases at once (Curator's `InterProcessSemaphoreV2`).
//!
//! # Algorithm
//!
//! Curator's V2 algorithm, with the same layout:
//!
//! 1. Take the semaphore's internal [`Lock`] at `<path>/locks`: acquirers queue there, so
//!    only one of them at a time watches the leases (no herd effect).
//! 2. Create an ephemeral sequential lease node under `<path>/leases`.
//! 3. List the leases with a child watch; if there are at most N, the lease is held; else
//!    wait for a lease to go and look again.
//! 4. Release the internal lock (whether or not a lease was obtained).
//!
//! A lease is released by deleting its node ([`LockGuard::release`] or drop).
//!
//! # Layout
//!
//! ```text
//! <path>/locks/_c_<uuid>-lock-<seq>     the acquirers' queue (a Lock)
//! <path>/leases/_c_<uuid>-lease-<seq>   one ephemeral sequential node per lease held
//! ```
//!
//! The limit N is not stored: every process must use the same one (Curator's
//! `SharedCountReader` variant, a limit kept in a node, is not implemented).
//!
//! # Connection loss, session expiry, cost
//!
//! A lease is a [`LockGuard`] on its node: protected create, `lost()` when the session
//! ends, `suspended()` on disconnection, released on drop. An acquire costs 2 writes for
//! the internal lock plus 1 for the lease (and 1 to release it); all go through the leader.
//!
//! ```no_run
//! use zk_recipes::Semaphore;
//!
//! # async fn example(client: zk_client::Client) -> zk_recipes::Result<()> {
//! let downloads = Semaphore::new(&client, "/app/download-slots", 3);
//! let lease = downloads.acquire().await?; // at most 3 holders at a time
//! lease.release().await?;
//! # Ok(()) }
//! ```

use std::time::Duration;

use tokio::time::Instant;
use zk_client::{Client, CreateMode, Error as ClientError};

use crate::error::{Error, Result};
use crate::lock::{Lock, LockGuard};
use crate::names::{join, NodeNaming};
use crate::support::{create_protected, retry, NodeGuard};

/// A counting semaphore of `max_leases` leases on a path.
#[derive(Debug, Clone)]
pub struct Semaphore {
    client: Client,
    path: String,
    max_leases: usize,
    data: Vec<u8>,
}

impl Semaphore {
    /// A semaphore at `path` allowing `max_leases` holders (at least 1).
    pub fn new(client: &Client, path: &str, max_leases: usize) -> Self {
        Semaphore {
            client: client.clone(),
            path: path.to_owned(),
            max_leases: max_leases.max(1),
            data: Vec::new(),
        }
    }

    /// The data stored in the lease nodes.
    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.data = data.into();
        self
    }

    /// Waits for a lease.
    pub async fn acquire(&self) -> Result<LockGuard> {
        Ok(self.acquire_until(None).await?.expect("no deadline"))
    }

    /// Waits at most `timeout` for a lease.
    pub async fn acquire_timeout(&self, timeout: Duration) -> Result<Option<LockGuard>> {
        self.acquire_until(Some(Instant::now() + timeout)).await
    }

    /// A lease only if one is free now.
    pub async fn try_acquire(&self) -> Result<Option<LockGuard>> {
        self.acquire_until(Some(Instant::now())).await
    }

    /// The lease nodes' names (held leases, plus at most one waiting for a free slot).
    pub async fn leases(&self) -> Result<Vec<String>> {
        match self.client.get_children(&self.leases_dir()).await {
            Err(ClientError::NoNode) => Ok(Vec::new()),
            other => Ok(other?),
        }
    }

    fn leases_dir(&self) -> String {
        join(&self.path, "leases")
    }

    async fn acquire_until(&self, deadline: Option<Instant>) -> Result<Option<LockGuard>> {
        let mutex = Lock::new(&self.client, &join(&self.path, "locks"));
        let Some(queue) = mutex.acquire_until(deadline).await? else {
            return Ok(None);
        };
        let lease = self.take_lease(deadline).await;
        queue.release().await?;
        lease
    }

    /// Steps 2 and 3, while holding the internal lock.
    async fn take_lease(&self, deadline: Option<Instant>) -> Result<Option<LockGuard>> {
        let dir = self.leases_dir();
        let prefix = NodeNaming::Curator.prefix("lease-");
        let mut cleanup = NodeGuard::new(&self.client, &dir, &prefix);
        let (ours, stat) = create_protected(
            &self.client,
            &dir,
            &prefix,
            &self.data,
            CreateMode::EphemeralSequential,
        )
        .await?;
        cleanup.created(&ours);
        loop {
            let (children, _, watcher) =
                retry(deadline, || self.client.get_and_watch_children(&dir)).await?;
            if !children.contains(&ours) {
                return Err(Error::NodeLost(join(&dir, &ours)));
            }
            if children.len() <= self.max_leases {
                cleanup.disarm();
                return Ok(Some(LockGuard::new(&self.client, join(&dir, &ours), stat)));
            }
            match deadline {
                Some(d) => {
                    if tokio::time::timeout_at(d, watcher).await.is_err() {
                        return Ok(None); // `cleanup` deletes the lease node
                    }
                }
                None => {
                    watcher.await;
                }
            }
        }
    }
}
