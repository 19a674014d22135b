//! Tests of request preparation: one per error code and check-order question, multi,
//! sequential names with pending creates, closeSession, and the digest every prepared txn
//! carries (checked against the tree after applying it).

use std::net::{IpAddr, Ipv4Addr};

use zk_proto::txn::TxnLogEntry;
use zk_proto::{
    CheckVersionRequest, CreateRequest, CreateTtlRequest, DeleteContainerRequest, DeleteRequest,
    Id, MultiOp, MultiRequest, ReconfigRequest, SetAclRequest, SetDataRequest,
};

use super::*;
use crate::apply::{ApplyOutcome, OpResult};
use crate::auth::AuthProviders;

const SESSION: SessionId = SessionId(0x100);

/// A tree with a preparer in front of it: writes are prepared (taking the next zxid) and, for
/// `run`, applied at once; `prepare` alone leaves them pending.
struct Harness {
    tree: DataTree,
    changes: OutstandingChanges,
    prep: PrepRequestProcessor,
    auth: AuthInfo,
    local: bool,
    check: Result<(), ErrorCode>,
    next_zxid: i64,
}

impl Harness {
    fn new() -> Self {
        Self::with(PrepSettings::default())
    }

    fn with(settings: PrepSettings) -> Self {
        Harness {
            tree: DataTree::with_extended_types(settings.extended_types_enabled),
            changes: OutstandingChanges::new(),
            prep: PrepRequestProcessor::new(settings, AclChecker::default()),
            auth: AuthInfo::for_address(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))),
            local: false,
            check: Ok(()),
            next_zxid: 1,
        }
    }

    fn prepare(&mut self, request: &Request) -> Prepared {
        let session = SessionInfo {
            id: SESSION,
            auth: &self.auth,
            local: self.local,
            check: self.check,
        };
        let slot = TxnSlot {
            xid: Xid(self.next_zxid as i32),
            zxid: Zxid(self.next_zxid),
            time_ms: 1_000 + self.next_zxid,
        };
        let prepared = self
            .prep
            .prepare(&mut self.changes, &self.tree, &session, slot, request);
        if let PrepOutcome::Txn(_) = prepared.outcome {
            self.next_zxid += 1;
        }
        prepared
    }

    /// Applies a prepared entry, checking that its digest is the tree's digest afterwards.
    fn apply(&mut self, entry: &TxnLogEntry) -> ApplyOutcome {
        let outcome = self.tree.apply(&entry.header, &entry.txn);
        self.changes.on_applied(entry.header.zxid);
        if let Some(digest) = entry.digest {
            assert_eq!(
                digest.tree_digest,
                self.tree.digest(),
                "prepared digest differs from the applied tree's for {:?}",
                entry.txn
            );
        }
        outcome
    }

    /// Prepares and applies; returns the entry and the result.
    fn run(&mut self, request: &Request) -> (TxnLogEntry, OpResult) {
        let PrepOutcome::Txn(entry) = self.prepare(request).outcome else {
            panic!("no txn for {request:?}");
        };
        let result = self.apply(&entry).result;
        (entry, result)
    }

    /// The error code a write fails with at preparation (`Ok` if it succeeds), applied.
    fn code(&mut self, request: &Request) -> ErrorCode {
        let (_, result) = self.run(request);
        result.err()
    }

    fn ok(&mut self, request: &Request) {
        assert_eq!(self.code(request), ErrorCode::Ok, "{request:?}");
    }

    fn digest_user(&mut self, user_password: &str) {
        AuthProviders::default()
            .authenticate(&mut self.auth, "digest", user_password.as_bytes())
            .unwrap();
    }
}

fn open() -> Vec<Acl> {
    Acl::open_acl_unsafe()
}

fn create_with(path: &str, flags: i32, acl: Vec<Acl>) -> Request {
    Request::Create(CreateRequest {
        path: path.into(),
        data: Some(Bytes::from_static(b"d")),
        acl,
        flags,
    })
}

fn create(path: &str) -> Request {
    create_with(path, 0, open())
}

fn create_ttl(path: &str, flags: i32, ttl: i64) -> Request {
    Request::CreateTtl(CreateTtlRequest {
        path: path.into(),
        data: None,
        acl: open(),
        flags,
        ttl,
    })
}

fn delete(path: &str, version: i32) -> Request {
    Request::Delete(DeleteRequest {
        path: path.into(),
        version,
    })
}

