//! Property tests: `decode(encode(x)) == x` for every client-protocol record, the request and
//! response enums, multi records and both forms of the handshake.
//!
//! Generators come from the crate's `arbitrary` feature (enabled for tests in Cargo.toml).
//! Quickcheck prints the failing input when a property fails.

use bytes::BytesMut;
use quickcheck::{quickcheck, Arbitrary, Gen, TestResult};
use zk_proto::*;

/// `decode(encode(x)) == x`, and decoding consumes exactly the encoding.
fn round_trips<T: Jute + PartialEq + std::fmt::Debug>(value: T) -> TestResult {
    let bytes = value.to_vec();
    let mut reader = jute::Reader::new(bytes.clone());
    match T::read(&mut reader, "test") {
        Ok(decoded) if decoded == value && reader.is_empty() => TestResult::passed(),
        other => TestResult::error(format!(
            "{value:?} encoded to {bytes:?} decoded to {other:?} with {} bytes left",
            reader.remaining()
        )),
    }
}

macro_rules! record_round_trips {
    ($($name:ident: $ty:ty),* $(,)?) => {
        quickcheck! {
            $( fn $name(value: $ty) -> TestResult { round_trips(value) } )*
        }
    };
}

record_round_trips! {
    create_request: CreateRequest,
    create_ttl_request: CreateTtlRequest,
    create_response: CreateResponse,
    create2_response: Create2Response,
    delete_request: DeleteRequest,
    delete_container_request: DeleteContainerRequest,
    check_version_request: CheckVersionRequest,
    exists_request: ExistsRequest,
    exists_response: ExistsResponse,
    get_data_request: GetDataRequest,
    get_data_response: GetDataResponse,
    set_data_request: SetDataRequest,
    set_data_response: SetDataResponse,
    get_acl_request: GetAclRequest,
    get_acl_response: GetAclResponse,
    set_acl_request: SetAclRequest,
    set_acl_response: SetAclResponse,
    get_children_request: GetChildrenRequest,
    get_children_response: GetChildrenResponse,
    get_children2_request: GetChildren2Request,
    get_children2_response: GetChildren2Response,
    sync_request: SyncRequest,
    sync_response: SyncResponse,
    reconfig_request: ReconfigRequest,
    check_watches_request: CheckWatchesRequest,
    remove_watches_request: RemoveWatchesRequest,
    get_ephemerals_request: GetEphemeralsRequest,
    get_ephemerals_response: GetEphemeralsResponse,
    get_all_children_number_request: GetAllChildrenNumberRequest,
    get_all_children_number_response: GetAllChildrenNumberResponse,
    add_watch_request: AddWatchRequest,
    error_response: ErrorResponse,
    who_am_i_response: WhoAmIResponse,
    client_info: ClientInfo,
    set_watches: SetWatches,
    set_watches2: SetWatches2,
    auth_packet: AuthPacket,
    get_sasl_request: GetSaslRequest,
    set_sasl_response: SetSaslResponse,
    watcher_event: WatcherEvent,
    multi_header: MultiHeader,
    multi_request: MultiRequest,
    multi_response: MultiResponse,
    connect_request: ConnectRequest,
    connect_response: ConnectResponse,
}

/// A client request op (one a client may send) and a reply body that answers it.
#[derive(Debug, Clone)]
struct Answered(OpCode, Response);

impl Arbitrary for Answered {
    fn arbitrary(g: &mut Gen) -> Self {
        let ops: Vec<OpCode> = OpCode::ALL
            .iter()
            .copied()
            .filter(|op| {
                !matches!(
                    op,
                    OpCode::Notification | OpCode::Check | OpCode::Error | OpCode::CreateSession
                )
            })
            .collect();
        let op = *g.choose(&ops).expect("client ops");
        Answered(op, Response::arbitrary_for(op, g))
    }
}

