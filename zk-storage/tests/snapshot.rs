//! Snapshot stream and store behaviour: round trips over random trees in every compression,
//! corruption detection (truncation, bit flips), and the stores' commit contract.

use std::io::Read;

use bytes::Bytes;
use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};
use zk_proto::{Acl, SessionId, StatPersisted, Zxid};
use zk_storage::snapshot::{
    Compression, FileSnapshotStore, MemSnapshotStore, SnapshotNode, SnapshotReader,
    SnapshotSession, SnapshotStore, SnapshotTrailer, SnapshotWriter, ZxidDigest,
};
use zk_storage::Error;

/// A random snapshot: sessions, ACL cache, a tree in pre-order, a trailer.
#[derive(Debug, Clone)]
struct Contents {
    sessions: Vec<SnapshotSession>,
    acls: Vec<(i64, Vec<Acl>)>,
    nodes: Vec<SnapshotNode>,
    trailer: SnapshotTrailer,
}

impl Arbitrary for Contents {
    fn arbitrary(g: &mut Gen) -> Self {
        let sessions = (0..usize::arbitrary(g) % 5)
            .map(|_| SnapshotSession {
                id: SessionId(i64::arbitrary(g)),
                timeout_ms: i32::arbitrary(g),
            })
            .collect();
        let acls = (0..usize::arbitrary(g) % 4)
            .map(|i| (i as i64 + 1, Vec::<Acl>::arbitrary(g)))
            .collect();
        let node = |path: String, g: &mut Gen| SnapshotNode {
            path,
            data: Option::<Vec<u8>>::arbitrary(g).map(Bytes::from),
            acl_id: i64::arbitrary(g),
            stat: StatPersisted::arbitrary(g),
        };
        let mut nodes = vec![node("/".into(), g)];
        for i in 0..usize::arbitrary(g) % 40 {
            // A child of any earlier node keeps parents before children.
            let parent = nodes[usize::arbitrary(g) % nodes.len()].path.clone();
            let name = if bool::arbitrary(g) {
                format!("n{i}")
            } else {
                format!("{}-{i}", String::arbitrary(g).replace('/', ""))
            };
            let path = if parent == "/" {
                format!("/{name}")
            } else {
                format!("{parent}/{name}")
            };
            nodes.push(node(path, g));
        }
        let digest = bool::arbitrary(g).then(|| ZxidDigest {
            zxid: Zxid(i64::arbitrary(g)),
            digest_version: *g.choose(&[1, 2, 2, 2]).unwrap(),
            digest: i64::arbitrary(g),
        });
        let last_processed_zxid = bool::arbitrary(g).then(|| Zxid(i64::arbitrary(g)));
        Contents {
            sessions,
            acls,
            nodes,
            trailer: SnapshotTrailer {
                digest,
                last_processed_zxid,
            },
        }
    }
}

fn write(c: &Contents) -> Vec<u8> {
    let mut w = SnapshotWriter::new(Vec::new(), "test").unwrap();
    w.write_sessions(c.sessions.iter().copied()).unwrap();
    w.write_acls(c.acls.iter().map(|(id, acl)| (*id, acl.as_slice())))
        .unwrap();
    for n in &c.nodes {
        w.write_node(n.as_ref()).unwrap();
    }
    w.finish(&c.trailer).unwrap()
}

fn read(bytes: &[u8], compression: Compression) -> Result<Contents, Error> {
    let input = compression
        .decoder(bytes)
        .map_err(|e| Error::InvalidSnapshot {
            file: "test".into(),
            offset: 0,
            reason: e.to_string(),
        })?;
    let mut r = SnapshotReader::new(input, "test")?;
    let sessions = r.sessions().to_vec();
    let acls = r.acls().iter().map(|a| (a.id, a.acl.clone())).collect();
    let nodes = r.by_ref().collect::<Result<Vec<_>, _>>()?;
    let trailer = r.finish()?;
    Ok(Contents {
        sessions,
        acls,
        nodes,
        trailer,
    })
}

fn compress(bytes: &[u8], c: Compression) -> Vec<u8> {
    let mut enc = c.encoder(Vec::new()).unwrap();
    std::io::Write::write_all(&mut enc, bytes).unwrap();
    enc.finish().unwrap()
}

/// A digest written with a version below 2 is stored as a hex string of the unsigned value.
fn normalized(mut t: SnapshotTrailer) -> SnapshotTrailer {
    if let Some(d) = t.digest.as_mut() {
        d.digest = d.digest as u64 as i64;
    }
    t
}

