//! [`SharedCount`] (Curator's `SharedCount`): an `i32` every process sees, with versioned
//! compare-and-set.
//!
//! # Algorithm and layout
//!
//! ```text
//! <path>   persistent, data: the count as 4 bytes, big-endian (Curator's SharedCount.toBytes)
//! ```
//!
//! Reads return the value with the node's data version ([`VersionedValue`]);
//! [`SharedCount::try_set`] writes with that version and fails (`Ok(false)`) if anyone wrote
//! in between. The node is created with the seed value on first use.
//!
//! # Connection loss, session expiry, cost
//!
//! The node is persistent: the count outlives every session. A `try_set` whose reply is lost
//! with the connection is retried with the same expected version, so it reports `false` if
//! the lost attempt was in fact applied (check with [`SharedCount::get`]). A read is one read,
//! a set one write through the leader; under contention, failed compare-and-sets cost a read
//! and a write each.
//!
//! ```no_run
//! use zk_recipes::SharedCount;
//!
//! # async fn example(client: zk_client::Client) -> zk_recipes::Result<()> {
//! let count = SharedCount::new(&client, "/app/workers", 0);
//! loop {
//!     let current = count.get().await?;
//!     if count.try_set(current.value + 1, &current).await? {
//!         break;
//!     }
//! }
//! # Ok(()) }
//! ```

use zk_client::{Client, CreateOptions, Error as ClientError};

use crate::error::{Error, Result};
use crate::names::parent;
use crate::support::{ensure_dir, retry};

/// A value and the node's data version it was read at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VersionedValue<T> {
    /// The value.
    pub value: T,
    /// The node's data version (`Stat.version`) when the value was read.
    pub version: i32,
}

/// A shared `i32` count at a path.
#[derive(Debug, Clone)]
pub struct SharedCount {
    client: Client,
    path: String,
    seed: i32,
}

impl SharedCount {
    /// The count at `path`, created with `seed` when first used.
    pub fn new(client: &Client, path: &str, seed: i32) -> Self {
        SharedCount {
            client: client.clone(),
            path: path.to_owned(),
            seed,
        }
    }

    /// The current count and its version.
    pub async fn get(&self) -> Result<VersionedValue<i32>> {
        loop {
            match retry(None, || self.client.get_data(&self.path)).await {
                Ok((data, stat)) => {
                    return Ok(VersionedValue {
                        value: decode(&self.path, &data)?,
                        version: stat.version,
                    })
                }
                Err(ClientError::NoNode) => self.create_seed().await?,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Sets the count whatever it was.
    pub async fn set(&self, value: i32) -> Result<()> {
        loop {
            match retry(None, || {
                self.client.set_data(&self.path, &value.to_be_bytes(), None)
            })
            .await
            {
                Ok(_) => return Ok(()),
                Err(ClientError::NoNode) => self.create_seed().await?,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Sets the count to `value` only if it is still at `previous.version`: `Ok(false)` if
    /// someone changed it since `previous` was read.
    pub async fn try_set(&self, value: i32, previous: &VersionedValue<i32>) -> Result<bool> {
        let bytes = value.to_be_bytes();
        match retry(None, || {
            self.client
                .set_data(&self.path, &bytes, Some(previous.version))
        })
        .await
        {
            Ok(_) => Ok(true),
            Err(ClientError::BadVersion | ClientError::NoNode) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Waits until the count's version differs from `since.version`, and returns the new
    /// value.
    pub async fn changed(&self, since: &VersionedValue<i32>) -> Result<VersionedValue<i32>> {
        loop {
            match retry(None, || self.client.get_and_watch_data(&self.path)).await {
                Ok((data, stat, watcher)) => {
                    if stat.version != since.version {
                        return Ok(VersionedValue {
                            value: decode(&self.path, &data)?,
                            version: stat.version,
                        });
                    }
                    watcher.await;
                }
                Err(ClientError::NoNode) => self.create_seed().await?,
                Err(e) => return Err(e.into()),
            }
        }
    }

    async fn create_seed(&self) -> Result<()> {
        let seed = self.seed.to_be_bytes();
        let options = CreateOptions::persistent();
        loop {
            match retry(None, || self.client.create(&self.path, &seed, &options)).await {
                Ok(_) | Err(ClientError::NodeExists) => return Ok(()),
                Err(ClientError::NoNode) => ensure_dir(&self.client, parent(&self.path)).await?,
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// The 4-byte big-endian count of Curator's `SharedCount.fromBytes`.
fn decode(path: &str, data: &[u8]) -> Result<i32> {
    let bytes: [u8; 4] = data.try_into().map_err(|_| Error::BadData {
        path: path.to_owned(),
        reason: format!("a shared count is 4 bytes, found {}", data.len()),
    })?;
    Ok(i32::from_be_bytes(bytes))
}
