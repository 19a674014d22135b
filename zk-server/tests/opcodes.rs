//! Every client opcode against an in-process server on port 0, with the raw-protocol client:
//! result codes in ZooKeeper's check order, reply bodies, Stats, multi results, ACLs and
//! digest auth, and the session-level ops (ping, whoAmI, closeSession).

mod common;

use bytes::Bytes;
use common::*;
use zk_proto::multi::{MultiOp, MultiRequest, MultiResult};
use zk_proto::{
    Acl, CheckVersionRequest, CreateMode, CreateTtlRequest, ErrorCode, GetAclRequest,
    GetAllChildrenNumberRequest, GetChildren2Request, GetEphemeralsRequest, Id, Perms,
    ReconfigRequest, Request, Response, SetAclRequest, SyncRequest, Xid,
};

#[test]
fn create_answers_path_and_checks_parent_existence_and_ephemeral_parents() {
    let server = TestServer::start();
    let mut c = server.client();
    let Response::Create(r) = c.ok(&create("/a", b"1")) else {
        panic!()
    };
    assert_eq!(r.path, "/a");
    assert_eq!(c.code(&create("/a", b"again")), ErrorCode::NodeExists);
    assert_eq!(c.code(&create("/missing/child", b"")), ErrorCode::NoNode);
    // The parent is looked up before the path is validated, as in Apache: "/bad//path" has
    // the missing parent "/bad/", while "/a/" has the existing parent "/a".
    assert_eq!(c.code(&create("/bad//path", b"")), ErrorCode::NoNode);
    assert_eq!(c.code(&create("/a/", b"")), ErrorCode::BadArguments);
    assert_eq!(c.code(&create("no-slash", b"")), ErrorCode::BadArguments);

    // Sequential names take the parent's cversion, zero-padded to ten digits.
    let Response::Create(s0) = c.ok(&create_mode("/a/s-", b"", CreateMode::PersistentSequential))
    else {
        panic!()
    };
    let Response::Create(s1) = c.ok(&create_mode("/a/s-", b"", CreateMode::EphemeralSequential))
    else {
        panic!()
    };
    assert_eq!(s0.path, "/a/s-0000000000");
    assert_eq!(s1.path, "/a/s-0000000001");

    // Ephemerals belong to the session and cannot have children.
    c.ok(&create_mode("/e", b"", CreateMode::Ephemeral));
    let stat = stat_of(&mut c, "/e").expect("exists");
    assert_eq!(stat.ephemeral_owner, c.session_id().0);
    assert_eq!(
        c.code(&create("/e/child", b"")),
        ErrorCode::NoChildrenForEphemerals
    );
    assert_eq!(read_string(&mut c, "/a"), "1");
}

