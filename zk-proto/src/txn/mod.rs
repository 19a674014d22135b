//! Transaction records: what ZooKeeper writes to its transaction log and what the leader
//! proposes to followers (`org.apache.zookeeper.txn`).
//!
//! Every write that reaches the leader becomes one transaction: a [`TxnHeader`] naming the
//! session, the client's xid, the zxid, the leader's clock and the transaction type, then the
//! record for that type, then (since ZooKeeper 3.6, when `zookeeper.digest.enabled`) a
//! [`TxnDigest`] of the tree after applying it. [`TxnLogEntry`] is exactly those bytes: what a
//! `log.<zxid>` file checksums and stores per record, and what a ZAB `PROPOSAL` packet carries.
//!
//! ```text
//! TxnLogEntry = TxnHeader { long clientId; int cxid; long zxid; long time; int type }  32 bytes
//!               record by type (see Txn)
//!               [TxnDigest { int version; long treeDigest }]                          12 bytes
//! ```
//!
//! The typed view is [`Txn`], one variant per transaction type, with a multi holding typed
//! sub-transactions. The raw records ([`CreateTxn`], [`MultiTxn`], ...) are also public: they
//! are the jute classes of `zookeeper.jute` field for field.
//!
//! # Layout
//!
//! - this module: [`TxnHeader`], [`TxnDigest`].
//! - [`records`]: one jute record per transaction type, and [`MultiTxn`]'s raw [`SubTxn`]s.
//! - [`typed`]: [`Txn`], decoding by type with the tolerances old logs need.
//! - [`entry`]: [`TxnLogEntry`], header + txn + optional digest.
//! - [`persistence`]: the on-disk [`FileHeader`] and a snapshot's [`DataNodeRecord`].
//!
//! # Example
//!
//! ```
//! use zk_proto::txn::{CreateTxn, Txn, TxnDigest, TxnHeader, TxnLogEntry};
//! use zk_proto::{Acl, OpCode, SessionId, Xid, Zxid};
//!
//! let entry = TxnLogEntry::new(
//!     TxnHeader {
//!         client_id: SessionId(0x1000_0000_0000_0001),
//!         cxid: Xid(3),
//!         zxid: Zxid(0x1_0000_0004),
//!         time: 1_700_000_000_000,
//!         txn_type: OpCode::Create, // overwritten by `new` from the txn
//!     },
//!     Txn::Create2(CreateTxn {
//!         path: "/a".into(),
//!         data: Some(b"x".to_vec().into()),
//!         acl: Acl::open_acl_unsafe(),
//!         ephemeral: false,
//!         parent_cversion: 1,
//!     }),
//!     Some(TxnDigest { version: TxnDigest::VERSION, tree_digest: 42 }),
//! );
//! assert_eq!(entry.header.txn_type, OpCode::Create2);
//! let bytes = entry.to_vec();
//! assert_eq!(TxnLogEntry::decode(bytes).unwrap(), entry);
//! ```

pub mod entry;
pub mod persistence;
pub mod records;
pub mod typed;

pub use self::entry::TxnLogEntry;
pub use self::persistence::{DataNodeRecord, FileHeader};
pub use self::records::{
    CheckVersionTxn, CloseSessionTxn, CreateContainerTxn, CreateSessionTxn, CreateTtlTxn,
    CreateTxn, DeleteTxn, ErrorTxn, MultiTxn, SetAclTxn, SetDataTxn, SubTxn,
};
pub use self::typed::Txn;

use crate::id::{SessionId, Xid, Zxid};
use crate::OpCode;

record! {
    /// The header of every transaction (32 bytes).
    ///
    /// ```text
    /// long clientId  // the session that issued the write (0 for some internal txns)
    /// int  cxid      // the client's xid of the request (0 for server-made txns)
    /// long zxid      // the transaction's zxid
    /// long time      // the leader's wall clock when it prepared the txn, ms since the epoch
    /// int  type      // OpCode: which record follows
    /// ```
    #[derive(Hash)]
    pub struct TxnHeader {
        /// The session that issued the write; owner of the node for an ephemeral create.
        pub client_id: SessionId,
        /// The client's xid of the request that became this txn.
        pub cxid: Xid,
        /// The transaction's zxid.
        pub zxid: Zxid,
        /// The leader's clock when it prepared the txn (ms since the Unix epoch); becomes the
        /// `ctime`/`mtime` of nodes the txn creates or changes.
        pub time: i64,
        /// The transaction type, which selects the record that follows.
        pub txn_type: OpCode,
    }
}

impl TxnHeader {
    /// The encoded length of a header.
    pub const BYTES: usize = 32;
}

record! {
    /// The digest of the whole tree after a transaction (12 bytes), appended to the txn when
    /// `zookeeper.digest.enabled` (the default since 3.6). Followers compare it with their own
    /// tree's digest to detect divergence.
    ///
    /// ```text
    /// int  version     // DigestCalculator.DIGEST_VERSION, 2 in 3.6 to 3.9
    /// long treeDigest  // sum mod 2^64 of every node's CRC32
    /// ```
    #[derive(Hash, Copy)]
    pub struct TxnDigest {
        /// The digest algorithm's version.
        pub version: i32,
        /// The tree digest after applying the txn.
        pub tree_digest: i64,
    }
}

impl TxnDigest {
    /// The encoded length of a digest.
    pub const BYTES: usize = 12;
    /// The digest version ZooKeeper 3.6 to 3.9 write.
    pub const VERSION: i32 = 2;
}

#[cfg(test)]
mod tests;
