//! The ZooKeeper paper's throughput workload (Hunt et al. 2010, §5.1): S sessions, each
//! keeping W requests outstanding on its own znode, 1 KiB getData/setData, write percentage
//! swept; a warm-up, then a measured window per point.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
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
    // One task per session keeps its W requests in flight, not one task per request: with
    // S x W tasks on a saturated client runtime, some woken tasks waited hundreds of ms to
    // run (a worker's local run queue holds 256 tasks and spills the rest to the global
    // queue, which it polls rarely while busy) — a p99 that was the load generator's, not the
    // server's (issue 10: every session showed p50 2 ms, p99 245 ms).
    let mut workers = Vec::new();
    for (i, client) in clients.iter().enumerate() {
        let worker = Worker {
            client: client.clone(),
            path: format!("{ROOT}/s-{i}"),
            value: value.clone(),
            phase: phase.clone(),
            write_pct: write_pct.clone(),
            recorder: recorders[i].clone(),
            rng: XorShift::new((i * 100_003) as u64),
            outstanding: opts.outstanding.max(1),
        };
        workers.push(tokio::spawn(worker.run()));
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
        if std::env::var_os("ZK_BENCH_PER_SESSION").is_some() {
            print_per_session(pct, &recorders);
        }
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

/// A reply still to come.
type Pending = Pin<Box<dyn Future<Output = zk_client::Result<()>> + Send>>;

/// One session's closed loop: keeps W requests outstanding, issuing a new one as each reply
/// arrives. A session's replies come in the order of its requests (ZooKeeper's FIFO client
/// order), so awaiting the oldest request is awaiting the next reply.
struct Worker {
    client: Client,
    path: String,
    value: Arc<[u8]>,
    phase: Arc<SharedPhase>,
    write_pct: Arc<AtomicU32>,
    recorder: Arc<Recorder>,
    rng: XorShift,
    outstanding: usize,
}

impl Worker {
    async fn run(mut self) {
        let mut in_flight: VecDeque<(Instant, Pending)> = VecDeque::with_capacity(self.outstanding);
        while self.phase.get() != Phase::Stop {
            while in_flight.len() < self.outstanding {
                in_flight.push_back((Instant::now(), self.issue()));
            }
            let (start, reply) = in_flight.pop_front().expect("at least one outstanding");
            let outcome = reply.await;
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
        // The requests still in flight finish on the server; their replies are not awaited.
    }

    /// Sends the next request (the client sends at the call, not at the first poll).
    fn issue(&mut self) -> Pending {
        if self.rng.percent() < self.write_pct.load(Ordering::Relaxed) {
            let reply = self.client.set_data(&self.path, &self.value, None);
            Box::pin(async move { reply.await.map(drop) })
        } else {
            let reply = self.client.get_data(&self.path);
            Box::pin(async move { reply.await.map(drop) })
        }
    }
}

/// Prints (to stderr) how evenly the sessions were served: per-session ops, p50 and p99,
/// sorted, as min / quartiles / max. An unfair server shows as a wide spread. Enabled by the
/// `ZK_BENCH_PER_SESSION` environment variable.
fn print_per_session(pct: u32, recorders: &[Arc<Recorder>]) {
    let spread = |mut v: Vec<u64>| {
        v.sort_unstable();
        let at = |q: usize| v[(v.len() - 1) * q / 4];
        format!("{} / {} / {} / {} / {}", at(0), at(1), at(2), at(3), at(4))
    };
    let stats: Vec<Latency> = recorders.iter().map(|r| r.latency()).collect();
    eprintln!(
        "per-session write={pct}% (min / q1 / median / q3 / max)\n  ops: {}\n  p50 µs: {}\n  p99 µs: {}",
        spread(stats.iter().map(|l| l.count).collect()),
        spread(stats.iter().map(|l| l.p50).collect()),
        spread(stats.iter().map(|l| l.p99).collect()),
    );
    // In session order: with a multi-server connect string session i starts on server
    // i mod n, so a slow server shows as a stride.
    let ops: Vec<String> = stats.iter().map(|l| l.count.to_string()).collect();
    eprintln!("  ops by session: {}", ops.join(" "));
}
