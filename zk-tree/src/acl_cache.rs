//! [`AclCache`]: every distinct ACL list of the tree, stored once and named by an [`AclId`].
//!
//! Almost every znode of a real tree carries one of a handful of ACL lists (usually
//! `OPEN_ACL_UNSAFE` or a per-application digest list), so a node stores an 8-byte [`AclId`]
//! and the tree keeps one copy of each list with a reference count. This is Apache
//! ZooKeeper's `ReferenceCountedACLCache`, and it maps straight onto the snapshot format, which
//! stores an ACL map (`long id → vector<ACL>`) and then an `aclId` per node.
//!
//! Ids are assigned exactly as Apache assigns them — `-1` is the implicit `OPEN_ACL_UNSAFE` of
//! the initial nodes and is never stored in the map; every new distinct list gets the next id
//! from 1 upwards; a list whose last user goes away is forgotten — so that a tree built by
//! the same transactions as an Apache server's has the same ids.

use foldhash::{HashMap, HashMapExt};
use std::sync::Arc;

use zk_proto::Acl;

/// The key of an ACL list in the [`AclCache`] (the `aclId` of a snapshot's node record).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AclId(pub i64);

impl AclId {
    /// `OPEN_ACL_UNSAFE`, implicit: never listed in the cache or in a snapshot's ACL map. Only
    /// the initial nodes use it; a create with `OPEN_ACL_UNSAFE` gets an ordinary id, as in Apache.
    pub const OPEN_ACL_UNSAFE: AclId = AclId(-1);
}

/// One cached list and the number of nodes that use it.
#[derive(Debug, Clone)]
struct Entry {
    acl: Arc<[Acl]>,
    refs: u64,
}

/// The reference-counted ACL lists of a [`DataTree`](crate::DataTree).
///
/// Invariant: `by_id` and `by_list` are inverse maps of the same entries.
#[derive(Debug, Clone)]
pub struct AclCache {
    by_id: HashMap<AclId, Entry>,
    by_list: HashMap<Arc<[Acl]>, AclId>,
    /// The last id handed out (`aclIndex`).
    last_id: i64,
    open: Arc<[Acl]>,
}

impl Default for AclCache {
    fn default() -> Self {
        AclCache {
            by_id: HashMap::new(),
            by_list: HashMap::new(),
            last_id: 0,
            open: Acl::open_acl_unsafe().into(),
        }
    }
}

impl AclCache {
    /// The id of `acl`, adding the list if it is new; counts one more user (`convertAcls`).
    pub(crate) fn intern(&mut self, acl: &[Acl]) -> AclId {
        let id = match self.by_list.get(acl) {
            Some(id) => *id,
            None => {
                self.last_id += 1;
                let id = AclId(self.last_id);
                let list: Arc<[Acl]> = acl.into();
                self.by_list.insert(list.clone(), id);
                self.by_id.insert(id, Entry { acl: list, refs: 0 });
                id
            }
        };
        self.add_usage(id);
        id
    }

    /// Counts one more user of `id`; unknown ids are ignored, as Apache ignores them.
    pub(crate) fn add_usage(&mut self, id: AclId) {
        if let Some(entry) = self.by_id.get_mut(&id) {
            entry.refs += 1;
        }
    }

    /// Counts one user less of `id`, forgetting the list when none is left.
    pub(crate) fn remove_usage(&mut self, id: AclId) {
        let Some(entry) = self.by_id.get_mut(&id) else {
            return;
        };
        entry.refs = entry.refs.saturating_sub(1);
        if entry.refs == 0 {
            let entry = self.by_id.remove(&id).expect("entry just seen");
            self.by_list.remove(&entry.acl);
        }
    }

