//! Sessions over the wire: timeout negotiation, expiry deleting ephemerals and firing watches,
//! pings keeping a session alive, moving a session between connections, SessionExpired for
//! unknown and closed sessions, the single-system-image check, and ordering: replies in
//! request order with many requests pipelined, across many concurrent sessions.

mod common;

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use common::*;
use zk_proto::{
    ConnectResponse, CreateMode, ErrorCode, EventType, Request, Response, SessionId, Xid, Zxid,
};

#[test]
fn timeout_is_negotiated_between_min_and_max() {
    let server = TestServer::start_with(|c| {
        c.min_session_timeout_ms = 1000;
        c.max_session_timeout_ms = 5000;
    });
    let low = RawClient::connect_with_timeout(server.addr, 10);
    let high = RawClient::connect_with_timeout(server.addr, 1_000_000);
    let mid = RawClient::connect_with_timeout(server.addr, 2500);
    assert_eq!(
        (
            low.session.timeout_ms,
            high.session.timeout_ms,
            mid.session.timeout_ms
        ),
        (1000, 5000, 2500)
    );
    assert_ne!(low.session_id(), high.session_id());
    assert_eq!(low.session.passwd.len(), 16);
    assert!(!low.session.read_only);
}

#[test]
fn expiry_deletes_ephemerals_fires_watches_and_closes_the_connection() {
    let server = TestServer::start();
    let mut watcher = server.client();
    let mut doomed = RawClient::connect_with_timeout(server.addr, 200);
    assert_eq!(doomed.session.timeout_ms, 200);
    doomed.ok(&create("/locks", b""));
    doomed.ok(&create_mode("/locks/owner", b"", CreateMode::Ephemeral));
    doomed.ok(&create_mode(
        "/locks/seq-",
        b"",
        CreateMode::EphemeralSequential,
    ));
    assert!(watcher.ok(&exists("/locks/owner", true)) != Response::Empty);
    watcher.ok(&get_children("/locks", true));
    let session = doomed.session.clone();

    // The doomed client goes silent; within a few ticks its session expires.
    let started = Instant::now();
    let mut got = [watcher.next_event(), watcher.next_event()];
    got.sort_by(|a, b| a.path.cmp(&b.path));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        got.iter()
            .map(|e| (e.event_type, e.path.as_str()))
            .collect::<Vec<_>>(),
        [
            (EventType::NodeChildrenChanged, "/locks"),
            (EventType::NodeDeleted, "/locks/owner")
        ]
    );
    assert!(children_of(&mut watcher, "/locks").is_empty());
    doomed.expect_closed();

    // Resuming an expired session is answered "expired" (timeout 0), then closed.
    let mut again = RawClient::resume(server.addr, &session);
    assert!(again.session.is_expired());
    assert_eq!(again.session.session_id, SessionId(0));
    again.expect_closed();
}

#[test]
fn pings_keep_a_short_session_alive() {
    let server = TestServer::start();
    // A timeout generous enough for a loaded test machine, yet many ticks long.
    let mut c = RawClient::connect_with_timeout(server.addr, 1000);
    c.ok(&create_mode("/alive", b"", CreateMode::Ephemeral));
    let until = Instant::now() + Duration::from_millis(3500);
    while Instant::now() < until {
        let (header, _) = c.call(&Request::Ping);
        assert_eq!((header.xid, header.err), (Xid::PING, ErrorCode::Ok));
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        stat_of(&mut c, "/alive").is_some(),
        "the session outlived 3 timeouts"
    );
}

#[test]
fn session_moves_to_a_new_connection_and_the_old_one_is_closed() {
    let server = TestServer::start();
    let mut first = server.client();
    first.ok(&create_mode("/eph", b"", CreateMode::Ephemeral));
    let session = first.session.clone();

    let mut second = RawClient::resume(server.addr, &session);
    assert_eq!(second.session.session_id, session.session_id);
    assert_eq!(second.session.timeout_ms, session.timeout_ms);
    assert_eq!(second.session.passwd, session.passwd);
    // The old connection is closed without any further reply.
    let leftovers = first.expect_closed();
    assert!(
        leftovers.is_empty(),
        "nothing is sent to the old connection: {leftovers:?}"
    );
    // The session (and its ephemeral) lives on in the new connection.
    let stat = stat_of(&mut second, "/eph").expect("ephemeral survives the move");
    assert_eq!(stat.ephemeral_owner, session.session_id.0);
    second.ok(&create_mode("/eph2", b"", CreateMode::Ephemeral));
}

