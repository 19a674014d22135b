//! [`LeaderLatch`] (Curator's `LeaderLatch`): one leader among the participants of a path,
//! told when it becomes leader and when it stops being one; and [`LeaderElection`], which runs
//! a task only while leader (kazoo's `Election.run`).
//!
//! # Algorithm
//!
//! Each participant creates an ephemeral sequential node; the lowest sequence leads. Every
//! other participant watches only the node just before its own, so a leader's departure
//! wakes exactly one participant (no herd). A background task per latch drives this and
//! publishes a [`LatchState`].
//!
//! # Layout
//!
//! ```text
//! <path>/_c_<uuid>-latch-<seq>     NodeNaming::Curator (default), data: the participant id
//! <path>/<uuid hex>__lock__<seq>   NodeNaming::Kazoo (kazoo's Election is a Lock)
//! ```
//!
//! # Connection loss and session expiry
//!
//! - **Disconnected** (Curator's SUSPENDED): the leader turns [`LatchState::Suspended`] at
//!   once. It cannot know whether its session survives, so it must stop acting as leader.
//!   On reconnection within the session timeout its node is still first: it leads again with
//!   the same fencing token (nobody else could have led meanwhile: its node existed).
//!   Curator deletes and recreates the node instead, losing its place in line.
//! - **Session expired** (LOST) or client closed: [`LatchState::Lost`], final. The server has
//!   deleted the node, and another participant may already lead. Start a new latch on a new
//!   session ([`zk_client::Client::reconnect_new_session`]).
//! - **Node deleted by someone else**: the latch creates a new node and queues again.
//! - **Paused process**: a leader paused longer than its session timeout learns of the loss
//!   only when it runs again; guard shared resources with [`LeaderLatch::fencing_token`] (the
//!   node's czxid, increasing from leader to leader).
//!
//! # Cost
//!
//! Joining is 1 write and 1 read; each change of leader is 1 write (the old leader's delete or
//! its session's close) and a read by the next in line. Watches: one per participant.
//!
//! ```no_run
//! use zk_recipes::{LatchState, LeaderLatch};
//!
//! # async fn example(client: zk_client::Client) -> zk_recipes::Result<()> {
//! let latch = LeaderLatch::start(&client, "/app/leader", b"host-1:8080").await?;
//! let token = latch.await_leadership().await?;
//! // ... lead, passing `token` to whatever enforces single-writer ...
//! let state = latch.leadership_lost().await;
//! assert!(matches!(state, LatchState::Suspended | LatchState::Lost | LatchState::Follower));
//! latch.close().await?;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use zk_client::{Client, CreateMode, Error as ClientError, SessionEvent, SessionState};

use crate::error::{Error, Result};
use crate::lock::{suspended_or_lost, LockLoss};
use crate::names::{join, sorted_contenders, NodeNaming};
use crate::support::{create_protected, delete_in_background, delete_quietly, wait_for_turn, Turn};

/// The participant markers: Curator's `latch-` and kazoo's `__lock__`.
const LATCH_MARKERS: &[&str] = &["latch-", "__lock__"];

/// Where a latch stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LatchState {
    /// Joining: the node is being created.
    Starting,
    /// Waiting in line.
    Follower,
    /// Leading, with this fencing token (the node's czxid).
    Leader(i64),
    /// Was leading, but the connection dropped: leadership is in doubt until reconnection.
    Suspended,
    /// The session ended or the latch was closed: final.
    Lost,
}

/// A participant as seen in the latch's children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    /// The node's name.
    pub node: String,
    /// The participant's id (the node's data).
    pub id: Bytes,
    /// True for the leader (the first in line).
    pub is_leader: bool,
}

/// A participant in a leader election; leaves it when closed or dropped.
#[derive(Debug)]
pub struct LeaderLatch {
    client: Client,
    path: String,
    state: watch::Receiver<LatchState>,
    node: Arc<Mutex<Option<String>>>,
    task: JoinHandle<()>,
}

impl LeaderLatch {
    /// Joins the election at `path` with Curator names; `id` is stored in the node.
    pub async fn start(client: &Client, path: &str, id: &[u8]) -> Result<LeaderLatch> {
        Self::start_with(client, path, id, NodeNaming::Curator).await
    }

