//! [`Lock`]: an exclusive lock across processes (Curator's `InterProcessMutex`, kazoo's
//! `Lock`), and [`LockGuard`], the proof of holding it.
//!
//! # Algorithm
//!
//! The ZooKeeper lock recipe without herd effect:
//!
//! 1. Create an ephemeral sequential node under the lock path, named with a fresh uuid
//!    ([`NodeNaming`]).
//! 2. List the children; keep the contenders (names ending in `-lock-<seq>` or
//!    `__lock__<seq>`, whichever library made them) and sort them by sequence.
//! 3. If ours is first, the lock is held. Otherwise watch **only the contender just before
//!    ours** (getData with a watch) and go to 2 when it changes or goes. A release wakes one
//!    waiter, never all of them, and waiters are served in the order they arrived.
//!
//! # Layout
//!
//! ```text
//! <path>/_c_<uuid>-lock-<seq>    ephemeral sequential, NodeNaming::Curator (default)
//! <path>/<uuid hex>__lock__<seq> ephemeral sequential, NodeNaming::Kazoo
//! <path> and its ancestors       containers, created when missing
//! ```
//!
//! Data: the bytes given to [`Lock::with_data`] (empty by default; kazoo stores its
//! identifier, Curator the local address).
//!
//! Both families are recognised as contenders whatever this lock's own naming, so a Rust
//! process shares a lock with Curator processes (same names) and with kazoo processes whose
//! `Lock` is given `extra_lock_patterns=("-lock-",)` (or with this lock in
//! [`NodeNaming::Kazoo`] mode). Sequence numbers come from one counter per parent, so every
//! client sorts the mixed contenders the same way.
//!
//! # Connection loss and session expiry
//!
//! - **Create reply lost** (connection dropped after the server applied the create): the node
//!   is found again by its uuid prefix before any new create (Curator's protected mode), so
//!   no orphan node blocks the lock.
//! - **Disconnected while holding**: the session, and so the node, may still be alive, but
//!   nothing proves it: [`LockGuard::is_held`] turns false and [`LockGuard::suspended`]
//!   resolves. If the client reconnects within the session timeout the lock is held again,
//!   uninterrupted from every other client's point of view.
//! - **Session expired**: the server deleted the node, so another contender may hold the lock
//!   now. [`LockGuard::lost`] resolves with [`LockLoss::SessionEnded`]. A process that was
//!   paused (GC, swap, SIGSTOP) longer than the session timeout learns this only when it
//!   runs again, after the next holder may have started (Curator's TN10): pass
//!   [`LockGuard::fencing_token`] to the resources the lock protects and have them refuse
//!   tokens older than the newest seen.
//! - **Cancellation**: dropping an `acquire` future deletes the contender's node (found by
//!   prefix if its create was still in flight), so a timed-out or cancelled waiter never
//!   blocks the lock.
//!
//! # Release on drop
//!
//! Rust has no async drop. [`LockGuard::release`] deletes the node and reports the outcome;
//! dropping the guard instead sends the delete at once (the client sends a request when the
//! call is made, not when its future is polled) and, inside a tokio runtime, spawns a task
//! that retries it after a connection loss. Without a runtime a delete lost with the
//! connection leaves the node until the session ends.
//!
//! # Cost
//!
//! An uncontended acquire is 1 write (create) and 1 read (getChildren); a release is 1 write
//! (delete). A waiter adds a getData with watch and one more getChildren per wake-up. **Every
//! acquire and release is a write, and every write goes through the leader and a quorum
//! fsync**, so under heavy contention the lock's throughput is bounded by the ensemble's write
//! throughput (two writes per hand-over), not by the number of clients: about 1000
//! hand-overs/s on our standalone server on a small machine (see the crate docs for the
//! figures and `benches/lock.rs` for the benchmark).
//!
//! Not reentrant: a second `acquire` of the same [`Lock`] by its holder waits for itself.
//!
//! # Examples
//!
//! ```no_run
//! use std::time::Duration;
//! use zk_recipes::Lock;
//!
//! # async fn example(client: zk_client::Client) -> zk_recipes::Result<()> {
//! let lock = Lock::new(&client, "/app/locks/reindex");
//! if let Some(guard) = lock.acquire_timeout(Duration::from_secs(5)).await? {
//!     let token = guard.fencing_token(); // hand to the storage layer
//!     tokio::select! {
//!         _ = do_work(token) => {}
//!         loss = guard.suspended() => eprintln!("stop: lock in doubt ({loss:?})"),
//!     }
//!     guard.release().await?;
//! }
//! # Ok(()) }
//! # async fn do_work(_token: i64) {}
//! ```

