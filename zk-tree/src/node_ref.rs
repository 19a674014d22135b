//! [`NodeRef`]: a read-only view of one znode — its data, ACL id, stored stat and children.
//!
//! # Memory layout
//!
//! A large ZooKeeper tree is millions of small znodes, so the per-node overhead decides how
//! much data fits in memory. Apache ZooKeeper keeps a `ConcurrentHashMap<String, DataNode>` of
//! full paths plus, in every parent, a `HashSet<String>` of child names: each node costs its
//! full path, its name again, two hash entries and several object headers. Here a node has no
//! object of its own (`node_store.rs` documents the whole layout):
//!
//! ```text
//! slot       12 B   record location, parent slot
//! record     4 B owner + name + ~12 B packed stat + data, back to back in 256 KiB pages
//! child set  ~4-10 B in the parent's table of child slots
//! ```
//!
//! - Nodes refer to each other by 4-byte slot numbers.
//! - Full paths are stored nowhere: a lookup walks the path's components from the root, one
//!   hash probe per level, so the name is stored exactly once, in the node's record.
//! - ACL lists are interned ([`AclCache`](crate::acl_cache::AclCache)): a node holds an id,
//!   exactly what a snapshot stores.
//!
//! A `NodeRef` is a slice and a pointer: `Copy`, valid while the tree is not
//! changed, decoding its fields from the record on demand.

use zk_proto::create_mode::EphemeralOwner;
use zk_proto::{Stat, StatPersisted};

use crate::acl_cache::AclId;
use crate::node_store::ChildSet;
use crate::record;

/// A node's slot in the tree's [`NodeStore`](crate::node_store::NodeStore).
pub(crate) type NodeId = u32;

/// The hash of a child name: foldhash with a fixed seed, several times cheaper than SipHash
/// on short names (every path lookup hashes each component). Fixed rather than seeded per
/// process, so that the same operations build the same child order in every run, which a
/// seeded simulation replaying a failure wants.
pub(crate) fn name_hash(name: &[u8]) -> u32 {
    use std::hash::BuildHasher;
    let h = foldhash::fast::FixedState::with_seed(NAME_HASH_SEED).hash_one(name);
    (h ^ (h >> 32)) as u32
}

/// The fixed seed of [`name_hash`] (any constant would do).
const NAME_HASH_SEED: u64 = 0x5a6b_2f0d_9c41_e377;

/// The 64-bit hash hashbrown wants, from a 32-bit one: the low bits pick the bucket and the
/// top 7 bits are the control byte, so the 32 bits are spread over both.
pub(crate) fn widen(hash: u32) -> u64 {
    (u64::from(hash) << 32) | u64::from(hash)
}

/// One znode, as read from a [`DataTree`](crate::DataTree).
///
/// [`DataTree::node`](crate::DataTree::node) finds it,
/// [`DataTree::stat_of`](crate::DataTree::stat_of) gives the client's [`Stat`],
/// [`DataTree::acl_of`](crate::DataTree::acl_of) its ACL list and
/// [`DataTree::children_of`](crate::DataTree::children_of) its child names. Only
/// [`DataTree::apply`](crate::DataTree::apply) and the snapshot builder change nodes.
#[derive(Debug, Clone, Copy)]
pub struct NodeRef<'a> {
    /// The node's record, up to the end of its page (the record parses its own end).
    rec: &'a [u8],
    children: Option<&'a ChildSet>,
}

impl<'a> NodeRef<'a> {
    pub(crate) fn new(rec: &'a [u8], children: Option<&'a ChildSet>) -> Self {
        NodeRef { rec, children }
    }

