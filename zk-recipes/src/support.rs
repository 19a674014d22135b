//! Plumbing shared by the recipes: retries of retryable client errors, parent creation,
//! protected creates, contender loops and best-effort cleanup of nodes left behind.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use zk_client::{Client, CreateMode, CreateOptions, Error as ClientError, Stat};

use crate::error::{Error, Result};
use crate::names::{join, node_name, parent, sorted_contenders, Contender};

/// The longest pause between two retries.
const BACKOFF_MAX: Duration = Duration::from_millis(500);

/// Runs `op` again while it fails with a retryable error (connection loss, request timeout,
/// throttling) and `deadline` (if any) allows. While the client reconnects, new requests wait
/// for the connection, so a short pause is enough.
pub(crate) async fn retry<T, F, Fut>(
    deadline: Option<Instant>,
    mut op: F,
) -> std::result::Result<T, ClientError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<T, ClientError>>,
{
    let mut backoff = Duration::from_millis(10);
    loop {
        match op().await {
            Err(e) if e.is_retryable() => {
                if deadline.is_some_and(|d| Instant::now() + backoff >= d) {
                    return Err(e);
                }
                tracing::debug!(error = %e, "retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
            other => return other,
        }
    }
}

/// Creates `dir` and any missing ancestors as containers (persistent nodes the server
/// deletes once they are empty, as Curator's `creatingParentContainersIfNeeded`); falls back
/// to persistent nodes on servers without containers.
pub(crate) async fn ensure_dir(client: &Client, dir: &str) -> Result<()> {
    let mut missing = vec![dir.to_owned()];
    while let Some(next) = missing.last().cloned() {
        match retry(None, || create_container(client, &next)).await {
            Ok(()) | Err(ClientError::NodeExists) => {
                missing.pop();
            }
            // Under a chroot whose own node is missing, even a top-level create fails.
            Err(ClientError::NoNode) if parent(&next) == "/" => {
                return Err(Error::Client(ClientError::NoNode))
            }
            Err(ClientError::NoNode) => missing.push(parent(&next).to_owned()),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

async fn create_container(client: &Client, path: &str) -> std::result::Result<(), ClientError> {
    match client.create(path, b"", &CreateOptions::container()).await {
        Err(ClientError::Unimplemented) => client
            .create(path, b"", &CreateOptions::persistent())
            .await
            .map(drop),
        other => other.map(drop),
    }
}

/// Creates `dir/prefix` (sequential modes append the sequence) in "protected mode": if the
/// reply is lost with the connection, the node may exist anyway, so it is looked up by its
/// unique prefix (sequential modes) or its exact path before trying again. Missing parents are created. Returns the node's name
/// and Stat.
pub(crate) async fn create_protected(
    client: &Client,
    dir: &str,
    prefix: &str,
    data: &[u8],
    mode: CreateMode,
) -> Result<(String, Stat)> {
    let options = CreateOptions::new(mode);
    let path = join(dir, prefix);
    loop {
        match client.create(&path, data, &options).await {
            Ok((created, stat)) => return Ok((node_name(&created).to_owned(), stat)),
            Err(ClientError::NoNode) => ensure_dir(client, dir).await?,
            Err(e) if e.is_retryable() && mode.is_sequential() => {
                tracing::debug!(error = %e, %path, "create reply lost; looking for our node");
                if let Some(found) = retry(None, || find_by_prefix(client, dir, prefix)).await? {
                    return Ok(found);
                }
            }
            Err(e) if e.is_retryable() => {
                // A plain name: the node is ours if it exists and (if ephemeral) is owned by
                // this session.
                if let Some(stat) = retry(None, || client.exists(&path)).await? {
                    let ours =
                        !mode.is_ephemeral() || stat.ephemeral_owner == client.session_id().0;
                    if !ours {
                        return Err(Error::Client(ClientError::NodeExists));
                    }
                    return Ok((node_name(&path).to_owned(), stat));
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// The child of `dir` whose name starts with `prefix`, with its Stat.
pub(crate) async fn find_by_prefix(
    client: &Client,
    dir: &str,
    prefix: &str,
) -> std::result::Result<Option<(String, Stat)>, ClientError> {
    let children = match client.get_children(dir).await {
        Err(ClientError::NoNode) => return Ok(None),
        other => other?,
    };
    for name in children.into_iter().filter(|c| c.starts_with(prefix)) {
        if let Some(stat) = client.exists(&join(dir, &name)).await? {
            return Ok(Some((name, stat)));
        }
    }
    Ok(None)
}

/// Deletes `path` (any version), retrying connection losses; a missing node is success.
pub(crate) async fn delete_quietly(client: &Client, path: &str) -> Result<()> {
    match retry(None, || client.delete(path, None)).await {
        Ok(()) | Err(ClientError::NoNode) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Deletes `path` without waiting: the request is sent now (the client sends when the call is
/// made, not when its future is polled), and if a tokio runtime is at hand a task retries it
/// after a connection loss. For `Drop` implementations, which cannot await.
pub(crate) fn delete_in_background(client: &Client, path: String) {
    let first = client.delete(&path, None);
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        let client = client.clone();
        runtime.spawn(async move {
            if let Err(e) = first.await {
                if e.is_retryable() {
                    let _ = delete_quietly(&client, &path).await;
                }
            }
        });
    }
}

/// Deletes the node of a contender whose create may or may not have happened (a cancelled
/// acquire): looks it up by prefix in a background task. Needs a tokio runtime; without one
/// the node (if any) stays until the session ends.
fn delete_by_prefix_in_background(client: &Client, dir: String, prefix: String) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        let client = client.clone();
        runtime.spawn(async move {
            if let Ok(Some((name, _))) =
                retry(None, || find_by_prefix(&client, &dir, &prefix)).await
            {
                let _ = delete_quietly(&client, &join(&dir, &name)).await;
            }
        });
    }
}

/// Deletes a contender's node if dropped while armed: the cancellation safety of every
/// acquire. Dropping an `acquire` future mid-way (a `select!`, a timeout) must not leave a
/// node behind that blocks every later contender until the session ends.
#[derive(Debug)]
pub(crate) struct NodeGuard {
    client: Client,
    dir: String,
    prefix: String,
    name: Option<String>,
    armed: bool,
}

impl NodeGuard {
    /// Armed for a node about to be created in `dir` with `prefix`.
    pub(crate) fn new(client: &Client, dir: &str, prefix: &str) -> Self {
        NodeGuard {
            client: client.clone(),
            dir: dir.to_owned(),
            prefix: prefix.to_owned(),
            name: None,
            armed: true,
        }
    }

    /// Records the created node's name.
    pub(crate) fn created(&mut self, name: &str) {
        self.name = Some(name.to_owned());
    }

    /// The node no longer needs deleting (it was handed over, or deleted already).
    pub(crate) fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for NodeGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        match &self.name {
            Some(name) => delete_in_background(&self.client, join(&self.dir, name)),
            None => delete_by_prefix_in_background(
                &self.client,
                std::mem::take(&mut self.dir),
                std::mem::take(&mut self.prefix),
            ),
        }
    }
}

/// What a contender does after looking at the sorted contenders.
pub(crate) enum Turn {
    /// It holds what it waits for.
    Acquired,
    /// It must wait for this contender's node to change or go.
    WaitFor(String),
}

/// The contender loop of every lock-like recipe: list `dir`'s contenders (children whose names
/// end with one of `markers` and a sequence), find ours, and ask `decide`; when it names a
/// node to wait for, watch only that node (no herd effect) and look again when it changes.
///
/// Returns `Ok(true)` once `decide` says acquired, `Ok(false)` when `deadline` passes first.
/// Our node missing is [`Error::NodeLost`]; a session end is the client's error.
pub(crate) async fn wait_for_turn(
    client: &Client,
    dir: &str,
    our_name: &str,
    markers: &[&str],
    deadline: Option<Instant>,
    mut decide: impl FnMut(&[Contender], usize) -> Turn,
) -> Result<bool> {
    loop {
        let children = retry(deadline, || client.get_children(dir)).await;
        let children = match children {
            Err(ClientError::NoNode) => Vec::new(),
            other => other?,
        };
        let contenders = sorted_contenders(children, markers);
        let Some(ours) = contenders.iter().position(|c| c.name == our_name) else {
            return Err(Error::NodeLost(join(dir, our_name)));
        };
        let watched = match decide(&contenders, ours) {
            Turn::Acquired => return Ok(true),
            Turn::WaitFor(name) => join(dir, &name),
        };
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(false);
        }
        // getData with a watch, as Curator does: a node already gone leaves no watch behind.
        match retry(deadline, || client.get_and_watch_data(&watched)).await {
            Ok((_, _, watcher)) => match deadline {
                Some(d) => {
                    if tokio::time::timeout_at(d, watcher).await.is_err() {
                        return Ok(false);
                    }
                }
                None => {
                    watcher.await;
                }
            },
            Err(ClientError::NoNode) => {}
            Err(e) if e.is_retryable() => return Ok(false), // deadline reached while retrying
            Err(e) => return Err(e.into()),
        }
    }
}
