//! Bad input from the network gives an error, never a panic and never an allocation sized by an
//! unchecked length: truncated frames, huge counts, invalid enumeration values, unknown opcodes,
//! and random bytes.

use bytes::{BufMut, Bytes, BytesMut};
use quickcheck::{quickcheck, TestResult};
use zk_proto::*;

/// The payload (after the length prefix) of `request` sent with xid 7.
fn request_payload(request: &Request) -> Bytes {
    let mut out = BytesMut::new();
    request.write_frame(Xid(7), &mut out);
    out.split_off(4).freeze()
}

/// The payload of an OK reply carrying `body`.
fn reply_payload(body: &Response) -> Bytes {
    let header = ReplyHeader {
        xid: Xid(7),
        zxid: Zxid(0x1_0000_0002),
        err: ErrorCode::Ok,
    };
    let mut out = BytesMut::new();
    body.write_frame(&header, &mut out);
    out.split_off(4).freeze()
}

fn stat() -> Stat {
    Stat {
        czxid: Zxid(2),
        mzxid: Zxid(3),
        data_length: 5,
        num_children: 1,
        ..Stat::default()
    }
}

fn sample_requests() -> Vec<Request> {
    vec![
        Request::Create(CreateRequest {
            path: "/golden".into(),
            data: Some(Bytes::from_static(b"hello")),
            acl: Acl::open_acl_unsafe(),
            flags: 0,
        }),
        Request::SetData(SetDataRequest {
            path: "/a".into(),
            data: None,
            version: -1,
        }),
        Request::Multi(MultiRequest {
            ops: vec![
                MultiOp::Create(CreateRequest {
                    path: "/m".into(),
                    data: Some(Bytes::from_static(b"m")),
                    acl: Acl::open_acl_unsafe(),
                    flags: 0,
                }),
                MultiOp::Check(CheckVersionRequest {
                    path: "/m".into(),
                    version: 2,
                }),
                MultiOp::Delete(DeleteRequest {
                    path: "/m".into(),
                    version: -1,
                }),
            ],
        }),
        Request::SetWatches2(SetWatches2 {
            relative_zxid: Zxid(9),
            data_watches: vec!["/a".into()],
            exist_watches: vec![],
            child_watches: vec!["/b".into(), "/c".into()],
            persistent_watches: vec![],
            persistent_recursive_watches: vec!["/".into()],
        }),
        Request::Auth(AuthPacket {
            auth_type: 0,
            scheme: "digest".into(),
            auth: Bytes::from_static(b"user:pass"),
        }),
    ]
}

#[test]
fn every_truncation_of_a_request_is_an_error() {
    for request in sample_requests() {
        let payload = request_payload(&request);
        assert_eq!(Request::decode(payload.clone()).unwrap().1, request);
        for len in 0..payload.len() {
            let result = Request::decode(payload.slice(..len));
            assert!(
                matches!(
                    result,
                    Err(Error::Truncated { .. } | Error::InvalidLength { .. })
                ),
                "{:?} cut to {len} bytes gave {result:?}",
                request.op()
            );
        }
    }
}

#[test]
fn every_truncation_of_a_reply_is_an_error() {
    let bodies = [
        (
            OpCode::GetData,
            Response::GetData(GetDataResponse {
                data: Some(Bytes::from_static(b"hello")),
                stat: stat(),
            }),
        ),
        (
            OpCode::Multi,
            Response::Multi(MultiResponse {
                results: vec![
                    MultiResult::Create { path: "/m".into() },
                    MultiResult::SetData { stat: stat() },
                    MultiResult::Error {
                        err: ErrorCode::NoNode,
                    },
                ],
            }),
        ),
        (
            OpCode::GetChildren2,
            Response::GetChildren2(GetChildren2Response {
                children: vec!["a".into(), "b".into()],
                stat: stat(),
            }),
        ),
    ];
    for (op, body) in bodies {
        let payload = reply_payload(&body);
        assert_eq!(Response::decode_frame(op, payload.clone()).unwrap().1, body);
        for len in 0..payload.len() {
            let result = Response::decode_frame(op, payload.slice(..len));
            assert!(result.is_err(), "{op:?} cut to {len} bytes gave {result:?}");
        }
    }
}

#[test]
fn huge_counts_and_lengths_are_rejected_before_allocating() {
    // getChildren reply claiming i32::MAX children in a 4-byte body.
    let mut body = BytesMut::new();
    body.put_i32(i32::MAX);
    let result = Response::decode(OpCode::GetChildren, &mut jute::Reader::new(body.freeze()));
    assert!(matches!(
        result,
        Err(Error::InvalidLength {
            field: "GetChildrenResponse.children",
            len: 0x7fff_ffff,
            ..
        })
    ));

    // A create whose path claims 2 GiB, and one whose ACL count is negative (not -1).
    let mut frame = BytesMut::new();
    RequestHeader {
        xid: Xid(1),
        op: OpCode::Create,
    }
    .write(&mut frame);
    frame.put_i32(i32::MAX);
    assert!(matches!(
        Request::decode(frame.freeze()),
        Err(Error::InvalidLength {
            field: "CreateRequest.path",
            ..
        })
    ));
    let mut frame = BytesMut::new();
    RequestHeader {
        xid: Xid(1),
        op: OpCode::SetAcl,
    }
    .write(&mut frame);
    "/a".to_owned().write(&mut frame);
    frame.put_i32(-2);
    assert!(matches!(
        Request::decode(frame.freeze()),
        Err(Error::InvalidLength {
            field: "SetAclRequest.acl",
            len: -2,
            ..
        })
    ));

    // setWatches with a count that each 4-byte string could not fit.
    let mut frame = BytesMut::new();
    RequestHeader {
        xid: Xid::SET_WATCHES,
        op: OpCode::SetWatches,
    }
    .write(&mut frame);
    frame.put_i64(0);
    frame.put_i32(1000);
    frame.put_slice(&[0; 3996]);
    assert!(matches!(
        Request::decode(frame.freeze()),
        Err(Error::InvalidLength {
            field: "SetWatches.data_watches",
            len: 1000,
            ..
        })
    ));
}

