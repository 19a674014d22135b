//! One jute record per transaction type, field for field as `zookeeper.jute` declares them.
//!
//! Field names follow this crate's style (`parent_cversion` for `parentCVersion`); the order
//! and the encodings are Apache's. Which record follows which [`TxnHeader`](super::TxnHeader)
//! type is [`Txn`](super::Txn)'s business.

use bytes::Bytes;

use crate::acl::Acl;
use crate::error_code::ErrorCode;

record! {
    /// The txn of `create` (1) and `create2` (15).
    ///
    /// ```text
    /// ustring path; buffer data; vector<ACL> acl; boolean ephemeral; int parentCVersion
    /// ```
    ///
    /// Logs older than ZooKeeper 3.3 hold `CreateTxnV0`, the same without `parentCVersion`;
    /// [`Txn::decode`](super::Txn::decode) reads those with `parent_cversion = -1`, as Apache's
    /// `SerializeUtils.deserializeTxn` does.
    pub struct CreateTxn {
        /// The full path of the new node, sequence suffix included.
        pub path: String,
        /// The node's data; `None` (null) is distinct from empty.
        pub data: Option<Bytes>,
        /// The node's ACL, already fixed up (`auth` expanded).
        pub acl: Vec<Acl>,
        /// True for ephemeral nodes; the owner is the header's `client_id`.
        pub ephemeral: bool,
        /// The parent's stored cversion *after* this create; replay raises the parent's cversion
        /// to it (never lowers it), which keeps fuzzy-snapshot replay idempotent. -1 in V0 logs.
        pub parent_cversion: i32,
    }
}

record! {
    /// The txn of `createTTL` (21).
    ///
    /// ```text
    /// ustring path; buffer data; vector<ACL> acl; int parentCVersion; long ttl
    /// ```
    pub struct CreateTtlTxn {
        /// The full path of the new node.
        pub path: String,
        /// The node's data.
        pub data: Option<Bytes>,
        /// The node's ACL.
        pub acl: Vec<Acl>,
        /// The parent's stored cversion after this create.
        pub parent_cversion: i32,
        /// Time to live in ms, `0 < ttl <= 0xFF_FFFF_FFFF`.
        pub ttl: i64,
    }
}

record! {
    /// The txn of `createContainer` (19).
    ///
    /// ```text
    /// ustring path; buffer data; vector<ACL> acl; int parentCVersion
    /// ```
    pub struct CreateContainerTxn {
        /// The full path of the new node.
        pub path: String,
        /// The node's data.
        pub data: Option<Bytes>,
        /// The node's ACL.
        pub acl: Vec<Acl>,
        /// The parent's stored cversion after this create.
        pub parent_cversion: i32,
    }
}

record! {
    /// The txn of `delete` (2) and `deleteContainer` (20): `ustring path`.
    pub struct DeleteTxn {
        /// The path of the deleted node.
        pub path: String,
    }
}

record! {
    /// The txn of `setData` (5), and of `reconfig` (16) which rewrites `/zookeeper/config`.
    ///
    /// ```text
    /// ustring path; buffer data; int version
    /// ```
    pub struct SetDataTxn {
        /// The node's path.
        pub path: String,
        /// The new data.
        pub data: Option<Bytes>,
        /// The node's data version *after* this txn.
        pub version: i32,
    }
}

record! {
    /// The txn of `setACL` (7).
    ///
    /// ```text
    /// ustring path; vector<ACL> acl; int version
    /// ```
    pub struct SetAclTxn {
        /// The node's path.
        pub path: String,
        /// The new ACL.
        pub acl: Vec<Acl>,
        /// The node's ACL version *after* this txn.
        pub version: i32,
    }
}

record! {
    /// The txn of a `check` (13) inside a multi; it changes nothing when applied.
    ///
    /// ```text
    /// ustring path; int version
    /// ```
    pub struct CheckVersionTxn {
        /// The checked node's path.
        pub path: String,
        /// The version that was checked.
        pub version: i32,
    }
}

record! {
    /// The txn of `createSession` (-10): `int timeOut`. The session id is the header's
    /// `client_id`.
    pub struct CreateSessionTxn {
        /// The negotiated session timeout.
        pub timeout_ms: i32,
    }
}

record! {
    /// The txn of `closeSession` (-11): `vector<ustring> paths2Delete`, the session's ephemeral
    /// nodes when the leader prepared the close.
    ///
    /// Servers with `zookeeper.closeSessionTxn.enabled=false`, and all before 3.6, log a close
    /// with no body at all; [`Txn::CloseSession`](super::Txn::CloseSession) holds `None` then.
    pub struct CloseSessionTxn {
        /// Full paths of the ephemeral nodes to delete.
        pub paths_to_delete: Vec<String>,
    }
}

record! {
    /// The txn of a failed write (-1), and each sub-txn of a failed multi: `int err`.
    /// Applying it changes nothing, but it consumes a zxid.
    #[derive(Copy, Hash)]
    pub struct ErrorTxn {
        /// Why the write failed.
        pub err: ErrorCode,
    }
}

record! {
    /// One sub-transaction of a [`MultiTxn`] (jute class `Txn`): its type and its record,
    /// serialized on its own.
    ///
    /// ```text
    /// int type; buffer data
    /// ```
    pub struct SubTxn {
        /// The sub-transaction's OpCode, kept as the raw integer.
        pub txn_type: i32,
        /// The encoded record (for example a `CreateTxn`).
        pub data: Bytes,
    }
}

record! {
    /// The txn of `multi` (14): `vector<Txn> txns`. All sub-txns share the header's zxid.
    ///
    /// A failed multi is logged too: the sub-ops before the failing one keep their records, the
    /// failing one is an [`ErrorTxn`] with its error and every later one an [`ErrorTxn`] with
    /// `RUNTIMEINCONSISTENCY` (as Apache 3.8 writes it; checked against a real log). Because
    /// one sub-txn is an error, `DataTree` applies none of them.
    ///
    /// This is the raw form; [`Txn::Multi`](super::Txn::Multi) is the typed one.
    pub struct MultiTxn {
        /// The sub-transactions, in request order.
        pub txns: Vec<SubTxn>,
    }
}
