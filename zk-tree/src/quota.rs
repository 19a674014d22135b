//! Quotas: [`StatsTrack`], the text in `/zookeeper/quota/<path>/zookeeper_limits` and
//! `zookeeper_stats`, and the checks and bookkeeping built on it.
//!
//! `setquota -n 10 /app` (zkCli) creates `/zookeeper/quota/app/zookeeper_limits` with data
//! `count=10,bytes=-1` and `/zookeeper/quota/app/zookeeper_stats` with the subtree's current
//! count and bytes. ZooKeeper 3.7+ hard limits (`setquota -N`/`-B`) add keys after an extra `=`
//! that old parsers ignore: `count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=10`.
//!
//! A path's quota is that of its deepest ancestor-or-self with a limits node
//! ([`quota_prefix`]; never `/`). Every create, delete and setData under it updates the stats
//! node's data in place, without a transaction of its own ([`QuotaUpdate`], done inside
//! `DataTree::apply`). When `zookeeper.enforceQuota` is on, preparation checks creates and
//! setData against the *applied* tree ([`check_quota`]): exceeding a hard limit is
//! QUOTAEXCEEDED, exceeding a soft one only yields a [`QuotaWarning`] to log.
//!
//! ```
//! use zk_tree::quota::StatsTrack;
//! let limits = StatsTrack::parse(b"count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=10").unwrap();
//! assert_eq!((limits.count(), limits.count_hard_limit()), (-1, 10));
//! let mut stats = StatsTrack::parse(b"count=3,bytes=12").unwrap();
//! stats.set_count(4);
//! assert_eq!(stats.to_string(), "count=4,bytes=12");
//! assert_eq!(limits.to_string(), "count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=10");
//! ```

use std::collections::BTreeMap;
use std::fmt;

use crate::data_tree::DataTree;

/// `/zookeeper/quota`.
pub const QUOTA_ZOOKEEPER: &str = "/zookeeper/quota";
/// The limits node's name.
pub const LIMIT_NODE: &str = "zookeeper_limits";
/// The stats node's name.
pub const STAT_NODE: &str = "zookeeper_stats";

const COUNT: &str = "count";
const BYTES: &str = "bytes";
const COUNT_HARD: &str = "countHardLimit";
const BYTE_HARD: &str = "byteHardLimit";

/// `Quotas.limitPath`: `/zookeeper/quota<path>/zookeeper_limits`.
pub fn limit_path(path: &str) -> String {
    format!("{QUOTA_ZOOKEEPER}{path}/{LIMIT_NODE}")
}

/// `Quotas.statPath`: `/zookeeper/quota<path>/zookeeper_stats`.
pub fn stat_path(path: &str) -> String {
    format!("{QUOTA_ZOOKEEPER}{path}/{STAT_NODE}")
}

/// The `key=value` pairs of a limits or stats node (`StatsTrack`). Absent keys read as -1
/// (no limit).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatsTrack {
    stats: BTreeMap<String, i64>,
}

impl StatsTrack {
    /// Parses node data as Java does: pairs split on runs of `,` and `;`, each `key=value`
    /// (split on `=`; an empty value is -1; anything after a second `=` is ignored). `None`
    /// where Java would throw (a pair without `=`, a value that is not a long); the caller
    /// then treats the node as holding no quota.
    pub fn parse(data: &[u8]) -> Option<StatsTrack> {
        let text = String::from_utf8_lossy(data);
        let mut stats = BTreeMap::new();
        if text.is_empty() {
            return Some(StatsTrack { stats });
        }
        let mut pairs: Vec<&str> = text.split([',', ';']).collect();
        // Java's regex split: runs of separators are one, trailing empties are dropped.
        while pairs.last() == Some(&"") {
            pairs.pop();
        }
        let mut first = true;
        for pair in pairs {
            if pair.is_empty() && !first {
                continue; // inside a run of separators
            }
            first = false;
            let mut kv: Vec<&str> = pair.split('=').collect();
            while kv.len() > 1 && kv.last() == Some(&"") {
                kv.pop();
            }
            let value = kv.get(1)?;
            let value = if value.is_empty() {
                -1
            } else {
                value.parse().ok()?
            };
            stats.insert(kv[0].to_owned(), value);
        }
        Some(StatsTrack { stats })
    }

