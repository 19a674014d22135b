//! [`DataTree::apply`]: committing one transaction, and the [`ApplyOutcome`] it returns.
//!
//! This is Apache ZooKeeper's `DataTree.processTxn`, with the same tolerance: a transaction is
//! applied to whatever the tree holds, so replaying the log over a *fuzzy* snapshot (taken
//! while writes went on, so it already contains some of the txns that follow it) converges.
//!
//! - create of a path ending in '/' (an empty name, which path validation never lets through):
//!   `BADARGUMENTS`, nothing created.
//! - create of an existing node: `NODEEXISTS`, nothing created; the existing node takes the
//!   txn's ACL (as Apache does) and, for a plain `create` (type 1), the parent's
//!   cversion/pzxid are raised to the txn's (`setCversionPzxid`).
//! - create raises the parent's stored cversion to the txn's `parentCVersion` (−1: one more)
//!   and sets its pzxid only if that is larger than what the parent has.
//! - delete of a missing node: `NONODE`, but the parent's pzxid still moves up to the zxid.
//! - setData / setACL write the version carried by the txn rather than incrementing.
//! - multi: if any sub-txn is an error txn, nothing is applied and every sub-result is an
//!   error (0 before the first failure, −2 after it). Otherwise each sub-txn is applied in
//!   order with the multi's zxid; a sub-txn that fails on replay fails alone, exactly as in
//!   Apache, because a fuzzy snapshot may hold part of a multi.
//!
//! Watches are not kept here: the outcome lists [`WatchTrigger`]s, in the order Apache fires
//! them, for the WatchManager to turn into notifications.

use std::collections::HashSet;
use std::sync::Arc;

use bytes::Bytes;
use zk_proto::create_mode::EphemeralOwner;
use zk_proto::txn::{Txn, TxnHeader};
use zk_proto::{Acl, ErrorCode, EventType, SessionId, Stat, StatPersisted, Zxid};

use crate::data_tree::{node_size, DataTree, ROOT};
use crate::digest::node_digest;
use crate::node_ref::NodeId;
use crate::quota::{self, QuotaUpdate};

/// Which of the server's two watch tables a trigger fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatchTable {
    /// `dataWatches` (getData and exists watches, persistent and persistent-recursive ones).
    Data,
    /// `childWatches` (getChildren watches, persistent ones).
    Child,
    /// `dataWatches`, then `childWatches` skipping every watcher the first already notified
    /// (a deleted node: one NodeDeleted per watcher).
    DataThenChild,
}

/// One `triggerWatch` call of Apache's DataTree, as a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchTrigger {
    /// The path whose watchers fire ("/" for the root).
    pub path: String,
    /// The event they receive.
    pub event: EventType,
    /// Which table(s) fire.
    pub table: WatchTable,
    /// The ACL of the node the event is about, for the READ check before delivery
    /// (CVE-2024-23944); for a deleted node, the ACL it had.
    pub acl: Arc<[Acl]>,
}

/// The result of one transaction (Apache's `ProcessTxnResult`), what the reply is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpResult {
    /// A node was created at `path` (the full path, sequence suffix included).
    Created {
        /// The created node's path.
        path: String,
        /// Its client-visible stat right after creation.
        stat: Stat,
    },
    /// The node at `path` was deleted.
    Deleted {
        /// The deleted node's path.
        path: String,
    },
    /// setData (or reconfig) changed the node at `path`.
    DataSet {
        /// The node's path.
        path: String,
        /// Its stat after the change.
        stat: Stat,
    },
    /// setACL changed the node at `path`.
    AclSet {
        /// The node's path.
        path: String,
        /// Its stat after the change.
        stat: Stat,
    },
    /// A check inside a multi (it changes nothing).
    Checked {
        /// The checked path.
        path: String,
    },
    /// createSession (the tree is unchanged; sessions are the server's).
    SessionCreated,
    /// closeSession: the session's ephemerals are gone.
    SessionClosed,
    /// An error txn, or a txn that failed when applied (only possible on replay).
    Error(ErrorCode),
    /// A multi's per-op results, in order.
    Multi(Vec<OpResult>),
}

impl OpResult {
    /// The result code: `Ok` unless an error; for a multi the first non-zero sub-result code
    /// (Apache's `rc.err`; the multi reply header itself still carries 0).
    pub fn err(&self) -> ErrorCode {
        match self {
            OpResult::Error(code) => *code,
            OpResult::Multi(results) => results
                .iter()
                .map(OpResult::err)
                .find(|e| !e.is_ok())
                .unwrap_or(ErrorCode::Ok),
            _ => ErrorCode::Ok,
        }
    }
}

