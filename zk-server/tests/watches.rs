//! Watches of every kind over the wire: one-shot data, exist and child watches, persistent and
//! persistent recursive watches (addWatch), removeWatches/checkWatches, re-registration with
//! setWatches/setWatches2 after a reconnect, ACL filtering, and the ordering guarantee that a
//! notification arrives before the reply to the write that caused it.

mod common;

use std::time::Duration;

use common::*;
use zk_proto::{
    Acl, AddWatchMode, AddWatchRequest, CheckWatchesRequest, CreateMode, ErrorCode, EventType, Id,
    Perms, RemoveWatchesRequest, Request, SetWatches, SetWatches2, WatcherType, Xid,
};

const QUIET: Duration = Duration::from_millis(150);

fn add_watch(path: &str, mode: AddWatchMode) -> Request {
    Request::AddWatch(AddWatchRequest {
        path: path.into(),
        mode: mode.code(),
    })
}

fn remove_watches(path: &str, kind: WatcherType) -> Request {
    Request::RemoveWatches(RemoveWatchesRequest {
        path: path.into(),
        type_code: kind.code(),
    })
}

fn check_watches(path: &str, kind: WatcherType) -> Request {
    Request::CheckWatches(CheckWatchesRequest {
        path: path.into(),
        type_code: kind.code(),
    })
}

fn event(c: &mut RawClient) -> (EventType, String) {
    let e = c.next_event();
    (e.event_type, e.path)
}

#[test]
fn data_watch_fires_once_before_the_reply_to_the_triggering_write() {
    let server = TestServer::start();
    let mut c = server.client();
    c.ok(&create("/w", b"0"));
    c.ok(&get_data("/w", true));
    let xid = c.send(&set_data("/w", b"1", -1));
    // The very next frame is the notification, then the reply.
    match c.recv().expect("frame") {
        Incoming::Event(header, e) => {
            assert_eq!(header.xid, Xid::NOTIFICATION);
            assert_eq!(
                header.zxid.0, -1,
                "3.8 servers send zxid -1 in notifications"
            );
            assert_eq!(
                (e.event_type, e.path.as_str()),
                (EventType::NodeDataChanged, "/w")
            );
        }
        other => panic!("expected the notification first, got {other:?}"),
    }
    let (header, _) = c.reply_to(xid);
    assert_eq!(header.err, ErrorCode::Ok);
    // One-shot: a second change fires nothing.
    c.ok(&set_data("/w", b"2", -1));
    c.assert_silent(QUIET);
}

#[test]
fn another_sessions_watch_fires_before_its_next_read_sees_the_change() {
    let server = TestServer::start();
    let mut watcher = server.client();
    let mut writer = server.client();
    watcher.ok(&create("/v", b"old"));
    watcher.ok(&get_data("/v", true));
    writer.ok(&set_data("/v", b"new", -1));
    // The watcher's next read sees "new", and the event was delivered before that reply.
    assert_eq!(read_string(&mut watcher, "/v"), "new");
    assert_eq!(
        watcher.events.pop_front().map(|e| e.event_type),
        Some(EventType::NodeDataChanged)
    );
}

#[test]
fn child_watch_fires_on_child_create_and_delete_and_node_deleted_once() {
    let server = TestServer::start();
    let mut c = server.client();
    let mut w = server.client();
    c.ok(&create("/parent", b""));
    w.ok(&get_children("/parent", true));
    c.ok(&create("/parent/kid", b""));
    assert_eq!(
        event(&mut w),
        (EventType::NodeChildrenChanged, "/parent".into())
    );
    w.ok(&get_children("/parent", true));
    c.ok(&delete("/parent/kid", -1));
    assert_eq!(
        event(&mut w),
        (EventType::NodeChildrenChanged, "/parent".into())
    );

    // Data and child watch on the same node from one connection: one NodeDeleted.
    w.ok(&get_children("/parent", true));
    w.ok(&get_data("/parent", true));
    c.ok(&delete("/parent", -1));
    assert_eq!(event(&mut w), (EventType::NodeDeleted, "/parent".into()));
    w.assert_silent(QUIET);
}

#[test]
fn persistent_watch_fires_data_and_child_events_repeatedly() {
    let server = TestServer::start();
    let mut w = server.client();
    let mut c = server.client();
    let (header, body) = w.call(&add_watch("/pw", AddWatchMode::Persistent));
    assert_eq!(header.err, ErrorCode::Ok);
    assert_eq!(
        body,
        zk_proto::Response::AddWatch(zk_proto::ErrorResponse { err: ErrorCode::Ok })
    );
    c.ok(&create("/pw", b""));
    assert_eq!(event(&mut w), (EventType::NodeCreated, "/pw".into()));
    c.ok(&set_data("/pw", b"1", -1));
    assert_eq!(event(&mut w), (EventType::NodeDataChanged, "/pw".into()));
    c.ok(&set_data("/pw", b"2", -1));
    assert_eq!(event(&mut w), (EventType::NodeDataChanged, "/pw".into()));
    c.ok(&create("/pw/kid", b""));
    assert_eq!(
        event(&mut w),
        (EventType::NodeChildrenChanged, "/pw".into())
    );
    // Not recursive: the grandchild's changes are not seen.
    c.ok(&set_data("/pw/kid", b"x", -1));
    w.assert_silent(QUIET);
}

