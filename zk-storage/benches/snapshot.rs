//! Snapshot and recovery costs at the scale the issue names:
//!
//! - `snapshot_write/1M_nodes`: stream 1,000,000 synthetic znodes (1,000 parents × 1,000
//!   children, 32-byte data) into an uncompressed snapshot file and commit it (fsync + rename).
//! - `snapshot_load/1M_nodes`: read that file back node by node, verifying every seal.
//! - `snapshot_load/1M_nodes_into_data_tree`: the same, building zk-tree's `DataTree` (child
//!   sets, digest, ACL references): what a server's startup costs, and what Apache's
//!   `FileSnap.deserialize` does.
//! - `recovery/1M_txns`: recover from an empty snapshot store and a `FileTxnLog` of 1,000,000
//!   64-byte entries (every record read, checksummed and handed to the target).
//!
//! ```sh
//! cargo bench -p zk-storage --bench snapshot
//! ```
//!
//! Each sample takes around a second, so the sample count is criterion's minimum (10).
//! Set `ZK_BENCH_SNAPSHOT_DIR=<dir>` to write the snapshot there and keep it, then time
//! Apache's load of the same file with `benches/apache/SnapLoad.java` (see its header).

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use zk_proto::{Acl, StatPersisted, Zxid};
use zk_storage::recovery::{Recovery, RecoveryTarget};
use zk_storage::snapshot::{
    save_snapshot, FileSnapshotStore, MemSnapshotStore, SnapshotAcl, SnapshotInfo, SnapshotNode,
    SnapshotNodeRef, SnapshotSession, SnapshotSource, SnapshotStore, SnapshotTrailer,
};
use zk_storage::{BytesEntry, FileTxnLog, TxnLog};

const PARENTS: u64 = 1_000;
const CHILDREN: u64 = 1_000;
const NODES: u64 = 1 + PARENTS * (1 + CHILDREN);

/// A synthetic tree generated on the fly: `/p<i>` and `/p<i>/c<j>`.
struct Synthetic {
    data: [u8; 32],
    acl: Vec<Acl>,
}

impl SnapshotSource for Synthetic {
    fn sessions(&self) -> impl ExactSizeIterator<Item = SnapshotSession> + '_ {
        std::iter::empty()
    }
    fn acls(&self) -> impl ExactSizeIterator<Item = (i64, &[Acl])> + '_ {
        std::iter::once((1, self.acl.as_slice()))
    }
    fn visit_nodes(
        &self,
        visit: &mut dyn FnMut(SnapshotNodeRef<'_>) -> zk_storage::Result<()>,
    ) -> zk_storage::Result<()> {
        use std::fmt::Write;
        let mut stat = StatPersisted {
            ctime: 1_700_000_000_000,
            mtime: 1_700_000_000_000,
            ..StatPersisted::default()
        };
        visit(node("/", &self.data, &stat))?;
        let mut path = String::new();
        for p in 0..PARENTS {
            stat.czxid = Zxid(p as i64 + 1);
            stat.cversion = CHILDREN as i32;
            path.clear();
            write!(path, "/p{p}").expect("string write");
            visit(node(&path, &self.data, &stat))?;
            stat.cversion = 0;
            for c in 0..CHILDREN {
                path.clear();
                write!(path, "/p{p}/c{c}").expect("string write");
                stat.mzxid = Zxid((p * CHILDREN + c) as i64);
                visit(node(&path, &self.data, &stat))?;
            }
        }
        Ok(())
    }
    fn trailer(&self) -> SnapshotTrailer {
        SnapshotTrailer::apache_3_8(None)
    }
}

fn node<'a>(path: &'a str, data: &'a [u8], stat: &'a StatPersisted) -> SnapshotNodeRef<'a> {
    SnapshotNodeRef {
        path,
        data: Some(data),
        acl_id: 1,
        stat,
    }
}

fn synthetic() -> Synthetic {
    Synthetic {
        data: [0x5a; 32],
        acl: Acl::open_acl_unsafe(),
    }
}

/// Counts what recovery hands it, touching each node's data so nothing is optimized away.
#[derive(Default)]
struct Counter {
    nodes: u64,
    bytes: u64,
    txns: u64,
}

