//! The ZooKeeper paper's throughput workload (Hunt et al. 2010, §5.1): S sessions, each
//! keeping W requests outstanding on its own znode, 1 KiB getData/setData, write percentage
//! swept; a warm-up, then a measured window per point.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use zk_client::Client;

use crate::progress::Progress;
use crate::recorder::{histogram, Phase, Recorder, SharedPhase, XorShift};
use crate::report::{Latency, Measurement};
use crate::target::{close_all, put, Target};
use crate::Result;

/// Parent of the per-session znodes.
const ROOT: &str = "/zk-bench-saturate";

/// Shape of a saturation run.
#[derive(Debug, Clone)]
pub struct SaturateOptions {
    /// Sessions (the paper: 250 clients; default 32).
    pub sessions: usize,
    /// Requests in flight per session (the paper: 100).
    pub outstanding: usize,
    /// Write percentages to sweep, each a measured point.
    pub write_pcts: Vec<u32>,
    /// Bytes per value (the paper: 1 KiB).
    pub value_bytes: usize,
    /// Unrecorded time before each point.
    pub warmup: Duration,
    /// Recorded time of each point.
    pub duration: Duration,
}

/// Runs the sweep; one [`Measurement`] per write percentage.
pub async fn run(target: &Target, opts: &SaturateOptions) -> Result<Vec<Measurement>> {
    let clients = target.connect_many(opts.sessions.max(1)).await?;
    let value: Arc<[u8]> = vec![b'x'; opts.value_bytes].into();
    put(&clients[0], ROOT, b"").await?;
    for (i, client) in clients.iter().enumerate() {
        put(client, &format!("{ROOT}/s-{i}"), &value).await?;
    }
    let phase = Arc::new(SharedPhase::default());
    let write_pct = Arc::new(AtomicU32::new(0));
    let recorders: Vec<Arc<Recorder>> = clients.iter().map(|_| Arc::default()).collect();
    let mut workers = Vec::new();
    for (i, client) in clients.iter().enumerate() {
        for w in 0..opts.outstanding.max(1) {
            let worker = Worker {
                client: client.clone(),
                path: format!("{ROOT}/s-{i}"),
                value: value.clone(),
                phase: phase.clone(),
                write_pct: write_pct.clone(),
                recorder: recorders[i].clone(),
                rng: XorShift::new((i * 100_003 + w) as u64),
            };
            workers.push(tokio::spawn(worker.run()));
        }
    }
    let mut results = Vec::new();
    for &pct in &opts.write_pcts {
        write_pct.store(pct.min(100), Ordering::Relaxed);
        phase.set(Phase::WarmUp);
        let progress = Progress::start(
            format!("saturate write={pct}%"),
            recorders.clone(),
            Some(opts.warmup + opts.duration),
        );
        tokio::time::sleep(opts.warmup).await;
        recorders.iter().for_each(|r| r.reset());
        let cpu_before = target.cpu();
        let started = Instant::now();
        phase.set(Phase::Measure);
        tokio::time::sleep(opts.duration).await;
        phase.set(Phase::WarmUp);
        let seconds = started.elapsed().as_secs_f64();
        let cpu = target.cpu().zip(cpu_before).map(|(a, b)| a - b);
        drop(progress);
        let mut merged = histogram();
        recorders.iter().for_each(|r| r.merge_into(&mut merged));
        let errors = recorders.iter().map(|r| r.errors()).sum();
        let mut m = Measurement::new(
            "saturate",
            format!("write={pct}%"),
            merged.len(),
            errors,
            seconds,
        )
        .with_cpu(cpu);
        m.sessions = clients.len();
        m.outstanding = opts.outstanding;
        m.write_pct = Some(pct);
        m.value_bytes = opts.value_bytes;
        m.latency_us = Latency::of(&merged);
        results.push(m);
    }
    phase.set(Phase::Stop);
    for worker in workers {
        let _ = worker.await;
    }
    close_all(clients).await;
    Ok(results)
}

/// One closed-loop request stream of a session; W of them make W outstanding.
struct Worker {
    client: Client,
    path: String,
    value: Arc<[u8]>,
    phase: Arc<SharedPhase>,
    write_pct: Arc<AtomicU32>,
    recorder: Arc<Recorder>,
    rng: XorShift,
}

impl Worker {
    async fn run(mut self) {
        while self.phase.get() != Phase::Stop {
            let write = self.rng.percent() < self.write_pct.load(Ordering::Relaxed);
            let start = Instant::now();
            let outcome = if write {
                self.client
                    .set_data(&self.path, &self.value, None)
                    .await
                    .map(drop)
            } else {
                self.client.get_data(&self.path).await.map(drop)
            };
            if self.phase.get() == Phase::Measure {
                match outcome {
                    Ok(()) => self.recorder.record(start.elapsed()),
                    Err(_) => self.recorder.error(),
                }
            } else if outcome.is_err() {
                // Outside the window a failure still must not spin the loop hot.
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}