    fn get(&self, key: &str) -> i64 {
        self.stats.get(key).copied().unwrap_or(-1)
    }

    /// The soft count limit, or the count (stats node); -1 if absent.
    pub fn count(&self) -> i64 {
        self.get(COUNT)
    }

    /// The soft byte limit, or the bytes (stats node); -1 if absent.
    pub fn bytes(&self) -> i64 {
        self.get(BYTES)
    }

    /// The hard count limit; -1 if absent.
    pub fn count_hard_limit(&self) -> i64 {
        self.get(COUNT_HARD)
    }

    /// The hard byte limit; -1 if absent.
    pub fn byte_hard_limit(&self) -> i64 {
        self.get(BYTE_HARD)
    }

    /// Sets `count`.
    pub fn set_count(&mut self, count: i64) {
        self.stats.insert(COUNT.to_owned(), count);
    }

    /// Sets `bytes`.
    pub fn set_bytes(&mut self, bytes: i64) {
        self.stats.insert(BYTES.to_owned(), bytes);
    }

    /// Sets `countHardLimit`.
    pub fn set_count_hard_limit(&mut self, limit: i64) {
        self.stats.insert(COUNT_HARD.to_owned(), limit);
    }

    /// Sets `byteHardLimit`.
    pub fn set_byte_hard_limit(&mut self, limit: i64) {
        self.stats.insert(BYTE_HARD.to_owned(), limit);
    }

    /// The node data: [`Display`](fmt::Display) as UTF-8.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_string().into_bytes()
    }
}

impl fmt::Display for StatsTrack {
    /// `count=N,bytes=M`, then, if there are other keys, `=` and `;key=value` for each in
    /// sorted order (Java's `StatsTrack.toString`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{COUNT}={},{BYTES}={}", self.count(), self.bytes())?;
        let mut others = self
            .stats
            .iter()
            .filter(|(k, _)| *k != COUNT && *k != BYTES)
            .peekable();
        if others.peek().is_some() {
            f.write_str("=")?;
        }
        for (key, value) in others {
            write!(f, ";{key}={value}")?;
        }
        Ok(())
    }
}

/// `DataTree.getMaxPrefixWithQuota`: the deepest ancestor-or-self of `path` (never `/`) that
/// has a `zookeeper_limits` node, i.e. whose quota governs `path`.
pub fn quota_prefix(tree: &DataTree, path: &str) -> Option<String> {
    // Most trees have no quota at all: one lookup settles it.
    if tree.children(QUOTA_ZOOKEEPER).is_none_or(|c| c.len() == 0) {
        return None;
    }
    let mut candidate = Some(path);
    while let Some(p) = candidate {
        if p == "/" || p.is_empty() {
            return None;
        }
        if tree.node(&limit_path(p)).is_some() {
            return Some(p.to_owned());
        }
        candidate = zk_proto::path::parent(p);
    }
    None
}

/// A soft limit that a write exceeds (logged, not refused), or a hard one (refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaWarning {
    /// The path whose quota is exceeded.
    pub prefix: String,
    /// `count` or `bytes`.
    pub what: &'static str,
    /// The value after the write.
    pub current: i64,
    /// The limit.
    pub limit: i64,
    /// True for a hard limit (the write fails with QUOTAEXCEEDED).
    pub hard: bool,
}

impl fmt::Display for QuotaWarning {
    /// Java's message: `Quota exceeded: /app [current count=11, softCountLimit=10]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.hard { "hard" } else { "soft" };
        let limit = if self.what == COUNT { "Count" } else { "Byte" };
        write!(
            f,
            "Quota exceeded: {} [current {}={}, {kind}{limit}Limit={}]",
            self.prefix, self.what, self.current, self.limit
        )
    }
}

