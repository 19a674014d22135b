//! [`Queue`] (Curator's `SimpleDistributedQueue`, the ZooKeeper queue recipe): a FIFO of
//! byte strings in sequential nodes.
//!
//! # Algorithm
//!
//! [`Queue::offer`] creates a persistent sequential node holding the item. A consumer lists
//! the children, sorts them by sequence and, from the head, reads an item and deletes its
//! node; the consumer whose delete succeeds owns the item, the others move on to the next.
//! An empty queue is waited on with a child watch.
//!
//! # Layout
//!
//! ```text
//! <path>/qn-<seq>   persistent sequential, data: the item
//! ```
//!
//! # Limits — read before using
//!
//! ZooKeeper makes a poor queue (Curator's Tech Note 4), and this one has every limit of the
//! recipe:
//!
//! - **Size**: every take lists *all* the items; a queue of ~100k items exceeds the 1 MB
//!   reply limit (`jute.maxbuffer`) and can no longer be read at all. Items are at most
//!   1 MB each, and everything lives in the servers' memory.
//! - **Herd**: every waiting consumer is woken by every offer and races for the head; with C
//!   consumers a take costs up to C failed deletes.
//! - **Delivery**: at most once. If the connection drops after the server applied a take's
//!   delete, the reply is lost and the item with it. An `offer` whose reply is lost is not
//!   retried (it may or may not have been queued) and fails with `ConnectionLoss`.
//! - **Throughput**: every offer and every take is a write through the leader.
//!
//! Use it for small, low-rate work lists; use a real queue for anything else.
//!
//! ```no_run
//! use zk_recipes::Queue;
//!
//! # async fn example(client: zk_client::Client) -> zk_recipes::Result<()> {
//! let queue = Queue::new(&client, "/app/jobs");
//! queue.offer(b"job-1").await?;
//! let job = queue.take().await?;
//! assert_eq!(&job[..], b"job-1");
//! # Ok(()) }
//! ```

use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;
use zk_client::{Client, CreateOptions, Error as ClientError};

use crate::error::Result;
use crate::names::{join, split_sequence};
use crate::support::{ensure_dir, retry};

/// The item node prefix of Curator's SimpleDistributedQueue.
const ITEM_PREFIX: &str = "qn-";

/// A distributed FIFO queue at a path.
#[derive(Debug, Clone)]
pub struct Queue {
    client: Client,
    path: String,
}

impl Queue {
    /// The queue at `path`.
    pub fn new(client: &Client, path: &str) -> Self {
        Queue {
            client: client.clone(),
            path: path.to_owned(),
        }
    }

    /// Appends an item; returns its node's path.
    pub async fn offer(&self, item: &[u8]) -> Result<String> {
        let options = CreateOptions::persistent_sequential();
        let prefix = join(&self.path, ITEM_PREFIX);
        loop {
            match self.client.create(&prefix, item, &options).await {
                Ok((path, _)) => return Ok(path),
                Err(ClientError::NoNode) => ensure_dir(&self.client, &self.path).await?,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The head item without removing it, if any.
    pub async fn peek(&self) -> Result<Option<Bytes>> {
        for name in self.items().await? {
            match self.client.get_data(&join(&self.path, &name)).await {
                Ok((data, _)) => return Ok(Some(data)),
                Err(ClientError::NoNode) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(None)
    }

    /// Removes and returns the head item, or `None` if the queue is empty.
    pub async fn poll(&self) -> Result<Option<Bytes>> {
        let items = self.items().await?;
        self.take_first(items).await
    }

    /// Removes and returns the head item, waiting for one if the queue is empty.
    pub async fn take(&self) -> Result<Bytes> {
        Ok(self.take_until(None).await?.expect("no deadline"))
    }

    /// Like [`Queue::take`], waiting at most `timeout`.
    pub async fn take_timeout(&self, timeout: Duration) -> Result<Option<Bytes>> {
        self.take_until(Some(Instant::now() + timeout)).await
    }

    /// The number of items (a getChildren: costs as much as a take).
    pub async fn len(&self) -> Result<usize> {
        Ok(self.items().await?.len())
    }

    /// True if there is no item.
    pub async fn is_empty(&self) -> Result<bool> {
        Ok(self.len().await? == 0)
    }

    async fn take_until(&self, deadline: Option<Instant>) -> Result<Option<Bytes>> {
        loop {
            let listed = retry(deadline, || self.client.get_and_watch_children(&self.path)).await;
            let (children, watcher) = match listed {
                Ok((children, _, watcher)) => (children, Some(watcher)),
                Err(ClientError::NoNode) => (Vec::new(), None),
                Err(e) => return Err(e.into()),
            };
            if let Some(item) = self.take_first(sorted_items(children)).await? {
                return Ok(Some(item));
            }
            let Some(watcher) = watcher else {
                // No queue node yet: create it so that the next wait can watch it.
                ensure_dir(&self.client, &self.path).await?;
                continue;
            };
            match deadline {
                Some(d) => {
                    if tokio::time::timeout_at(d, watcher).await.is_err() {
                        return Ok(None);
                    }
                }
                None => {
                    watcher.await;
                }
            }
        }
    }

    /// Takes the first of `items` that no other consumer takes first.
    async fn take_first(&self, items: Vec<String>) -> Result<Option<Bytes>> {
        for name in items {
            let path = join(&self.path, &name);
            let (data, stat) = match retry(None, || self.client.get_data(&path)).await {
                Ok(read) => read,
                Err(ClientError::NoNode) => continue,
                Err(e) => return Err(e.into()),
            };
            match self.client.delete(&path, Some(stat.version)).await {
                Ok(()) => return Ok(Some(data)),
                Err(ClientError::NoNode) => continue, // another consumer took it
                Err(e) => return Err(e.into()),
            }
        }
        Ok(None)
    }

    async fn items(&self) -> Result<Vec<String>> {
        match retry(None, || self.client.get_children(&self.path)).await {
            Ok(children) => Ok(sorted_items(children)),
            Err(ClientError::NoNode) => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }
}

/// The item nodes in queue order.
fn sorted_items(children: Vec<String>) -> Vec<String> {
    let mut items: Vec<(i32, String)> = children
        .into_iter()
        .filter(|c| c.starts_with(ITEM_PREFIX))
        .filter_map(|c| split_sequence(&c).map(|(_, seq)| (seq, c.clone())))
        .collect();
    items.sort();
    items.into_iter().map(|(_, name)| name).collect()
}