    /// Joins the election at `path` with the given naming.
    pub async fn start_with(
        client: &Client,
        path: &str,
        id: &[u8],
        naming: NodeNaming,
    ) -> Result<LeaderLatch> {
        if client.state().is_terminal() {
            return Err(client
                .state()
                .terminal_error()
                .unwrap_or(ClientError::Closed)
                .into());
        }
        let (tx, state) = watch::channel(LatchState::Starting);
        let node = Arc::new(Mutex::new(None));
        let task = tokio::spawn(run(Contest {
            client: client.clone(),
            path: path.to_owned(),
            id: id.to_vec(),
            naming,
            node: node.clone(),
            tx,
        }));
        Ok(LeaderLatch {
            client: client.clone(),
            path: path.to_owned(),
            state,
            node,
            task,
        })
    }

    /// The current state.
    pub fn state(&self) -> LatchState {
        *self.state.borrow()
    }

    /// True while leading (connected, first in line).
    pub fn has_leadership(&self) -> bool {
        matches!(self.state(), LatchState::Leader(_))
    }

    /// The fencing token while leading: the leader node's czxid, increasing from one leader
    /// to the next.
    pub fn fencing_token(&self) -> Option<i64> {
        match self.state() {
            LatchState::Leader(token) => Some(token),
            _ => None,
        }
    }

    /// A receiver of every state change.
    pub fn subscribe(&self) -> watch::Receiver<LatchState> {
        self.state.clone()
    }

    /// Waits until leading; returns the fencing token. Fails if the latch is lost first.
    pub async fn await_leadership(&self) -> Result<i64> {
        let mut state = self.state.clone();
        let reached = state
            .wait_for(|s| matches!(s, LatchState::Leader(_) | LatchState::Lost))
            .await
            .map_err(|_| Error::Closed)?;
        match *reached {
            LatchState::Leader(token) => Ok(token),
            _ => Err(self.lost_error()),
        }
    }

    /// Waits at most `timeout` to lead: `Ok(None)` if not leading by then.
    pub async fn await_leadership_timeout(&self, timeout: Duration) -> Result<Option<i64>> {
        match tokio::time::timeout(timeout, self.await_leadership()).await {
            Ok(token) => token.map(Some),
            Err(_) => Ok(None),
        }
    }

    /// Resolves when this latch is not (or no longer) the leader, with the state it is in.
    pub async fn leadership_lost(&self) -> LatchState {
        let mut state = self.state.clone();
        let reached = match state
            .wait_for(|s| !matches!(s, LatchState::Leader(_)))
            .await
        {
            Ok(s) => *s,
            Err(_) => LatchState::Lost,
        };
        reached
    }

    fn lost_error(&self) -> Error {
        match self.client.state().terminal_error() {
            Some(e) => e.into(),
            None => Error::Closed,
        }
    }