#[test]
fn multi_op_count_is_bounded_only_by_the_input() {
    let ops: Vec<MultiOp> = (0..20_000)
        .map(|i| {
            MultiOp::Check(CheckVersionRequest {
                path: format!("/n{i}"),
                version: i,
            })
        })
        .collect();
    let request = Request::Multi(MultiRequest { ops });
    let (_, decoded) = Request::decode(request_payload(&request)).unwrap();
    assert_eq!(decoded, request);
}

#[test]
fn invalid_enum_values_are_errors_or_raw_codes_as_the_server_needs() {
    // A notification with an unknown event type or state does not decode.
    for (event_type, state, field) in [
        (42, 3, "WatcherEvent.event_type"),
        (1, 2, "WatcherEvent.state"),
    ] {
        let mut frame = BytesMut::new();
        ReplyHeader {
            xid: Xid::NOTIFICATION,
            zxid: Zxid::NONE,
            err: ErrorCode::Ok,
        }
        .write(&mut frame);
        frame.put_i32(event_type);
        frame.put_i32(state);
        "/a".to_owned().write(&mut frame);
        match WatcherEvent::decode_frame(frame.freeze()) {
            Err(Error::InvalidValue { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{event_type}/{state} gave {other:?}"),
        }
    }

    // Values the server answers with an error code of its own decode as raw integers.
    let create = Request::Create(CreateRequest {
        path: "/a".into(),
        data: None,
        acl: vec![],
        flags: 99,
    });
    let Request::Create(decoded) = Request::decode(request_payload(&create)).unwrap().1 else {
        panic!("not a create")
    };
    assert_eq!((decoded.flags, decoded.mode()), (99, None)); // → BADARGUMENTS

    let add = Request::AddWatch(AddWatchRequest {
        path: "/a".into(),
        mode: 2,
    });
    let Request::AddWatch(decoded) = Request::decode(request_payload(&add)).unwrap().1 else {
        panic!("not an addWatch")
    };
    assert_eq!(decoded.watch_mode(), None);

    let check = Request::CheckWatches(CheckWatchesRequest {
        path: "/a".into(),
        type_code: 6,
    });
    let Request::CheckWatches(decoded) = Request::decode(request_payload(&check)).unwrap().1 else {
        panic!("not a checkWatches")
    };
    assert_eq!(decoded.watcher_type(), None);

    // A multi result of an unknown type is an error naming the header.
    let mut body = BytesMut::new();
    MultiHeader {
        op_type: 77,
        done: false,
        err: 0,
    }
    .write(&mut body);
    MultiHeader::TERMINATOR.write(&mut body);
    assert_eq!(
        MultiResponse::from_bytes(body.freeze()),
        Err(Error::InvalidValue {
            field: "MultiHeader.type",
            offset: 0,
            value: 77
        })
    );
}

#[test]
fn unknown_and_non_client_opcodes_are_distinguishable() {
    for code in [0, 10, 13, 23, 99, -1, -2, -10, 108, i32::MIN, i32::MAX] {
        let mut frame = BytesMut::new();
        frame.put_i32(5);
        frame.put_i32(code);
        let result = Request::decode(frame.freeze());
        assert_eq!(result, Err(Error::UnknownOpCode(code)), "opcode {code}");
    }
    // The server still learns which xid to answer UNIMPLEMENTED to.
    assert_eq!(
        RequestHeader::peek_xid(&[0, 0, 0, 5, 0, 0, 0, 13]),
        Some(Xid(5))
    );
}

quickcheck! {
    fn random_request_frames_never_panic(bytes: Vec<u8>) -> bool {
        let _ = Request::decode(Bytes::from(bytes));
        true
    }

    fn random_request_bodies_never_panic(op_index: usize, body: Vec<u8>) -> bool {
        let op = OpCode::ALL[op_index % OpCode::ALL.len()];
        let _ = Request::read_body(op, &mut jute::Reader::new(body));
        true
    }

    fn random_reply_frames_never_panic(op_index: usize, bytes: Vec<u8>) -> bool {
        let op = OpCode::ALL[op_index % OpCode::ALL.len()];
        let _ = Response::decode_frame(op, Bytes::from(bytes.clone()));
        let _ = WatcherEvent::decode_frame(Bytes::from(bytes.clone()));
        let _ = ConnectRequest::decode(Bytes::from(bytes.clone()));
        let _ = ConnectResponse::decode(Bytes::from(bytes));
        true
    }

    /// Flipping one byte of a valid request gives a value or an error, never a panic.
    fn corrupted_requests_never_panic(request: Request, index: usize, byte: u8) -> TestResult {
        let mut payload = request_payload(&request).to_vec();
        let i = index % payload.len();
        payload[i] = byte;
        let _ = Request::decode(Bytes::from(payload));
        TestResult::passed()
    }
}
