//! [`DataTree`]: the znodes of a ZooKeeper database and the indexes kept beside them.
//!
//! The tree starts with Apache ZooKeeper's four nodes:
//!
//! ```text
//! /                   stat all zeros (client cversion -1: 1 child, 0 creates), data empty
//! /zookeeper          stat all zeros (client cversion -2), data empty
//! /zookeeper/quota    stat all zeros, data empty
//! /zookeeper/config   READ_ACL_UNSAFE, aversion -1 (set by setACL(…, -1)), data empty
//! ```
//!
//! It changes only through [`DataTree::apply`] (and the snapshot builder); everything here
//! reads. Paths are looked up component by component from the root; `""` is an alias of `/`
//! as in Apache's node map. A malformed path simply finds nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use zk_proto::create_mode::EphemeralOwner;
use zk_proto::{Acl, SessionId, Stat, StatPersisted, Zxid};

use crate::acl_cache::{AclCache, AclId};
use crate::digest::{node_digest, TreeDigest};
use crate::node_ref::{owner_of, NodeId, NodeRef};
use crate::node_store::NodeStore;
use crate::record::Meta;

/// The slot of the root.
pub(crate) const ROOT: NodeId = 0;

/// The znodes of a ZooKeeper database: a pure state machine driven by [`DataTree::apply`].
///
/// Invariants: every node but the root is reachable from the root through child sets; the
/// ephemeral, container and TTL indexes hold exactly the nodes whose raw ephemeralOwner says
/// so; `digest` is the sum of every node's [`node_digest`]; the ACL cache counts one use per
/// node with an id other than -1.
#[derive(Debug, Clone)]
pub struct DataTree {
    pub(crate) store: NodeStore,
    pub(crate) acls: AclCache,
    pub(crate) ephemerals: BTreeMap<SessionId, BTreeSet<NodeId>>,
    pub(crate) containers: BTreeSet<NodeId>,
    pub(crate) ttls: BTreeSet<NodeId>,
    pub(crate) digest: TreeDigest,
    /// Apache's `approximateDataSize()`: UTF-16 path length plus data length of every node,
    /// the root counted twice (as "" and as its "/" alias, which adds 1).
    pub(crate) data_size: i64,
    pub(crate) last_processed_zxid: Zxid,
    pub(crate) extended_types_enabled: bool,
}

impl Default for DataTree {
    fn default() -> Self {
        DataTree::new()
    }
}

impl DataTree {
    /// A fresh tree with the four initial nodes, extended (TTL) types disabled.
    pub fn new() -> Self {
        DataTree::with_extended_types(false)
    }

    /// A fresh tree; `extended_types_enabled` is `zookeeper.extendedTypesEnabled`, which
    /// decides whether a raw ephemeralOwner with the high byte 0xFF is a TTL node.
    pub fn with_extended_types(extended_types_enabled: bool) -> Self {
        let mut tree = DataTree::empty(extended_types_enabled);
        let stat = StatPersisted::default();
        let root_id = tree.insert_node(None, "", "", Some(b""), AclId::OPEN_ACL_UNSAFE, &stat);
        debug_assert_eq!(root_id, ROOT);
        let zk = tree.insert_initial(ROOT, "/zookeeper", "zookeeper");
        tree.insert_initial(zk, "/zookeeper/quota", "quota");
        let config = tree.insert_initial(zk, "/zookeeper/config", "config");
        // Apache's addConfigNode calls setACL(config, READ_ACL_UNSAFE, -1): aversion -1.
        let acl = tree.acls.intern(&Acl::read_acl_unsafe());
        let mut meta = tree.store.get(config).meta();
        meta.acl = acl;
        meta.stat.aversion = -1;
        tree.store.set_meta(config, &meta);
        tree
    }

    /// A tree without nodes, for the snapshot builder.
    pub(crate) fn empty(extended_types_enabled: bool) -> Self {
        DataTree {
            store: NodeStore::default(),
            acls: AclCache::default(),
            ephemerals: BTreeMap::new(),
            containers: BTreeSet::new(),
            ttls: BTreeSet::new(),
            digest: TreeDigest::default(),
            data_size: 1, // the "/" alias of the root
            last_processed_zxid: Zxid::ZERO,
            extended_types_enabled,
        }
    }

