//! [`PersistentNode`] (Curator's `PersistentNode`): a node that stays there — re-created if
//! deleted, and re-created on a new session after the session expires.
//!
//! # Algorithm
//!
//! A background task creates the node, sets an exists watch on it and waits:
//!
//! - `NodeDeleted` (someone deleted it, or a previous owner's ephemeral went): create again.
//! - Session expired: the server deleted our ephemeral node. Start a **new session** with
//!   [`zk_client::Client::reconnect_new_session`] (same hosts, credentials and chroot) and
//!   create the node there. From then on the node belongs to that session, which the
//!   `PersistentNode` owns and closes when closed.
//! - Client closed (or authentication failed): stop.
//!
//! Creates are protected: sequential modes use a uuid prefix, found again after a lost reply.
//! A non-sequential path that already exists is taken over: its data is set to ours, and if
//! it is another session's ephemeral, ours is created when that one goes.
//!
//! # Layout
//!
//! ```text
//! <path>                          Ephemeral or Persistent mode
//! <parent>/_c_<uuid>-<name><seq>  the sequential modes (path = <parent>/<name>)
//! ```
//!
//! # Guarantees and cost
//!
//! The node is absent between its deletion (or the session's expiry) and its re-creation:
//! members of a group can briefly miss it. The new session is a new identity: whoever
//! watches the node sees it deleted and created again. Cost: 1 write per (re-)creation and
//! one exists watch; one extra session after the first expiry.
//!
//! ```no_run
//! use zk_client::CreateMode;
//! use zk_recipes::PersistentNode;
//!
//! # async fn example(client: zk_client::Client) -> zk_recipes::Result<()> {
//! let node = PersistentNode::start(&client, "/app/members/host-1", b"10.0.0.1:8080", CreateMode::Ephemeral)?;
//! node.wait_for_initial_create().await?;
//! // ... the node is kept alive, across session expiry too ...
//! node.close().await?;
//! # Ok(()) }
//! ```

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use zk_client::{Client, CreateMode, Error as ClientError};
use zk_proto::EventType;

use crate::error::{Error, Result};
use crate::names::{join, node_name, parent, NodeNaming};
use crate::support::{create_protected, delete_quietly, retry};

#[derive(Debug)]
struct Shared {
    /// The session the node lives on now (the caller's, or one started after expiry).
    client: Mutex<Client>,
    /// True once the node lives on a session this PersistentNode started.
    own_session: Mutex<bool>,
    data: Mutex<Vec<u8>>,
    /// The node's actual path once created (sequential modes add a suffix).
    path: watch::Sender<Option<String>>,
}

