//! Records of Apache's on-disk files that are not transactions: the [`FileHeader`] that starts
//! every log and snapshot file, and the [`DataNodeRecord`] a snapshot stores per node.
//!
//! How these are arranged in a file (checksums, padding, the snapshot's node list) is
//! `zk-storage`'s business; this module only fixes their bytes.

use bytes::Bytes;

use crate::stat::StatPersisted;

record! {
    /// The first 16 bytes of a `log.<zxid>` or `snapshot.<zxid>` file.
    ///
    /// ```text
    /// int magic    // 'ZKLG' for logs, 'ZKSN' for snapshots
    /// int version  // 2
    /// long dbid    // 0 in logs (never assigned), -1 in snapshots; not checked on read
    /// ```
    #[derive(Copy, Hash)]
    pub struct FileHeader {
        /// [`FileHeader::TXNLOG_MAGIC`] or [`FileHeader::SNAP_MAGIC`].
        pub magic: i32,
        /// [`FileHeader::VERSION`].
        pub version: i32,
        /// The database id; unused.
        pub dbid: i64,
    }
}

impl FileHeader {
    /// The encoded length of a file header.
    pub const BYTES: usize = 16;
    /// `ZKLG`: a transaction log.
    pub const TXNLOG_MAGIC: i32 = 0x5A4B_4C47;
    /// `ZKSN`: a snapshot.
    pub const SNAP_MAGIC: i32 = 0x5A4B_534E;
    /// The only version ZooKeeper has written (the `version-2` directory).
    pub const VERSION: i32 = 2;
}

record! {
    /// One node as a snapshot stores it (`DataNode.serialize`), after its path.
    ///
    /// ```text
    /// buffer data; long aclId; StatPersisted stat
    /// ```
    pub struct DataNodeRecord {
        /// The node's data; `None` (null) for a node created with null data.
        pub data: Option<Bytes>,
        /// The key of the node's ACL in the snapshot's ACL cache; -1 is `OPEN_ACL_UNSAFE`.
        pub acl_id: i64,
        /// The stored stat (stored cversion, raw ephemeralOwner).
        pub stat: StatPersisted,
    }
}
