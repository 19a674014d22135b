//! Tests of [`WatchManager`]: one per row of the trigger table (§7.2 of the wire reference), the
//! setWatches catch-up table (§7.4), removal and ACL-filtered delivery.

use std::sync::Arc;

use super::*;
use zk_proto::{Id, Perms};

const A: WatcherId = WatcherId(1);
const B: WatcherId = WatcherId(2);

fn open() -> Vec<Acl> {
    Acl::open_acl_unsafe()
}

fn all(_: WatcherId, _: &[Acl]) -> bool {
    true
}

/// `(watcher, event type, path)` of each notification, in order.
fn events(notes: &[Notification]) -> Vec<(WatcherId, EventType, &str)> {
    notes
        .iter()
        .map(|n| (n.watcher, n.event.event_type, n.event.path.as_str()))
        .collect()
}

fn trigger(path: &str, event: EventType, table: WatchTable, acl: &[Acl]) -> WatchTrigger {
    WatchTrigger {
        path: path.to_owned(),
        event,
        table,
        acl: Arc::from(acl),
    }
}

/// The triggers `DataTree::apply` reports for a create of `path`.
fn create_triggers(path: &str, acl: &[Acl], parent_acl: &[Acl]) -> [WatchTrigger; 2] {
    let parent = zk_proto::path::parent(path).unwrap();
    [
        trigger(path, EventType::NodeCreated, WatchTable::Data, acl),
        trigger(
            parent,
            EventType::NodeChildrenChanged,
            WatchTable::Child,
            parent_acl,
        ),
    ]
}

/// The triggers `DataTree::apply` reports for a delete of `path`.
fn delete_triggers(path: &str) -> [WatchTrigger; 2] {
    let parent = zk_proto::path::parent(path).unwrap();
    [
        trigger(
            path,
            EventType::NodeDeleted,
            WatchTable::DataThenChild,
            &open(),
        ),
        trigger(
            parent,
            EventType::NodeChildrenChanged,
            WatchTable::Child,
            &open(),
        ),
    ]
}

fn fire(w: &mut WatchManager, triggers: &[WatchTrigger], zxid: i64) -> Vec<Notification> {
    let mut out = Vec::new();
    for t in triggers {
        out.extend(w.fire(t, Zxid(zxid), &mut all));
    }
    out
}

fn created(w: &mut WatchManager, path: &str) -> Vec<Notification> {
    fire(w, &create_triggers(path, &open(), &open()), 5)
}

fn deleted(w: &mut WatchManager, path: &str) -> Vec<Notification> {
    fire(w, &delete_triggers(path), 6)
}

fn changed(w: &mut WatchManager, path: &str) -> Vec<Notification> {
    let t = trigger(path, EventType::NodeDataChanged, WatchTable::Data, &open());
    fire(w, &[t], 7)
}

#[test]
fn create_fires_exists_watch_and_parent_child_watch() {
    let mut w = WatchManager::new();
    w.add_watch("/a/b", A, WatchKind::Data); // exists on a missing node
    w.add_watch("/a", B, WatchKind::Child);
    let out = created(&mut w, "/a/b");
    assert_eq!(
        events(&out),
        [
            (A, EventType::NodeCreated, "/a/b"),
            (B, EventType::NodeChildrenChanged, "/a"),
        ]
    );
    assert!(out
        .iter()
        .all(|n| n.zxid == Zxid(5) && n.event.state == KeeperState::SyncConnected));
    // Both were one-shot.
    assert!(created(&mut w, "/a/b").is_empty());
    assert_eq!(w.size(), 0);
}

#[test]
fn create_under_root_fires_root_child_watch() {
    let mut w = WatchManager::new();
    w.add_watch("/", A, WatchKind::Child);
    assert_eq!(
        events(&created(&mut w, "/x")),
        [(A, EventType::NodeChildrenChanged, "/")]
    );
}

#[test]
fn delete_fires_data_child_and_parent_watches() {
    let mut w = WatchManager::new();
    w.add_watch("/a/b", A, WatchKind::Data);
    w.add_watch("/a/b", B, WatchKind::Child);
    w.add_watch("/a", B, WatchKind::Child);
    assert_eq!(
        events(&deleted(&mut w, "/a/b")),
        [
            (A, EventType::NodeDeleted, "/a/b"),
            (B, EventType::NodeDeleted, "/a/b"),
            (B, EventType::NodeChildrenChanged, "/a"),
        ]
    );
    assert_eq!(w.size(), 0);
}