fn set_data(path: &str, data: &'static [u8], version: i32) -> Request {
    Request::SetData(SetDataRequest {
        path: path.into(),
        data: Some(Bytes::from_static(data)),
        version,
    })
}

fn set_acl(path: &str, acl: Vec<Acl>, version: i32) -> Request {
    Request::SetAcl(SetAclRequest {
        path: path.into(),
        acl,
        version,
    })
}

fn only(perms: Perms) -> Vec<Acl> {
    vec![Acl::new(perms, Id::anyone())]
}

fn created_path(entry: &TxnLogEntry) -> &str {
    match &entry.txn {
        Txn::Create(t) | Txn::Create2(t) => &t.path,
        Txn::CreateTtl(t) => &t.path,
        Txn::CreateContainer(t) => &t.path,
        other => panic!("not a create: {other:?}"),
    }
}

/// Observed on Apache ZooKeeper 3.8.0 (Debian), standalone on 127.0.0.1, with kazoo
/// (raw `Create` records through `KazooClient._call`, which skip kazoo's path normalisation):
/// `/a//b` → NONODE, `/a/` → BADARGUMENTS, `noslash` → BADARGUMENTS.
#[test]
fn create_error_codes_follow_apaches_checks() {
    let mut h = Harness::new();
    h.ok(&create("/a"));
    h.ok(&create_with("/eph", 1, open()));
    h.ok(&create_with(
        "/locked",
        0,
        only(Perms(Perms::ALL.0 & !Perms::CREATE.0)),
    ));
    let cases = [
        (create_with("/x", 7, open()), ErrorCode::BadArguments),
        (create_ttl("/x", 5, 1000), ErrorCode::Unimplemented), // extended types off
        (create("x"), ErrorCode::BadArguments),
        (create("/a\0b"), ErrorCode::BadArguments),
        (create_with("/x", 0, vec![]), ErrorCode::InvalidAcl),
        (create("/missing/x"), ErrorCode::NoNode),
        (create("/locked/x"), ErrorCode::NoAuth),
        (create("/a/"), ErrorCode::BadArguments), // full validation after the parent checks
        (create("/a//b"), ErrorCode::NoNode),     // parent "/a/" does not exist
        (create("/a"), ErrorCode::NodeExists),
        (create("/"), ErrorCode::NodeExists),
        (create("/eph/x"), ErrorCode::NoChildrenForEphemerals),
    ];
    for (request, expected) in cases {
        assert_eq!(h.code(&request), expected, "{request:?}");
    }
}

/// Observed on Apache ZooKeeper 3.8.0 (Debian), standalone on 127.0.0.1, with kazoo:
/// a digest id without a hash, and `auth` without credentials, under a missing parent → INVALIDACL.
#[test]
fn invalid_acl_is_reported_before_a_missing_parent() {
    let mut h = Harness::new();
    let bad = vec![Acl::new(Perms::ALL, Id::new("digest", "no-hash"))];
    assert_eq!(
        h.code(&create_with("/missing/x", 0, bad)),
        ErrorCode::InvalidAcl
    );
    // `auth` with no authenticated id is invalid too, also before NONODE.
    assert_eq!(
        h.code(&create_with("/missing/x", 0, Acl::creator_all_acl())),
        ErrorCode::InvalidAcl
    );
    h.digest_user("u:p");
    assert_eq!(
        h.code(&create_with("/missing/x", 0, Acl::creator_all_acl())),
        ErrorCode::NoNode
    );
}

#[test]
fn create_checks_permission_before_existence() {
    let mut h = Harness::new();
    h.ok(&create("/p"));
    h.ok(&create("/p/c"));
    h.ok(&set_acl("/p", only(Perms::READ), -1));
    assert_eq!(h.code(&create("/p/c")), ErrorCode::NoAuth);
}