    /// Every participant in line order, the leader first.
    pub async fn participants(&self) -> Result<Vec<Participant>> {
        let children = match self.client.get_children(&self.path).await {
            Err(ClientError::NoNode) => Vec::new(),
            other => other?,
        };
        let contenders = sorted_contenders(children, LATCH_MARKERS);
        // Send every read before awaiting any: one round trip for all.
        let reads: Vec<_> = contenders
            .iter()
            .map(|c| self.client.get_data(&join(&self.path, &c.name)))
            .collect();
        let mut out = Vec::new();
        for (contender, read) in contenders.into_iter().zip(reads) {
            match read.await {
                Ok((id, _)) => out.push(Participant {
                    is_leader: out.is_empty(),
                    node: contender.name,
                    id,
                }),
                Err(ClientError::NoNode) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(out)
    }

    /// Leaves the election: stops the task and deletes the node (another participant leads
    /// next).
    pub async fn close(self) -> Result<()> {
        self.task.abort();
        let node = self.node.lock().unwrap_or_else(|e| e.into_inner()).take();
        match node {
            Some(path) => match delete_quietly(&self.client, &path).await {
                Err(e) if e.is_session_end() => Ok(()), // the node went with the session
                other => other,
            },
            None => Ok(()),
        }
    }
}

impl Drop for LeaderLatch {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(path) = self.node.lock().unwrap_or_else(|e| e.into_inner()).take() {
            delete_in_background(&self.client, path);
        }
    }
}

/// What the latch task works with.
struct Contest {
    client: Client,
    path: String,
    id: Vec<u8>,
    naming: NodeNaming,
    node: Arc<Mutex<Option<String>>>,
    tx: watch::Sender<LatchState>,
}

/// The latch task: join, wait in line, lead, and start over when the node is lost.
async fn run(contest: Contest) {
    let name = match contest.naming {
        NodeNaming::Curator => "latch-",
        NodeNaming::Kazoo => "__lock__",
    };
    loop {
        let prefix = contest.naming.prefix(name);
        let created = create_protected(
            &contest.client,
            &contest.path,
            &prefix,
            &contest.id,
            CreateMode::EphemeralSequential,
        )
        .await;
        let (ours, stat) = match created {
            Ok(created) => created,
            Err(e) if e.is_session_end() => return lose(&contest),
            Err(e) => {
                tracing::warn!(error = %e, path = %contest.path, "leader latch cannot join; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let node_path = join(&contest.path, &ours);
        *contest.node.lock().unwrap_or_else(|e| e.into_inner()) = Some(node_path.clone());
        if !contend(&contest, &ours, &node_path, stat.czxid.0).await {
            return lose(&contest);
        }
        // Our node was deleted under us: join again.
    }
}

/// Waits in line and leads until the node is lost (`true`: join again) or the session
/// ends (`false`).
async fn contend(contest: &Contest, ours: &str, node_path: &str, token: i64) -> bool {
    loop {
        // Follower only once known to be behind someone: a leader back from a suspension
        // goes straight from Suspended to Leader.
        let turn = wait_for_turn(
            &contest.client,
            &contest.path,
            ours,
            LATCH_MARKERS,
            None,
            |contenders, index| match index {
                0 => Turn::Acquired,
                i => {
                    contest.tx.send_if_modified(|s| {
                        let changed = *s != LatchState::Follower;
                        *s = LatchState::Follower;
                        changed
                    });
                    Turn::WaitFor(contenders[i - 1].name.clone())
                }
            },
        )
        .await;
        match turn {
            Ok(_) => {}
            Err(Error::NodeLost(_)) => return true,
            Err(e) if e.is_session_end() => return false,
            Err(e) => {
                tracing::warn!(error = %e, "leader latch: retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        }
        contest.tx.send_replace(LatchState::Leader(token));
        match suspended_or_lost(&contest.client, node_path).await {
            LockLoss::Suspended => {
                contest.tx.send_replace(LatchState::Suspended);
                if !reconnected(&contest.client).await {
                    return false;
                }
            }
            LockLoss::SessionEnded => return false,
            LockLoss::NodeDeleted => return true,
        }
    }
}

fn lose(contest: &Contest) {
    contest
        .node
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    contest.tx.send_replace(LatchState::Lost);
}

/// Waits for the session to be connected again: `true`, or to end: `false`.
pub(crate) async fn reconnected(client: &Client) -> bool {
    let mut events = client.session_events();
    loop {
        match client.state() {
            SessionState::Connected => return true,
            s if s.is_terminal() => return false,
            _ => {}
        }
        match events.next().await {
            Some(SessionEvent::Reconnected | SessionEvent::Connected) => return true,
            Some(_) => {}
            None => return false,
        }
    }
}

/// Runs a task only while leading: kazoo's `Election.run`, on a [`LeaderLatch`].
#[derive(Debug, Clone)]
pub struct LeaderElection {
    client: Client,
    path: String,
    id: Vec<u8>,
    naming: NodeNaming,
}

impl LeaderElection {
    /// An election at `path` (Curator names, empty id).
    pub fn new(client: &Client, path: &str) -> Self {
        LeaderElection {
            client: client.clone(),
            path: path.to_owned(),
            id: Vec::new(),
            naming: NodeNaming::Curator,
        }
    }

    /// The id stored in this participant's node.
    pub fn with_id(mut self, id: impl Into<Vec<u8>>) -> Self {
        self.id = id.into();
        self
    }

    /// Names the nodes the kazoo or the Curator way.
    pub fn with_naming(mut self, naming: NodeNaming) -> Self {
        self.naming = naming;
        self
    }

    /// Waits to lead, then runs `work(fencing_token)`. When `work` finishes, leadership is
    /// given up and its output returned; if leadership is lost or suspended first, `work` is
    /// dropped (cancelled) and `Ok(None)` returned.
    pub async fn run<F, Fut, T>(&self, work: F) -> Result<Option<T>>
    where
        F: FnOnce(i64) -> Fut,
        Fut: Future<Output = T>,
    {
        let latch =
            LeaderLatch::start_with(&self.client, &self.path, &self.id, self.naming).await?;
        let token = latch.await_leadership().await?;
        let outcome = tokio::select! {
            output = work(token) => Some(output),
            _ = latch.leadership_lost() => None,
        };
        latch.close().await?;
        Ok(outcome)
    }
}
