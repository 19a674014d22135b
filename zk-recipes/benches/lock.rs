//! Lock acquire/release throughput against an in-process `zk-server` (standalone, data in a
//! temporary directory, fsync on), with 1, 10 and 100 contenders, each on its own session,
//! each looping acquire → release on one lock path.
//!
//! ```text
//! cargo bench -p zk-recipes --bench lock            # 5 s per case
//! LOCK_BENCH_SECS=20 cargo bench -p zk-recipes --bench lock
//! ZK_RECIPES_SERVER=127.0.0.1:2181 cargo bench -p zk-recipes --bench lock   # another server
//! ```
//!
//! Every hand-over is two writes (the holder's delete, the next contender's create) plus
//! reads, and every write is a txn through the leader's log: the figures are bounded by the
//! server's write throughput, not by the number of contenders.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use zk_recipes::Lock;

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then a smoke run.
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let secs = std::env::var("LOCK_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if benchmarking { 5 } else { 1 });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let server = std::env::var("ZK_RECIPES_SERVER")
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "in-process zk-server, standalone".to_owned());
        println!("lock acquire+release throughput, {secs} s per case ({server})");
        // The bound: what the server does with the same writes and no lock logic.
        let (pairs, _) = raw_writes(Duration::from_secs(secs)).await;
        println!(
            "baseline: {pairs:>7} create+delete pairs from one session, {:>8.0}/s",
            pairs as f64 / secs as f64
        );
        for contenders in [1, 10, 100] {
            let (count, latency) = run(contenders, Duration::from_secs(secs)).await;
            let per_sec = count as f64 / secs as f64;
            println!(
                "contenders {contenders:>3}: {count:>7} acquire/release pairs, {per_sec:>8.0}/s, \
                 mean hold-to-hold {:.2} ms",
                latency.as_secs_f64() * 1000.0
            );
        }
    });
}

/// One session creating and deleting an ephemeral sequential node, one pair at a time: the
/// writes of an uncontended acquire/release without its read.
async fn raw_writes(length: Duration) -> (u64, Duration) {
    let env = common::Env::new("bench-raw").await;
    let client = env.client().await;
    let options = zk_client::CreateOptions::ephemeral_sequential();
    client
        .create("/n", b"", &zk_client::CreateOptions::persistent())
        .await
        .expect("parent");
    let started = Instant::now();
    let mut count = 0u64;
    while started.elapsed() < length {
        let (path, _) = client.create("/n/x-", b"", &options).await.expect("create");
        client.delete(&path, None).await.expect("delete");
        count += 1;
    }
    client.close().await;
    (count, started.elapsed() / count.max(1) as u32)
}

/// Runs `contenders` loops for `length`; returns the pairs completed and the mean time
/// between two successive acquisitions.
async fn run(contenders: usize, length: Duration) -> (u64, Duration) {
    let env = common::Env::new(&format!("bench-{contenders}")).await;
    let done = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let mut clients = Vec::new();
    for _ in 0..contenders {
        clients.push(env.client().await);
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in clients {
        let (done, count) = (done.clone(), count.clone());
        tasks.push(tokio::spawn(async move {
            let lock = Lock::new(&client, "/lock");
            while !done.load(Ordering::Relaxed) {
                let guard = lock.acquire().await.expect("acquire");
                count.fetch_add(1, Ordering::Relaxed);
                guard.release().await.expect("release");
            }
            client.close().await;
        }));
    }
    tokio::time::sleep(length).await;
    done.store(true, Ordering::Relaxed);
    let total = count.load(Ordering::Relaxed);
    let elapsed = started.elapsed();
    for task in tasks {
        task.await.expect("contender");
    }
    (total, elapsed / total.max(1) as u32)
}