#[test]
fn session_checks_come_after_flag_and_ttl_checks() {
    let mut h = Harness::with(PrepSettings {
        extended_types_enabled: true,
        ..PrepSettings::default()
    });
    h.local = true;
    assert_eq!(h.code(&create_ttl("/t", 5, 0)), ErrorCode::BadArguments);
    assert_eq!(
        h.code(&create_with("/e", 1, open())),
        ErrorCode::EphemeralOnLocalSession
    );
    // A local session may create persistent nodes.
    h.ok(&create("/p"));
    h.local = false;
    h.check = Err(ErrorCode::SessionExpired);
    assert_eq!(
        h.code(&create_with("/x", 7, open())),
        ErrorCode::BadArguments
    );
    assert_eq!(h.code(&create("/x")), ErrorCode::SessionExpired);
    assert_eq!(h.code(&delete("/p", -1)), ErrorCode::SessionExpired);
    // Reads get the verdict without a txn.
    let read = Request::Sync(zk_proto::SyncRequest { path: "/".into() });
    assert_eq!(
        h.prepare(&read).outcome,
        PrepOutcome::NoTxn(Err(ErrorCode::SessionExpired))
    );
}

#[test]
fn ttl_nodes_need_extended_types_and_a_valid_ttl() {
    let mut h = Harness::with(PrepSettings {
        extended_types_enabled: true,
        ..PrepSettings::default()
    });
    assert_eq!(h.code(&create_ttl("/t", 5, 0)), ErrorCode::BadArguments);
    assert_eq!(
        h.code(&create_ttl("/t", 5, 0x100_0000_0000)),
        ErrorCode::BadArguments
    );
    assert_eq!(h.code(&create_ttl("/t", 0, 1000)), ErrorCode::BadArguments);
    assert_eq!(h.code(&create_ttl("/t", 0, -1)), ErrorCode::BadArguments);
    let (entry, _) = h.run(&create_ttl("/t", 6, 1000));
    assert_eq!(created_path(&entry), "/t0000000000");
    let owner = h
        .tree
        .node("/t0000000000")
        .unwrap()
        .stat_persisted()
        .ephemeral_owner;
    assert_eq!(owner, EphemeralOwner::ttl(1000).unwrap().raw());
    // A plain create cannot carry a TTL mode.
    assert_eq!(
        h.code(&create_with("/u", 5, open())),
        ErrorCode::BadArguments
    );
}

#[test]
fn sequential_names_use_the_pending_parent_cversion() {
    let mut h = Harness::new();
    h.ok(&create("/q"));
    h.ok(&create("/q/x"));
    h.ok(&delete("/q/x", -1)); // deletes do not bump the stored cversion
    let first = h.prepare(&create_with("/q/n-", 2, open()));
    let second = h.prepare(&create_with("/q/n-", 2, open()));
    let (PrepOutcome::Txn(a), PrepOutcome::Txn(b)) = (first.outcome, second.outcome) else {
        panic!("expected txns");
    };
    assert_eq!(created_path(&a), "/q/n-0000000001");
    assert_eq!(created_path(&b), "/q/n-0000000002");
    let Txn::Create(txn) = &b.txn else { panic!() };
    assert_eq!(txn.parent_cversion, 3);
    h.apply(&a);
    h.apply(&b);
    assert_eq!(h.tree.node("/q").unwrap().stat_persisted().cversion, 3);
    // The sequence may end in '/' and the name is just the number.
    let (entry, _) = h.run(&create_with("/q/", 2, open()));
    assert_eq!(created_path(&entry), "/q/0000000003");
}

#[test]
fn pending_changes_allow_dependent_writes_in_flight() {
    let mut h = Harness::new();
    let a = h.prepare(&create("/a"));
    let b = h.prepare(&create("/a/b"));
    let dup = h.prepare(&create("/a"));
    assert_eq!(dup.error(), Some(ErrorCode::NodeExists));
    let set = h.prepare(&set_data("/a/b", b"x", 0));
    let stale = h.prepare(&set_data("/a/b", b"y", 0));
    assert_eq!(stale.error(), Some(ErrorCode::BadVersion));
    let del = h.prepare(&delete("/a/b", 1));
    let gone = h.prepare(&delete("/a/b", -1));
    assert_eq!(gone.error(), Some(ErrorCode::NoNode));
    for p in [a, b, dup, set, stale, del, gone] {
        let PrepOutcome::Txn(entry) = p.outcome else {
            panic!()
        };
        h.apply(&entry);
    }
    assert!(h.changes.is_empty());
    assert!(h.tree.node("/a/b").is_none());
    assert_eq!(h.tree.node("/a").unwrap().num_children(), 0);
}

