//! The slots the [`DataNode`]s of a tree live in.
//!
//! Chunks of a fixed number of slots, each allocated once at its exact size: the arena never
//! over-allocates by more than one chunk and never copies nodes to grow (a single `Vec` would
//! waste up to half its capacity and need a second copy of the whole tree while doubling).
//! Freed slots are reused, newest first.

use crate::data_node::{DataNode, NodeId};

/// log2 of the slots per chunk: 1024 × 144 bytes ≈ 144 KiB per chunk.
const CHUNK_BITS: u32 = 10;
const CHUNK_SLOTS: usize = 1 << CHUNK_BITS;

/// Slots holding nodes, addressed by [`NodeId`].
#[derive(Debug, Clone, Default)]
pub(crate) struct NodeArena {
    chunks: Vec<Vec<Option<DataNode>>>,
    free: Vec<NodeId>,
    live: usize,
}

impl NodeArena {
    /// Stores `node` and returns its slot.
    ///
    /// # Panics
    ///
    /// Beyond 2³² slots (memory is exhausted long before).
    pub(crate) fn insert(&mut self, node: DataNode) -> NodeId {
        self.live += 1;
        if let Some(id) = self.free.pop() {
            let slot = self.slot_mut(id);
            debug_assert!(slot.is_none());
            *slot = Some(node);
            return id;
        }
        if self.chunks.last().is_none_or(|c| c.len() == CHUNK_SLOTS) {
            self.chunks.push(Vec::with_capacity(CHUNK_SLOTS));
        }
        let chunk_index = self.chunks.len() - 1;
        let chunk = self.chunks.last_mut().expect("a chunk was just ensured");
        let id = (chunk_index << CHUNK_BITS) | chunk.len();
        chunk.push(Some(node));
        NodeId::try_from(id).expect("more than 2^32 znodes")
    }

    /// Frees slot `id` and returns its node.
    pub(crate) fn remove(&mut self, id: NodeId) -> DataNode {
        let node = self.slot_mut(id).take().expect("removing a free slot");
        self.free.push(id);
        self.live -= 1;
        node
    }

    /// The node in slot `id`; a free slot here is a broken tree invariant.
    pub(crate) fn get(&self, id: NodeId) -> &DataNode {
        self.chunks[id as usize >> CHUNK_BITS][id as usize & (CHUNK_SLOTS - 1)]
            .as_ref()
            .expect("reading a free slot")
    }

    /// The node in slot `id`, mutably.
    pub(crate) fn get_mut(&mut self, id: NodeId) -> &mut DataNode {
        self.slot_mut(id).as_mut().expect("writing a free slot")
    }

    /// Number of live nodes.
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    fn slot_mut(&mut self, id: NodeId) -> &mut Option<DataNode> {
        &mut self.chunks[id as usize >> CHUNK_BITS][id as usize & (CHUNK_SLOTS - 1)]
    }
}

#[cfg(test)]
mod tests {
    use zk_proto::StatPersisted;

    use super::*;
    use crate::acl_cache::AclId;

    fn node(name: &str) -> DataNode {
        DataNode::new(
            name,
            0,
            None,
            AclId::OPEN_ACL_UNSAFE,
            StatPersisted::default(),
        )
    }

    #[test]
    fn slots_are_reused_and_span_chunks() {
        let mut arena = NodeArena::default();
        let ids: Vec<_> = (0..CHUNK_SLOTS + 3)
            .map(|i| arena.insert(node(&i.to_string())))
            .collect();
        assert_eq!(ids[CHUNK_SLOTS + 2] as usize, CHUNK_SLOTS + 2);
        assert_eq!(
            arena.get(ids[CHUNK_SLOTS + 1]).name(),
            (CHUNK_SLOTS + 1).to_string()
        );
        assert_eq!(arena.remove(ids[5]).name(), "5");
        assert_eq!(arena.len(), CHUNK_SLOTS + 2);
        assert_eq!(arena.insert(node("again")), ids[5]);
        assert_eq!(arena.get(ids[5]).name(), "again");
    }
}