    /// Adds one of the initial nodes the way Apache does: `addChild` without touching the
    /// parent's stat or digest.
    fn insert_initial(&mut self, parent: NodeId, path: &str, name: &str) -> NodeId {
        let stat = StatPersisted::default();
        let acl = AclId::OPEN_ACL_UNSAFE;
        self.insert_node(Some(parent), path, name, Some(b""), acl, &stat)
    }

    /// Stores a new node `name` at `path` under `parent` (whose child set has no `name`; the
    /// caller has counted the ACL usage), links it into the child set, and accounts for it in
    /// the digest, size and indexes.
    pub(crate) fn insert_node(
        &mut self,
        parent: Option<NodeId>,
        path: &str,
        name: &str,
        data: Option<&[u8]>,
        acl: AclId,
        stat: &StatPersisted,
    ) -> NodeId {
        self.digest.add(node_digest(path, data, stat));
        let data_len = data.map_or(0, |d| d.len() as i64);
        self.data_size += utf16_len(path) + data_len;
        if parent.is_none() {
            // The root also counts under its "/" alias.
            self.data_size += data_len;
        }
        let id = self.store.insert(parent, name, data, acl, stat);
        self.index_owner(id, stat.ephemeral_owner);
        id
    }

    /// Replaces the stat and ACL id of `id`, the node at `path`, keeping the digest.
    pub(crate) fn set_meta(&mut self, path: &str, id: NodeId, meta: &Meta) {
        let node = self.store.get(id);
        self.digest
            .remove(node_digest(path, node.data(), &node.stat_persisted()));
        self.store.set_meta(id, meta);
        let node = self.store.get(id);
        self.digest.add(node_digest(path, node.data(), &meta.stat));
    }

    /// Adds `id` to the ephemeral, container or TTL index its owner calls for.
    fn index_owner(&mut self, id: NodeId, owner: i64) {
        match owner_of(owner, self.extended_types_enabled) {
            EphemeralOwner::Void => {}
            EphemeralOwner::Container => {
                self.containers.insert(id);
            }
            EphemeralOwner::Ttl { .. } => {
                self.ttls.insert(id);
            }
            EphemeralOwner::Session(session) => {
                self.ephemerals.entry(session).or_default().insert(id);
            }
        }
    }

    /// Removes `id` from the index its owner put it in.
    pub(crate) fn unindex_owner(&mut self, id: NodeId, owner: i64) {
        match owner_of(owner, self.extended_types_enabled) {
            EphemeralOwner::Void => {}
            EphemeralOwner::Container => {
                self.containers.remove(&id);
            }
            EphemeralOwner::Ttl { .. } => {
                self.ttls.remove(&id);
            }
            EphemeralOwner::Session(session) => {
                if let Some(set) = self.ephemerals.get_mut(&session) {
                    set.remove(&id);
                    if set.is_empty() {
                        self.ephemerals.remove(&session);
                    }
                }
            }
        }
    }

    // ---- lookups ----

    /// The slot of `path`: `""` and `"/"` are the root; otherwise each `/`-separated component
    /// is looked up in its parent's child set.
    pub(crate) fn resolve(&self, path: &str) -> Option<NodeId> {
        if path.is_empty() || path == "/" {
            return Some(ROOT);
        }
        let rest = path.strip_prefix('/')?;
        rest.split('/')
            .try_fold(ROOT, |parent, name| self.find_child(parent, name))
    }

    /// The slot of `parent`'s child `name`.
    pub(crate) fn find_child(&self, parent: NodeId, name: &str) -> Option<NodeId> {
        self.store.find_child(parent, name)
    }

    /// Unlinks `parent`'s child `name` from the child set and returns its slot (the node
    /// itself stays in the arena).
    pub(crate) fn unlink_child(&mut self, parent: NodeId, name: &str) -> Option<NodeId> {
        self.store.unlink_child(parent, name)
    }

