//! [`OutstandingChanges`]: what the tree will look like once the proposed but not yet applied
//! transactions are applied (`ZooKeeperServer.outstandingChanges`, its `ChangeRecord`s).
//!
//! Request preparation checks each write against the tree **plus** these pending changes, so
//! that many writes can be in flight: a create whose parent is being created by the previous,
//! uncommitted txn succeeds; two sequential creates in flight get consecutive suffixes; a delete
//! of a node another txn is deleting fails with NONODE. A record is added for every node a
//! prepared txn changes and dropped when that txn is applied ([`on_applied`]).
//!
//! Each record also carries the tree digest as it will be after its change, so that a
//! prepared txn can carry the digest the tree will have after applying it
//! ([`TxnDigest`](zk_proto::txn::TxnDigest)).
//!
//! ```
//! use std::sync::Arc;
//! use zk_proto::{Acl, StatPersisted, Zxid};
//! use zk_tree::outstanding_changes::{NodeView, OutstandingChanges};
//! use zk_tree::DataTree;
//!
//! let tree = DataTree::new();
//! let mut changes = OutstandingChanges::new();
//! assert!(changes.node(&tree, "/a").is_none());
//! let view = NodeView {
//!     stat: StatPersisted { czxid: Zxid(5), ..Default::default() },
//!     data: None,
//!     acl: Arc::from(Acl::open_acl_unsafe()),
//!     child_count: 0,
//!     digest: 0,
//! };
//! changes.push(Zxid(5), "/a", Some(view), tree.digest());
//! assert_eq!(changes.node(&tree, "/a").unwrap().stat.czxid, Zxid(5));
//! changes.on_applied(Zxid(5));
//! assert!(changes.is_empty());
//! ```
//!
//! [`on_applied`]: OutstandingChanges::on_applied

use std::collections::VecDeque;

use foldhash::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use zk_proto::{Acl, StatPersisted, Zxid};

use crate::data_tree::DataTree;
use crate::digest::node_digest;

/// A node as preparation sees it: from the tree, or as a pending txn will leave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeView {
    /// The stored stat (stored cversion, raw ephemeral owner).
    pub stat: StatPersisted,
    /// The data (`None` for null data).
    pub data: Option<Bytes>,
    /// The ACL.
    pub acl: Arc<[Acl]>,
    /// Number of children.
    pub child_count: i32,
    /// The node's digest contribution ([`node_digest`]).
    pub digest: u64,
}

impl NodeView {
    /// The view of an existing tree node at `path`.
    pub fn of_tree(tree: &DataTree, path: &str) -> Option<NodeView> {
        let node = tree.node(path)?;
        let data = node.data().map(Bytes::copy_from_slice);
        let stat = node.stat_persisted();
        Some(NodeView {
            stat,
            digest: node_digest(path, data.as_deref(), &stat),
            data,
            acl: Arc::clone(tree.acl_of(node)),
            child_count: i32::try_from(node.num_children()).unwrap_or(i32::MAX),
        })
    }

    /// Recomputes [`digest`](Self::digest) after the stat or data changed.
    pub fn refresh_digest(&mut self, path: &str) {
        self.digest = node_digest(path, self.data.as_deref(), &self.stat);
    }
}

/// One pending change (`ChangeRecord`): the state of `path` after the txn `zxid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRecord {
    /// The txn that makes the change.
    pub zxid: Zxid,
    /// The node's path (`/` for the root).
    pub path: Arc<str>,
    /// The node after the change; `None` when the txn deletes it.
    pub node: Option<NodeView>,
    /// The whole tree's digest after this change (and every earlier pending one).
    pub tree_digest: i64,
}

/// A point to return to if a multi fails ([`OutstandingChanges::rollback`]).
#[derive(Debug)]
#[must_use = "a checkpoint is only useful to roll back to"]
pub struct Checkpoint {
    len: usize,
    undo_from: usize,
}

/// The pending changes, in zxid order, with the latest per path (see the [module
/// docs](self)).
#[derive(Debug, Default)]
pub struct OutstandingChanges {
    records: VecDeque<Arc<ChangeRecord>>,
    by_path: HashMap<Arc<str>, Arc<ChangeRecord>>,
    /// While a checkpoint is open: `by_path` entries overwritten, to restore on rollback.
    undo: Vec<(Arc<str>, Option<Arc<ChangeRecord>>)>,
    open_checkpoints: usize,
}

/// The root is "" in some of Apache's lookups and "/" in others; records always use "/".
fn normalize(path: &str) -> &str {
    if path.is_empty() {
        "/"
    } else {
        path
    }
}

impl OutstandingChanges {
    /// No pending changes.
    pub fn new() -> Self {
        Self::default()
    }

    /// True if nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Number of pending records (the `outstanding_changes_queued` gauge).
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// The pending records, oldest first.
    pub fn records(&self) -> impl Iterator<Item = &ChangeRecord> {
        self.records.iter().map(|r| &**r)
    }

    /// The latest pending record for `path`, if any.
    pub fn latest(&self, path: &str) -> Option<&ChangeRecord> {
        self.by_path.get(normalize(path)).map(|r| &**r)
    }

