//! Tests of [`DataTree::apply`]: the Stat bookkeeping and watch triggers of every operation.
//!
//! # How the expected values were observed
//!
//! The expected Stats come from a real Apache ZooKeeper 3.8.0 (Debian package `zookeeper`
//! 3.8.0-11+deb12u2), run standalone on 127.0.0.1 with `-Dzookeeper.extendedTypesEnabled=true`
//! and a fresh data directory. The Java program `zk-tree/tests/data/Observe.java` (compiled
//! against `/usr/share/java/zookeeper.jar`) performed the operations through the Java client and
//! printed every Stat and watch event; its output is `zk-tree/tests/data/observe.txt`. The
//! server's transaction log of that run is `zk-tree/tests/data/apache-3.8-log.1`: the
//! integration test `tests/apache_log.rs` replays it and checks our digest against the one
//! Apache logged after every txn. Here the same operations are applied as the txns Apache
//! logged for them (same zxids, same times where the output shows them), and the Stats are
//! compared with the printed ones, formatted the same way.

use bytes::Bytes;
use zk_proto::txn::{
    CheckVersionTxn, CloseSessionTxn, CreateContainerTxn, CreateSessionTxn, CreateTtlTxn,
    CreateTxn, DeleteTxn, ErrorTxn, SetAclTxn, SetDataTxn, Txn, TxnHeader,
};
use zk_proto::{Acl, ErrorCode, EventType, Id, OpCode, Perms, SessionId, Stat, Xid, Zxid};

use super::*;
use crate::snapshot::TreeBuilder;
use crate::AclId;

const S1: SessionId = SessionId(0x1000013f4730000);
const S2: SessionId = SessionId(0x1000013f4730001);

/// Observe.java's format.
fn fmt(s: &Stat) -> String {
    format!(
        "czxid={:x} mzxid={:x} pzxid={:x} ctime={} mtime={} version={} cversion={} aversion={} \
         owner={:x} dataLength={} numChildren={}",
        s.czxid.0,
        s.mzxid.0,
        s.pzxid.0,
        s.ctime,
        s.mtime,
        s.version,
        s.cversion,
        s.aversion,
        s.ephemeral_owner,
        s.data_length,
        s.num_children
    )
}

fn header(session: SessionId, zxid: i64, time: i64) -> TxnHeader {
    TxnHeader {
        client_id: session,
        cxid: Xid(0),
        zxid: Zxid(zxid),
        time,
        txn_type: OpCode::Error, // not consulted by apply
    }
}

fn data(d: Option<&str>) -> Option<Bytes> {
    d.map(|s| Bytes::copy_from_slice(s.as_bytes()))
}

fn create(path: &str, d: Option<&str>, ephemeral: bool, parent_cversion: i32) -> CreateTxn {
    CreateTxn {
        path: path.into(),
        data: data(d),
        acl: Acl::open_acl_unsafe(),
        ephemeral,
        parent_cversion,
    }
}

fn set_data(path: &str, d: &str, version: i32) -> Txn {
    Txn::SetData(SetDataTxn {
        path: path.into(),
        data: data(Some(d)),
        version,
    })
}

fn delete(path: &str) -> Txn {
    Txn::Delete(DeleteTxn { path: path.into() })
}

/// A tree plus a clock: applies txns at consecutive zxids.
struct Db {
    tree: DataTree,
}

impl Db {
    fn apply(&mut self, session: SessionId, zxid: i64, time: i64, txn: Txn) -> ApplyOutcome {
        self.tree.apply(&header(session, zxid, time), &txn)
    }

    fn stat(&self, path: &str) -> String {
        fmt(&self.tree.stat(path).unwrap_or_else(|| panic!("no {path}")))
    }
}

fn stat_of(result: &OpResult) -> String {
    match result {
        OpResult::Created { stat, .. }
        | OpResult::DataSet { stat, .. }
        | OpResult::AclSet { stat, .. } => fmt(stat),
        other => panic!("no stat in {other:?}"),
    }
}

