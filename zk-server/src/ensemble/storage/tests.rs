//! Tests of quorum storage on real files (tempfile directories, real fsync).

use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::mpsc::UnboundedReceiver;
use zk_proto::txn::{CreateSessionTxn, CreateTxn, Txn, TxnHeader, TxnLogEntry};
use zk_proto::{Acl, Epoch, Id, OpCode, Perms, SessionId, Xid, Zxid};
use zk_tree::data_tree::DataTree;
use zk_zab::{EpochKind, Proposal, Restored};

use super::*;
use crate::config::ServerConfig;
use crate::persistence::{Durability, Persistence, TreeSnapshot};

pub(super) fn z(epoch: u32, counter: u32) -> Zxid {
    Zxid::new(Epoch(epoch), counter)
}

pub(super) fn config(dir: &Path) -> ServerConfig {
    ServerConfig {
        data_dir: dir.to_path_buf(),
        data_log_dir: dir.to_path_buf(),
        ..ServerConfig::default()
    }
}

/// The txn that creates `path` (holding `path` as its data), as a log stores it.
pub(super) fn create_entry(zxid: Zxid, path: &str) -> TxnLogEntry {
    TxnLogEntry::new(
        TxnHeader {
            client_id: SessionId(0x11),
            cxid: Xid(1),
            zxid,
            time: 1_700_000_000_000,
            txn_type: OpCode::Create,
        },
        Txn::Create(CreateTxn {
            path: path.into(),
            data: Some(Bytes::copy_from_slice(path.as_bytes())),
            acl: Acl::open_acl_unsafe(),
            ephemeral: false,
            parent_cversion: 1,
        }),
        None,
    )
}

pub(super) fn proposal(zxid: Zxid, path: &str) -> Proposal {
    Proposal {
        zxid,
        txn: create_entry(zxid, path).to_vec().into(),
    }
}

fn zxids(log: &[Proposal]) -> Vec<Zxid> {
    log.iter().map(|p| p.zxid).collect()
}

fn recover(dir: &Path) -> Result<QuorumRecovered> {
    QuorumStorage::open(&config(dir))?.recover()
}

/// Runs `commands` on a storage thread over `dir` (recovering first) and returns the events
/// it reported, waiting for `expected` of them.
fn run(dir: &Path, commands: Vec<StorageCommand>, expected: usize) -> Vec<StorageEvent> {
    let mut storage = QuorumStorage::open(&config(dir)).expect("open");
    storage.recover().expect("recover");
    let (thread, mut events) = StorageThread::start(storage, &config(dir)).expect("start");
    for command in commands {
        thread.submit(command);
    }
    let got = wait_for(&mut events, expected);
    drop(thread);
    got
}

fn wait_for(events: &mut UnboundedReceiver<StorageEvent>, expected: usize) -> Vec<StorageEvent> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut got = Vec::new();
    while got.len() < expected {
        match events.try_recv() {
            Ok(event) => got.push(event),
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(2)),
            Err(_) => panic!("timed out waiting for {expected} events; got {got:?}"),
        }
    }
    got
}

fn assert_persisted(events: &[StorageEvent], zxid: Zxid) {
    assert!(
        matches!(events.last(), Some(StorageEvent::LogPersisted(z)) if *z == zxid),
        "expected LogPersisted({zxid}) last: {events:?}"
    );
}

/// A tree holding `/app` and `/app/x`, with a non-open ACL and an ephemeral of session 0x22.
fn sample_tree(zxid: Zxid) -> (DataTree, Vec<(SessionId, i32)>) {
    let mut tree = DataTree::new();
    let header = |session, zxid| TxnHeader {
        client_id: SessionId(session),
        cxid: Xid(1),
        zxid,
        time: 1_700_000_000_000,
        txn_type: OpCode::Create,
    };
    let secret = vec![Acl::new(Perms::READ, Id::new("digest", "u:abc"))];
    let creates = [
        ("/app", Acl::open_acl_unsafe(), false, 0x11),
        ("/app/x", secret, false, 0x11),
        ("/app/eph", Acl::open_acl_unsafe(), true, 0x22),
    ];
    for (i, (path, acl, ephemeral, session)) in creates.into_iter().enumerate() {
        let txn = Txn::Create(CreateTxn {
            path: path.into(),
            data: Some(Bytes::from(format!("data of {path}"))),
            acl,
            ephemeral,
            parent_cversion: 1,
        });
        let counter = zxid.counter() - 2 + i as u32;
        tree.apply(&header(session, Zxid::new(zxid.epoch(), counter)), &txn);
    }
    tree.set_last_processed_zxid(zxid);
    (
        tree,
        vec![(SessionId(0x11), 30_000), (SessionId(0x22), 10_000)],
    )
}