#[test]
fn failed_write_becomes_an_error_txn_that_consumes_its_zxid() {
    let mut h = Harness::new();
    let (entry, result) = h.run(&delete("/nope", -1));
    assert_eq!(entry.header.txn_type, OpCode::Error);
    assert_eq!(entry.header.zxid, Zxid(1));
    assert_eq!(entry.header.client_id, SESSION);
    assert_eq!(entry.digest, None);
    assert_eq!(result, OpResult::Error(ErrorCode::NoNode));
    assert_eq!(h.next_zxid, 2);
}

/// Observed on Apache ZooKeeper 3.8.0 (Debian), standalone on 127.0.0.1, with kazoo:
/// delete of a non-empty node with a wrong version → BADVERSION; `/` and `/zookeeper` →
/// BADARGUMENTS.
#[test]
fn delete_error_codes_follow_apaches_checks() {
    let mut h = Harness::new();
    h.ok(&create("/a"));
    h.ok(&create("/a/b"));
    h.ok(&create_with(
        "/nodel",
        0,
        only(Perms(Perms::ALL.0 & !Perms::DELETE.0)),
    ));
    h.ok(&create("/nodel/c"));
    for special in ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"] {
        assert_eq!(
            h.code(&delete(special, -1)),
            ErrorCode::BadArguments,
            "{special}"
        );
    }
    let cases = [
        (delete("noslash", -1), ErrorCode::BadArguments),
        (delete("/a\0", -1), ErrorCode::BadArguments),
        (delete("/missing/x", -1), ErrorCode::NoNode),
        (delete("/nodel/c", -1), ErrorCode::NoAuth),
        (delete("/nodel/missing", -1), ErrorCode::NoAuth), // parent ACL before existence
        (delete("/a/missing", -1), ErrorCode::NoNode),
        (delete("/a", 5), ErrorCode::BadVersion), // version before emptiness
        (delete("/a", -1), ErrorCode::NotEmpty),
    ];
    for (request, expected) in cases {
        assert_eq!(h.code(&request), expected, "{request:?}");
    }
    h.ok(&delete("/a/b", 0));
}

#[test]
fn set_data_and_set_acl_error_codes() {
    let mut h = Harness::new();
    h.ok(&create_with("/ro", 0, only(Perms::READ | Perms::ADMIN)));
    h.ok(&create_with(
        "/noadmin",
        0,
        only(Perms(Perms::ALL.0 & !Perms::ADMIN.0)),
    ));
    let cases = [
        (set_data("/a/", b"", -1), ErrorCode::BadArguments),
        (set_data("/missing", b"", -1), ErrorCode::NoNode),
        (set_data("/ro", b"", -1), ErrorCode::NoAuth),
        (set_data("/noadmin", b"", 3), ErrorCode::BadVersion),
        (set_acl("/a/", open(), -1), ErrorCode::BadArguments),
        (set_acl("/missing", vec![], -1), ErrorCode::InvalidAcl),
        (set_acl("/missing", open(), -1), ErrorCode::NoNode),
        (set_acl("/noadmin", open(), -1), ErrorCode::NoAuth),
        (set_acl("/ro", open(), 1), ErrorCode::BadVersion),
    ];
    for (request, expected) in cases {
        assert_eq!(h.code(&request), expected, "{request:?}");
    }
    let (entry, _) = h.run(&set_data("/noadmin", b"new", 0));
    assert!(matches!(&entry.txn, Txn::SetData(t) if t.version == 1));
    let (entry, _) = h.run(&set_acl("/ro", open(), 0));
    assert!(matches!(&entry.txn, Txn::SetAcl(t) if t.version == 1));
    assert_eq!(h.tree.node("/ro").unwrap().stat_persisted().aversion, 1);
}

#[test]
fn pending_set_acl_governs_later_writes_in_flight() {
    let mut h = Harness::new();
    h.ok(&create("/n"));
    let lock = h.prepare(&set_acl("/n", only(Perms::READ), -1));
    assert_eq!(lock.error(), None);
    assert_eq!(
        h.prepare(&set_data("/n", b"x", -1)).error(),
        Some(ErrorCode::NoAuth)
    );
}

fn multi(ops: Vec<MultiOp>) -> Request {
    Request::Multi(MultiRequest { ops })
}

fn m_create(path: &str) -> MultiOp {
    MultiOp::Create(CreateRequest {
        path: path.into(),
        data: None,
        acl: open(),
        flags: 0,
    })
}

