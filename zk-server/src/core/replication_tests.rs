//! The replication path of [`ServerCore`] without sockets: a leader core and a learner core
//! wired by hand, the test playing ZAB (every proposal commits at once, everywhere).

use bytes::{Buf, Bytes};
use zk_proto::records::{CreateRequest, GetDataRequest, SyncRequest};
use zk_proto::{
    Acl, ConnectRequest, ConnectResponse, Epoch, ErrorCode, OpCode, ReplyHeader, Request,
    RequestHeader, Response, SessionId, Xid, Zxid,
};
use zk_tree::data_tree::DataTree;

use super::{Action, ConnId, CoreSettings, Forward, Replication, ServerCore};

fn core(server_id: u8, replication: Replication) -> ServerCore {
    let settings = CoreSettings {
        server_id,
        ..CoreSettings::default()
    };
    let mut core = ServerCore::new(settings, DataTree::new(), &[], 0);
    core.set_replication(replication);
    core.stop_serving();
    core.start_serving(replication, Some(Epoch(1)), 0);
    core
}

fn addr() -> std::net::SocketAddr {
    "127.0.0.1:5000".parse().unwrap()
}

fn connect(core: &mut ServerCore, conn: u64) {
    let req = ConnectRequest {
        protocol_version: 0,
        last_zxid_seen: Zxid::ZERO,
        timeout_ms: 10_000,
        session_id: SessionId(0),
        passwd: Bytes::from_static(&[0; 16]),
        read_only: false,
        old_client: false,
    };
    core.on_connect(ConnId(conn), addr(), req, 0);
}

fn request(core: &mut ServerCore, conn: u64, xid: i32, req: Request) {
    let header = RequestHeader {
        xid: Xid(xid),
        op: req.op(),
    };
    core.on_request(ConnId(conn), header, req, 0);
}

fn create(path: &str) -> Request {
    Request::Create(CreateRequest {
        path: path.into(),
        data: Some(Bytes::from_static(b"v")),
        acl: Acl::open_acl_unsafe(),
        flags: 0,
    })
}

/// The learner's forwards, and any other actions.
fn split(actions: Vec<Action>) -> (Vec<Forward>, Vec<Action>) {
    let mut forwards = Vec::new();
    let mut rest = Vec::new();
    for a in actions {
        match a {
            Action::Forward(f) => forwards.push(f),
            other => rest.push(other),
        }
    }
    (forwards, rest)
}

/// Plays ZAB: the leader prepares each forward; every resulting txn commits on both cores.
/// Returns the learner's actions.
fn replicate(
    leader: &mut ServerCore,
    learner: &mut ServerCore,
    forwards: Vec<Forward>,
) -> Vec<Action> {
    for forward in forwards {
        // Round trip through the bytes, as over the quorum connection.
        let forward = Forward::decode(forward.encode()).expect("decodes");
        leader.on_forwarded(forward, 0);
    }
    commit_everywhere(leader, learner)
}

/// Commits every txn the leader proposed on both cores; returns the learner's actions.
fn commit_everywhere(leader: &mut ServerCore, learner: &mut ServerCore) -> Vec<Action> {
    let mut out = Vec::new();
    for action in leader.take_actions() {
        if let Action::Append(entry) = action {
            let bytes = Bytes::from(entry.to_vec());
            leader.on_commit(entry.zxid(), &bytes, 0).unwrap();
            learner.on_commit(entry.zxid(), &bytes, 0).unwrap();
            out.extend(learner.take_actions());
        }
    }
    out
}

/// A leader and a learner whose client (connection 7) has a session, created through the
/// leader.
fn leader_and_learner_with_session() -> (ServerCore, ServerCore) {
    let mut leader = core(1, Replication::Leader);
    let mut learner = core(2, Replication::Learner);
    connect(&mut learner, 7);
    let (forwards, _) = split(learner.take_actions());
    replicate(&mut leader, &mut learner, forwards);
    (leader, learner)
}

fn frames(actions: &[Action], conn: u64) -> Vec<Bytes> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send { conn: c, frame } if c.0 == conn => {
                let mut f = frame.clone();
                f.advance(4); // length prefix
                Some(f)
            }
            _ => None,
        })
        .collect()
}

fn reply(frame: &Bytes, op: OpCode) -> (ReplyHeader, Response) {
    Response::decode_frame(op, frame.clone()).expect("a reply")
}