#[test]
fn wrong_password_is_answered_expired_and_leaves_the_session_alone() {
    let server = TestServer::start();
    let mut owner = server.client();
    owner.ok(&create_mode("/mine", b"", CreateMode::Ephemeral));
    let mut forged = owner.session.clone();
    forged.passwd = Bytes::from_static(&[7; 16]);
    let mut thief = RawClient::resume(server.addr, &forged);
    assert!(thief.session.is_expired());
    thief.expect_closed();
    // The owner's connection is untouched.
    assert!(stat_of(&mut owner, "/mine").is_some());
}

#[test]
fn unknown_session_gets_session_expired() {
    let server = TestServer::start();
    let req = RawClient::connect_request(
        10_000,
        SessionId(0x1234_5678),
        Some(Bytes::from_static(&[1; 16])),
    );
    let mut c = RawClient::handshake(server.addr, req);
    assert!(c.session.is_expired());
    assert_eq!(c.session.timeout_ms, 0);
    c.expect_closed();
}

#[test]
fn client_ahead_of_the_server_is_refused_without_a_response() {
    let server = TestServer::start();
    let mut req = RawClient::connect_request(10_000, SessionId(0), None);
    req.last_zxid_seen = Zxid(0x7fff_0000_0000);
    let mut c = RawClient::open(server.addr);
    c.send_handshake(&req);
    assert!(
        c.expect_closed().is_empty(),
        "no ConnectResponse to a client from the future"
    );
}

#[test]
fn old_clients_get_the_short_handshake() {
    let server = TestServer::start();
    let mut req = RawClient::connect_request(10_000, SessionId(0), None);
    req.old_client = true;
    let mut c = RawClient::open(server.addr);
    c.send_handshake(&req);
    let frame = c.read_frame().expect("ConnectResponse");
    assert_eq!(
        frame.len(),
        36,
        "no readOnly byte for a client that sent none"
    );
    let response = ConnectResponse::decode(frame).expect("decodes");
    assert!(response.old_client && !response.is_expired());
}

#[test]
fn pipelined_requests_are_answered_in_order_and_reads_see_earlier_writes() {
    let server = TestServer::start();
    let mut c = server.client();
    c.ok(&create("/pipe", b""));
    let mut expected = Vec::new();
    for i in 0..600 {
        let path = format!("/pipe/n{i}");
        expected.push((c.send(&create(&path, b"a")), None));
        expected.push((
            c.send(&set_data(&path, format!("v{i}").as_bytes(), 0)),
            None,
        ));
        expected.push((c.send(&get_data(&path, false)), Some(format!("v{i}"))));
    }
    for (xid, want) in expected {
        let (header, body) = c.reply_to(xid);
        assert_eq!(header.err, ErrorCode::Ok, "request {xid:?}");
        if let Some(want) = want {
            let (data, stat) = data_of(&body);
            assert_eq!(
                data.as_deref(),
                Some(want.as_bytes()),
                "read after write, {xid:?}"
            );
            assert_eq!(stat.version, 1);
        }
    }
    assert_eq!(children_of(&mut c, "/pipe").len(), 600);
}

#[test]
fn a_read_pipelined_between_writes_sees_the_writes_before_it_and_none_after() {
    // The server proposes the later writes while the read waits for the earlier one to commit
    // (core docs, "Ordering per session"): the read must still see exactly the state between
    // them, and every reply must come back in request order (reply_to asserts the order).
    let server = TestServer::start();
    let mut c = server.client();
    c.ok(&create("/between", b"v0"));
    let mut sent = Vec::new();
    for i in 1..=500 {
        let write = c.send(&set_data("/between", format!("v{i}").as_bytes(), -1));
        let read = c.send(&get_data("/between", false));
        let exists = c.send(&exists("/between", false));
        sent.push((i, write, read, exists));
    }
    for (i, write, read, exists) in sent {
        let (header, _) = c.reply_to(write);
        assert_eq!(header.err, ErrorCode::Ok);
        let (header, body) = c.reply_to(read);
        assert_eq!(header.err, ErrorCode::Ok);
        let (data, stat) = data_of(&body);
        assert_eq!(
            data.as_deref(),
            Some(format!("v{i}").as_bytes()),
            "read {i}"
        );
        assert_eq!(
            stat.version, i,
            "read {i} sees its own write and no later one"
        );
        let (header, body) = c.reply_to(exists);
        assert_eq!(header.err, ErrorCode::Ok);
        let Response::Exists(found) = body else {
            panic!("exists answered {body:?}")
        };
        assert_eq!(found.stat.version, i, "exists {i}");
    }
}