    /// The child set, if the node has children.
    pub(crate) fn child_set(&self) -> Option<&'a ChildSet> {
        self.children
    }

    /// The node's data; `None` when created with null data (distinct from empty).
    pub fn data(&self) -> Option<&'a [u8]> {
        record::data(self.rec)
    }

    /// The data length as `Stat.dataLength` reports it (0 for null data).
    pub fn data_length(&self) -> i32 {
        self.data().map_or(0, |d| d.len() as i32)
    }

    /// The stored stat: the *stored* cversion (number of child creates) and the raw
    /// ephemeralOwner, as snapshots store it.
    pub fn stat_persisted(&self) -> StatPersisted {
        record::meta(self.rec).stat
    }

    /// The stored stat and ACL id together (one decoding).
    pub(crate) fn meta(&self) -> record::Meta {
        record::meta(self.rec)
    }

    /// The stored stat, ACL id and data, in one pass over the record.
    pub(crate) fn meta_and_data(&self) -> (record::Meta, Option<&'a [u8]>) {
        let (meta, end) = record::meta_and_end(self.rec);
        (meta, record::data_at(self.rec, end))
    }

    /// The key of the node's ACL list in the tree's ACL cache.
    pub fn acl_id(&self) -> AclId {
        record::acl(self.rec)
    }

    /// The number of children.
    pub fn num_children(&self) -> usize {
        self.children.map_or(0, |c| c.len())
    }

    /// The node's name: the last component of its path ("" for the root).
    pub fn name(&self) -> &'a str {
        name_str(record::name(self.rec))
    }

    /// What the node's raw ephemeralOwner means; `extended_types_enabled` is
    /// `zookeeper.extendedTypesEnabled` (see [`EphemeralOwner::from_raw`]). An extended owner
    /// with an unknown feature reads as a session, which is what it is stored as.
    pub fn ephemeral_owner(&self, extended_types_enabled: bool) -> EphemeralOwner {
        owner_of(
            self.stat_persisted().ephemeral_owner,
            extended_types_enabled,
        )
    }

    /// The client's view of the stat (`DataNode.copyStat`): cversion transformed to
    /// `2 × stored − numChildren`, ephemeralOwner 0 for containers and TTL nodes, dataLength
    /// and numChildren filled in. Java's int arithmetic wraps, so does this.
    pub(crate) fn client_stat(&self, extended_types_enabled: bool) -> Stat {
        self.client_stat_and_data(extended_types_enabled).0
    }

    /// [`client_stat`](Self::client_stat) and the data, in one pass over the record (what
    /// getData answers).
    pub(crate) fn client_stat_and_data(
        &self,
        extended_types_enabled: bool,
    ) -> (Stat, Option<&'a [u8]>) {
        let (meta, data) = self.meta_and_data();
        let data_length = data.map_or(0, |d| d.len() as i32);
        let stat = self.client_stat_of(&meta.stat, data_length, extended_types_enabled);
        (stat, data)
    }

    /// The client's view of this node given its stored stat and data length, already decoded
    /// by the caller.
    pub(crate) fn client_stat_of(
        &self,
        s: &StatPersisted,
        data_length: i32,
        extended_types_enabled: bool,
    ) -> Stat {
        let num_children = self.num_children() as i32;
        Stat {
            czxid: s.czxid,
            mzxid: s.mzxid,
            ctime: s.ctime,
            mtime: s.mtime,
            version: s.version,
            cversion: s.cversion.wrapping_mul(2).wrapping_sub(num_children),
            aversion: s.aversion,
            ephemeral_owner: owner_of(s.ephemeral_owner, extended_types_enabled).client_visible(),
            data_length,
            num_children,
            pzxid: s.pzxid,
        }
    }
}

/// A stored name as `&str`: records are only ever written from `&str` names.
pub(crate) fn name_str(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("records hold names written from &str")
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
    use crate::node_store::NodeStore;
    use crate::record::Meta;

    #[test]
    fn client_stat_transforms_cversion_and_hides_special_owners() {
        let mut store = NodeStore::default();
        let stat = StatPersisted {
            cversion: 3,
            ephemeral_owner: i64::MIN,
            pzxid: Zxid(9),
            ..Default::default()
        };
        let id = store.insert(None, "c", None, AclId::OPEN_ACL_UNSAFE, &stat);
        let s = store.get(id).client_stat(false);
        assert_eq!((s.cversion, s.ephemeral_owner, s.data_length), (6, 0, 0));
        let meta = Meta {
            stat: StatPersisted {
                ephemeral_owner: 0x42,
                ..stat
            },
            acl: AclId::OPEN_ACL_UNSAFE,
        };
        store.set_data(id, &meta, Some(b"abc"));
        let s = store.get(id).client_stat(false);
        assert_eq!((s.ephemeral_owner, s.data_length), (0x42, 3));
        assert_eq!(s.pzxid, Zxid(9));
        assert_eq!(store.get(id).name(), "c");
    }
}
