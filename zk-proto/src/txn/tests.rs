//! Tests of the transaction records: round-trips, known bytes, and the tolerances.

use bytes::Bytes;
use quickcheck::quickcheck;

use super::*;
use crate::error::Error;
use crate::jute::{Jute, Reader};
use crate::{Acl, ErrorCode, OpCode, SessionId, Xid, Zxid};

fn header(op: OpCode) -> TxnHeader {
    TxnHeader {
        client_id: SessionId(0x0100_0000_0000_0002),
        cxid: Xid(7),
        zxid: Zxid(0x2_0000_0003),
        time: 0x0000_018b_cfe5_6800,
        txn_type: op,
    }
}

fn create(path: &str, parent_cversion: i32) -> CreateTxn {
    CreateTxn {
        path: path.into(),
        data: Some(Bytes::from_static(b"hi")),
        acl: Acl::open_acl_unsafe(),
        ephemeral: true,
        parent_cversion,
    }
}

/// `CreateTxn { "/a", "hi", [31 world:anyone], true, 5 }` by hand from zookeeper.jute.
const CREATE_A_BYTES: &[u8] = &[
    0, 0, 0, 2, b'/', b'a', // path
    0, 0, 0, 2, b'h', b'i', // data
    0, 0, 0, 1, // acl count
    0, 0, 0, 31, // perms
    0, 0, 0, 5, b'w', b'o', b'r', b'l', b'd', // scheme
    0, 0, 0, 6, b'a', b'n', b'y', b'o', b'n', b'e', // id
    1,    // ephemeral
    0, 0, 0, 5, // parentCVersion
];

#[test]
fn create_txn_encodes_to_the_java_layout() {
    assert_eq!(create("/a", 5).to_vec(), CREATE_A_BYTES);
    assert_eq!(
        CreateTxn::from_bytes(CREATE_A_BYTES).unwrap(),
        create("/a", 5)
    );
}

#[test]
fn multi_txn_encodes_to_the_java_layout() {
    let multi = Txn::Multi(vec![
        Txn::Create(create("/a", 5)),
        Txn::Delete(DeleteTxn { path: "/b".into() }),
        Txn::Check(CheckVersionTxn {
            path: "/c".into(),
            version: -1,
        }),
    ]);
    let mut expected = vec![0, 0, 0, 3]; // three sub-txns
    expected.extend([0, 0, 0, 1]); // type create
    expected.extend((CREATE_A_BYTES.len() as i32).to_be_bytes());
    expected.extend(CREATE_A_BYTES);
    expected.extend([0, 0, 0, 2, 0, 0, 0, 6, 0, 0, 0, 2, b'/', b'b']); // delete, len 6, path
    expected.extend([
        0, 0, 0, 13, 0, 0, 0, 10, 0, 0, 0, 2, b'/', b'c', 0xff, 0xff, 0xff, 0xff,
    ]);
    assert_eq!(multi.to_vec(), expected);
    let decoded = Txn::decode(OpCode::Multi, &mut Reader::new(expected)).unwrap();
    assert_eq!(decoded, multi);
}