#[test]
fn random_snapshots_round_trip_in_every_compression() {
    fn prop(c: Contents) -> TestResult {
        let plain = write(&c);
        for compression in Compression::ALL {
            let stored = compress(&plain, compression);
            let back = match read(&stored, compression) {
                Ok(back) => back,
                Err(e) => return TestResult::error(format!("{compression}: {e}")),
            };
            if back.sessions != c.sessions
                || back.acls != c.acls
                || back.nodes != c.nodes
                || back.trailer != normalized(c.trailer)
            {
                return TestResult::error(format!("{compression}: read back {back:?}"));
            }
        }
        TestResult::passed()
    }
    QuickCheck::new()
        .tests(200)
        .quickcheck(prop as fn(Contents) -> TestResult);
}

fn sample() -> Contents {
    Contents::arbitrary(&mut Gen::new(20))
}

fn with_trailer(c: &Contents, trailer: SnapshotTrailer) -> Contents {
    Contents {
        trailer,
        ..c.clone()
    }
}

#[test]
fn truncated_snapshot_is_invalid_except_at_section_boundaries() {
    let mut c = sample();
    c.trailer = SnapshotTrailer {
        digest: Some(ZxidDigest {
            zxid: Zxid(5),
            digest_version: 2,
            digest: 77,
        }),
        last_processed_zxid: Some(Zxid(9)),
    };
    let full = write(&c);
    // A file cut exactly after a seal is a complete snapshot of an older format version.
    let boundaries = [
        write(&with_trailer(&c, SnapshotTrailer::default())).len(),
        write(&with_trailer(
            &c,
            SnapshotTrailer {
                last_processed_zxid: None,
                ..c.trailer
            },
        ))
        .len(),
    ];
    for cut in 0..full.len() {
        let result = read(&full[..cut], Compression::None);
        if boundaries.contains(&cut) {
            assert!(result.is_ok(), "cut at {cut}: {:?}", result.err());
        } else {
            match result {
                Err(Error::InvalidSnapshot { .. }) => {}
                other => panic!("cut at {cut} of {}: {other:?}", full.len()),
            }
        }
    }
}

#[test]
fn any_bit_flip_is_detected_except_in_the_last_seal_path() {
    let c = with_trailer(&sample(), SnapshotTrailer::apache_3_8(None));
    let good = write(&c);
    for i in 0..good.len() {
        for bit in [0, 3, 7] {
            let mut bad = good.clone();
            bad[i] ^= 1 << bit;
            let result = read(&bad, Compression::None);
            // The final seal's "/" is not covered by any checksum, and Apache ignores it.
            if i == good.len() - 1 {
                continue;
            }
            assert!(
                matches!(result, Err(Error::InvalidSnapshot { .. })),
                "flip of bit {bit} at {i}/{}: {result:?}",
                good.len()
            );
        }
    }
}

#[test]
fn compressed_corruption_is_detected() {
    let c = with_trailer(&sample(), SnapshotTrailer::apache_3_8(None));
    let plain = write(&c);
    // Skip the headers, whose fields (gzip mtime/OS, snappy-java version) no checksum covers.
    for (compression, header) in [(Compression::Gzip, 10), (Compression::Snappy, 16)] {
        let good = compress(&plain, compression);
        for i in header..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x10;
            // Deflate has redundant bits (e.g. code lengths of unused symbols): a flip there
            // changes nothing. What must never happen is accepting different contents.
            match read(&bad, compression) {
                Err(Error::InvalidSnapshot { .. }) => {}
                Ok(back) if back.nodes == c.nodes && back.acls == c.acls => {}
                other => panic!("{compression}: flip at {i}/{}: {other:?}", good.len()),
            }
        }
        let result = read(&good[..good.len() - 3], compression);
        assert!(
            matches!(result, Err(Error::InvalidSnapshot { .. })),
            "{compression} truncated: {result:?}"
        );
    }
}

#[test]
fn garbage_never_panics() {
    fn prop(bytes: Vec<u8>, compression: u8) -> bool {
        let compression = Compression::ALL[usize::from(compression) % 3];
        read(&bytes, compression).is_err()
    }
    QuickCheck::new()
        .tests(500)
        .quickcheck(prop as fn(Vec<u8>, u8) -> bool);
}