/// What [`DataTree::apply`] did: the result for the reply and the watches to fire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOutcome {
    /// The transaction's zxid (the reply header's zxid and 3.9's notification zxid).
    pub zxid: Zxid,
    /// The result.
    pub result: OpResult,
    /// Watch triggers in the order Apache fires them.
    pub triggers: Vec<WatchTrigger>,
}

/// The context shared by every sub-operation of one transaction.
struct TxnCtx {
    session: SessionId,
    zxid: Zxid,
    time: i64,
    triggers: Vec<WatchTrigger>,
}

impl TxnCtx {
    fn trigger(&mut self, path: &str, event: EventType, table: WatchTable, acl: Arc<[Acl]>) {
        let path = if path.is_empty() { "/" } else { path };
        self.triggers.push(WatchTrigger {
            path: path.to_owned(),
            event,
            table,
            acl,
        });
    }
}

/// `path` split at its last '/' into parent path ("" for children of the root) and name.
fn split_path(path: &str) -> Option<(&str, &str)> {
    let slash = path.rfind('/')?;
    Some((&path[..slash], &path[slash + 1..]))
}

impl DataTree {
    /// Applies one committed transaction (`processTxn`) and returns its result and the
    /// watch triggers. Never panics on a transaction that does not fit the tree: such a
    /// transaction yields an error result and changes nothing more than Apache would.
    ///
    /// `header.txn_type` is not consulted: the [`Txn`] variant is the type.
    pub fn apply(&mut self, header: &TxnHeader, txn: &Txn) -> ApplyOutcome {
        let mut ctx = TxnCtx {
            session: header.client_id,
            zxid: header.zxid,
            time: header.time,
            triggers: Vec::new(),
        };
        let result = match txn {
            Txn::Multi(subs) => self.apply_multi(&mut ctx, subs),
            Txn::CreateSession(_) => OpResult::SessionCreated,
            Txn::CloseSession(body) => {
                let listed = body.as_ref().map(|b| b.paths_to_delete.as_slice());
                self.kill_session(&mut ctx, listed);
                OpResult::SessionClosed
            }
            single => self.apply_single(&mut ctx, single),
        };
        if header.zxid > self.last_processed_zxid {
            self.last_processed_zxid = header.zxid;
        }
        ApplyOutcome {
            zxid: header.zxid,
            result,
            triggers: ctx.triggers,
        }
    }

    /// One txn that may also appear inside a multi (plus setACL and reconfig).
    fn apply_single(&mut self, ctx: &mut TxnCtx, txn: &Txn) -> OpResult {
        let outcome = match txn {
            Txn::Create(t) | Txn::Create2(t) => {
                let owner = if t.ephemeral { ctx.session.0 } else { 0 };
                let created =
                    self.create_node(ctx, &t.path, &t.data, &t.acl, owner, t.parent_cversion);
                if created == Err(ErrorCode::NodeExists) && matches!(txn, Txn::Create(_)) {
                    // Replay over a fuzzy snapshot: the node was deleted and re-created by
                    // another session after its parent was serialized (see processTxn).
                    if let Some((parent, _)) = split_path(&t.path) {
                        if let Err(e) = self.set_cversion_pzxid(parent, t.parent_cversion, ctx.zxid)
                        {
                            return OpResult::Error(e);
                        }
                    }
                }
                created.map(|stat| OpResult::Created {
                    path: t.path.clone(),
                    stat,
                })
            }
            Txn::CreateTtl(t) => match EphemeralOwner::ttl(t.ttl) {
                // Java throws (and stops the server) on an invalid TTL; bad input is an error.
                None => Err(ErrorCode::BadArguments),
                Some(owner) => self
                    .create_node(
                        ctx,
                        &t.path,
                        &t.data,
                        &t.acl,
                        owner.raw(),
                        t.parent_cversion,
                    )
                    .map(|stat| OpResult::Created {
                        path: t.path.clone(),
                        stat,
                    }),
            },
            Txn::CreateContainer(t) => {
                let owner = EphemeralOwner::CONTAINER_RAW;
                self.create_node(ctx, &t.path, &t.data, &t.acl, owner, t.parent_cversion)
                    .map(|stat| OpResult::Created {
                        path: t.path.clone(),
                        stat,
                    })
            }
            Txn::Delete(t) | Txn::DeleteContainer(t) => {
                self.delete_node(ctx, &t.path).map(|()| OpResult::Deleted {
                    path: t.path.clone(),
                })
            }
            Txn::SetData(t) | Txn::Reconfig(t) => self
                .set_data(ctx, &t.path, &t.data, t.version)
                .map(|stat| OpResult::DataSet {
                    path: t.path.clone(),
                    stat,
                }),
            Txn::SetAcl(t) => {
                self.set_acl(&t.path, &t.acl, t.version)
                    .map(|stat| OpResult::AclSet {
                        path: t.path.clone(),
                        stat,
                    })
            }
            Txn::Check(t) => Ok(OpResult::Checked {
                path: t.path.clone(),
            }),
            Txn::Error(t) => Ok(OpResult::Error(t.err)),
            // Only reachable through a hand-built multi: decoding rejects these as sub-txns.
            Txn::Multi(_) | Txn::CreateSession(_) | Txn::CloseSession(_) => {
                Err(ErrorCode::MarshallingError)
            }
        };
        outcome.unwrap_or_else(OpResult::Error)
    }

