//! Golden-byte tests against real Apache ZooKeeper 3.8 traffic.
//!
//! `tests/golden/` holds frames captured between the official Java client and an Apache
//! ZooKeeper 3.8 server (see its README.md). For every frame listed in `MANIFEST.tsv` we decode
//! it with our decoder (requests with [`Request::decode`], replies with
//! [`Response::decode_frame`] given the op the manifest says they answer, notifications as
//! [`WatcherEvent`], the handshake specially), re-encode it, and require the very same bytes.
//! Then we check what was decoded: paths, data, error codes, multi results, events.

use std::collections::BTreeMap;
use std::path::PathBuf;

use bytes::{Bytes, BytesMut};
use zk_proto::*;

/// One decoded golden frame.
#[derive(Debug, Clone)]
enum Decoded {
    ConnectRequest(ConnectRequest),
    ConnectResponse(ConnectResponse),
    Request(RequestHeader, Request),
    Reply(ReplyHeader, Response),
    Notification(ReplyHeader, WatcherEvent),
}

/// One row of MANIFEST.tsv.
struct Row {
    file: String,
    direction: String,
    xid: Option<i32>,
    opcode: Option<i32>,
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn manifest() -> Vec<Row> {
    let text = std::fs::read_to_string(golden_dir().join("MANIFEST.tsv")).expect("MANIFEST.tsv");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("file\tdirection\txid\topcode\tdescription")
    );
    lines
        .filter(|line| !line.is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert!(cols.len() >= 4, "manifest row {line:?}");
            Row {
                file: cols[0].to_owned(),
                direction: cols[1].to_owned(),
                xid: cols[2].parse().ok(),
                opcode: cols[3].parse().ok(),
            }
        })
        .collect()
}

/// Decodes one complete frame (length prefix included) and checks that re-encoding the decoded
/// value gives back exactly `bytes`.
fn decode_and_reencode(row: &Row, bytes: &[u8]) -> Decoded {
    let name = &row.file;
    let mut buf = BytesMut::from(bytes);
    let payload = frame::FrameDecoder::default()
        .decode(&mut buf)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .unwrap_or_else(|| panic!("{name}: incomplete frame"));
    assert!(buf.is_empty(), "{name}: bytes after the frame");

    let mut out = BytesMut::new();
    let decoded = if name.contains("connect-request") {
        let req = ConnectRequest::decode(payload).unwrap_or_else(|e| panic!("{name}: {e}"));
        req.write_frame(&mut out);
        Decoded::ConnectRequest(req)
    } else if name.contains("connect-response") {
        let resp = ConnectResponse::decode(payload).unwrap_or_else(|e| panic!("{name}: {e}"));
        resp.write_frame(&mut out);
        Decoded::ConnectResponse(resp)
    } else if row.direction == "c2s" {
        let (header, req) = Request::decode(payload).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(Some(header.xid.0), row.xid, "{name}: xid");
        assert_eq!(Some(header.op.code()), row.opcode, "{name}: op");
        req.write_frame(header.xid, &mut out);
        Decoded::Request(header, req)
    } else if row.xid == Some(Xid::NOTIFICATION.0) {
        let (header, event) =
            WatcherEvent::decode_frame(payload).unwrap_or_else(|e| panic!("{name}: {e}"));
        event.write_frame(header.zxid, &mut out);
        Decoded::Notification(header, event)
    } else {
        let code = row.opcode.unwrap_or_else(|| panic!("{name}: no opcode"));
        let op = OpCode::from_code(code).unwrap_or_else(|| panic!("{name}: opcode {code}"));
        let (header, body) =
            Response::decode_frame(op, payload).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(Some(header.xid.0), row.xid, "{name}: xid");
        body.write_frame(&header, &mut out);
        Decoded::Reply(header, body)
    };
    assert_eq!(&out[..], bytes, "{name}: re-encoding differs");
    decoded
}

/// Every captured frame, decoded, keyed by file name.
fn decode_all() -> BTreeMap<String, Decoded> {
    let rows = manifest();
    let mut decoded = BTreeMap::new();
    for row in rows.iter().filter(|row| row.file.ends_with(".bin")) {
        let bytes = std::fs::read(golden_dir().join(&row.file))
            .unwrap_or_else(|e| panic!("{}: {e}", row.file));
        decoded.insert(row.file.clone(), decode_and_reencode(row, &bytes));
    }
    decoded
}

