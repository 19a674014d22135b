//! The bulk loader: N znodes of B bytes created as fast as pipelining allows, in buckets of
//! 1000 children (`/zk-bench-load/b<k/1000>/n<k%1000>`), for the RSS, snapshot and restart
//! measurements.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use zk_client::CreateOptions;

use crate::progress::Progress;
use crate::recorder::Recorder;
use crate::report::Measurement;
use crate::target::{close_all, put, Target};
use crate::Result;

/// Parent of the buckets.
pub const ROOT: &str = "/zk-bench-load";
/// Children per bucket.
const BUCKET: u64 = 1000;

/// Shape of a bulk load.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Znodes to create.
    pub count: u64,
    /// Bytes per value.
    pub value_bytes: usize,
    /// Sessions creating in parallel.
    pub sessions: usize,
    /// Creates in flight per session.
    pub outstanding: usize,
}

/// Loads the znodes; one [`Measurement`] of the whole load.
pub async fn run(target: &Target, opts: &LoadOptions) -> Result<Measurement> {
    let clients = target.connect_many(opts.sessions.max(1)).await?;
    put(&clients[0], ROOT, b"").await?;
    for b in 0..opts.count.div_ceil(BUCKET) {
        put(&clients[0], &format!("{ROOT}/b{b}"), b"").await?;
    }
    let value: Arc<[u8]> = vec![b'l'; opts.value_bytes].into();
    let next = Arc::new(AtomicU64::new(0));
    let recorder = Arc::new(Recorder::default());
    let progress = Progress::start(
        format!("load {} znodes", opts.count),
        vec![recorder.clone()],
        None,
    );
    let cpu_before = target.cpu();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in &clients {
        for _ in 0..opts.outstanding.max(1) {
            let (client, next, recorder, value) = (
                client.clone(),
                next.clone(),
                recorder.clone(),
                value.clone(),
            );
            let count = opts.count;
            tasks.push(tokio::spawn(async move {
                let options = CreateOptions::persistent();
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= count {
                        break;
                    }
                    let path = format!("{ROOT}/b{}/n{}", k / BUCKET, k % BUCKET);
                    let start = Instant::now();
                    match client.create(&path, &value, &options).await {
                        Ok(_) => recorder.record(start.elapsed()),
                        Err(_) => recorder.error(),
                    }
                }
            }));
        }
    }
    for task in tasks {
        let _ = task.await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu = target.cpu().zip(cpu_before).map(|(a, b)| a - b);
    drop(progress);
    close_all(clients).await;
    let latency = recorder.latency();
    let mut m = Measurement::new(
        "load",
        format!("n={}", opts.count),
        latency.count,
        recorder.errors(),
        seconds,
    )
    .with_cpu(cpu);
    m.sessions = opts.sessions.max(1);
    m.outstanding = opts.outstanding;
    m.value_bytes = opts.value_bytes;
    m.latency_us = latency;
    Ok(m)
}