impl Shared {
    fn client(&self) -> Client {
        lock(&self.client).clone()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A node kept in existence by a background task. Deleted when closed or dropped.
#[derive(Debug)]
pub struct PersistentNode {
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl PersistentNode {
    /// Starts keeping `path` alive with `data`. `mode`: `Ephemeral`, `EphemeralSequential`,
    /// `Persistent` or `PersistentSequential` (container and TTL modes are refused).
    pub fn start(client: &Client, path: &str, data: &[u8], mode: CreateMode) -> Result<Self> {
        if mode.is_container() || mode.is_ttl() {
            return Err(Error::InvalidArgument(
                "a persistent node cannot be a container or TTL node",
            ));
        }
        let shared = Arc::new(Shared {
            client: Mutex::new(client.clone()),
            own_session: Mutex::new(false),
            data: Mutex::new(data.to_vec()),
            path: watch::channel(None).0,
        });
        let task = tokio::spawn(run(shared.clone(), path.to_owned(), mode));
        Ok(PersistentNode { shared, task })
    }

    /// Waits until the node has been created once.
    pub async fn wait_for_initial_create(&self) -> Result<String> {
        let mut rx = self.shared.path.subscribe();
        let path = rx
            .wait_for(Option::is_some)
            .await
            .map_err(|_| Error::Closed)?
            .clone();
        Ok(path.expect("waited for Some"))
    }

    /// The node's actual path, once created (and `None` while it is being re-created).
    pub fn actual_path(&self) -> Option<String> {
        self.shared.path.borrow().clone()
    }

    /// The session the node lives on now.
    pub fn client(&self) -> Client {
        self.shared.client()
    }

    /// Replaces the node's data (now, and for every re-creation).
    pub async fn set_data(&self, data: &[u8]) -> Result<()> {
        *lock(&self.shared.data) = data.to_vec();
        if let Some(path) = self.actual_path() {
            let client = self.shared.client();
            match retry(None, || client.set_data(&path, data, None)).await {
                Ok(_) | Err(ClientError::NoNode) => {} // re-created with the new data
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Stops keeping the node, deletes it, and closes the session it started (if any).
    pub async fn close(self) -> Result<()> {
        self.task.abort();
        let client = self.shared.client();
        let path = self.shared.path.send_replace(None);
        let deleted = match path {
            Some(path) => delete_quietly(&client, &path).await,
            None => Ok(()),
        };
        if *lock(&self.shared.own_session) {
            client.close().await;
        }
        match deleted {
            Err(e) if e.is_session_end() => Ok(()),
            other => other,
        }
    }
}

impl Drop for PersistentNode {
    fn drop(&mut self) {
        self.task.abort();
        let client = self.shared.client();
        if let Some(path) = self.shared.path.send_replace(None) {
            crate::support::delete_in_background(&client, path);
        }
        if *lock(&self.shared.own_session) {
            drop(client.close()); // the close request is sent now
        }
    }
}

async fn run(shared: Arc<Shared>, path: String, mode: CreateMode) {
    let dir = parent(&path).to_owned();
    loop {
        let client = shared.client();
        match keep(&shared, &client, &path, &dir, mode).await {
            Ok(()) => {}
            Err(Error::Client(ClientError::SessionExpired)) => {
                shared.path.send_replace(None);
                match client.reconnect_new_session().await {
                    Ok(fresh) => {
                        tracing::info!(%path, "session expired; keeping the node on a new session");
                        let old_owned = std::mem::replace(&mut *lock(&shared.own_session), true);
                        *lock(&shared.client) = fresh;
                        if old_owned {
                            drop(client.close());
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, %path, "cannot start a new session; retrying");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                }
            }
            Err(e) if e.is_session_end() => {
                shared.path.send_replace(None);
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, %path, "persistent node: retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// Creates the node and watches it until it is deleted (`Ok`) or an error.
async fn keep(
    shared: &Shared,
    client: &Client,
    path: &str,
    dir: &str,
    mode: CreateMode,
) -> Result<()> {
    let data = lock(&shared.data).clone();
    let actual = if mode.is_sequential() {
        let prefix = NodeNaming::Curator.prefix(node_name(path));
        let (name, _) = create_protected(client, dir, &prefix, &data, mode).await?;
        join(dir, &name)
    } else {
        match create_protected(client, dir, node_name(path), &data, mode).await {
            Ok(_) => {}
            // Someone's node is there: make its data ours, and take over when it goes.
            Err(Error::Client(ClientError::NodeExists)) => {
                match retry(None, || client.set_data(path, &data, None)).await {
                    Ok(_) | Err(ClientError::NoNode) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Err(e) => return Err(e),
        }
        path.to_owned()
    };
    shared.path.send_replace(Some(actual.clone()));
    loop {
        let (stat, watcher) = retry(None, || client.check_and_watch_stat(&actual)).await?;
        if stat.is_none() {
            return Ok(());
        }
        let event = watcher.await;
        if event.is_session_end() {
            // The next call reports how the session ended.
            client.exists(&actual).await?;
            return Err(Error::Closed);
        }
        if event.event_type == EventType::NodeDeleted {
            return Ok(());
        }
    }
}
