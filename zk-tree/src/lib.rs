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
//! - [`data_node`]: [`DataNode`], one znode, and why it is laid out as it is.
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
//! Measured by `cargo bench -p zk-tree --bench tree` (release build, Linux x86-64, glibc
//! malloc): building 1,000,000 znodes `/bench/n0000001`… with 100 bytes of data each through
//! `apply` grows the process's resident set by **275 bytes per znode** (a `DataNode` is 144
//! bytes, the data 100 bytes plus malloc's header, the parent's child table ~12 bytes; see
//! [`data_node`] for the layout). Apache ZooKeeper 3.8.0's own `DataTree` (OpenJDK 17, G1,
//! compressed oops), filled the same way in-process by `benches/HeapPerZnode.java`, holds
//! **424 bytes of live heap per znode** after a full GC — and a JVM's resident set is larger
//! than its live heap. So the same tree needs about 35% less memory here, before counting the
//! JVM's heap headroom.
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
pub mod data_node;
pub mod data_tree;
pub mod digest;
pub mod error;
mod node_arena;
pub mod outstanding_changes;
pub mod prep;
pub mod quota;
pub mod reaper;
pub mod snapshot;
pub mod watch_manager;

pub use acl_cache::{AclCache, AclId};
pub use apply::{ApplyOutcome, OpResult, WatchTable, WatchTrigger};
pub use data_node::DataNode;
pub use data_tree::{Children, DataTree};
pub use error::{Error, Result};
