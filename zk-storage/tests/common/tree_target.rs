//! [`TreeTarget`]: recovery into zk-tree's real `DataTree` plus a session table: the glue a
//! server needs, kept in the tests so that zk-storage does not depend on zk-tree.

use std::collections::BTreeMap;

use zk_proto::txn::{Txn, TxnLogEntry};
use zk_proto::{SessionId, Zxid};
use zk_storage::recovery::RecoveryTarget;
use zk_storage::snapshot::{
    SnapshotAcl, SnapshotInfo, SnapshotNode, SnapshotNodeRef, SnapshotSession, SnapshotSource,
    SnapshotTrailer, ZxidDigest,
};
use zk_storage::RawTxn;
use zk_tree::snapshot::TreeBuilder;
use zk_tree::{AclId, DataTree};

use super::{ExpectedNode, ExpectedTree};

/// A DataTree being recovered, and the sessions (Apache keeps them beside the tree).
#[derive(Debug, Default)]
pub struct TreeTarget {
    /// The tree being built from a snapshot.
    pub builder: Option<TreeBuilder>,
    /// The tree, once a snapshot is loaded or the empty start chosen.
    pub tree: Option<DataTree>,
    /// Session id → timeout, from the snapshot and createSession/closeSession txns.
    pub sessions: BTreeMap<SessionId, i32>,
    /// The digest section of the loaded snapshot.
    pub trailer: Option<SnapshotTrailer>,
}

impl RecoveryTarget<RawTxn> for TreeTarget {
    type Error = zk_tree::Error;

    fn begin(&mut self, snapshot: Option<&SnapshotInfo>) {
        self.sessions.clear();
        self.trailer = None;
        match snapshot {
            Some(_) => {
                self.builder = Some(TreeBuilder::new(true));
                self.tree = None;
            }
            None => {
                self.builder = None;
                self.tree = Some(DataTree::with_extended_types(true));
            }
        }
    }

    fn add_session(&mut self, s: SnapshotSession) -> Result<(), Self::Error> {
        self.sessions.insert(s.id, s.timeout_ms);
        Ok(())
    }

    fn add_acl(&mut self, acl: SnapshotAcl) -> Result<(), Self::Error> {
        self.builder
            .as_mut()
            .expect("loading a snapshot")
            .add_acl(AclId(acl.id), acl.acl)
    }

    fn add_node(&mut self, node: SnapshotNode) -> Result<(), Self::Error> {
        let path = if node.path == "/" { "" } else { &node.path };
        self.builder.as_mut().expect("loading a snapshot").add_node(
            path,
            node.data,
            AclId(node.acl_id),
            node.stat,
        )
    }

    fn snapshot_loaded(
        &mut self,
        zxid: Zxid,
        trailer: &SnapshotTrailer,
    ) -> Result<(), Self::Error> {
        let mut tree = self.builder.take().expect("loading a snapshot").finish()?;
        tree.set_last_processed_zxid(zxid);
        self.tree = Some(tree);
        self.trailer = Some(*trailer);
        Ok(())
    }

    fn apply_txn(&mut self, raw: RawTxn) -> Result<(), Self::Error> {
        let entry = TxnLogEntry::decode(raw.bytes().clone())?;
        match &entry.txn {
            Txn::CreateSession(t) => {
                self.sessions.insert(entry.header.client_id, t.timeout_ms);
            }
            Txn::CloseSession(_) => {
                self.sessions.remove(&entry.header.client_id);
            }
            _ => {}
        }
        // "Node exists" / "no node" outcomes are expected while replaying a fuzzy snapshot.
        let tree = self.tree.as_mut().expect("a tree to apply to");
        tree.apply(&entry.header, &entry.txn);
        tree.set_last_processed_zxid(entry.header.zxid);
        Ok(())
    }

    fn finish(&mut self, last_zxid: Zxid) -> Result<(), Self::Error> {
        self.tree
            .as_mut()
            .expect("recovered tree")
            .set_last_processed_zxid(last_zxid);
        Ok(())
    }
}

impl TreeTarget {
    /// The recovered state in `Dump.java`'s terms.
    pub fn dump(&self) -> ExpectedTree {
        let tree = self.tree.as_ref().expect("recovered tree");
        let mut nodes = BTreeMap::new();
        let mut cursor = tree.preorder();
        while let Some((path, node)) = cursor.next_node() {
            let path = if path.is_empty() { "/" } else { path };
            nodes.insert(
                path.to_owned(),
                ExpectedNode {
                    data: node.data().map(|d| d.to_vec()),
                    acl: tree.acl_of(node).to_vec(),
                    stat: node.stat_persisted(),
                },
            );
        }
        ExpectedTree {
            zxid: tree.last_processed_zxid(),
            digest: Some(tree.digest()),
            sessions: self.sessions.clone(),
            nodes,
        }
    }
}

/// A recovered tree and its sessions as a snapshot source: the write side of the glue.
pub struct TreeSource<'a> {
    /// The tree.
    pub tree: &'a DataTree,
    /// The sessions.
    pub sessions: &'a BTreeMap<SessionId, i32>,
}

impl SnapshotSource for TreeSource<'_> {
    fn sessions(&self) -> impl ExactSizeIterator<Item = SnapshotSession> + '_ {
        self.sessions
            .iter()
            .map(|(&id, &timeout_ms)| SnapshotSession { id, timeout_ms })
    }

    fn acls(&self) -> impl ExactSizeIterator<Item = (i64, &[zk_proto::Acl])> + '_ {
        self.tree
            .acl_cache()
            .entries()
            .into_iter()
            .map(|(id, acl)| (id.0, &acl[..]))
    }

    fn visit_nodes(
        &self,
        visit: &mut dyn FnMut(SnapshotNodeRef<'_>) -> zk_storage::Result<()>,
    ) -> zk_storage::Result<()> {
        let mut cursor = self.tree.preorder();
        while let Some((path, node)) = cursor.next_node() {
            visit(SnapshotNodeRef {
                path,
                data: node.data(),
                acl_id: node.acl_id().0,
                stat: &node.stat_persisted(),
            })?;
        }
        Ok(())
    }

    fn trailer(&self) -> SnapshotTrailer {
        SnapshotTrailer::apache_3_8(Some(ZxidDigest {
            zxid: self.tree.last_processed_zxid(),
            digest_version: 2,
            digest: self.tree.digest(),
        }))
    }
}
