//! [`TreeCache`] (Curator's `CuratorCache`): a local copy of a subtree — every node's data
//! and Stat — kept current by one persistent recursive watch, with a stream of changes.
//!
//! # Algorithm
//!
//! 1. Add a persistent recursive watch on the root (before reading, so no change between the
//!    read and the watch is missed).
//! 2. Load the subtree breadth-first; each level's reads are sent together (pipelined).
//! 3. Apply events in batches: for `NodeCreated`/`NodeDataChanged` re-read the node (all the
//!    batch's reads are sent before the first reply is awaited), for `NodeDeleted` drop the
//!    node and its descendants. A re-read answers with the node's state *now*, so a burst of
//!    changes converges to the server's state whatever got coalesced.
//! 4. ZooKeeper does not replay what a persistent watch missed while the client was
//!    disconnected: on reconnection the whole subtree is loaded again and the differences
//!    are reported as events.
//!
//! # Layout
//!
//! Reads only; creates nothing. Paths in the cache are as seen by the client (its chroot).
//!
//! # Connection loss, session expiry, cost
//!
//! While disconnected the cache keeps serving its (possibly stale) contents and reports
//! [`TreeCacheEvent::Suspended`]; on reconnection it reloads and reports
//! [`TreeCacheEvent::Reconnected`]. When the session ends the cache stops
//! ([`TreeCacheEvent::Closed`], [`CacheState::Closed`]) and keeps its last contents; start a
//! new cache on a new session. Cost: one watch, 2 reads per node at load and at each
//! reconnection, 1 read per created or changed node. Memory: a copy of the subtree.
//!
//! ```no_run
//! use zk_recipes::{TreeCache, TreeCacheEvent};
//!
//! # async fn example(client: zk_client::Client) -> zk_recipes::Result<()> {
//! let cache = TreeCache::start(&client, "/app/config").await?;
//! let mut events = cache.events();
//! cache.initialized().await?;
//! println!("{:?}", cache.get("/app/config/db").map(|n| n.data));
//! while let Some(event) = events.next().await {
//!     if let TreeCacheEvent::NodeUpdated(node) = event {
//!         println!("{} changed", node.path);
//!     }
//! }
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use zk_client::{
    AddWatchMode, Client, Error as ClientError, PersistentWatcher, Stat, WatchedEvent,
};
use zk_proto::{EventType, KeeperState};

use crate::error::{Error, Result};
use crate::names::join;

/// A node as cached: its path, data and Stat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeData {
    /// The node's path (as seen by the client).
    pub path: String,
    /// Its data.
    pub data: Bytes,
    /// Its Stat when read.
    pub stat: Stat,
}

/// A change seen by a cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeCacheEvent {
    /// A node appeared.
    NodeAdded(NodeData),
    /// A node's data (or Stat) changed.
    NodeUpdated(NodeData),
    /// A node went (its last known state).
    NodeRemoved(NodeData),
    /// The initial load is complete.
    Initialized,
    /// The connection dropped: the contents may be stale.
    Suspended,
    /// Reconnected and reloaded.
    Reconnected,
    /// The session ended; the cache no longer changes.
    Closed,
}

/// A cache's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CacheState {
    /// The initial load is under way.
    Loading,
    /// Current (as of the last event).
    Ready,
    /// Disconnected: possibly stale.
    Suspended,
    /// Stopped (session ended or cache closed).
    Closed,
}

#[derive(Debug)]
struct Shared {
    nodes: Mutex<BTreeMap<String, NodeData>>,
    subscribers: Mutex<Vec<mpsc::UnboundedSender<TreeCacheEvent>>>,
    state: watch::Sender<CacheState>,
}

impl Shared {
    fn nodes(&self) -> MutexGuard<'_, BTreeMap<String, NodeData>> {
        self.nodes.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn emit(&self, event: TreeCacheEvent) {
        let mut subscribers = self.subscribers.lock().unwrap_or_else(|e| e.into_inner());
        subscribers.retain(|tx| tx.send(event.clone()).is_ok());
    }