    /// `getRecordForPath`: the node at `path` as it will be after every pending change, or
    /// `None` if it does not exist then.
    pub fn node(&self, tree: &DataTree, path: &str) -> Option<NodeView> {
        let path = normalize(path);
        match self.by_path.get(path) {
            Some(record) => record.node.clone(),
            None => NodeView::of_tree(tree, path),
        }
    }

    /// The tree digest after every pending change.
    pub fn tree_digest(&self, tree: &DataTree) -> i64 {
        self.records
            .back()
            .map_or_else(|| tree.digest(), |r| r.tree_digest)
    }

    /// `addChangeRecord`: `path` will be `node` after txn `zxid`, and the tree digest then
    /// `tree_digest`.
    pub fn push(&mut self, zxid: Zxid, path: &str, node: Option<NodeView>, tree_digest: i64) {
        let path: Arc<str> = Arc::from(normalize(path));
        let record = Arc::new(ChangeRecord {
            zxid,
            path: Arc::clone(&path),
            node,
            tree_digest,
        });
        self.records.push_back(Arc::clone(&record));
        let previous = self.by_path.insert(Arc::clone(&path), record);
        if self.open_checkpoints > 0 {
            self.undo.push((path, previous));
        }
    }

    /// Marks the present state, so that a failed multi can undo its sub-ops' records.
    pub fn checkpoint(&mut self) -> Checkpoint {
        self.open_checkpoints += 1;
        Checkpoint {
            len: self.records.len(),
            undo_from: self.undo.len(),
        }
    }

    /// Keeps everything pushed since `checkpoint`.
    pub fn commit(&mut self, checkpoint: Checkpoint) {
        self.open_checkpoints -= 1;
        if self.open_checkpoints == 0 {
            self.undo.clear();
        } else {
            let _ = checkpoint;
        }
    }

    /// Drops everything pushed since `checkpoint` (`rollbackPendingChanges`), restoring the
    /// latest-per-path entries those pushes replaced.
    pub fn rollback(&mut self, checkpoint: Checkpoint) {
        self.records.truncate(checkpoint.len);
        while self.undo.len() > checkpoint.undo_from {
            let (path, previous) = self.undo.pop().expect("undo entries above the mark");
            match previous {
                Some(record) => self.by_path.insert(path, record),
                None => self.by_path.remove(&path),
            };
        }
        self.open_checkpoints -= 1;
    }

    /// The txn `zxid` was applied to the tree: drops every record up to it, as
    /// `FinalRequestProcessor` does.
    pub fn on_applied(&mut self, zxid: Zxid) {
        while self.records.front().is_some_and(|r| r.zxid <= zxid) {
            let record = self.records.pop_front().expect("front exists");
            if self
                .by_path
                .get(&record.path)
                .is_some_and(|latest| Arc::ptr_eq(latest, &record))
            {
                self.by_path.remove(&record.path);
            }
        }
    }

    /// Drops everything (a new leader starts from its applied tree).
    pub fn clear(&mut self) {
        self.records.clear();
        self.by_path.clear();
        self.undo.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(czxid: i64) -> NodeView {
        NodeView {
            stat: StatPersisted {
                czxid: Zxid(czxid),
                ..Default::default()
            },
            data: None,
            acl: Arc::from(Acl::open_acl_unsafe()),
            child_count: 0,
            digest: 0,
        }
    }

    #[test]
    fn pending_records_shadow_the_tree_until_applied() {
        let tree = DataTree::new();
        let mut c = OutstandingChanges::new();
        assert!(c.node(&tree, "/zookeeper").is_some());
        c.push(Zxid(1), "/zookeeper/x", Some(view(1)), 7);
        c.push(Zxid(2), "/zookeeper/x", None, 8);
        assert_eq!(c.node(&tree, "/zookeeper/x"), None);
        assert_eq!(c.tree_digest(&tree), 8);
        c.on_applied(Zxid(1));
        // The newer record for the path stays.
        assert_eq!(c.node(&tree, "/zookeeper/x"), None);
        assert_eq!(c.len(), 1);
        c.on_applied(Zxid(2));
        assert!(c.is_empty());
        assert_eq!(c.tree_digest(&tree), tree.digest());
        assert!(c.latest("/zookeeper/x").is_none());
    }

    #[test]
    fn root_is_one_record_whether_named_empty_or_slash() {
        let tree = DataTree::new();
        let mut c = OutstandingChanges::new();
        c.push(Zxid(1), "", Some(view(9)), 0);
        assert_eq!(c.node(&tree, "/").unwrap().stat.czxid, Zxid(9));
    }

    #[test]
    fn rollback_restores_replaced_records() {
        let tree = DataTree::new();
        let mut c = OutstandingChanges::new();
        c.push(Zxid(1), "/a", Some(view(1)), 1);
        let mark = c.checkpoint();
        c.push(Zxid(2), "/a", None, 2);
        c.push(Zxid(2), "/b", Some(view(2)), 3);
        c.rollback(mark);
        assert_eq!(c.node(&tree, "/a").unwrap().stat.czxid, Zxid(1));
        assert_eq!(c.node(&tree, "/b"), None);
        assert_eq!(c.len(), 1);
        assert_eq!(c.tree_digest(&tree), 1);
        let mark = c.checkpoint();
        c.push(Zxid(3), "/b", Some(view(3)), 4);
        c.commit(mark);
        assert_eq!(c.node(&tree, "/b").unwrap().stat.czxid, Zxid(3));
    }
}
