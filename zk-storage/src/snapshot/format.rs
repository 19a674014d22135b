//! The contents of an Apache ZooKeeper 3.8 snapshot as plain data, and its file names.
//!
//! A snapshot is one logical byte stream (then optionally compressed, see
//! [`Compression`](super::Compression)) whose running Adler-32 is written at "seals":
//!
//! ```text
//! FileHeader      { int magic = 'ZKSN' (0x5A4B534E); int version = 2; long dbid = -1 }
//! int count;      count × SnapshotSession { long id; int timeoutMs }
//! int count;      count × SnapshotAcl     { long id; vector<ACL> acl }   // -1 is never listed
//! nodes, parents before children (pre-order), root first:
//!     ustring path;                        // "" for the root, then "/zookeeper", ...
//!     buffer data; long aclId; StatPersisted stat          // 60-byte StatPersisted
//! ustring "/"                              // end of nodes
//! seal            { long adler32; ustring "/" }
//! [ZxidDigest     { long zxid; int digestVersion; long digest }; seal]   // digest enabled (3.6+)
//! [long lastProcessedZxid; seal]                                        // 3.9+
//! ```
//!
//! The checksum of a seal covers every byte of the stream before the seal's `long`, including
//! earlier seals: it is never reset (`SnapStream.sealStream` reads `CheckedOutputStream`'s
//! running value). Apache 3.8 writes the digest section (an all-zero "empty" digest when it has
//! none) and no `lastProcessedZxid`; 3.9 adds it. A `digestVersion` below 2 stores the digest as
//! a hex `ustring` instead of a `long` (3.6 prereleases); readers accept both.
//!
//! Snapshots are *fuzzy*: Apache serializes the tree while it keeps applying txns, so a
//! snapshot named by zxid `Z` holds every txn up to `Z` and possibly some later ones. Loading one
//! means replaying the log from `Z + 1`, tolerating "node exists" / "no node".

use std::fmt;

use bytes::Bytes;
use zk_proto::{Acl, SessionId, StatPersisted, Zxid};

pub use zk_proto::txn::FileHeader;

/// A global session, as the snapshot lists them: its id and negotiated timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SnapshotSession {
    /// The session id.
    pub id: SessionId,
    /// The negotiated session timeout, ms.
    pub timeout_ms: i32,
}

/// One entry of the snapshot's ACL cache (`ReferenceCountedACLCache`): nodes refer to ACL lists
/// by this id. Id -1 means `OPEN_ACL_UNSAFE` and is never listed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SnapshotAcl {
    /// The key nodes store in [`SnapshotNode::acl_id`].
    pub id: i64,
    /// The ACL list.
    pub acl: Vec<Acl>,
}

impl SnapshotAcl {
    /// The id Apache uses for `OPEN_ACL_UNSAFE` when a node was given a null ACL list; never in
    /// the map.
    pub const OPEN_ACL_UNSAFE_ID: i64 = -1;
}

/// One znode as the snapshot stores it.
///
/// `path` is a ZooKeeper path: `"/"` for the root (the file stores the root as `""`; the reader
/// and writer translate). `stat` is the stored [`StatPersisted`]: the stored `cversion` and the
/// raw `ephemeralOwner`, including the container (`i64::MIN`) and TTL encodings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SnapshotNode {
    /// The node's path; `"/"` is the root.
    pub path: String,
    /// The node's data; `None` for null data (distinct from empty).
    pub data: Option<Bytes>,
    /// Key into the ACL cache; [`SnapshotAcl::OPEN_ACL_UNSAFE_ID`] for the open ACL.
    pub acl_id: i64,
    /// The stored stat.
    pub stat: StatPersisted,
}

impl SnapshotNode {
    /// A borrowed view, for [`SnapshotWriter::write_node`](super::SnapshotWriter::write_node).
    pub fn as_ref(&self) -> SnapshotNodeRef<'_> {
        SnapshotNodeRef {
            path: &self.path,
            data: self.data.as_deref(),
            acl_id: self.acl_id,
            stat: &self.stat,
        }
    }
}

/// A borrowed [`SnapshotNode`], so that a tree can be written without copying its nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotNodeRef<'a> {
    /// The node's path; `"/"` is the root.
    pub path: &'a str,
    /// The node's data; `None` for null data.
    pub data: Option<&'a [u8]>,
    /// Key into the ACL cache.
    pub acl_id: i64,
    /// The stored stat.
    pub stat: &'a StatPersisted,
}

/// The tree digest at a zxid (`DataTree.ZxidDigest`), written after the nodes so that replay
/// can check the tree once it reaches `zxid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ZxidDigest {
    /// The zxid the digest is for; 0 means "no digest" (what Apache writes when it has none).
    pub zxid: Zxid,
    /// `DigestCalculator.DIGEST_VERSION` (2 in 3.6 to 3.9).
    pub digest_version: i32,
    /// The tree digest.
    pub digest: i64,
}

