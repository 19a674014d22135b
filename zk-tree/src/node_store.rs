//! [`NodeStore`]: where a tree's znodes live — a fixed 12-byte slot per node, its packed
//! [`record`] in a slab of large pages, and the child sets of the nodes that have children.
//!
//! # Layout
//!
//! ```text
//! slots       chunks of 1024 Slot { page u32, offset u32, parent u32 }
//!             addressed by NodeId; free slots are reused, newest first
//! pages       Vec<u8> buffers of PAGE_BYTES, records appended back to back; a record
//!             longer than BIG_RECORD gets a page of its own, of its exact size
//! child sets  hashbrown tables of child NodeIds (4 bytes a bucket), for parents only, kept
//!             in a map by the parent's NodeId (most nodes are leaves: a per-slot set index
//!             cost every leaf 4 bytes); a child's hash is recomputed from its name when a
//!             table grows
//! ```
//!
//! Per znode this is the 12-byte slot, the record (4-byte owner, name, ~12-byte stat, data)
//! and one child-table bucket and a half — no allocation of its own. A 1,000,000-znode tree of
//! 100-byte values holds ≈ 150 bytes per znode (docs/performance.md, "Memory with 1M znodes").
//!
//! # Rewrites and compaction
//!
//! A record is rewritten whenever its node changes (setData, setACL, and the parent's
//! cversion/pzxid on every child create or delete). When the new record has the old one's
//! length — the usual case: a stat change rarely changes the length of its varints — it is
//! overwritten in place; a stat-only change rewrites only the meta bytes. Otherwise the new
//! record is appended to the open page and the old bytes become garbage of their page. A
//! closed page whose garbage reaches half of [`PAGE_BYTES`] is compacted: its live records
//! (those whose owner slot still points at them) move to the open page, their slots are
//! fixed, and the page's buffer is freed. So every closed page is at least half live and the
//! pages never hold more than twice the live bytes plus one open page, however long a run of
//! writes is.

use foldhash::fast::FixedState;
use hashbrown::{HashMap, HashTable};
use zk_proto::StatPersisted;

use crate::acl_cache::AclId;
use crate::node_ref::{name_hash, widen, NodeId, NodeRef};
use crate::record::{self, Meta};

/// Bytes of an ordinary page.
pub(crate) const PAGE_BYTES: usize = 256 * 1024;
/// Records longer than this get a page of their own (so that a page's unused tail stays small).
const BIG_RECORD: usize = PAGE_BYTES / 8;
/// log2 of the slots per chunk.
const CHUNK_BITS: u32 = 10;
const CHUNK_SLOTS: usize = 1 << CHUNK_BITS;
/// `Slot::page` of a free slot, "no open page".
const NONE: u32 = u32::MAX;

/// A parent's child set: the children's slots, hashed by name.
pub(crate) type ChildSet = HashTable<NodeId>;

/// The fixed part of one node.
#[derive(Debug, Clone, Copy)]
struct Slot {
    page: u32,
    offset: u32,
    parent: NodeId,
}

/// One slab page.
#[derive(Debug, Clone, Default)]
struct Page {
    buf: Vec<u8>,
    /// Bytes of dead records (and, once closed, of the unused tail).
    garbage: usize,
    /// A page holding one big record only.
    single: bool,
}

/// The znodes of a tree (see the module docs).
#[derive(Debug, Clone, Default)]
pub(crate) struct NodeStore {
    slots: Vec<Vec<Slot>>,
    free_slots: Vec<NodeId>,
    live: usize,
    /// The child set of every node that has children, by the node's slot.
    sets: HashMap<NodeId, ChildSet, FixedState>,
    pages: Vec<Page>,
    free_pages: Vec<u32>,
    /// The page new records are appended to; `None` before the first record.
    open: Option<u32>,
    /// Closed pages due for compaction.
    due: Vec<u32>,
    scratch: Vec<u8>,
}

impl NodeStore {
    // ---- reading ----

