//! Snapshot hooks: what `zk-storage` uses to write a [`DataTree`] to a snapshot and to build
//! one back, without `zk-storage` depending on this crate's internals (or this crate on
//! `zk-storage`).
//!
//! # Contract
//!
//! Writing (Apache's `DataTree.serialize`):
//!
//! 1. [`DataTree::acl_cache`]`().entries()` — the ACL map, `(id, list)` in id order; `-1`
//!    (`OPEN_ACL_UNSAFE`) is implicit and never listed.
//! 2. [`DataTree::preorder`] — every node exactly once, parent before children, the root first
//!    under the path `""` (the snapshot's spelling of the root), then full paths such as
//!    `/zookeeper`. Each node gives its data, [`AclId`] and [`StatPersisted`] (stored cversion,
//!    raw ephemeralOwner) — a `DataNodeRecord`. The cursor holds one path buffer and a stack as
//!    deep as the tree; it allocates nothing per node.
//! 3. [`DataTree::digest`] and [`DataTree::last_processed_zxid`] for the trailer.
//!
//! Loading (Apache's `DataTree.deserialize`): a [`TreeBuilder`] takes the ACL map, then the
//! node records in the file's order (each parent before its children, root `""` first), then
//! [`TreeBuilder::finish`]; set the zxid with [`DataTree::set_last_processed_zxid`]. The builder
//! rebuilds the child sets from the paths, the ephemeral/container/TTL indexes from each
//! ephemeralOwner, the digest, the data size and the ACL reference counts, and drops ACL lists
//! no node uses. Input that does not describe a tree — a node before the root, a missing
//! parent, a repeated path — is an [`Error::InvalidSnapshot`], never a panic. A node whose
//! ACL id is missing from the map (possible in a fuzzy snapshot) loads with a deny-all ACL
//! until the replayed log sets its real one. The result then takes the log's transactions after the snapshot's zxid through
//! [`DataTree::apply`], which tolerates a fuzzy snapshot.
//!
//! ```
//! use zk_tree::{snapshot::TreeBuilder, DataTree};
//!
//! let tree = DataTree::new();
//! let mut builder = TreeBuilder::new(tree.extended_types_enabled());
//! for (id, acl) in tree.acl_cache().entries() {
//!     builder.add_acl(id, acl.to_vec()).unwrap();
//! }
//! let mut cursor = tree.preorder();
//! while let Some((path, node)) = cursor.next_node() {
//!     builder
//!         .add_node(path, node.data().map(bytes::Bytes::copy_from_slice), node.acl_id(), node.stat_persisted())
//!         .unwrap();
//! }
//! let mut copy = builder.finish().unwrap();
//! copy.set_last_processed_zxid(tree.last_processed_zxid());
//! assert_eq!(copy.digest(), tree.digest());
//! assert_eq!(copy.stat("/zookeeper"), tree.stat("/zookeeper"));
//! ```

use bytes::Bytes;
use hashbrown::hash_table;
use zk_proto::{Acl, Id, Perms, StatPersisted};

use crate::acl_cache::AclId;
use crate::data_tree::{DataTree, ROOT};
use crate::error::{Error, Result};
use crate::node_ref::{NodeId, NodeRef};

/// A pre-order walk over a tree's nodes ([`DataTree::preorder`]).
///
/// Not an [`Iterator`]: each path is lent from the cursor's one buffer, valid until the next
/// call. Loop with `while let Some((path, node)) = cursor.next_node()`.
#[derive(Debug)]
pub struct PreOrder<'a> {
    tree: &'a DataTree,
    path: String,
    /// One frame per ancestor of the next node: its remaining children and its path length.
    stack: Vec<(hash_table::Iter<'a, NodeId>, usize)>,
    started: bool,
}

impl<'a> PreOrder<'a> {
    /// The next node and its path (`""` for the root), parents before children.
    pub fn next_node(&mut self) -> Option<(&str, NodeRef<'a>)> {
        let tree = self.tree;
        if !self.started {
            self.started = true;
            let root = tree.store.get(ROOT);
            if let Some(children) = root.child_set() {
                self.stack.push((children.iter(), 0));
            }
            return Some(("", root));
        }
        loop {
            let (children, base_len) = self.stack.last_mut()?;
            let base_len = *base_len;
            let Some(&id) = children.next() else {
                self.stack.pop();
                continue;
            };
            let node = tree.store.get(id);
            self.path.truncate(base_len);
            self.path.push('/');
            self.path.push_str(node.name());
            if let Some(grandchildren) = node.child_set() {
                self.stack.push((grandchildren.iter(), self.path.len()));
            }
            return Some((&self.path, node));
        }
    }
}