#[test]
fn invalid_snapshot_error_names_file_and_offset() {
    let c = with_trailer(&sample(), SnapshotTrailer::apache_3_8(None));
    let mut bytes = write(&c);
    let n = bytes.len();
    bytes[n - 20] ^= 1; // inside the digest section
    let err = read(&bytes, Compression::None).unwrap_err();
    match &err {
        Error::InvalidSnapshot { file, offset, .. } => {
            assert_eq!(file.to_str(), Some("test"));
            assert!(*offset > 0 && *offset < n as u64, "{err}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("invalid snapshot test at offset "),
        "{err}"
    );
}

fn store_round_trip<S: SnapshotStore>(store: &S) {
    let c = sample();
    for zxid in [Zxid(0x30), Zxid(0x10), Zxid(0x20)] {
        let mut w = store.begin(zxid).unwrap();
        w.write_sessions(c.sessions.iter().copied()).unwrap();
        w.write_acls(c.acls.iter().map(|(id, a)| (*id, a.as_slice())))
            .unwrap();
        for n in &c.nodes {
            w.write_node(n.as_ref()).unwrap();
        }
        let info = store.commit(w, &c.trailer).unwrap();
        assert_eq!(info.zxid, zxid);
        assert!(store.looks_valid(&info));
    }
    // A writer dropped without commit leaves nothing listed.
    let w = store.begin(Zxid(0x40)).unwrap();
    drop(w);
    let list = store.list().unwrap();
    let zxids: Vec<Zxid> = list.iter().map(|s| s.zxid).collect();
    assert_eq!(zxids, [Zxid(0x30), Zxid(0x20), Zxid(0x10)]);
    let mut r = store.open(&list[0]).unwrap();
    let nodes: Vec<SnapshotNode> = r.by_ref().map(Result::unwrap).collect();
    assert_eq!(nodes, c.nodes);
    assert_eq!(r.finish().unwrap(), normalized(c.trailer));
    store.remove(&list[1]).unwrap();
    assert_eq!(store.list().unwrap().len(), 2);
}

#[test]
fn mem_store_commits_lists_newest_first_and_removes() {
    for c in Compression::ALL {
        store_round_trip(&MemSnapshotStore::new().with_compression(c));
    }
}

#[test]
fn file_store_commits_lists_newest_first_and_removes() {
    for c in Compression::ALL {
        let dir = tempfile::tempdir().unwrap();
        let store = FileSnapshotStore::open(dir.path())
            .unwrap()
            .with_compression(c);
        store_round_trip(&store);
        // Only the two remaining snapshots are in the directory: no temp files.
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                format!("snapshot.10{}", c.suffix()),
                format!("snapshot.30{}", c.suffix())
            ]
        );
    }
}

#[test]
fn file_store_removes_stale_temp_files_and_ignores_strangers() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".snapshot.5.tmp"), b"half").unwrap();
    std::fs::write(dir.path().join("snapshot.6.bak"), b"x").unwrap();
    std::fs::write(dir.path().join("log.1"), b"x").unwrap();
    let store = FileSnapshotStore::open(dir.path()).unwrap();
    assert!(!dir.path().join(".snapshot.5.tmp").exists());
    assert!(store.list().unwrap().is_empty());
    assert!(dir.path().join("snapshot.6.bak").exists());
}

#[test]
fn quick_check_rejects_a_torn_uncompressed_snapshot() {
    let store = MemSnapshotStore::new();
    let bytes = write(&with_trailer(&sample(), SnapshotTrailer::apache_3_8(None)));
    store.put_raw("snapshot.1", bytes[..bytes.len() - 2].to_vec());
    store.put_raw("snapshot.2", bytes.clone());
    let list = store.list().unwrap();
    assert!(store.looks_valid(&list[0]));
    assert!(!store.looks_valid(&list[1]));
    // The full read agrees.
    let mut raw = Vec::new();
    std::io::Cursor::new(store.raw("snapshot.1").unwrap())
        .read_to_end(&mut raw)
        .unwrap();
    assert!(read(&raw, Compression::None).is_err());
}

#[test]
fn sync_body_round_trips_and_hands_back_the_signature() {
    let c = sample();
    let mut w = SnapshotWriter::sync_body(Vec::new(), "sync");
    w.write_sessions(c.sessions.iter().copied()).unwrap();
    w.write_acls(c.acls.iter().map(|(id, acl)| (*id, acl.as_slice())))
        .unwrap();
    for n in &c.nodes {
        w.write_node(n.as_ref()).unwrap();
    }
    let mut stream = w.finish_sync_body().unwrap();
    // What Apache's LearnerHandler sends after the body.
    let signature = b"\0\0\0\x0aBenWasHere";
    stream.extend_from_slice(signature);
    // A file snapshot minus its 16-byte header starts with the same body.
    let file = write(&with_trailer(&c, SnapshotTrailer::default()));
    assert_eq!(
        &file[16..16 + stream.len() - signature.len()],
        &stream[..stream.len() - signature.len()]
    );

    let mut r = SnapshotReader::sync_body(&stream[..], "sync").unwrap();
    assert!(r.header().is_none());
    assert_eq!(r.sessions(), &c.sessions[..]);
    let nodes: Vec<SnapshotNode> = r.by_ref().map(Result::unwrap).collect();
    assert_eq!(nodes, c.nodes);
    let (mut rest, ahead) = r.finish_sync_body().unwrap();
    let mut after = ahead;
    rest.read_to_end(&mut after).unwrap();
    assert_eq!(after, signature);
}
