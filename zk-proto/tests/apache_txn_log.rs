//! Decodes a transaction log and a snapshot written by a real Apache ZooKeeper 3.8 server
//! (see tests/data/README.md) and checks that every transaction re-encodes to the same bytes.

use bytes::Bytes;
use zk_proto::jute::{Jute, Reader};
use zk_proto::txn::{
    CloseSessionTxn, DataNodeRecord, DeleteTxn, ErrorTxn, FileHeader, Txn, TxnDigest, TxnLogEntry,
};
use zk_proto::{Acl, ErrorCode, Id, OpCode, Perms, Xid, Zxid};

const LOG: &[u8] = include_bytes!("data/apache-3.8-log.1");
const SNAPSHOT: &[u8] = include_bytes!("data/apache-3.8-snapshot.13");

/// Adler-32 (RFC 1950), which `FileTxnLog` computes over each record's txn bytes.
fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in bytes {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

/// The txn bytes of every record, after checking the checksum and the 0x42 end marker.
fn log_records() -> Vec<Bytes> {
    let mut r = Reader::new(LOG);
    let header = FileHeader::read(&mut r, "FileHeader").unwrap();
    assert_eq!(
        header,
        FileHeader {
            magic: FileHeader::TXNLOG_MAGIC,
            version: FileHeader::VERSION,
            dbid: 0
        }
    );
    let mut records = Vec::new();
    while !r.is_empty() {
        let checksum = r.read_i64("checksum").unwrap();
        let txn = r.read_buffer("txn").unwrap().unwrap();
        assert_eq!(r.read_u8("EOR").unwrap(), 0x42, "record {}", records.len());
        assert_eq!(
            checksum,
            i64::from(adler32(&txn)),
            "record {}",
            records.len()
        );
        records.push(txn);
    }
    records
}

#[test]
fn every_apache_log_entry_decodes_and_reencodes_byte_identically() {
    let records = log_records();
    assert_eq!(records.len(), 19);
    for (i, bytes) in records.iter().enumerate() {
        let entry = TxnLogEntry::decode(bytes.clone()).unwrap_or_else(|e| panic!("{i}: {e}"));
        assert_eq!(entry.zxid(), Zxid(i as i64 + 1));
        assert_eq!(
            entry.to_vec(),
            &bytes[..],
            "record {i} re-encodes differently"
        );
    }
}

#[test]
fn apache_log_holds_the_expected_transactions() {
    let entries: Vec<TxnLogEntry> = log_records()
        .into_iter()
        .map(|b| TxnLogEntry::decode(b).unwrap())
        .collect();
    let types: Vec<OpCode> = entries.iter().map(|e| e.header.txn_type).collect();
    use OpCode::*;
    assert_eq!(
        types,
        [
            CreateSession,
            Create,
            Create,
            Create,
            Create2,
            CreateTtl,
            CreateContainer,
            Create,
            Delete,
            SetData,
            SetAcl,
            SetAcl,
            Error,
            Error,
            Multi,
            Multi,
            DeleteContainer,
            DeleteContainer,
            CloseSession
        ]
    );

    let Txn::CreateSession(session) = &entries[0].txn else {
        panic!()
    };
    assert_eq!(session.timeout_ms, 10_000);
    let session_id = entries[0].header.client_id;

    let Txn::Create(a) = &entries[1].txn else {
        panic!()
    };
    assert_eq!(
        (a.path.as_str(), a.data.as_deref()),
        ("/a", Some(&b"hello"[..]))
    );
    assert_eq!(a.acl, Acl::open_acl_unsafe());
    assert!(!a.ephemeral);
    let Txn::Create(null) = &entries[2].txn else {
        panic!()
    };
    assert_eq!(null.data, None, "null data stays distinct from empty");
    let Txn::Create(seq) = &entries[3].txn else {
        panic!()
    };
    assert_eq!(seq.path, "/a/seq-0000000001");
    let Txn::Create2(eph) = &entries[4].txn else {
        panic!()
    };
    assert!(eph.ephemeral);
    let Txn::CreateTtl(ttl) = &entries[5].txn else {
        panic!()
    };
    assert_eq!((ttl.path.as_str(), ttl.ttl), ("/ttl", 1000));
    let Txn::SetAcl(acl) = &entries[10].txn else {
        panic!()
    };
    assert_eq!(
        acl.acl,
        [
            Acl::new(Perms::ALL, Id::anyone()),
            Acl::new(Perms::READ, Id::new("ip", "127.0.0.1"))
        ]
    );
    assert_eq!(acl.version, 1);

    // Failed writes: an ErrorTxn and, unlike every other txn, no digest.
    assert_eq!(
        entries[12].txn,
        Txn::Error(ErrorTxn {
            err: ErrorCode::BadVersion
        })
    );
    assert_eq!(
        entries[13].txn,
        Txn::Error(ErrorTxn {
            err: ErrorCode::NoNode
        })
    );
    assert!(entries[12].digest.is_none() && entries[13].digest.is_none());
    assert!(entries
        .iter()
        .filter(|e| e.header.txn_type != Error)
        .all(|e| e.digest.map(|d| d.version) == Some(TxnDigest::VERSION)));

    // Reaper deletes are server-made: cxid 0.
    assert_eq!(
        entries[16].txn,
        Txn::DeleteContainer(DeleteTxn {
            path: "/cont".into()
        })
    );
    assert_eq!(entries[16].header.cxid, Xid(0));

    assert_eq!(entries[18].header.client_id, session_id);
    assert_eq!(
        entries[18].txn,
        Txn::CloseSession(Some(CloseSessionTxn {
            paths_to_delete: vec!["/a/eph".into()]
        }))
    );
}

#[test]
fn apache_multis_keep_sub_txn_types_and_a_failed_multi_logs_earlier_ops_unchanged() {
    let records = log_records();
    let ok = TxnLogEntry::decode(records[14].clone()).unwrap();
    let Txn::Multi(subs) = &ok.txn else { panic!() };
    let sub_types: Vec<OpCode> = subs.iter().map(Txn::op_code).collect();
    use OpCode::*;
    assert_eq!(sub_types, [Create, Create, Check, SetData, Delete]);

    // PrepRequestProcessor logs the ops before the failing one as they were prepared; only
    // the failing op (BADVERSION) and those after it (RUNTIMEINCONSISTENCY) are ErrorTxns.
    // DataTree applies none of it because one sub-txn is an error.
    let failed = TxnLogEntry::decode(records[15].clone()).unwrap();
    let Txn::Multi(subs) = &failed.txn else {
        panic!()
    };
    assert!(matches!(&subs[0], Txn::Create(c) if c.path == "/f"));
    assert_eq!(
        subs[1..],
        [
            Txn::Error(ErrorTxn {
                err: ErrorCode::BadVersion
            }),
            Txn::Error(ErrorTxn {
                err: ErrorCode::RuntimeInconsistency
            })
        ]
    );
}

#[test]
fn apache_snapshot_nodes_decode_as_data_node_records() {
    let mut r = Reader::new(SNAPSHOT);
    let header = FileHeader::read(&mut r, "FileHeader").unwrap();
    assert_eq!((header.magic, header.dbid), (FileHeader::SNAP_MAGIC, -1));
    let sessions = r.read_i32("sessions").unwrap();
    for _ in 0..sessions {
        r.read_i64("id").unwrap();
        r.read_i32("timeout").unwrap();
    }
    let mut acls = std::collections::HashMap::new();
    for _ in 0..r.read_i32("acl map").unwrap() {
        let id = r.read_i64("acl id").unwrap();
        acls.insert(id, Vec::<Acl>::read(&mut r, "acls").unwrap());
    }
    let mut nodes = std::collections::BTreeMap::new();
    loop {
        let path = String::read(&mut r, "path").unwrap();
        if path == "/" {
            break;
        }
        nodes.insert(path, DataNodeRecord::read(&mut r, "node").unwrap());
    }
    let paths: Vec<&str> = nodes.keys().map(String::as_str).collect();
    assert_eq!(
        paths,
        [
            "",
            "/a",
            "/a/null",
            "/a/seq-0000000001",
            "/m",
            "/zookeeper",
            "/zookeeper/config",
            "/zookeeper/quota"
        ]
    );
    let a = &nodes["/a"];
    assert_eq!(a.data.as_deref(), Some(&b"world"[..]));
    assert_eq!(acls[&a.acl_id], Acl::open_acl_unsafe());
    assert_eq!((a.stat.version, a.stat.aversion), (1, 2));
    assert_eq!(nodes["/a/null"].data, None);
    assert_eq!(
        acls[&nodes["/zookeeper/config"].acl_id],
        Acl::read_acl_unsafe()
    );
}
