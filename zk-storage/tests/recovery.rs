//! Recovery scenarios on the in-memory log and snapshot store (and one on files): which
//! snapshot is used, what is replayed, when recovery refuses to start.

use std::collections::BTreeMap;

use zk_proto::{Epoch, StatPersisted, Zxid};
use zk_storage::recovery::{Recovery, RecoveryOptions, RecoveryProgress, RecoveryTarget};
use zk_storage::snapshot::{
    MemSnapshotStore, SnapshotAcl, SnapshotInfo, SnapshotNode, SnapshotSession, SnapshotStore,
    SnapshotTrailer,
};
use zk_storage::{BytesEntry, Error, FileTxnLog, MemTxnLog, TxnLog};

/// A toy state: the snapshot's node paths and the payloads of replayed entries.
#[derive(Debug, Default)]
struct Toy {
    began: Vec<Option<Zxid>>,
    nodes: Vec<String>,
    applied: Vec<i64>,
    finished: Option<Zxid>,
    /// A node path that the target refuses (to simulate a snapshot that is not a tree).
    reject_node: Option<String>,
    /// An entry the target cannot apply.
    reject_txn: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
#[error("toy refuses {0}")]
struct Refused(String);

impl RecoveryTarget<BytesEntry> for Toy {
    type Error = Refused;
    fn begin(&mut self, snapshot: Option<&SnapshotInfo>) {
        self.began.push(snapshot.map(|s| s.zxid));
        self.nodes.clear();
        self.applied.clear();
    }
    fn add_session(&mut self, _: SnapshotSession) -> Result<(), Refused> {
        Ok(())
    }
    fn add_acl(&mut self, _: SnapshotAcl) -> Result<(), Refused> {
        Ok(())
    }
    fn add_node(&mut self, node: SnapshotNode) -> Result<(), Refused> {
        if self.reject_node.as_deref() == Some(node.path.as_str()) {
            return Err(Refused(node.path));
        }
        self.nodes.push(node.path);
        Ok(())
    }
    fn apply_txn(&mut self, e: BytesEntry) -> Result<(), Refused> {
        if self.reject_txn == Some(e.zxid.0) {
            return Err(Refused(e.zxid.to_string()));
        }
        self.applied.push(e.zxid.0);
        Ok(())
    }
    fn finish(&mut self, last: Zxid) -> Result<(), Refused> {
        self.finished = Some(last);
        Ok(())
    }
}

/// Writes a snapshot at `zxid` whose nodes are "/" and "/s<zxid>".
fn snapshot(store: &MemSnapshotStore, zxid: i64) -> SnapshotInfo {
    let mut w = store.begin(Zxid(zxid)).unwrap();
    w.write_sessions([]).unwrap();
    w.write_acls([]).unwrap();
    let stat = StatPersisted::default();
    for path in ["/".to_owned(), format!("/s{zxid:x}")] {
        w.write_node(
            SnapshotNode {
                path,
                data: None,
                acl_id: -1,
                stat,
            }
            .as_ref(),
        )
        .unwrap();
    }
    store.commit(w, &SnapshotTrailer::apache_3_8(None)).unwrap()
}

fn log_of(zxids: impl IntoIterator<Item = i64>) -> MemTxnLog<BytesEntry> {
    let mut log = MemTxnLog::new();
    for z in zxids {
        log.append(BytesEntry::new(z, vec![])).unwrap();
    }
    log.sync().unwrap();
    log
}

fn corrupt(store: &MemSnapshotStore, info: &SnapshotInfo) {
    let mut bytes = store.raw(&info.name).unwrap().to_vec();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x80;
    store.put_raw(info.name.clone(), bytes);
}

#[test]
fn empty_data_dir_recovers_to_the_empty_state() {
    let mut toy = Toy::default();
    let report = Recovery::new(&MemSnapshotStore::new(), &log_of([]))
        .run(&mut toy)
        .unwrap();
    assert_eq!(toy.began, [None]);
    assert_eq!((report.snapshot, report.txns), (None, 0));
    assert_eq!(toy.finished, Some(Zxid::ZERO));
}

#[test]
fn newest_snapshot_then_only_later_txns_are_replayed() {
    let store = MemSnapshotStore::new();
    snapshot(&store, 3);
    let newest = snapshot(&store, 5);
    let mut toy = Toy::default();
    let report = Recovery::new(&store, &log_of(1..=9)).run(&mut toy).unwrap();
    assert_eq!(report.snapshot, Some(newest));
    assert_eq!(toy.nodes, ["/", "/s5"]);
    assert_eq!(toy.applied, [6, 7, 8, 9]);
    assert_eq!((report.txns, report.last_zxid), (4, Zxid(9)));
    assert_eq!(toy.finished, Some(Zxid(9)));
}

#[test]
fn snapshot_newer_than_the_log_recovers_to_the_snapshot() {
    let store = MemSnapshotStore::new();
    snapshot(&store, 20);
    let mut toy = Toy::default();
    let report = Recovery::new(&store, &log_of(1..=9)).run(&mut toy).unwrap();
    assert_eq!((report.txns, report.last_zxid), (0, Zxid(20)));
}

#[test]
fn a_gap_between_snapshot_and_log_is_an_error() {
    let store = MemSnapshotStore::new();
    snapshot(&store, 5);
    let err = Recovery::new(&store, &log_of(8..=9))
        .run(&mut Toy::default())
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::LogGapAfterSnapshot {
                snapshot_zxid: Zxid(5),
                next_zxid: Zxid(8)
            }
        ),
        "{err}"
    );
}