#[test]
fn a_learner_forwards_session_creation_and_answers_once_the_create_session_commits() {
    let mut leader = core(1, Replication::Leader);
    let mut learner = core(2, Replication::Learner);
    connect(&mut learner, 7);
    let (forwards, rest) = split(learner.take_actions());
    assert!(
        rest.is_empty(),
        "nothing is answered before the commit: {rest:?}"
    );
    let [Forward::CreateSession {
        session,
        timeout_ms,
    }] = forwards[..]
    else {
        panic!("expected one createSession forward, got {forwards:?}");
    };
    assert_eq!(
        session.0 >> 56,
        2,
        "the learner's id is in the session id's top byte"
    );
    assert_eq!(timeout_ms, 10_000);

    let actions = replicate(&mut leader, &mut learner, forwards);
    let frames = frames(&actions, 7);
    assert_eq!(frames.len(), 1, "{actions:?}");
    let response = ConnectResponse::decode(frames[0].clone()).expect("a ConnectResponse");
    assert_eq!(response.session_id, session);
    assert!(
        leader.sessions().is_live(session),
        "the leader tracks the global session"
    );
    assert!(learner.sessions().is_live(session));
}

#[test]
fn a_forwarded_write_is_answered_by_the_learner_that_received_it_in_session_order() {
    let (mut leader, mut learner) = leader_and_learner_with_session();

    request(&mut learner, 7, 1, create("/a"));
    // A read behind the write waits for it (per-session FIFO).
    request(
        &mut learner,
        7,
        2,
        Request::GetData(GetDataRequest {
            path: "/a".into(),
            watch: false,
        }),
    );
    let (forwards, rest) = split(learner.take_actions());
    assert_eq!(forwards.len(), 1, "only the write is forwarded");
    assert!(rest.is_empty(), "the read waits behind the write: {rest:?}");

    let actions = replicate(&mut leader, &mut learner, forwards);
    let frames = frames(&actions, 7);
    assert_eq!(frames.len(), 2, "{actions:?}");
    let (h1, r1) = reply(&frames[0], OpCode::Create);
    assert_eq!((h1.xid, h1.err), (Xid(1), ErrorCode::Ok));
    assert_eq!(
        h1.zxid,
        Zxid::new(Epoch(1), 2),
        "createSession was 1, the create 2"
    );
    assert!(matches!(r1, Response::Create(ref c) if c.path == "/a"));
    let (h2, r2) = reply(&frames[1], OpCode::GetData);
    assert_eq!((h2.xid, h2.err), (Xid(2), ErrorCode::Ok));
    assert!(matches!(r2, Response::GetData(ref d) if d.data.as_deref() == Some(&b"v"[..])));
    assert_eq!(leader.tree().digest(), learner.tree().digest());
}

#[test]
fn a_failed_forwarded_write_commits_as_an_error_txn_and_the_learner_answers_the_error() {
    let (mut leader, mut learner) = leader_and_learner_with_session();

    request(&mut learner, 7, 1, create("/missing/child"));
    let (forwards, _) = split(learner.take_actions());
    let actions = replicate(&mut leader, &mut learner, forwards);
    let frames = frames(&actions, 7);
    let (h, _) = reply(&frames[0], OpCode::Create);
    assert_eq!((h.xid, h.err), (Xid(1), ErrorCode::NoNode));
}

#[test]
fn a_learner_sync_completes_only_once_the_learner_has_committed_the_leaders_last_proposal() {
    let (mut leader, mut learner) = leader_and_learner_with_session();

    request(
        &mut learner,
        7,
        1,
        Request::Sync(SyncRequest { path: "/".into() }),
    );
    let (forwards, rest) = split(learner.take_actions());
    assert_eq!(forwards, vec![Forward::Sync]);
    assert!(rest.is_empty());
    // The leader has proposed up to (1, 2) when the sync reaches it; the learner has (1, 1).
    learner.on_sync_answered(Zxid::new(Epoch(1), 2), 0);
    assert!(
        frames(&learner.take_actions(), 7).is_empty(),
        "not caught up yet"
    );

    // Another session's write commits (1, 2): now the sync is answered.
    connect(&mut leader, 9);
    let out = commit_everywhere(&mut leader, &mut learner);
    let frames = frames(&out, 7);
    assert_eq!(frames.len(), 1, "{out:?}");
    let (h, r) = reply(&frames[0], OpCode::Sync);
    assert_eq!((h.xid, h.zxid), (Xid(1), Zxid::new(Epoch(1), 2)));
    assert!(matches!(r, Response::Sync(ref s) if s.path == "/"));
}

#[test]
fn stopping_serving_closes_every_client_and_refuses_new_ones() {
    let mut learner = core(2, Replication::Learner);
    connect(&mut learner, 7);
    learner.take_actions();
    learner.stop_serving();
    let actions = learner.take_actions();
    assert!(
        actions.contains(&Action::Close { conn: ConnId(7) }),
        "{actions:?}"
    );
    connect(&mut learner, 8);
    assert_eq!(
        learner.take_actions(),
        vec![Action::Close { conn: ConnId(8) }]
    );
}