    /// The node at `path`.
    pub fn node(&self, path: &str) -> Option<NodeRef<'_>> {
        self.resolve(path).map(|id| self.store.get(id))
    }

    /// The client's [`Stat`] of the node at `path` (`statNode`/`copyStat`).
    pub fn stat(&self, path: &str) -> Option<Stat> {
        self.node(path).map(|n| self.stat_of(n))
    }

    /// The client's [`Stat`] of `node`: cversion as `2 × stored − numChildren`, ephemeralOwner
    /// 0 for container and TTL nodes.
    pub fn stat_of(&self, node: NodeRef<'_>) -> Stat {
        node.client_stat(self.extended_types_enabled)
    }

    /// The client's [`Stat`] of `node` and its data, decoded together (getData's answer).
    pub fn stat_and_data_of<'a>(&self, node: NodeRef<'a>) -> (Stat, Option<&'a [u8]>) {
        node.client_stat_and_data(self.extended_types_enabled)
    }

    /// The ACL list of the node at `path`.
    pub fn acl(&self, path: &str) -> Option<&Arc<[Acl]>> {
        self.node(path).map(|n| self.acl_of(n))
    }

    /// The ACL list of `node`.
    pub fn acl_of(&self, node: NodeRef<'_>) -> &Arc<[Acl]> {
        self.acls.get(node.acl_id())
    }

    /// The tree's ACL cache (ids and lists, for snapshots).
    pub fn acl_cache(&self) -> &AclCache {
        &self.acls
    }

    /// The child names of the node at `path`, in the tree's (deterministic, unsorted) order.
    pub fn children(&self, path: &str) -> Option<Children<'_>> {
        self.node(path).map(|n| self.children_of(n))
    }

    /// The child names of `node`.
    pub fn children_of<'a>(&'a self, node: NodeRef<'a>) -> Children<'a> {
        Children {
            tree: self,
            iter: node.child_set().map(|set| set.iter()),
        }
    }

    /// The number of descendants of the node at `path` (`getAllChildrenNumber`): for `/`
    /// every node but the root, including `/zookeeper` and its children. Walks the subtree.
    pub fn all_children_number(&self, path: &str) -> Option<usize> {
        let start = self.resolve(path)?;
        if start == ROOT {
            return Some(self.store.len() - 1);
        }
        let mut count = 0;
        let mut stack = vec![start];
        while let Some(id) = stack.pop() {
            let before = stack.len();
            stack.extend(self.store.child_ids(id));
            count += stack.len() - before;
        }
        Some(count)
    }

    /// The full path of slot `id`, rebuilt from parent links.
    pub(crate) fn path_of(&self, id: NodeId) -> String {
        let mut names = Vec::new();
        let mut at = id;
        while at != ROOT {
            names.push(self.store.get(at).name());
            at = self.store.parent(at);
        }
        if names.is_empty() {
            return "/".to_owned();
        }
        let mut path = String::with_capacity(names.iter().map(|n| n.len() + 1).sum());
        for name in names.iter().rev() {
            path.push('/');
            path.push_str(name);
        }
        path
    }

    fn paths_of<'a>(&self, ids: impl IntoIterator<Item = &'a NodeId>) -> Vec<String> {
        let mut paths: Vec<String> = ids.into_iter().map(|id| self.path_of(*id)).collect();
        paths.sort_unstable();
        paths
    }

    /// The paths of the ephemeral nodes owned by `session`, sorted (`getEphemerals(session)`).
    pub fn ephemerals(&self, session: SessionId) -> Vec<String> {
        self.ephemerals
            .get(&session)
            .map_or_else(Vec::new, |ids| self.paths_of(ids))
    }

    /// The sessions that own at least one ephemeral node, in id order.
    pub fn ephemeral_sessions(&self) -> Vec<SessionId> {
        self.ephemerals.keys().copied().collect()
    }

    /// The total number of ephemeral nodes (`getEphemeralsCount`).
    pub fn ephemerals_count(&self) -> usize {
        self.ephemerals.values().map(BTreeSet::len).sum()
    }

    /// The paths of every container node, sorted.
    pub fn containers(&self) -> Vec<String> {
        self.paths_of(&self.containers)
    }

    /// The paths of every TTL node, sorted (empty unless extended types are enabled).
    pub fn ttls(&self) -> Vec<String> {
        self.paths_of(&self.ttls)
    }

    /// The number of znodes, the root counted once (a fresh tree has 4). Apache's
    /// `getNodeCount()` — shown by `srvr`/`stat` as "Node count" and by `mntr` as
    /// `zk_znode_count` — is one more, because its map holds the root under "" and "/".
    pub fn node_count(&self) -> usize {
        self.store.len()
    }

    /// Apache's `approximateDataSize()` (`mntr` `zk_approximate_data_size`): the sum of path
    /// lengths (UTF-16 units) and data lengths over its node map, where the root appears as ""
    /// and "/". A fresh tree gives 44.
    pub fn approximate_data_size(&self) -> i64 {
        self.data_size
    }

    /// The tree digest ([`crate::digest`]), as `TxnDigest.treeDigest` carries it.
    pub fn digest(&self) -> i64 {
        self.digest.value()
    }

    /// The zxid of the last transaction applied (never decreases through `apply`).
    pub fn last_processed_zxid(&self) -> Zxid {
        self.last_processed_zxid
    }

    /// Sets the last processed zxid, e.g. from a snapshot's trailer after loading it.
    pub fn set_last_processed_zxid(&mut self, zxid: Zxid) {
        self.last_processed_zxid = zxid;
    }

    /// `zookeeper.extendedTypesEnabled` as this tree was built with.
    pub fn extended_types_enabled(&self) -> bool {
        self.extended_types_enabled
    }

    /// True for the paths clients may never delete: `/`, `/zookeeper`, `/zookeeper/quota`,
    /// `/zookeeper/config` (`DataTree.isSpecialPath`).
    pub fn is_special_path(path: &str) -> bool {
        matches!(
            path,
            "/" | "/zookeeper" | "/zookeeper/quota" | "/zookeeper/config"
        )
    }
}