/// Looks a frame up by its position prefix (`"31"`) or full name (`"old-client-..."`).
fn frame<'a>(all: &'a BTreeMap<String, Decoded>, key: &str) -> &'a Decoded {
    let prefix = format!("{key}-");
    all.iter()
        .find(|(name, _)| name.starts_with(&prefix) || name.as_str() == key)
        .map(|(_, d)| d)
        .unwrap_or_else(|| panic!("no golden frame {key}"))
}

fn request<'a>(all: &'a BTreeMap<String, Decoded>, key: &str) -> (Xid, &'a Request) {
    match frame(all, key) {
        Decoded::Request(header, req) => (header.xid, req),
        other => panic!("{key} is not a request: {other:?}"),
    }
}

fn reply<'a>(all: &'a BTreeMap<String, Decoded>, key: &str) -> (ReplyHeader, &'a Response) {
    match frame(all, key) {
        Decoded::Reply(header, body) => (header.clone(), body),
        other => panic!("{key} is not a reply: {other:?}"),
    }
}

fn notification(all: &BTreeMap<String, Decoded>, key: &str) -> WatcherEvent {
    match frame(all, key) {
        Decoded::Notification(header, event) => {
            // ZooKeeper 3.8 sends zxid -1 in notification headers.
            assert_eq!(header.zxid, Zxid::NONE, "{key}");
            assert_eq!(header.err, ErrorCode::Ok, "{key}");
            assert_eq!(event.state, KeeperState::SyncConnected, "{key}");
            event.clone()
        }
        other => panic!("{key} is not a notification: {other:?}"),
    }
}

fn data(bytes: &'static [u8]) -> Option<Bytes> {
    Some(Bytes::from_static(bytes))
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

#[test]
fn every_captured_frame_reencodes_byte_for_byte() {
    let all = decode_all();
    // The capture has 74 frames on the main connection and 4 on the old-client one.
    assert!(all.len() >= 78, "only {} golden frames", all.len());
    // Every .bin file on disk is listed in the manifest, so none escapes this test.
    for entry in std::fs::read_dir(golden_dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".bin") {
            assert!(all.contains_key(&name), "{name} is not in MANIFEST.tsv");
        }
    }
}

#[test]
fn every_truncation_of_a_captured_frame_is_an_error() {
    let mut checked = 0;
    for row in manifest().iter().filter(|row| row.file.ends_with(".bin")) {
        let bytes = std::fs::read(golden_dir().join(&row.file)).unwrap();
        let payload = Bytes::from(bytes).slice(4..);
        let decode = |frame: Bytes| -> Result<()> {
            if row.file.contains("connect-request") {
                ConnectRequest::decode(frame).map(drop)
            } else if row.file.contains("connect-response") {
                ConnectResponse::decode(frame).map(drop)
            } else if row.direction == "c2s" {
                Request::decode(frame).map(drop)
            } else if row.xid == Some(Xid::NOTIFICATION.0) {
                WatcherEvent::decode_frame(frame).map(drop)
            } else {
                let op = OpCode::from_code(row.opcode.unwrap()).unwrap();
                Response::decode_frame(op, frame).map(drop)
            }
        };
        // The handshake's trailing readOnly byte is optional: without it the frame is the
        // complete old-client form, so only shorter cuts must fail.
        let optional = row.file.contains("connect-") && !row.file.starts_with("old-client");
        let complete_at = payload.len() - usize::from(optional);
        for len in 0..complete_at {
            let result = decode(payload.slice(..len));
            assert!(result.is_err(), "{} cut to {len} bytes decoded", row.file);
            checked += 1;
        }
    }
    assert!(checked > 2_000, "only {checked} truncations checked");
}