#[test]
fn recover_on_an_empty_dir_is_a_fresh_replica_and_writes_epoch_zero() {
    let dir = tempfile::tempdir().unwrap();
    let recovered = recover(dir.path()).unwrap();
    assert_eq!(recovered.restored, Restored::default());
    assert!(recovered.sessions.is_empty());
    assert_eq!(recovered.tree.digest(), DataTree::new().digest());
    assert_eq!(recovered.tree.last_processed_zxid(), Zxid::ZERO);
    let v2 = dir.path().join("version-2");
    assert_eq!(
        std::fs::read_to_string(v2.join("currentEpoch")).unwrap(),
        "0"
    );
    assert_eq!(
        std::fs::read_to_string(v2.join("acceptedEpoch")).unwrap(),
        "0"
    );
}

#[test]
fn appends_and_epochs_survive_restarts_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let events = run(
        dir.path(),
        vec![
            StorageCommand::PersistEpoch(EpochKind::Accepted, Epoch(2)),
            StorageCommand::PersistEpoch(EpochKind::Current, Epoch(1)),
            StorageCommand::Append(vec![proposal(z(1, 1), "/a"), proposal(z(1, 2), "/b")]),
            StorageCommand::Append(vec![proposal(z(1, 3), "/c")]),
        ],
        3,
    );
    assert!(matches!(
        events[..2],
        [
            StorageEvent::EpochPersisted(EpochKind::Accepted, Epoch(2)),
            StorageEvent::EpochPersisted(EpochKind::Current, Epoch(1)),
        ]
    ));
    assert_persisted(&events, z(1, 3));

    let first = recover(dir.path()).unwrap().restored;
    let expected = Restored {
        accepted_epoch: Epoch(2),
        current_epoch: Epoch(1),
        snapshot_zxid: Zxid::ZERO,
        log: vec![
            proposal(z(1, 1), "/a"),
            proposal(z(1, 2), "/b"),
            proposal(z(1, 3), "/c"),
        ],
    };
    assert_eq!(first, expected);
    assert_eq!(recover(dir.path()).unwrap().restored, expected);
}

#[test]
fn log_above_a_snapshot_becomes_restored_log_and_stays_out_of_the_tree() {
    let dir = tempfile::tempdir().unwrap();
    let mut tree = DataTree::new();
    let first = create_entry(z(1, 1), "/a");
    tree.apply(&first.header, &first.txn);
    tree.set_last_processed_zxid(z(1, 1));
    let snapshot = TreeSnapshot::capture(&tree, vec![(SessionId(0x11), 5_000)]);
    let events = run(
        dir.path(),
        vec![
            StorageCommand::Append(vec![proposal(z(1, 1), "/a"), proposal(z(1, 2), "/b")]),
            StorageCommand::Snapshot(Box::new(snapshot)),
            StorageCommand::Append(vec![proposal(z(1, 3), "/c")]),
        ],
        2,
    );
    assert_persisted(&events, z(1, 3));

    let recovered = recover(dir.path()).unwrap();
    assert_eq!(recovered.restored.snapshot_zxid, z(1, 1));
    assert_eq!(zxids(&recovered.restored.log), vec![z(1, 2), z(1, 3)]);
    assert_eq!(recovered.restored.log[0], proposal(z(1, 2), "/b"));
    assert!(recovered.tree.node("/a").is_some());
    assert!(
        recovered.tree.node("/b").is_none(),
        "the log is not replayed"
    );
    assert!(
        recovered.tree.node("/c").is_none(),
        "the log is not replayed"
    );
    assert_eq!(recovered.tree.last_processed_zxid(), z(1, 1));
    assert_eq!(recovered.tree.digest(), tree.digest());
    assert_eq!(recovered.sessions, vec![(SessionId(0x11), 5_000)]);
}