/// The digest recomputed from scratch, to check the incremental one.
pub(crate) fn recomputed_digest(tree: &DataTree) -> i64 {
    let mut digest = crate::digest::TreeDigest::default();
    let mut cursor = tree.preorder();
    while let Some((path, node)) = cursor.next_node() {
        digest.add(node_digest(path, node.data(), &node.stat_persisted()));
    }
    digest.value()
}

#[test]
fn replaying_the_observed_apache_session_gives_its_stats() {
    let mut db = Db {
        tree: DataTree::with_extended_types(true),
    };
    let zero = "czxid=0 mzxid=0 pzxid=0 ctime=0 mtime=0 version=0";
    assert_eq!(
        db.stat("/"),
        format!("{zero} cversion=-1 aversion=0 owner=0 dataLength=0 numChildren=1")
    );
    assert_eq!(
        db.stat("/zookeeper"),
        format!("{zero} cversion=-2 aversion=0 owner=0 dataLength=0 numChildren=2")
    );
    assert_eq!(
        db.stat("/zookeeper/quota"),
        format!("{zero} cversion=0 aversion=0 owner=0 dataLength=0 numChildren=0")
    );
    assert_eq!(
        db.stat("/zookeeper/config"),
        format!("{zero} cversion=0 aversion=-1 owner=0 dataLength=0 numChildren=0")
    );
    assert_eq!(db.tree.all_children_number("/"), Some(3));

    let out = db.apply(
        S1,
        1,
        0,
        Txn::CreateSession(CreateSessionTxn { timeout_ms: 30000 }),
    );
    assert_eq!(
        (out.result, out.triggers.len()),
        (OpResult::SessionCreated, 0)
    );
    let out = db.apply(
        S1,
        2,
        1795631196423,
        Txn::Create2(create("/a", Some("x"), false, 1)),
    );
    assert_eq!(stat_of(&out.result), "czxid=2 mzxid=2 pzxid=2 ctime=1795631196423 mtime=1795631196423 version=0 cversion=0 aversion=0 owner=0 dataLength=1 numChildren=0");
    assert_eq!(db.stat("/"), "czxid=0 mzxid=0 pzxid=2 ctime=0 mtime=0 version=0 cversion=0 aversion=0 owner=0 dataLength=0 numChildren=2");

    db.apply(
        S1,
        3,
        1795631196436,
        Txn::Create(create("/a/b", None, false, 1)),
    );
    // PrepRequestProcessor names the sequential child after the parent's *stored* cversion.
    assert_eq!(db.tree.node("/a").unwrap().stat_persisted().cversion, 1);
    db.apply(
        S1,
        4,
        1795631196440,
        Txn::Create(create("/a/s-0000000001", Some(""), false, 2)),
    );
    assert_eq!(db.stat("/a"), "czxid=2 mzxid=2 pzxid=4 ctime=1795631196423 mtime=1795631196423 version=0 cversion=2 aversion=0 owner=0 dataLength=1 numChildren=2");
    assert_eq!(db.stat("/a/b"), "czxid=3 mzxid=3 pzxid=3 ctime=1795631196436 mtime=1795631196436 version=0 cversion=0 aversion=0 owner=0 dataLength=0 numChildren=0");
    assert!(
        db.tree.node("/a/b").unwrap().data().is_none(),
        "null data stays null"
    );

    let out = db.apply(S1, 5, 1795631196462, set_data("/a", "yy", 1));
    assert_eq!(stat_of(&out.result), "czxid=2 mzxid=5 pzxid=4 ctime=1795631196423 mtime=1795631196462 version=1 cversion=2 aversion=0 owner=0 dataLength=2 numChildren=2");
    let set_acl = Txn::SetAcl(SetAclTxn {
        path: "/a".into(),
        acl: Acl::open_acl_unsafe(),
        version: 1,
    });
    let out = db.apply(S1, 6, 1795631196470, set_acl);
    assert_eq!(stat_of(&out.result), "czxid=2 mzxid=5 pzxid=4 ctime=1795631196423 mtime=1795631196462 version=1 cversion=2 aversion=1 owner=0 dataLength=2 numChildren=2");
    db.apply(S1, 7, 1795631196480, delete("/a/b"));
    assert_eq!(db.stat("/a"), "czxid=2 mzxid=5 pzxid=7 ctime=1795631196423 mtime=1795631196462 version=1 cversion=3 aversion=1 owner=0 dataLength=2 numChildren=1");
    // Deletes do not bump the stored cversion: the next sequential suffix is 2.
    assert_eq!(db.tree.node("/a").unwrap().stat_persisted().cversion, 2);
    db.apply(
        S1,
        8,
        1795631196490,
        Txn::Create(create("/a/s-0000000002", Some(""), false, 3)),
    );
    assert_eq!(db.stat("/a"), "czxid=2 mzxid=5 pzxid=8 ctime=1795631196423 mtime=1795631196462 version=1 cversion=4 aversion=1 owner=0 dataLength=2 numChildren=2");

    let out = db.apply(
        S1,
        9,
        1795631196493,
        Txn::Create2(create("/e", None, true, 2)),
    );
    assert_eq!(stat_of(&out.result), "czxid=9 mzxid=9 pzxid=9 ctime=1795631196493 mtime=1795631196493 version=0 cversion=0 aversion=0 owner=1000013f4730000 dataLength=0 numChildren=0");
    let container = CreateContainerTxn {
        path: "/c".into(),
        data: None,
        acl: Acl::open_acl_unsafe(),
        parent_cversion: 3,
    };
    let out = db.apply(S1, 0xa, 1795631196498, Txn::CreateContainer(container));
    assert_eq!(stat_of(&out.result), "czxid=a mzxid=a pzxid=a ctime=1795631196498 mtime=1795631196498 version=0 cversion=0 aversion=0 owner=0 dataLength=0 numChildren=0");
    let ttl = CreateTtlTxn {
        path: "/t".into(),
        data: None,
        acl: Acl::open_acl_unsafe(),
        parent_cversion: 4,
        ttl: 100000,
    };
    let out = db.apply(S1, 0xb, 1795631196506, Txn::CreateTtl(ttl));
    assert_eq!(stat_of(&out.result), "czxid=b mzxid=b pzxid=b ctime=1795631196506 mtime=1795631196506 version=0 cversion=0 aversion=0 owner=0 dataLength=0 numChildren=0");
    assert_eq!(db.tree.ephemerals(S1), ["/e"]);
    assert_eq!(
        (db.tree.containers(), db.tree.ttls()),
        (vec!["/c".to_owned()], vec!["/t".to_owned()])
    );

    let multi = Txn::Multi(vec![
        Txn::Create(create("/m1", None, false, 5)),
        Txn::Create(create("/m2", Some("d"), false, 6)),
        set_data("/m1", "z", 1),
        Txn::Check(CheckVersionTxn {
            path: "/m2".into(),
            version: 0,
        }),
    ]);
    let out = db.apply(S1, 0xc, 1795631196526, multi);
    let OpResult::Multi(results) = &out.result else {
        panic!("{:?}", out.result)
    };
    assert!(matches!(&results[0], OpResult::Created { path, .. } if path == "/m1"));
    assert!(matches!(&results[1], OpResult::Created { path, .. } if path == "/m2"));
    assert_eq!(stat_of(&results[2]), "czxid=c mzxid=c pzxid=c ctime=1795631196526 mtime=1795631196526 version=1 cversion=0 aversion=0 owner=0 dataLength=1 numChildren=0");
    assert_eq!(results[3], OpResult::Checked { path: "/m2".into() });

    // A failed multi is logged with every sub-txn an error txn and changes nothing.
    let err = |err| Txn::Error(ErrorTxn { err });
    let failed = Txn::Multi(vec![
        err(ErrorCode::Ok),
        err(ErrorCode::NodeExists),
        err(ErrorCode::RuntimeInconsistency),
    ]);
    let out = db.apply(S1, 0xd, 1795631196530, failed);
    assert_eq!(out.result.err(), ErrorCode::NodeExists);
    assert!(out.triggers.is_empty());
    assert_eq!(db.stat("/"), "czxid=0 mzxid=0 pzxid=c ctime=0 mtime=0 version=0 cversion=5 aversion=0 owner=0 dataLength=0 numChildren=7");

    db.apply(
        S1,
        0xe,
        1795631196600,
        Txn::Create(create("/w", None, false, 7)),
    );
    db.apply(
        S1,
        0xf,
        1795631196605,
        Txn::Create(create("/a/c", None, false, 4)),
    );
    db.apply(S1, 0x10, 1795631196609, set_data("/a", "q", 2));
    db.apply(S1, 0x11, 1795631196615, delete("/a/c"));
    db.apply(S1, 0x12, 1795631196620, delete("/w"));
    assert_eq!(db.stat("/a"), "czxid=2 mzxid=10 pzxid=11 ctime=1795631196423 mtime=1795631196609 version=2 cversion=6 aversion=1 owner=0 dataLength=1 numChildren=2");

    db.apply(
        S2,
        0x13,
        1795631197000,
        Txn::CreateSession(CreateSessionTxn { timeout_ms: 30000 }),
    );
    db.apply(
        S2,
        0x14,
        1795631197010,
        Txn::Create(create("/e2", None, true, 8)),
    );
    db.apply(
        S2,
        0x15,
        1795631197020,
        Txn::Create(create("/a/e3", None, true, 5)),
    );
    assert_eq!(db.stat("/"), "czxid=0 mzxid=0 pzxid=14 ctime=0 mtime=0 version=0 cversion=8 aversion=0 owner=0 dataLength=0 numChildren=8");
    let close = CloseSessionTxn {
        paths_to_delete: vec!["/a/e3".into(), "/e2".into()],
    };
    let out = db.apply(S2, 0x16, 1795631197500, Txn::CloseSession(Some(close)));
    assert_eq!(out.result, OpResult::SessionClosed);
    let fired: Vec<_> = out
        .triggers
        .iter()
        .map(|t| (t.path.as_str(), t.event))
        .collect();
    assert_eq!(
        fired,
        [
            ("/a/e3", EventType::NodeDeleted),
            ("/a", EventType::NodeChildrenChanged),
            ("/e2", EventType::NodeDeleted),
            ("/", EventType::NodeChildrenChanged)
        ]
    );
    assert_eq!(db.stat("/"), "czxid=0 mzxid=0 pzxid=16 ctime=0 mtime=0 version=0 cversion=9 aversion=0 owner=0 dataLength=0 numChildren=7");
    assert_eq!(db.stat("/a"), "czxid=2 mzxid=10 pzxid=16 ctime=1795631196423 mtime=1795631196609 version=2 cversion=8 aversion=1 owner=0 dataLength=1 numChildren=2");
    assert_eq!(db.tree.all_children_number("/"), Some(11));
    assert!(db.tree.ephemerals(S2).is_empty());
    assert_eq!(db.tree.last_processed_zxid(), Zxid(0x16));
    assert_eq!(db.tree.digest(), recomputed_digest(&db.tree));
}