#[test]
fn handshake_frames_decode_in_both_forms() {
    let all = decode_all();
    let Decoded::ConnectRequest(req) = frame(&all, "00") else {
        panic!("00 is not a ConnectRequest")
    };
    assert_eq!(
        (req.protocol_version, req.timeout_ms, req.session_id),
        (0, 30_000, SessionId(0))
    );
    assert_eq!(req.last_zxid_seen, Zxid::ZERO);
    assert_eq!(&req.passwd[..], &[0; 16]);
    assert!(!req.read_only && !req.old_client);

    let Decoded::ConnectResponse(resp) = frame(&all, "01") else {
        panic!("01 is not a ConnectResponse")
    };
    assert_eq!(resp.timeout_ms, 30_000);
    assert_ne!(resp.session_id, SessionId(0));
    assert_eq!(resp.passwd.len(), 16);
    assert!(!resp.read_only && !resp.old_client && !resp.is_expired());

    let Decoded::ConnectRequest(old) = frame(&all, "old-client-connect-request.bin") else {
        panic!("old client request")
    };
    assert!(old.old_client && !old.read_only);
    assert_eq!(old.to_vec().len(), 44);
    let Decoded::ConnectResponse(old_resp) = frame(&all, "old-client-connect-response.bin") else {
        panic!("old client response")
    };
    assert!(old_resp.old_client);
    assert_eq!(old_resp.to_vec().len(), 36);
    assert_eq!(
        request(&all, "old-client-close-session-request.bin").1,
        &Request::CloseSession
    );
    let (header, body) = reply(&all, "old-client-close-session-response.bin");
    assert_eq!(
        (header.xid, header.err, body),
        (Xid(1), ErrorCode::Ok, &Response::Empty)
    );
}

#[test]
fn creates_decode_path_data_acl_and_mode() {
    let all = decode_all();
    let Request::Create(create) = request(&all, "02").1 else {
        panic!("02 is not a create")
    };
    assert_eq!(create.path, "/golden");
    assert_eq!(create.data, data(b"hello"));
    assert_eq!(create.acl, Acl::open_acl_unsafe());
    assert_eq!(create.mode(), Some(CreateMode::Persistent));
    let (header, body) = reply(&all, "03");
    assert_eq!(header.zxid, Zxid(2));
    assert_eq!(
        body,
        &Response::Create(CreateResponse {
            path: "/golden".into()
        })
    );

    let Request::Create2(create2) = request(&all, "04").1 else {
        panic!("04 is not a create2")
    };
    assert_eq!(
        (create2.path.as_str(), &create2.data),
        ("/golden/c2", &data(b"child-two"))
    );
    let Response::Create2(created) = reply(&all, "05").1 else {
        panic!("05 is not a create2 response")
    };
    assert_eq!(created.path, "/golden/c2");
    assert_eq!((created.stat.czxid, created.stat.data_length), (Zxid(3), 9));

    let Request::Create(eph) = request(&all, "06").1 else {
        panic!("06 is not a create")
    };
    assert_eq!(eph.mode(), Some(CreateMode::EphemeralSequential));
    assert_eq!(
        reply(&all, "07").1,
        &Response::Create(CreateResponse {
            path: "/golden/eph-0000000001".into()
        })
    );

    // Null data stays null, distinct from empty.
    let Request::Create(null) = request(&all, "08").1 else {
        panic!("08 is not a create")
    };
    assert_eq!((null.path.as_str(), &null.data), ("/golden/null", &None));

    let (header, body) = reply(&all, "11");
    assert_eq!(
        (header.err, body),
        (ErrorCode::NodeExists, &Response::Empty)
    );

    let Request::Create(auth_acl) = request(&all, "41").1 else {
        panic!("41 is not a create")
    };
    assert_eq!(auth_acl.acl, Acl::creator_all_acl());
}

#[test]
fn reads_decode_stats_data_and_children() {
    let all = decode_all();
    assert_eq!(
        request(&all, "12").1,
        &Request::Exists(ExistsRequest {
            path: "/golden".into(),
            watch: false
        })
    );
    let Response::Exists(exists) = reply(&all, "13").1 else {
        panic!("13 is not an exists response")
    };
    assert_eq!((exists.stat.num_children, exists.stat.data_length), (3, 5));
    // exists on a missing node: NONODE and no body.
    let (header, body) = reply(&all, "15");
    assert_eq!((header.err, body), (ErrorCode::NoNode, &Response::Empty));

    assert_eq!(
        request(&all, "16").1,
        &Request::GetData(GetDataRequest {
            path: "/golden".into(),
            watch: true
        })
    );
    let Response::GetData(get) = reply(&all, "17").1 else {
        panic!("17 is not a getData response")
    };
    assert_eq!(get.data, data(b"hello"));
    let Response::GetData(null) = reply(&all, "22").1 else {
        panic!("22 is not a getData response")
    };
    assert_eq!((&null.data, null.stat.data_length), (&None, 0));
    assert_eq!(reply(&all, "24").0.err, ErrorCode::NoNode);

    let children = || sorted(vec!["c2".into(), "eph-0000000001".into(), "null".into()]);
    let Response::GetChildren(list) = reply(&all, "26").1 else {
        panic!("26 is not a getChildren response")
    };
    assert_eq!(sorted(list.children.clone()), children());
    let Response::GetChildren2(list2) = reply(&all, "28").1 else {
        panic!("28 is not a getChildren2 response")
    };
    assert_eq!(sorted(list2.children.clone()), children());
    assert_eq!(list2.stat.num_children, 3);

    let Response::Sync(sync) = reply(&all, "38").1 else {
        panic!("38 is not a sync response")
    };
    assert_eq!(sync.path, "/golden");
    let Response::GetEphemerals(ephemerals) = reply(&all, "52").1 else {
        panic!("52 is not a getEphemerals response")
    };
    assert_eq!(ephemerals.ephemerals, ["/golden/eph-0000000001"]);
    assert_eq!(
        reply(&all, "54").1,
        &Response::GetAllChildrenNumber(GetAllChildrenNumberResponse { total_number: 4 })
    );
}