#[test]
fn a_new_epoch_may_follow_the_snapshot() {
    let store = MemSnapshotStore::new();
    let s = Zxid::new(Epoch(1), 5);
    snapshot(&store, s.0);
    let next = Zxid::new(Epoch(2), 1);
    let mut toy = Toy::default();
    Recovery::new(&store, &log_of([s.0, next.0]))
        .run(&mut toy)
        .unwrap();
    assert_eq!(toy.applied, [next.0]);
}

#[test]
fn invalid_newest_snapshot_falls_back_to_an_older_one() {
    let store = MemSnapshotStore::new();
    let older = snapshot(&store, 3);
    let newest = snapshot(&store, 5);
    corrupt(&store, &newest);
    let mut toy = Toy::default();
    let mut events = Vec::new();
    let report = Recovery::new(&store, &log_of(1..=6))
        .with_progress(|p| {
            events.push(match p {
                RecoveryProgress::SnapshotStarted(s) => format!("start {}", s.name),
                RecoveryProgress::SnapshotSkipped { snapshot, .. } => {
                    format!("skip {}", snapshot.name)
                }
                RecoveryProgress::SnapshotLoaded { snapshot, nodes } => {
                    format!("loaded {} {nodes}", snapshot.name)
                }
                other => format!("{other:?}"),
            })
        })
        .run(&mut toy)
        .unwrap();
    assert_eq!(report.snapshot, Some(older));
    assert_eq!(report.skipped.len(), 1);
    assert!(
        report.skipped[0].1.contains("invalid snapshot"),
        "{:?}",
        report.skipped
    );
    // The partial state of the failed attempt was discarded.
    assert_eq!(toy.began, [Some(Zxid(5)), Some(Zxid(3))]);
    assert_eq!(toy.nodes, ["/", "/s3"]);
    assert_eq!(toy.applied, [4, 5, 6]);
    assert_eq!(
        events,
        [
            "start snapshot.5",
            "skip snapshot.5",
            "start snapshot.3",
            "loaded snapshot.3 2"
        ]
    );
}

#[test]
fn snapshot_the_target_rejects_is_skipped() {
    let store = MemSnapshotStore::new();
    snapshot(&store, 3);
    snapshot(&store, 5);
    let mut toy = Toy {
        reject_node: Some("/s5".into()),
        ..Toy::default()
    };
    let report = Recovery::new(&store, &log_of(1..=6)).run(&mut toy).unwrap();
    assert_eq!(report.snapshot.map(|s| s.zxid), Some(Zxid(3)));
    assert!(report.skipped[0].1.contains("toy refuses /s5"));
}

#[test]
fn a_txn_the_target_rejects_stops_recovery_naming_it() {
    let store = MemSnapshotStore::new();
    snapshot(&store, 3);
    let mut toy = Toy {
        reject_txn: Some(5),
        ..Toy::default()
    };
    let err = Recovery::new(&store, &log_of(1..=6))
        .run(&mut toy)
        .unwrap_err();
    assert!(matches!(err, Error::Replay { zxid: Zxid(5), .. }), "{err}");
    assert_eq!(toy.finished, None);
}