fn trigger(path: &str, event: EventType, table: WatchTable, acl: &[Acl]) -> WatchTrigger {
    WatchTrigger {
        path: path.into(),
        event,
        table,
        acl: acl.into(),
    }
}

#[test]
fn each_operation_fires_the_triggers_apache_fires_in_its_order() {
    let mut db = Db {
        tree: DataTree::new(),
    };
    let secret = vec![Acl::new(Perms::ALL, Id::new("digest", "u:h"))];
    let open = Acl::open_acl_unsafe();
    let mut txn = create("/p", None, false, -1);
    txn.acl = secret.clone();
    let out = db.apply(S1, 1, 10, Txn::Create(txn));
    assert_eq!(
        out.triggers,
        [
            trigger("/p", EventType::NodeCreated, WatchTable::Data, &secret),
            trigger(
                "/",
                EventType::NodeChildrenChanged,
                WatchTable::Child,
                &open
            ),
        ]
    );
    let out = db.apply(S1, 2, 11, Txn::Create(create("/p/c", None, false, -1)));
    assert_eq!(
        out.triggers,
        [
            trigger("/p/c", EventType::NodeCreated, WatchTable::Data, &open),
            trigger(
                "/p",
                EventType::NodeChildrenChanged,
                WatchTable::Child,
                &secret
            ),
        ]
    );
    let out = db.apply(S1, 3, 12, set_data("/p/c", "v", 1));
    assert_eq!(
        out.triggers,
        [trigger(
            "/p/c",
            EventType::NodeDataChanged,
            WatchTable::Data,
            &open
        )]
    );
    let set_acl = Txn::SetAcl(SetAclTxn {
        path: "/p/c".into(),
        acl: secret.clone(),
        version: 1,
    });
    assert!(
        db.apply(S1, 4, 13, set_acl).triggers.is_empty(),
        "setACL fires nothing"
    );
    let out = db.apply(S1, 5, 14, delete("/p/c"));
    assert_eq!(
        out.triggers,
        [
            // The deleted node's ACL travels with the trigger: the node is gone by delivery.
            trigger(
                "/p/c",
                EventType::NodeDeleted,
                WatchTable::DataThenChild,
                &secret
            ),
            trigger(
                "/p",
                EventType::NodeChildrenChanged,
                WatchTable::Child,
                &secret
            ),
        ]
    );
    let check = Txn::Check(CheckVersionTxn {
        path: "/p".into(),
        version: 0,
    });
    let out = db.apply(
        S1,
        6,
        15,
        Txn::Multi(vec![check, Txn::Create(create("/q", None, false, -1))]),
    );
    let paths: Vec<_> = out.triggers.iter().map(|t| t.path.as_str()).collect();
    assert_eq!(
        paths,
        ["/q", "/"],
        "a multi's sub-ops fire in order, check fires nothing"
    );
}

