//! Bad input and limits: garbage instead of a handshake, frames above `jute.maxbuffer`,
//! undecodable and unknown requests, a client that never reads its replies, too many
//! connections (`maxClientCnxns`, `maxCnxns`) and `globalOutstandingLimit` throttling. After
//! each, the server still serves other clients and every acknowledged write is still there.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use common::*;
use zk_proto::{ErrorCode, Request, Xid};

/// Writes `/survivor-<tag>` before the bad input; [`assert_healthy`] checks it afterwards.
fn acknowledged_write(server: &TestServer, tag: &str) {
    server
        .client()
        .ok(&create(&format!("/survivor-{tag}"), tag.as_bytes()));
}

/// The server still serves a new client, and the acknowledged write is intact.
fn assert_healthy(server: &TestServer, tag: &str) {
    let mut c = server.client();
    assert_eq!(read_string(&mut c, &format!("/survivor-{tag}")), tag);
    c.ok(&create(&format!("/after-{tag}"), b""));
    assert_eq!(server.four_letter("ruok"), "imok");
}

#[test]
fn garbage_instead_of_a_handshake_closes_only_that_connection() {
    let server = TestServer::start();
    acknowledged_write(&server, "garbage");
    // An HTTP request: "GET " read as a length is far above jute.maxbuffer.
    let mut http = RawClient::open(server.addr);
    http.send_bytes(b"GET / HTTP/1.1\r\nHost: zk\r\n\r\n");
    assert!(http.expect_closed().is_empty());
    // A well-framed body that is not a ConnectRequest.
    let mut short = RawClient::open(server.addr);
    short.send_bytes(&[0, 0, 0, 3, 1, 2, 3]);
    assert!(short.expect_closed().is_empty());
    // A negative length.
    let mut negative = RawClient::open(server.addr);
    negative.send_bytes(&[0xff, 0xff, 0xff, 0xf0, 0, 0]);
    assert!(negative.expect_closed().is_empty());
    // A client that connects and hangs up at once.
    drop(RawClient::open(server.addr));
    assert_healthy(&server, "garbage");
}

#[test]
fn frame_above_jute_maxbuffer_closes_the_connection() {
    let server = TestServer::start_with(|c| c.jute_max_buffer_bytes = 4096);
    acknowledged_write(&server, "big");
    let mut c = server.client();
    // A create whose data alone is over the limit.
    let req = create("/too-big", &vec![b'x'; 8192]);
    let mut frame = BytesMut::new();
    req.write_frame(Xid(1), &mut frame);
    c.try_send_bytes(&frame);
    c.expect_closed();
    // Only a length prefix claiming 16 MiB.
    let mut d = server.client();
    d.send_bytes(&(16u32 << 20).to_be_bytes());
    d.expect_closed();
    let mut check = server.client();
    assert_eq!(stat_of(&mut check, "/too-big"), None);
    // Just under the limit is fine.
    check.ok(&create("/fits", &vec![b'y'; 3000]));
    assert_healthy(&server, "big");
}

#[test]
fn unknown_opcode_is_unimplemented_then_closed() {
    let server = TestServer::start();
    acknowledged_write(&server, "unknown-op");
    for op in [999i32, 13, 0, -1] {
        let mut c = server.client();
        let mut frame = BytesMut::new();
        zk_proto::frame::write_frame(&mut frame, |b| {
            b.extend_from_slice(&7i32.to_be_bytes());
            b.extend_from_slice(&op.to_be_bytes());
            b.extend_from_slice(&[0, 0, 0, 1, b'/']);
        });
        c.send_bytes(&frame);
        let frames = c.expect_closed();
        assert_eq!(frames.len(), 1, "op {op}: one reply, then the close");
        let header = <zk_proto::ReplyHeader as zk_proto::Jute>::from_bytes(frames[0].clone())
            .expect("reply header");
        assert_eq!(
            (header.xid, header.err),
            (Xid(7), ErrorCode::Unimplemented),
            "op {op}"
        );
    }
    assert_healthy(&server, "unknown-op");
}