#[test]
fn no_snapshot_but_whole_history_logged_replays_from_empty() {
    for first in [1, Zxid::new(Epoch(1), 1).0] {
        let mut toy = Toy::default();
        let report = Recovery::new(&MemSnapshotStore::new(), &log_of(first..first + 3))
            .run(&mut toy)
            .unwrap();
        assert_eq!(toy.began, [None]);
        assert_eq!(toy.applied, [first, first + 1, first + 2]);
        assert_eq!(report.last_zxid, Zxid(first + 2));
    }
}

#[test]
fn no_usable_snapshot_after_a_purge_refuses_to_start() {
    let store = MemSnapshotStore::new();
    let s = snapshot(&store, 5);
    corrupt(&store, &s);
    let log = log_of(3..=9);
    let err = Recovery::new(&store, &log)
        .run(&mut Toy::default())
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::NoUsableSnapshot {
                tried: 1,
                first_logged: Zxid(3)
            }
        ),
        "{err}"
    );
    // Apache's snapshot.trust.empty escape hatch replays what there is.
    let mut toy = Toy::default();
    Recovery::new(&store, &log)
        .with_options(RecoveryOptions {
            trust_empty_snapshot: true,
            ..RecoveryOptions::default()
        })
        .run(&mut toy)
        .unwrap();
    assert_eq!(toy.applied, (3..=9).collect::<Vec<_>>());
}

#[test]
fn only_invalid_snapshots_and_no_log_refuses_to_start() {
    // Apache would start with an empty tree here (its quick check filters the files out).
    let store = MemSnapshotStore::new();
    store.put_raw("snapshot.5", b"garbage".to_vec());
    let err = Recovery::new(&store, &log_of([]))
        .run(&mut Toy::default())
        .unwrap_err();
    assert!(
        matches!(err, Error::NoUsableSnapshot { tried: 1, .. }),
        "{err}"
    );
}

#[test]
fn snapshots_to_try_bounds_the_fallback() {
    let store = MemSnapshotStore::new();
    for z in [2, 3, 4] {
        let s = snapshot(&store, z);
        if z > 2 {
            corrupt(&store, &s);
        }
    }
    let options = RecoveryOptions {
        snapshots_to_try: 2,
        ..RecoveryOptions::default()
    };
    let err = Recovery::new(&store, &log_of(1..=5))
        .with_options(options.clone())
        .run(&mut Toy::default());
    // The log reaches back to zxid 1, so it falls back to a full replay rather than fail.
    assert_eq!(err.unwrap().snapshot, None);
    let with_three = RecoveryOptions {
        snapshots_to_try: 3,
        ..options
    };
    let report = Recovery::new(&store, &log_of(1..=5))
        .with_options(with_three)
        .run(&mut Toy::default())
        .unwrap();
    assert_eq!(report.snapshot.map(|s| s.zxid), Some(Zxid(2)));
}

#[test]
fn progress_reports_nodes_and_txns_every_n() {
    let store = MemSnapshotStore::new();
    snapshot(&store, 1);
    let mut counts = BTreeMap::new();
    Recovery::new(&store, &log_of(1..=10))
        .with_options(RecoveryOptions {
            progress_every: 2,
            ..RecoveryOptions::default()
        })
        .with_progress(|p| {
            let key = match p {
                RecoveryProgress::Nodes { .. } => "nodes",
                RecoveryProgress::Txns { .. } => "txns",
                _ => "other",
            };
            *counts.entry(key).or_insert(0) += 1;
        })
        .run(&mut Toy::default())
        .unwrap();
    // 2 nodes → one report; 9 txns (2..=10) → four reports.
    assert_eq!(counts.get("nodes"), Some(&1));
    assert_eq!(counts.get("txns"), Some(&4));
}

#[test]
fn corruption_in_the_middle_of_the_log_fails_recovery() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = FileTxnLog::<BytesEntry>::open(dir.path()).unwrap();
    for z in 1..=5 {
        log.append(BytesEntry::new(z, vec![z as u8; 100])).unwrap();
    }
    log.sync().unwrap();
    drop(log);
    // Flip a payload byte of the second record: a complete record with a bad checksum.
    let path = dir.path().join("log.1");
    let mut bytes = std::fs::read(&path).unwrap();
    let second_payload = 16 + (8 + 4 + 108 + 1) + 8 + 4 + 8 + 50;
    bytes[second_payload] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let result = FileTxnLog::<BytesEntry>::open(dir.path())
        .and_then(|log| Recovery::new(&MemSnapshotStore::new(), &log).run(&mut Toy::default()));
    let err = result.unwrap_err();
    assert!(err.to_string().contains("log.1"), "{err}");
}
