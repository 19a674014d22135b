//! [`Stat`] and [`StatPersisted`]: a znode's metadata, as clients see it and as disks store it.

use crate::id::Zxid;

record! {
    /// A znode's metadata as clients see it (68 bytes on the wire).
    ///
    /// ```text
    /// long czxid  long mzxid  long ctime  long mtime  int version  int cversion  int aversion
    /// long ephemeralOwner  int dataLength  int numChildren  long pzxid
    /// ```
    ///
    /// Two fields are transformed from what the server stores (see [`StatPersisted`]):
    /// `cversion` is `2 × stored cversion − numChildren` (creates plus deletes), and
    /// `ephemeral_owner` is 0 for container and TTL nodes.
    #[derive(Default, Hash, Copy)]
    pub struct Stat {
        /// Zxid of the transaction that created the node.
        pub czxid: Zxid,
        /// Zxid of the last setData (the create's zxid until then).
        pub mzxid: Zxid,
        /// Creation time, ms since the Unix epoch, from the leader's clock.
        pub ctime: i64,
        /// Last setData time, ms since the Unix epoch.
        pub mtime: i64,
        /// Number of setData calls (the data version).
        pub version: i32,
        /// Child version as clients see it: child creates plus child deletes.
        pub cversion: i32,
        /// Number of setACL calls.
        pub aversion: i32,
        /// Owning session of an ephemeral node, else 0.
        pub ephemeral_owner: i64,
        /// Length of the data in bytes (0 for null data).
        pub data_length: i32,
        /// Number of children.
        pub num_children: i32,
        /// Zxid of the last child create or delete.
        pub pzxid: Zxid,
    }
}

record! {
    /// A znode's metadata as snapshots store it (60 bytes): no `dataLength` or `numChildren`,
    /// the *stored* cversion (number of child creates), and the raw `ephemeralOwner`, including
    /// the container (`i64::MIN`) and TTL (`0xFF00_0000_0000_0000 | ttl`) encodings.
    #[derive(Default, Hash, Copy)]
    pub struct StatPersisted {
        /// Zxid of the transaction that created the node.
        pub czxid: Zxid,
        /// Zxid of the last setData.
        pub mzxid: Zxid,
        /// Creation time, ms since the Unix epoch.
        pub ctime: i64,
        /// Last setData time, ms since the Unix epoch.
        pub mtime: i64,
        /// Data version.
        pub version: i32,
        /// Stored child version: the number of child creates.
        pub cversion: i32,
        /// ACL version.
        pub aversion: i32,
        /// Raw owner: session id, container marker, TTL encoding, or 0.
        pub ephemeral_owner: i64,
        /// Zxid of the last child create or delete.
        pub pzxid: Zxid,
    }
}