    /// Inserts a list read from a snapshot under its id, with no users yet. Returns false if
    /// the id is -1 or already present (a corrupt snapshot).
    pub(crate) fn insert_loaded(&mut self, id: AclId, acl: Vec<Acl>) -> bool {
        if id == AclId::OPEN_ACL_UNSAFE || self.by_id.contains_key(&id) {
            return false;
        }
        self.last_id = self.last_id.max(id.0);
        let list: Arc<[Acl]> = acl.into();
        self.by_list.insert(list.clone(), id);
        self.by_id.insert(id, Entry { acl: list, refs: 0 });
        true
    }

    /// Forgets every list no node uses (after loading a snapshot, `purgeUnused`).
    pub(crate) fn purge_unused(&mut self) {
        let by_list = &mut self.by_list;
        self.by_id.retain(|_, entry| {
            let keep = entry.refs > 0;
            if !keep {
                by_list.remove(&entry.acl);
            }
            keep
        });
    }

    /// True if `id` names a list (or is -1).
    pub fn contains(&self, id: AclId) -> bool {
        id == AclId::OPEN_ACL_UNSAFE || self.by_id.contains_key(&id)
    }

    /// The list named `id`. An id the cache does not hold is a broken tree invariant (every
    /// node's id is interned or checked when loaded), hence the panic.
    pub fn get(&self, id: AclId) -> &Arc<[Acl]> {
        if id == AclId::OPEN_ACL_UNSAFE {
            return &self.open;
        }
        match self.by_id.get(&id) {
            Some(entry) => &entry.acl,
            None => panic!("ACL id {} is not in the ACL cache", id.0),
        }
    }

    /// Number of cached lists (`aclCacheSize`), not counting the implicit -1.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// True if no list is cached.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Every cached list with its id, in id order: the ACL map of a snapshot.
    pub fn entries(&self) -> Vec<(AclId, &Arc<[Acl]>)> {
        let mut out: Vec<_> = self.by_id.iter().map(|(id, e)| (*id, &e.acl)).collect();
        out.sort_unstable_by_key(|(id, _)| *id);
        out
    }

    /// The number of nodes using `id` (0 for unknown ids and for -1, which is not counted).
    pub fn references(&self, id: AclId) -> u64 {
        self.by_id.get(&id).map_or(0, |e| e.refs)
    }
}

#[cfg(test)]
mod tests {
    use zk_proto::{Id, Perms};

    use super::*;

    #[test]
    fn ids_are_assigned_from_one_and_lists_are_shared() {
        let mut cache = AclCache::default();
        let read = Acl::read_acl_unsafe();
        let open = Acl::open_acl_unsafe();
        assert_eq!(cache.intern(&read), AclId(1));
        assert_eq!(cache.intern(&open), AclId(2));
        assert_eq!(cache.intern(&open), AclId(2));
        assert_eq!(cache.references(AclId(2)), 2);
        assert_eq!(&**cache.get(AclId(2)), &open[..]);
        assert_eq!(&**cache.get(AclId::OPEN_ACL_UNSAFE), &open[..]);
    }

    #[test]
    fn a_list_without_users_is_forgotten_and_its_id_not_reused() {
        let mut cache = AclCache::default();
        let digest = vec![Acl::new(Perms::ALL, Id::new("digest", "a:b"))];
        let id = cache.intern(&digest);
        cache.remove_usage(id);
        assert!(!cache.contains(id));
        assert!(cache.is_empty());
        assert_eq!(cache.intern(&digest), AclId(id.0 + 1));
    }

    #[test]
    fn loaded_lists_without_users_are_purged() {
        let mut cache = AclCache::default();
        assert!(cache.insert_loaded(AclId(7), Acl::read_acl_unsafe()));
        assert!(cache.insert_loaded(AclId(3), Acl::open_acl_unsafe()));
        assert!(!cache.insert_loaded(AclId(3), Acl::open_acl_unsafe()));
        assert!(!cache.insert_loaded(AclId::OPEN_ACL_UNSAFE, vec![]));
        cache.add_usage(AclId(3));
        cache.purge_unused();
        assert_eq!(cache.len(), 1);
        // New ids continue after the largest loaded one.
        assert_eq!(cache.intern(&[]), AclId(8));
    }
}