impl ZxidDigest {
    /// What Apache writes when digests are enabled but none was computed yet: zxid 0.
    pub const EMPTY: ZxidDigest = ZxidDigest {
        zxid: Zxid::ZERO,
        digest_version: 2,
        digest: 0,
    };

    /// True unless this is the "no digest" marker (zxid ≤ 0), which Apache ignores on load.
    pub fn is_present(&self) -> bool {
        self.zxid > Zxid::ZERO
    }
}

/// What follows the nodes: the optional sections after the first seal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SnapshotTrailer {
    /// The digest section, if the snapshot has one.
    pub digest: Option<ZxidDigest>,
    /// The exact zxid of the serialized state (3.9+), if the snapshot has it.
    pub last_processed_zxid: Option<Zxid>,
}

impl SnapshotTrailer {
    /// The trailer Apache ZooKeeper 3.8 writes with digests enabled (the default): a digest
    /// section and no `lastProcessedZxid`.
    pub fn apache_3_8(digest: Option<ZxidDigest>) -> SnapshotTrailer {
        SnapshotTrailer {
            digest: Some(digest.unwrap_or(ZxidDigest::EMPTY)),
            last_processed_zxid: None,
        }
    }
}

/// The name a snapshot of `zxid` gets: `snapshot.<lowercase hex zxid, no padding>` plus the
/// compression suffix.
///
/// ```
/// use zk_storage::snapshot::{snapshot_file_name, Compression};
/// use zk_proto::Zxid;
/// assert_eq!(snapshot_file_name(Zxid(0x1_0000_002a), Compression::None), "snapshot.10000002a");
/// assert_eq!(snapshot_file_name(Zxid(0), Compression::Gzip), "snapshot.0.gz");
/// ```
pub fn snapshot_file_name(zxid: Zxid, compression: super::Compression) -> String {
    format!("snapshot.{:x}{}", zxid.0, compression.suffix())
}

/// Parses a snapshot file name: `snapshot.<hex>` with an optional `.gz` or `.snappy`.
///
/// Stricter than Apache's `Util.getZxidFromName`, which takes any further suffix (even `.tmp`
/// or `.bak`) as an uncompressed snapshot: here anything else is not a snapshot.
///
/// ```
/// use zk_storage::snapshot::{parse_snapshot_file_name, Compression};
/// use zk_proto::Zxid;
/// assert_eq!(parse_snapshot_file_name("snapshot.1f.snappy"), Some((Zxid(0x1f), Compression::Snappy)));
/// assert_eq!(parse_snapshot_file_name("snapshot.1f.tmp"), None);
/// assert_eq!(parse_snapshot_file_name("log.1f"), None);
/// ```
pub fn parse_snapshot_file_name(name: &str) -> Option<(Zxid, super::Compression)> {
    let rest = name.strip_prefix("snapshot.")?;
    let (hex, compression) = match rest.split_once('.') {
        None => (rest, super::Compression::None),
        Some((hex, "gz")) => (hex, super::Compression::Gzip),
        Some((hex, "snappy")) => (hex, super::Compression::Snappy),
        Some(_) => return None,
    };
    parse_hex_zxid(hex).map(|z| (z, compression))
}

/// Parses a file-name zxid as Java's `Long.parseLong(s, 16)` does for the names ZooKeeper
/// writes: 1 to 16 hex digits of a non-negative `long`.
pub(crate) fn parse_hex_zxid(hex: &str) -> Option<Zxid> {
    if hex.is_empty() || hex.len() > 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let v = u64::from_str_radix(hex, 16).ok()?;
    i64::try_from(v).ok().map(Zxid)
}

impl fmt::Display for SnapshotSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "session {} timeout {} ms", self.id, self.timeout_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Compression;

    #[test]
    fn names_round_trip_for_every_compression() {
        for c in Compression::ALL {
            for z in [0, 1, 0x5c, 0x1_0000_0001, i64::MAX] {
                let name = snapshot_file_name(Zxid(z), c);
                assert_eq!(
                    parse_snapshot_file_name(&name),
                    Some((Zxid(z), c)),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn names_that_are_not_snapshots_are_rejected() {
        for name in [
            "snapshot.",
            "snapshot.xyz",
            "snapshot.ffffffffffffffff",
            "snapshot.1.tmp",
            "snapshot.1.gz.tmp",
            "snapshot",
            "acceptedEpoch",
            ".snapshot.1.tmp",
        ] {
            assert_eq!(parse_snapshot_file_name(name), None, "{name}");
        }
        // Apache writes lowercase, but parses either case.
        assert_eq!(
            parse_snapshot_file_name("snapshot.AB"),
            Some((Zxid(0xab), Compression::None))
        );
    }
}
