//! The snapshot body a ZAB leader streams to a learner after a SNAP packet.
//!
//! It is Apache's `SerializeUtils.serializeSnapshot`: the session table, then the tree as
//! `DataTree.serialize` writes it (ACL cache, nodes, the `/` terminator), with no file header,
//! no checksum seals and no trailer. On the wire the `"BenWasHere"` signature follows it; that
//! string belongs to the transport, not to these bytes.
//!
//! ```text
//! int count; { long sessionId; int timeoutMs }*count      // sessions
//! int count; { long aclId; vector<ACL> }*count            // ACL cache (-1 implicit)
//! { ustring path; buffer data; long aclId; StatPersisted }* // root ("") first, parents first
//! ustring "/"                                             // end of nodes
//! ```

use std::collections::BTreeMap;

use bytes::Bytes;
use zk_proto::SessionId;
use zk_storage::snapshot::{SnapshotReader, SnapshotSource, SnapshotWriter};
use zk_tree::acl_cache::AclId;
use zk_tree::data_tree::DataTree;
use zk_tree::snapshot::TreeBuilder;

use crate::persistence::TreeSnapshot;
use crate::Result;

/// The name a sync body goes by in errors.
const SYNC_BODY_NAME: &str = "SNAP sync body";

/// The snapshot sync body of `tree` + `sessions` (see the module docs): what a leader sends
/// after a SNAP packet, without the `"BenWasHere"` signature that follows it on the wire.
///
/// ```
/// use zk_server::ensemble::storage::{decode_sync_snapshot, encode_sync_snapshot};
/// use zk_proto::SessionId;
/// use zk_tree::data_tree::DataTree;
///
/// let tree = DataTree::new();
/// let body = encode_sync_snapshot(&tree, &[(SessionId(7), 30_000)]);
/// let (copy, sessions) = decode_sync_snapshot(&body, false).unwrap();
/// assert_eq!(copy.digest(), tree.digest());
/// assert_eq!(sessions, vec![(SessionId(7), 30_000)]);
/// ```
pub fn encode_sync_snapshot(tree: &DataTree, sessions: &[(SessionId, i32)]) -> Bytes {
    let snapshot = TreeSnapshot::capture(tree, sessions.to_vec());
    let mut w = SnapshotWriter::sync_body(Vec::new(), SYNC_BODY_NAME);
    // Writing into memory cannot fail, and a tree always yields its root first.
    let written = w
        .write_sessions(snapshot.sessions())
        .and_then(|()| w.write_acls(snapshot.acls()))
        .and_then(|()| snapshot.visit_nodes(&mut |node| w.write_node(node)));
    written.expect("a snapshot body written to memory");
    w.finish_sync_body()
        .expect("a snapshot body written to memory")
        .into()
}

/// Parses a sync body back into a tree (with `extendedTypesEnabled` as given) and its
/// session table. The tree's last processed zxid is 0: the SNAP packet carries the zxid, and
/// the caller sets it.
///
/// Bad bytes are an error, never a panic: a truncated body, a length beyond the input, a tree
/// that is not a tree (a node before its parent, a repeated path), or bytes after the `/`
/// terminator (the body must be exactly what [`encode_sync_snapshot`] writes).
pub fn decode_sync_snapshot(
    body: &[u8],
    extended_types: bool,
) -> Result<(DataTree, Vec<(SessionId, i32)>)> {
    let mut reader = SnapshotReader::sync_body(body, SYNC_BODY_NAME)?;
    let (sessions, acls) = reader.take_sessions_and_acls();
    let mut builder = TreeBuilder::new(extended_types);
    for acl in acls {
        builder
            .add_acl(AclId(acl.id), acl.acl)
            .map_err(|e| invalid(reader.offset(), e.to_string()))?;
    }
    while let Some(node) = reader.next_node()? {
        // The storage layer reports the root as "/"; the tree spells it "".
        let path = if node.path == "/" { "" } else { &node.path };
        builder
            .add_node(path, node.data, AclId(node.acl_id), node.stat)
            .map_err(|e| invalid(reader.offset(), e.to_string()))?;
    }
    let end = reader.offset();
    let (rest, read_ahead) = reader.finish_sync_body()?;
    let extra = rest.len() + read_ahead.len();
    if extra > 0 {
        return Err(invalid(
            end,
            format!("{extra} bytes follow the end of the snapshot body"),
        ));
    }
    let tree = builder.finish().map_err(|e| invalid(end, e.to_string()))?;
    // A session listed twice keeps its last timeout, as Apache's HashMap.put does.
    let sessions: BTreeMap<SessionId, i32> =
        sessions.into_iter().map(|s| (s.id, s.timeout_ms)).collect();
    Ok((tree, sessions.into_iter().collect()))
}

fn invalid(offset: u64, reason: String) -> crate::Error {
    zk_storage::Error::InvalidSnapshot {
        file: SYNC_BODY_NAME.into(),
        offset,
        reason,
    }
    .into()
}