fn m_check(path: &str, version: i32) -> MultiOp {
    MultiOp::Check(CheckVersionRequest {
        path: path.into(),
        version,
    })
}

#[test]
fn multi_ops_see_earlier_ops_of_the_same_multi() {
    let mut h = Harness::new();
    let request = multi(vec![
        m_create("/m"),
        m_create("/m/a"),
        m_check("/m/a", 0),
        MultiOp::SetData(SetDataRequest {
            path: "/m/a".into(),
            data: None,
            version: 0,
        }),
        MultiOp::Delete(DeleteRequest {
            path: "/m/a".into(),
            version: 1,
        }),
    ]);
    let (entry, result) = h.run(&request);
    assert_eq!(entry.header.txn_type, OpCode::Multi);
    let OpResult::Multi(results) = result else {
        panic!()
    };
    assert!(
        results.iter().all(|r| r.err() == ErrorCode::Ok),
        "{results:?}"
    );
    assert!(h.tree.node("/m/a").is_none());
    let Txn::Multi(txns) = &entry.txn else {
        panic!()
    };
    assert!(matches!(&txns[2], Txn::Check(c) if c.version == 1));
}

/// Observed on Apache ZooKeeper 3.8.0 (Debian), standalone on 127.0.0.1, with kazoo:
/// a multi [create, sequential create, failing check, create] answered 0, 0, -103, -2, and
/// `TxnLogToolkit -d` showed the log entry `multi create /a/c; create /a/s-0000000002; error;
/// error` (real sub-txns before the failure, not all ErrorTxns); the next sequential create
/// under the same parent then got the number the rolled-back one had.
#[test]
fn multi_create_sub_ops_take_their_type_from_the_flags() {
    // Java's MultiOperationRecord rebuilds each create with `Op.create(path, data, acl,
    // flags)`: a create2, or a createContainer without the CONTAINER flag, is a plain create;
    // only the flags make a container.
    let mut h = Harness::new();
    let req = |path: &str, flags| CreateRequest {
        path: path.into(),
        data: None,
        acl: open(),
        flags,
    };
    let request = multi(vec![
        MultiOp::Create2(req("/two", 0)),
        MultiOp::CreateContainer(req("/plain", 0)),
        MultiOp::Create(req("/box", 4)),
    ]);
    let (entry, _) = h.run(&request);
    let Txn::Multi(txns) = &entry.txn else {
        panic!("not a multi: {:?}", entry.txn)
    };
    assert!(matches!(&txns[0], Txn::Create(t) if t.path == "/two"));
    assert!(matches!(&txns[1], Txn::Create(t) if t.path == "/plain"));
    assert!(matches!(&txns[2], Txn::CreateContainer(t) if t.path == "/box"));
}

#[test]
fn failed_multi_logs_real_txns_then_error_then_runtime_inconsistency() {
    let mut h = Harness::new();
    h.ok(&create("/q"));
    let request = multi(vec![
        m_create("/q/a"),
        MultiOp::Create(CreateRequest {
            path: "/q/s-".into(),
            data: None,
            acl: open(),
            flags: 2,
        }),
        m_check("/q/a", 7),
        m_create("/q/b"),
    ]);
    let (entry, result) = h.run(&request);
    let Txn::Multi(txns) = &entry.txn else {
        panic!()
    };
    assert!(matches!(&txns[0], Txn::Create(t) if t.path == "/q/a"));
    assert!(matches!(&txns[1], Txn::Create(t) if t.path == "/q/s-0000000001"));
    assert_eq!(
        txns[2..],
        [
            Txn::Error(ErrorTxn {
                err: ErrorCode::BadVersion
            }),
            Txn::Error(ErrorTxn {
                err: ErrorCode::RuntimeInconsistency
            }),
        ]
    );
    // What the client sees: 0, 0, E, -2, and nothing applied.
    let codes: Vec<_> = match result {
        OpResult::Multi(r) => r.iter().map(|r| r.err().code()).collect(),
        other => panic!("{other:?}"),
    };
    assert_eq!(codes, [0, 0, -103, -2]);
    assert!(h.tree.node("/q/a").is_none());
    // The rolled-back creates did not use up sequence numbers (ZOOKEEPER-1624).
    let (entry, _) = h.run(&create_with("/q/s-", 2, open()));
    assert_eq!(created_path(&entry), "/q/s-0000000000");
}

