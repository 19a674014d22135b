use std::collections::BTreeMap;

use zk_proto::{StatPersisted, Zxid};

use super::*;

/// A small xorshift generator: the tests print their seed, so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What the model remembers of a node.
#[derive(Debug, Clone, PartialEq)]
struct Expected {
    name: String,
    parent: NodeId,
    data: Option<Vec<u8>>,
    meta: Meta,
}

fn stat(rng: &mut Rng) -> StatPersisted {
    // Mostly small, sometimes huge values, so varint lengths change between rewrites.
    let mut v = |big: bool| {
        if big || rng.below(4) == 0 {
            rng.next() as i64
        } else {
            rng.below(300) as i64
        }
    };
    StatPersisted {
        czxid: Zxid(v(true)),
        mzxid: Zxid(v(false)),
        ctime: v(true),
        mtime: v(false),
        version: v(false) as i32,
        cversion: v(false) as i32,
        aversion: v(false) as i32,
        ephemeral_owner: v(false),
        pzxid: Zxid(v(false)),
    }
}

fn data(rng: &mut Rng) -> Option<Vec<u8>> {
    match rng.below(20) {
        0 => None,
        1 => Some(vec![7; BIG_RECORD + rng.below(3000) as usize]),
        _ => Some(vec![rng.below(256) as u8; rng.below(300) as usize]),
    }
}

fn check(store: &NodeStore, model: &BTreeMap<NodeId, Expected>, seed: u64) {
    assert_eq!(store.len(), model.len(), "seed {seed}");
    for (&id, e) in model {
        let node = store.get(id);
        assert_eq!(node.name(), e.name, "seed {seed} id {id}");
        assert_eq!(node.data(), e.data.as_deref(), "seed {seed} id {id}");
        assert_eq!(node.meta(), e.meta, "seed {seed} id {id}");
        assert_eq!(node.acl_id(), e.meta.acl, "seed {seed} id {id}");
        if id != 0 {
            assert_eq!(store.parent(id), e.parent, "seed {seed} id {id}");
            assert_eq!(store.find_child(e.parent, &e.name), Some(id), "seed {seed}");
        }
        let kids = model.values().filter(|k| k.parent == id).count() - usize::from(id == 0);
        assert_eq!(node.num_children(), kids, "seed {seed} id {id}");
        assert_eq!(store.child_ids(id).count(), kids, "seed {seed} id {id}");
    }
}

#[test]
fn random_operations_match_a_simple_model() {
    for seed in [1u64, 0x9e37_79b9_7f4a_7c15, 42, 7777] {
        println!("seed {seed}");
        let mut rng = Rng(seed);
        let mut store = NodeStore::default();
        let mut model = BTreeMap::new();
        let root_meta = Meta {
            stat: StatPersisted::default(),
            acl: AclId::OPEN_ACL_UNSAFE,
        };
        let root = store.insert(None, "", Some(b""), root_meta.acl, &root_meta.stat);
        model.insert(
            root,
            Expected {
                name: String::new(),
                parent: root,
                data: Some(vec![]),
                meta: root_meta,
            },
        );
        let mut serial = 0u64;
        for step in 0..4000 {
            let ids: Vec<NodeId> = model.keys().copied().collect();
            let pick = ids[rng.below(ids.len() as u64) as usize];
            match rng.below(10) {
                0..=3 => {
                    // Create under an existing node: the root and a few parents hold most.
                    let parent = if rng.below(3) == 0 {
                        pick
                    } else {
                        ids[rng.below(ids.len().min(4) as u64) as usize]
                    };
                    serial += 1;
                    let name = format!("n{serial}-ü");
                    let meta = Meta {
                        stat: stat(&mut rng),
                        acl: AclId(rng.below(5) as i64 - 1),
                    };
                    let d = data(&mut rng);
                    let id = store.insert(Some(parent), &name, d.as_deref(), meta.acl, &meta.stat);
                    assert!(model
                        .insert(
                            id,
                            Expected {
                                name,
                                parent,
                                data: d,
                                meta
                            }
                        )
                        .is_none());
                }
                4 | 5 => {
                    let meta = Meta {
                        stat: stat(&mut rng),
                        acl: AclId(rng.below(300) as i64 - 1),
                    };
                    store.set_meta(pick, &meta);
                    model.get_mut(&pick).unwrap().meta = meta;
                }
                6 | 7 => {
                    let meta = Meta {
                        stat: stat(&mut rng),
                        acl: AclId(-1),
                    };
                    let d = data(&mut rng);
                    store.set_data(pick, &meta, d.as_deref());
                    let e = model.get_mut(&pick).unwrap();
                    (e.meta, e.data) = (meta, d);
                }
                _ => {
                    let leaf = pick != root && !model.values().any(|e| e.parent == pick);
                    if leaf {
                        let e = model.remove(&pick).unwrap();
                        assert_eq!(store.unlink_child(e.parent, &e.name), Some(pick));
                        assert_eq!(store.unlink_child(e.parent, &e.name), None);
                        store.remove(pick);
                    }
                }
            }
            if step % 500 == 0 {
                check(&store, &model, seed);
            }
        }
        check(&store, &model, seed);
    }
}