#[test]
fn missing_epoch_files_are_derived_as_apache_does_and_written() {
    // Neither file: both become the epoch of the last logged zxid.
    let dir = tempfile::tempdir().unwrap();
    run(
        dir.path(),
        vec![StorageCommand::Append(vec![
            proposal(z(1, 1), "/a"),
            proposal(z(3, 1), "/b"),
        ])],
        1,
    );
    let v2 = dir.path().join("version-2");
    std::fs::remove_file(v2.join("currentEpoch")).unwrap();
    std::fs::remove_file(v2.join("acceptedEpoch")).unwrap();
    let restored = recover(dir.path()).unwrap().restored;
    assert_eq!(
        (restored.accepted_epoch, restored.current_epoch),
        (Epoch(3), Epoch(3))
    );
    assert_eq!(
        std::fs::read_to_string(v2.join("currentEpoch")).unwrap(),
        "3"
    );
    assert_eq!(
        std::fs::read_to_string(v2.join("acceptedEpoch")).unwrap(),
        "3"
    );

    // Only acceptedEpoch missing: it becomes currentEpoch.
    std::fs::write(v2.join("currentEpoch"), "5").unwrap();
    std::fs::remove_file(v2.join("acceptedEpoch")).unwrap();
    let restored = recover(dir.path()).unwrap().restored;
    assert_eq!(
        (restored.accepted_epoch, restored.current_epoch),
        (Epoch(5), Epoch(5))
    );
    assert_eq!(
        std::fs::read_to_string(v2.join("acceptedEpoch")).unwrap(),
        "5"
    );
}

#[test]
fn accepted_epoch_below_current_epoch_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let v2 = dir.path().join("version-2");
    std::fs::create_dir_all(&v2).unwrap();
    std::fs::write(v2.join("acceptedEpoch"), "1").unwrap();
    std::fs::write(v2.join("currentEpoch"), "2").unwrap();
    let err = recover(dir.path()).err().expect("refused").to_string();
    assert!(
        err.contains("acceptedEpoch 1 is below currentEpoch 2"),
        "{err}"
    );
}

#[test]
fn a_hole_in_the_log_above_the_snapshot_is_an_error_naming_the_zxids() {
    // The storage layer accepts any counter at an epoch change; a Zab history does not.
    let dir = tempfile::tempdir().unwrap();
    run(
        dir.path(),
        vec![StorageCommand::Append(vec![
            proposal(z(1, 1), "/a"),
            proposal(z(1, 2), "/b"),
            proposal(z(2, 5), "/c"),
        ])],
        1,
    );
    let err = recover(dir.path()).err().expect("refused").to_string();
    assert!(err.contains(&z(2, 5).to_string()), "{err}");
    assert!(err.contains(&z(1, 2).to_string()), "{err}");
}

#[test]
fn truncate_then_append_continues_after_the_kept_zxid() {
    let dir = tempfile::tempdir().unwrap();
    let events = run(
        dir.path(),
        vec![
            StorageCommand::Append(vec![
                proposal(z(1, 1), "/a"),
                proposal(z(1, 2), "/b"),
                proposal(z(1, 3), "/c"),
            ]),
            StorageCommand::TruncateAfter(z(1, 1)),
            StorageCommand::Append(vec![proposal(z(2, 1), "/d")]),
        ],
        2,
    );
    assert!(
        matches!(events[0], StorageEvent::LogPersisted(zx) if zx == z(1, 3)),
        "the appends before the truncation are reported first: {events:?}"
    );
    assert_persisted(&events, z(2, 1));
    let restored = recover(dir.path()).unwrap().restored;
    assert_eq!(zxids(&restored.log), vec![z(1, 1), z(2, 1)]);
    assert_eq!(restored.log[1], proposal(z(2, 1), "/d"));
}

#[test]
fn installed_snapshot_replaces_tree_and_log_across_a_restart() {
    // The log ends below the snapshot, and above it: both must restart from the snapshot with
    // nothing logged above it, and appends must continue right after it.
    for log_end in [z(1, 3), z(2, 9)] {
        let dir = tempfile::tempdir().unwrap();
        let zxid = z(2, 5);
        let (leader_tree, sessions) = sample_tree(zxid);
        let body = encode_sync_snapshot(&leader_tree, &sessions);
        let mut log = vec![proposal(z(1, 1), "/old1")];
        let mut prev = z(1, 1);
        while prev < log_end {
            prev = if prev == z(1, 3) {
                z(2, 1)
            } else {
                Zxid(prev.0 + 1)
            };
            log.push(proposal(prev, "/old"));
        }
        let events = run(
            dir.path(),
            vec![
                StorageCommand::Append(log),
                StorageCommand::InstallSnapshot {
                    zxid,
                    snapshot: body,
                },
            ],
            2,
        );
        assert!(
            matches!(events[..], [StorageEvent::LogPersisted(a), StorageEvent::SnapshotInstalled(b)]
                if a == log_end && b == zxid),
            "{events:?}"
        );

        let recovered = recover(dir.path()).unwrap();
        assert_eq!(recovered.restored.snapshot_zxid, zxid, "log end {log_end}");
        assert!(recovered.restored.log.is_empty(), "log end {log_end}");
        assert_eq!(recovered.tree.digest(), leader_tree.digest());
        assert!(recovered.tree.node("/old1").is_none());
        assert_eq!(recovered.sessions, sessions);
        assert_eq!(recovered.tree.last_processed_zxid(), zxid);

        let events = run(
            dir.path(),
            vec![StorageCommand::Append(vec![proposal(z(2, 6), "/new")])],
            1,
        );
        assert_persisted(&events, z(2, 6));
        let restored = recover(dir.path()).unwrap().restored;
        assert_eq!(zxids(&restored.log), vec![z(2, 6)], "log end {log_end}");
    }
}