#[test]
fn undecodable_request_body_is_a_marshalling_error() {
    let server = TestServer::start();
    acknowledged_write(&server, "marshal");
    let mut c = server.client();
    let mut frame = BytesMut::new();
    zk_proto::frame::write_frame(&mut frame, |b| {
        b.extend_from_slice(&5i32.to_be_bytes());
        b.extend_from_slice(&zk_proto::OpCode::Create.code().to_be_bytes());
        // A path whose length runs past the frame.
        b.extend_from_slice(&[0, 0, 0x10, 0, b'/']);
    });
    c.send_bytes(&frame);
    let frames = c.expect_closed();
    let header = <zk_proto::ReplyHeader as zk_proto::Jute>::from_bytes(frames[0].clone())
        .expect("reply header");
    assert_eq!(
        (header.xid, header.err),
        (Xid(5), ErrorCode::MarshallingError)
    );
    assert_healthy(&server, "marshal");
}

#[test]
fn a_client_that_never_reads_is_disconnected_without_hurting_others() {
    // Two connections per address: the slow client's slot must come back although it never
    // reads and never closes its socket.
    let server = TestServer::start_with(|c| c.max_client_cnxns = 2);
    acknowledged_write(&server, "slow");
    let mut writer = server.client();
    writer.ok(&create("/big", &vec![b'z'; 512 * 1024]));

    // The slow client asks for 400 × 512 KiB and reads nothing.
    let mut slow = None;
    wait_until("a free slot", || {
        slow = try_connect(&server);
        slow.is_some()
    });
    let slow = slow.expect("connected");
    let stream = slow.try_clone_stream();
    let sender = std::thread::spawn(move || {
        let mut frame = BytesMut::new();
        for xid in 1..=400 {
            get_data("/big", false).write_frame(Xid(xid), &mut frame);
        }
        // The server may give up on us mid-write; that is the point.
        let _ = std::io::Write::write_all(&mut &*stream, &frame);
    });

    // Meanwhile another session's writes go through promptly.
    let started = Instant::now();
    for i in 0..50 {
        writer.ok(&create(&format!("/meanwhile-{i}"), b""));
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "others were held up"
    );
    sender.join().expect("sender");

    // The server dropped the slow client instead of buffering 200 MiB for it, and freed its
    // slot while the client still holds its socket open (the writer holds the other slot).
    wait_until("the slow client's slot is free", || {
        handshake_answered(&server)
    });
    writer.ok(&exists("/big", false));
    drop(writer);
    let mut slow = slow;
    let replies = count_replies_until_closed(&mut slow);
    assert!(
        replies < 400,
        "all {replies} replies were buffered for a client that never read"
    );
    assert_healthy(&server, "slow");
}

fn count_replies_until_closed(c: &mut RawClient) -> usize {
    let mut n = 0;
    loop {
        match c.read_frame_within(WAIT) {
            Ok(Some(_)) => n += 1,
            Ok(None) => return n,
            Err(()) => panic!("the slow connection was neither closed nor answered"),
        }
    }
}

#[test]
fn max_client_cnxns_refuses_extra_connections_from_one_address() {
    let server = TestServer::start_with(|c| c.max_client_cnxns = 4);
    acknowledged_write(&server, "cnxns");
    let mut held: Vec<RawClient> = (0..4).map(|_| server.client()).collect();
    let mut extra = RawClient::open(server.addr);
    extra.try_send_bytes(&handshake_bytes());
    assert!(
        extra.expect_closed().is_empty(),
        "the fifth connection is refused"
    );
    // Closing one makes room again.
    held.pop().expect("one").close_session();
    wait_until("a slot is free", || handshake_answered(&server));
    for c in &mut held {
        c.ok(&exists("/", false));
    }
    drop(held);
    wait_until("the held connections are gone", || {
        server
            .four_letter("cons")
            .lines()
            .filter(|l| l.contains("sid="))
            .count()
            == 0
    });
    assert_healthy(&server, "cnxns");
}

fn handshake_bytes() -> BytesMut {
    let mut out = BytesMut::new();
    RawClient::connect_request(30_000, zk_proto::SessionId(0), None).write_frame(&mut out);
    out
}

/// A new session, or `None` if the connection is refused.
fn try_connect(server: &TestServer) -> Option<RawClient> {
    let mut c = RawClient::open(server.addr);
    c.try_send_bytes(&handshake_bytes());
    let frame = c.read_frame_within(WAIT).ok()??;
    c.session = zk_proto::ConnectResponse::decode(frame).ok()?;
    Some(c)
}