#[test]
fn entry_is_header_then_record_then_digest() {
    let digest = TxnDigest {
        version: 2,
        tree_digest: 0x0102_0304_0506_0708,
    };
    let entry = TxnLogEntry::new(
        header(OpCode::Error),
        Txn::Create(create("/a", 5)),
        Some(digest),
    );
    assert_eq!(entry.header.txn_type, OpCode::Create);
    let bytes = entry.to_vec();
    let mut expected = header(OpCode::Create).to_vec();
    assert_eq!(expected.len(), TxnHeader::BYTES);
    assert_eq!(&expected[28..], &[0, 0, 0, 1]);
    expected.extend(CREATE_A_BYTES);
    expected.extend([0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(bytes, expected);
    assert_eq!(TxnLogEntry::decode(bytes).unwrap(), entry);
}

#[test]
fn create_v0_without_parent_cversion_reads_as_minus_one() {
    let v0 = &CREATE_A_BYTES[..CREATE_A_BYTES.len() - 4];
    let mut bytes = header(OpCode::Create).to_vec();
    bytes.extend(v0);
    let entry = TxnLogEntry::decode(bytes).unwrap();
    assert_eq!(entry.txn, Txn::Create(create("/a", -1)));
    assert_eq!(entry.digest, None);
}

#[test]
fn create2_has_no_v0_form() {
    let mut bytes = header(OpCode::Create2).to_vec();
    bytes.extend(&CREATE_A_BYTES[..CREATE_A_BYTES.len() - 4]);
    assert!(matches!(
        TxnLogEntry::decode(bytes),
        Err(Error::Truncated {
            field: "CreateTxn.parent_cversion",
            ..
        })
    ));
}

#[test]
fn close_session_without_body_is_none_with_or_without_digest() {
    let bytes = header(OpCode::CloseSession).to_vec();
    let entry = TxnLogEntry::decode(bytes.clone()).unwrap();
    assert_eq!((entry.txn, entry.digest), (Txn::CloseSession(None), None));

    let digest = TxnDigest {
        version: 2,
        tree_digest: 0,
    };
    let mut with_digest = bytes;
    digest.write(&mut with_digest);
    let entry = TxnLogEntry::decode(with_digest.clone()).unwrap();
    assert_eq!(entry.txn, Txn::CloseSession(None));
    assert_eq!(entry.digest, Some(digest));
    assert_eq!(entry.to_vec(), with_digest);
}

#[test]
fn close_session_body_with_and_without_digest() {
    let body = CloseSessionTxn {
        paths_to_delete: vec!["/e1".into(), "/e2".into()],
    };
    for digest in [
        None,
        Some(TxnDigest {
            version: 2,
            tree_digest: -5,
        }),
    ] {
        let entry = TxnLogEntry::new(
            header(OpCode::CloseSession),
            Txn::CloseSession(Some(body.clone())),
            digest,
        );
        assert_eq!(TxnLogEntry::decode(entry.to_vec()).unwrap(), entry);
    }
}

#[test]
fn check_is_rejected_at_top_level_and_multi_inside_multi() {
    let mut bytes = header(OpCode::Check).to_vec();
    bytes.extend([0, 0, 0, 0, 0, 0, 0, 0]);
    assert!(matches!(
        TxnLogEntry::decode(bytes),
        Err(Error::Malformed {
            record: "TxnHeader",
            ..
        })
    ));
    let nested = MultiTxn {
        txns: vec![SubTxn {
            txn_type: OpCode::Multi.code(),
            data: Bytes::from_static(&[0, 0, 0, 0]),
        }],
    };
    assert!(matches!(
        nested.to_typed(),
        Err(Error::Malformed {
            record: "MultiTxn",
            ..
        })
    ));
}

#[test]
fn unknown_header_type_is_invalid_value() {
    let mut bytes = header(OpCode::Create).to_vec();
    bytes[28..32].copy_from_slice(&99i32.to_be_bytes());
    assert_eq!(
        TxnLogEntry::decode(bytes),
        Err(Error::InvalidValue {
            field: "TxnHeader.txn_type",
            offset: 28,
            value: 99
        })
    );
}

#[test]
fn multi_of_error_txns_round_trips() {
    let failed = Txn::Multi(vec![
        Txn::Error(ErrorTxn { err: ErrorCode::Ok }),
        Txn::Error(ErrorTxn {
            err: ErrorCode::NoNode,
        }),
        Txn::Error(ErrorTxn {
            err: ErrorCode::RuntimeInconsistency,
        }),
    ]);
    let bytes = failed.to_vec();
    assert_eq!(&bytes[..8], &[0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff]);
    assert_eq!(
        Txn::decode(OpCode::Multi, &mut Reader::new(bytes)).unwrap(),
        failed
    );
}

#[test]
fn every_truncation_of_an_entry_is_an_error_or_a_shorter_entry() {
    let entry = TxnLogEntry::new(
        header(OpCode::Multi),
        Txn::Multi(vec![
            Txn::Create2(create("/x", 1)),
            Txn::SetData(SetDataTxn {
                path: "/y".into(),
                data: None,
                version: 3,
            }),
        ]),
        Some(TxnDigest {
            version: 2,
            tree_digest: 9,
        }),
    );
    let bytes = entry.to_vec();
    let without_digest = bytes.len() - TxnDigest::BYTES;
    for cut in 0..bytes.len() {
        match TxnLogEntry::decode(bytes[..cut].to_vec()) {
            // Cutting inside the digest leaves a valid entry without one, as in Apache.
            Ok(e) => {
                assert!(cut >= without_digest, "cut {cut} decoded");
                assert_eq!(e.digest, None);
                assert_eq!(e.txn, entry.txn);
            }
            Err(_) => assert!(cut < without_digest, "cut {cut} failed"),
        }
    }
}

#[test]
fn data_node_record_and_file_header_layouts() {
    let header = FileHeader {
        magic: FileHeader::TXNLOG_MAGIC,
        version: FileHeader::VERSION,
        dbid: 0,
    };
    assert_eq!(&header.to_vec()[..8], b"ZKLG\0\0\0\x02");
    let node = DataNodeRecord {
        data: None,
        acl_id: -1,
        stat: Default::default(),
    };
    let bytes = node.to_vec();
    assert_eq!(bytes.len(), 4 + 8 + 60);
    assert_eq!(&bytes[..12], &[0xff; 12]);
    assert_eq!(DataNodeRecord::from_bytes(bytes).unwrap(), node);
}

fn round_trips<T: Jute + PartialEq>(value: T) -> bool {
    T::from_bytes(value.to_vec()).as_ref() == Ok(&value)
}

quickcheck! {
    fn txn_header_round_trips(v: TxnHeader) -> bool { round_trips(v) }
    fn txn_digest_round_trips(v: TxnDigest) -> bool { round_trips(v) }
    fn create_txn_round_trips(v: CreateTxn) -> bool { round_trips(v) }
    fn create_ttl_txn_round_trips(v: CreateTtlTxn) -> bool { round_trips(v) }
    fn create_container_txn_round_trips(v: CreateContainerTxn) -> bool { round_trips(v) }
    fn delete_txn_round_trips(v: DeleteTxn) -> bool { round_trips(v) }
    fn set_data_txn_round_trips(v: SetDataTxn) -> bool { round_trips(v) }
    fn set_acl_txn_round_trips(v: SetAclTxn) -> bool { round_trips(v) }
    fn check_version_txn_round_trips(v: CheckVersionTxn) -> bool { round_trips(v) }
    fn create_session_txn_round_trips(v: CreateSessionTxn) -> bool { round_trips(v) }
    fn close_session_txn_round_trips(v: CloseSessionTxn) -> bool { round_trips(v) }
    fn error_txn_round_trips(v: ErrorTxn) -> bool { round_trips(v) }
    fn sub_txn_round_trips(v: SubTxn) -> bool { round_trips(v) }
    fn multi_txn_round_trips(v: MultiTxn) -> bool { round_trips(v) }
    fn file_header_round_trips(v: FileHeader) -> bool { round_trips(v) }
    fn data_node_record_round_trips(v: DataNodeRecord) -> bool { round_trips(v) }

    fn txn_round_trips_through_its_type(t: Txn) -> bool {
        let mut r = Reader::new(t.to_vec());
        Txn::decode(t.op_code(), &mut r).as_ref() == Ok(&t) && r.is_empty()
    }

    fn txn_log_entry_round_trips_byte_identically(e: TxnLogEntry) -> bool {
        let bytes = e.to_vec();
        let decoded = TxnLogEntry::decode(bytes.clone());
        decoded.as_ref() == Ok(&e) && decoded.unwrap().to_vec() == bytes
    }

    fn txn_log_entry_decode_never_panics(bytes: Vec<u8>) -> bool {
        if let Ok(e) = TxnLogEntry::decode(bytes) {
            // Whatever decodes re-encodes to something that decodes to the same entry.
            return TxnLogEntry::decode(e.to_vec()).as_ref() == Ok(&e);
        }
        true
    }
}