/// `ZooKeeperServer.checkQuota` (only called when `zookeeper.enforceQuota` is on): would a
/// write adding `count_diff` nodes and `bytes_diff` bytes under `path` exceed its quota?
///
/// Returns the limits exceeded, soft and hard; the write fails with QUOTAEXCEEDED if any is
/// hard. Like ZooKeeper, it reads the applied tree's stats node, not pending changes.
pub fn check_quota(
    tree: &DataTree,
    path: &str,
    bytes_diff: i64,
    count_diff: i64,
) -> Vec<QuotaWarning> {
    let Some(prefix) = quota_prefix(tree, path) else {
        return Vec::new();
    };
    let read = |p: String| {
        let node = tree.node(&p)?;
        StatsTrack::parse(node.data().unwrap_or_default())
    };
    let Some(limits) = read(limit_path(&prefix)) else {
        return Vec::new();
    };
    let check_count = count_diff != 0 && (limits.count() > -1 || limits.count_hard_limit() > -1);
    let check_bytes = bytes_diff != 0 && (limits.bytes() > -1 || limits.byte_hard_limit() > -1);
    if !check_count && !check_bytes {
        return Vec::new();
    }
    let Some(current) = read(stat_path(&prefix)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut check = |what, now: i64, diff: i64, soft: i64, hard: i64| {
        let is_hard = hard > -1;
        let limit = if is_hard { hard } else { soft };
        let after = now.wrapping_add(diff);
        if after > limit {
            out.push(QuotaWarning {
                prefix: prefix.clone(),
                what,
                current: after,
                limit,
                hard: is_hard,
            });
        }
    };
    if check_count {
        let hard = limits.count_hard_limit();
        check(COUNT, current.count(), count_diff, limits.count(), hard);
    }
    if check_bytes {
        let hard = limits.byte_hard_limit();
        check(BYTES, current.bytes(), bytes_diff, limits.bytes(), hard);
    }
    out
}

/// What applying a write does to quota stats nodes, for `DataTree::apply` to carry out (Apache
/// does it inside `createNode`, `deleteNode` and `setData`). Data of stats nodes is replaced
/// without touching their stat; the `/zookeeper/` subtree is outside the digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuotaUpdate {
    /// Add to the stats node of `prefix`: `updateQuotaStat(prefix, bytes, count)`.
    Adjust {
        /// The quota's path.
        prefix: String,
        /// Bytes to add (negative to remove).
        bytes_diff: i64,
        /// Nodes to add (negative to remove).
        count_diff: i64,
    },
    /// A `zookeeper_stats` node was just created for `prefix`: set its data to the subtree's
    /// count (the node itself included) and bytes (`updateQuotaForPath`).
    Recount {
        /// The quota's path.
        prefix: String,
    },
}

impl QuotaUpdate {
    /// The updates after creating `path` with `data_len` bytes (`prefix` from
    /// [`quota_prefix`] of the tree *after* the create).
    pub fn after_create(tree: &DataTree, path: &str, data_len: i64) -> Vec<QuotaUpdate> {
        let mut out = Vec::new();
        if let Some(parent) = zk_proto::path::parent(path) {
            let name = zk_proto::path::basename(path);
            if name == STAT_NODE {
                if let Some(prefix) = parent.strip_prefix(QUOTA_ZOOKEEPER) {
                    out.push(QuotaUpdate::Recount {
                        prefix: prefix.to_owned(),
                    });
                }
            }
        }
        if let Some(prefix) = quota_prefix(tree, path) {
            out.push(QuotaUpdate::Adjust {
                prefix,
                bytes_diff: data_len,
                count_diff: 1,
            });
        }
        out
    }

    /// The update after deleting `path`, which held `data_len` bytes.
    pub fn after_delete(tree: &DataTree, path: &str, data_len: i64) -> Option<QuotaUpdate> {
        quota_prefix(tree, path).map(|prefix| QuotaUpdate::Adjust {
            prefix,
            bytes_diff: -data_len,
            count_diff: -1,
        })
    }

