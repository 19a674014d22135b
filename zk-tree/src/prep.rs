//! [`PrepRequestProcessor`]: ZooKeeper's `PrepRequestProcessor` as a pure function. A write
//! request becomes the transaction to propose, checked against the tree **plus** the
//! [`OutstandingChanges`] of transactions proposed but not yet applied.
//!
//! A failed write still becomes a transaction: an error txn (type -1, [`ErrorTxn`]) that
//! consumes its zxid, is logged and committed, and whose commit answers the client with the
//! error. A multi that fails at op *k* logs a multi whose ops before *k* are their real txns,
//! op *k* an ErrorTxn with the error and the rest ErrorTxn(RUNTIMEINCONSISTENCY), exactly as
//! Apache writes it; applying it changes nothing and yields the results `0 … E … -2`.
//!
//! The checks and their order are Apache's (3.8.6 and 3.9.5 agree):
//!
//! ```text
//! create*       flags → BADARGUMENTS; TTL without extended types → UNIMPLEMENTED; ttl range →
//!               BADARGUMENTS; session (ephemeral: global session, else EPHEMERALONLOCALSESSION);
//!               path has '/' and no NUL → BADARGUMENTS; ACL fix-up → INVALIDACL; parent →
//!               NONODE; CREATE on parent → NOAUTH; sequential suffix %010d of the parent's
//!               stored cversion; full path validation → BADARGUMENTS; NODEEXISTS; parent is an
//!               ephemeral → NOCHILDRENFOREPHEMERALS; quota → QUOTAEXCEEDED
//! delete        session; '/' and no NUL and not /, /zookeeper, /zookeeper/quota,
//!               /zookeeper/config → BADARGUMENTS; parent → NONODE; DELETE on parent → NOAUTH;
//!               node → NONODE; version → BADVERSION; children → NOTEMPTY
//! setData       session; path; node → NONODE; WRITE → NOAUTH; quota; version → BADVERSION
//! setACL        session; path; ACL fix-up → INVALIDACL; node → NONODE; ADMIN → NOAUTH;
//!               aversion → BADVERSION
//! check         session; path; node → NONODE; READ → NOAUTH; version → BADVERSION
//! reconfig      disabled → RECONFIGDISABLED; standalone → UNIMPLEMENTED
//! ```
//!
//! Where Apache's pending state disagrees with the txn it logs, this follows the txn, so the
//! in-flight view always equals what applying will produce (Apache's answers there depend on
//! timing): a pending setACL records the new ACL; a pending closeSession lowers the parents'
//! child counts; a create's pending owner follows its txn type (createContainer is always a
//! container, create with the container flag a persistent node). A createTTL request with a
//! non-TTL flag is BADARGUMENTS (Apache logs a CreateTTLTxn that cannot be applied when its ttl
//! is negative). The root is one pending record whether named `""` or `/`.
//!
//! ```
//! use std::net::{IpAddr, Ipv4Addr};
//! use zk_proto::txn::Txn;
//! use zk_proto::{Acl, CreateRequest, Request, SessionId, Xid, Zxid};
//! use zk_tree::auth::AuthInfo;
//! use zk_tree::outstanding_changes::OutstandingChanges;
//! use zk_tree::prep::{PrepOutcome, PrepRequestProcessor, SessionInfo, TxnSlot};
//! use zk_tree::DataTree;
//!
//! let tree = DataTree::new();
//! let mut changes = OutstandingChanges::new();
//! let prep = PrepRequestProcessor::default();
//! let auth = AuthInfo::for_address(IpAddr::V4(Ipv4Addr::LOCALHOST));
//! let session = SessionInfo::global(SessionId(0x42), &auth);
//! let create = |path: &str| Request::Create(CreateRequest {
//!     path: path.into(), data: None, acl: Acl::open_acl_unsafe(), flags: 2,
//! });
//! // Two sequential creates in flight get consecutive names.
//! for (zxid, expected) in [(1, "/q-0000000000"), (2, "/q-0000000001")] {
//!     let slot = TxnSlot { xid: Xid(zxid as i32), zxid: Zxid(zxid), time_ms: 1000 };
//!     let prepared = prep.prepare(&mut changes, &tree, &session, slot, &create("/q-"));
//!     let PrepOutcome::Txn(entry) = prepared.outcome else { panic!() };
//!     let Txn::Create(txn) = &entry.txn else { panic!() };
//!     assert_eq!(txn.path, expected);
//! }
//! ```