#[test]
fn replayed_create_of_an_existing_node_converges() {
    let mut db = Db {
        tree: DataTree::new(),
    };
    db.apply(S1, 1, 10, Txn::Create(create("/a", Some("x"), false, 1)));
    db.apply(S1, 2, 11, Txn::Create(create("/a/b", None, false, 1)));
    let before = db.tree.clone();
    // Replaying the same create: NODEEXISTS, and the parent keeps its (equal) cversion.
    let out = db.apply(S1, 2, 11, Txn::Create(create("/a/b", None, false, 1)));
    assert_eq!(out.result, OpResult::Error(ErrorCode::NodeExists));
    assert!(out.triggers.is_empty());
    assert_eq!(db.tree.stat("/a"), before.stat("/a"));
    assert_eq!(db.tree.digest(), before.digest());
    // A create (type 1) whose node exists but whose parentCVersion is larger moves the parent
    // forward (the node was re-created by another session inside the fuzzy window).
    db.apply(S1, 5, 12, Txn::Create(create("/a/b", None, false, 4)));
    let a = db.tree.node("/a").unwrap().stat_persisted();
    assert_eq!((a.cversion, a.pzxid), (4, Zxid(5)));
    // create2 does not get that adjustment, exactly as in Apache's processTxn.
    db.apply(S1, 6, 13, Txn::Create2(create("/a/b", None, false, 9)));
    assert_eq!(db.tree.node("/a").unwrap().stat_persisted().cversion, 4);
    // The existing node takes the replayed create's ACL.
    let mut txn = create("/a/b", None, false, -1);
    txn.acl = Acl::read_acl_unsafe();
    db.apply(S1, 7, 14, Txn::Create2(txn));
    assert_eq!(&**db.tree.acl("/a/b").unwrap(), &Acl::read_acl_unsafe()[..]);
    // A lower parentCVersion (a create replayed after later ones) never lowers the parent.
    db.apply(S1, 8, 15, Txn::Create(create("/a/z", None, false, 2)));
    let a = db.tree.node("/a").unwrap().stat_persisted();
    assert_eq!((a.cversion, a.pzxid), (4, Zxid(5)));
    assert!(db.tree.node("/a/z").is_some(), "the node itself is created");
    assert_eq!(db.tree.digest(), recomputed_digest(&db.tree));
}

