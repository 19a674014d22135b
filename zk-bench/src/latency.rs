//! Latency workloads: the paper's closed-loop workers (synchronous 1 KiB create, then an
//! asynchronous delete of it), and per-operation synchronous latency on 100 B values.

use std::sync::Arc;
use std::time::{Duration, Instant};

use zk_client::{Client, CreateOptions};

use crate::progress::Progress;
use crate::recorder::{histogram, Phase, Recorder, SharedPhase};
use crate::report::{Latency, Measurement};
use crate::target::{close_all, put, Target};
use crate::Result;

/// Parent of the workers' znodes.
const ROOT: &str = "/zk-bench-latency";

/// Shape of a latency run.
#[derive(Debug, Clone)]
pub struct LatencyOptions {
    /// Worker counts to measure, each its own point (the paper: 1 and 10).
    pub workers: Vec<usize>,
    /// Bytes per created value (the paper: 1 KiB).
    pub value_bytes: usize,
    /// Unrecorded time before each point.
    pub warmup: Duration,
    /// Recorded time of each point.
    pub duration: Duration,
    /// Operations per kind in the per-op part (0 skips it).
    pub op_count: usize,
    /// Bytes per value in the per-op part.
    pub op_value_bytes: usize,
}

/// Runs the closed-loop points, then the per-op part.
pub async fn run(target: &Target, opts: &LatencyOptions) -> Result<Vec<Measurement>> {
    let setup = target.connect().await?;
    put(&setup, ROOT, b"").await?;
    let mut results = Vec::new();
    for &n in &opts.workers {
        results.push(closed_loop(target, n.max(1), opts).await?);
    }
    if opts.op_count > 0 {
        results.extend(per_op(target, &setup, opts).await?);
    }
    setup.close().await;
    Ok(results)
}

/// `n` workers, each on its own session: create (awaited), delete (not awaited).
async fn closed_loop(target: &Target, n: usize, opts: &LatencyOptions) -> Result<Measurement> {
    let clients = target.connect_many(n).await?;
    let phase = Arc::new(SharedPhase::default());
    let recorder = Arc::new(Recorder::default());
    let value: Arc<[u8]> = vec![b'c'; opts.value_bytes].into();
    let tasks: Vec<_> = clients
        .iter()
        .enumerate()
        .map(|(i, client)| {
            let (client, phase, recorder, value) = (
                client.clone(),
                phase.clone(),
                recorder.clone(),
                value.clone(),
            );
            tokio::spawn(async move { create_delete_loop(client, i, phase, recorder, value).await })
        })
        .collect();
    let progress = Progress::start(
        format!("latency workers={n}"),
        vec![recorder.clone()],
        Some(opts.warmup + opts.duration),
    );
    tokio::time::sleep(opts.warmup).await;
    recorder.reset();
    let cpu_before = target.cpu();
    let started = Instant::now();
    phase.set(Phase::Measure);
    tokio::time::sleep(opts.duration).await;
    phase.set(Phase::Stop);
    let seconds = started.elapsed().as_secs_f64();
    let cpu = target.cpu().zip(cpu_before).map(|(a, b)| a - b);
    drop(progress);
    for task in tasks {
        let _ = task.await;
    }
    close_all(clients).await;
    let latency = recorder.latency();
    let mut m = Measurement::new(
        "latency",
        format!("workers={n}"),
        latency.count,
        recorder.errors(),
        seconds,
    )
    .with_cpu(cpu);
    m.sessions = n;
    m.value_bytes = opts.value_bytes;
    m.latency_us = latency;
    Ok(m)
}

async fn create_delete_loop(
    client: Client,
    worker: usize,
    phase: Arc<SharedPhase>,
    recorder: Arc<Recorder>,
    value: Arc<[u8]>,
) {
    let options = CreateOptions::persistent();
    let mut k = 0u64;
    while phase.get() != Phase::Stop {
        let path = format!("{ROOT}/w{worker}-{k}");
        k += 1;
        let start = Instant::now();
        let outcome = client.create(&path, &value, &options).await;
        let measuring = phase.get() == Phase::Measure;
        match outcome {
            Ok(_) if measuring => recorder.record(start.elapsed()),
            Ok(_) => {}
            Err(_) if measuring => recorder.error(),
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
        // Asynchronous: sent now (call order is wire order), its reply never awaited.
        drop(client.delete(&path, None));
    }
    // Let the last deletes reach the server before the session closes.
    let _ = client.sync("/").await;
}

/// Synchronous create, setData, getData, exists and delete over `op_count` nodes.
async fn per_op(
    target: &Target,
    client: &Client,
    opts: &LatencyOptions,
) -> Result<Vec<Measurement>> {
    let value = vec![b'o'; opts.op_value_bytes];
    let other = vec![b'p'; opts.op_value_bytes];
    let paths: Vec<String> = (0..opts.op_count)
        .map(|k| format!("{ROOT}/op-{k}"))
        .collect();
    let options = CreateOptions::persistent();
    let mut results = Vec::new();
    for op in ["create", "set", "get", "exists", "delete"] {
        let mut h = histogram();
        let mut errors = 0;
        let cpu_before = target.cpu();
        let started = Instant::now();
        for path in &paths {
            let start = Instant::now();
            let ok = match op {
                "create" => client.create(path, &value, &options).await.is_ok(),
                "set" => client.set_data(path, &other, None).await.is_ok(),
                "get" => client.get_data(path).await.is_ok(),
                "exists" => matches!(client.exists(path).await, Ok(Some(_))),
                _ => client.delete(path, None).await.is_ok(),
            };
            if ok {
                h.saturating_record(start.elapsed().as_micros().max(1) as u64);
            } else {
                errors += 1;
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        let cpu = target.cpu().zip(cpu_before).map(|(a, b)| a - b);
        let mut m = Measurement::new("op-latency", format!("op={op}"), h.len(), errors, seconds)
            .with_cpu(cpu);
        m.value_bytes = opts.op_value_bytes;
        m.latency_us = Latency::of(&h);
        results.push(m);
    }
    Ok(results)
}
