//! Cross-checks against files written by a real Apache ZooKeeper 3.8.0 server.
//!
//! `tests/data/apache-3.8-log.1` is the transaction log of the run described in
//! `src/apply_tests.rs` (standalone server, `zookeeper.extendedTypesEnabled=true`, driven by
//! `tests/data/Observe.java`), cut after its last record (txns 0x18..0x2a are zkCli one-shot commands: `create /qapp abcd`, `create /qapp/x 123`, `setquota -n 10 /qapp`, `create /qapp/y 12345`, `set /qapp/x 1`, `delete /qapp/y`); `tests/data/apache-3.8-snapshot.0` is
//! the snapshot that server wrote of its fresh tree at startup. Apache appends the tree digest
//! after every logged txn (`TxnDigest`) and at the end of each snapshot, so replaying them
//! checks our digest, and the Stat bookkeeping that feeds it, txn by txn.
//!
//! The file framing is read here by hand (it is `zk-storage`'s business, not this crate's).

use bytes::Bytes;
use zk_proto::jute::{Jute, Reader};
use zk_proto::txn::{DataNodeRecord, TxnLogEntry};
use zk_proto::{Acl, SessionId, Zxid};
use zk_tree::snapshot::TreeBuilder;
use zk_tree::{AclId, DataTree};

const LOG: &[u8] = include_bytes!("data/apache-3.8-log.1");
const SNAPSHOT: &[u8] = include_bytes!("data/apache-3.8-snapshot.0");

/// The records of a txn log: `FileHeader`, then `long crc; int len; byte[len]; 'B'` until a
/// zero length or the end.
fn log_entries() -> Vec<TxnLogEntry> {
    let mut r = Reader::new(Bytes::from_static(LOG));
    r.read_i32("magic").unwrap();
    r.read_i32("version").unwrap();
    r.read_i64("dbid").unwrap();
    let mut entries = Vec::new();
    while r.remaining() >= 12 {
        r.read_i64("crc").unwrap();
        let Some(record) = r.read_buffer("txn").unwrap() else {
            break;
        };
        if record.is_empty() {
            break;
        }
        assert_eq!(r.read_u8("EOR").unwrap(), b'B');
        entries.push(TxnLogEntry::decode(record).unwrap());
    }
    entries
}

#[test]
fn replaying_apache_log_reproduces_every_logged_digest() {
    let entries = log_entries();
    assert_eq!(entries.len(), 42, "the run logged 42 txns");
    let mut tree = DataTree::with_extended_types(true);
    for entry in &entries {
        let outcome = tree.apply(&entry.header, &entry.txn);
        let logged = entry.digest.expect("digests were enabled");
        assert_eq!(
            tree.digest(),
            logged.tree_digest,
            "digest after zxid {} ({:?}) -> {:?}",
            entry.header.zxid,
            entry.header.txn_type,
            outcome.result
        );
        // Nothing in a clean run fails except the multi Apache logged as failed (0xd).
        if entry.header.zxid != Zxid(0xd) {
            assert!(outcome.result.err().is_ok(), "{:?}", outcome.result);
        }
    }
    assert_eq!(tree.last_processed_zxid(), Zxid(0x2a));
    assert!(tree.ephemeral_sessions().is_empty(), "no ephemeral left");
    assert!(tree.node("/e").is_none());
    // /t went to the TTL reaper (deleteContainer) once its 100 s had passed.
    assert!(tree.node("/t").is_none());
    assert_eq!(tree.all_children_number("/"), Some(14));
    // zkCli's `setquota -n 10 /qapp` and later writes under /qapp (0x18..0x2a): Apache showed
    // `get -s /zookeeper/quota/qapp/zookeeper_stats` as "count=2,bytes=5" with
    // mZxid = cZxid = 0x20, dataVersion 0, dataLength 15: the data changed, the stat did not.
    let stats = tree.node("/zookeeper/quota/qapp/zookeeper_stats").unwrap();
    assert_eq!(stats.data().unwrap(), b"count=2,bytes=5");
    let stat = tree.stat_of(stats);
    assert_eq!(
        (stat.czxid, stat.mzxid, stat.version, stat.data_length),
        (Zxid(0x20), Zxid(0x20), 0, 15)
    );
}

#[test]
fn replaying_twice_from_a_midpoint_converges_to_the_logged_digest() {
    // A fuzzy snapshot taken at txn 9 followed by the log from txn 5: txns 5..9 are applied
    // twice. The result must still match what Apache logged.
    let entries = log_entries();
    let mut tree = DataTree::with_extended_types(true);
    for entry in &entries[..9] {
        tree.apply(&entry.header, &entry.txn);
    }
    for entry in &entries[5..] {
        tree.apply(&entry.header, &entry.txn);
    }
    assert_eq!(
        tree.digest(),
        entries.last().unwrap().digest.unwrap().tree_digest
    );
}

#[test]
fn apache_snapshot_of_a_fresh_tree_loads_to_our_fresh_tree() {
    let mut r = Reader::new(Bytes::from_static(SNAPSHOT));
    assert_eq!(r.read_i32("magic").unwrap(), 0x5A4B_534E);
    r.read_i32("version").unwrap();
    r.read_i64("dbid").unwrap();
    for _ in 0..r.read_i32("sessions").unwrap() {
        SessionId::read(&mut r, "id").unwrap();
        r.read_i32("timeout").unwrap();
    }
    let mut builder = TreeBuilder::new(true);
    let fresh = DataTree::with_extended_types(true);
    for _ in 0..r.read_i32("acl map").unwrap() {
        let id = AclId(r.read_i64("acl id").unwrap());
        let acl = Vec::<Acl>::read(&mut r, "acls").unwrap();
        // Apache's first ACL id is READ_ACL_UNSAFE for /zookeeper/config, as ours.
        assert_eq!(&**fresh.acl_cache().get(id), &acl[..]);
        builder.add_acl(id, acl).unwrap();
    }
    loop {
        let path = String::read(&mut r, "path").unwrap();
        if path == "/" {
            break;
        }
        let node = DataNodeRecord::read(&mut r, "node").unwrap();
        builder
            .add_node(&path, node.data, AclId(node.acl_id), node.stat)
            .unwrap();
    }
    r.read_i64("checksum").unwrap();
    assert_eq!(String::read(&mut r, "seal").unwrap(), "/");
    r.read_i64("zxid").unwrap();
    assert_eq!(r.read_i32("digest version").unwrap(), 2);
    // A server that has processed no txn writes an empty ZxidDigest (digest 0 = none)...
    assert_eq!(r.read_i64("digest").unwrap(), 0);
    r.read_i64("checksum").unwrap();
    assert_eq!(String::read(&mut r, "seal").unwrap(), "/");
    assert_eq!(r.remaining(), 0);
    // ... so the fresh tree's digest is the one logged after the first txn, a createSession.
    let first = log_entries()[0].digest.unwrap().tree_digest;
    let loaded = builder.finish().unwrap();
    assert_eq!(loaded.digest(), first);
    assert_eq!(fresh.digest(), first);
    for path in ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"] {
        assert_eq!(loaded.stat(path), fresh.stat(path), "{path}");
        assert_eq!(loaded.acl(path), fresh.acl(path), "{path}");
    }
    assert_eq!(
        loaded.approximate_data_size(),
        fresh.approximate_data_size()
    );
}