#[test]
fn delete_notifies_a_connection_with_data_and_child_watch_once() {
    let mut w = WatchManager::new();
    w.add_watch("/n", A, WatchKind::Data);
    w.add_watch("/n", A, WatchKind::Child);
    assert_eq!(
        events(&deleted(&mut w, "/n")),
        [(A, EventType::NodeDeleted, "/n")]
    );
    // The suppressed child watch was still consumed, as in ZooKeeper.
    assert_eq!(w.size(), 0);
}

#[test]
fn set_data_fires_data_watches_only() {
    let mut w = WatchManager::new();
    w.add_watch("/n", A, WatchKind::Data);
    w.add_watch("/n", B, WatchKind::Child);
    w.add_watch("/", B, WatchKind::Child);
    assert_eq!(
        events(&changed(&mut w, "/n")),
        [(A, EventType::NodeDataChanged, "/n")]
    );
    assert_eq!(w.size(), 2);
}

#[test]
fn persistent_watch_sees_every_event_on_its_path_only_and_stays() {
    let mut w = WatchManager::new();
    assert!(w.add_watch("/a", A, WatchKind::Persistent));
    assert!(!w.add_watch("/a", A, WatchKind::Persistent));
    assert_eq!(
        events(&created(&mut w, "/a")),
        [(A, EventType::NodeCreated, "/a")]
    );
    assert_eq!(
        events(&changed(&mut w, "/a")),
        [(A, EventType::NodeDataChanged, "/a")]
    );
    assert_eq!(
        events(&created(&mut w, "/a/b")),
        [(A, EventType::NodeChildrenChanged, "/a")]
    );
    assert!(changed(&mut w, "/a/b").is_empty());
    assert_eq!(
        events(&deleted(&mut w, "/a/b")),
        [(A, EventType::NodeChildrenChanged, "/a")]
    );
    // One NodeDeleted although the watch sits in both tables.
    assert_eq!(
        events(&deleted(&mut w, "/a")),
        [(A, EventType::NodeDeleted, "/a")]
    );
    assert_eq!(w.size(), 2);
}

#[test]
fn recursive_watch_sees_subtree_data_events_but_never_children_changed() {
    let mut w = WatchManager::new();
    w.add_watch("/a", A, WatchKind::PersistentRecursive);
    assert_eq!(
        events(&created(&mut w, "/a/b/c")),
        [(A, EventType::NodeCreated, "/a/b/c")]
    );
    assert_eq!(
        events(&changed(&mut w, "/a/b")),
        [(A, EventType::NodeDataChanged, "/a/b")]
    );
    assert_eq!(
        events(&deleted(&mut w, "/a/b/c")),
        [(A, EventType::NodeDeleted, "/a/b/c")]
    );
    assert_eq!(
        events(&changed(&mut w, "/a")),
        [(A, EventType::NodeDataChanged, "/a")]
    );
    // Not an ancestor: a sibling prefix.
    assert!(changed(&mut w, "/ab").is_empty());
    assert_eq!(w.summary(WatchTable::Child).total_watches, 0);
}

#[test]
fn recursive_watch_on_root_sees_everything() {
    let mut w = WatchManager::new();
    w.add_watch("/", A, WatchKind::PersistentRecursive);
    assert_eq!(
        events(&changed(&mut w, "/x/y")),
        [(A, EventType::NodeDataChanged, "/x/y")]
    );
}

#[test]
fn standard_and_persistent_on_one_path_fire_once_and_only_standard_is_consumed() {
    let mut w = WatchManager::new();
    w.add_watch("/a", A, WatchKind::Persistent);
    assert!(w.add_watch("/a", A, WatchKind::Data));
    assert_eq!(events(&changed(&mut w, "/a")).len(), 1);
    assert_eq!(
        w.check_watches("/a", A, WatcherType::Data),
        Err(ErrorCode::NoWatcher)
    );
    assert_eq!(w.check_watches("/a", A, WatcherType::Persistent), Ok(()));
    assert_eq!(events(&changed(&mut w, "/a")).len(), 1);
}