#[test]
fn replayed_delete_of_a_missing_node_still_moves_parent_pzxid() {
    let mut db = Db {
        tree: DataTree::new(),
    };
    db.apply(S1, 1, 10, Txn::Create(create("/a", None, false, 1)));
    let out = db.apply(S1, 9, 11, delete("/a/gone"));
    assert_eq!(out.result, OpResult::Error(ErrorCode::NoNode));
    assert!(out.triggers.is_empty());
    assert_eq!(db.tree.node("/a").unwrap().stat_persisted().pzxid, Zxid(9));
    // ... but only upwards.
    db.apply(S1, 4, 12, delete("/a/gone"));
    assert_eq!(db.tree.node("/a").unwrap().stat_persisted().pzxid, Zxid(9));
    assert_eq!(
        db.apply(S1, 10, 13, delete("/nope/x")).result.err(),
        ErrorCode::NoNode
    );
    assert_eq!(db.tree.digest(), recomputed_digest(&db.tree));
}

#[test]
fn multi_sub_txn_failing_on_replay_fails_alone() {
    let mut db = Db {
        tree: DataTree::new(),
    };
    db.apply(S1, 1, 10, Txn::Create(create("/x", None, false, 1)));
    let multi = Txn::Multi(vec![
        Txn::Create(create("/x", None, false, 1)),
        Txn::Create(create("/y", None, false, 2)),
    ]);
    let out = db.apply(S1, 2, 11, multi);
    let OpResult::Multi(results) = &out.result else {
        panic!()
    };
    assert_eq!(results[0], OpResult::Error(ErrorCode::NodeExists));
    assert!(matches!(&results[1], OpResult::Created { path, .. } if path == "/y"));
    assert_eq!(out.result.err(), ErrorCode::NodeExists);
    assert!(db.tree.node("/y").is_some());
}

