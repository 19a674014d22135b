//! Interop with Apache ZooKeeper 3.8's on-disk format, both directions.
//!
//! Apache → us: `tests/data/apache-datadir*` were written by a real Apache 3.8 server (see
//! `tests/data/README.md`); each holds `expected.tsv`, Apache's own view of the final state
//! (its `FileTxnSnapLog.restore` plus a tree walk). We recover the same directory with our
//! snapshot reader and log, replaying into zk-tree's DataTree, and compare node by node.
//!
//! Us → Apache (needs `ZK_JAVA_CLASSPATH`, else skipped with a note): we write a dataDir
//! (snapshot in each compression plus a log), and Apache's own recovery and a real Apache
//! server with zkCli read it back.

mod common;

use std::path::Path;

use zk_proto::txn::{CreateTxn, DeleteTxn, SetDataTxn, Txn, TxnDigest, TxnHeader, TxnLogEntry};
use zk_proto::{Acl, OpCode, Xid, Zxid};
use zk_storage::recovery::{Recovery, RecoveryReport};
use zk_storage::snapshot::{
    save_snapshot, Compression, FileSnapshotStore, SnapshotStore, SnapshotTrailer, SnapshotWriter,
};
use zk_storage::{Error, FileTxnLog, RawTxn, TxnLog};

use common::tree_target::{TreeSource, TreeTarget};
use common::{apache_dump, assert_trees_eq, fixture, java_classpath, ExpectedTree, FIXTURES};