    /// A multi: nothing at all if any sub-txn is an error txn, else each sub-txn in order.
    fn apply_multi(&mut self, ctx: &mut TxnCtx, subs: &[Txn]) -> OpResult {
        let failed = subs.iter().any(|t| matches!(t, Txn::Error(_)));
        let mut after_failure = false;
        let results = subs
            .iter()
            .map(|sub| match sub {
                Txn::Error(e) => {
                    after_failure = true;
                    OpResult::Error(e.err)
                }
                _ if failed => OpResult::Error(if after_failure {
                    ErrorCode::RuntimeInconsistency
                } else {
                    ErrorCode::Ok
                }),
                _ => self.apply_single(ctx, sub),
            })
            .collect();
        OpResult::Multi(results)
    }

    /// Changes the stat of the node at slot `id` (path `path`) through `change`, keeping the
    /// digest.
    fn change_stat(&mut self, path: &str, id: NodeId, change: impl FnOnce(&mut StatPersisted)) {
        let (mut meta, data) = self.store.get(id).meta_and_data();
        self.digest.remove(node_digest(path, data, &meta.stat));
        change(&mut meta.stat);
        self.store.set_meta(id, &meta);
        self.digest
            .add(node_digest(path, self.store.get(id).data(), &meta.stat));
    }

    /// `createNode`: see the module docs for the replay rules. Returns the new node's stat.
    fn create_node(
        &mut self,
        ctx: &mut TxnCtx,
        path: &str,
        data: &Option<Bytes>,
        acl: &[Acl],
        owner: i64,
        parent_cversion: i32,
    ) -> Result<Stat, ErrorCode> {
        let (parent_path, name) = split_path(path).ok_or(ErrorCode::NoNode)?;
        let parent = self.resolve(parent_path).ok_or(ErrorCode::NoNode)?;
        // Apache interns the ACL before the existence check and hands it to an existing node.
        let acl_id = self.acls.intern(acl);
        if let Some(existing) = self.resolve(path) {
            let mut meta = self.store.get(existing).meta();
            let old = std::mem::replace(&mut meta.acl, acl_id);
            self.store.set_meta(existing, &meta);
            self.acls.remove_usage(old);
            return Err(ErrorCode::NodeExists);
        }
        if name.is_empty() {
            // "//" or "/a/": no valid path gets here. Apache would create a node that no
            // path finds and that its snapshot writes as the end marker "/".
            self.acls.remove_usage(acl_id);
            return Err(ErrorCode::BadArguments);
        }
        let zxid = ctx.zxid;
        self.change_stat(parent_path, parent, |p| {
            let cversion = if parent_cversion == -1 {
                p.cversion.wrapping_add(1)
            } else {
                parent_cversion
            };
            if cversion > p.cversion {
                p.cversion = cversion;
                p.pzxid = zxid;
            }
        });
        let stat = StatPersisted {
            czxid: zxid,
            mzxid: zxid,
            ctime: ctx.time,
            mtime: ctx.time,
            version: 0,
            cversion: 0,
            aversion: 0,
            ephemeral_owner: owner,
            pzxid: zxid,
        };
        let id = self.insert_node(Some(parent), path, name, data.as_deref(), acl_id, &stat);
        let data_len = data.as_ref().map_or(0, |d| d.len() as i64);
        let updates = QuotaUpdate::after_create(self, path, data_len);
        self.update_quota_stats(updates);
        let stat = self.stat_of(self.store.get(id));
        let node_acl = self.acls.get(acl_id).clone();
        ctx.trigger(path, EventType::NodeCreated, WatchTable::Data, node_acl);
        let parent_acl = self.acl_of(self.store.get(parent)).clone();
        ctx.trigger(
            parent_path,
            EventType::NodeChildrenChanged,
            WatchTable::Child,
            parent_acl,
        );
        Ok(stat)
    }