/// The bytes of all live records.
fn live_bytes(store: &NodeStore, ids: &[NodeId]) -> usize {
    ids.iter()
        .map(|&id| record::len(store.record_of(store.slot(id))))
        .sum()
}

#[test]
fn long_runs_of_rewrites_keep_memory_bounded() {
    let seed = 0x5eed_u64;
    println!("seed {seed}");
    let mut rng = Rng(seed);
    let mut store = NodeStore::default();
    let root = store.insert(None, "", None, AclId(-1), &StatPersisted::default());
    let mut ids = vec![root];
    let mut serial = 0;
    let mut most = 0;
    for round in 0..200_000u32 {
        match rng.below(8) {
            // Data of a new length: appended, the old record becomes garbage.
            0..=3 => {
                let id = ids[rng.below(ids.len() as u64) as usize];
                let meta = Meta {
                    stat: stat(&mut rng),
                    acl: AclId(-1),
                };
                store.set_data(id, &meta, Some(&vec![1; rng.below(200) as usize]));
            }
            4 | 5 if ids.len() < 3000 => {
                serial += 1;
                let name = format!("c{serial}");
                let id = store.insert(
                    Some(root),
                    &name,
                    Some(&[2; 100]),
                    AclId(-1),
                    &stat(&mut rng),
                );
                ids.push(id);
            }
            _ if ids.len() > 1 => {
                let at = 1 + rng.below(ids.len() as u64 - 1) as usize;
                let id = ids.swap_remove(at);
                let name = store.get(id).name().to_owned();
                assert_eq!(store.unlink_child(root, &name), Some(id));
                store.remove(id);
            }
            _ => {}
        }
        if round % 1000 == 0 {
            let live = live_bytes(&store, &ids);
            let held = store.page_bytes();
            most = most.max(held);
            assert!(
                held <= 2 * live + 2 * PAGE_BYTES,
                "round {round}: {held} held for {live} live"
            );
        }
    }
    // 200,000 writes of ~100 bytes wrote ~20 MB; the pages never held more than a few.
    assert!(most < 4 * 1024 * 1024, "peak {most}");
}

#[test]
fn huge_child_sets_stay_searchable_and_shrink() {
    let mut store = NodeStore::default();
    let root = store.insert(None, "", None, AclId(-1), &StatPersisted::default());
    let n = 100_000;
    for i in 0..n {
        store.insert(
            Some(root),
            &format!("q{i:010}"),
            None,
            AclId(-1),
            &StatPersisted::default(),
        );
    }
    assert_eq!(store.get(root).num_children(), n);
    assert!(store.find_child(root, "q0000054321").is_some());
    for i in 0..n - 10 {
        let id = store.unlink_child(root, &format!("q{i:010}")).unwrap();
        store.remove(id);
    }
    let capacity = store.sets[&root].capacity();
    assert!(capacity < 100, "child table kept {capacity}");
    assert_eq!(store.child_ids(root).count(), 10);
    assert!(store.find_child(root, &format!("q{:010}", n - 1)).is_some());
}
