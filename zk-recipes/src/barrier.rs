//! [`Barrier`] (Curator's `DistributedBarrier`): processes wait until a node is gone.
//!
//! # Algorithm
//!
//! The barrier is up while its node exists. [`Barrier::set`] creates it, [`Barrier::remove`]
//! deletes it, and [`Barrier::wait`] sets an exists watch and waits until the node is gone.
//!
//! # Layout
//!
//! ```text
//! <path>   persistent, empty (ancestors created as containers)
//! ```
//!
//! # Connection loss, session expiry, cost
//!
//! The node is persistent, so the barrier outlives the session that set it (a crashed
//! coordinator leaves it up: someone must remove it). Waiters survive connection loss (the
//! watch is re-registered and fires at once if the node went meanwhile); a waiter whose
//! session expires gets the client's error. Setting and removing are one write each; each
//! waiter holds one watch, and a removal wakes all waiters (that is the point).
//!
//! ```no_run
//! use zk_recipes::Barrier;
//!
//! # async fn example(client: zk_client::Client) -> zk_recipes::Result<()> {
//! let barrier = Barrier::new(&client, "/app/maintenance");
//! barrier.set().await?;
//! // elsewhere: barrier.wait().await? returns once the barrier is removed
//! barrier.remove().await?;
//! # Ok(()) }
//! ```

use std::time::Duration;

use tokio::time::Instant;
use zk_client::{Client, CreateOptions, Error as ClientError};

use crate::error::Result;
use crate::names::parent;
use crate::support::{delete_quietly, ensure_dir, retry};

/// A barrier at a path: up while the node exists.
#[derive(Debug, Clone)]
pub struct Barrier {
    client: Client,
    path: String,
}

impl Barrier {
    /// The barrier at `path`.
    pub fn new(client: &Client, path: &str) -> Self {
        Barrier {
            client: client.clone(),
            path: path.to_owned(),
        }
    }

    /// Raises the barrier (creates the node; already up is fine).
    pub async fn set(&self) -> Result<()> {
        loop {
            let created = retry(None, || {
                self.client
                    .create(&self.path, b"", &CreateOptions::persistent())
            })
            .await;
            match created {
                Ok(_) | Err(ClientError::NodeExists) => return Ok(()),
                Err(ClientError::NoNode) => ensure_dir(&self.client, parent(&self.path)).await?,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Removes the barrier, releasing every waiter (already down is fine).
    pub async fn remove(&self) -> Result<()> {
        delete_quietly(&self.client, &self.path).await
    }

    /// True while the barrier is up.
    pub async fn is_set(&self) -> Result<bool> {
        Ok(retry(None, || self.client.exists(&self.path))
            .await?
            .is_some())
    }

    /// Waits until the barrier is down.
    pub async fn wait(&self) -> Result<()> {
        self.wait_until(None).await.map(drop)
    }

    /// Waits at most `timeout` for the barrier to go down: `Ok(false)` if it is still up.
    pub async fn wait_timeout(&self, timeout: Duration) -> Result<bool> {
        self.wait_until(Some(Instant::now() + timeout)).await
    }

    async fn wait_until(&self, deadline: Option<Instant>) -> Result<bool> {
        loop {
            let (stat, watcher) =
                retry(deadline, || self.client.check_and_watch_stat(&self.path)).await?;
            if stat.is_none() {
                return Ok(true);
            }
            match deadline {
                Some(d) => {
                    if tokio::time::timeout_at(d, watcher).await.is_err() {
                        return Ok(false);
                    }
                }
                None => {
                    watcher.await;
                }
            }
        }
    }
}