#[test]
fn writes_and_their_errors_decode() {
    let all = decode_all();
    let Request::SetData(set) = request(&all, "18").1 else {
        panic!("18 is not a setData")
    };
    assert_eq!((set.data.clone(), set.version), (data(b"world"), -1));
    let Response::SetData(stat) = reply(&all, "20").1 else {
        panic!("20 is not a setData response")
    };
    assert_eq!((stat.stat.version, stat.stat.mzxid), (1, Zxid(7)));

    assert_eq!(
        request(&all, "29").1,
        &Request::Delete(DeleteRequest {
            path: "/golden/c2".into(),
            version: 5
        })
    );
    assert_eq!(reply(&all, "30").0.err, ErrorCode::BadVersion);
    assert_eq!(reply(&all, "65").1, &Response::Empty);
}

#[test]
fn multi_requests_and_results_decode_per_op() {
    let all = decode_all();
    let Request::Multi(multi) = request(&all, "31").1 else {
        panic!("31 is not a multi")
    };
    let ops: Vec<(OpCode, &str)> = multi.ops.iter().map(|op| (op.op(), op.path())).collect();
    assert_eq!(
        ops,
        [
            (OpCode::Create, "/golden/m1"),
            (OpCode::SetData, "/golden"),
            (OpCode::Check, "/golden"),
            (OpCode::Delete, "/golden/m1"),
        ]
    );
    let Response::Multi(results) = reply(&all, "32").1 else {
        panic!("32 is not a multi response")
    };
    assert!(matches!(
        results.results.as_slice(),
        [
            MultiResult::Create { path },
            MultiResult::SetData { .. },
            MultiResult::Check,
            MultiResult::Delete,
        ] if path == "/golden/m1"
    ));

    // A failed multi: header OK, every result an error, 0 … -101 … -2.
    let Request::Multi(failing) = request(&all, "33").1 else {
        panic!("33 is not a multi")
    };
    assert_eq!(failing.ops.len(), 3);
    let (header, body) = reply(&all, "34");
    assert_eq!(header.err, ErrorCode::Ok);
    let Response::Multi(failed) = body else {
        panic!("34 is not a multi response")
    };
    assert_eq!(failed, &MultiResponse::failed(3, 1, ErrorCode::NoNode));

    // multiRead: each op on its own; the missing node is an error result only.
    let Request::MultiRead(reads) = request(&all, "35").1 else {
        panic!("35 is not a multiRead")
    };
    assert!(reads.is_read());
    assert_eq!(reads.ops.len(), 3);
    let Response::Multi(read_results) = reply(&all, "36").1 else {
        panic!("36 is not a multi response")
    };
    let codes: Vec<i32> = read_results
        .results
        .iter()
        .map(|r| r.err().code())
        .collect();
    assert_eq!(codes, [0, 0, -101]);
    assert!(matches!(
        &read_results.results[0],
        MultiResult::GetData { data: Some(d), .. } if &d[..] == b"multi"
    ));
    assert!(matches!(
        &read_results.results[1],
        MultiResult::GetChildren { children } if children.len() == 3
    ));
}