#[test]
fn failed_multi_rolls_back_pending_changes_of_earlier_ops_only() {
    let mut h = Harness::new();
    let before = h.prepare(&create("/p"));
    let failed = h.prepare(&multi(vec![
        MultiOp::Delete(DeleteRequest {
            path: "/p".into(),
            version: -1,
        }),
        m_create("/p"),
        m_create("/missing/x"),
    ]));
    assert!(matches!(failed.outcome, PrepOutcome::Txn(_)));
    // /p is still pending from the first request.
    assert_eq!(
        h.prepare(&create("/p")).error(),
        Some(ErrorCode::NodeExists)
    );
    let _ = before;
}

#[test]
fn multi_with_unparseable_create_flags_is_a_marshalling_error() {
    let mut h = Harness::new();
    let bad = MultiOp::Create(CreateRequest {
        path: "/x".into(),
        data: None,
        acl: open(),
        flags: 9,
    });
    let (entry, result) = h.run(&multi(vec![m_create("/ok"), bad]));
    assert_eq!(entry.header.txn_type, OpCode::Error);
    assert_eq!(result, OpResult::Error(ErrorCode::MarshallingError));
    assert!(h.changes.is_empty());
    // TTL flags in a plain create record: Java's ClassCastException, when the op is reached.
    let ttl_flags = MultiOp::Create2(CreateRequest {
        path: "/y".into(),
        data: None,
        acl: open(),
        flags: 5,
    });
    let (_, result) = h.run(&multi(vec![m_create("/ok"), ttl_flags]));
    assert_eq!(result, OpResult::Error(ErrorCode::MarshallingError));
    assert!(h.tree.node("/ok").is_none());
}

#[test]
fn multi_create_types_are_derived_from_flags() {
    let mut h = Harness::new();
    let container = MultiOp::Create2(CreateRequest {
        path: "/c".into(),
        data: None,
        acl: open(),
        flags: 4,
    });
    let (entry, _) = h.run(&multi(vec![container, m_create("/c/x")]));
    let Txn::Multi(txns) = &entry.txn else {
        panic!()
    };
    assert!(matches!(&txns[0], Txn::CreateContainer(_)));
    assert_eq!(h.tree.containers(), ["/c"]);
}

#[test]
fn empty_multi_is_an_empty_multi_txn() {
    let mut h = Harness::new();
    let (entry, result) = h.run(&multi(vec![]));
    assert_eq!(entry.txn, Txn::Multi(vec![]));
    assert_eq!(result, OpResult::Multi(vec![]));
    assert!(entry.digest.is_some());
}

#[test]
fn close_session_lists_pending_ephemerals_and_skips_pending_deletes() {
    let mut h = Harness::new();
    h.ok(&create_with("/e1", 1, open()));
    h.ok(&create_with("/e2", 1, open()));
    h.ok(&create("/dir"));
    let pending_create = h.prepare(&create_with("/dir/e3", 1, open()));
    let pending_delete = h.prepare(&delete("/e1", -1));
    let close = h.prepare(&Request::CloseSession);
    let PrepOutcome::Txn(entry) = close.outcome else {
        panic!()
    };
    assert_eq!(entry.header.txn_type, OpCode::CloseSession);
    let Txn::CloseSession(Some(body)) = &entry.txn else {
        panic!()
    };
    assert_eq!(body.paths_to_delete, ["/dir/e3", "/e2"]);
    // Nothing of the session can be changed once its close is pending.
    assert_eq!(
        h.prepare(&delete("/e2", -1)).error(),
        Some(ErrorCode::NoNode)
    );
    for p in [pending_create, pending_delete] {
        let PrepOutcome::Txn(e) = p.outcome else {
            panic!()
        };
        h.apply(&e);
    }
    h.apply(&entry);
    assert!(h.tree.ephemerals(SESSION).is_empty());
    assert_eq!(h.tree.node("/dir").unwrap().num_children(), 0);
}

#[test]
fn local_sessions_close_without_a_txn() {
    let mut h = Harness::new();
    h.local = true;
    assert_eq!(
        h.prepare(&Request::CloseSession).outcome,
        PrepOutcome::NoTxn(Ok(()))
    );
}