/// A scratch copy of a fixture's `version-2/` (recovery may trim a log's tail).
fn copy_fixture(name: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let to = tmp.path().join("version-2");
    std::fs::create_dir(&to).unwrap();
    for e in std::fs::read_dir(fixture(name).join("version-2")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
    tmp
}

fn recover(version2: &Path) -> Result<(TreeTarget, RecoveryReport), Error> {
    let store = FileSnapshotStore::open(version2)?;
    let log = FileTxnLog::<RawTxn>::open(version2)?;
    let mut target = TreeTarget::default();
    let report = Recovery::new(&store, &log).run(&mut target)?;
    Ok((target, report))
}

#[test]
fn every_apache_snapshot_loads_and_rewrites_byte_identically() {
    for name in FIXTURES {
        let dir = fixture(name).join("version-2");
        let store = FileSnapshotStore::open(&dir).unwrap();
        let list = store.list().unwrap();
        assert!(list.len() >= 10, "{name}: {} snapshots", list.len());
        for info in list {
            let mut r = store.open(&info).unwrap();
            let sessions = r.sessions().to_vec();
            let acls = r.acls().to_vec();
            let nodes: Vec<_> = r.by_ref().collect::<Result<_, _>>().unwrap();
            let trailer = r.finish().unwrap();
            // Apache 3.8 with digests on: a digest section, no lastProcessedZxid.
            assert!(trailer.digest.is_some() && trailer.last_processed_zxid.is_none());

            let mut w = SnapshotWriter::new(Vec::new(), "rewrite").unwrap();
            w.write_sessions(sessions).unwrap();
            w.write_acls(acls.iter().map(|a| (a.id, a.acl.as_slice())))
                .unwrap();
            for n in &nodes {
                w.write_node(n.as_ref()).unwrap();
            }
            let ours = w.finish(&trailer).unwrap();
            let raw = std::fs::read(dir.join(&info.name)).unwrap();
            let mut apache = Vec::new();
            std::io::Read::read_to_end(
                &mut info.compression.decoder(&raw[..]).unwrap(),
                &mut apache,
            )
            .unwrap();
            assert!(ours == apache, "{name}/{}: rewrite differs", info.name);
        }
    }
}

#[test]
fn apache_datadirs_recover_to_apaches_own_tree() {
    for name in FIXTURES {
        let tmp = copy_fixture(name);
        let (target, report) = recover(&tmp.path().join("version-2")).unwrap();
        let newest = FileSnapshotStore::open(fixture(name).join("version-2"))
            .unwrap()
            .list()
            .unwrap()
            .remove(0);
        assert_eq!(report.snapshot.as_ref(), Some(&newest), "{name}");
        assert!(report.skipped.is_empty(), "{name}: {:?}", report.skipped);
        let expected = ExpectedTree::of_fixture(name);
        assert_eq!(report.last_zxid, expected.zxid, "{name}");
        assert_trees_eq(&target.dump(), &expected, name);
    }
}

#[test]
fn recovery_from_each_older_apache_snapshot_reaches_the_same_tree() {
    let name = "apache-datadir";
    let expected = ExpectedTree::of_fixture(name);
    let tmp = copy_fixture(name);
    let dir = tmp.path().join("version-2");
    let store = FileSnapshotStore::open(&dir).unwrap();
    // Drop the newest snapshot each round: replay starts further back (fuzzy snapshots
    // included), and must land on the same tree.
    for info in store.list().unwrap() {
        let (target, report) = recover(&dir).unwrap();
        assert_eq!(report.snapshot.as_ref(), Some(&info));
        assert_trees_eq(&target.dump(), &expected, &format!("from {}", info.name));
        store.remove(&info).unwrap();
    }
    // No snapshot left, but the log reaches back to zxid 1: full replay from the empty tree.
    let (target, report) = recover(&dir).unwrap();
    assert_eq!(report.snapshot, None);
    assert_trees_eq(&target.dump(), &expected, "from the empty tree");
}

#[test]
fn corrupt_newest_apache_snapshot_falls_back_to_the_previous_one() {
    for name in FIXTURES {
        let expected = ExpectedTree::of_fixture(name);
        for damage in ["flip", "truncate"] {
            let tmp = copy_fixture(name);
            let dir = tmp.path().join("version-2");
            let list = FileSnapshotStore::open(&dir).unwrap().list().unwrap();
            let path = dir.join(&list[0].name);
            let mut bytes = std::fs::read(&path).unwrap();
            let mid = bytes.len() / 2;
            match damage {
                "flip" => bytes[mid] ^= 0x04,
                _ => bytes.truncate(mid),
            }
            std::fs::write(&path, bytes).unwrap();

            let (target, report) = recover(&dir).unwrap();
            assert_eq!(report.snapshot.as_ref(), Some(&list[1]), "{name} {damage}");
            assert_eq!(report.skipped.len(), 1, "{name} {damage}");
            assert_eq!(report.skipped[0].0.name, list[0].name);
            assert_trees_eq(&target.dump(), &expected, &format!("{name} {damage}"));
        }
    }
}

#[test]
fn purged_log_without_a_usable_snapshot_refuses_to_start() {
    let tmp = copy_fixture("apache-datadir");
    let dir = tmp.path().join("version-2");
    let snapshots = FileSnapshotStore::open(&dir).unwrap().list().unwrap().len();
    for e in std::fs::read_dir(&dir).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        // Damage every snapshot; purge the first log file.
        if name.starts_with("snapshot.") {
            std::fs::write(dir.join(&name), b"not a snapshot").unwrap();
        } else if name == "log.1" {
            std::fs::remove_file(dir.join(&name)).unwrap();
        }
    }
    match recover(&dir) {
        Err(Error::NoUsableSnapshot {
            tried,
            first_logged,
        }) => {
            assert_eq!(tried, snapshots);
            assert!(first_logged > Zxid(1));
        }
        other => panic!("expected NoUsableSnapshot, got {:?}", other.map(|r| r.1)),
    }
}

/// Txns appended after our snapshot: a create, a setData and a delete.
fn extra_txns(tree_target: &mut TreeTarget, first: Zxid) -> Vec<RawTxn> {
    let txns = [
        Txn::Create(CreateTxn {
            path: "/x".into(),
            data: Some("hello from rust".into()),
            acl: Acl::open_acl_unsafe(),
            ephemeral: false,
            parent_cversion: 0, // set below from the tree
        }),
        Txn::SetData(SetDataTxn {
            path: "/app/config".into(),
            data: Some("written by zk-storage".into()),
            version: 0, // set below
        }),
        Txn::Delete(DeleteTxn {
            path: "/bulk/n1".into(),
        }),
    ];
    let mut out = Vec::new();
    for (i, mut txn) in txns.into_iter().enumerate() {
        let tree = tree_target.tree.as_ref().unwrap();
        match &mut txn {
            Txn::Create(c) => {
                c.parent_cversion = tree.node("/").unwrap().stat_persisted().cversion + 1
            }
            Txn::SetData(s) => s.version = tree.stat("/app/config").unwrap().version + 1,
            _ => {}
        }
        let header = TxnHeader {
            client_id: zk_proto::SessionId(0),
            cxid: Xid(i as i32 + 1),
            zxid: Zxid(first.0 + i as i64),
            time: 1_800_000_000_000 + i as i64,
            txn_type: OpCode::Create,
        };
        // Apply first, so the digest logged with the txn is the tree's after it.
        let tree = tree_target.tree.as_mut().unwrap();
        tree.apply(&header, &txn);
        tree.set_last_processed_zxid(header.zxid);
        let digest = TxnDigest {
            version: TxnDigest::VERSION,
            tree_digest: tree.digest(),
        };
        let entry = TxnLogEntry::new(header, txn, Some(digest));
        out.push(RawTxn::new(entry.to_vec()).unwrap());
    }
    out
}