#[test]
fn error_and_session_txns_change_nothing_but_the_zxid() {
    let mut db = Db {
        tree: DataTree::new(),
    };
    let before = db.tree.clone();
    let out = db.apply(
        S1,
        7,
        10,
        Txn::Error(ErrorTxn {
            err: ErrorCode::BadVersion,
        }),
    );
    assert_eq!(
        (out.result, out.zxid),
        (OpResult::Error(ErrorCode::BadVersion), Zxid(7))
    );
    db.apply(
        S1,
        8,
        10,
        Txn::CreateSession(CreateSessionTxn { timeout_ms: 4000 }),
    );
    db.apply(S1, 9, 10, Txn::CloseSession(None));
    assert_eq!(db.tree.digest(), before.digest());
    assert_eq!(db.tree.node_count(), before.node_count());
    assert_eq!(db.tree.last_processed_zxid(), Zxid(9));
    // An older zxid does not move it back.
    db.apply(S1, 3, 10, Txn::Error(ErrorTxn { err: ErrorCode::Ok }));
    assert_eq!(db.tree.last_processed_zxid(), Zxid(9));
}

#[test]
fn close_session_without_body_deletes_every_indexed_ephemeral() {
    let mut db = Db {
        tree: DataTree::new(),
    };
    db.apply(S1, 1, 10, Txn::Create(create("/p", None, false, -1)));
    db.apply(S2, 2, 10, Txn::Create(create("/p/e1", None, true, -1)));
    db.apply(S2, 3, 10, Txn::Create(create("/e2", None, true, -1)));
    db.apply(S1, 4, 10, Txn::Create(create("/mine", None, true, -1)));
    assert_eq!(db.tree.ephemerals(S2), ["/e2", "/p/e1"]);
    assert_eq!(db.tree.ephemerals_count(), 3);
    let out = db.apply(S2, 5, 10, Txn::CloseSession(None));
    assert_eq!(out.triggers.len(), 4);
    assert!(db.tree.node("/p/e1").is_none() && db.tree.node("/e2").is_none());
    assert_eq!(db.tree.ephemeral_sessions(), [S1]);
    // A body listing a path that is already gone is tolerated.
    let close = CloseSessionTxn {
        paths_to_delete: vec!["/gone".into()],
    };
    db.apply(S1, 6, 10, Txn::CloseSession(Some(close)));
    assert!(
        db.tree.node("/mine").is_none(),
        "index fallback removes the rest"
    );
    assert_eq!(db.tree.digest(), recomputed_digest(&db.tree));
}

