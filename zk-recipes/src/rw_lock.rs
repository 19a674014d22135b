//! [`ReadWriteLock`]: many readers or one writer (Curator's `InterProcessReadWriteLock`,
//! kazoo's `ReadLock`/`WriteLock`).
//!
//! # Algorithm
//!
//! Readers and writers queue as ephemeral sequential children of one path, in one sequence:
//!
//! - a **writer** holds the lock when its node is first of all; it watches the node just
//!   before its own (as [`Lock`](crate::Lock));
//! - a **reader** holds the lock when no writer's node comes before its own; it watches the
//!   nearest writer before it (the ZooKeeper recipe; Curator watches the first writer), so
//!   readers queued behind a writer all wake when it leaves, and nobody wakes for a reader.
//!
//! Writers are not starved: a reader arriving after a queued writer waits for it.
//!
//! # Layout
//!
//! ```text
//! <path>/_c_<uuid>-__READ__<seq>   reader, NodeNaming::Curator (default)
//! <path>/_c_<uuid>-__WRIT__<seq>   writer, NodeNaming::Curator
//! <path>/<uuid hex>__rlock__<seq>  reader, NodeNaming::Kazoo
//! <path>/<uuid hex>__lock__<seq>   writer, NodeNaming::Kazoo
//! ```
//!
//! Both families are recognised whatever this lock's naming.
//!
//! # Connection loss, session expiry, cost
//!
//! As [`Lock`](crate::Lock): protected creates, the guard's `lost()`/`suspended()` and fencing
//! token, release on drop. Not reentrant, and a reader cannot upgrade to a writer (Curator
//! allows the writer to take the read lock; here it would wait for itself). Every acquire and
//! release is one write through the leader.
//!
//! ```no_run
//! use zk_recipes::ReadWriteLock;
//!
//! # async fn example(client: zk_client::Client) -> zk_recipes::Result<()> {
//! let lock = ReadWriteLock::new(&client, "/app/schema");
//! let reading = lock.read().await?;      // shared with other readers
//! drop(reading);
//! let writing = lock.write().await?;     // alone
//! writing.release().await?;
//! # Ok(()) }
//! ```

use std::time::Duration;

use tokio::time::Instant;
use zk_client::Client;

use crate::error::Result;
use crate::lock::{acquire_node, LockGuard};
use crate::names::NodeNaming;
use crate::support::Turn;

/// Markers of the contenders: writers first (indexes 0 and 1), then readers.
const RW_MARKERS: &[&str] = &["__WRIT__", "__lock__", "__READ__", "__rlock__"];
const WRITER_MARKERS: usize = 2;

/// A read-write lock on a path.
#[derive(Debug, Clone)]
pub struct ReadWriteLock {
    client: Client,
    path: String,
    naming: NodeNaming,
    data: Vec<u8>,
}

impl ReadWriteLock {
    /// A read-write lock at `path` with Curator names.
    pub fn new(client: &Client, path: &str) -> Self {
        ReadWriteLock {
            client: client.clone(),
            path: path.to_owned(),
            naming: NodeNaming::Curator,
            data: Vec::new(),
        }
    }

    /// Names this lock's nodes the kazoo or the Curator way.
    pub fn with_naming(mut self, naming: NodeNaming) -> Self {
        self.naming = naming;
        self
    }

    /// The data stored in this lock's nodes.
    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.data = data.into();
        self
    }

    /// Waits for a read (shared) lock.
    pub async fn read(&self) -> Result<LockGuard> {
        Ok(self.acquire(false, None).await?.expect("no deadline"))
    }

    /// Waits at most `timeout` for a read lock.
    pub async fn read_timeout(&self, timeout: Duration) -> Result<Option<LockGuard>> {
        self.acquire(false, Some(Instant::now() + timeout)).await
    }

    /// A read lock only if no writer holds or waits for the lock.
    pub async fn try_read(&self) -> Result<Option<LockGuard>> {
        self.acquire(false, Some(Instant::now())).await
    }

    /// Waits for the write (exclusive) lock.
    pub async fn write(&self) -> Result<LockGuard> {
        Ok(self.acquire(true, None).await?.expect("no deadline"))
    }

    /// Waits at most `timeout` for the write lock.
    pub async fn write_timeout(&self, timeout: Duration) -> Result<Option<LockGuard>> {
        self.acquire(true, Some(Instant::now() + timeout)).await
    }

    /// The write lock only if nobody holds or waits for the lock.
    pub async fn try_write(&self) -> Result<Option<LockGuard>> {
        self.acquire(true, Some(Instant::now())).await
    }

    async fn acquire(&self, writer: bool, deadline: Option<Instant>) -> Result<Option<LockGuard>> {
        let name = match (self.naming, writer) {
            (NodeNaming::Curator, true) => "__WRIT__",
            (NodeNaming::Curator, false) => "__READ__",
            (NodeNaming::Kazoo, true) => "__lock__",
            (NodeNaming::Kazoo, false) => "__rlock__",
        };
        let prefix = self.naming.prefix(name);
        acquire_node(
            &self.client,
            &self.path,
            &prefix,
            &self.data,
            RW_MARKERS,
            deadline,
            |contenders, ours| {
                if writer {
                    return match ours {
                        0 => Turn::Acquired,
                        i => Turn::WaitFor(contenders[i - 1].name.clone()),
                    };
                }
                match contenders[..ours]
                    .iter()
                    .rev()
                    .find(|c| c.marker < WRITER_MARKERS)
                {
                    None => Turn::Acquired,
                    Some(writer) => Turn::WaitFor(writer.name.clone()),
                }
            },
        )
        .await
    }
}
