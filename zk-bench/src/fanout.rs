//! Watch fan-out: N sessions watch one znode; a separate session sets its data; the latency
//! of each notification runs from just before that setData was sent until it arrives.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use zk_proto::EventType;

use crate::progress::Progress;
use crate::recorder::Recorder;
use crate::report::Measurement;
use crate::target::{close_all, put, Target};
use crate::Result;

/// The watched znode.
const PATH: &str = "/zk-bench-fanout";
/// How long a round may wait for its notifications.
const ROUND_LIMIT: Duration = Duration::from_secs(30);

/// Shape of a fan-out run.
#[derive(Debug, Clone)]
pub struct FanoutOptions {
    /// Watching sessions (the method: 1000).
    pub watchers: usize,
    /// setData rounds, each re-arming every watch.
    pub rounds: usize,
    /// Bytes per value.
    pub value_bytes: usize,
}

/// Runs the rounds; one [`Measurement`] over every notification.
pub async fn run(target: &Target, opts: &FanoutOptions) -> Result<Measurement> {
    let writer = target.connect().await?;
    let value = vec![b'w'; opts.value_bytes];
    put(&writer, PATH, &value).await?;
    let watchers = target.connect_many(opts.watchers.max(1)).await?;
    let recorder = Arc::new(Recorder::default());
    let progress = Progress::start(
        format!("watch-fanout {} sessions", watchers.len()),
        vec![recorder.clone()],
        None,
    );
    let cpu_before = target.cpu();
    let mut seconds = 0.0;
    for _ in 0..opts.rounds.max(1) {
        let sent_at: Arc<Mutex<Option<Instant>>> = Arc::default();
        let (armed_tx, mut armed_rx) = mpsc::channel::<bool>(watchers.len());
        let tasks: Vec<_> = watchers
            .iter()
            .map(|client| {
                let (client, sent_at, recorder, armed) = (
                    client.clone(),
                    sent_at.clone(),
                    recorder.clone(),
                    armed_tx.clone(),
                );
                tokio::spawn(async move {
                    let watcher = match client.get_and_watch_data(PATH).await {
                        Ok((_, _, watcher)) => watcher,
                        Err(_) => {
                            let _ = armed.send(false).await;
                            return;
                        }
                    };
                    let _ = armed.send(true).await;
                    let event = watcher.await;
                    let sent = *sent_at.lock().expect("sent_at lock");
                    match sent {
                        Some(sent) if event.event_type == EventType::NodeDataChanged => {
                            recorder.record(sent.elapsed());
                        }
                        _ => recorder.error(),
                    }
                })
            })
            .collect();
        drop(armed_tx);
        // Count the arming replies (the senders live on in the tasks until they are notified).
        for _ in 0..watchers.len() {
            match armed_rx.recv().await {
                Some(true) => {}
                Some(false) => recorder.error(),
                None => break,
            }
        }
        let round_start = Instant::now();
        *sent_at.lock().expect("sent_at lock") = Some(round_start);
        let set = writer.set_data(PATH, &value, None).await;
        if set.is_err() {
            recorder.error();
        }
        let deadline = tokio::time::Instant::now() + ROUND_LIMIT;
        for mut task in tasks {
            if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
                task.abort();
                recorder.error();
            }
        }
        seconds += round_start.elapsed().as_secs_f64();
    }
    let cpu = target.cpu().zip(cpu_before).map(|(a, b)| a - b);
    drop(progress);
    close_all(watchers).await;
    writer.close().await;
    let latency = recorder.latency();
    let mut m = Measurement::new(
        "watch-fanout",
        format!("watchers={}", opts.watchers),
        latency.count,
        recorder.errors(),
        seconds,
    )
    .with_cpu(cpu);
    m.sessions = opts.watchers;
    m.value_bytes = opts.value_bytes;
    m.latency_us = latency;
    Ok(m)
}