#[test]
fn persistent_recursive_watch_sees_descendants_but_not_child_lists() {
    let server = TestServer::start();
    let mut w = server.client();
    let mut c = server.client();
    w.ok(&add_watch("/tree", AddWatchMode::PersistentRecursive));
    c.ok(&create("/tree", b""));
    c.ok(&create("/tree/a", b""));
    c.ok(&create("/tree/a/b", b""));
    c.ok(&set_data("/tree/a/b", b"x", -1));
    c.ok(&delete("/tree/a/b", -1));
    let got: Vec<_> = (0..5).map(|_| event(&mut w)).collect();
    assert_eq!(
        got,
        [
            (EventType::NodeCreated, "/tree".into()),
            (EventType::NodeCreated, "/tree/a".into()),
            (EventType::NodeCreated, "/tree/a/b".into()),
            (EventType::NodeDataChanged, "/tree/a/b".into()),
            (EventType::NodeDeleted, "/tree/a/b".into()),
        ]
    );
    c.ok(&create("/elsewhere", b""));
    w.assert_silent(QUIET);
}

#[test]
fn remove_and_check_watches_by_type() {
    let server = TestServer::start();
    let mut w = server.client();
    let mut c = server.client();
    c.ok(&create("/r", b""));
    assert_eq!(
        w.code(&check_watches("/r", WatcherType::Data)),
        ErrorCode::NoWatcher
    );
    assert_eq!(
        w.code(&remove_watches("/r", WatcherType::Any)),
        ErrorCode::NoWatcher
    );

    w.ok(&get_data("/r", true));
    w.ok(&get_children("/r", true));
    assert_eq!(
        w.code(&check_watches("/r", WatcherType::Data)),
        ErrorCode::Ok
    );
    assert_eq!(
        w.code(&check_watches("/r", WatcherType::Children)),
        ErrorCode::Ok
    );
    assert_eq!(
        w.code(&remove_watches("/r", WatcherType::Data)),
        ErrorCode::Ok
    );
    assert_eq!(
        w.code(&check_watches("/r", WatcherType::Data)),
        ErrorCode::NoWatcher
    );
    // The data watch is gone, the child watch remains.
    c.ok(&set_data("/r", b"x", -1));
    c.ok(&create("/r/kid", b""));
    assert_eq!(event(&mut w), (EventType::NodeChildrenChanged, "/r".into()));
    w.assert_silent(QUIET);

    // Any removes persistent watches too; 3.8 does not know the 3.9-only types.
    w.ok(&add_watch("/r", AddWatchMode::Persistent));
    assert_eq!(
        w.code(&check_watches("/r", WatcherType::Any)),
        ErrorCode::Ok
    );
    assert_eq!(
        w.code(&remove_watches("/r", WatcherType::Any)),
        ErrorCode::Ok
    );
    c.ok(&set_data("/r", b"y", -1));
    w.assert_silent(QUIET);
}

#[test]
fn set_watches_after_reconnect_fires_missed_events_and_reregisters() {
    let server = TestServer::start();
    let mut c = server.client();
    let mut a = server.client();
    c.ok(&create("/changed", b""));
    c.ok(&create("/same", b""));
    c.ok(&create("/kids", b""));
    a.ok(&get_data("/changed", true));
    a.ok(&get_data("/same", true));
    assert_eq!(a.code(&exists("/born", true)), ErrorCode::NoNode);
    a.ok(&get_children("/kids", true));
    let seen = a.last_zxid;
    let session = a.session.clone();
    a.shutdown();
    drop(a);

    // While A is away: a change, a creation, nothing on /same and /kids.
    wait_until("the old connection is gone", || {
        server
            .four_letter("cons")
            .lines()
            .filter(|l| l.contains("sid="))
            .count()
            == 1
    });
    c.ok(&set_data("/changed", b"x", -1));
    c.ok(&create("/born", b""));

    let mut a = RawClient::resume(server.addr, &session);
    assert_eq!(a.session.session_id, session.session_id);
    let (header, _) = a.call(&Request::SetWatches(SetWatches {
        relative_zxid: seen,
        data_watches: vec!["/changed".into(), "/same".into()],
        exist_watches: vec!["/born".into()],
        child_watches: vec!["/kids".into()],
    }));
    assert_eq!((header.xid, header.err), (Xid::SET_WATCHES, ErrorCode::Ok));
    let mut missed = vec![
        (a.events[0].event_type, a.events[0].path.clone()),
        (a.events[1].event_type, a.events[1].path.clone()),
    ];
    missed.sort_by(|x, y| x.1.cmp(&y.1));
    assert_eq!(
        missed,
        [
            (EventType::NodeCreated, "/born".into()),
            (EventType::NodeDataChanged, "/changed".into()),
        ],
        "missed events fire at once, before the setWatches reply"
    );
    a.events.clear();
    // The others were registered again.
    c.ok(&set_data("/same", b"y", -1));
    assert_eq!(event(&mut a), (EventType::NodeDataChanged, "/same".into()));
    c.ok(&create("/kids/k", b""));
    assert_eq!(
        event(&mut a),
        (EventType::NodeChildrenChanged, "/kids".into())
    );
}

