//! Node names shared by the recipes: random ids, Curator's protected prefix, kazoo's prefix,
//! sequence suffixes, and path joining.
//!
//! # Layout
//!
//! ```text
//! Curator (protected mode):  _c_<uuid>-<name><seq>     e.g. _c_0f9c...-lock-0000000007
//! kazoo:                     <uuid hex><name><seq>     e.g. 0f9c...__lock__0000000007
//! <seq>: ten digits, the parent's cversion at create time (%010d)
//! ```
//!
//! The uuid makes every contender's node findable by prefix after a create whose reply was
//! lost (Curator's "protected mode"); the sequence orders contenders. Nodes of both families
//! under one parent share one sequence counter, so sorting by sequence gives every client the
//! same order.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// How a recipe names its nodes, for sharing them with processes using another library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NodeNaming {
    /// Apache Curator's protected names, `_c_<uuid>-<name><seq>` (the default).
    #[default]
    Curator,
    /// kazoo's names, `<uuid hex><name><seq>` (e.g. `<hex>__lock__<seq>`).
    Kazoo,
}

impl NodeNaming {
    /// A fresh node-name prefix for one contender: `_c_<uuid>-<name>` or `<hex><name>`.
    pub fn prefix(self, name: &str) -> String {
        match self {
            NodeNaming::Curator => format!("_c_{}-{name}", uuid_v4()),
            NodeNaming::Kazoo => format!("{}{name}", uuid_v4().replace('-', "")),
        }
    }
}

/// A random (version 4) UUID in its 36-character text form, as `java.util.UUID.toString()`
/// prints it.
///
/// No `uuid` dependency: the randomness comes from the standard library's randomly keyed
/// SipHash (`RandomState`, keyed from the OS per thread and varied per instance) over a
/// process-wide counter, the clock and the process id. Ids must be unique among contenders,
/// not unguessable, and 122 such bits are plenty.
pub fn uuid_v4() -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&random_u64().to_be_bytes());
    bytes[8..].copy_from_slice(&random_u64().to_be_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // IETF variant
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    hasher.write_u128(nanos);
    hasher.write_u32(std::process::id());
    hasher.finish()
}

/// Splits a sequential node name into its stem and sequence number: the last ten characters
/// are ZooKeeper's `%010d` counter (which reads `-000000001` after the counter overflows).
pub fn split_sequence(name: &str) -> Option<(&str, i32)> {
    let split = name.len().checked_sub(10)?;
    if !name.is_char_boundary(split) {
        return None;
    }
    let (stem, digits) = name.split_at(split);
    let valid = digits
        .bytes()
        .enumerate()
        .all(|(i, b)| b.is_ascii_digit() || (i == 0 && b == b'-'));
    if !valid {
        return None;
    }
    digits.parse().ok().map(|seq| (stem, seq))
}

/// A contender node among a parent's children: its name and sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Contender {
    pub(crate) name: String,
    pub(crate) seq: i32,
    /// Index into the marker list the name matched.
    pub(crate) marker: usize,
}

/// The children whose stem ends with one of `markers` (e.g. `-lock-`, `__lock__`), sorted by
/// sequence: the contenders of a lock-like recipe in the order every client agrees on.
pub(crate) fn sorted_contenders(children: Vec<String>, markers: &[&str]) -> Vec<Contender> {
    let mut contenders: Vec<Contender> = children
        .into_iter()
        .filter_map(|name| {
            let (stem, seq) = split_sequence(&name)?;
            let marker = markers.iter().position(|m| stem.ends_with(m))?;
            Some(Contender { name, seq, marker })
        })
        .collect();
    contenders.sort_by_key(|c| c.seq);
    contenders
}

/// `parent/name`, for a parent path that may be `/`.
pub(crate) fn join(parent: &str, name: &str) -> String {
    if parent.ends_with('/') {
        format!("{parent}{name}")
    } else {
        format!("{parent}/{name}")
    }
}

/// The last segment of a path.
pub(crate) fn node_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The parent of a path (`/` for top-level nodes and for `/`).
pub(crate) fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_version_4_and_distinct() {
        let a = uuid_v4();
        let b = uuid_v4();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
        assert_eq!(a.matches('-').count(), 4);
    }

    #[test]
    fn prefixes_follow_curator_and_kazoo() {
        let curator = NodeNaming::Curator.prefix("lock-");
        assert!(
            curator.starts_with("_c_") && curator.ends_with("-lock-"),
            "{curator}"
        );
        assert_eq!(curator.len(), 3 + 36 + 1 + 5);
        let kazoo = NodeNaming::Kazoo.prefix("__lock__");
        assert_eq!(kazoo.len(), 32 + 8);
        assert!(
            kazoo[..32].bytes().all(|b| b.is_ascii_hexdigit()),
            "{kazoo}"
        );
    }

    #[test]
    fn sequences_split_off_the_last_ten_characters() {
        assert_eq!(split_sequence("x-lock-0000000042"), Some(("x-lock-", 42)));
        assert_eq!(split_sequence("a-000000001"), Some(("a", -1)));
        assert_eq!(split_sequence("lock-12345"), None);
        assert_eq!(split_sequence("ready"), None);
        assert_eq!(split_sequence("x-lock-00000000a2"), None);
    }

    #[test]
    fn contenders_are_filtered_by_marker_and_sorted_by_sequence() {
        let children = vec![
            "abc__lock__0000000003".to_owned(),
            "_c_1-lock-0000000001".to_owned(),
            "ready".to_owned(),
            "abc__rlock__0000000002".to_owned(),
        ];
        let sorted = sorted_contenders(children, &["-lock-", "__lock__"]);
        let names: Vec<_> = sorted.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["_c_1-lock-0000000001", "abc__lock__0000000003"]);
        assert_eq!(sorted[1].marker, 1);
    }

    #[test]
    fn paths_join_and_split() {
        assert_eq!(join("/", "a"), "/a");
        assert_eq!(join("/a", "b"), "/a/b");
        assert_eq!(parent("/a/b"), "/a");
        assert_eq!(parent("/a"), "/");
        assert_eq!(node_name("/a/b"), "b");
    }
}