#[test]
fn create_with_an_empty_name_is_rejected() {
    let mut db = Db {
        tree: DataTree::new(),
    };
    db.apply(S1, 1, 10, Txn::Create(create("/a", None, false, -1)));
    let before = db.tree.clone();
    for path in ["//", "/a/", ""] {
        let out = db.apply(S1, 2, 10, Txn::Create(create(path, None, false, -1)));
        assert!(!out.result.err().is_ok(), "{path}: {:?}", out.result);
    }
    assert_eq!(db.tree.node_count(), before.node_count());
    assert_eq!(db.tree.digest(), before.digest());
    assert_eq!(
        db.tree.acl_cache().references(AclId(2)),
        1,
        "the interned ACL was released"
    );
}

#[test]
fn ttl_owner_is_a_session_without_extended_types() {
    let mut db = Db {
        tree: DataTree::new(),
    };
    let ttl = CreateTtlTxn {
        path: "/t".into(),
        data: None,
        acl: Acl::open_acl_unsafe(),
        parent_cversion: -1,
        ttl: 5,
    };
    db.apply(S1, 1, 10, Txn::CreateTtl(ttl.clone()));
    // EphemeralType.get without extendedTypesEnabled: NORMAL, owner shown, indexed as such.
    assert_eq!(
        db.tree.stat("/t").unwrap().ephemeral_owner,
        0xFF00_0000_0000_0005_u64 as i64
    );
    assert!(db.tree.ttls().is_empty());
    assert_eq!(db.tree.ephemeral_sessions().len(), 1);
    let bad = CreateTtlTxn {
        ttl: 0,
        path: "/u".into(),
        ..ttl
    };
    assert_eq!(
        db.apply(S1, 2, 10, Txn::CreateTtl(bad)).result.err(),
        ErrorCode::BadArguments
    );
    assert!(db.tree.node("/u").is_none());
}

#[test]
fn deleting_a_node_with_children_from_a_corrupt_log_frees_the_subtree() {
    let mut db = Db {
        tree: DataTree::new(),
    };
    db.apply(S1, 1, 10, Txn::Create(create("/a", None, false, -1)));
    db.apply(
        S1,
        2,
        10,
        Txn::Create(create("/a/b", Some("12"), false, -1)),
    );
    db.apply(S2, 3, 10, Txn::Create(create("/a/b/e", None, true, -1)));
    let out = db.apply(S1, 4, 10, delete("/a"));
    assert!(matches!(out.result, OpResult::Deleted { .. }));
    assert_eq!(db.tree.node_count(), 4);
    assert!(db.tree.ephemerals(S2).is_empty());
    assert_eq!(
        db.tree.approximate_data_size(),
        DataTree::new().approximate_data_size()
    );
    assert_eq!(db.tree.digest(), recomputed_digest(&db.tree));
}

#[test]
fn approximate_data_size_tracks_paths_and_data() {
    let mut db = Db {
        tree: DataTree::new(),
    };
    db.apply(
        S1,
        1,
        10,
        Txn::Create(create("/ab", Some("xyz"), false, -1)),
    );
    assert_eq!(db.tree.approximate_data_size(), 44 + 3 + 3);
    db.apply(S1, 2, 10, set_data("/ab", "x", 1));
    assert_eq!(db.tree.approximate_data_size(), 44 + 3 + 1);
    // The root is counted under "" and "/".
    db.apply(S1, 3, 10, set_data("/", "rr", 1));
    assert_eq!(db.tree.approximate_data_size(), 44 + 3 + 1 + 4);
    // Java counts UTF-16 units: "é" is one.
    db.apply(S1, 4, 10, Txn::Create(create("/é", None, false, -1)));
    assert_eq!(db.tree.approximate_data_size(), 44 + 3 + 1 + 4 + 2);
    db.apply(S1, 5, 10, delete("/ab"));
    assert_eq!(db.tree.approximate_data_size(), 44 + 4 + 2);
}