use std::time::Duration;

use tokio::time::Instant;
use zk_client::{Client, CreateMode, Error as ClientError, SessionEvent, SessionState, Stat};
use zk_proto::EventType;

use crate::error::Result;
use crate::names::{join, split_sequence, Contender, NodeNaming};
use crate::support::{create_protected, delete_in_background, wait_for_turn, NodeGuard, Turn};

/// The contender markers of an exclusive lock: Curator's `lock-` and kazoo's `__lock__`.
pub(crate) const LOCK_MARKERS: &[&str] = &["-lock-", "__lock__"];

/// An exclusive lock on a path. Cheap to clone; each [`Lock::acquire`] is a new contender.
#[derive(Debug, Clone)]
pub struct Lock {
    client: Client,
    path: String,
    naming: NodeNaming,
    data: Vec<u8>,
}

impl Lock {
    /// A lock at `path` (created with its ancestors when first needed) with Curator names.
    pub fn new(client: &Client, path: &str) -> Self {
        Lock {
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

    /// The data stored in this lock's nodes (e.g. an identifier for operators).
    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.data = data.into();
        self
    }

    /// The lock's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Waits as long as it takes for the lock.
    pub async fn acquire(&self) -> Result<LockGuard> {
        let guard = self.acquire_until(None).await?;
        Ok(guard.expect("no deadline, so the lock is acquired or an error returned"))
    }

    /// Waits at most `timeout` for the lock; `Ok(None)` if it was not acquired in time (the
    /// contender's node is deleted again).
    pub async fn acquire_timeout(&self, timeout: Duration) -> Result<Option<LockGuard>> {
        self.acquire_until(Some(Instant::now() + timeout)).await
    }

    /// Takes the lock only if nobody holds it or waits for it; `Ok(None)` otherwise. Costs
    /// a create and a delete even when it fails, as in Curator.
    pub async fn try_acquire(&self) -> Result<Option<LockGuard>> {
        self.acquire_until(Some(Instant::now())).await
    }

    pub(crate) async fn acquire_until(
        &self,
        deadline: Option<Instant>,
    ) -> Result<Option<LockGuard>> {
        let name = match self.naming {
            NodeNaming::Curator => "lock-",
            NodeNaming::Kazoo => "__lock__",
        };
        acquire_node(
            &self.client,
            &self.path,
            &self.naming.prefix(name),
            &self.data,
            LOCK_MARKERS,
            deadline,
            |contenders, index| match index {
                0 => Turn::Acquired,
                i => Turn::WaitFor(contenders[i - 1].name.clone()),
            },
        )
        .await
    }

    /// The current contenders' node names in lock order: the holder first.
    pub async fn contenders(&self) -> Result<Vec<String>> {
        let children = match self.client.get_children(&self.path).await {
            Err(ClientError::NoNode) => Vec::new(),
            other => other?,
        };
        Ok(crate::names::sorted_contenders(children, LOCK_MARKERS)
            .into_iter()
            .map(|c| c.name)
            .collect())
    }
}

/// One contender of a lock-like recipe: creates its node `dir/prefix<seq>` (protected), waits
/// for its turn as `decide` says, and hands the node over as a guard; deletes the node again
/// if the deadline passes or the future is dropped.
pub(crate) async fn acquire_node(
    client: &Client,
    dir: &str,
    prefix: &str,
    data: &[u8],
    markers: &[&str],
    deadline: Option<Instant>,
    decide: impl FnMut(&[Contender], usize) -> Turn,
) -> Result<Option<LockGuard>> {
    let mut cleanup = NodeGuard::new(client, dir, prefix);
    let create = create_protected(client, dir, prefix, data, CreateMode::EphemeralSequential);
    let (ours, stat) = match deadline {
        // Give the create a little grace past a zero deadline: try_acquire must try.
        Some(d) => match tokio::time::timeout_at(d.max(Instant::now()) + GRACE, create).await {
            Ok(created) => created?,
            Err(_) => return Ok(None), // `cleanup` finds the node by prefix
        },
        None => create.await?,
    };
    cleanup.created(&ours);
    if !wait_for_turn(client, dir, &ours, markers, deadline, decide).await? {
        return Ok(None); // `cleanup` deletes our node
    }
    cleanup.disarm();
    Ok(Some(LockGuard::new(client, join(dir, &ours), stat)))
}

/// How long a create may take past a zero deadline.
const GRACE: Duration = Duration::from_secs(5);

/// Why a held lock (or lease, or leadership) was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LockLoss {
    /// The session expired or the client was closed: the server deleted the node.
    SessionEnded,
    /// The node was deleted while the session lived (by an operator or another client).
    NodeDeleted,
    /// The connection dropped (only from [`LockGuard::suspended`]): the lock may still be
    /// held, but nothing proves it until the client reconnects.
    Suspended,
}