#[test]
fn requests_pipelined_behind_the_handshake_are_answered_after_it() {
    let server = TestServer::start();
    let mut c = RawClient::open(server.addr);
    let mut burst = BytesMut::new();
    RawClient::connect_request(30_000, SessionId(0), None).write_frame(&mut burst);
    c.send_bytes(&burst);
    let xids = [
        c.send(&create("/early", b"1")),
        c.send(&get_data("/early", false)),
        c.send(&exists("/early", false)),
    ];
    let response = c.read_handshake().clone();
    assert!(!response.is_expired());
    let (h0, _) = c.reply_to(xids[0]);
    assert_eq!(h0.err, ErrorCode::Ok);
    let (h1, body) = c.reply_to(xids[1]);
    assert_eq!(
        (h1.err, data_of(&body).0.as_deref()),
        (ErrorCode::Ok, Some(&b"1"[..]))
    );
    let (h2, _) = c.reply_to(xids[2]);
    assert_eq!(h2.err, ErrorCode::Ok);
}

#[test]
fn concurrent_sessions_all_get_their_writes_acknowledged() {
    let server = TestServer::start();
    server.client().ok(&create("/q", b""));
    let threads: Vec<_> = (0..6)
        .map(|t| {
            let addr = server.addr;
            std::thread::spawn(move || {
                let mut c = RawClient::connect(addr);
                let xids: Vec<Xid> = (0..200)
                    .map(|_| {
                        c.send(&create_mode(
                            "/q/item-",
                            &[t],
                            CreateMode::PersistentSequential,
                        ))
                    })
                    .collect();
                let mut paths = Vec::new();
                let mut last = Zxid(0);
                for xid in xids {
                    let (header, body) = c.reply_to(xid);
                    assert_eq!(header.err, ErrorCode::Ok);
                    assert!(header.zxid.0 > last.0, "zxids increase along a session");
                    last = header.zxid;
                    let Response::Create(r) = body else {
                        panic!("{body:?}")
                    };
                    paths.push(r.path);
                }
                paths
            })
        })
        .collect();
    let mut all: Vec<String> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("thread"))
        .collect();
    let total = all.len();
    all.sort();
    all.dedup();
    assert_eq!(
        (total, all.len()),
        (1200, 1200),
        "sequential names are unique"
    );
    let mut c = server.client();
    assert_eq!(children_of(&mut c, "/q").len(), 1200);
}

#[test]
fn requests_pipelined_after_close_session_are_dropped_and_earlier_replies_still_arrive() {
    // Apache drops requests of a closing session; the closeSession commit answers what came
    // before it and then closes the connection. Closing at once would lose those replies.
    let server = TestServer::start();
    let mut c = server.client();
    c.ok(&create("/p", b""));
    c.ok(&create_mode("/p/eph", b"", CreateMode::Ephemeral));
    let write = c.send(&set_data("/p", b"x", -1));
    let close = c.send(&Request::CloseSession);
    c.send(&exists("/p", false));
    c.send(&Request::Ping);
    let frames = c.expect_closed();
    let xids: Vec<Xid> = frames
        .into_iter()
        .map(|f| {
            let header = <zk_proto::ReplyHeader as zk_proto::Jute>::from_bytes(f).expect("reply");
            assert_eq!(header.err, ErrorCode::Ok);
            header.xid
        })
        .collect();
    assert_eq!(xids, [write, close]);
    let mut other = server.client();
    assert_eq!(read_string(&mut other, "/p"), "x");
    assert_eq!(stat_of(&mut other, "/p/eph"), None);
}

#[test]
fn replies_to_requests_of_the_old_connection_never_reach_the_new_one() {
    // A client whose connection broke resumes its session while its last writes are still
    // being committed. Their replies belong to the dead connection; the Java client treats a
    // reply with an unexpected xid as fatal ("Xid out of order").
    let server = TestServer::start();
    for round in 0..5 {
        let mut old = server.client();
        let base = format!("/moved{round}");
        old.ok(&create(&base, b""));
        for i in 0..300 {
            old.send(&create(&format!("{base}/n{i}"), b""));
        }
        let session = old.session.clone();
        let mut new = RawClient::resume(server.addr, &session);
        assert!(!new.session.is_expired());
        // The new connection starts its own xids; any stray reply fails reply_to.
        for _ in 0..3 {
            new.ok(&exists(&base, false));
        }
        new.assert_silent(Duration::from_millis(100));
        drop(old);
    }
}

#[test]
fn read_only_capable_clients_are_told_the_server_is_read_write() {
    let server = TestServer::start();
    let mut req = RawClient::connect_request(10_000, SessionId(0), None);
    req.read_only = true;
    let mut c = RawClient::handshake(server.addr, req);
    assert!(!c.session.is_expired());
    assert!(!c.session.read_only, "a standalone server serves writes");
    c.ok(&create("/rw", b""));
}
