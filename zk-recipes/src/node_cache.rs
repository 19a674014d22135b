//! [`NodeCache`]: a local copy of one node's data and Stat, kept current by a persistent
//! (non-recursive) watch (Curator's `NodeCache`, kazoo's `DataWatch`).
//!
//! # Algorithm
//!
//! Add a persistent watch on the node (it need not exist), then read it; on every
//! `NodeCreated`/`NodeDataChanged` re-read it, on `NodeDeleted` forget it, and on
//! reconnection read it again (a persistent watch does not replay what it missed). A re-read
//! returns the node's state *now*, so bursts of changes converge. The value is published
//! through a [`tokio::sync::watch`] channel: readers see the latest value and can wait for
//! the next.
//!
//! # Layout, guarantees, cost
//!
//! Creates nothing. While disconnected the cache serves its last value; when the session
//! ends it stops ([`NodeCache::changed`] fails with [`Error::Closed`]) and keeps the last
//! value. One watch; one read per change.
//!
//! ```no_run
//! use zk_recipes::NodeCache;
//!
//! # async fn example(client: zk_client::Client) -> zk_recipes::Result<()> {
//! let cache = NodeCache::start(&client, "/app/feature-flags").await?;
//! cache.initialized().await?;
//! loop {
//!     let flags = cache.current().map(|node| node.data);
//!     println!("flags now {flags:?}");
//!     cache.changed().await?;
//! }
//! # }
//! ```

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use zk_client::{AddWatchMode, Client, Error as ClientError, PersistentWatcher};
use zk_proto::{EventType, KeeperState};

use crate::error::{Error, Result};
use crate::tree_cache::NodeData;

/// What the cache knows: `None` until loaded, then the node (`Some(None)`: it does not exist).
type Slot = Option<Option<NodeData>>;

/// A cache of one node. Stops when dropped.
#[derive(Debug)]
pub struct NodeCache {
    rx: watch::Receiver<Slot>,
    task: JoinHandle<()>,
}

impl NodeCache {
    /// Watches `path` and loads it in the background.
    pub async fn start(client: &Client, path: &str) -> Result<NodeCache> {
        let watcher = client.watch(path, AddWatchMode::Persistent).await?;
        let (tx, rx) = watch::channel(None);
        let task = tokio::spawn(run(client.clone(), path.to_owned(), watcher, tx));
        Ok(NodeCache { rx, task })
    }

    /// Waits for the first read of the node.
    pub async fn initialized(&self) -> Result<()> {
        let mut rx = self.rx.clone();
        rx.wait_for(Option::is_some)
            .await
            .map_err(|_| Error::Closed)?;
        Ok(())
    }

    /// The node as last read; `None` if it does not exist (or was not read yet).
    pub fn current(&self) -> Option<NodeData> {
        self.rx.borrow().clone().flatten()
    }

    /// Waits for the next change of the cached value and returns it.
    pub async fn changed(&self) -> Result<Option<NodeData>> {
        let mut rx = self.rx.clone();
        rx.borrow_and_update();
        rx.changed().await.map_err(|_| Error::Closed)?;
        let current = rx.borrow().clone().flatten();
        Ok(current)
    }

    /// A receiver of every published value (`None`: not loaded yet; `Some(None)`: no node).
    pub fn subscribe(&self) -> watch::Receiver<Option<Option<NodeData>>> {
        self.rx.clone()
    }
}

impl Drop for NodeCache {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn run(
    client: Client,
    path: String,
    mut watcher: PersistentWatcher,
    tx: watch::Sender<Slot>,
) {
    if !refresh(&client, &path, &tx).await {
        return;
    }
    while let Some(event) = watcher.next().await {
        let reread = match event.event_type {
            EventType::NodeCreated | EventType::NodeDataChanged | EventType::NodeDeleted => true,
            EventType::None => event.state == KeeperState::SyncConnected,
            _ => false,
        };
        if event.is_session_end() {
            return;
        }
        if reread && !refresh(&client, &path, &tx).await {
            return;
        }
    }
}

/// Reads the node and publishes it if it changed; `false` when the session ended.
async fn refresh(client: &Client, path: &str, tx: &watch::Sender<Slot>) -> bool {
    loop {
        let value = match client.get_data(path).await {
            Ok((data, stat)) => Some(NodeData {
                path: path.to_owned(),
                data,
                stat,
            }),
            Err(ClientError::NoNode) => None,
            Err(e) if e.is_terminal() => return false,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        tx.send_if_modified(|slot| {
            let changed = slot.as_ref() != Some(&value);
            *slot = Some(value);
            changed
        });
        return true;
    }
}
