//! The progress line printed to stderr while a workload runs.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::recorder::Recorder;

/// Prints `label`, elapsed time and the recent rate every second until dropped.
#[derive(Debug)]
pub struct Progress {
    task: tokio::task::JoinHandle<()>,
    terminal: bool,
}

impl Progress {
    /// Starts reporting on `recorders` (their op counts summed); `total` is the planned length.
    pub fn start(label: String, recorders: Vec<Arc<Recorder>>, total: Option<Duration>) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let task = tokio::spawn(async move {
            let started = Instant::now();
            let mut last = (started, 0u64);
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            loop {
                tick.tick().await;
                let ops: u64 = recorders.iter().map(|r| r.ops()).sum();
                let errors: u64 = recorders.iter().map(|r| r.errors()).sum();
                let now = Instant::now();
                let rate = (ops.saturating_sub(last.1)) as f64
                    / now.duration_since(last.0).as_secs_f64().max(1e-9);
                last = (now, ops);
                let of = total.map_or_else(String::new, |t| format!("/{:.0}s", t.as_secs_f64()));
                let line = format!(
                    "[{label}] {:.0}s{of}  {ops} ops  {rate:.0} ops/s  {errors} errors",
                    started.elapsed().as_secs_f64()
                );
                let mut err = std::io::stderr().lock();
                let _ = if terminal {
                    write!(err, "\r\x1b[2K{line}")
                } else {
                    writeln!(err, "{line}")
                };
                let _ = err.flush();
            }
        });
        Progress { task, terminal }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.task.abort();
        if self.terminal {
            eprintln!();
        }
    }
}
