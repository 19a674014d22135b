//! The write side of snapshots for a server: [`SnapshotSource`], implemented by whatever holds
//! the state (the DataTree plus the session table), and [`save_snapshot`], which streams it into
//! a [`SnapshotStore`].

use zk_proto::{Acl, Zxid};

use super::format::{SnapshotNodeRef, SnapshotSession, SnapshotTrailer};
use super::store::{SnapshotInfo, SnapshotStore};
use crate::error::Result;

/// State that can be written as a snapshot, visited in the order the format needs.
///
/// The counterpart of [`RecoveryTarget`](crate::recovery::RecoveryTarget): what a target
/// receives from a snapshot, a source gives back.
pub trait SnapshotSource {
    /// The global sessions and their timeouts.
    fn sessions(&self) -> impl ExactSizeIterator<Item = SnapshotSession> + '_;

    /// The ACL cache: every `(id, acl list)` a node may refer to, except -1.
    fn acls(&self) -> impl ExactSizeIterator<Item = (i64, &[Acl])> + '_;

    /// Calls `visit` for every node, the root (`"/"`) first and every parent before its
    /// children, stopping at the first error `visit` returns.
    fn visit_nodes(&self, visit: &mut dyn FnMut(SnapshotNodeRef<'_>) -> Result<()>) -> Result<()>;

    /// The trailer: typically [`SnapshotTrailer::apache_3_8`] with the tree's digest at the
    /// last applied zxid, when the source computes one.
    fn trailer(&self) -> SnapshotTrailer;
}

/// Writes `source` as the snapshot of `zxid` (the last txn applied when the walk starts) and
/// makes it durable: temp file, fsync, rename, directory fsync (see [`SnapshotStore`]).
///
/// ```
/// use zk_storage::snapshot::{save_snapshot, MemSnapshotStore, SnapshotStore, SnapshotNodeRef,
///     SnapshotSession, SnapshotSource, SnapshotTrailer};
/// use zk_storage::Result;
/// use zk_proto::{Acl, StatPersisted, Zxid};
///
/// /// A "tree" of just the root.
/// struct Root(StatPersisted);
///
/// impl SnapshotSource for Root {
///     fn sessions(&self) -> impl ExactSizeIterator<Item = SnapshotSession> + '_ {
///         std::iter::empty()
///     }
///     fn acls(&self) -> impl ExactSizeIterator<Item = (i64, &[Acl])> + '_ {
///         std::iter::empty()
///     }
///     fn visit_nodes(&self, visit: &mut dyn FnMut(SnapshotNodeRef<'_>) -> Result<()>) -> Result<()> {
///         visit(SnapshotNodeRef { path: "/", data: Some(b""), acl_id: -1, stat: &self.0 })
///     }
///     fn trailer(&self) -> SnapshotTrailer {
///         SnapshotTrailer::apache_3_8(None)
///     }
/// }
///
/// let store = MemSnapshotStore::new();
/// let info = save_snapshot(&store, Zxid(7), &Root(StatPersisted::default())).unwrap();
/// assert_eq!(info.name, "snapshot.7");
/// assert_eq!(store.list().unwrap(), vec![info]);
/// ```
pub fn save_snapshot<S, T>(store: &S, zxid: Zxid, source: &T) -> Result<SnapshotInfo>
where
    S: SnapshotStore,
    T: SnapshotSource + ?Sized,
{
    let started = std::time::Instant::now();
    let mut w = store.begin(zxid)?;
    w.write_sessions(source.sessions())?;
    w.write_acls(source.acls())?;
    source.visit_nodes(&mut |node| w.write_node(node))?;
    let nodes = w.nodes_written();
    let info = store.commit(w, &source.trailer())?;
    tracing::info!(
        snapshot = %info.name,
        nodes,
        bytes = info.size_bytes,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "snapshot written"
    );
    Ok(info)
}
