//! Snapshots in Apache ZooKeeper 3.8's format: the whole tree, its ACL cache and the session
//! table at a zxid, so that recovery replays only the log after it.
//!
//! The format (see [`format`](mod@format)) is a jute stream with Adler-32 seals; files may be plain, gzip or
//! snappy-java compressed ([`Compression`]). Reading and writing both stream: a snapshot of
//! millions of nodes never has to be in memory as one value.
//!
//! # Layout
//!
//! - [`format`](mod@format): the plain-data contents ([`SnapshotSession`], [`SnapshotAcl`],
//!   [`SnapshotNode`], [`SnapshotTrailer`], [`ZxidDigest`]), the byte layout, file names.
//! - [`SnapshotReader`] / [`SnapshotWriter`]: the stream, node by node, with every seal checked
//!   or written.
//! - [`Compression`]: plain, `.gz`, `.snappy` (snappy-java's own stream format).
//! - [`SnapshotStore`]: where snapshots live, with its contract; [`FileSnapshotStore`]
//!   (a `version-2/` directory) and [`MemSnapshotStore`].
//! - [`SnapshotSource`] and [`save_snapshot`]: how a server writes its state.
//!
//! Loading the newest valid snapshot and replaying the log is [`crate::recovery`].
//!
//! # Example
//!
//! ```
//! use zk_storage::snapshot::{Compression, MemSnapshotStore, SnapshotNode, SnapshotSession,
//!     SnapshotStore, SnapshotTrailer};
//! use zk_proto::{Acl, SessionId, StatPersisted, Zxid};
//!
//! let store = MemSnapshotStore::new().with_compression(Compression::Gzip);
//! let mut w = store.begin(Zxid(0x10))?;
//! w.write_sessions([SnapshotSession { id: SessionId(0x77), timeout_ms: 30_000 }])?;
//! w.write_acls([(1, Acl::open_acl_unsafe().as_slice())])?;
//! let root = SnapshotNode { path: "/".into(), data: None, acl_id: 1, stat: StatPersisted::default() };
//! let app = SnapshotNode { path: "/app".into(), data: Some("v1".into()), ..root.clone() };
//! w.write_node(root.as_ref())?;
//! w.write_node(app.as_ref())?;
//! let info = store.commit(w, &SnapshotTrailer::apache_3_8(None))?;
//! assert_eq!(info.name, "snapshot.10.gz");
//!
//! let mut r = store.open(&store.list()?[0])?;
//! assert_eq!(r.sessions()[0].timeout_ms, 30_000);
//! let nodes: Vec<SnapshotNode> = r.by_ref().collect::<Result<_, _>>()?;
//! assert_eq!(nodes, vec![root, app]);
//! r.finish()?; // every checksum verified
//! # Ok::<(), zk_storage::Error>(())
//! ```

mod checked;
mod compression;
mod file_store;
pub mod format;
mod mem_store;
mod reader;
mod source;
mod store;
mod writer;
mod xerial;

pub use self::compression::{Compression, Encoder};
pub use self::file_store::{FileSnapshotSink, FileSnapshotStore};
pub use self::format::{
    parse_snapshot_file_name, snapshot_file_name, FileHeader, SnapshotAcl, SnapshotNode,
    SnapshotNodeRef, SnapshotSession, SnapshotTrailer, ZxidDigest,
};
pub use self::mem_store::{MemSnapshotSink, MemSnapshotStore};
pub use self::reader::SnapshotReader;
pub use self::source::{save_snapshot, SnapshotSource};
pub use self::store::{SnapshotInfo, SnapshotStore};
pub use self::writer::SnapshotWriter;