quickcheck! {
    fn request_frame_round_trips(request: Request, xid: i32) -> TestResult {
        let mut out = BytesMut::new();
        request.write_frame(Xid(xid), &mut out);
        let frame = frame::FrameDecoder::default().decode(&mut out).unwrap().unwrap();
        match Request::decode(frame) {
            Ok((header, decoded))
                if header == (RequestHeader { xid: Xid(xid), op: request.op() })
                    && decoded == request => TestResult::passed(),
            other => TestResult::error(format!("{request:?} decoded to {other:?}")),
        }
    }

    fn reply_frame_round_trips(answered: Answered, xid: i32, zxid: i64) -> TestResult {
        let Answered(op, body) = answered;
        let header = ReplyHeader { xid: Xid(xid), zxid: Zxid(zxid), err: ErrorCode::Ok };
        let mut out = BytesMut::new();
        body.write_frame(&header, &mut out);
        let frame = frame::FrameDecoder::default().decode(&mut out).unwrap().unwrap();
        match Response::decode_frame(op, frame) {
            Ok((h, decoded)) if h == header && decoded == body => TestResult::passed(),
            other => TestResult::error(format!("{op:?} {body:?} decoded to {other:?}")),
        }
    }

    fn error_reply_round_trips_without_body(op_index: usize, code: i32, xid: i32) -> TestResult {
        let op = OpCode::ALL[op_index % OpCode::ALL.len()];
        let err = ErrorCode::from_code(code);
        if err.is_ok() {
            return TestResult::discard();
        }
        let header = ReplyHeader { xid: Xid(xid), zxid: Zxid(1), err };
        let mut out = BytesMut::new();
        Response::Empty.write_frame(&header, &mut out);
        let frame = out.split_off(4).freeze();
        TestResult::from_bool(frame.len() == 16
            && Response::decode_frame(op, frame) == Ok((header, Response::Empty)))
    }

    fn notification_frame_round_trips(event: WatcherEvent, zxid: i64) -> TestResult {
        let mut out = BytesMut::new();
        event.write_frame(Zxid(zxid), &mut out);
        let frame = out.split_off(4).freeze();
        match WatcherEvent::decode_frame(frame) {
            Ok((header, decoded)) => {
                let expected = ReplyHeader {
                    xid: Xid::NOTIFICATION,
                    zxid: Zxid(zxid),
                    err: ErrorCode::Ok,
                };
                TestResult::from_bool(header == expected && decoded == event)
            }
            Err(e) => TestResult::error(e.to_string()),
        }
    }

    fn handshake_frames_round_trip(req: ConnectRequest, resp: ConnectResponse) -> TestResult {
        let mut out = BytesMut::new();
        req.write_frame(&mut out);
        resp.write_frame(&mut out);
        let decoder = frame::FrameDecoder::default();
        let req_frame = decoder.decode(&mut out).unwrap().unwrap();
        let resp_frame = decoder.decode(&mut out).unwrap().unwrap();
        // 28 fixed bytes, the password, and the readOnly byte unless this is an old client.
        let expected_len = 28 + req.passwd.len() + usize::from(!req.old_client);
        TestResult::from_bool(
            req_frame.len() == expected_len
                && ConnectRequest::decode(req_frame) == Ok(req)
                && ConnectResponse::decode(resp_frame) == Ok(resp),
        )
    }
}

#[test]
fn both_handshake_forms_round_trip() {
    for old_client in [false, true] {
        let req = ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: Zxid(0x5_0000_0001),
            timeout_ms: 10_000,
            session_id: SessionId(0x0100_0008_ec08_0000),
            passwd: bytes::Bytes::from_static(&[9; 16]),
            read_only: !old_client,
            old_client,
        };
        let decoded = ConnectRequest::from_bytes(req.to_vec()).unwrap();
        assert_eq!(decoded, req);
        assert_eq!(decoded.old_client, old_client);
        let resp = ConnectResponse {
            protocol_version: 0,
            timeout_ms: 10_000,
            session_id: req.session_id,
            passwd: req.passwd.clone(),
            read_only: false,
            old_client,
        };
        let bytes = resp.to_vec();
        assert_eq!(bytes.len(), if old_client { 36 } else { 37 });
        assert_eq!(ConnectResponse::from_bytes(bytes).unwrap(), resp);
    }
}
