//! Group membership: [`GroupMember`] (Curator's `GroupMember`) and [`Party`] (kazoo's
//! `Party`).
//!
//! # Layout
//!
//! ```text
//! GroupMember: <path>/<member id>            ephemeral, data: the member's payload
//! Party:       <path>/<uuid hex>__party__    ephemeral, data: the member's identifier
//! ```
//!
//! # Algorithm and guarantees
//!
//! A [`GroupMember`] keeps its node with a [`PersistentNode`] (re-created if deleted, and on
//! a new session after expiry) and follows the group with a [`TreeCache`] on the path, so
//! [`GroupMember::members`] is a local read, current within one notification. A member that
//! dies leaves the group when its session expires.
//!
//! A [`Party`] is kazoo's simpler recipe: `join` creates the node, `leave` deletes it,
//! `members` lists the group with one getChildren and one round of pipelined getData. It is
//! not re-created after expiry (as in kazoo). Both layouts interoperate with the Java and
//! Python recipes of the same name.
//!
//! Cost: 1 write to join, 1 to leave; a GroupMember adds one recursive watch.
//!
//! ```no_run
//! use zk_recipes::{GroupMember, Party};
//!
//! # async fn example(client: zk_client::Client) -> zk_recipes::Result<()> {
//! let member = GroupMember::start(&client, "/app/workers", "worker-1", b"10.0.0.1").await?;
//! let members = member.members(); // {"worker-1": b"10.0.0.1", ...}
//!
//! let party = Party::new(&client, "/app/party", "worker-1");
//! party.join().await?;
//! assert!(party.members().await?.contains(&"worker-1".to_owned()));
//! party.leave().await?;
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;

use bytes::Bytes;
use zk_client::{Client, CreateMode, Error as ClientError};

use crate::error::{Error, Result};
use crate::names::{join, uuid_v4};
use crate::persistent_node::PersistentNode;
use crate::support::{create_protected, delete_quietly, retry};
use crate::tree_cache::{TreeCache, TreeCacheEvents};

/// A member of a group, with a live view of the whole group. Leaves when closed or dropped.
#[derive(Debug)]
pub struct GroupMember {
    path: String,
    id: String,
    node: PersistentNode,
    cache: TreeCache,
}

impl GroupMember {
    /// Joins the group at `path` as `id` with `payload`, and waits until the membership node
    /// exists and the group view is loaded.
    pub async fn start(client: &Client, path: &str, id: &str, payload: &[u8]) -> Result<Self> {
        if id.is_empty() || id.contains('/') {
            return Err(Error::InvalidArgument(
                "a member id is one non-empty path segment",
            ));
        }
        let node = PersistentNode::start(client, &join(path, id), payload, CreateMode::Ephemeral)?;
        node.wait_for_initial_create().await?;
        let cache = TreeCache::start(client, path).await?;
        cache.initialized().await?;
        Ok(GroupMember {
            path: path.to_owned(),
            id: id.to_owned(),
            node,
            cache,
        })
    }

    /// This member's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The group now: member id → payload.
    pub fn members(&self) -> BTreeMap<String, Bytes> {
        self.cache
            .children(&self.path)
            .into_iter()
            .filter_map(|id| {
                let node = self.cache.get(&join(&self.path, &id))?;
                Some((id, node.data))
            })
            .collect()
    }

    /// Changes of the group (members' nodes added, updated, removed).
    pub fn events(&self) -> TreeCacheEvents {
        self.cache.events()
    }

    /// Replaces this member's payload.
    pub async fn set_payload(&self, payload: &[u8]) -> Result<()> {
        self.node.set_data(payload).await
    }

    /// Leaves the group.
    pub async fn close(self) -> Result<()> {
        self.node.close().await
    }
}

/// kazoo's `Party`: members join with an identifier; anyone can list them.
#[derive(Debug, Clone)]
pub struct Party {
    client: Client,
    path: String,
    node: String,
    identifier: String,
}

impl Party {
    /// kazoo's party node marker.
    const NODE_NAME: &'static str = "__party__";

    /// A party at `path`; this member's identifier is `identifier`.
    pub fn new(client: &Client, path: &str, identifier: &str) -> Self {
        Party {
            client: client.clone(),
            path: path.to_owned(),
            node: format!("{}{}", uuid_v4().replace('-', ""), Self::NODE_NAME),
            identifier: identifier.to_owned(),
        }
    }

    /// Joins (creates this member's ephemeral node; joining twice is fine).
    pub async fn join(&self) -> Result<()> {
        create_protected(
            &self.client,
            &self.path,
            &self.node,
            self.identifier.as_bytes(),
            CreateMode::Ephemeral,
        )
        .await
        .map(drop)
        .or_else(|e| match e {
            Error::Client(ClientError::NodeExists) => Ok(()),
            e => Err(e),
        })
    }

    /// Leaves (deletes this member's node; leaving twice is fine).
    pub async fn leave(&self) -> Result<()> {
        delete_quietly(&self.client, &join(&self.path, &self.node)).await
    }

    /// The identifiers of the members now.
    pub async fn members(&self) -> Result<Vec<String>> {
        let children = match retry(None, || self.client.get_children(&self.path)).await {
            Ok(children) => children,
            Err(ClientError::NoNode) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let reads: Vec<_> = children
            .iter()
            .filter(|c| c.contains(Self::NODE_NAME))
            .map(|c| self.client.get_data(&join(&self.path, c)))
            .collect();
        let mut members = Vec::new();
        for read in reads {
            match read.await {
                Ok((data, _)) => members.push(String::from_utf8_lossy(&data).into_owned()),
                Err(ClientError::NoNode) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(members)
    }

    /// The number of members.
    pub async fn len(&self) -> Result<usize> {
        Ok(self.members().await?.len())
    }

    /// True if nobody has joined.
    pub async fn is_empty(&self) -> Result<bool> {
        Ok(self.len().await? == 0)
    }
}