#[test]
fn sync_body_round_trip_keeps_tree_digest_acls_and_sessions() {
    let (tree, sessions) = sample_tree(z(4, 7));
    let body = encode_sync_snapshot(&tree, &sessions);
    let (copy, copied_sessions) = decode_sync_snapshot(&body, false).unwrap();
    assert_eq!(copy.digest(), tree.digest());
    assert_eq!(copied_sessions, sessions);
    assert_eq!(copy.node_count(), tree.node_count());
    for path in ["/app", "/app/x", "/app/eph", "/zookeeper"] {
        assert_eq!(copy.stat(path), tree.stat(path), "{path}");
        assert_eq!(copy.acl(path), tree.acl(path), "{path}");
        assert_eq!(
            copy.node(path).and_then(|n| n.data().map(<[u8]>::to_vec)),
            tree.node(path).and_then(|n| n.data().map(<[u8]>::to_vec)),
            "{path}"
        );
    }
    assert_eq!(
        copy.ephemerals(SessionId(0x22)),
        vec!["/app/eph".to_owned()]
    );
    assert_eq!(
        copy.last_processed_zxid(),
        Zxid::ZERO,
        "the caller sets the zxid"
    );
    // Re-encoding the copy gives the same content; children may come in another order (hash
    // table order, as in Apache's snapshots), so compare sizes and what decodes, not bytes.
    let again = encode_sync_snapshot(&copy, &copied_sessions);
    assert_eq!(again.len(), body.len());
    let (second, _) = decode_sync_snapshot(&again, false).unwrap();
    assert_eq!(second.digest(), tree.digest());
    assert_eq!(second.node_count(), tree.node_count());
}

#[test]
fn garbage_truncated_and_overlong_sync_bodies_are_errors() {
    let (tree, sessions) = sample_tree(z(1, 3));
    let body = encode_sync_snapshot(&tree, &sessions);
    for len in 0..body.len() {
        assert!(
            decode_sync_snapshot(&body[..len], false).is_err(),
            "a body cut at {len} of {} bytes was accepted",
            body.len()
        );
    }
    let mut signed = body.to_vec();
    signed.extend_from_slice(b"BenWasHere");
    let err = decode_sync_snapshot(&signed, false).expect_err("refused");
    assert!(err.to_string().contains("10 bytes follow"), "{err}");
    for garbage in [
        &b"hello"[..],
        &[0xff; 64][..],
        &[0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0][..],
        &[0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff][..],
    ] {
        assert!(decode_sync_snapshot(garbage, false).is_err(), "{garbage:?}");
    }
    // Every single-byte corruption either fails or yields a tree: never a panic.
    let seed = 0x5eed_u64;
    println!("corruption seed {seed:#x}");
    let mut state = seed;
    for _ in 0..500 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut bad = body.to_vec();
        let at = (state >> 33) as usize % bad.len();
        bad[at] ^= (state >> 8) as u8 | 1;
        let _ = decode_sync_snapshot(&bad, false);
    }
}

#[test]
fn a_proposal_whose_txn_names_another_zxid_fails_the_thread() {
    let dir = tempfile::tempdir().unwrap();
    let mut wrong = proposal(z(1, 2), "/a");
    wrong.zxid = z(1, 1);
    let events = run(
        dir.path(),
        vec![
            StorageCommand::Append(vec![wrong]),
            StorageCommand::PersistEpoch(EpochKind::Current, Epoch(1)),
        ],
        1,
    );
    assert!(
        matches!(events[..], [StorageEvent::Failed(_)]),
        "{events:?}"
    );
    assert!(recover(dir.path()).unwrap().restored.log.is_empty());
}