    fn close(&self) {
        self.state.send_replace(CacheState::Closed);
        self.emit(TreeCacheEvent::Closed);
        self.subscribers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Stores `node` and reports it as added or updated (nothing if unchanged).
    fn upsert(&self, node: NodeData) {
        let previous = self.nodes().insert(node.path.clone(), node.clone());
        match previous {
            None => self.emit(TreeCacheEvent::NodeAdded(node)),
            Some(old) if old != node => self.emit(TreeCacheEvent::NodeUpdated(node)),
            Some(_) => {}
        }
    }

    /// Drops `path` and its descendants, reporting each.
    fn remove_subtree(&self, path: &str) {
        let removed: Vec<NodeData> = {
            let mut nodes = self.nodes();
            let prefix = format!("{}/", path.trim_end_matches('/'));
            let doomed: Vec<String> = nodes
                .keys()
                .filter(|k| *k == path || k.starts_with(&prefix))
                .cloned()
                .collect();
            doomed.iter().filter_map(|k| nodes.remove(k)).collect()
        };
        // Children before parents, as ZooKeeper deletes them.
        for node in removed.into_iter().rev() {
            self.emit(TreeCacheEvent::NodeRemoved(node));
        }
    }
}

/// A cache of the subtree at a path. Stops when dropped.
#[derive(Debug)]
pub struct TreeCache {
    root: String,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl TreeCache {
    /// Watches `root` (which need not exist yet) and starts loading it in the background;
    /// see [`TreeCache::initialized`].
    pub async fn start(client: &Client, root: &str) -> Result<TreeCache> {
        let watcher = client
            .watch(root, AddWatchMode::PersistentRecursive)
            .await?;
        let (state, _) = watch::channel(CacheState::Loading);
        let shared = Arc::new(Shared {
            nodes: Mutex::new(BTreeMap::new()),
            subscribers: Mutex::new(Vec::new()),
            state,
        });
        let task = tokio::spawn(run(
            client.clone(),
            root.to_owned(),
            watcher,
            shared.clone(),
        ));
        Ok(TreeCache {
            root: root.to_owned(),
            shared,
            task,
        })
    }

    /// The cached root path.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// Waits for the initial load; fails if the cache stopped first.
    pub async fn initialized(&self) -> Result<()> {
        let mut state = self.shared.state.subscribe();
        let reached = state
            .wait_for(|s| *s != CacheState::Loading)
            .await
            .map(|s| *s)
            .unwrap_or(CacheState::Closed);
        match reached {
            CacheState::Closed => Err(Error::Closed),
            _ => Ok(()),
        }
    }

    /// The cache's state.
    pub fn state(&self) -> CacheState {
        *self.shared.state.borrow()
    }

    /// The cached node at `path`.
    pub fn get(&self, path: &str) -> Option<NodeData> {
        self.shared.nodes().get(path).cloned()
    }

    /// The cached children of `path`: their names, sorted.
    pub fn children(&self, path: &str) -> Vec<String> {
        let prefix = format!("{}/", path.trim_end_matches('/'));
        self.shared
            .nodes()
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter_map(|(k, _)| {
                let rest = &k[prefix.len()..];
                (!rest.is_empty() && !rest.contains('/')).then(|| rest.to_owned())
            })
            .collect()
    }

    /// Every cached node, by path.
    pub fn snapshot(&self) -> BTreeMap<String, NodeData> {
        self.shared.nodes().clone()
    }

    /// The number of cached nodes.
    pub fn len(&self) -> usize {
        self.shared.nodes().len()
    }

    /// True if nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A stream of changes from now on (subscribe, then read the cache, to miss nothing).
    pub fn events(&self) -> TreeCacheEvents {
        let (tx, rx) = mpsc::unbounded_channel();
        if self.state() != CacheState::Closed {
            self.shared
                .subscribers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(tx);
        }
        TreeCacheEvents { rx }
    }

    /// Stops the cache (also done on drop); its watch is removed.
    pub fn close(self) {}
}

impl Drop for TreeCache {
    fn drop(&mut self) {
        self.task.abort();
        self.shared.close();
    }
}

/// The changes of a [`TreeCache`], buffered without bound; ends after
/// [`TreeCacheEvent::Closed`].
#[derive(Debug)]
pub struct TreeCacheEvents {
    rx: mpsc::UnboundedReceiver<TreeCacheEvent>,
}

impl TreeCacheEvents {
    /// The next change; `None` once the cache stopped and every event was read.
    pub async fn next(&mut self) -> Option<TreeCacheEvent> {
        self.rx.recv().await
    }
}

impl futures_core::Stream for TreeCacheEvents {
    type Item = TreeCacheEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

/// The cache task: load, then apply batches of events until the session ends.
async fn run(client: Client, root: String, mut watcher: PersistentWatcher, shared: Arc<Shared>) {
    if load(&client, &root, &shared).await.is_err() {
        return shared.close();
    }
    shared.state.send_replace(CacheState::Ready);
    shared.emit(TreeCacheEvent::Initialized);
    while let Some(first) = watcher.next().await {
        let mut batch = vec![first];
        // Take whatever else is already queued: one round of pipelined reads for all of it.
        while let Ok(Some(event)) = tokio::time::timeout(Duration::ZERO, watcher.next()).await {
            batch.push(event);
        }
        if apply(&client, &root, &shared, batch).await.is_err() {
            break;
        }
    }
    shared.close();
}

/// Applies a batch of watch events. `Err` when the session ended.
async fn apply(
    client: &Client,
    root: &str,
    shared: &Shared,
    batch: Vec<WatchedEvent>,
) -> std::result::Result<(), ()> {
    let mut reload = false;
    // Send every read first; then apply reads and deletions in event order.
    let mut steps = Vec::new();
    for event in batch {
        match event.event_type {
            EventType::None => match event.state {
                KeeperState::Disconnected => {
                    shared.state.send_replace(CacheState::Suspended);
                    shared.emit(TreeCacheEvent::Suspended);
                }
                KeeperState::SyncConnected => reload = true,
                _ if event.is_session_end() => return Err(()),
                _ => {}
            },
            EventType::NodeCreated | EventType::NodeDataChanged => {
                let read = client.get_data(&event.path);
                steps.push((event.path, Some(read)));
            }
            EventType::NodeDeleted => steps.push((event.path, None)),
            _ => {}
        }
    }
    for (path, read) in steps {
        match read {
            None => shared.remove_subtree(&path),
            Some(read) => match read.await {
                Ok((data, stat)) => shared.upsert(NodeData { path, data, stat }),
                Err(ClientError::NoNode) => shared.remove_subtree(&path),
                Err(e) if e.is_terminal() => return Err(()),
                // Connection lost mid-batch: the reconnection's reload repairs it.
                Err(_) => {}
            },
        }
    }
    if reload {
        load(client, root, shared).await?;
        shared.state.send_replace(CacheState::Ready);
        shared.emit(TreeCacheEvent::Reconnected);
    }
    Ok(())
}

/// Loads the whole subtree and reconciles the cache with it. `Err` when the session ended.
async fn load(client: &Client, root: &str, shared: &Shared) -> std::result::Result<(), ()> {
    loop {
        match read_tree(client, root).await {
            Ok(fresh) => {
                let gone: Vec<String> = shared
                    .nodes()
                    .keys()
                    .filter(|k| !fresh.contains_key(*k))
                    .cloned()
                    .collect();
                for path in gone {
                    shared.remove_subtree(&path);
                }
                for node in fresh.into_values() {
                    shared.upsert(node);
                }
                return Ok(());
            }
            Err(e) if e.is_terminal() => return Err(()),
            Err(e) => {
                tracing::debug!(error = %e, root, "tree cache reload failed; retrying");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Reads the subtree at `root` breadth-first, one pipelined round per level.
async fn read_tree(
    client: &Client,
    root: &str,
) -> std::result::Result<BTreeMap<String, NodeData>, ClientError> {
    let mut nodes = BTreeMap::new();
    let mut level = vec![root.to_owned()];
    while !level.is_empty() {
        let reads: Vec<_> = level
            .iter()
            .map(|path| (client.get_data(path), client.get_children(path)))
            .collect();
        let mut next = Vec::new();
        for (path, (data, children)) in level.into_iter().zip(reads) {
            let (data, stat) = match data.await {
                Ok(read) => read,
                Err(ClientError::NoNode) => continue, // deleted meanwhile: an event follows
                Err(e) => return Err(e),
            };
            match children.await {
                Ok(children) => next.extend(children.iter().map(|c| join(&path, c))),
                Err(ClientError::NoNode) => {}
                Err(e) => return Err(e),
            }
            nodes.insert(path.clone(), NodeData { path, data, stat });
        }
        level = next;
    }
    Ok(nodes)
}
