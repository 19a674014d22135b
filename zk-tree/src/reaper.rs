//! Container and TTL reaping (`ContainerManager`) as pure functions: which nodes to delete now.
//!
//! Every `znode.container.checkIntervalMs` (default 60 s) ZooKeeper looks for
//!
//! - containers with no children whose stored cversion is above 0 (they have had a child), or,
//!   with `znode.container.maxNeverUsedIntervalMs` set, that never had one and were last
//!   modified longer ago than that;
//! - TTL nodes (extended types only) with no children and `now − mtime > ttl`,
//!
//! and submits a `deleteContainer` request for each, at most `znode.container.maxPerMinute`
//! (default 10000) a minute. Preparation ([`PrepRequestProcessor`]) then turns each into a
//! `deleteContainer` txn, rechecking against pending changes (a candidate that gained a child
//! in the meantime fails with NOTEMPTY, harmlessly).
//!
//! ```
//! use zk_tree::reaper::reap_requests;
//! use zk_tree::DataTree;
//! assert!(reap_requests(&DataTree::new(), 1_000_000, 0).is_empty());
//! ```
//!
//! [`PrepRequestProcessor`]: crate::prep::PrepRequestProcessor

use zk_proto::create_mode::EphemeralOwner;
use zk_proto::{DeleteContainerRequest, Request};

use crate::data_tree::DataTree;

/// `ContainerManager.getCandidates`: the containers and TTL nodes to delete at `now_ms`,
/// sorted. `max_never_used_ms` 0 disables deleting never-used containers.
pub fn candidates(tree: &DataTree, now_ms: i64, max_never_used_ms: i64) -> Vec<String> {
    let mut out = Vec::new();
    for path in tree.containers() {
        let Some(node) = tree.node(&path) else {
            continue;
        };
        if node.num_children() != 0 {
            continue;
        }
        let elapsed = now_ms.wrapping_sub(node.stat_persisted().mtime);
        if node.stat_persisted().cversion > 0
            || (max_never_used_ms != 0 && elapsed > max_never_used_ms)
        {
            out.push(path);
        }
    }
    for path in tree.ttls() {
        let Some(node) = tree.node(&path) else {
            continue;
        };
        if node.num_children() != 0 {
            continue;
        }
        let owner = node.ephemeral_owner(tree.extended_types_enabled());
        if let EphemeralOwner::Ttl { ttl_ms } = owner {
            let elapsed = now_ms.wrapping_sub(node.stat_persisted().mtime);
            if ttl_ms != 0 && elapsed > ttl_ms {
                out.push(path);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The `deleteContainer` requests for [`candidates`], to prepare with session id 0 and xid 0
/// as ZooKeeper's ContainerManager does.
pub fn reap_requests(tree: &DataTree, now_ms: i64, max_never_used_ms: i64) -> Vec<Request> {
    candidates(tree, now_ms, max_never_used_ms)
        .into_iter()
        .map(|path| Request::DeleteContainer(DeleteContainerRequest { path }))
        .collect()
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use zk_proto::txn::{CreateContainerTxn, CreateTtlTxn, CreateTxn, DeleteTxn, Txn, TxnHeader};
    use zk_proto::{Acl, OpCode, SessionId, Xid, Zxid};

    use super::*;

    fn apply(tree: &mut DataTree, zxid: i64, time: i64, txn: Txn) {
        let header = TxnHeader {
            client_id: SessionId(1),
            cxid: Xid(0),
            zxid: Zxid(zxid),
            time,
            txn_type: OpCode::Error,
        };
        let out = tree.apply(&header, &txn);
        assert!(out.result.err().is_ok(), "{txn:?}: {:?}", out.result);
    }

    fn container(path: &str) -> Txn {
        Txn::CreateContainer(CreateContainerTxn {
            path: path.into(),
            data: None,
            acl: Acl::open_acl_unsafe(),
            parent_cversion: -1,
        })
    }

    fn child(path: &str) -> Txn {
        Txn::Create(CreateTxn {
            path: path.into(),
            data: Some(Bytes::new()),
            acl: Acl::open_acl_unsafe(),
            ephemeral: false,
            parent_cversion: -1,
        })
    }

    #[test]
    fn containers_are_reaped_once_emptied_or_never_used_too_long() {
        let mut tree = DataTree::new();
        apply(&mut tree, 1, 100, container("/used"));
        apply(&mut tree, 2, 100, container("/never"));
        apply(&mut tree, 3, 100, container("/busy"));
        apply(&mut tree, 4, 100, child("/used/x"));
        apply(&mut tree, 5, 100, child("/busy/x"));
        assert!(candidates(&tree, 1_000, 0).is_empty());
        apply(
            &mut tree,
            6,
            100,
            Txn::Delete(DeleteTxn {
                path: "/used/x".into(),
            }),
        );
        assert_eq!(candidates(&tree, 1_000, 0), ["/used"]);
        // Never used: only with the interval set, and only once it has passed since mtime.
        assert_eq!(candidates(&tree, 1_000, 900), ["/used"]);
        assert_eq!(candidates(&tree, 1_001, 900), ["/never", "/used"]);
        let requests = reap_requests(&tree, 1_000, 0);
        assert_eq!(
            requests,
            [Request::DeleteContainer(DeleteContainerRequest {
                path: "/used".into()
            })]
        );
    }

    #[test]
    fn ttl_nodes_are_reaped_when_childless_and_expired() {
        let mut tree = DataTree::with_extended_types(true);
        let ttl = |path: &str, ttl| {
            Txn::CreateTtl(CreateTtlTxn {
                path: path.into(),
                data: None,
                acl: Acl::open_acl_unsafe(),
                parent_cversion: -1,
                ttl,
            })
        };
        apply(&mut tree, 1, 1_000, ttl("/t", 500));
        apply(&mut tree, 2, 1_000, ttl("/parent", 500));
        apply(&mut tree, 3, 1_000, child("/parent/x"));
        assert!(
            candidates(&tree, 1_500, 0).is_empty(),
            "elapsed must exceed the ttl"
        );
        assert_eq!(candidates(&tree, 1_501, 0), ["/t"]);
    }
}