impl<E> RecoveryTarget<E> for Counter {
    type Error = std::convert::Infallible;
    fn begin(&mut self, _: Option<&SnapshotInfo>) {
        *self = Counter::default();
    }
    fn add_session(&mut self, _: SnapshotSession) -> Result<(), Self::Error> {
        Ok(())
    }
    fn add_acl(&mut self, _: SnapshotAcl) -> Result<(), Self::Error> {
        Ok(())
    }
    fn add_node(&mut self, node: SnapshotNode) -> Result<(), Self::Error> {
        self.nodes += 1;
        self.bytes += node.data.map_or(0, |d| d.len() as u64) + node.path.len() as u64;
        Ok(())
    }
    fn apply_txn(&mut self, _: E) -> Result<(), Self::Error> {
        self.txns += 1;
        Ok(())
    }
}

/// Builds zk-tree's DataTree from the snapshot, as a server does at startup.
#[derive(Default)]
struct Tree {
    builder: Option<zk_tree::snapshot::TreeBuilder>,
    tree: Option<zk_tree::DataTree>,
}

impl<E> RecoveryTarget<E> for Tree {
    type Error = zk_tree::Error;
    fn begin(&mut self, _: Option<&SnapshotInfo>) {
        self.builder = Some(zk_tree::snapshot::TreeBuilder::new(true));
    }
    fn add_session(&mut self, _: SnapshotSession) -> Result<(), Self::Error> {
        Ok(())
    }
    fn add_acl(&mut self, acl: SnapshotAcl) -> Result<(), Self::Error> {
        let b = self.builder.as_mut().expect("loading");
        b.add_acl(zk_tree::AclId(acl.id), acl.acl)
    }
    fn add_node(&mut self, n: SnapshotNode) -> Result<(), Self::Error> {
        let path = if n.path == "/" { "" } else { &n.path };
        let b = self.builder.as_mut().expect("loading");
        b.add_node(path, n.data, zk_tree::AclId(n.acl_id), n.stat)
    }
    fn snapshot_loaded(&mut self, _: Zxid, _: &SnapshotTrailer) -> Result<(), Self::Error> {
        self.tree = Some(self.builder.take().expect("loading").finish()?);
        Ok(())
    }
    fn apply_txn(&mut self, _: E) -> Result<(), Self::Error> {
        Ok(())
    }
}

fn snapshots(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = std::env::var_os("ZK_BENCH_SNAPSHOT_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_owned());
    let store = FileSnapshotStore::open(&dir).expect("store");
    let source = synthetic();

    let mut group = c.benchmark_group("snapshot_write");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(15));
    group.throughput(Throughput::Elements(NODES));
    group.bench_function("1M_nodes", |b| {
        b.iter(|| save_snapshot(&store, Zxid(1), &source).expect("save"))
    });
    group.finish();

    let info = store.list().expect("list").remove(0);
    eprintln!("snapshot of {NODES} nodes: {} bytes", info.size_bytes);
    let mut group = c.benchmark_group("snapshot_load");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(15));
    group.throughput(Throughput::Elements(NODES));
    group.bench_function("1M_nodes", |b| {
        b.iter(|| {
            let mut counter = Counter::default();
            let log = zk_storage::MemTxnLog::<BytesEntry>::new();
            Recovery::new(&store, &log).run(&mut counter).expect("load");
            assert_eq!(counter.nodes, NODES);
            counter.bytes
        })
    });
    group.bench_function("1M_nodes_into_data_tree", |b| {
        b.iter(|| {
            let mut tree = Tree::default();
            let log = zk_storage::MemTxnLog::<BytesEntry>::new();
            Recovery::new(&store, &log).run(&mut tree).expect("load");
            tree.tree.expect("tree").node_count()
        })
    });
    group.finish();
}

fn recovery(c: &mut Criterion) {
    const TXNS: i64 = 1_000_000;
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let mut log = FileTxnLog::<BytesEntry>::open(dir.path()).expect("open");
        let payload = bytes::Bytes::from(vec![0x17; 56]);
        for seq in 1..=TXNS {
            log.append(BytesEntry::new(seq, payload.clone()))
                .expect("append");
            if seq % 10_000 == 0 {
                log.sync().expect("sync");
            }
        }
        log.sync().expect("sync");
    }
    let mut group = c.benchmark_group("recovery");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(15));
    group.throughput(Throughput::Elements(TXNS as u64));
    group.bench_function("1M_txns", |b| {
        b.iter(|| {
            // Opening includes the log's scan of its newest file.
            let log = FileTxnLog::<BytesEntry>::open(dir.path()).expect("open");
            let mut counter = Counter::default();
            let report = Recovery::new(&MemSnapshotStore::new(), &log)
                .run(&mut counter)
                .expect("recover");
            assert_eq!(report.txns, TXNS as u64);
            counter.txns
        })
    });
    group.finish();
}

criterion_group!(benches, snapshots, recovery);
criterion_main!(benches);