#[test]
fn create_session_txn_carries_the_timeout_and_digest() {
    let mut h = Harness::new();
    let entry = h.prep.prepare_create_session(
        &mut h.changes,
        &h.tree,
        SessionId(7),
        30_000,
        TxnSlot {
            xid: Xid(0),
            zxid: Zxid(1),
            time_ms: 5,
        },
    );
    assert_eq!(entry.header.txn_type, OpCode::CreateSession);
    assert_eq!(entry.header.client_id, SessionId(7));
    assert_eq!(
        entry.txn,
        Txn::CreateSession(CreateSessionTxn { timeout_ms: 30_000 })
    );
    h.apply(&entry);
}

#[test]
fn reconfig_is_disabled_or_unimplemented() {
    let request = Request::Reconfig(ReconfigRequest {
        joining_servers: None,
        leaving_servers: None,
        new_members: None,
        cur_config_id: -1,
    });
    let mut h = Harness::new();
    assert_eq!(h.code(&request), ErrorCode::ReconfigDisabled);
    let mut h = Harness::with(PrepSettings {
        reconfig: ReconfigMode::Standalone,
        ..PrepSettings::default()
    });
    assert_eq!(h.code(&request), ErrorCode::Unimplemented);
}

#[test]
fn delete_container_checks_children_and_kind() {
    let mut h = Harness::new();
    let container = |path: &str| {
        Request::CreateContainer(CreateRequest {
            path: path.into(),
            data: None,
            acl: open(),
            flags: 4,
        })
    };
    let reap = |path: &str| Request::DeleteContainer(DeleteContainerRequest { path: path.into() });
    h.ok(&container("/c"));
    h.ok(&create("/c/x"));
    h.ok(&create_with("/e", 1, open()));
    assert_eq!(h.code(&reap("/c")), ErrorCode::NotEmpty);
    assert_eq!(h.code(&reap("/e")), ErrorCode::BadVersion);
    assert_eq!(h.code(&reap("/gone")), ErrorCode::NoNode);
    assert_eq!(h.code(&reap("/zookeeper")), ErrorCode::BadArguments);
    h.ok(&delete("/c/x", -1));
    let (entry, result) = h.run(&reap("/c"));
    assert_eq!(entry.header.txn_type, OpCode::DeleteContainer);
    assert_eq!(result, OpResult::Deleted { path: "/c".into() });
}

#[test]
fn hard_quota_refuses_and_soft_quota_warns_when_enforced() {
    let mut h = Harness::with(PrepSettings {
        enforce_quota: true,
        ..PrepSettings::default()
    });
    h.ok(&create("/app"));
    // Creating zookeeper_stats makes apply recount the subtree (as Apache does): /app and
    // /app/c make count=2, at the hard limit; /app/c's one byte counts toward bytes.
    h.ok(&create("/app/c"));
    h.ok(&create("/zookeeper/quota/app"));
    let quota_node = |path: &str, data: &'static [u8]| {
        Request::Create(CreateRequest {
            path: path.into(),
            data: Some(Bytes::from_static(data)),
            acl: open(),
            flags: 0,
        })
    };
    h.ok(&quota_node(
        "/zookeeper/quota/app/zookeeper_limits",
        b"count=-1,bytes=3=;countHardLimit=2",
    ));
    h.ok(&quota_node(
        "/zookeeper/quota/app/zookeeper_stats",
        b"count=2,bytes=1",
    ));
    assert_eq!(h.code(&create("/app/x")), ErrorCode::QuotaExceeded);
    let warned = h.prepare(&set_data("/app", b"12345", -1));
    assert_eq!(warned.error(), None);
    assert_eq!(
        warned.quota_warnings[0].to_string(),
        "Quota exceeded: /app [current bytes=6, softByteLimit=3]"
    );
    // Paths outside the quota are not affected.
    h.next_zxid += 0;
    let mut off = Harness::new();
    off.ok(&create("/app"));
    assert!(off.prepare(&create("/app/y")).quota_warnings.is_empty());
}

/// Observed on Apache ZooKeeper 3.8.0 (kazoo): after creating `/a`, a sequential create of
/// `/` made `/0000000001`: the suffix goes straight after the requested path.
#[test]
fn sequential_create_of_root_makes_a_child_of_root() {
    let mut h = Harness::new();
    h.ok(&create("/a"));
    let (entry, _) = h.run(&create_with("/", 2, open()));
    assert_eq!(created_path(&entry), "/0000000001");
}