#[test]
fn one_event_per_watcher_per_trigger_across_ancestors() {
    let mut w = WatchManager::new();
    w.add_watch("/a", A, WatchKind::PersistentRecursive);
    w.add_watch("/a/b", A, WatchKind::PersistentRecursive);
    w.add_watch("/a/b/c", A, WatchKind::Data);
    w.add_watch("/a/b", B, WatchKind::PersistentRecursive);
    assert_eq!(
        events(&changed(&mut w, "/a/b/c")),
        [
            (A, EventType::NodeDataChanged, "/a/b/c"),
            (B, EventType::NodeDataChanged, "/a/b/c"),
        ]
    );
}

#[test]
fn delivery_is_filtered_by_read_acl_of_node_and_parent() {
    let mut w = WatchManager::new();
    w.add_watch("/secret", A, WatchKind::Data);
    w.add_watch("/secret", B, WatchKind::Data);
    w.add_watch("/", A, WatchKind::Child);
    w.add_watch("/", B, WatchKind::Child);
    let secret = vec![Acl::new(Perms::ALL, Id::new("ip", "10.0.0.1"))];
    let root = open();
    // B may read only nodes whose ACL is open; A may read everything.
    let mut seen_acls = Vec::new();
    let mut filter = |w: WatcherId, acl: &[Acl]| {
        seen_acls.push(acl.to_vec());
        w == A || acl == Acl::open_acl_unsafe().as_slice()
    };
    let mut out = Vec::new();
    for t in create_triggers("/secret", &secret, &root) {
        out.extend(w.fire(&t, Zxid(9), &mut filter));
    }
    assert_eq!(
        events(&out),
        [
            (A, EventType::NodeCreated, "/secret"),
            (A, EventType::NodeChildrenChanged, "/"),
            (B, EventType::NodeChildrenChanged, "/"),
        ]
    );
    assert_eq!(seen_acls, [secret.clone(), secret, root.clone(), root]);
    // The filtered one-shot watch was consumed all the same (Java removes before delivery).
    assert_eq!(w.size(), 0);
}

#[test]
fn remove_and_check_watches_by_type() {
    let mut w = WatchManager::new();
    w.add_watch("/n", A, WatchKind::Data);
    w.add_watch("/n", A, WatchKind::Child);
    w.add_watch("/n", A, WatchKind::Persistent);
    w.add_watch("/n", A, WatchKind::PersistentRecursive);
    for kind in [
        WatcherType::Children,
        WatcherType::Data,
        WatcherType::Any,
        WatcherType::Persistent,
        WatcherType::PersistentRecursive,
    ] {
        assert_eq!(w.check_watches("/n", A, kind), Ok(()), "{kind:?}");
        assert_eq!(
            w.check_watches("/n", B, kind),
            Err(ErrorCode::NoWatcher),
            "{kind:?}"
        );
    }
    assert_eq!(w.remove_watches("/n", A, WatcherType::Children), Ok(()));
    assert_eq!(
        w.remove_watches("/n", A, WatcherType::Children),
        Err(ErrorCode::NoWatcher)
    );
    assert_eq!(w.remove_watches("/n", A, WatcherType::Data), Ok(()));
    assert_eq!(w.remove_watches("/n", A, WatcherType::Persistent), Ok(()));
    assert_eq!(
        w.check_watches("/n", A, WatcherType::Persistent),
        Err(ErrorCode::NoWatcher)
    );
    assert_eq!(w.check_watches("/n", A, WatcherType::Any), Ok(()));
    assert_eq!(
        w.remove_watches("/n", A, WatcherType::PersistentRecursive),
        Ok(())
    );
    assert_eq!(
        w.remove_watches("/n", A, WatcherType::Any),
        Err(ErrorCode::NoWatcher)
    );
    assert_eq!(w.size(), 0);
    assert_eq!(w.data.recursive, 0);
}

#[test]
fn remove_any_drops_every_mode_in_both_tables() {
    let mut w = WatchManager::new();
    w.add_watch("/n", A, WatchKind::Data);
    w.add_watch("/n", A, WatchKind::PersistentRecursive);
    w.add_watch("/n", A, WatchKind::Child);
    assert_eq!(w.remove_watches("/n", A, WatcherType::Any), Ok(()));
    assert_eq!(w.size(), 0);
    assert_eq!(w.data.recursive, 0);
    assert!(changed(&mut w, "/n/x").is_empty());
}

