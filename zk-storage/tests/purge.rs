//! Retention on a real dataDir: our purge keeps what Apache's `PurgeTxnLog` keeps, and the
//! purged directory still recovers to the same tree.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use zk_storage::purge::{detach_purge, plan_purge, purge, AutopurgeConfig};
use zk_storage::recovery::Recovery;
use zk_storage::snapshot::{FileSnapshotStore, SnapshotStore};
use zk_storage::{FileTxnLog, RawTxn};

use common::tree_target::TreeTarget;
use common::{assert_trees_eq, fixture, java_classpath, ExpectedTree};

fn copy_fixture(name: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(
        &fixture(name).join("version-2"),
        &tmp.path().join("version-2"),
    );
    tmp
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect()
}

/// Purges a copy of `data_dir` twice, with [`purge`] and with [`detach_purge`] (decided, then
/// executed after the log is gone); both must leave the same files. Returns them.
fn our_purge(data_dir: &Path, retain: usize) -> BTreeSet<String> {
    let config = AutopurgeConfig::new(retain, 1);
    let twin = tempfile::tempdir().unwrap();
    copy_dir(&data_dir.join("version-2"), &twin.path().join("version-2"));

    let dir = data_dir.join("version-2");
    let store = FileSnapshotStore::open(&dir).unwrap();
    let mut log = FileTxnLog::<RawTxn>::open(&dir).unwrap();
    purge(&store, &mut log, &config).unwrap();

    let twin_dir = twin.path().join("version-2");
    let store = FileSnapshotStore::open(&twin_dir).unwrap();
    let mut log = FileTxnLog::<RawTxn>::open(&twin_dir).unwrap();
    let pending = detach_purge(&store, &mut log, &config).unwrap();
    drop(log);
    pending.execute().unwrap();

    assert_eq!(
        names(&dir),
        names(&twin_dir),
        "purge and detach_purge differ"
    );
    names(&dir)
}

#[test]
fn purge_keeps_the_newest_snapshots_and_the_logs_they_need() {
    for name in common::FIXTURES {
        let tmp = copy_fixture(name);
        let dir = tmp.path().join("version-2");
        let store = FileSnapshotStore::open(&dir).unwrap();
        let listed = store.list().unwrap();
        let log_starts: Vec<_> = FileTxnLog::<RawTxn>::open(&dir)
            .unwrap()
            .log_files()
            .iter()
            .map(|f| f.start_zxid)
            .collect();
        let plan = plan_purge(
            &listed.iter().map(|s| (s.zxid, true)).collect::<Vec<_>>(),
            &log_starts,
            3,
        );
        let kept = our_purge(tmp.path(), 3);

        // Exactly the three newest snapshots remain.
        let snaps: Vec<&String> = kept.iter().filter(|n| n.starts_with("snapshot.")).collect();
        let newest: BTreeSet<&String> = listed[..3].iter().map(|s| &s.name).collect();
        assert_eq!(snaps.into_iter().collect::<BTreeSet<_>>(), newest, "{name}");
        // The logs deleted are the plan's.
        for z in &plan.logs {
            assert!(
                !kept.contains(&format!("log.{:x}", z.0)),
                "{name}: log.{:x} kept",
                z.0
            );
        }
        let logs_left = kept.iter().filter(|n| n.starts_with("log.")).count();
        assert_eq!(logs_left, log_starts.len() - plan.logs.len(), "{name}");

        // Still recovers to Apache's tree.
        let log = FileTxnLog::<RawTxn>::open(&dir).unwrap();
        let mut target = TreeTarget::default();
        Recovery::new(&store, &log).run(&mut target).unwrap();
        assert_trees_eq(&target.dump(), &ExpectedTree::of_fixture(name), name);
    }
}

#[test]
fn purge_deletes_what_apaches_purge_txn_log_deletes() {
    let Some(cp) = java_classpath("purge_deletes_what_apaches_purge_txn_log_deletes") else {
        return;
    };
    for retain in [3, 5] {
        let ours = copy_fixture("apache-datadir");
        let theirs = copy_fixture("apache-datadir");
        let kept = our_purge(ours.path(), retain);
        let out = Command::new("java")
            .arg("-cp")
            .arg(&cp)
            .arg("org.apache.zookeeper.server.PurgeTxnLog")
            .arg(theirs.path())
            .arg(theirs.path())
            .arg("-n")
            .arg(retain.to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            kept,
            names(&theirs.path().join("version-2")),
            "retain {retain}"
        );
    }
}
