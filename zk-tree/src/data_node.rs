//! [`DataNode`]: one znode — its data, ACL, stored stat and children — laid out to be small.
//!
//! # Memory layout
//!
//! A large ZooKeeper tree is millions of small znodes, so the per-node overhead decides how
//! much data fits in memory. Apache ZooKeeper keeps a `ConcurrentHashMap<String, DataNode>` of
//! full paths plus, in every parent, a `HashSet<String>` of child names: each node costs its
//! full path, its name again, two hash entries and several object headers. Here:
//!
//! ```text
//! DataNode (144 bytes, see DataNode::SIZE_BYTES)
//!   stat      StatPersisted     64   the 60 persisted bytes (czxid … pzxid), padded
//!   data      Option<Bytes>     32   exact-size heap copy; never a slice of a network frame
//!   children  Option<Box<..>>    8   None for leaves; else a hash table of 8-byte entries
//!   name      CompactString     24   the last path component, inline up to 24 bytes
//!   acl       AclId              8   key into the tree's AclCache (lists are shared)
//!   parent    u32                4   slot of the parent, to rebuild a path from a node
//! children table entry          8   (child slot u32, hash of the child's name u32)
//! ```
//!
//! - Nodes live in slots of a chunked arena and refer to each other by 4-byte slot numbers.
//! - Full paths are stored nowhere: a lookup walks the path's components from the root, one
//!   hash probe per level, so the name is stored exactly once, in the node itself.
//! - A parent's child set is a `hashbrown::HashTable` of `(slot, name hash)` entries, so it
//!   can grow and rehash without touching the children, and costs 8 bytes per child (plus the
//!   table's load-factor slack) instead of a whole string.
//! - ACL lists are interned ([`AclCache`](crate::acl_cache::AclCache)): a node holds an id,
//!   exactly what a snapshot stores.
//!
//! The figure measured for a whole tree (bytes per znode, with 100-byte data) is in the crate
//! documentation.

use bytes::Bytes;
use compact_str::CompactString;
use hashbrown::HashTable;
use zk_proto::create_mode::EphemeralOwner;
use zk_proto::{Stat, StatPersisted};

use crate::acl_cache::AclId;

/// A node's slot in the tree's arena.
pub(crate) type NodeId = u32;

/// One entry of a parent's child set: the child's slot and the hash of its name.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChildEntry {
    pub(crate) id: NodeId,
    pub(crate) hash: u32,
}

/// A parent's child set.
pub(crate) type ChildSet = HashTable<ChildEntry>;

/// The hash of a child name: foldhash with a fixed seed, several times cheaper than SipHash
/// on short names (every path lookup hashes each component). Fixed rather than seeded per
/// process, so that the same operations build the same child order in every run, which a
/// seeded simulation replaying a failure wants.
pub(crate) fn name_hash(name: &str) -> u32 {
    use std::hash::BuildHasher;
    let h = foldhash::fast::FixedState::with_seed(NAME_HASH_SEED).hash_one(name.as_bytes());
    (h ^ (h >> 32)) as u32
}

/// The fixed seed of [`name_hash`] (any constant would do).
const NAME_HASH_SEED: u64 = 0x5a6b_2f0d_9c41_e377;

/// The 64-bit hash hashbrown wants, from a stored 32-bit one: the low bits pick the bucket and
/// the top 7 bits are the control byte, so the 32 bits are spread over both.
pub(crate) fn widen(hash: u32) -> u64 {
    (u64::from(hash) << 32) | u64::from(hash)
}

/// One znode.
///
/// Read it through [`DataTree`](crate::DataTree): [`DataTree::node`](crate::DataTree::node)
/// finds it, [`DataTree::stat_of`](crate::DataTree::stat_of) gives the client's [`Stat`],
/// [`DataTree::acl_of`](crate::DataTree::acl_of) its ACL list and
/// [`DataTree::children_of`](crate::DataTree::children_of) its child names. Only
/// [`DataTree::apply`](crate::DataTree::apply) and the snapshot builder change nodes.
#[derive(Debug, Clone)]
pub struct DataNode {
    pub(crate) stat: StatPersisted,
    pub(crate) data: Option<Bytes>,
    pub(crate) children: Option<Box<ChildSet>>,
    pub(crate) name: CompactString,
    pub(crate) acl: AclId,
    pub(crate) parent: NodeId,
}