#[test]
fn removing_a_connection_drops_all_its_watches() {
    let mut w = WatchManager::new();
    w.add_watch("/a", A, WatchKind::PersistentRecursive);
    w.add_watch("/b", A, WatchKind::Child);
    w.add_watch("/b", B, WatchKind::Child);
    w.remove_watcher(A);
    assert_eq!(w.size(), 1);
    assert_eq!(w.data.recursive, 0);
    assert!(changed(&mut w, "/a/x").is_empty());
    assert_eq!(
        w.watchers_by_path(WatchTable::Child),
        BTreeMap::from([("/b".to_owned(), vec![B])])
    );
}

#[test]
fn set_watches_fires_catch_up_events_or_registers() {
    let mut w = WatchManager::new();
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let data = strings(&["/gone", "/changed", "/same"]);
    let exist = strings(&["/appeared", "/absent"]);
    let child = strings(&["/gone", "/kids", "/same"]);
    let persistent = strings(&["/p"]);
    let recursive = strings(&["/r"]);
    let lists = SetWatchesLists {
        relative_zxid: Zxid(10),
        data_watches: &data,
        exist_watches: &exist,
        child_watches: &child,
        persistent_watches: &persistent,
        persistent_recursive_watches: &recursive,
    };
    let mut node = |path: &str| {
        let z = |m, p| {
            Some(NodeZxids {
                mzxid: Zxid(m),
                pzxid: Zxid(p),
            })
        };
        match path {
            "/changed" => z(11, 1),
            "/same" => z(10, 10),
            "/appeared" => z(12, 12),
            "/kids" => z(1, 11),
            _ => None,
        }
    };
    let out = w.set_watches(A, lists, &mut node);
    assert_eq!(
        events(&out),
        [
            (A, EventType::NodeDeleted, "/gone"),
            (A, EventType::NodeDataChanged, "/changed"),
            (A, EventType::NodeCreated, "/appeared"),
            (A, EventType::NodeDeleted, "/gone"),
            (A, EventType::NodeChildrenChanged, "/kids"),
        ]
    );
    assert!(out.iter().all(|n| n.zxid == Zxid::NONE));
    assert_eq!(
        w.paths_by_watcher(WatchTable::Data)[&A],
        ["/absent", "/p", "/r", "/same"]
    );
    assert_eq!(w.paths_by_watcher(WatchTable::Child)[&A], ["/p", "/same"]);
    assert_eq!(w.check_watches("/same", A, WatcherType::Data), Ok(()));
    assert_eq!(
        w.check_watches("/r", A, WatcherType::PersistentRecursive),
        Ok(())
    );
}

#[test]
fn summaries_count_connections_paths_and_registrations() {
    let mut w = WatchManager::new();
    w.add_watch("/a", A, WatchKind::Data);
    w.add_watch("/a", B, WatchKind::Data);
    w.add_watch("/b", A, WatchKind::Data);
    w.add_watch("/b", A, WatchKind::Persistent);
    assert_eq!(
        w.summary(WatchTable::Data),
        WatchesSummary {
            connections: 2,
            paths: 2,
            total_watches: 3
        }
    );
    assert_eq!(w.size(), 4);
    assert_eq!(
        w.watchers_by_path(WatchTable::Data)["/a"],
        [A, B],
        "watchers listed in id order"
    );
}

#[test]
fn triggers_without_recursive_watches_do_not_walk_ancestors() {
    let mut w = WatchManager::new();
    // A Persistent watch on an ancestor must not fire for a descendant.
    w.add_watch("/a", A, WatchKind::Persistent);
    w.add_watch("/a", B, WatchKind::PersistentRecursive);
    assert_eq!(w.data.recursive, 1);
    assert_eq!(
        events(&changed(&mut w, "/a/b")),
        [(B, EventType::NodeDataChanged, "/a/b")]
    );
    w.remove_watches("/a", B, WatcherType::PersistentRecursive)
        .unwrap();
    assert_eq!(w.data.recursive, 0);
    assert!(changed(&mut w, "/a/b").is_empty());
}

