//! [`DoubleBarrier`] (Curator's `DistributedDoubleBarrier`): a group of N processes enter
//! together and leave together.
//!
//! # Algorithm
//!
//! The ZooKeeper double-barrier recipe, with Curator's layout:
//!
//! - **enter**: set an exists watch on `ready`; create this member's ephemeral node; if the
//!   members now number at least N, create `ready`; otherwise wait for `ready` to appear.
//! - **leave**: repeat: list the members (without `ready`); none left: done; only ours:
//!   delete it, done; ours is the lowest: wait for the highest to go; otherwise delete ours
//!   (if still there) and wait for the lowest to go. The last to leave deletes `ready`, so
//!   the barrier can be used again.
//!
//! Waiting on the lowest/highest node (rather than on the child list) means only one or two
//! members wake per departure.
//!
//! # Layout
//!
//! ```text
//! <path>/<uuid>   ephemeral, one per member inside the barrier
//! <path>/ready    persistent, created when N members have entered
//! ```
//!
//! N is a threshold, not a limit (as in Curator): more than N members may enter.
//!
//! # Connection loss, session expiry, cost
//!
//! Members' nodes are ephemeral: a member whose session expires counts as having left, so
//! the others are not blocked forever in `leave`; a member that expires while waiting in
//! `enter` is no longer counted, so the others wait for a replacement. `ready` is persistent:
//! if every member dies inside the barrier it stays, and the next `enter` passes at once
//! (delete it by hand, as with Curator). Waits survive connection loss (watches are
//! re-registered). Entering is 1 write (2 for the member that completes the group), leaving
//! 1 (2 for the last member out).
//!
//! ```no_run
//! use zk_recipes::DoubleBarrier;
//!
//! # async fn example(client: zk_client::Client) -> zk_recipes::Result<()> {
//! let barrier = DoubleBarrier::new(&client, "/app/phase-1", 3);
//! barrier.enter().await?;   // returns when 3 members are in
//! // ... compute ...
//! barrier.leave().await?;   // returns when all have left
//! # Ok(()) }
//! ```

use std::time::Duration;

use tokio::time::Instant;
use zk_client::{Client, CreateMode, CreateOptions, Error as ClientError};

use crate::error::Result;
use crate::names::{join, uuid_v4};
use crate::support::{create_protected, delete_quietly, retry};

/// The name of the node that says every member has entered.
const READY: &str = "ready";

/// One member's view of a double barrier for `member_count` members.
#[derive(Debug)]
pub struct DoubleBarrier {
    client: Client,
    path: String,
    member_count: usize,
    ours: String,
}

impl DoubleBarrier {
    /// A member of the barrier at `path` for `member_count` members (at least 1).
    pub fn new(client: &Client, path: &str, member_count: usize) -> Self {
        DoubleBarrier {
            client: client.clone(),
            path: path.to_owned(),
            member_count: member_count.max(1),
            ours: uuid_v4(),
        }
    }

    /// This member's node name.
    pub fn member_node(&self) -> &str {
        &self.ours
    }

    /// Enters and waits until `member_count` members are in.
    pub async fn enter(&self) -> Result<()> {
        self.enter_until(None).await.map(drop)
    }

    /// Enters and waits at most `timeout`: `Ok(false)` if the others did not come in time
    /// (this member's node is removed again).
    pub async fn enter_timeout(&self, timeout: Duration) -> Result<bool> {
        self.enter_until(Some(Instant::now() + timeout)).await
    }

    async fn enter_until(&self, deadline: Option<Instant>) -> Result<bool> {
        let ready = join(&self.path, READY);
        let (ready_stat, watcher) =
            retry(None, || self.client.check_and_watch_stat(&ready)).await?;
        create_protected(
            &self.client,
            &self.path,
            &self.ours,
            b"",
            CreateMode::Ephemeral,
        )
        .await?;
        if ready_stat.is_some() {
            return Ok(true);
        }
        let children = retry(None, || self.client.get_children(&self.path)).await?;
        if children.len() >= self.member_count {
            match retry(None, || {
                self.client
                    .create(&ready, b"", &CreateOptions::persistent())
            })
            .await
            {
                Ok(_) | Err(ClientError::NodeExists) => return Ok(true),
                Err(e) => return Err(e.into()),
            }
        }
        let event = match deadline {
            Some(d) => match tokio::time::timeout_at(d, watcher).await {
                Ok(event) => event,
                Err(_) => {
                    delete_quietly(&self.client, &join(&self.path, &self.ours)).await?;
                    return Ok(false);
                }
            },
            None => watcher.await,
        };
        if event.is_session_end() {
            // The next call reports how the session ended.
            self.client.exists(&ready).await?;
        }
        Ok(true)
    }

    /// Leaves and waits until every member has left.
    pub async fn leave(&self) -> Result<()> {
        self.leave_until(None).await.map(drop)
    }

    /// Leaves and waits at most `timeout` for the others: `Ok(false)` if some are still in
    /// (this member's node is gone either way).
    pub async fn leave_timeout(&self, timeout: Duration) -> Result<bool> {
        self.leave_until(Some(Instant::now() + timeout)).await
    }

    async fn leave_until(&self, deadline: Option<Instant>) -> Result<bool> {
        let our_path = join(&self.path, &self.ours);
        loop {
            let children = match retry(None, || self.client.get_children(&self.path)).await {
                Err(ClientError::NoNode) => Vec::new(),
                other => other?,
            };
            let mut members: Vec<String> = children.into_iter().filter(|c| c != READY).collect();
            members.sort();
            let ours_present = members.contains(&self.ours);
            let watched = match members.as_slice() {
                [] => break,
                [only] if *only == self.ours => {
                    delete_quietly(&self.client, &our_path).await?;
                    break;
                }
                [lowest, .., highest] if *lowest == self.ours => highest.clone(),
                [lowest, ..] => {
                    if ours_present {
                        delete_quietly(&self.client, &our_path).await?;
                    }
                    lowest.clone()
                }
            };
            let watched = join(&self.path, &watched);
            let (stat, watcher) =
                retry(None, || self.client.check_and_watch_stat(&watched)).await?;
            if stat.is_none() {
                continue;
            }
            match deadline {
                Some(d) => {
                    if tokio::time::timeout_at(d, watcher).await.is_err() {
                        delete_quietly(&self.client, &our_path).await?;
                        return Ok(false);
                    }
                }
                None => {
                    watcher.await;
                }
            }
        }
        // Everyone is out: take `ready` down so the barrier can be entered again.
        delete_quietly(&self.client, &join(&self.path, READY)).await?;
        Ok(true)
    }
}