/// True if a handshake on a new connection is answered.
fn handshake_answered(server: &TestServer) -> bool {
    let mut c = RawClient::open(server.addr);
    c.try_send_bytes(&handshake_bytes());
    matches!(c.read_frame_within(WAIT), Ok(Some(_)))
}

#[test]
fn max_cnxns_limits_connections_in_total() {
    let server = TestServer::start_with(|c| {
        c.max_cnxns = 3;
        c.max_client_cnxns = 0;
    });
    let held: Vec<RawClient> = (0..3).map(|_| server.client()).collect();
    let mut extra = RawClient::open(server.addr);
    extra.try_send_bytes(&handshake_bytes());
    assert!(
        extra.expect_closed().is_empty(),
        "the fourth connection is refused"
    );
    drop(held);
    wait_until("connections are free again", || handshake_answered(&server));
}

#[test]
fn global_outstanding_limit_bounds_requests_in_flight_and_everything_completes() {
    const LIMIT: usize = 20;
    const CLIENTS: usize = 4;
    let server = TestServer::start_with(|c| c.global_outstanding_limit = LIMIT as u32);
    server.client().ok(&create("/load", b""));
    let done = Arc::new(AtomicBool::new(false));
    let max_seen = Arc::new(AtomicUsize::new(0));
    let sampler = {
        let (done, max_seen, addr) = (done.clone(), max_seen.clone(), server.addr);
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                let srvr = four_letter(addr, "srvr");
                let outstanding: usize = srvr
                    .lines()
                    .find_map(|l| l.strip_prefix("Outstanding: "))
                    .and_then(|v| v.trim().parse().ok())
                    .expect("Outstanding line");
                max_seen.fetch_max(outstanding, Ordering::Relaxed);
            }
        })
    };
    let workers: Vec<_> = (0..CLIENTS)
        .map(|t| {
            let addr = server.addr;
            std::thread::spawn(move || {
                let mut c = RawClient::connect(addr);
                let xids: Vec<Xid> = (0..500)
                    .map(|i| c.send(&create(&format!("/load/{t}-{i}"), b"")))
                    .collect();
                for xid in xids {
                    assert_eq!(c.reply_to(xid).0.err, ErrorCode::Ok);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    done.store(true, Ordering::Relaxed);
    sampler.join().expect("sampler");
    let mut c = server.client();
    assert_eq!(children_of(&mut c, "/load").len(), 500 * CLIENTS);
    let max_seen = max_seen.load(Ordering::Relaxed);
    eprintln!("most requests in flight: {max_seen}");
    // Each connection may have one request past the check when the limit is reached.
    assert!(
        max_seen <= LIMIT + CLIENTS + 1,
        "{max_seen} requests were in flight with globalOutstandingLimit={LIMIT}"
    );
}

#[test]
fn requests_on_a_connection_without_session_are_bounded() {
    // Requests after a ConnectRequest whose session never completes (the client from the
    // future is closed before it gets one) do not reach the tree.
    let server = TestServer::start();
    let mut c = RawClient::open(server.addr);
    let mut req = RawClient::connect_request(30_000, zk_proto::SessionId(0), None);
    req.last_zxid_seen = zk_proto::Zxid(1 << 40);
    c.send_handshake(&req);
    c.try_send_bytes(&{
        let mut f = BytesMut::new();
        create("/sneaky", b"").write_frame(Xid(1), &mut f);
        f
    });
    c.expect_closed();
    let mut check = server.client();
    assert_eq!(stat_of(&mut check, "/sneaky"), None);
    let _ = Request::Ping;
}

#[test]
fn connections_that_never_complete_a_handshake_are_closed_after_ten_seconds() {
    // Apache's sessionlessCnxnTimeout: idle sockets must not be held forever.
    let server = TestServer::start();
    let started = Instant::now();
    let mut silent = RawClient::open(server.addr);
    let mut partial = RawClient::open(server.addr);
    partial.send_bytes(&[0, 0, 0, 45, 0, 0]);
    for c in [&mut silent, &mut partial] {
        assert!(
            matches!(c.read_frame_within(Duration::from_secs(20)), Ok(None)),
            "an idle connection was not closed"
        );
    }
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(9),
        "closed after only {waited:?}"
    );
    assert_healthy_simple(&server);
}

fn assert_healthy_simple(server: &TestServer) {
    server.client().ok(&create("/healthy", b""));
}
