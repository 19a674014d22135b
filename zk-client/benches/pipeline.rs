//! Pipelined getData throughput and per-request overhead, against our server started
//! in-process on a loopback port.
//!
//! `cargo bench -p zk-client --bench pipeline` measures, on a node holding 100 bytes:
//!
//! - `get_data/sequential`: one request at a time, each awaited before the next is issued —
//!   the round trip through client task, loopback TCP and server;
//! - `get_data/pipelined/<depth>`: `depth` requests issued back to back, then awaited — the
//!   client's per-request cost once round trips overlap (criterion reports requests/second);
//! - `get_data/concurrent_clones/<n>`: `n` tasks, each on a clone of one client, 100 requests
//!   each — the session task's throughput under contention.
//!
//! Set `ZK_JAVA_CLASSPATH` and `ZK_CLIENT_BENCH_APACHE=1` to run the same benchmarks against
//! Apache ZooKeeper 3.8 instead.

#[allow(dead_code)]
#[path = "../tests/suite/harness/servers.rs"]
mod servers;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use servers::{Kind, Server};
use zk_client::{Client, ClientBuilder, CreateOptions};

const PATH: &str = "/bench-pipeline";

fn main() {
    let kind = if std::env::var_os("ZK_CLIENT_BENCH_APACHE").is_some() {
        Kind::Apache
    } else {
        Kind::Ours
    };
    let server = Server::start(kind);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let client = runtime.block_on(async {
        let client = ClientBuilder::new(server.address())
            .with_session_timeout(Duration::from_secs(10))
            .with_fail_eagerly(true)
            .connect()
            .await
            .expect("connect to the bench server");
        client
            .create(PATH, &[7u8; 100], &CreateOptions::persistent())
            .await
            .expect("create the bench node");
        client
    });

    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut group = criterion.benchmark_group("get_data");

    group.throughput(Throughput::Elements(1));
    group.bench_function("sequential", |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(client.get_data(PATH).await.unwrap());
                }
                start.elapsed()
            })
        })
    });

    for depth in [16u64, 128, 1024] {
        group.throughput(Throughput::Elements(depth));
        group.bench_with_input(BenchmarkId::new("pipelined", depth), &depth, |b, &depth| {
            b.iter_custom(|iters| runtime.block_on(pipelined(&client, iters, depth)))
        });
    }

    for tasks in [4u64, 16] {
        group.throughput(Throughput::Elements(tasks * 100));
        group.bench_with_input(
            BenchmarkId::new("concurrent_clones", tasks),
            &tasks,
            |b, &tasks| b.iter_custom(|iters| runtime.block_on(concurrent(&client, iters, tasks))),
        );
    }
    group.finish();
    criterion.final_summary();
    runtime.block_on(client.close());
    drop(server);
}

/// `iters` rounds of `depth` requests issued back to back, then awaited in order.
async fn pipelined(client: &Client, iters: u64, depth: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        let replies: Vec<_> = (0..depth).map(|_| client.get_data(PATH)).collect();
        for reply in replies {
            black_box(reply.await.unwrap());
        }
    }
    start.elapsed()
}

/// `iters` rounds of `tasks` tasks, each issuing 100 requests one after another on its own
/// clone of the client.
async fn concurrent(client: &Client, iters: u64, tasks: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move {
                    for _ in 0..100 {
                        black_box(client.get_data(PATH).await.unwrap());
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
    }
    start.elapsed()
}