use bytes::Bytes;
use zk_proto::create_mode::{CreateMode, EphemeralOwner};
use zk_proto::path::validate_path;
use zk_proto::txn::{
    CheckVersionTxn, CloseSessionTxn, CreateContainerTxn, CreateSessionTxn, CreateTtlTxn,
    CreateTxn, DeleteTxn, ErrorTxn, SetAclTxn, SetDataTxn, Txn, TxnDigest, TxnHeader, TxnLogEntry,
};
use zk_proto::{Acl, ErrorCode, OpCode, Perms, Request, SessionId, StatPersisted, Xid, Zxid};

use crate::acl_check::AclChecker;
use crate::auth::AuthInfo;
use crate::data_tree::DataTree;
use crate::digest::DIGEST_VERSION;
use crate::outstanding_changes::{NodeView, OutstandingChanges};
use crate::quota::{check_quota, QuotaWarning};

/// How the server treats reconfig requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReconfigMode {
    /// `reconfigEnabled=false` (the default): RECONFIGDISABLED.
    #[default]
    Disabled,
    /// Enabled, but a standalone server: UNIMPLEMENTED.
    Standalone,
}

/// The server settings preparation depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrepSettings {
    /// `zookeeper.extendedTypesEnabled`: TTL nodes allowed (must match the tree's).
    pub extended_types_enabled: bool,
    /// `zookeeper.enforceQuota`: hard quota limits refuse writes.
    pub enforce_quota: bool,
    /// `zookeeper.digest.enabled` (default true): txns carry the tree digest after them.
    pub digest_enabled: bool,
    /// Reconfig handling.
    pub reconfig: ReconfigMode,
    /// `zookeeper.closeSessionTxn.enabled` (default true): closeSession txns list ephemerals.
    pub close_session_txn_enabled: bool,
}

impl Default for PrepSettings {
    fn default() -> Self {
        PrepSettings {
            extended_types_enabled: false,
            enforce_quota: false,
            digest_enabled: true,
            reconfig: ReconfigMode::Disabled,
            close_session_txn_enabled: true,
        }
    }
}

/// The session a request comes from, as the server's session tracker sees it.
#[derive(Debug, Clone, Copy)]
pub struct SessionInfo<'a> {
    /// The session id (the txn's client id).
    pub id: SessionId,
    /// The connection's auth ids.
    pub auth: &'a AuthInfo,
    /// A local session (`localSessionsEnabled`): no txn for its create/close, no ephemerals.
    pub local: bool,
    /// `checkSession`'s verdict: `Err(SessionExpired)` or `Err(SessionMoved)` fail every
    /// write at the point ZooKeeper checks the session.
    pub check: Result<(), ErrorCode>,
}

impl<'a> SessionInfo<'a> {
    /// A valid global session.
    pub fn global(id: SessionId, auth: &'a AuthInfo) -> Self {
        SessionInfo {
            id,
            auth,
            local: false,
            check: Ok(()),
        }
    }
}

/// Where the txn goes: the client's xid, the zxid the server assigns and the leader's clock.
/// The zxid and time are inputs because pending state (stats, digests) depends on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxnSlot {
    /// The request's xid (the txn header's cxid).
    pub xid: Xid,
    /// The zxid the txn will have.
    pub zxid: Zxid,
    /// The leader's wall clock, ms since the epoch.
    pub time_ms: i64,
}