#[test]
fn a_standalone_data_dir_recovers_in_quorum_mode_with_its_log_tail() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let mut persistence = Persistence::open(&cfg).unwrap();
    let recovered = persistence.recover().unwrap();
    let mut tree = recovered.tree;
    let (durability, mut durable) = Durability::start(persistence, &cfg).unwrap();
    let session = TxnLogEntry::new(
        TxnHeader {
            client_id: SessionId(0x77),
            cxid: Xid(0),
            zxid: z(0, 1),
            time: 1,
            txn_type: OpCode::CreateSession,
        },
        Txn::CreateSession(CreateSessionTxn { timeout_ms: 12_000 }),
        None,
    );
    let entries = [session, create_entry(z(0, 2), "/a")];
    for entry in &entries {
        tree.apply(&entry.header, &entry.txn);
        durability.append(entry.clone());
    }
    tree.set_last_processed_zxid(z(0, 2));
    durability.snapshot(&tree, vec![(SessionId(0x77), 12_000)]);
    durability.append(create_entry(z(0, 3), "/b"));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match durable.try_recv() {
            Ok(Ok(zxid)) if zxid == z(0, 3) => break,
            Ok(Ok(_)) => {}
            Ok(Err(err)) => panic!("standalone sync failed: {err}"),
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(2)),
            Err(_) => panic!("standalone sync did not report 0x3"),
        }
    }
    drop(durability);

    let recovered = recover(dir.path()).unwrap();
    assert_eq!(recovered.restored.snapshot_zxid, z(0, 2));
    assert_eq!(zxids(&recovered.restored.log), vec![z(0, 3)]);
    assert_eq!(
        recovered.restored.log[0].txn,
        Bytes::from(create_entry(z(0, 3), "/b").to_vec())
    );
    assert_eq!(recovered.sessions, vec![(SessionId(0x77), 12_000)]);
    assert!(recovered.tree.node("/a").is_some());
    assert!(recovered.tree.node("/b").is_none());
    assert_eq!(
        (
            recovered.restored.accepted_epoch,
            recovered.restored.current_epoch
        ),
        (Epoch(0), Epoch(0))
    );
}

#[test]
fn a_torn_log_tail_is_cut_and_appends_continue_after_the_last_whole_txn() {
    let dir = tempfile::tempdir().unwrap();
    run(
        dir.path(),
        vec![StorageCommand::Append(vec![
            proposal(z(1, 1), "/a"),
            proposal(z(1, 2), "/b"),
            proposal(z(1, 3), "/c"),
        ])],
        1,
    );
    // A crash in the middle of writing the last record: its end never reached the disk.
    let log_dir = dir.path().join("version-2");
    let file = {
        let log = zk_storage::FileTxnLog::<zk_storage::RawTxn>::open(&log_dir).unwrap();
        log.log_files()[0].clone()
    };
    let handle = std::fs::OpenOptions::new()
        .write(true)
        .open(&file.path)
        .unwrap();
    handle.set_len(file.data_end - 7).unwrap();
    drop(handle);

    let restored = recover(dir.path()).unwrap().restored;
    assert_eq!(zxids(&restored.log), vec![z(1, 1), z(1, 2)]);
    let events = run(
        dir.path(),
        vec![StorageCommand::Append(vec![proposal(z(1, 3), "/c2")])],
        1,
    );
    assert_persisted(&events, z(1, 3));
    let restored = recover(dir.path()).unwrap().restored;
    assert_eq!(restored.log[2], proposal(z(1, 3), "/c2"));
}

#[test]
fn an_undecodable_snapshot_body_fails_the_thread_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let events = run(
        dir.path(),
        vec![
            StorageCommand::Append(vec![proposal(z(1, 1), "/a"), proposal(z(1, 2), "/b")]),
            StorageCommand::InstallSnapshot {
                zxid: z(1, 1),
                snapshot: Bytes::from_static(b"not a snapshot"),
            },
        ],
        2,
    );
    assert!(
        matches!(
            events[..],
            [StorageEvent::LogPersisted(_), StorageEvent::Failed(_)]
        ),
        "{events:?}"
    );
    let recovered = recover(dir.path()).unwrap();
    assert_eq!(recovered.restored.snapshot_zxid, Zxid::ZERO);
    assert_eq!(zxids(&recovered.restored.log), vec![z(1, 1), z(1, 2)]);
}