impl DataNode {
    /// `size_of::<DataNode>()`, the fixed part of a node's memory (heap data, a long name and
    /// a child table come on top).
    pub const SIZE_BYTES: usize = std::mem::size_of::<DataNode>();

    /// A fresh node (no children).
    pub(crate) fn new(
        name: &str,
        parent: NodeId,
        data: Option<Bytes>,
        acl: AclId,
        stat: StatPersisted,
    ) -> Self {
        DataNode {
            stat,
            data,
            children: None,
            name: CompactString::new(name),
            acl,
            parent,
        }
    }

    /// The node's data; `None` when created with null data (distinct from empty).
    pub fn data(&self) -> Option<&Bytes> {
        self.data.as_ref()
    }

    /// The data length as `Stat.dataLength` reports it (0 for null data).
    pub fn data_length(&self) -> i32 {
        self.data.as_ref().map_or(0, |d| d.len() as i32)
    }

    /// The stored stat: the *stored* cversion (number of child creates) and the raw
    /// ephemeralOwner, as snapshots store it.
    pub fn stat_persisted(&self) -> &StatPersisted {
        &self.stat
    }

    /// The key of the node's ACL list in the tree's ACL cache.
    pub fn acl_id(&self) -> AclId {
        self.acl
    }

    /// The number of children.
    pub fn num_children(&self) -> usize {
        self.children.as_ref().map_or(0, |c| c.len())
    }

    /// The node's name: the last component of its path ("" for the root).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the node's raw ephemeralOwner means; `extended_types_enabled` is
    /// `zookeeper.extendedTypesEnabled` (see [`EphemeralOwner::from_raw`]). An extended owner
    /// with an unknown feature reads as a session, which is what it is stored as.
    pub fn ephemeral_owner(&self, extended_types_enabled: bool) -> EphemeralOwner {
        owner_of(self.stat.ephemeral_owner, extended_types_enabled)
    }

    /// The client's view of the stat (`DataNode.copyStat`): cversion transformed to
    /// `2 × stored − numChildren`, ephemeralOwner 0 for containers and TTL nodes, dataLength
    /// and numChildren filled in. Java's int arithmetic wraps, so does this.
    pub(crate) fn client_stat(&self, extended_types_enabled: bool) -> Stat {
        let s = &self.stat;
        let num_children = self.num_children() as i32;
        Stat {
            czxid: s.czxid,
            mzxid: s.mzxid,
            ctime: s.ctime,
            mtime: s.mtime,
            version: s.version,
            cversion: s.cversion.wrapping_mul(2).wrapping_sub(num_children),
            aversion: s.aversion,
            ephemeral_owner: self
                .ephemeral_owner(extended_types_enabled)
                .client_visible(),
            data_length: self.data_length(),
            num_children,
            pzxid: s.pzxid,
        }
    }
}

/// Decodes a raw owner; an unknown extended feature (which Java would throw on) is kept as a
/// session, so that the node is at least indexed and cleaned up consistently.
pub(crate) fn owner_of(raw: i64, extended_types_enabled: bool) -> EphemeralOwner {
    EphemeralOwner::from_raw(raw, extended_types_enabled)
        .unwrap_or(EphemeralOwner::Session(zk_proto::SessionId(raw)))
}

#[cfg(test)]
mod tests {
    use zk_proto::Zxid;

    use super::*;

    #[test]
    fn data_node_stays_small() {
        const { assert!(DataNode::SIZE_BYTES <= 144, "DataNode grew") };
        assert_eq!(
            std::mem::size_of::<Option<DataNode>>(),
            DataNode::SIZE_BYTES
        );
        assert_eq!(std::mem::size_of::<ChildEntry>(), 8);
    }

    #[test]
    fn client_stat_transforms_cversion_and_hides_special_owners() {
        let mut node = DataNode::new(
            "c",
            0,
            None,
            AclId::OPEN_ACL_UNSAFE,
            StatPersisted {
                cversion: 3,
                ephemeral_owner: i64::MIN,
                pzxid: Zxid(9),
                ..Default::default()
            },
        );
        let stat = node.client_stat(false);
        assert_eq!(
            (stat.cversion, stat.ephemeral_owner, stat.data_length),
            (6, 0, 0)
        );
        node.stat.ephemeral_owner = 0x42;
        node.data = Some(Bytes::from_static(b"abc"));
        let stat = node.client_stat(false);
        assert_eq!((stat.ephemeral_owner, stat.data_length), (0x42, 3));
        assert_eq!(stat.pzxid, Zxid(9));
    }
}
