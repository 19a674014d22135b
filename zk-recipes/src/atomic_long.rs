//! [`DistributedAtomicLong`] (Curator's `DistributedAtomicLong`): an `i64` counter updated by
//! optimistic compare-and-set.
//!
//! # Algorithm and layout
//!
//! ```text
//! <path>   persistent, data: the value as 8 bytes, big-endian (a missing or empty node is 0)
//! ```
//!
//! Every update reads the value and its data version, computes the new value, and writes it
//! with that version; a `BadVersion` means another process won the race, so it reads again
//! and retries. The first write creates the node. Curator can fall back to a lock after too
//! many retries (`PromotedToLock`); here the loop retries until it succeeds, which under
//! heavy contention costs one read and one write per lost race.
//!
//! # Connection loss, session expiry, cost
//!
//! Persistent: the value outlives sessions. An update whose reply is lost with the connection
//! is not known to have happened: [`DistributedAtomicLong::add`] then re-reads and retries,
//! which may apply the delta **twice** if the lost attempt had been applied. Use
//! [`DistributedAtomicLong::compare_and_set`] where that matters. One read plus one write per
//! attempt.
//!
//! ```no_run
//! use zk_recipes::DistributedAtomicLong;
//!
//! # async fn example(client: zk_client::Client) -> zk_recipes::Result<()> {
//! let hits = DistributedAtomicLong::new(&client, "/app/hits");
//! let outcome = hits.increment().await?;
//! assert_eq!(outcome.post, outcome.pre + 1);
//! # Ok(()) }
//! ```

use zk_client::{Client, CreateOptions, Error as ClientError};

use crate::error::{Error, Result};
use crate::names::parent;
use crate::support::{ensure_dir, retry};

/// The value before and after a successful update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AtomicOutcome {
    /// The value the update replaced.
    pub pre: i64,
    /// The value it wrote.
    pub post: i64,
}

/// A shared `i64` at a path.
#[derive(Debug, Clone)]
pub struct DistributedAtomicLong {
    client: Client,
    path: String,
}

impl DistributedAtomicLong {
    /// The counter at `path`.
    pub fn new(client: &Client, path: &str) -> Self {
        DistributedAtomicLong {
            client: client.clone(),
            path: path.to_owned(),
        }
    }

    /// The current value (0 if the node does not exist).
    pub async fn get(&self) -> Result<i64> {
        Ok(self.read().await?.0)
    }

    /// Adds `delta`, retrying lost races.
    pub async fn add(&self, delta: i64) -> Result<AtomicOutcome> {
        loop {
            let (pre, version) = self.read().await?;
            let post = pre.wrapping_add(delta);
            if self.write(post, version).await? {
                return Ok(AtomicOutcome { pre, post });
            }
        }
    }

    /// Adds 1.
    pub async fn increment(&self) -> Result<AtomicOutcome> {
        self.add(1).await
    }

    /// Subtracts 1.
    pub async fn decrement(&self) -> Result<AtomicOutcome> {
        self.add(-1).await
    }

    /// Sets the value to `new` only if it is `expected` now: `Ok(false)` otherwise.
    pub async fn compare_and_set(&self, expected: i64, new: i64) -> Result<bool> {
        loop {
            let (current, version) = self.read().await?;
            if current != expected {
                return Ok(false);
            }
            if self.write(new, version).await? {
                return Ok(true);
            }
            // Lost a race: the value may still equal `expected` (an ABA write); look again.
        }
    }

    /// Sets the value whatever it was.
    pub async fn force_set(&self, value: i64) -> Result<()> {
        loop {
            let (_, version) = self.read().await?;
            if self.write(value, version).await? {
                return Ok(());
            }
        }
    }

    /// The value and its version; `None` as version when the node does not exist.
    async fn read(&self) -> Result<(i64, Option<i32>)> {
        match retry(None, || self.client.get_data(&self.path)).await {
            Ok((data, stat)) => Ok((decode(&self.path, &data)?, Some(stat.version))),
            Err(ClientError::NoNode) => Ok((0, None)),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes `value` if the node is still at `version` (or still missing): `Ok(false)` if
    /// someone else wrote first.
    async fn write(&self, value: i64, version: Option<i32>) -> Result<bool> {
        let bytes = value.to_be_bytes();
        let Some(version) = version else {
            let options = CreateOptions::persistent();
            loop {
                match retry(None, || self.client.create(&self.path, &bytes, &options)).await {
                    Ok(_) => return Ok(true),
                    Err(ClientError::NodeExists) => return Ok(false),
                    Err(ClientError::NoNode) => {
                        ensure_dir(&self.client, parent(&self.path)).await?
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        };
        match retry(None, || {
            self.client.set_data(&self.path, &bytes, Some(version))
        })
        .await
        {
            Ok(_) => Ok(true),
            Err(ClientError::BadVersion | ClientError::NoNode) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

/// Curator's encoding: 8 bytes big-endian; an empty node reads as 0.
fn decode(path: &str, data: &[u8]) -> Result<i64> {
    if data.is_empty() {
        return Ok(0);
    }
    let bytes: [u8; 8] = data.try_into().map_err(|_| Error::BadData {
        path: path.to_owned(),
        reason: format!("an atomic long is 8 bytes, found {}", data.len()),
    })?;
    Ok(i64::from_be_bytes(bytes))
}
