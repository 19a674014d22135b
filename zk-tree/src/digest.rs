//! The tree digest: Apache ZooKeeper's `DigestCalculator` (version 2) and `AdHash`.
//!
//! Replicas compare digests to detect divergence: the leader appends the digest after each txn
//! to the log and proposal ([`TxnDigest`](zk_proto::txn::TxnDigest)), snapshots end with one,
//! and a follower whose own digest differs after applying the same txn has diverged.
//!
//! The tree digest is the sum, modulo 2⁶⁴, of one CRC32 per node. A sum can be maintained
//! incrementally: subtract a node's old CRC before changing it and add the new one after, so
//! [`DataTree`](crate::DataTree) never rehashes the whole tree. A node's CRC covers
//!
//! ```text
//! path bytes (UTF-8; the root is hashed as "", whether named "" or "/")
//! data bytes (nothing for null data)
//! long czxid, long mzxid, long pzxid, long ctime, long mtime,
//! int version, int cversion (stored), int aversion, long ephemeralOwner (raw)   60 bytes, BE
//! ```
//!
//! Nodes whose path starts with `/zookeeper/` contribute 0: Apache updates the quota nodes
//! outside transactions, so it excludes that subtree. `/zookeeper` itself is hashed.
//!
//! ```
//! use zk_proto::StatPersisted;
//! use zk_tree::digest::{node_digest, TreeDigest};
//!
//! let zero = StatPersisted::default();
//! assert_eq!(node_digest("/zookeeper/quota", Some(b""), &zero), 0);
//! assert_eq!(node_digest("/", Some(b""), &zero), node_digest("", None, &zero));
//!
//! let mut digest = TreeDigest::default();
//! digest.add(node_digest("/a", Some(b"x"), &zero));
//! digest.remove(node_digest("/a", Some(b"x"), &zero));
//! assert_eq!(digest.value(), 0);
//! ```

use zk_proto::StatPersisted;

/// `DigestCalculator.DIGEST_VERSION`: the version written beside every digest.
pub const DIGEST_VERSION: i32 = 2;

/// The subtree excluded from the digest (`ZooDefs.ZOOKEEPER_NODE_SUBTREE`).
const EXCLUDED_PREFIX: &str = "/zookeeper/";

/// One node's contribution to the tree digest: its CRC32 (as Java's `CRC32.getValue()`, a
/// non-negative long), or 0 under `/zookeeper/`.
pub fn node_digest(path: &str, data: Option<&[u8]>, stat: &StatPersisted) -> u64 {
    if path.starts_with(EXCLUDED_PREFIX) {
        return 0;
    }
    let path = if path == "/" { "" } else { path };
    let mut fixed = [0u8; 60];
    let fields: [&[u8]; 9] = [
        &stat.czxid.0.to_be_bytes(),
        &stat.mzxid.0.to_be_bytes(),
        &stat.pzxid.0.to_be_bytes(),
        &stat.ctime.to_be_bytes(),
        &stat.mtime.to_be_bytes(),
        &stat.version.to_be_bytes(),
        &stat.cversion.to_be_bytes(),
        &stat.aversion.to_be_bytes(),
        &stat.ephemeral_owner.to_be_bytes(),
    ];
    let mut at = 0;
    for field in fields {
        fixed[at..at + field.len()].copy_from_slice(field);
        at += field.len();
    }
    debug_assert_eq!(at, fixed.len());
    let mut crc = crc32fast::Hasher::new();
    crc.update(path.as_bytes());
    if let Some(data) = data {
        crc.update(data);
    }
    crc.update(&fixed);
    u64::from(crc.finalize())
}

/// The running digest of a whole tree (`AdHash`): a wrapping sum of node digests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TreeDigest(u64);

impl TreeDigest {
    /// Adds a node's digest.
    pub fn add(&mut self, node_digest: u64) {
        self.0 = self.0.wrapping_add(node_digest);
    }

    /// Removes a node's digest (the node changed or went away).
    pub fn remove(&mut self, node_digest: u64) {
        self.0 = self.0.wrapping_sub(node_digest);
    }

    /// The digest as Java's signed long, as `TxnDigest.treeDigest` and snapshots carry it.
    pub fn value(self) -> i64 {
        self.0 as i64
    }
}

#[cfg(test)]
mod tests {
    use zk_proto::Zxid;

    use super::*;

    #[test]
    fn stat_fields_are_hashed_in_digest_calculator_order() {
        // The 60-byte block is czxid, mzxid, pzxid, ctime, mtime, version, cversion, aversion,
        // ephemeralOwner — pzxid third, unlike the StatPersisted record order.
        let stat = StatPersisted {
            czxid: Zxid(1),
            mzxid: Zxid(2),
            ctime: 4,
            mtime: 5,
            version: 6,
            cversion: 7,
            aversion: 8,
            ephemeral_owner: 9,
            pzxid: Zxid(3),
        };
        let mut expected = Vec::new();
        for v in [1i64, 2, 3, 4, 5] {
            expected.extend_from_slice(&v.to_be_bytes());
        }
        for v in [6i32, 7, 8] {
            expected.extend_from_slice(&v.to_be_bytes());
        }
        expected.extend_from_slice(&9i64.to_be_bytes());
        let mut bytes = b"/a".to_vec();
        bytes.extend_from_slice(b"data");
        bytes.extend_from_slice(&expected);
        assert_eq!(
            node_digest("/a", Some(b"data"), &stat),
            u64::from(crc32fast::hash(&bytes))
        );
    }

    #[test]
    fn zookeeper_subtree_is_excluded_but_zookeeper_itself_is_not() {
        let zero = StatPersisted::default();
        assert_eq!(node_digest("/zookeeper/config", Some(b"x"), &zero), 0);
        assert_ne!(node_digest("/zookeeper", Some(b""), &zero), 0);
    }

    #[test]
    fn known_crc32_value_of_the_empty_root() {
        // CRC32 of 60 zero bytes, as java.util.zip.CRC32 computes it (standard IEEE CRC32).
        let zero = StatPersisted::default();
        assert_eq!(
            node_digest("", Some(b""), &zero),
            u64::from(crc32fast::hash(&[0u8; 60]))
        );
    }
}