#[test]
fn create2_container_and_ttl_answer_path_and_stat() {
    let server = TestServer::start_with(|c| c.extended_types_enabled = true);
    let mut c = server.client();
    let (header, body) = c.call(&Request::Create2(create_req(
        "/c2",
        b"xy",
        CreateMode::Persistent,
    )));
    let Response::Create2(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!(r.path, "/c2");
    assert_eq!(r.stat.czxid, header.zxid, "the Stat is the new node's");
    assert_eq!(r.stat.data_length, 2);

    let Response::Create2(r) = c.ok(&Request::CreateContainer(create_req(
        "/box",
        b"",
        CreateMode::Container,
    ))) else {
        panic!()
    };
    assert_eq!(r.path, "/box");
    // The container marker is stored, but clients see only normal ephemerals' owners.
    assert_eq!(r.stat.ephemeral_owner, 0);

    let ttl = |path: &str, mode: CreateMode, ttl: i64| {
        Request::CreateTtl(CreateTtlRequest {
            path: path.to_owned(),
            data: None,
            acl: Acl::open_acl_unsafe(),
            flags: mode.flag(),
            ttl,
        })
    };
    let Response::Create2(r) = c.ok(&ttl("/ttl", CreateMode::PersistentWithTtl, 60_000)) else {
        panic!()
    };
    assert_eq!(r.path, "/ttl");
    let Response::Create2(r) = c.ok(&ttl(
        "/ttl-",
        CreateMode::PersistentSequentialWithTtl,
        60_000,
    )) else {
        panic!()
    };
    assert!(r.path.starts_with("/ttl-0"), "{}", r.path);
    assert_eq!(
        c.code(&ttl("/ttl0", CreateMode::PersistentWithTtl, 0)),
        ErrorCode::BadArguments
    );
}

#[test]
fn create_ttl_without_extended_types_is_unimplemented_and_keeps_the_connection() {
    let server = TestServer::start();
    let mut c = server.client();
    let req = Request::CreateTtl(CreateTtlRequest {
        path: "/ttl".into(),
        data: None,
        acl: Acl::open_acl_unsafe(),
        flags: CreateMode::PersistentWithTtl.flag(),
        ttl: 1000,
    });
    assert_eq!(c.code(&req), ErrorCode::Unimplemented);
    assert_eq!(stat_of(&mut c, "/ttl"), None);
    assert_eq!(c.code(&create("/after", b"")), ErrorCode::Ok);
}

#[test]
fn delete_checks_existence_version_and_children() {
    let server = TestServer::start();
    let mut c = server.client();
    c.ok(&create("/d", b""));
    c.ok(&create("/d/child", b""));
    assert_eq!(c.code(&delete("/nope", -1)), ErrorCode::NoNode);
    assert_eq!(c.code(&delete("/d", -1)), ErrorCode::NotEmpty);
    assert_eq!(c.code(&delete("/d/child", 5)), ErrorCode::BadVersion);
    assert_eq!(c.code(&delete("/d/child", 0)), ErrorCode::Ok);
    assert_eq!(c.code(&delete("/d", -1)), ErrorCode::Ok);
    assert_eq!(stat_of(&mut c, "/d"), None);
    assert_eq!(c.code(&delete("/", -1)), ErrorCode::BadArguments);
}

#[test]
fn get_and_set_data_track_versions_and_zxids() {
    let server = TestServer::start();
    let mut c = server.client();
    let (created, _) = c.call(&create("/n", b"v0"));
    let (data, stat) = data_of(&c.ok(&get_data("/n", false)));
    assert_eq!(data.as_deref(), Some(&b"v0"[..]));
    assert_eq!(
        (stat.version, stat.czxid, stat.mzxid),
        (0, created.zxid, created.zxid)
    );

    let (header, body) = c.call(&set_data("/n", b"v1", 0));
    let Response::SetData(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!((r.stat.version, r.stat.mzxid), (1, header.zxid));
    assert!(header.zxid.0 > created.zxid.0);
    assert_eq!(c.code(&set_data("/n", b"v2", 0)), ErrorCode::BadVersion);
    assert_eq!(c.code(&set_data("/nope", b"", -1)), ErrorCode::NoNode);
    assert_eq!(read_string(&mut c, "/n"), "v1");
    assert_eq!(c.code(&get_data("/nope", false)), ErrorCode::NoNode);

    // Null data stays null, empty stays empty.
    c.ok(&Request::Create(zk_proto::CreateRequest {
        path: "/null".into(),
        data: None,
        acl: Acl::open_acl_unsafe(),
        flags: 0,
    }));
    assert_eq!(data_of(&c.ok(&get_data("/null", false))).0, None);
}

#[test]
fn exists_answers_stat_or_nonode() {
    let server = TestServer::start();
    let mut c = server.client();
    assert_eq!(c.code(&exists("/x", false)), ErrorCode::NoNode);
    c.ok(&create("/x", b"abc"));
    let stat = stat_of(&mut c, "/x").expect("exists");
    assert_eq!(stat.data_length, 3);
}

#[test]
fn exists_watch_on_a_missing_node_fires_node_created() {
    let server = TestServer::start();
    let mut watcher = server.client();
    let mut writer = server.client();
    assert_eq!(watcher.code(&exists("/later", true)), ErrorCode::NoNode);
    writer.ok(&create("/later", b""));
    let event = watcher.next_event();
    assert_eq!(event.event_type, zk_proto::EventType::NodeCreated);
    assert_eq!(event.path, "/later");
    assert_eq!(event.state, zk_proto::KeeperState::SyncConnected);
}

#[test]
fn get_and_set_acl_check_permissions_and_versions() {
    let server = TestServer::start();
    let mut c = server.client();
    c.ok(&create("/acl", b""));
    let Response::GetAcl(r) = c.ok(&Request::GetAcl(GetAclRequest {
        path: "/acl".into(),
    })) else {
        panic!()
    };
    assert_eq!(r.acl, Acl::open_acl_unsafe());
    assert_eq!(r.stat.aversion, 0);

    let read_only = vec![Acl::new(Perms::READ, Id::anyone())];
    let set = |version| {
        Request::SetAcl(SetAclRequest {
            path: "/acl".into(),
            acl: read_only.clone(),
            version,
        })
    };
    assert_eq!(c.code(&set(3)), ErrorCode::BadVersion);
    let Response::SetAcl(r) = c.ok(&set(0)) else {
        panic!()
    };
    assert_eq!(r.stat.aversion, 1);
    // Now nobody may write or change the ACL again.
    assert_eq!(c.code(&set_data("/acl", b"x", -1)), ErrorCode::NoAuth);
    assert_eq!(c.code(&set(-1)), ErrorCode::NoAuth);
    assert_eq!(read_string(&mut c, "/acl"), "");
    // An empty ACL and an unknown scheme are INVALIDACL.
    let bad = |acl: Vec<Acl>| {
        Request::Create(zk_proto::CreateRequest {
            path: "/bad".into(),
            data: None,
            acl,
            flags: 0,
        })
    };
    assert_eq!(c.code(&bad(vec![])), ErrorCode::InvalidAcl);
    assert_eq!(
        c.code(&bad(vec![Acl::new(Perms::ALL, Id::new("nosuch", "x"))])),
        ErrorCode::InvalidAcl
    );
    assert_eq!(
        c.code(&Request::GetAcl(GetAclRequest {
            path: "/nope".into()
        })),
        ErrorCode::NoNode
    );
}

#[test]
fn digest_auth_grants_access_and_super_digest_overrides_acls() {
    let super_digest = zk_tree::auth::generate_digest("super:secret");
    let server = TestServer::start_with(|c| c.super_digest = Some(super_digest));
    let mut owner = server.client();
    owner.add_digest("alice:pw");
    owner.ok(&Request::Create(zk_proto::CreateRequest {
        path: "/private".into(),
        data: Some(Bytes::from_static(b"secret")),
        acl: vec![Acl::new(Perms::ALL, Id::auth())],
        flags: 0,
    }));
    // The auth scheme became the caller's digest id.
    let Response::GetAcl(r) = owner.ok(&Request::GetAcl(GetAclRequest {
        path: "/private".into(),
    })) else {
        panic!()
    };
    assert_eq!(r.acl[0].id.scheme, "digest");
    assert_eq!(r.acl[0].id.id, zk_tree::auth::generate_digest("alice:pw"));
    assert_eq!(read_string(&mut owner, "/private"), "secret");

    let mut stranger = server.client();
    assert_eq!(
        stranger.code(&get_data("/private", false)),
        ErrorCode::NoAuth
    );
    stranger.add_digest("bob:pw");
    assert_eq!(
        stranger.code(&get_data("/private", false)),
        ErrorCode::NoAuth
    );
    stranger.add_digest("alice:pw");
    assert_eq!(read_string(&mut stranger, "/private"), "secret");

    let mut admin = server.client();
    admin.add_digest("super:secret");
    assert_eq!(read_string(&mut admin, "/private"), "secret");
    assert_eq!(admin.code(&delete("/private", -1)), ErrorCode::Ok);

    // "auth" with no authenticated identity is INVALIDACL.
    let mut anonymous = server.client();
    let req = Request::Create(zk_proto::CreateRequest {
        path: "/x".into(),
        data: None,
        acl: vec![Acl::new(Perms::ALL, Id::auth())],
        flags: 0,
    });
    assert_eq!(anonymous.code(&req), ErrorCode::InvalidAcl);
}

#[test]
fn failed_auth_is_answered_then_the_connection_closes() {
    let server = TestServer::start();
    let mut c = server.client();
    let (header, _) = c.call(&auth("nosuchscheme", "x"));
    assert_eq!(header.xid, Xid::AUTH);
    assert_eq!(header.err, ErrorCode::AuthFailed);
    c.expect_closed();
    // The server is fine.
    server.client().ok(&create("/still-ok", b""));
}

#[test]
fn get_children_and_children2_list_names_with_the_parent_stat() {
    let server = TestServer::start();
    let mut c = server.client();
    c.ok(&create("/p", b""));
    for name in ["b", "a", "c"] {
        c.ok(&create(&format!("/p/{name}"), b""));
    }
    assert_eq!(children_of(&mut c, "/p"), ["a", "b", "c"]);
    let Response::GetChildren2(r) = c.ok(&Request::GetChildren2(GetChildren2Request {
        path: "/p".into(),
        watch: false,
    })) else {
        panic!()
    };
    assert_eq!(r.children.len(), 3);
    assert_eq!((r.stat.num_children, r.stat.cversion), (3, 3));
    assert_eq!(c.code(&get_children("/nope", false)), ErrorCode::NoNode);
}

#[test]
fn sync_echoes_the_path_without_consuming_a_zxid() {
    let server = TestServer::start();
    let mut c = server.client();
    let (before, _) = c.call(&create("/s", b""));
    let (header, body) = c.call(&Request::Sync(SyncRequest { path: "/s".into() }));
    assert_eq!(header.err, ErrorCode::Ok);
    assert_eq!(
        body,
        Response::Sync(zk_proto::SyncResponse { path: "/s".into() })
    );
    assert_eq!(header.zxid, before.zxid);
}

fn multi(ops: Vec<MultiOp>) -> Request {
    Request::Multi(MultiRequest { ops })
}

#[test]
fn multi_success_answers_each_op_with_one_zxid() {
    let server = TestServer::start();
    let mut c = server.client();
    c.ok(&create("/m", b"0"));
    let (header, body) = c.call(&multi(vec![
        MultiOp::Check(CheckVersionRequest {
            path: "/m".into(),
            version: 0,
        }),
        MultiOp::Create(create_req("/m/a", b"", CreateMode::Persistent)),
        MultiOp::Create2(create_req("/m/b", b"", CreateMode::Persistent)),
        MultiOp::SetData(zk_proto::SetDataRequest {
            path: "/m".into(),
            data: Some(Bytes::from_static(b"1")),
            version: 0,
        }),
        MultiOp::Delete(zk_proto::DeleteRequest {
            path: "/m/b".into(),
            version: -1,
        }),
    ]));
    assert_eq!(header.err, ErrorCode::Ok);
    let Response::Multi(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!(r.results.len(), 5);
    assert_eq!(r.results[0], MultiResult::Check);
    assert_eq!(
        r.results[1],
        MultiResult::Create {
            path: "/m/a".into()
        }
    );
    // Like Apache, a create2 inside a multi answers a create result (path only).
    assert_eq!(
        r.results[2],
        MultiResult::Create {
            path: "/m/b".into()
        }
    );
    let MultiResult::SetData { stat } = r.results[3] else {
        panic!()
    };
    assert_eq!((stat.version, stat.mzxid), (1, header.zxid));
    assert_eq!(r.results[4], MultiResult::Delete);
    let a = stat_of(&mut c, "/m/a").expect("created");
    assert_eq!(a.czxid, header.zxid, "all ops share the multi's zxid");
    assert_eq!(children_of(&mut c, "/m"), ["a"]);

    // A create whose flags make it a container answers path and Stat (type 15).
    let Response::Multi(r) = c.ok(&multi(vec![MultiOp::Create(create_req(
        "/m/box",
        b"",
        CreateMode::Container,
    ))])) else {
        panic!()
    };
    let MultiResult::Create2 { path, stat } = &r.results[0] else {
        panic!("{:?}", r.results)
    };
    assert_eq!((path.as_str(), stat.czxid.0 > 0), ("/m/box", true));
}

#[test]
fn failed_multi_reports_ok_error_and_runtime_inconsistency_and_changes_nothing() {
    let server = TestServer::start();
    let mut c = server.client();
    c.ok(&create("/f", b""));
    let (before, _) = c.call(&exists("/f", false));
    let (header, body) = c.call(&multi(vec![
        MultiOp::Create(create_req("/f/new", b"", CreateMode::Persistent)),
        MultiOp::Check(CheckVersionRequest {
            path: "/f".into(),
            version: 7,
        }),
        MultiOp::Delete(zk_proto::DeleteRequest {
            path: "/f".into(),
            version: -1,
        }),
    ]));
    assert_eq!(
        header.err,
        ErrorCode::Ok,
        "the header of a failed multi says OK"
    );
    assert!(
        header.zxid.0 > before.zxid.0,
        "a failed multi consumes a zxid"
    );
    let Response::Multi(r) = body else {
        panic!("{body:?}")
    };
    let codes: Vec<ErrorCode> = r.results.iter().map(MultiResult::err).collect();
    assert_eq!(
        codes,
        [
            ErrorCode::Ok,
            ErrorCode::BadVersion,
            ErrorCode::RuntimeInconsistency
        ]
    );
    assert!(r
        .results
        .iter()
        .all(|res| matches!(res, MultiResult::Error { .. })));
    assert_eq!(stat_of(&mut c, "/f/new"), None);
    assert!(stat_of(&mut c, "/f").is_some());

    // An empty multi succeeds with no results.
    let Response::Multi(r) = c.ok(&multi(vec![])) else {
        panic!()
    };
    assert!(r.results.is_empty());
}

#[test]
fn multi_read_answers_each_op_independently() {
    let server = TestServer::start();
    let mut c = server.client();
    c.ok(&create("/r", b"data"));
    c.ok(&create("/r/kid", b""));
    let req = Request::MultiRead(MultiRequest {
        ops: vec![
            MultiOp::GetData(zk_proto::GetDataRequest {
                path: "/r".into(),
                watch: false,
            }),
            MultiOp::GetChildren(zk_proto::GetChildrenRequest {
                path: "/r".into(),
                watch: false,
            }),
            MultiOp::GetData(zk_proto::GetDataRequest {
                path: "/missing".into(),
                watch: false,
            }),
        ],
    });
    let (header, body) = c.call(&req);
    assert_eq!(header.err, ErrorCode::Ok);
    let Response::Multi(r) = body else { panic!() };
    let MultiResult::GetData { data, stat } = &r.results[0] else {
        panic!("{:?}", r.results)
    };
    assert_eq!(
        (data.as_deref(), stat.num_children),
        (Some(&b"data"[..]), 1)
    );
    assert_eq!(
        r.results[1],
        MultiResult::GetChildren {
            children: vec!["kid".into()]
        }
    );
    assert_eq!(
        r.results[2],
        MultiResult::Error {
            err: ErrorCode::NoNode
        }
    );
}

#[test]
fn get_ephemerals_and_all_children_number_and_who_am_i() {
    let server = TestServer::start();
    let mut c = server.client();
    c.ok(&create("/app", b""));
    c.ok(&create_mode("/app/e1", b"", CreateMode::Ephemeral));
    c.ok(&create_mode("/e2", b"", CreateMode::Ephemeral));
    c.ok(&create("/app/p", b""));
    c.ok(&create("/app/p/q", b""));
    let mut other = server.client();
    other.ok(&create_mode("/app/theirs", b"", CreateMode::Ephemeral));

    let ephemerals = |c: &mut RawClient, prefix: &str| {
        let Response::GetEphemerals(r) = c.ok(&Request::GetEphemerals(GetEphemeralsRequest {
            prefix_path: prefix.into(),
        })) else {
            panic!()
        };
        let mut list = r.ephemerals;
        list.sort();
        list
    };
    assert_eq!(ephemerals(&mut c, "/"), ["/app/e1", "/e2"]);
    assert_eq!(ephemerals(&mut c, "/app"), ["/app/e1"]);

    let Response::GetAllChildrenNumber(r) = c.ok(&Request::GetAllChildrenNumber(
        GetAllChildrenNumberRequest {
            path: "/app".into(),
        },
    )) else {
        panic!()
    };
    assert_eq!(r.total_number, 4, "e1, p, p/q and theirs");
    assert_eq!(
        c.code(&Request::GetAllChildrenNumber(
            GetAllChildrenNumberRequest {
                path: "/nope".into()
            }
        )),
        ErrorCode::NoNode
    );

    c.add_digest("carol:pw");
    let Response::WhoAmI(r) = c.ok(&Request::WhoAmI) else {
        panic!()
    };
    let mut who: Vec<(String, String)> = r
        .client_info
        .into_iter()
        .map(|i| (i.auth_scheme, i.user))
        .collect();
    who.sort();
    assert_eq!(
        who,
        [
            ("digest".to_owned(), "carol".to_owned()),
            ("ip".to_owned(), "127.0.0.1".to_owned())
        ]
    );
}

#[test]
fn ping_is_answered_with_xid_minus_two_in_order() {
    let server = TestServer::start();
    let mut c = server.client();
    let (created, _) = c.call(&create("/p", b""));
    let write = c.send(&set_data("/p", b"x", -1));
    c.send(&Request::Ping);
    let (header, _) = c.reply_to(write);
    assert_eq!(header.err, ErrorCode::Ok);
    let (ping, body) = c.reply_to(Xid::PING);
    assert_eq!((ping.err, body), (ErrorCode::Ok, Response::Empty));
    assert!(
        ping.zxid.0 > created.zxid.0,
        "the ping follows the write it was queued behind"
    );
}

#[test]
fn close_session_is_answered_then_the_connection_closes_and_ephemerals_go() {
    let server = TestServer::start();
    let mut c = server.client();
    c.ok(&create_mode("/mine", b"", CreateMode::Ephemeral));
    let session = c.session.clone();
    let (header, body) = c.call(&Request::CloseSession);
    assert_eq!((header.err, body), (ErrorCode::Ok, Response::Empty));
    c.expect_closed();
    let mut other = server.client();
    assert_eq!(stat_of(&mut other, "/mine"), None);
    // The closed session cannot be resumed.
    let resumed = RawClient::resume(server.addr, &session);
    assert!(resumed.session.is_expired());
}

#[test]
fn reconfig_when_disabled_is_reconfig_disabled() {
    let server = TestServer::start();
    let mut c = server.client();
    let req = Request::Reconfig(ReconfigRequest {
        joining_servers: Some("server.2=127.0.0.1:2888:3888".into()),
        leaving_servers: None,
        new_members: None,
        cur_config_id: -1,
    });
    assert_eq!(c.code(&req), ErrorCode::ReconfigDisabled);
    c.ok(&create("/after", b""));
}

#[test]
fn get_data_of_the_config_node_and_quota_tree_exist() {
    let server = TestServer::start();
    let mut c = server.client();
    assert_eq!(children_of(&mut c, "/zookeeper"), ["config", "quota"]);
    assert!(stat_of(&mut c, "/zookeeper/config").is_some());
}

#[test]
fn empty_containers_and_expired_ttl_nodes_are_reaped() {
    let server = TestServer::start_with(|c| {
        c.extended_types_enabled = true;
        c.container.check_interval_ms = 50;
    });
    let mut c = server.client();
    let container =
        |path: &str| Request::CreateContainer(create_req(path, b"", CreateMode::Container));
    c.ok(&container("/used"));
    c.ok(&container("/never-used"));
    c.ok(&create("/used/kid", b""));
    c.ok(&Request::CreateTtl(CreateTtlRequest {
        path: "/ttl".into(),
        data: None,
        acl: Acl::open_acl_unsafe(),
        flags: CreateMode::PersistentWithTtl.flag(),
        ttl: 200,
    }));
    c.ok(&Request::CreateTtl(CreateTtlRequest {
        path: "/ttl-long".into(),
        data: None,
        acl: Acl::open_acl_unsafe(),
        flags: CreateMode::PersistentWithTtl.flag(),
        ttl: 600_000,
    }));
    assert!(exists_watch_set(&mut c, "/used"));
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        stat_of(&mut c, "/used").is_some(),
        "a container with a child stays"
    );

    c.ok(&delete("/used/kid", -1));
    wait_until(
        "the emptied container and the expired TTL node are deleted",
        || stat_of(&mut c, "/used").is_none() && stat_of(&mut c, "/ttl").is_none(),
    );
    assert_eq!(c.next_event().event_type, zk_proto::EventType::NodeDeleted);
    // A container that never had a child stays (maxNeverUsedIntervalMs = 0); so does a TTL
    // node whose TTL has not passed.
    assert!(stat_of(&mut c, "/never-used").is_some());
    assert!(stat_of(&mut c, "/ttl-long").is_some());
}

fn exists_watch_set(c: &mut RawClient, path: &str) -> bool {
    c.call(&exists(path, true)).0.err == ErrorCode::Ok
}