/// What preparation decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrepOutcome {
    /// Propose this txn; an error txn for a failed write. It consumes `slot.zxid`.
    Txn(TxnLogEntry),
    /// No txn (not a write, or a local session's close): the zxid is not used. `Err` if the
    /// session check failed, to answer the request with.
    NoTxn(Result<(), ErrorCode>),
}

/// The outcome plus the soft quota limits the write exceeded (to log; see [`QuotaWarning`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The decision.
    pub outcome: PrepOutcome,
    /// Quota limits exceeded (hard ones also failed the write).
    pub quota_warnings: Vec<QuotaWarning>,
}

impl Prepared {
    /// The error a single write failed with (its error txn's code), if it failed.
    pub fn error(&self) -> Option<ErrorCode> {
        match &self.outcome {
            PrepOutcome::Txn(TxnLogEntry {
                txn: Txn::Error(e), ..
            }) => Some(e.err),
            PrepOutcome::NoTxn(Err(e)) => Some(*e),
            _ => None,
        }
    }
}

/// Turns requests into transactions (see the [module docs](self)).
#[derive(Debug, Clone, Default)]
pub struct PrepRequestProcessor {
    settings: PrepSettings,
    acl: AclChecker,
}

/// One preparation in progress: the inputs plus what it has found so far.
struct Prep<'a> {
    settings: &'a PrepSettings,
    acl: &'a AclChecker,
    changes: &'a mut OutstandingChanges,
    tree: &'a DataTree,
    session: &'a SessionInfo<'a>,
    slot: TxnSlot,
    warnings: Vec<QuotaWarning>,
}

/// A create's arguments, from any of the four create requests.
struct CreateArgs<'r> {
    op: OpCode,
    path: &'r str,
    data: &'r Option<Bytes>,
    acl: &'r [Acl],
    flags: i32,
    ttl: i64,
}

impl PrepRequestProcessor {
    /// A processor with these settings and ACL rules.
    pub fn new(settings: PrepSettings, acl: AclChecker) -> Self {
        PrepRequestProcessor { settings, acl }
    }

    /// The settings.
    pub fn settings(&self) -> &PrepSettings {
        &self.settings
    }

    /// The ACL checker.
    pub fn acl_checker(&self) -> &AclChecker {
        &self.acl
    }

    /// `pRequest`: prepares `request` from `session`. A write yields its txn (or error txn)
    /// and records its changes in `changes`; anything else yields [`PrepOutcome::NoTxn`].
    pub fn prepare(
        &self,
        changes: &mut OutstandingChanges,
        tree: &DataTree,
        session: &SessionInfo<'_>,
        slot: TxnSlot,
        request: &Request,
    ) -> Prepared {
        let mut prep = Prep {
            settings: &self.settings,
            acl: &self.acl,
            changes,
            tree,
            session,
            slot,
            warnings: Vec::new(),
        };
        let outcome = prep.request(request);
        Prepared {
            outcome,
            quota_warnings: prep.warnings,
        }
    }

    /// The createSession txn of a new global session (local sessions have none).
    pub fn prepare_create_session(
        &self,
        changes: &mut OutstandingChanges,
        tree: &DataTree,
        session_id: SessionId,
        timeout_ms: i32,
        slot: TxnSlot,
    ) -> TxnLogEntry {
        let auth = AuthInfo::default();
        let session = SessionInfo::global(session_id, &auth);
        let prep = Prep {
            settings: &self.settings,
            acl: &self.acl,
            changes,
            tree,
            session: &session,
            slot,
            warnings: Vec::new(),
        };
        let txn = Txn::CreateSession(CreateSessionTxn { timeout_ms });
        prep.entry(txn, true)
    }
}