#[test]
fn set_watches2_reregisters_persistent_watches() {
    let server = TestServer::start();
    let mut c = server.client();
    let a = server.client();
    let session = a.session.clone();
    drop(a);
    let mut a = RawClient::resume(server.addr, &session);
    a.ok(&Request::SetWatches2(SetWatches2 {
        relative_zxid: a.last_zxid,
        data_watches: vec![],
        exist_watches: vec![],
        child_watches: vec![],
        persistent_watches: vec!["/p".into()],
        persistent_recursive_watches: vec!["/rec".into()],
    }));
    c.ok(&create("/p", b""));
    assert_eq!(event(&mut a), (EventType::NodeCreated, "/p".into()));
    c.ok(&create("/rec", b""));
    c.ok(&create("/rec/deep", b""));
    assert_eq!(event(&mut a), (EventType::NodeCreated, "/rec".into()));
    assert_eq!(event(&mut a), (EventType::NodeCreated, "/rec/deep".into()));
    c.ok(&set_data("/p", b"1", -1));
    assert_eq!(event(&mut a), (EventType::NodeDataChanged, "/p".into()));
}

#[test]
fn notifications_are_only_sent_to_connections_that_may_read_the_node() {
    let server = TestServer::start();
    let mut owner = server.client();
    let mut outsider = server.client();
    owner.add_digest("owner:pw");
    assert_eq!(outsider.code(&exists("/hidden", true)), ErrorCode::NoNode);
    let mut insider = server.client();
    insider.add_digest("owner:pw");
    assert_eq!(insider.code(&exists("/hidden", true)), ErrorCode::NoNode);
    owner.ok(&Request::Create(zk_proto::CreateRequest {
        path: "/hidden".into(),
        data: None,
        acl: vec![Acl::new(Perms::ALL, Id::auth())],
        flags: CreateMode::Persistent.flag(),
    }));
    assert_eq!(
        event(&mut insider),
        (EventType::NodeCreated, "/hidden".into())
    );
    outsider.assert_silent(QUIET);
}

#[test]
fn watches_of_a_closed_connection_are_dropped() {
    let server = TestServer::start();
    let mut c = server.client();
    c.ok(&create("/gone", b""));
    let mut w = server.client();
    w.ok(&get_data("/gone", true));
    w.ok(&add_watch("/gone", AddWatchMode::PersistentRecursive));
    assert!(server.four_letter("wchs").contains("Total watches:"));
    w.close_session();
    wait_until("no watches remain", || {
        server.four_letter("wchs").contains("Total watches:0")
    });
    c.ok(&set_data("/gone", b"x", -1));
}

#[test]
fn one_shot_and_persistent_watches_on_one_path_coexist() {
    // Apache 3.8 keeps a single watch mode per (connection, path): a getData watch set after
    // addWatch replaces the persistent watch, which then vanishes when the one-shot fires.
    // Like 3.9, we keep both; only the one-shot is consumed.
    let server = TestServer::start();
    let mut w = server.client();
    let mut c = server.client();
    c.ok(&create("/both", b""));
    w.ok(&add_watch("/both", AddWatchMode::PersistentRecursive));
    w.ok(&get_data("/both", true));
    c.ok(&set_data("/both", b"1", -1));
    assert_eq!(event(&mut w), (EventType::NodeDataChanged, "/both".into()));
    w.assert_silent(QUIET);
    c.ok(&create("/both/kid", b""));
    assert_eq!(event(&mut w), (EventType::NodeCreated, "/both/kid".into()));
}

#[test]
fn persistent_watcher_types_of_3_9_remove_only_persistent_watches() {
    // ZooKeeper 3.8 answers types 4 and 5 with MARSHALLINGERROR; 3.9 clients use them to
    // remove one kind of persistent watch, and so may they here.
    let server = TestServer::start();
    let mut w = server.client();
    let mut c = server.client();
    c.ok(&create("/p39", b""));
    assert_eq!(
        w.code(&remove_watches("/p39", WatcherType::Persistent)),
        ErrorCode::NoWatcher
    );
    w.ok(&add_watch("/p39", AddWatchMode::Persistent));
    w.ok(&get_data("/p39", true));
    assert_eq!(
        w.code(&check_watches("/p39", WatcherType::Persistent)),
        ErrorCode::Ok
    );
    assert_eq!(
        w.code(&remove_watches("/p39", WatcherType::Persistent)),
        ErrorCode::Ok
    );
    assert_eq!(
        w.code(&check_watches("/p39", WatcherType::PersistentRecursive)),
        ErrorCode::NoWatcher
    );
    // The one-shot data watch is still there.
    c.ok(&set_data("/p39", b"1", -1));
    assert_eq!(event(&mut w), (EventType::NodeDataChanged, "/p39".into()));
    c.ok(&set_data("/p39", b"2", -1));
    w.assert_silent(QUIET);
}