#[test]
fn snapshot_hooks_round_trip_a_tree() {
    let mut db = Db {
        tree: DataTree::with_extended_types(true),
    };
    db.apply(S1, 1, 10, Txn::Create(create("/a", Some("x"), false, -1)));
    db.apply(S1, 2, 11, Txn::Create(create("/a/e", None, true, -1)));
    let container = CreateContainerTxn {
        path: "/c".into(),
        data: None,
        acl: Acl::read_acl_unsafe(),
        parent_cversion: -1,
    };
    db.apply(S1, 3, 12, Txn::CreateContainer(container));
    let ttl = CreateTtlTxn {
        path: "/a/t".into(),
        data: None,
        acl: Acl::open_acl_unsafe(),
        parent_cversion: -1,
        ttl: 9,
    };
    db.apply(S1, 4, 13, Txn::CreateTtl(ttl));
    db.apply(S1, 5, 14, delete("/a/t"));
    let tree = &db.tree;
    let mut builder = TreeBuilder::new(true);
    for (id, acl) in tree.acl_cache().entries() {
        builder.add_acl(id, acl.to_vec()).unwrap();
    }
    let mut order = Vec::new();
    let mut cursor = tree.preorder();
    while let Some((path, node)) = cursor.next_node() {
        order.push(path.to_owned());
        builder
            .add_node(
                path,
                node.data().map(Bytes::copy_from_slice),
                node.acl_id(),
                node.stat_persisted(),
            )
            .unwrap();
    }
    assert_eq!(order.len(), tree.node_count());
    assert_eq!(order[0], "");
    for path in &order[1..] {
        let parent = &path[..path.rfind('/').unwrap()];
        assert!(order.iter().position(|p| p == parent) < order.iter().position(|p| p == path));
    }
    let copy = builder.finish().unwrap();
    for path in &order {
        assert_eq!(copy.stat(path), tree.stat(path), "{path}");
        assert_eq!(copy.acl(path), tree.acl(path), "{path}");
    }
    assert_eq!(copy.digest(), tree.digest());
    assert_eq!(copy.approximate_data_size(), tree.approximate_data_size());
    assert_eq!(copy.ephemerals(S1), ["/a/e"]);
    assert_eq!(copy.containers(), ["/c"]);
    assert_eq!(copy.acl_cache().len(), tree.acl_cache().len());
}

#[test]
fn snapshot_builder_rejects_records_that_are_not_a_tree() {
    let stat = zk_proto::StatPersisted::default;
    let open = crate::AclId::OPEN_ACL_UNSAFE;
    let mut b = TreeBuilder::new(false);
    assert!(
        b.add_node("/a", None, open, stat()).is_err(),
        "node before root"
    );
    b.add_node("", None, open, stat()).unwrap();
    assert!(b.add_node("", None, open, stat()).is_err(), "root twice");
    assert!(
        b.add_node("/a/b", None, open, stat()).is_err(),
        "missing parent"
    );
    assert!(
        b.add_node("x", None, open, stat()).is_err(),
        "relative path"
    );
    assert!(b.add_node("/", None, open, stat()).is_err(), "end marker");
    assert!(b.add_node("//", None, open, stat()).is_err(), "empty name");
    b.add_node("/a", None, open, stat()).unwrap();
    assert!(
        b.add_node("/a", None, open, stat()).is_err(),
        "repeated path"
    );
    assert!(b.add_acl(open, vec![]).is_err());
    assert!(TreeBuilder::new(false).finish().is_err(), "no root");
    assert_eq!(b.finish().unwrap().node_count(), 2);
}

/// A fuzzy snapshot may hold a node whose ACL was interned after the ACL map was written
/// (Apache loads it, logging "Ignoring acl"). We load it too, but until the log replay
/// re-applies its create the node grants nothing: an unknown ACL must never mean "open".
#[test]
fn snapshot_node_with_unknown_acl_id_loads_and_denies_everything() {
    let stat = zk_proto::StatPersisted::default;
    let mut b = TreeBuilder::new(false);
    b.add_node("", None, crate::AclId::OPEN_ACL_UNSAFE, stat())
        .unwrap();
    b.add_node("/late", None, crate::AclId(5), stat()).unwrap();
    assert_eq!(b.unknown_acl_nodes(), 1);
    let tree = b.finish().unwrap();
    let acl = tree.acl("/late").unwrap();
    assert!(acl.iter().all(|entry| entry.perms == zk_proto::Perms::NONE));
    assert!(!acl.is_empty(), "an empty ACL would allow everyone");
}