    /// `deleteNode`: the parent's pzxid moves up to the zxid even if the node is missing.
    fn delete_node(&mut self, ctx: &mut TxnCtx, path: &str) -> Result<(), ErrorCode> {
        let (parent_path, name) = split_path(path).ok_or(ErrorCode::NoNode)?;
        let parent = self.resolve(parent_path).ok_or(ErrorCode::NoNode)?;
        let zxid = ctx.zxid;
        let child = self.unlink_child(parent, name);
        if zxid > self.store.get(parent).stat_persisted().pzxid {
            self.change_stat(parent_path, parent, |p| p.pzxid = zxid);
        }
        let child = child.ok_or(ErrorCode::NoNode)?;
        let data_len = i64::from(self.store.get(child).data_length());
        let acl = self.remove_subtree(path, child);
        let update = QuotaUpdate::after_delete(self, path, data_len);
        self.update_quota_stats(update);
        ctx.trigger(path, EventType::NodeDeleted, WatchTable::DataThenChild, acl);
        let parent_acl = self.acl_of(self.store.get(parent)).clone();
        ctx.trigger(
            parent_path,
            EventType::NodeChildrenChanged,
            WatchTable::Child,
            parent_acl,
        );
        Ok(())
    }

    /// Frees an unlinked node and, should it have any (only a corrupt log can delete a node
    /// with children), its descendants; returns the node's ACL. Apache would leave such
    /// descendants as unreachable orphans in its map; here they go, with their indexes.
    fn remove_subtree(&mut self, path: &str, top: NodeId) -> Arc<[Acl]> {
        let acl = self.acl_of(self.store.get(top)).clone();
        let mut stack = vec![(top, path.to_owned())];
        while let Some((id, path)) = stack.pop() {
            // Children first: a node is freed only once it has none.
            let kids: Vec<NodeId> = self.store.child_ids(id).collect();
            if !kids.is_empty() {
                stack.push((id, path.clone()));
                for kid in kids {
                    let name = self.store.get(kid).name().to_owned();
                    let unlinked = self.store.unlink_child(id, &name);
                    debug_assert_eq!(unlinked, Some(kid));
                    stack.push((kid, format!("{path}/{name}")));
                }
                continue;
            }
            let node = self.store.get(id);
            let meta = node.meta();
            self.digest
                .remove(node_digest(&path, node.data(), &meta.stat));
            self.data_size -= node_size(&path, node);
            self.acls.remove_usage(meta.acl);
            self.unindex_owner(id, meta.stat.ephemeral_owner);
            self.store.remove(id);
        }
        acl
    }

    /// `setData`: data, mtime, mzxid and the txn's version.
    fn set_data(
        &mut self,
        ctx: &mut TxnCtx,
        path: &str,
        data: &Option<Bytes>,
        version: i32,
    ) -> Result<Stat, ErrorCode> {
        let id = self.resolve(path).ok_or(ErrorCode::NoNode)?;
        let (zxid, time) = (ctx.zxid, ctx.time);
        let new_len = data.as_ref().map_or(0, |d| d.len() as i64);
        let (mut meta, old_data) = self.store.get(id).meta_and_data();
        let old_len = old_data.map_or(0, |d| d.len() as i64);
        self.digest.remove(node_digest(path, old_data, &meta.stat));
        meta.stat.mtime = time;
        meta.stat.mzxid = zxid;
        meta.stat.version = version;
        self.store.set_data(id, &meta, data.as_deref());
        self.digest
            .add(node_digest(path, data.as_deref(), &meta.stat));
        // The root is in Apache's size twice, as "" and "/".
        let copies = if id == ROOT { 2 } else { 1 };
        self.data_size += copies * (new_len - old_len);
        let update = QuotaUpdate::after_set_data(self, path, old_len, new_len);
        self.update_quota_stats(update);
        let node = self.store.get(id);
        let stat = node.client_stat_of(&meta.stat, node.data_length(), self.extended_types_enabled);
        let acl = self.acls.get(meta.acl).clone();
        ctx.trigger(path, EventType::NodeDataChanged, WatchTable::Data, acl);
        Ok(stat)
    }

