//! Model-based properties of [`DataTree::apply`].
//!
//! The reference model is deliberately naive: a `BTreeMap` from full path to node, in which
//! children, numChildren, the client cversion, the ephemeral indexes, the data size and the
//! digest are all recomputed from scratch by scanning the map. The rules it encodes are Apache
//! ZooKeeper's `DataTree.processTxn` (see `src/apply.rs` for the list). quickcheck generates
//! random transaction scripts over a small namespace (so that creates collide, deletes miss,
//! parents vanish); after every transaction the tree and the model must agree on the result,
//! the triggers, and every node's Stat, data, ACL and children. quickcheck prints the failing
//! script.

use std::collections::BTreeMap;

use bytes::Bytes;
use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};
use zk_proto::txn::{
    CheckVersionTxn, CloseSessionTxn, CreateContainerTxn, CreateSessionTxn, CreateTtlTxn,
    CreateTxn, DeleteTxn, ErrorTxn, SetAclTxn, SetDataTxn, Txn, TxnHeader,
};
use zk_proto::{
    Acl, ErrorCode, EventType, Id, OpCode, Perms, SessionId, Stat, StatPersisted, Xid, Zxid,
};
use zk_tree::digest::{node_digest, TreeDigest};
use zk_tree::{DataTree, OpResult, WatchTable};

// ---------------------------------------------------------------- the reference model

#[derive(Debug, Clone, PartialEq)]
struct MNode {
    data: Option<Vec<u8>>,
    acl: Vec<Acl>,
    stat: StatPersisted,
}

#[derive(Debug, Clone)]
struct Model {
    /// Full path → node; the root is "/".
    nodes: BTreeMap<String, MNode>,
    extended: bool,
    last_zxid: Zxid,
}

/// A trigger as the model sees it: (path, event, table).
type MTrigger = (String, EventType, WatchTable, Vec<Acl>);

fn norm(path: &str) -> &str {
    if path.is_empty() {
        "/"
    } else {
        path
    }
}

/// (parent key, name) of a path.
fn split(path: &str) -> Option<(&str, &str)> {
    let i = path.rfind('/')?;
    Some((norm(&path[..i]), &path[i + 1..]))
}

impl Model {
    fn new(extended: bool) -> Self {
        let node = |acl: Vec<Acl>| MNode {
            data: Some(Vec::new()),
            acl,
            stat: StatPersisted::default(),
        };
        let mut nodes = BTreeMap::new();
        for p in ["/", "/zookeeper", "/zookeeper/quota"] {
            nodes.insert(p.to_owned(), node(Acl::open_acl_unsafe()));
        }
        let mut config = node(Acl::read_acl_unsafe());
        config.stat.aversion = -1;
        nodes.insert("/zookeeper/config".to_owned(), config);
        Model {
            nodes,
            extended,
            last_zxid: Zxid(0),
        }
    }

    fn children(&self, path: &str) -> Vec<String> {
        self.nodes
            .keys()
            .filter(|k| k.as_str() != "/" && split(k).map(|(p, _)| p) == Some(path))
            .map(|k| split(k).unwrap().1.to_owned())
            .collect()
    }

