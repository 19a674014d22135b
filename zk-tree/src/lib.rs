//! ZooKeeper's in-memory state machine: the [`DataTree`] of znodes, the watch tables, ACL
//! checks and request preparation — pure and deterministic, with no I/O and no async runtime.
//!
//! # Layout
//!
//! The state machine:
//!
//! - [`data_tree`]: [`DataTree`], the znodes and the ephemeral/container/TTL indexes; reads.
//! - [`apply`]: [`DataTree::apply`] commits one txn and returns an [`ApplyOutcome`]: the
//!   [`OpResult`] for the reply and the [`WatchTrigger`]s to fire, in Apache's order.
//! - [`node_ref`]: [`NodeRef`], the view of one znode, and why nodes are laid out as they are
//!   (slots, packed records in pages, child sets: `node_store.rs`, `record.rs`).
//! - [`acl_cache`]: [`AclCache`], the interned ACL lists nodes refer to by [`AclId`].
//! - [`digest`]: the incremental tree digest replicas compare (Apache's DigestCalculator).
//! - [`snapshot`]: the pre-order cursor and [`TreeBuilder`](snapshot::TreeBuilder) that
//!   `zk-storage` writes and loads snapshots with (its `# Contract`).
//!
//! ```
//! use zk_proto::txn::{CreateTxn, Txn, TxnHeader};
//! use zk_proto::{Acl, EventType, OpCode, SessionId, Xid, Zxid};
//! use zk_tree::{DataTree, OpResult};
//!
//! let mut tree = DataTree::new();
//! let header = TxnHeader {
//!     client_id: SessionId(0x100),
//!     cxid: Xid(1),
//!     zxid: Zxid(0x1_0000_0001),
//!     time: 1_700_000_000_000,
//!     txn_type: OpCode::Create,
//! };
//! let txn = Txn::Create(CreateTxn {
//!     path: "/app".into(),
//!     data: Some(b"v1".to_vec().into()),
//!     acl: Acl::open_acl_unsafe(),
//!     ephemeral: false,
//!     parent_cversion: 1, // the root's stored cversion after this create
//! });
//! let outcome = tree.apply(&header, &txn);
//! assert!(matches!(outcome.result, OpResult::Created { ref path, .. } if path == "/app"));
//! assert_eq!(outcome.triggers[0].event, EventType::NodeCreated);
//! assert_eq!(outcome.triggers[1].path, "/");
//! let stat = tree.stat("/app").unwrap();
//! assert_eq!((stat.czxid, stat.data_length), (Zxid(0x1_0000_0001), 2));
//! assert_eq!(tree.stat("/").unwrap().num_children, 2); // /zookeeper and /app
//! ```
//!
//! # Memory per znode
//!
//! A node has no allocation of its own: a 12-byte slot, a packed record (owner slot, name,
//! the stat in ~12 bytes, data) appended to 256 KiB pages, and one bucket and a half of its
//! parent's child table (see [`node_ref`] and `node_store.rs`). A standalone server loaded with
//! 1,000,000 znodes of 100 bytes (`zk-bench load`) holds 155 MB of RSS in all, against 286 MB
//! with the earlier one-struct-per-node layout (144-byte `DataNode`, data in its own malloc
//! chunk) and 821–1,124 MB for Apache ZooKeeper 3.8 with `-Xms1g -Xmx1g` (whose own
//! `DataTree` holds 424 bytes of live heap per znode after a full GC, measured in-process by
//! `benches/HeapPerZnode.java`); docs/performance.md, "Memory with 1M znodes", has the
//! measurements and commands.
//!
//! Serving requests:
//!
//! - [`auth`]: [`AuthInfo`](auth::AuthInfo), a connection's ids; the `digest` and `ip`
//!   providers and the super digest ([`AuthProviders`](auth::AuthProviders)).
//! - [`acl_check`]: [`AclChecker`](acl_check::AclChecker): permission checks, ACL fix-up on
//!   create/setACL, digest masking for getACL.
//! - [`watch_manager`]: [`WatchManager`](watch_manager::WatchManager): data and child watch
//!   tables, persistent and recursive watches, ACL-filtered firing of the triggers `apply`
//!   reports, setWatches catch-up, removeWatches/checkWatches.
//! - [`prep`]: [`PrepRequestProcessor`](prep::PrepRequestProcessor): a write request → the txn
//!   to propose (or an error txn), with Apache's check order; multi in `prep_multi.rs`.
//! - [`outstanding_changes`]: the tree as proposed-but-unapplied txns will leave it
//!   ([`OutstandingChanges`](outstanding_changes::OutstandingChanges)).
//! - [`quota`]: `/zookeeper/quota` limits and stats ([`StatsTrack`](quota::StatsTrack)), quota
//!   checks and the stats updates applying a write implies.
//! - [`reaper`]: which containers and TTL nodes to delete now.

pub mod acl_cache;
pub mod acl_check;
pub mod apply;
pub mod auth;
pub mod data_tree;
pub mod digest;
pub mod error;
pub mod node_ref;
mod node_store;
pub mod outstanding_changes;
pub mod prep;
pub mod quota;
pub mod reaper;
mod record;
pub mod snapshot;
pub mod watch_manager;

pub use acl_cache::{AclCache, AclId};
pub use apply::{ApplyOutcome, OpResult, WatchTable, WatchTrigger};
pub use data_tree::{Children, DataTree};
pub use error::{Error, Result};
pub use node_ref::NodeRef;