    /// The update after a setData of `path` from `old_len` to `new_len` bytes.
    pub fn after_set_data(
        tree: &DataTree,
        path: &str,
        old_len: i64,
        new_len: i64,
    ) -> Option<QuotaUpdate> {
        quota_prefix(tree, path).map(|prefix| QuotaUpdate::Adjust {
            prefix,
            bytes_diff: new_len - old_len,
            count_diff: 0,
        })
    }

    /// The new data for the stats node given its current data (for [`Adjust`]); `None` if the
    /// current data does not parse (then leave it alone).
    ///
    /// [`Adjust`]: QuotaUpdate::Adjust
    pub fn adjusted(current: &[u8], bytes_diff: i64, count_diff: i64) -> Option<Vec<u8>> {
        let mut stats = StatsTrack::parse(current)?;
        stats.set_count(stats.count().wrapping_add(count_diff));
        stats.set_bytes(stats.bytes().wrapping_add(bytes_diff));
        Some(stats.to_bytes())
    }

    /// The stats data for a subtree of `count` nodes holding `bytes` bytes (for [`Recount`]).
    ///
    /// [`Recount`]: QuotaUpdate::Recount
    pub fn recounted(count: i64, bytes: i64) -> Vec<u8> {
        let mut stats = StatsTrack::default();
        stats.set_bytes(bytes);
        stats.set_count(count);
        stats.to_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_java_stats_track() {
        let t = StatsTrack::parse(b"count=10,bytes=-1").unwrap();
        assert_eq!((t.count(), t.bytes(), t.count_hard_limit()), (10, -1, -1));
        let t = StatsTrack::parse(b"count=1,bytes=5=;byteHardLimit=100;countHardLimit=-1").unwrap();
        assert_eq!((t.bytes(), t.byte_hard_limit()), (5, 100));
        // Runs of separators, empty values, trailing separators.
        let t = StatsTrack::parse(b"count=1,;bytes=7,,").unwrap();
        assert_eq!((t.count(), t.bytes()), (1, 7));
        let t = StatsTrack::parse(b"count==5").unwrap();
        assert_eq!(t.count(), -1);
        assert_eq!(StatsTrack::parse(b"").unwrap(), StatsTrack::default());
        // Where Java throws ("count=".split("=") has one element).
        assert_eq!(StatsTrack::parse(b"count=,bytes=1"), None);
        assert_eq!(StatsTrack::parse(b"count"), None);
        assert_eq!(StatsTrack::parse(b"count=x"), None);
        assert_eq!(StatsTrack::parse(b",count=1"), None);
    }

    #[test]
    fn formats_like_java_stats_track() {
        let mut t = StatsTrack::default();
        assert_eq!(t.to_string(), "count=-1,bytes=-1");
        t.set_count_hard_limit(10);
        t.set_byte_hard_limit(-1);
        assert_eq!(
            t.to_string(),
            "count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=10"
        );
        assert_eq!(QuotaUpdate::recounted(3, 12), b"count=3,bytes=12");
        assert_eq!(
            QuotaUpdate::adjusted(b"count=3,bytes=12", -2, -1).unwrap(),
            b"count=2,bytes=10"
        );
    }

    #[test]
    fn warnings_read_like_zookeepers_log() {
        let w = QuotaWarning {
            prefix: "/app".into(),
            what: "count",
            current: 11,
            limit: 10,
            hard: false,
        };
        assert_eq!(
            w.to_string(),
            "Quota exceeded: /app [current count=11, softCountLimit=10]"
        );
    }

    #[test]
    fn paths_of_quota_nodes() {
        assert_eq!(limit_path("/a/b"), "/zookeeper/quota/a/b/zookeeper_limits");
        assert_eq!(stat_path("/a"), "/zookeeper/quota/a/zookeeper_stats");
    }

    #[test]
    fn no_quota_in_a_fresh_tree() {
        let tree = DataTree::new();
        assert_eq!(quota_prefix(&tree, "/a/b"), None);
        assert!(check_quota(&tree, "/a/b", 10, 1).is_empty());
    }
}