    fn slot(&self, id: NodeId) -> &Slot {
        let slot = &self.slots[id as usize >> CHUNK_BITS][id as usize & (CHUNK_SLOTS - 1)];
        assert!(slot.page != NONE, "reading free slot {id}");
        slot
    }

    fn slot_mut(&mut self, id: NodeId) -> &mut Slot {
        &mut self.slots[id as usize >> CHUNK_BITS][id as usize & (CHUNK_SLOTS - 1)]
    }

    /// The record of a slot: from its offset to the end of its page (it parses its own end).
    fn record_of(&self, slot: &Slot) -> &[u8] {
        &self.pages[slot.page as usize].buf[slot.offset as usize..]
    }

    /// The node in slot `id`; a free slot here is a broken tree invariant.
    pub(crate) fn get(&self, id: NodeId) -> NodeRef<'_> {
        let slot = self.slot(id);
        NodeRef::new(self.record_of(slot), self.sets.get(&id))
    }

    /// The name of slot `id` (bytes: every comparison is of bytes).
    fn name_of(&self, id: NodeId) -> &[u8] {
        record::name(self.record_of(self.slot(id)))
    }

    /// The parent slot of `id` (the root is its own parent).
    pub(crate) fn parent(&self, id: NodeId) -> NodeId {
        self.slot(id).parent
    }

    /// Number of live nodes.
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// The slot of `parent`'s child `name`.
    pub(crate) fn find_child(&self, parent: NodeId, name: &str) -> Option<NodeId> {
        let hash = widen(name_hash(name.as_bytes()));
        self.sets
            .get(&parent)?
            .find(hash, |&id| self.name_of(id) == name.as_bytes())
            .copied()
    }

    /// The child slots of `id`.
    pub(crate) fn child_ids(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.sets
            .get(&id)
            .into_iter()
            .flat_map(|set| set.iter().copied())
    }

    /// Bytes the pages hold (capacity, live or not).
    #[cfg(test)]
    pub(crate) fn page_bytes(&self) -> usize {
        self.pages.iter().map(|p| p.buf.capacity()).sum()
    }

    // ---- changing ----

    /// Stores a new node and links it into `parent`'s child set (`None` for the root); the
    /// caller has checked that the parent has no child `name`.
    ///
    /// # Panics
    ///
    /// Beyond 2³² slots or pages (memory is exhausted long before).
    pub(crate) fn insert(
        &mut self,
        parent: Option<NodeId>,
        name: &str,
        data: Option<&[u8]>,
        acl: AclId,
        stat: &StatPersisted,
    ) -> NodeId {
        let id = self.alloc_slot(parent.unwrap_or(0));
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        record::encode(&mut buf, id, name, &Meta { stat: *stat, acl }, data);
        let (page, offset) = self.append(&buf);
        self.scratch = buf;
        let slot = self.slot_mut(id);
        (slot.page, slot.offset) = (page, offset);
        if let Some(parent) = parent {
            self.link(parent, id, name);
        }
        self.compact_due();
        id
    }

    fn alloc_slot(&mut self, parent: NodeId) -> NodeId {
        self.live += 1;
        // Page NONE marks the slot free until its record is written; insert writes it next.
        let fresh = Slot {
            page: NONE,
            offset: 0,
            parent,
        };
        if let Some(id) = self.free_slots.pop() {
            *self.slot_mut(id) = fresh;
            return id;
        }
        if self.slots.last().is_none_or(|c| c.len() == CHUNK_SLOTS) {
            self.slots.push(Vec::with_capacity(CHUNK_SLOTS));
        }
        let chunk_index = self.slots.len() - 1;
        let chunk = self.slots.last_mut().expect("a chunk was just ensured");
        let id = (chunk_index << CHUNK_BITS) | chunk.len();
        chunk.push(fresh);
        NodeId::try_from(id).expect("more than 2^32 znodes")
    }

    fn link(&mut self, parent: NodeId, child: NodeId, name: &str) {
        let hash = widen(name_hash(name.as_bytes()));
        // Split borrows: the table grows while names are read from the pages.
        let (slots, pages) = (&self.slots, &self.pages);
        let rehash = |&id: &NodeId| {
            let s = &slots[id as usize >> CHUNK_BITS][id as usize & (CHUNK_SLOTS - 1)];
            widen(name_hash(record::name(
                &pages[s.page as usize].buf[s.offset as usize..],
            )))
        };
        self.sets
            .entry(parent)
            .or_default()
            .insert_unique(hash, child, rehash);
    }

    /// Unlinks `parent`'s child `name` and returns its slot (the node itself stays stored).
    pub(crate) fn unlink_child(&mut self, parent: NodeId, name: &str) -> Option<NodeId> {
        let hash = widen(name_hash(name.as_bytes()));
        let (slots, pages) = (&self.slots, &self.pages);
        let name_at = |id: NodeId| {
            let s = &slots[id as usize >> CHUNK_BITS][id as usize & (CHUNK_SLOTS - 1)];
            record::name(&pages[s.page as usize].buf[s.offset as usize..])
        };
        let table = self.sets.get_mut(&parent)?;
        let found = match table.find_entry(hash, |&id| name_at(id) == name.as_bytes()) {
            Ok(entry) => Some(entry.remove().0),
            Err(_) => None,
        };
        if table.is_empty() {
            self.sets.remove(&parent);
        } else if table.len() * 4 < table.capacity() && table.capacity() > 16 {
            // Give memory back once a big directory has mostly emptied.
            table.shrink_to(table.len() * 2, |&id| widen(name_hash(name_at(id))));
        }
        found
    }

    /// Frees slot `id` and its record; the node must have been unlinked and have no children.
    pub(crate) fn remove(&mut self, id: NodeId) {
        let slot = *self.slot(id);
        assert!(
            !self.sets.contains_key(&id),
            "removing a node with children"
        );
        let len = record::len(self.record_of(&slot));
        self.slot_mut(id).page = NONE;
        self.free_slots.push(id);
        self.live -= 1;
        self.discard(slot.page, len);
        self.compact_due();
    }

    /// Replaces the stat and ACL id of `id`, keeping its name and data.
    pub(crate) fn set_meta(&mut self, id: NodeId, meta: &Meta) {
        let slot = *self.slot(id);
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        record::encode_meta(&mut buf, meta);
        let rec = self.record_of(&slot);
        let range = record::meta_range(rec);
        if range.len() == buf.len() {
            let at = slot.offset as usize + range.start;
            self.pages[slot.page as usize].buf[at..at + buf.len()].copy_from_slice(&buf);
        } else {
            let mut whole = Vec::with_capacity(record::len(rec) + buf.len());
            whole.extend_from_slice(&rec[..range.start]);
            whole.extend_from_slice(&buf);
            whole.extend_from_slice(record::data_bytes(rec));
            self.replace(id, &whole);
        }
        self.scratch = buf;
        self.compact_due();
    }

    /// Replaces the data, stat and ACL id of `id`, keeping its name.
    pub(crate) fn set_data(&mut self, id: NodeId, meta: &Meta, data: Option<&[u8]>) {
        let slot = *self.slot(id);
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        let rec = self.record_of(&slot);
        let (meta_start, len) = record::meta_start_and_len(rec);
        record::encode_meta(&mut buf, meta);
        record::encode_data(&mut buf, data);
        if len - meta_start == buf.len() {
            // Same length (a setData of same-size data, the usual case): overwrite in place.
            let at = slot.offset as usize + meta_start;
            self.pages[slot.page as usize].buf[at..at + buf.len()].copy_from_slice(&buf);
        } else {
            let mut whole = Vec::with_capacity(meta_start + buf.len());
            whole.extend_from_slice(&rec[..meta_start]);
            whole.extend_from_slice(&buf);
            self.replace(id, &whole);
        }
        self.scratch = buf;
        self.compact_due();
    }

    /// Makes `rec` (a whole record owned by `id`) the record of `id`: in place when it has
    /// the old one's length, else appended.
    fn replace(&mut self, id: NodeId, rec: &[u8]) {
        let slot = *self.slot(id);
        let old_len = record::len(self.record_of(&slot));
        if old_len == rec.len() {
            let at = slot.offset as usize;
            self.pages[slot.page as usize].buf[at..at + old_len].copy_from_slice(rec);
            return;
        }
        let (page, offset) = self.append(rec);
        let s = self.slot_mut(id);
        (s.page, s.offset) = (page, offset);
        self.discard(slot.page, old_len);
    }

    // ---- pages ----

    /// Writes `rec` into a page and returns where.
    fn append(&mut self, rec: &[u8]) -> (u32, u32) {
        if rec.len() > BIG_RECORD {
            let page = self.new_page(rec.len(), true);
            self.pages[page as usize].buf.extend_from_slice(rec);
            return (page, 0);
        }
        let open = match self.open {
            Some(p) if self.pages[p as usize].buf.len() + rec.len() <= PAGE_BYTES => p,
            _ => {
                if let Some(full) = self.open {
                    self.close(full);
                }
                let p = self.new_page(PAGE_BYTES, false);
                self.open = Some(p);
                p
            }
        };
        let buf = &mut self.pages[open as usize].buf;
        let offset = u32::try_from(buf.len()).expect("page offsets fit u32");
        buf.extend_from_slice(rec);
        (open, offset)
    }

    fn new_page(&mut self, capacity: usize, single: bool) -> u32 {
        let page = Page {
            buf: Vec::with_capacity(capacity),
            garbage: 0,
            single,
        };
        if let Some(p) = self.free_pages.pop() {
            self.pages[p as usize] = page;
            return p;
        }
        self.pages.push(page);
        u32::try_from(self.pages.len() - 1).expect("more than 2^32 pages")
    }

    /// Closes the open page: its unused tail counts as garbage from now on.
    fn close(&mut self, page: u32) {
        let p = &mut self.pages[page as usize];
        p.garbage += PAGE_BYTES - p.buf.len();
        if p.garbage * 2 >= PAGE_BYTES {
            self.due.push(page);
        }
        self.open = None;
    }

    /// Accounts `len` bytes of `page` as garbage; frees or schedules the page as needed.
    fn discard(&mut self, page: u32, len: usize) {
        let p = &mut self.pages[page as usize];
        let before = p.garbage;
        p.garbage += len;
        if p.single {
            // A page of one big record: that record is gone.
            self.free_page(page);
        } else if self.open != Some(page) && before * 2 < PAGE_BYTES && p.garbage * 2 >= PAGE_BYTES
        {
            self.due.push(page);
        }
    }

    fn free_page(&mut self, page: u32) {
        self.pages[page as usize] = Page::default();
        self.free_pages.push(page);
    }

    /// Compacts the pages due: moves their live records to the open page and frees them.
    fn compact_due(&mut self) {
        while let Some(page) = self.due.pop() {
            if self.open == Some(page) || self.pages[page as usize].buf.is_empty() {
                continue;
            }
            let old = std::mem::take(&mut self.pages[page as usize].buf);
            let mut at = 0;
            while at < old.len() {
                let rec = &old[at..];
                let len = record::len(rec);
                let owner = record::owner(rec);
                let live = self
                    .slots
                    .get(owner as usize >> CHUNK_BITS)
                    .and_then(|c| c.get(owner as usize & (CHUNK_SLOTS - 1)))
                    .is_some_and(|s| s.page == page && s.offset as usize == at);
                if live {
                    let (p, o) = self.append(&rec[..len]);
                    let s = self.slot_mut(owner);
                    (s.page, s.offset) = (p, o);
                }
                at += len;
            }
            self.free_page(page);
        }
    }
}

#[cfg(test)]
#[path = "node_store_tests.rs"]
mod tests;