/// A held lock: released by [`LockGuard::release`] or when dropped.
#[derive(Debug)]
#[must_use = "dropping the guard releases the lock"]
pub struct LockGuard {
    client: Client,
    path: String,
    stat: Stat,
    released: bool,
}

impl LockGuard {
    pub(crate) fn new(client: &Client, path: String, stat: Stat) -> Self {
        LockGuard {
            client: client.clone(),
            path,
            stat,
            released: false,
        }
    }

    /// The lock node's path.
    pub fn node_path(&self) -> &str {
        &self.path
    }

    /// A fencing token: the lock node's creation zxid. Successive holders of a lock get
    /// strictly increasing tokens (a later holder's node was created later), unique across
    /// the whole ensemble and never reused, even if the lock path is deleted and recreated.
    /// Resources protected by the lock should refuse a token older than the newest they saw.
    pub fn fencing_token(&self) -> i64 {
        self.stat.czxid.0
    }

    /// The lock node's sequence number (increasing among the holders of this lock path).
    pub fn sequence(&self) -> i32 {
        split_sequence(&self.path).map_or(-1, |(_, seq)| seq)
    }

    /// The lock node's Stat at creation.
    pub fn stat(&self) -> &Stat {
        &self.stat
    }

    /// True while the session is connected (to a read-write or read-only server). False
    /// while disconnected (the lock is in doubt) and after the session ended (it is lost).
    /// A node deleted by someone else is noticed only by [`LockGuard::lost`].
    pub fn is_held(&self) -> bool {
        self.client.state().is_connected()
    }

    /// Resolves when the lock is certainly lost: the session ended, or the node was deleted.
    /// Costs an exists watch on the lock node while awaited.
    pub async fn lost(&self) -> LockLoss {
        watch_node_loss(&self.client, &self.path).await
    }

    /// Resolves as soon as the lock is in doubt: the connection dropped
    /// ([`LockLoss::Suspended`]), or it is lost.
    pub async fn suspended(&self) -> LockLoss {
        suspended_or_lost(&self.client, &self.path).await
    }

    /// Releases the lock: deletes the node, retrying connection losses. A node already gone
    /// is not an error; a session already ended is (the lock was lost before).
    pub async fn release(mut self) -> Result<()> {
        self.released = true;
        crate::support::delete_quietly(&self.client, &self.path).await
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if !self.released {
            delete_in_background(&self.client, std::mem::take(&mut self.path));
        }
    }
}

/// Waits until `path` is deleted or the session ends.
pub(crate) async fn watch_node_loss(client: &Client, path: &str) -> LockLoss {
    loop {
        match client.check_and_watch_stat(path).await {
            Ok((None, _)) => return LockLoss::NodeDeleted,
            Ok((Some(_), watcher)) => {
                let event = watcher.await;
                if event.is_session_end() {
                    return LockLoss::SessionEnded;
                }
                if event.event_type == EventType::NodeDeleted {
                    return LockLoss::NodeDeleted;
                }
            }
            Err(e) if e.is_terminal() => return LockLoss::SessionEnded,
            // Connection loss (retry once reconnected) or an unexpected refusal: look again
            // shortly rather than claim a loss that did not happen.
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Resolves at the first sign that what `path` stands for is in doubt.
pub(crate) async fn suspended_or_lost(client: &Client, path: &str) -> LockLoss {
    // Subscribe before reading the state: every transition after it is seen.
    let mut events = client.session_events();
    match client.state() {
        SessionState::Connected | SessionState::ConnectedReadOnly => {}
        s if s.is_terminal() => return LockLoss::SessionEnded,
        _ => return LockLoss::Suspended,
    }
    let disconnect = async {
        while let Some(event) = events.next().await {
            match event {
                SessionEvent::Disconnected => return LockLoss::Suspended,
                e if e.state().is_terminal() => return LockLoss::SessionEnded,
                _ => {}
            }
        }
        LockLoss::SessionEnded
    };
    tokio::select! {
        loss = disconnect => loss,
        loss = watch_node_loss(client, path) => loss,
    }
}