#[test]
fn only_the_leader_expires_sessions() {
    let (mut leader, mut learner) = leader_and_learner_with_session();
    learner.tick(1_000_000);
    assert!(split(learner.take_actions()).0.is_empty());
    assert!(
        learner.take_actions().is_empty(),
        "a learner proposes nothing"
    );
    leader.tick(1_000_000);
    let actions = leader.take_actions();
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::Append(e) if e.header.txn_type == OpCode::CloseSession)),
        "{actions:?}"
    );
}

#[test]
fn forwards_round_trip_and_garbage_is_an_error() {
    let forwards = [
        Forward::Request {
            session: SessionId(5),
            auth: vec![zk_proto::Id::new("digest", "u:x")],
            xid: Xid(3),
            request: create("/x"),
        },
        Forward::CreateSession {
            session: SessionId(6),
            timeout_ms: 4000,
        },
        Forward::Touch(vec![SessionId(1), SessionId(2)]),
        Forward::Sync,
    ];
    for f in forwards {
        assert_eq!(Forward::decode(f.encode()).unwrap(), f);
    }
    for garbage in [
        &b""[..],
        &[9][..],
        &[3, 0x7f, 0xff, 0xff, 0xff][..],
        &[1, 0, 0][..],
    ] {
        assert!(
            Forward::decode(Bytes::copy_from_slice(garbage)).is_err(),
            "{garbage:?}"
        );
    }
}

#[test]
fn a_learner_forwards_writes_behind_a_held_read_and_the_read_sees_only_the_writes_before_it() {
    let (mut leader, mut learner) = leader_and_learner_with_session();

    let get = || {
        Request::GetData(GetDataRequest {
            path: "/a".into(),
            watch: false,
        })
    };
    // W R W R: both writes reach the leader before either commits.
    request(&mut learner, 7, 1, create("/a"));
    request(&mut learner, 7, 2, get());
    request(
        &mut learner,
        7,
        3,
        Request::SetData(zk_proto::records::SetDataRequest {
            path: "/a".into(),
            data: Some(Bytes::from_static(b"w")),
            version: -1,
        }),
    );
    request(&mut learner, 7, 4, get());
    let (forwards, rest) = split(learner.take_actions());
    assert_eq!(forwards.len(), 2, "both writes are forwarded at once");
    assert!(
        rest.is_empty(),
        "no read is served before its write commits: {rest:?}"
    );
    for forward in forwards {
        leader.on_forwarded(Forward::decode(forward.encode()).expect("decodes"), 0);
    }
    let mut appends = leader.take_actions().into_iter().filter_map(|a| match a {
        Action::Append(entry) => Some(entry),
        _ => None,
    });

    // Each write's commit answers it, then the read held behind it, which sees that write
    // and not the next.
    let mut commit_next = |write: OpCode, xid: i32, read_sees: &[u8]| {
        let entry = appends.next().expect("a proposed txn");
        let bytes = Bytes::from(entry.to_vec());
        learner.on_commit(entry.zxid(), &bytes, 0).unwrap();
        let out = frames(&learner.take_actions(), 7);
        assert_eq!(out.len(), 2, "the write's reply and the held read");
        let (h, _) = reply(&out[0], write);
        assert_eq!(h.xid, Xid(xid));
        let (h, r) = reply(&out[1], OpCode::GetData);
        assert_eq!(h.xid, Xid(xid + 1));
        assert!(matches!(r, Response::GetData(ref d) if d.data.as_deref() == Some(read_sees)));
    };
    commit_next(OpCode::Create, 1, b"v");
    commit_next(OpCode::SetData, 3, b"w");
}

#[test]
fn a_leader_throttles_on_its_own_clients_requests_not_on_those_its_learners_forwarded() {
    let (mut leader, mut learner) = leader_and_learner_with_session();

    request(&mut learner, 7, 1, create("/a"));
    let (forwards, _) = split(learner.take_actions());
    for forward in forwards {
        leader.on_forwarded(forward, 0);
    }
    assert_eq!(
        leader.outstanding_requests(),
        0,
        "a forwarded write is the learner's to throttle"
    );
    assert_eq!(learner.outstanding_requests(), 1);
    let replies = frames(&commit_everywhere(&mut leader, &mut learner), 7);
    assert_eq!(
        replies.len(),
        1,
        "the forwarded write was proposed and answered"
    );
    assert_eq!(learner.outstanding_requests(), 0);

    connect(&mut leader, 9);
    commit_everywhere(&mut leader, &mut learner);
    request(&mut leader, 9, 1, create("/b"));
    assert_eq!(
        leader.outstanding_requests(),
        1,
        "its own client's write counts"
    );
}