impl Prep<'_> {
    fn header(&self) -> TxnHeader {
        TxnHeader {
            client_id: self.session.id,
            cxid: self.slot.xid,
            zxid: self.slot.zxid,
            time: self.slot.time_ms,
            txn_type: OpCode::Error, // replaced from the txn by TxnLogEntry::new
        }
    }

    /// The log entry for `txn`, with the tree digest after the pending changes when wanted.
    fn entry(&self, txn: Txn, with_digest: bool) -> TxnLogEntry {
        let digest = (with_digest && self.settings.digest_enabled).then(|| TxnDigest {
            version: DIGEST_VERSION,
            tree_digest: self.changes.tree_digest(self.tree),
        });
        TxnLogEntry::new(self.header(), txn, digest)
    }

    fn result(&self, result: Result<Txn, ErrorCode>) -> PrepOutcome {
        PrepOutcome::Txn(match result {
            Ok(txn) => self.entry(txn, true),
            // Apache sets no digest on a failed single write.
            Err(err) => self.entry(Txn::Error(ErrorTxn { err }), false),
        })
    }

    fn request(&mut self, request: &Request) -> PrepOutcome {
        let result = match request {
            Request::Create(r) => self.create(&CreateArgs::plain(OpCode::Create, r)),
            Request::Create2(r) => self.create(&CreateArgs::plain(OpCode::Create2, r)),
            Request::CreateContainer(r) => {
                self.create(&CreateArgs::plain(OpCode::CreateContainer, r))
            }
            Request::CreateTtl(r) => self.create(&CreateArgs {
                op: OpCode::CreateTtl,
                path: &r.path,
                data: &r.data,
                acl: &r.acl,
                flags: r.flags,
                ttl: r.ttl,
            }),
            Request::Delete(r) => self.delete(&r.path, r.version),
            Request::DeleteContainer(r) => self.delete_container(&r.path),
            Request::SetData(r) => self.set_data(&r.path, &r.data, r.version),
            Request::SetAcl(r) => self.set_acl(&r.path, &r.acl, r.version),
            Request::Reconfig(_) => self.reconfig(),
            Request::Multi(multi) => return self.multi(multi),
            Request::CloseSession if self.session.local => return PrepOutcome::NoTxn(Ok(())),
            Request::CloseSession => return PrepOutcome::Txn(self.close_session()),
            _ => return PrepOutcome::NoTxn(self.session.check),
        };
        self.result(result)
    }

    /// `getRecordForPath`: the node as pending changes leave it, or NONODE.
    fn record(&self, path: &str) -> Result<NodeView, ErrorCode> {
        self.changes.node(self.tree, path).ok_or(ErrorCode::NoNode)
    }

    /// `addChangeRecord`, with the tree digest after the change.
    fn add_change(&mut self, path: &str, node: Option<NodeView>) {
        let before = self.changes.node(self.tree, path).map_or(0, |n| n.digest);
        let after = node.as_ref().map_or(0, |n| n.digest);
        let tree_digest = (self.changes.tree_digest(self.tree) as u64)
            .wrapping_sub(before)
            .wrapping_add(after) as i64;
        self.changes.push(self.slot.zxid, path, node, tree_digest);
    }

    /// `checkSession`.
    fn check_session(&self) -> Result<(), ErrorCode> {
        self.session.check
    }

    /// `checkGlobalSession`: ephemerals need a global session.
    fn check_global_session(&self) -> Result<(), ErrorCode> {
        if self.session.local {
            return Err(ErrorCode::EphemeralOnLocalSession);
        }
        self.session.check
    }

    fn require(&self, acl: &[Acl], perm: Perms) -> Result<(), ErrorCode> {
        self.acl.require(acl, self.session.auth, perm)
    }

    fn owner(&self, raw: i64) -> Result<EphemeralOwner, ErrorCode> {
        // Java throws IllegalArgumentException for an unknown extended type: a marshalling
        // error for the request.
        EphemeralOwner::from_raw(raw, self.settings.extended_types_enabled)
            .ok_or(ErrorCode::MarshallingError)
    }

    fn create(&mut self, args: &CreateArgs<'_>) -> Result<Txn, ErrorCode> {
        let mode = CreateMode::from_flag(args.flags).ok_or(ErrorCode::BadArguments)?;
        if mode.is_ttl() && !self.settings.extended_types_enabled {
            return Err(ErrorCode::Unimplemented);
        }
        if !mode.is_valid_ttl(args.ttl) || (args.op == OpCode::CreateTtl && !mode.is_ttl()) {
            return Err(ErrorCode::BadArguments);
        }
        if mode.is_ephemeral() {
            self.check_global_session()?;
        } else {
            self.check_session()?;
        }
        let slash = args.path.rfind('/').ok_or(ErrorCode::BadArguments)?;
        if args.path.contains('\0') {
            return Err(ErrorCode::BadArguments);
        }
        let parent_path = &args.path[..slash];
        let acl = self.acl.fixup(args.acl, self.session.auth)?;
        let parent = self.record(parent_path)?;
        self.require(&parent.acl, Perms::CREATE)?;
        let path = if mode.is_sequential() {
            format!("{}{:010}", args.path, parent.stat.cversion)
        } else {
            args.path.to_owned()
        };
        validate_path(&path).map_err(|_| ErrorCode::BadArguments)?;
        if self.record(&path).is_ok() {
            return Err(ErrorCode::NodeExists);
        }
        if let EphemeralOwner::Session(_) = self.owner(parent.stat.ephemeral_owner)? {
            return Err(ErrorCode::NoChildrenForEphemerals);
        }
        let parent_cversion = parent.stat.cversion.wrapping_add(1);
        self.quota(&path, args.data.as_ref().map_or(0, |d| d.len() as i64), 1)?;
        let (txn, owner) = self.create_txn(args, mode, &path, acl.clone(), parent_cversion);
        self.add_created(parent_path, parent, &path, args.data, acl, owner);
        Ok(txn)
    }

    /// The create txn for the request's type, and the raw owner applying it will store.
    fn create_txn(
        &self,
        args: &CreateArgs<'_>,
        mode: CreateMode,
        path: &str,
        acl: Vec<Acl>,
        parent_cversion: i32,
    ) -> (Txn, i64) {
        let path = path.to_owned();
        let data = args.data.clone();
        match args.op {
            OpCode::CreateContainer => (
                Txn::CreateContainer(CreateContainerTxn {
                    path,
                    data,
                    acl,
                    parent_cversion,
                }),
                EphemeralOwner::CONTAINER_RAW,
            ),
            OpCode::CreateTtl => {
                let owner = EphemeralOwner::ttl(args.ttl).map_or(0, EphemeralOwner::raw);
                let ttl = args.ttl;
                let txn = CreateTtlTxn {
                    path,
                    data,
                    acl,
                    parent_cversion,
                    ttl,
                };
                (Txn::CreateTtl(txn), owner)
            }
            op => {
                let ephemeral = mode.is_ephemeral();
                let owner = if ephemeral { self.session.id.0 } else { 0 };
                let txn = CreateTxn {
                    path,
                    data,
                    acl,
                    ephemeral,
                    parent_cversion,
                };
                let txn = if op == OpCode::Create2 {
                    Txn::Create2(txn)
                } else {
                    Txn::Create(txn)
                };
                (txn, owner)
            }
        }
    }

    /// The pending records of a create: the parent gains a child, the node appears.
    fn add_created(
        &mut self,
        parent_path: &str,
        mut parent: NodeView,
        path: &str,
        data: &Option<Bytes>,
        acl: Vec<Acl>,
        owner: i64,
    ) {
        let (zxid, time) = (self.slot.zxid, self.slot.time_ms);
        parent.child_count = parent.child_count.saturating_add(1);
        parent.stat.cversion = parent.stat.cversion.wrapping_add(1);
        parent.stat.pzxid = zxid;
        parent.refresh_digest(normalize(parent_path));
        self.add_change(parent_path, Some(parent));
        let mut node = NodeView {
            stat: StatPersisted {
                czxid: zxid,
                mzxid: zxid,
                ctime: time,
                mtime: time,
                version: 0,
                cversion: 0,
                aversion: 0,
                ephemeral_owner: owner,
                pzxid: zxid,
            },
            data: data.clone(),
            acl: acl.into(),
            child_count: 0,
            digest: 0,
        };
        node.refresh_digest(path);
        self.add_change(path, Some(node));
    }

    /// `checkQuota` when enforcement is on: hard limits fail, soft ones are collected.
    fn quota(&mut self, path: &str, bytes_diff: i64, count_diff: i64) -> Result<(), ErrorCode> {
        if !self.settings.enforce_quota {
            return Ok(());
        }
        let found = check_quota(self.tree, path, bytes_diff, count_diff);
        let hard = found.iter().any(|w| w.hard);
        self.warnings.extend(found);
        if hard {
            Err(ErrorCode::QuotaExceeded)
        } else {
            Ok(())
        }
    }

    /// `getParentPathAndValidate`: the parent of a path to delete.
    fn parent_for_delete<'p>(&self, path: &'p str) -> Result<&'p str, ErrorCode> {
        let slash = path.rfind('/').ok_or(ErrorCode::BadArguments)?;
        if path.contains('\0') || DataTree::is_special_path(path) {
            return Err(ErrorCode::BadArguments);
        }
        Ok(&path[..slash])
    }

    fn delete(&mut self, path: &str, version: i32) -> Result<Txn, ErrorCode> {
        self.check_session()?;
        let parent_path = self.parent_for_delete(path)?;
        let parent = self.record(parent_path)?;
        self.require(&parent.acl, Perms::DELETE)?;
        let node = self.record(path)?;
        check_version(node.stat.version, version)?;
        if node.child_count > 0 {
            return Err(ErrorCode::NotEmpty);
        }
        self.add_deleted(parent_path, Some(parent), path);
        Ok(Txn::Delete(DeleteTxn {
            path: path.to_owned(),
        }))
    }

    fn delete_container(&mut self, path: &str) -> Result<Txn, ErrorCode> {
        let parent_path = self.parent_for_delete(path)?;
        let node = self.record(path)?;
        if node.child_count > 0 {
            return Err(ErrorCode::NotEmpty);
        }
        if let EphemeralOwner::Session(_) = self.owner(node.stat.ephemeral_owner)? {
            return Err(ErrorCode::BadVersion);
        }
        let parent = self.record(parent_path)?;
        self.add_deleted(parent_path, Some(parent), path);
        Ok(Txn::DeleteContainer(DeleteTxn {
            path: path.to_owned(),
        }))
    }

    /// The pending records of a delete: the parent loses a child, the node disappears.
    fn add_deleted(&mut self, parent_path: &str, parent: Option<NodeView>, path: &str) {
        if let Some(mut parent) = parent {
            parent.child_count = parent.child_count.saturating_sub(1);
            parent.stat.pzxid = self.slot.zxid;
            parent.refresh_digest(normalize(parent_path));
            self.add_change(parent_path, Some(parent));
        }
        self.add_change(path, None);
    }

    fn set_data(
        &mut self,
        path: &str,
        data: &Option<Bytes>,
        version: i32,
    ) -> Result<Txn, ErrorCode> {
        self.check_session()?;
        validate_path(path).map_err(|_| ErrorCode::BadArguments)?;
        let mut node = self.record(path)?;
        self.require(&node.acl, Perms::WRITE)?;
        let len = |d: &Option<Bytes>| d.as_ref().map_or(0, |d| d.len() as i64);
        self.quota(path, len(data) - len(&node.data), 0)?;
        let new_version = check_version(node.stat.version, version)?;
        node.stat.version = new_version;
        node.stat.mtime = self.slot.time_ms;
        node.stat.mzxid = self.slot.zxid;
        node.data = data.clone();
        node.refresh_digest(path);
        self.add_change(path, Some(node));
        Ok(Txn::SetData(SetDataTxn {
            path: path.to_owned(),
            data: data.clone(),
            version: new_version,
        }))
    }

    fn set_acl(&mut self, path: &str, acl: &[Acl], version: i32) -> Result<Txn, ErrorCode> {
        self.check_session()?;
        validate_path(path).map_err(|_| ErrorCode::BadArguments)?;
        let acl = self.acl.fixup(acl, self.session.auth)?;
        let mut node = self.record(path)?;
        self.require(&node.acl, Perms::ADMIN)?;
        let new_version = check_version(node.stat.aversion, version)?;
        node.stat.aversion = new_version;
        node.acl = acl.clone().into();
        node.refresh_digest(path);
        self.add_change(path, Some(node));
        Ok(Txn::SetAcl(SetAclTxn {
            path: path.to_owned(),
            acl,
            version: new_version,
        }))
    }

    fn check(&mut self, path: &str, version: i32) -> Result<Txn, ErrorCode> {
        self.check_session()?;
        validate_path(path).map_err(|_| ErrorCode::BadArguments)?;
        let node = self.record(path)?;
        self.require(&node.acl, Perms::READ)?;
        let version = check_version(node.stat.version, version)?;
        Ok(Txn::Check(CheckVersionTxn {
            path: path.to_owned(),
            version,
        }))
    }

    fn reconfig(&mut self) -> Result<Txn, ErrorCode> {
        match self.settings.reconfig {
            ReconfigMode::Disabled => Err(ErrorCode::ReconfigDisabled),
            ReconfigMode::Standalone => {
                self.check_session()?;
                Err(ErrorCode::Unimplemented)
            }
        }
    }

    /// closeSession: a txn listing the session's ephemerals, pending ones included and
    /// pending deletes excluded, each recorded as deleted.
    fn close_session(&mut self) -> TxnLogEntry {
        let id = self.session.id;
        let mut paths: std::collections::BTreeSet<String> =
            self.tree.ephemerals(id).into_iter().collect();
        for record in self.changes.records() {
            match &record.node {
                None => {
                    paths.remove(&*record.path);
                }
                Some(node) if node.stat.ephemeral_owner == id.0 => {
                    paths.insert(record.path.to_string());
                }
                Some(_) => {}
            }
        }
        for path in &paths {
            let parent_path = zk_proto::path::parent(path).unwrap_or("/");
            let parent = self.changes.node(self.tree, parent_path);
            self.add_deleted(parent_path, parent, path);
        }
        let body = self
            .settings
            .close_session_txn_enabled
            .then(|| CloseSessionTxn {
                paths_to_delete: paths.into_iter().collect(),
            });
        self.entry(Txn::CloseSession(body), true)
    }
}

/// `checkAndIncVersion`: -1 matches any version; returns the next version (wrapping as Java's
/// int does).
fn check_version(current: i32, expected: i32) -> Result<i32, ErrorCode> {
    if expected != -1 && expected != current {
        return Err(ErrorCode::BadVersion);
    }
    Ok(current.wrapping_add(1))
}

/// The root's pending record is "/" however the path spelled it.
fn normalize(path: &str) -> &str {
    if path.is_empty() {
        "/"
    } else {
        path
    }
}

impl<'r> CreateArgs<'r> {
    fn plain(op: OpCode, r: &'r zk_proto::CreateRequest) -> Self {
        CreateArgs {
            op,
            path: &r.path,
            data: &r.data,
            acl: &r.acl,
            flags: r.flags,
            ttl: -1,
        }
    }
}

#[path = "prep_multi.rs"]
mod multi;

#[cfg(test)]
#[path = "prep_tests.rs"]
mod tests;