    fn kind(&self, owner: i64) -> &'static str {
        if owner == 0 {
            "void"
        } else if owner == i64::MIN {
            "container"
        } else if self.extended
            && (owner as u64) >> 56 == 0xFF
            && owner & 0x00FF_FF00_0000_0000 == 0
        {
            "ttl"
        } else {
            "session"
        }
    }

    fn stat(&self, path: &str) -> Stat {
        let n = &self.nodes[path];
        let num_children = self.children(path).len() as i32;
        Stat {
            czxid: n.stat.czxid,
            mzxid: n.stat.mzxid,
            ctime: n.stat.ctime,
            mtime: n.stat.mtime,
            version: n.stat.version,
            cversion: n.stat.cversion.wrapping_mul(2).wrapping_sub(num_children),
            aversion: n.stat.aversion,
            ephemeral_owner: if self.kind(n.stat.ephemeral_owner) == "session" {
                n.stat.ephemeral_owner
            } else {
                0
            },
            data_length: n.data.as_ref().map_or(0, |d| d.len() as i32),
            num_children,
            pzxid: n.stat.pzxid,
        }
    }

    fn with_kind(&self, kind: &str) -> Vec<String> {
        let nodes = self.nodes.iter();
        nodes
            .filter(|(_, n)| self.kind(n.stat.ephemeral_owner) == kind)
            .map(|(p, _)| p.clone())
            .collect()
    }

    fn ephemerals(&self, session: SessionId) -> Vec<String> {
        let nodes = self.nodes.iter();
        nodes
            .filter(|(_, n)| n.stat.ephemeral_owner == session.0)
            .filter(|(_, n)| self.kind(n.stat.ephemeral_owner) == "session")
            .map(|(p, _)| p.clone())
            .collect()
    }

    fn digest(&self) -> i64 {
        let mut d = TreeDigest::default();
        for (p, n) in &self.nodes {
            d.add(node_digest(p, n.data.as_deref(), &n.stat));
        }
        d.value()
    }

    fn data_size(&self) -> i64 {
        let utf16 = |s: &str| s.encode_utf16().count() as i64;
        let len = |n: &MNode| n.data.as_ref().map_or(0, |d| d.len() as i64);
        let paths: i64 = self
            .nodes
            .keys()
            .filter(|p| *p != "/")
            .map(|p| utf16(p))
            .sum();
        let data: i64 = self.nodes.values().map(len).sum();
        paths + data + 1 + len(&self.nodes["/"])
    }

    // ---- apply ----

    fn apply(&mut self, h: &TxnHeader, txn: &Txn, out: &mut Vec<MTrigger>) -> OpResult {
        let r = match txn {
            Txn::CreateSession(_) => OpResult::SessionCreated,
            Txn::CloseSession(body) => {
                let listed: Vec<String> =
                    body.as_ref().map_or(vec![], |b| b.paths_to_delete.clone());
                let local = self.ephemerals(h.client_id);
                let rest: Vec<String> = local.into_iter().filter(|p| !listed.contains(p)).collect();
                for p in listed.iter().chain(&rest) {
                    let _ = self.delete(h, p, out);
                }
                OpResult::SessionClosed
            }
            Txn::Multi(subs) => {
                let failed = subs.iter().any(|t| matches!(t, Txn::Error(_)));
                let mut after = false;
                let mut results = Vec::new();
                for sub in subs {
                    results.push(match sub {
                        Txn::Error(e) => {
                            after = true;
                            OpResult::Error(e.err)
                        }
                        _ if failed && after => OpResult::Error(ErrorCode::RuntimeInconsistency),
                        _ if failed => OpResult::Error(ErrorCode::Ok),
                        Txn::Multi(_) | Txn::CreateSession(_) | Txn::CloseSession(_) => {
                            OpResult::Error(ErrorCode::MarshallingError)
                        }
                        _ => self.single(h, sub, out),
                    });
                }
                OpResult::Multi(results)
            }
            _ => self.single(h, txn, out),
        };
        self.last_zxid = self.last_zxid.max(h.zxid);
        r
    }

    fn single(&mut self, h: &TxnHeader, txn: &Txn, out: &mut Vec<MTrigger>) -> OpResult {
        let created = |r: Result<Stat, ErrorCode>, path: &str| match r {
            Ok(stat) => OpResult::Created {
                path: path.to_owned(),
                stat,
            },
            Err(e) => OpResult::Error(e),
        };
        match txn {
            Txn::Create(t) | Txn::Create2(t) => {
                let owner = if t.ephemeral { h.client_id.0 } else { 0 };
                let r = self.create(h, &t.path, &t.data, &t.acl, owner, t.parent_cversion, out);
                if r == Err(ErrorCode::NodeExists) && matches!(txn, Txn::Create(_)) {
                    let parent = norm(&t.path[..t.path.rfind('/').unwrap()]).to_owned();
                    let p = &mut self.nodes.get_mut(&parent).unwrap().stat;
                    let cv = if t.parent_cversion == -1 {
                        p.cversion + 1
                    } else {
                        t.parent_cversion
                    };
                    if cv > p.cversion {
                        p.cversion = cv;
                        p.pzxid = h.zxid;
                    }
                }
                created(r, &t.path)
            }
            Txn::CreateTtl(t) => {
                if !(1..=0xFF_FFFF_FFFF).contains(&t.ttl) {
                    return OpResult::Error(ErrorCode::BadArguments);
                }
                let owner = (0xFF00_0000_0000_0000_u64 as i64) | t.ttl;
                created(
                    self.create(h, &t.path, &t.data, &t.acl, owner, t.parent_cversion, out),
                    &t.path,
                )
            }
            Txn::CreateContainer(t) => created(
                self.create(
                    h,
                    &t.path,
                    &t.data,
                    &t.acl,
                    i64::MIN,
                    t.parent_cversion,
                    out,
                ),
                &t.path,
            ),
            Txn::Delete(t) | Txn::DeleteContainer(t) => match self.delete(h, &t.path, out) {
                Ok(()) => OpResult::Deleted {
                    path: t.path.clone(),
                },
                Err(e) => OpResult::Error(e),
            },
            Txn::SetData(t) | Txn::Reconfig(t) => {
                let Some(n) = self
                    .nodes
                    .get_mut(norm(&t.path))
                    .filter(|_| t.path.starts_with('/') || t.path.is_empty())
                else {
                    return OpResult::Error(ErrorCode::NoNode);
                };
                n.data = t.data.as_ref().map(|d| d.to_vec());
                n.stat.mtime = h.time;
                n.stat.mzxid = h.zxid;
                n.stat.version = t.version;
                let acl = n.acl.clone();
                out.push((
                    norm(&t.path).into(),
                    EventType::NodeDataChanged,
                    WatchTable::Data,
                    acl,
                ));
                OpResult::DataSet {
                    path: t.path.clone(),
                    stat: self.stat(norm(&t.path)),
                }
            }
            Txn::SetAcl(t) => {
                let Some(n) = self
                    .nodes
                    .get_mut(norm(&t.path))
                    .filter(|_| t.path.starts_with('/') || t.path.is_empty())
                else {
                    return OpResult::Error(ErrorCode::NoNode);
                };
                n.acl = t.acl.clone();
                n.stat.aversion = t.version;
                OpResult::AclSet {
                    path: t.path.clone(),
                    stat: self.stat(norm(&t.path)),
                }
            }
            Txn::Check(t) => OpResult::Checked {
                path: t.path.clone(),
            },
            Txn::Error(e) => OpResult::Error(e.err),
            _ => OpResult::Error(ErrorCode::MarshallingError),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn create(
        &mut self,
        h: &TxnHeader,
        path: &str,
        data: &Option<Bytes>,
        acl: &[Acl],
        owner: i64,
        parent_cversion: i32,
        out: &mut Vec<MTrigger>,
    ) -> Result<Stat, ErrorCode> {
        let (parent, _) = split(path).ok_or(ErrorCode::NoNode)?;
        let parent = parent.to_owned();
        if !self.nodes.contains_key(&parent) {
            return Err(ErrorCode::NoNode);
        }
        if let Some(n) = self.nodes.get_mut(norm(path)) {
            n.acl = acl.to_vec();
            return Err(ErrorCode::NodeExists);
        }
        if split(path).unwrap().1.is_empty() {
            return Err(ErrorCode::BadArguments);
        }
        let p = self.nodes.get_mut(&parent).unwrap();
        let cv = if parent_cversion == -1 {
            p.stat.cversion + 1
        } else {
            parent_cversion
        };
        if cv > p.stat.cversion {
            p.stat.cversion = cv;
            p.stat.pzxid = h.zxid;
        }
        let parent_acl = p.acl.clone();
        let stat = StatPersisted {
            czxid: h.zxid,
            mzxid: h.zxid,
            ctime: h.time,
            mtime: h.time,
            version: 0,
            cversion: 0,
            aversion: 0,
            ephemeral_owner: owner,
            pzxid: h.zxid,
        };
        let node = MNode {
            data: data.as_ref().map(|d| d.to_vec()),
            acl: acl.to_vec(),
            stat,
        };
        self.nodes.insert(path.to_owned(), node);
        out.push((
            path.into(),
            EventType::NodeCreated,
            WatchTable::Data,
            acl.to_vec(),
        ));
        out.push((
            parent,
            EventType::NodeChildrenChanged,
            WatchTable::Child,
            parent_acl,
        ));
        Ok(self.stat(path))
    }

    fn delete(
        &mut self,
        h: &TxnHeader,
        path: &str,
        out: &mut Vec<MTrigger>,
    ) -> Result<(), ErrorCode> {
        let (parent, name) = split(path).ok_or(ErrorCode::NoNode)?;
        let parent = parent.to_owned();
        let p = self.nodes.get_mut(&parent).ok_or(ErrorCode::NoNode)?;
        p.stat.pzxid = p.stat.pzxid.max(h.zxid);
        let parent_acl = p.acl.clone();
        if name.is_empty() && parent == "/" {
            return Err(ErrorCode::NoNode); // "/" is not a child of the root
        }
        let node = self.nodes.remove(path).ok_or(ErrorCode::NoNode)?;
        let prefix = format!("{path}/");
        self.nodes.retain(|k, _| !k.starts_with(&prefix));
        out.push((
            path.into(),
            EventType::NodeDeleted,
            WatchTable::DataThenChild,
            node.acl,
        ));
        out.push((
            parent,
            EventType::NodeChildrenChanged,
            WatchTable::Child,
            parent_acl,
        ));
        Ok(())
    }
}

// ---------------------------------------------------------------- comparing

fn assert_agree(tree: &DataTree, model: &Model) -> Result<(), String> {
    let check = |ok: bool, what: String| if ok { Ok(()) } else { Err(what) };
    check(
        tree.node_count() == model.nodes.len(),
        format!("node count {} vs {}", tree.node_count(), model.nodes.len()),
    )?;
    for (path, n) in &model.nodes {
        let node = tree.node(path).ok_or(format!("{path} missing from tree"))?;
        check(
            tree.stat(path) == Some(model.stat(path)),
            format!(
                "stat of {path}: {:?} vs {:?}",
                tree.stat(path),
                model.stat(path)
            ),
        )?;
        check(
            node.stat_persisted() == n.stat,
            format!("stored stat of {path}"),
        )?;
        check(
            node.data().map(|d| d.to_vec()) == n.data,
            format!("data of {path}"),
        )?;
        check(
            &**tree.acl_of(node) == n.acl.as_slice(),
            format!("acl of {path}"),
        )?;
        let mut names: Vec<String> = tree.children_of(node).map(str::to_owned).collect();
        names.sort();
        let mut expected = model.children(path);
        expected.sort();
        check(
            names == expected,
            format!("children of {path}: {names:?} vs {expected:?}"),
        )?;
        check(
            tree.all_children_number(path)
                == Some(
                    model
                        .nodes
                        .keys()
                        .filter(|k| path == "/" && *k != "/" || k.starts_with(&format!("{path}/")))
                        .count(),
                ),
            format!("all children of {path}"),
        )?;
    }
    for s in 1..=3 {
        check(
            tree.ephemerals(SessionId(s)) == model.ephemerals(SessionId(s)),
            format!("ephemerals of {s}"),
        )?;
    }
    check(
        tree.containers() == model.with_kind("container"),
        "containers".into(),
    )?;
    check(tree.ttls() == model.with_kind("ttl"), "ttls".into())?;
    check(tree.digest() == model.digest(), "digest".into())?;
    check(
        tree.approximate_data_size() == model.data_size(),
        format!(
            "data size {} vs {}",
            tree.approximate_data_size(),
            model.data_size()
        ),
    )?;
    check(
        tree.last_processed_zxid() == model.last_zxid,
        "last zxid".into(),
    )
}

// ---------------------------------------------------------------- generating scripts

/// One transaction of a script and the session that issued it.
#[derive(Debug, Clone)]
struct Step {
    session: i64,
    txn: Txn,
}

/// A generated script; `extended` is `zookeeper.extendedTypesEnabled`.
#[derive(Debug, Clone)]
struct Script {
    extended: bool,
    steps: Vec<Step>,
}

fn pick<T: Clone>(g: &mut Gen, items: &[T]) -> T {
    g.choose(items).unwrap().clone()
}

fn gen_path(g: &mut Gen) -> String {
    if u8::arbitrary(g) % 16 == 0 {
        return pick(g, &["/", "/zookeeper", "/zookeeper/quota"]).to_owned();
    }
    let depth = 1 + usize::arbitrary(g) % 3;
    (0..depth)
        .map(|_| format!("/{}", pick(g, &["a", "b", "c"])))
        .collect()
}

fn gen_data(g: &mut Gen) -> Option<Bytes> {
    match u8::arbitrary(g) % 4 {
        0 => None,
        1 => Some(Bytes::new()),
        _ => Some(Bytes::from(vec![u8::arbitrary(g); usize::arbitrary(g) % 5])),
    }
}

fn gen_acl(g: &mut Gen) -> Vec<Acl> {
    match u8::arbitrary(g) % 3 {
        0 => Acl::open_acl_unsafe(),
        1 => Acl::read_acl_unsafe(),
        _ => vec![Acl::new(Perms::ALL, Id::new("digest", "u:h"))],
    }
}

fn gen_cversion(g: &mut Gen) -> i32 {
    pick(g, &[-1, 0, 1, 2, 3, 5, 8])
}

/// A txn allowed inside a multi (or at top level).
fn gen_sub(g: &mut Gen) -> Txn {
    let path = gen_path(g);
    match u8::arbitrary(g) % 10 {
        0 | 1 => Txn::Create(CreateTxn {
            path,
            data: gen_data(g),
            acl: gen_acl(g),
            ephemeral: bool::arbitrary(g),
            parent_cversion: gen_cversion(g),
        }),
        2 => Txn::Create2(CreateTxn {
            path,
            data: gen_data(g),
            acl: gen_acl(g),
            ephemeral: bool::arbitrary(g),
            parent_cversion: gen_cversion(g),
        }),
        3 => Txn::CreateContainer(CreateContainerTxn {
            path,
            data: gen_data(g),
            acl: gen_acl(g),
            parent_cversion: gen_cversion(g),
        }),
        4 => Txn::CreateTtl(CreateTtlTxn {
            path,
            data: gen_data(g),
            acl: gen_acl(g),
            parent_cversion: gen_cversion(g),
            ttl: pick(g, &[0, 1, 1000]),
        }),
        5 | 6 => Txn::Delete(DeleteTxn { path }),
        7 => Txn::SetData(SetDataTxn {
            path,
            data: gen_data(g),
            version: i32::from(u8::arbitrary(g) % 4),
        }),
        8 => Txn::Check(CheckVersionTxn { path, version: 0 }),
        _ => Txn::Error(ErrorTxn {
            err: pick(
                g,
                &[
                    ErrorCode::Ok,
                    ErrorCode::NodeExists,
                    ErrorCode::RuntimeInconsistency,
                ],
            ),
        }),
    }
}

fn gen_txn(g: &mut Gen) -> Txn {
    match u8::arbitrary(g) % 12 {
        0 => Txn::SetAcl(SetAclTxn {
            path: gen_path(g),
            acl: gen_acl(g),
            version: i32::from(u8::arbitrary(g) % 3),
        }),
        1 => Txn::Multi(
            (0..1 + usize::arbitrary(g) % 3)
                .map(|_| gen_sub(g))
                .collect(),
        ),
        2 => Txn::CloseSession(if bool::arbitrary(g) {
            Some(CloseSessionTxn {
                paths_to_delete: (0..usize::arbitrary(g) % 3).map(|_| gen_path(g)).collect(),
            })
        } else {
            None
        }),
        3 => Txn::CreateSession(CreateSessionTxn { timeout_ms: 4000 }),
        _ => loop {
            let t = gen_sub(g);
            if !matches!(t, Txn::Check(_)) {
                break t;
            }
        },
    }
}

impl Arbitrary for Script {
    fn arbitrary(g: &mut Gen) -> Self {
        let len = usize::arbitrary(g) % 60;
        Script {
            extended: bool::arbitrary(g),
            steps: (0..len)
                .map(|_| Step {
                    session: 1 + i64::from(u8::arbitrary(g) % 3),
                    txn: gen_txn(g),
                })
                .collect(),
        }
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        let this = self.clone();
        Box::new((0..self.steps.len()).rev().map(move |i| {
            let mut s = this.clone();
            s.steps.remove(i);
            s
        }))
    }
}

fn header(step: &Step, i: usize) -> TxnHeader {
    TxnHeader {
        client_id: SessionId(step.session),
        cxid: Xid(0),
        zxid: Zxid(i as i64 + 1),
        time: 1000 + i as i64,
        txn_type: OpCode::Error,
    }
}

fn tree_and_model_agree(script: Script) -> TestResult {
    let mut tree = DataTree::with_extended_types(script.extended);
    let mut model = Model::new(script.extended);
    for (i, step) in script.steps.iter().enumerate() {
        let h = header(step, i);
        let outcome = tree.apply(&h, &step.txn);
        let mut expected = Vec::new();
        let result = model.apply(&h, &step.txn, &mut expected);
        if outcome.result != result {
            return TestResult::error(format!(
                "step {i}: result {:?} vs model {result:?}",
                outcome.result
            ));
        }
        let fired: Vec<MTrigger> = outcome
            .triggers
            .iter()
            .map(|t| (t.path.clone(), t.event, t.table, t.acl.to_vec()))
            .collect();
        if fired != expected {
            return TestResult::error(format!(
                "step {i}: triggers {fired:?} vs model {expected:?}"
            ));
        }
        if let Err(e) = assert_agree(&tree, &model) {
            return TestResult::error(format!("step {i}: {e}"));
        }
    }
    TestResult::passed()
}

#[test]
fn data_tree_agrees_with_naive_model_on_random_scripts() {
    QuickCheck::new()
        .tests(300)
        .quickcheck(tree_and_model_agree as fn(Script) -> TestResult);
}

// ---------------------------------------------------------------- fuzzy snapshot replay

/// A script of txns a correct PrepRequestProcessor could have produced, generated against the
/// model as it goes (parents exist, parentCVersion is the parent's next, versions increment).
#[derive(Debug, Clone)]
struct ValidScript(Vec<Step>);

fn gen_valid_step(g: &mut Gen, m: &Model) -> Step {
    let session = 1 + i64::from(u8::arbitrary(g) % 3);
    let paths: Vec<String> = m
        .nodes
        .keys()
        .filter(|p| !p.starts_with("/zookeeper"))
        .cloned()
        .collect();
    let path = pick(g, &paths);
    let n = &m.nodes[&path];
    let txn = match u8::arbitrary(g) % 6 {
        0 | 1 if m.kind(n.stat.ephemeral_owner) != "session" => {
            let child = if path == "/" {
                format!("/{}", pick(g, &["a", "b", "c"]))
            } else {
                format!("{path}/{}", pick(g, &["a", "b", "c"]))
            };
            if m.nodes.contains_key(&child) {
                Txn::Error(ErrorTxn {
                    err: ErrorCode::NodeExists,
                })
            } else {
                Txn::Create(CreateTxn {
                    path: child,
                    data: gen_data(g),
                    acl: gen_acl(g),
                    ephemeral: bool::arbitrary(g),
                    parent_cversion: n.stat.cversion + 1,
                })
            }
        }
        2 if path != "/" && m.children(&path).is_empty() => Txn::Delete(DeleteTxn { path }),
        3 => Txn::SetData(SetDataTxn {
            path,
            data: gen_data(g),
            version: n.stat.version + 1,
        }),
        4 => Txn::SetAcl(SetAclTxn {
            path,
            acl: gen_acl(g),
            version: n.stat.aversion + 1,
        }),
        5 => Txn::CloseSession(Some(CloseSessionTxn {
            paths_to_delete: m.ephemerals(SessionId(session)),
        })),
        _ => Txn::Error(ErrorTxn {
            err: ErrorCode::BadVersion,
        }),
    };
    Step { session, txn }
}

impl Arbitrary for ValidScript {
    fn arbitrary(g: &mut Gen) -> Self {
        let mut model = Model::new(false);
        let mut steps = Vec::new();
        for i in 0..usize::arbitrary(g) % 80 {
            let step = gen_valid_step(g, &model);
            model.apply(&header(&step, i), &step.txn, &mut Vec::new());
            steps.push(step);
        }
        ValidScript(steps)
    }
}

/// Snapshot after txn `k`, then replay the log from txn `j <= k`: txns `j..k` are applied twice.
fn fuzzy_replay_converges(script: ValidScript, j: usize, k: usize) -> TestResult {
    let steps = &script.0;
    if steps.is_empty() {
        return TestResult::discard();
    }
    let k = k % (steps.len() + 1);
    let j = j % (k + 1);
    let mut straight = DataTree::new();
    let mut fuzzy = DataTree::new();
    for (i, step) in steps.iter().enumerate() {
        straight.apply(&header(step, i), &step.txn);
    }
    for (i, step) in steps.iter().enumerate().take(k) {
        fuzzy.apply(&header(step, i), &step.txn);
    }
    for (i, step) in steps.iter().enumerate().skip(j) {
        fuzzy.apply(&header(step, i), &step.txn);
    }
    if fuzzy.digest() != straight.digest() {
        return TestResult::error(format!(
            "digest differs replaying from {j} over a snapshot at {k}"
        ));
    }
    let mut cursor = straight.preorder();
    while let Some((path, node)) = cursor.next_node() {
        let (a, b) = (fuzzy.stat(path), Some(straight.stat_of(node)));
        if a != b || fuzzy.acl(path) != Some(straight.acl_of(node)) {
            return TestResult::error(format!("{path}: {a:?} vs {b:?}"));
        }
    }
    TestResult::from_bool(
        fuzzy.node_count() == straight.node_count()
            && fuzzy.ephemeral_sessions() == straight.ephemeral_sessions(),
    )
}

#[test]
fn replaying_from_a_midpoint_over_a_later_snapshot_yields_the_same_tree() {
    QuickCheck::new()
        .tests(300)
        .quickcheck(fuzzy_replay_converges as fn(ValidScript, usize, usize) -> TestResult);
}