/// A node's contribution to [`DataTree::approximate_data_size`].
pub(crate) fn node_size(path: &str, node: NodeRef<'_>) -> i64 {
    utf16_len(path) + i64::from(node.data_length())
}

/// Java's `String.length()`.
pub(crate) fn utf16_len(s: &str) -> i64 {
    if s.is_ascii() {
        s.len() as i64
    } else {
        s.encode_utf16().count() as i64
    }
}

/// The child names of a node ([`DataTree::children_of`]).
#[derive(Debug, Clone)]
pub struct Children<'a> {
    tree: &'a DataTree,
    iter: Option<hashbrown::hash_table::Iter<'a, NodeId>>,
}

impl<'a> Iterator for Children<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let id = self.iter.as_mut()?.next()?;
        Some(self.tree.store.get(*id).name())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.iter.as_ref().map_or((0, Some(0)), |i| i.size_hint())
    }
}

impl ExactSizeIterator for Children<'_> {}

#[cfg(test)]
mod tests {
    use zk_proto::Perms;

    use super::*;

    #[test]
    fn fresh_tree_matches_apache_initial_nodes() {
        let tree = DataTree::new();
        assert_eq!(tree.node_count(), 4);
        assert_eq!(tree.approximate_data_size(), 44);
        let root = tree.stat("/").unwrap();
        assert_eq!(
            (root.cversion, root.num_children, root.pzxid),
            (-1, 1, Zxid(0))
        );
        let zk = tree.stat("/zookeeper").unwrap();
        assert_eq!((zk.cversion, zk.num_children), (-2, 2));
        let config = tree.stat("/zookeeper/config").unwrap();
        assert_eq!(config.aversion, -1);
        assert_eq!(
            &**tree.acl("/zookeeper/config").unwrap(),
            &[Acl::new(Perms::READ, zk_proto::Id::anyone())]
        );
        assert_eq!(tree.acl_of(tree.node("/").unwrap()).len(), 1);
        assert_eq!(tree.node("").unwrap().name(), "");
        let mut names: Vec<_> = tree.children("/zookeeper").unwrap().collect();
        names.sort_unstable();
        assert_eq!(names, ["config", "quota"]);
        assert_eq!(tree.all_children_number("/").unwrap(), 3);
        assert_eq!(tree.all_children_number("/zookeeper").unwrap(), 2);
        assert_eq!(
            tree.path_of(tree.resolve("/zookeeper/quota").unwrap()),
            "/zookeeper/quota"
        );
    }

    #[test]
    fn malformed_paths_find_nothing() {
        let tree = DataTree::new();
        for path in [
            "zookeeper",
            "/zookeeper/",
            "//zookeeper",
            "/nope",
            "/zookeeper/quota/x",
        ] {
            assert!(tree.node(path).is_none(), "{path}");
            assert!(tree.all_children_number(path).is_none(), "{path}");
        }
    }
}