impl DataTree {
    /// Every node in pre-order, root first as `""` (see the module's contract).
    pub fn preorder(&self) -> PreOrder<'_> {
        PreOrder {
            tree: self,
            path: String::new(),
            stack: Vec::new(),
            started: false,
        }
    }
}

/// Builds a [`DataTree`] from a snapshot's ACL map and node records (see the module docs).
#[derive(Debug)]
pub struct TreeBuilder {
    tree: DataTree,
    has_root: bool,
    unknown_acl_nodes: u64,
}

impl TreeBuilder {
    /// An empty builder; `extended_types_enabled` as for [`DataTree::with_extended_types`].
    pub fn new(extended_types_enabled: bool) -> Self {
        TreeBuilder {
            tree: DataTree::empty(extended_types_enabled),
            has_root: false,
            unknown_acl_nodes: 0,
        }
    }

    /// Adds one entry of the ACL map. Id -1 and repeated ids are invalid.
    pub fn add_acl(&mut self, id: AclId, acl: Vec<Acl>) -> Result<()> {
        if self.tree.acls.insert_loaded(id, acl) {
            Ok(())
        } else {
            Err(invalid(
                &id.0.to_string(),
                "ACL id repeated or -1 in the ACL map",
            ))
        }
    }

    /// Adds one node record. The root comes first, as `""`; every other path is its parent's
    /// path, '/', and its name. Data is copied into the tree's own record, so that the tree
    /// does not keep the snapshot's read buffer alive.
    pub fn add_node(
        &mut self,
        path: &str,
        data: Option<Bytes>,
        acl: AclId,
        stat: StatPersisted,
    ) -> Result<()> {
        if !self.tree.acls.contains(acl) {
            // A fuzzy snapshot can hold a node created, with a new ACL, after the ACL map was
            // written; Apache loads it too (`addUsage` ignores the unknown id) and the log
            // replay that follows re-applies the create, which sets the real ACL. Until then
            // the node grants nothing to anyone but super, never everything.
            self.tree
                .acls
                .insert_loaded(acl, vec![Acl::new(Perms::NONE, Id::anyone())]);
            self.unknown_acl_nodes += 1;
        }
        let Some(slash) = path.rfind('/') else {
            if !path.is_empty() {
                return Err(invalid(path, "path does not start with '/'"));
            }
            if self.has_root {
                return Err(invalid(path, "root repeated"));
            }
            self.has_root = true;
            self.tree.acls.add_usage(acl);
            self.tree
                .insert_node(None, path, "", data.as_deref(), acl, &stat);
            return Ok(());
        };
        if !self.has_root {
            return Err(invalid(path, "node before the root"));
        }
        let (parent_path, name) = (&path[..slash], &path[slash + 1..]);
        if path == "/" {
            return Err(invalid(
                path,
                "\"/\" is the end-of-nodes marker, not a node",
            ));
        }
        if name.is_empty() {
            return Err(invalid(path, "empty node name"));
        }
        let Some(parent) = self.tree.resolve(parent_path) else {
            return Err(invalid(path, "parent not seen before its child"));
        };
        if self.tree.find_child(parent, name).is_some() {
            return Err(invalid(path, "path repeated"));
        }
        self.tree.acls.add_usage(acl);
        let data = data.as_deref();
        self.tree
            .insert_node(Some(parent), path, name, data, acl, &stat);
        Ok(())
    }

    /// Nodes whose ACL id was missing from the ACL map (see [`TreeBuilder::add_node`]); they
    /// deny everything until the log replay re-applies their create.
    pub fn unknown_acl_nodes(&self) -> u64 {
        self.unknown_acl_nodes
    }

    /// The tree; fails if no root was added. ACL lists no node uses are dropped. The last
    /// processed zxid is zero until set.
    pub fn finish(mut self) -> Result<DataTree> {
        if !self.has_root {
            return Err(invalid("", "no root node"));
        }
        self.tree.acls.purge_unused();
        Ok(self.tree)
    }
}

fn invalid(path: &str, reason: &'static str) -> Error {
    Error::InvalidSnapshot {
        path: path.to_owned(),
        reason,
    }
}
