//! DataTree throughput on a tree of 1M znodes, and the memory one znode costs.
//!
//! `cargo bench -p zk-tree --bench tree` first builds `/bench/n0000001` … `/bench/n1000000`,
//! each with 100 bytes of data and `OPEN_ACL_UNSAFE`, through `DataTree::apply` exactly as a
//! server would, and prints the growth of the process's resident set per znode (read from
//! `/proc/self/statm`: it includes the allocator's own overhead and fragmentation; a counting
//! `GlobalAlloc` would need `unsafe`, which the workspace forbids). It then measures, on that
//! tree, a lookup with its Stat (`get`), a setData txn (`set`), a create txn (`create`) and a
//! delete txn (`delete`).
//!
//! `ZK_TREE_BENCH_NODES` overrides the node count (e.g. 100000 for a quick run).

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::Criterion;
use zk_proto::txn::{CreateTxn, DeleteTxn, SetDataTxn, Txn, TxnHeader};
use zk_proto::{Acl, OpCode, SessionId, Xid, Zxid};
use zk_tree::DataTree;

/// Applies txns with increasing zxids.
struct Server {
    tree: DataTree,
    zxid: i64,
}

impl Server {
    fn apply(&mut self, txn: &Txn) {
        self.zxid += 1;
        let header = TxnHeader {
            client_id: SessionId(0x100),
            cxid: Xid(1),
            zxid: Zxid(self.zxid),
            time: 1_700_000_000_000 + self.zxid,
            txn_type: OpCode::Error,
        };
        let outcome = self.tree.apply(&header, txn);
        debug_assert!(outcome.result.err().is_ok(), "{:?}", outcome.result);
        black_box(outcome);
    }
}

fn create(path: String, data: &Bytes) -> Txn {
    Txn::Create(CreateTxn {
        path,
        data: Some(data.clone()),
        acl: Acl::open_acl_unsafe(),
        ephemeral: false,
        parent_cversion: -1,
    })
}

fn node_path(i: usize) -> String {
    format!("/bench/n{i:07}")
}

/// Resident set size of this process in bytes (Linux), 0 where unavailable.
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Builds the tree and prints bytes per znode.
fn build(nodes: usize) -> Server {
    let data = Bytes::from(vec![b'x'; 100]);
    let before = rss_bytes();
    let started = Instant::now();
    let mut server = Server {
        tree: DataTree::new(),
        zxid: 0,
    };
    server.apply(&create("/bench".into(), &Bytes::new()));
    for i in 1..=nodes {
        server.apply(&create(node_path(i), &data));
    }
    let after = rss_bytes();
    println!(
        "built {nodes} znodes (100-byte data) in {:.2?}: {:.1} bytes of RSS per znode",
        started.elapsed(),
        (after - before) as f64 / nodes as f64,
    );
    server
}

fn benches(c: &mut Criterion, server: &mut Server, nodes: usize) {
    let mut group = c.benchmark_group(format!("tree_{nodes}"));
    group
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20);
    let probe: Vec<String> = (0..4096)
        .map(|i| node_path(1 + (i * 7919 * 104_729) % nodes))
        .collect();

    let mut i = 0;
    group.bench_function("get", |b| {
        b.iter(|| {
            i = (i + 1) % probe.len();
            let node = server.tree.node(&probe[i]).expect("node exists");
            black_box((server.tree.stat_of(node), node.data()));
        })
    });

    let data = Bytes::from(vec![b'y'; 100]);
    let sets: Vec<Txn> = probe
        .iter()
        .map(|path| {
            Txn::SetData(SetDataTxn {
                path: path.clone(),
                data: Some(data.clone()),
                version: 1,
            })
        })
        .collect();
    let mut i = 0;
    group.bench_function("set", |b| {
        b.iter(|| {
            i = (i + 1) % sets.len();
            server.apply(&sets[i]);
        })
    });

    // Creates add fresh nodes beside the 1M; deletes then remove exactly those.
    let mut created: Vec<String> = Vec::new();
    group.bench_function("create", |b| {
        b.iter_custom(|iters| {
            let txns: Vec<Txn> = (0..iters)
                .map(|_| {
                    let path = format!("/bench/c{}", created.len());
                    created.push(path.clone());
                    create(path, &data)
                })
                .collect();
            let start = Instant::now();
            for txn in &txns {
                server.apply(txn);
            }
            start.elapsed()
        })
    });
    group.bench_function("delete", |b| {
        b.iter_custom(|iters| {
            let mut txns = Vec::new();
            for _ in 0..iters {
                let path = created.pop().unwrap_or_else(|| {
                    let path = format!("/bench/d{}", server.zxid);
                    server.apply(&create(path.clone(), &data));
                    path
                });
                txns.push(Txn::Delete(DeleteTxn { path }));
            }
            let start = Instant::now();
            for txn in &txns {
                server.apply(txn);
            }
            start.elapsed()
        })
    });
    group.finish();
}

fn main() {
    let nodes = std::env::var("ZK_TREE_BENCH_NODES")
        .ok()
        .and_then(|n| n.parse().ok())
        // `cargo test --benches` runs this in test mode: keep that quick.
        .unwrap_or(if std::env::args().any(|a| a == "--test") {
            10_000
        } else {
            1_000_000
        });
    let mut server = build(nodes);
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c, &mut server, nodes);
    c.final_summary();
}