#[test]
fn session_and_acl_ops_decode() {
    let all = decode_all();
    let (xid, auth) = request(&all, "39");
    assert_eq!(xid, Xid::AUTH);
    assert_eq!(
        auth,
        &Request::Auth(AuthPacket {
            auth_type: 0,
            scheme: "digest".into(),
            auth: Bytes::from_static(b"user:pass"),
        })
    );
    let (header, body) = reply(&all, "40");
    assert_eq!(
        (header.xid, header.zxid, header.err, body),
        (Xid::AUTH, Zxid(0), ErrorCode::Ok, &Response::Empty)
    );

    let Response::GetAcl(acl) = reply(&all, "44").1 else {
        panic!("44 is not a getACL response")
    };
    assert_eq!(acl.acl.len(), 1);
    assert_eq!(acl.acl[0].perms, Perms::ALL);
    assert_eq!(
        acl.acl[0].id,
        Id::new("digest", "user:smGaoVKd/cQkjm7b88GyorAUz20=")
    );
    let Request::SetAcl(set_acl) = request(&all, "45").1 else {
        panic!("45 is not a setACL")
    };
    assert_eq!(
        (&set_acl.acl, set_acl.version),
        (&Acl::open_acl_unsafe(), 0)
    );
    let Response::SetAcl(set) = reply(&all, "46").1 else {
        panic!("46 is not a setACL response")
    };
    assert_eq!(set.stat.aversion, 1);

    assert_eq!(request(&all, "49").1, &Request::WhoAmI);
    let Response::WhoAmI(who) = reply(&all, "50").1 else {
        panic!("50 is not a whoAmI response")
    };
    let ids: Vec<(&str, &str)> = who
        .client_info
        .iter()
        .map(|c| (c.auth_scheme.as_str(), c.user.as_str()))
        .collect();
    assert_eq!(ids, [("ip", "127.0.0.1"), ("digest", "user")]);

    assert_eq!(request(&all, "72").1, &Request::CloseSession);
    let (header, body) = reply(&all, "73");
    assert_eq!((header.err, body), (ErrorCode::Ok, &Response::Empty));
}

#[test]
fn watches_and_notifications_decode() {
    let all = decode_all();
    let event = notification(&all, "19");
    assert_eq!(
        (event.event_type, event.path.as_str()),
        (EventType::NodeDataChanged, "/golden")
    );

    let Request::AddWatch(add) = request(&all, "55").1 else {
        panic!("55 is not an addWatch")
    };
    assert_eq!(add.path, "/golden");
    assert_eq!(add.watch_mode(), Some(AddWatchMode::PersistentRecursive));
    // addWatch is the one void op whose OK reply has a body: ErrorResponse{0}.
    assert_eq!(
        reply(&all, "56").1,
        &Response::AddWatch(ErrorResponse { err: ErrorCode::Ok })
    );

    let events: Vec<(EventType, String)> = ["58", "61", "64"]
        .iter()
        .map(|key| notification(&all, key))
        .map(|e| (e.event_type, e.path))
        .collect();
    assert_eq!(
        events,
        [
            (EventType::NodeCreated, "/golden/r1".to_owned()),
            (EventType::NodeDataChanged, "/golden/r1".to_owned()),
            (EventType::NodeDeleted, "/golden/r1".to_owned()),
        ]
    );

    assert_eq!(
        request(&all, "66").1,
        &Request::Exists(ExistsRequest {
            path: "/golden/c2".into(),
            watch: true
        })
    );
    let Request::CheckWatches(check) = request(&all, "68").1 else {
        panic!("68 is not a checkWatches")
    };
    assert_eq!(
        (check.path.as_str(), check.watcher_type()),
        ("/golden/c2", Some(WatcherType::Data))
    );
    let Request::RemoveWatches(remove) = request(&all, "70").1 else {
        panic!("70 is not a removeWatches")
    };
    assert_eq!(
        (remove.path.as_str(), remove.watcher_type()),
        ("/golden", Some(WatcherType::Any))
    );
    assert_eq!(reply(&all, "69").1, &Response::Empty);
    assert_eq!(reply(&all, "71").1, &Response::Empty);
}

#[test]
fn four_letter_word_answers_were_captured_for_known_words() {
    let ruok = std::fs::read(golden_dir().join("4lw-ruok-response.txt")).unwrap();
    assert_eq!(ruok, b"imok");
    assert_eq!(
        FourLetterWord::from_prefix(b"ruok").map(FourLetterWord::as_str),
        Some("ruok")
    );
    let srvr = std::fs::read_to_string(golden_dir().join("4lw-srvr-response.txt")).unwrap();
    assert!(srvr.contains("Mode: standalone"), "{srvr}");
    assert_eq!(
        FourLetterWord::from_prefix(b"srvr"),
        Some(FourLetterWord::Srvr)
    );
}
