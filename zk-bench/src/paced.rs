//! Fixed-rate (open-loop) runs: request k is due at `start + k / rate` and its latency runs
//! from that intended time, so a stalled server shows in the tail instead of silently slowing
//! the generator down (no coordinated omission).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::progress::Progress;
use crate::recorder::{Recorder, XorShift};
use crate::report::Measurement;
use crate::target::{close_all, put, Target};
use crate::{Error, Result};

/// Parent of the per-session znodes.
const ROOT: &str = "/zk-bench-paced";

/// A request in flight, whichever operation it is.
type Reply = Pin<Box<dyn Future<Output = std::result::Result<(), zk_client::Error>> + Send>>;

/// Shape of a paced run.
#[derive(Debug, Clone)]
pub struct PacedOptions {
    /// Target rate, operations per second.
    pub rate: f64,
    /// Sessions the requests are spread over, round-robin.
    pub sessions: usize,
    /// Percentage of setData among the requests (the rest getData).
    pub write_pct: u32,
    /// Bytes per value.
    pub value_bytes: usize,
    /// Paced but unrecorded time first.
    pub warmup: Duration,
    /// Recorded time.
    pub duration: Duration,
    /// Requests allowed in flight before the schedule waits (latency still counts from the
    /// intended time, so waiting here shows up as latency, not as a lower rate).
    pub max_in_flight: usize,
}

/// Runs one paced point.
pub async fn run(target: &Target, opts: &PacedOptions) -> Result<Measurement> {
    if !(opts.rate > 0.0 && opts.rate.is_finite()) {
        return Err(Error::Invalid(format!(
            "rate {} must be positive",
            opts.rate
        )));
    }
    let clients = target.connect_many(opts.sessions.max(1)).await?;
    let value: Arc<[u8]> = vec![b'p'; opts.value_bytes].into();
    put(&clients[0], ROOT, b"").await?;
    let paths: Vec<String> = (0..clients.len())
        .map(|i| format!("{ROOT}/s-{i}"))
        .collect();
    for (client, path) in clients.iter().zip(&paths) {
        put(client, path, &value).await?;
    }
    let recorder = Arc::new(Recorder::default());
    let in_flight = Arc::new(Semaphore::new(opts.max_in_flight.max(1)));
    let label = format!("rate={:.0} write={}%", opts.rate, opts.write_pct);
    let progress = Progress::start(
        format!("paced {label}"),
        vec![recorder.clone()],
        Some(opts.warmup + opts.duration),
    );
    let mut rng = XorShift::new(7);
    let start = Instant::now();
    let measure_from = start + opts.warmup;
    let end = measure_from + opts.duration;
    let mut cpu_before = None;
    let mut tasks = Vec::new();
    for k in 0u64.. {
        let due = start + Duration::from_secs_f64(k as f64 / opts.rate);
        if due >= end {
            break;
        }
        if due > Instant::now() {
            tokio::time::sleep_until(due.into()).await;
        }
        let measured = due >= measure_from;
        if measured && cpu_before.is_none() {
            cpu_before = Some(target.cpu());
        }
        let permit = in_flight
            .clone()
            .acquire_owned()
            .await
            .expect("never closed");
        let session = (k % clients.len() as u64) as usize;
        let (client, path) = (&clients[session], &paths[session]);
        let write = rng.percent() < opts.write_pct;
        // Both futures were sent on call; one task awaits whichever it is.
        let reply: Reply = if write {
            let f = client.set_data(path, &value, None);
            Box::pin(async move { f.await.map(drop) })
        } else {
            let f = client.get_data(path);
            Box::pin(async move { f.await.map(drop) })
        };
        let recorder = recorder.clone();
        tasks.push(tokio::spawn(async move {
            let outcome = reply.await;
            drop(permit);
            match outcome {
                Ok(()) if measured => recorder.record(due.elapsed()),
                Err(_) if measured => recorder.error(),
                _ => {}
            }
        }));
        if tasks.len() >= 4096 {
            tasks.retain(|t| !t.is_finished());
        }
    }
    for task in tasks {
        let _ = task.await;
    }
    let cpu = target.cpu().zip(cpu_before.flatten()).map(|(a, b)| a - b);
    drop(progress);
    close_all(clients).await;
    let latency = recorder.latency();
    let mut m = Measurement::new(
        "paced",
        label,
        latency.count,
        recorder.errors(),
        opts.duration.as_secs_f64(),
    )
    .with_cpu(cpu);
    m.sessions = opts.sessions.max(1);
    m.outstanding = opts.max_in_flight;
    m.write_pct = Some(opts.write_pct);
    m.target_rate = Some(opts.rate);
    m.value_bytes = opts.value_bytes;
    m.latency_us = latency;
    Ok(m)
}