/// End to end with the tree: the triggers `DataTree::apply` reports, fired here.
mod with_data_tree {
    use bytes::Bytes;
    use zk_proto::txn::{
        CloseSessionTxn, CreateTxn, DeleteTxn, SetAclTxn, SetDataTxn, Txn, TxnHeader,
    };
    use zk_proto::{OpCode, SessionId, Xid};

    use super::*;
    use crate::DataTree;

    fn apply(tree: &mut DataTree, w: &mut WatchManager, zxid: i64, txn: Txn) -> Vec<Notification> {
        let header = TxnHeader {
            client_id: SessionId(9),
            cxid: Xid(1),
            zxid: Zxid(zxid),
            time: 1,
            txn_type: OpCode::Error,
        };
        let outcome = tree.apply(&header, &txn);
        w.fire_all(&outcome, &mut all)
    }

    fn create(path: &str, ephemeral: bool) -> Txn {
        Txn::Create(CreateTxn {
            path: path.into(),
            data: Some(Bytes::new()),
            acl: Acl::open_acl_unsafe(),
            ephemeral,
            parent_cversion: -1,
        })
    }

    #[test]
    fn each_txn_fires_its_row_of_the_trigger_table() {
        let (mut tree, mut w) = (DataTree::new(), WatchManager::new());
        w.add_watch("/a", A, WatchKind::Data); // an exists watch
        w.add_watch("/", B, WatchKind::Child);
        let out = apply(&mut tree, &mut w, 1, create("/a", false));
        assert_eq!(
            events(&out),
            [
                (A, EventType::NodeCreated, "/a"),
                (B, EventType::NodeChildrenChanged, "/"),
            ]
        );
        assert!(out.iter().all(|n| n.zxid == Zxid(1)));

        w.add_watch("/a", A, WatchKind::Data);
        let set = Txn::SetData(SetDataTxn {
            path: "/a".into(),
            data: None,
            version: 1,
        });
        let out = apply(&mut tree, &mut w, 2, set);
        assert_eq!(events(&out), [(A, EventType::NodeDataChanged, "/a")]);

        w.add_watch("/a", A, WatchKind::Data);
        let acl = Txn::SetAcl(SetAclTxn {
            path: "/a".into(),
            acl: Acl::open_acl_unsafe(),
            version: 1,
        });
        assert!(
            apply(&mut tree, &mut w, 3, acl).is_empty(),
            "setACL fires nothing"
        );

        w.add_watch("/a", A, WatchKind::Child);
        w.add_watch("/", B, WatchKind::Child);
        let del = Txn::Delete(DeleteTxn { path: "/a".into() });
        let out = apply(&mut tree, &mut w, 4, del);
        assert_eq!(
            events(&out),
            [
                (A, EventType::NodeDeleted, "/a"),
                (B, EventType::NodeChildrenChanged, "/"),
            ]
        );
        assert_eq!(w.size(), 0);
    }

    #[test]
    fn session_close_fires_deletes_of_its_ephemerals() {
        let (mut tree, mut w) = (DataTree::new(), WatchManager::new());
        apply(&mut tree, &mut w, 1, create("/dir", false));
        apply(&mut tree, &mut w, 2, create("/dir/e", true));
        w.add_watch("/dir/e", A, WatchKind::Data);
        w.add_watch("/dir", B, WatchKind::Child);
        let close = Txn::CloseSession(Some(CloseSessionTxn {
            paths_to_delete: vec!["/dir/e".into()],
        }));
        let out = apply(&mut tree, &mut w, 3, close);
        assert_eq!(
            events(&out),
            [
                (A, EventType::NodeDeleted, "/dir/e"),
                (B, EventType::NodeChildrenChanged, "/dir"),
            ]
        );
    }

    #[test]
    fn multi_sub_ops_fire_in_order_with_the_multis_zxid() {
        let (mut tree, mut w) = (DataTree::new(), WatchManager::new());
        w.add_watch("/", A, WatchKind::PersistentRecursive);
        let multi = Txn::Multi(vec![create("/m", false), create("/m/n", false)]);
        let out = apply(&mut tree, &mut w, 7, multi);
        assert_eq!(
            events(&out),
            [
                (A, EventType::NodeCreated, "/m"),
                (A, EventType::NodeCreated, "/m/n"),
            ]
        );
        assert!(out.iter().all(|n| n.zxid == Zxid(7)));
    }
}