    /// Rewrites quota stats nodes as Apache's `updateQuotaStat` / `updateQuotaForPath` do:
    /// the data only, not the stat, outside the digest (the nodes are under `/zookeeper/`)
    /// and outside the approximate data size (Apache does not count these writes either).
    fn update_quota_stats(&mut self, updates: impl IntoIterator<Item = QuotaUpdate>) {
        for update in updates {
            let (prefix, new_data) = match update {
                QuotaUpdate::Adjust {
                    prefix,
                    bytes_diff,
                    count_diff,
                } => {
                    let Some(id) = self.resolve(&quota::stat_path(&prefix)) else {
                        continue; // Apache logs "Missing node for stat"
                    };
                    let current = self.store.get(id).data().unwrap_or_default();
                    // Unparseable stats stay as they are (Java would throw).
                    let Some(data) = QuotaUpdate::adjusted(current, bytes_diff, count_diff) else {
                        continue;
                    };
                    (prefix, data)
                }
                QuotaUpdate::Recount { prefix } if prefix.is_empty() => continue,
                QuotaUpdate::Recount { prefix } => {
                    let (count, bytes) = self.subtree_counts(&prefix);
                    (prefix, QuotaUpdate::recounted(count, bytes))
                }
            };
            let stat_path = quota::stat_path(&prefix);
            if let Some(id) = self.resolve(&stat_path) {
                let node = self.store.get(id);
                let meta = node.meta();
                self.digest
                    .remove(node_digest(&stat_path, node.data(), &meta.stat));
                self.store.set_data(id, &meta, Some(&new_data));
                self.digest
                    .add(node_digest(&stat_path, Some(&new_data), &meta.stat));
            }
        }
    }

    /// `getCounts`: the nodes in the subtree at `path` (itself included) and their data
    /// bytes; (0, 0) if there is no such node.
    fn subtree_counts(&self, path: &str) -> (i64, i64) {
        let Some(top) = self.resolve(path) else {
            return (0, 0);
        };
        let (mut count, mut bytes) = (0, 0);
        let mut stack = vec![top];
        while let Some(id) = stack.pop() {
            count += 1;
            bytes += i64::from(self.store.get(id).data_length());
            stack.extend(self.store.child_ids(id));
        }
        (count, bytes)
    }

    /// `setACL`: the new list and the txn's aversion; mzxid is unchanged; no watch fires.
    fn set_acl(&mut self, path: &str, acl: &[Acl], version: i32) -> Result<Stat, ErrorCode> {
        let id = self.resolve(path).ok_or(ErrorCode::NoNode)?;
        // Release first, as Apache does: an unchanged list used only here gets a new id.
        let mut meta = self.store.get(id).meta();
        self.acls.remove_usage(meta.acl);
        meta.acl = self.acls.intern(acl);
        meta.stat.aversion = version;
        self.set_meta(path, id, &meta);
        Ok(self.stat_of(self.store.get(id)))
    }

    /// `setCversionPzxid`: raise a node's stored cversion (−1: by one) and set its pzxid, only
    /// if the cversion grows. A trailing '/' is ignored.
    fn set_cversion_pzxid(
        &mut self,
        path: &str,
        cversion: i32,
        zxid: Zxid,
    ) -> Result<(), ErrorCode> {
        let path = path.strip_suffix('/').unwrap_or(path);
        let id = self.resolve(path).ok_or(ErrorCode::NoNode)?;
        let current = self.store.get(id).stat_persisted().cversion;
        let cversion = if cversion == -1 {
            current.wrapping_add(1)
        } else {
            cversion
        };
        if cversion > current {
            self.change_stat(path, id, |n| {
                n.cversion = cversion;
                n.pzxid = zxid;
            });
        }
        Ok(())
    }

    /// `killSession`: delete the paths the txn lists, then any other ephemeral the index still
    /// has for the session (all of them for an old txn without a body). Missing nodes are
    /// skipped, as Apache logs and ignores them.
    fn kill_session(&mut self, ctx: &mut TxnCtx, listed: Option<&[String]>) {
        let local = self.ephemerals(ctx.session);
        self.ephemerals.remove(&ctx.session);
        let listed = listed.unwrap_or_default();
        let in_txn: HashSet<&str> = listed.iter().map(String::as_str).collect();
        let rest = local.iter().filter(|p| !in_txn.contains(p.as_str()));
        let paths: Vec<&str> = listed
            .iter()
            .map(String::as_str)
            .chain(rest.map(String::as_str))
            .collect();
        for path in paths {
            let _ = self.delete_node(ctx, path);
        }
    }
}

#[cfg(test)]
#[path = "apply_tests.rs"]
mod tests;
