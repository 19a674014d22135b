//! Appends per second to a [`FileTxnLog`] on a real file system with fsync on, for group
//! commits of 1, 10 and 100 entries of 1 KiB per sync. `Throughput::Elements` makes criterion
//! report entries per second.
//!
//! ```sh
//! cargo bench -p zk-storage --bench txn_log
//! ```
//!
//! The temp directory is on whatever file system `TMPDIR` points at; numbers on tmpfs (where
//! fsync is free) say nothing about a disk.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use zk_storage::{BytesEntry, FileTxnLog, TxnLog};

const ENTRY_BYTES: usize = 1024;

fn appends_with_group_commit(c: &mut Criterion) {
    let mut group = c.benchmark_group("txn_log_append_sync");
    group.sample_size(20);
    let payload = bytes::Bytes::from(vec![0xab; ENTRY_BYTES - 8]);
    for batch in [1u64, 10, 100] {
        group.throughput(Throughput::Elements(batch));
        group.bench_with_input(BenchmarkId::new("batch", batch), &batch, |b, &batch| {
            let dir = tempfile::tempdir().expect("tempdir");
            let mut log = FileTxnLog::<BytesEntry>::open(dir.path()).expect("open");
            let mut seq = 0i64;
            b.iter(|| {
                for _ in 0..batch {
                    seq += 1;
                    log.append(BytesEntry::new(seq, payload.clone()))
                        .expect("append");
                }
                log.sync().expect("sync")
            });
        });
    }
    group.finish();
}

criterion_group!(benches, appends_with_group_commit);
criterion_main!(benches);