#[test]
fn apache_loads_a_datadir_we_wrote() {
    let Some(cp) = java_classpath("apache_loads_a_datadir_we_wrote") else {
        return;
    };
    // Start from Apache's fixture, recovered by us: a realistic tree (ephemerals, containers,
    // TTLs, digest ACLs, null data, sequential names).
    let source = copy_fixture("apache-datadir");
    let (ours, report) = recover(&source.path().join("version-2")).unwrap();
    for compression in Compression::ALL {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("version-2");
        let store = FileSnapshotStore::open(&dir)
            .unwrap()
            .with_compression(compression);
        let snapshot_state = ours.dump();
        let info = {
            let src = TreeSource {
                tree: ours.tree.as_ref().unwrap(),
                sessions: &ours.sessions,
            };
            save_snapshot(&store, report.last_zxid, &src).unwrap()
        };
        assert_eq!(info.compression, compression);

        // Snapshot alone: Apache's FileSnap sees exactly our tree.
        let apache = apache_dump(&cp, tmp.path(), true);
        assert_trees_eq(&snapshot_state, &apache, &format!("{compression} snapshot"));

        // Then a log after it.
        let mut with_log = TreeTarget {
            tree: Some(rebuild(&ours)),
            sessions: ours.sessions.clone(),
            ..TreeTarget::default()
        };
        let txns = extra_txns(&mut with_log, Zxid(report.last_zxid.0 + 1));
        let mut log = FileTxnLog::<RawTxn>::open(&dir).unwrap();
        for t in txns {
            log.append(t).unwrap();
        }
        log.sync().unwrap();
        drop(log);
        let apache = apache_dump(&cp, tmp.path(), false);
        assert_trees_eq(
            &with_log.dump(),
            &apache,
            &format!("{compression} snapshot+log"),
        );

        if compression == Compression::Gzip {
            let server = common::ApacheServer::start(&cp, tmp.path(), tmp.path());
            let out = server.zkcli(&["get", "/x"]);
            assert_eq!(
                out.lines().last(),
                Some("hello from rust"),
                "{out}\n{}",
                server.log()
            );
            let out = server.zkcli(&["get", "/app/config"]);
            assert_eq!(out.lines().last(), Some("written by zk-storage"));
            let out = server.zkcli(&["get", "/secure/child"]);
            assert!(out.contains("Insufficient permission"), "{out}");
        }
    }
}

/// A copy of a recovered tree, through the snapshot format.
fn rebuild(t: &TreeTarget) -> zk_tree::DataTree {
    let store = zk_storage::snapshot::MemSnapshotStore::new();
    let src = TreeSource {
        tree: t.tree.as_ref().unwrap(),
        sessions: &t.sessions,
    };
    let zxid = t.tree.as_ref().unwrap().last_processed_zxid();
    save_snapshot(&store, zxid, &src).unwrap();
    let log = zk_storage::MemTxnLog::<RawTxn>::new();
    let mut copy = TreeTarget::default();
    Recovery::new(&store, &log).run(&mut copy).unwrap();
    assert_trees_eq(&copy.dump(), &t.dump(), "rebuild");
    copy.tree.unwrap()
}

#[test]
fn our_snapshot_trailer_is_apache_3_8_shaped() {
    let t = SnapshotTrailer::apache_3_8(None);
    assert_eq!(t.digest.map(|d| d.zxid), Some(Zxid(0)));
    assert_eq!(t.last_processed_zxid, None);
}
