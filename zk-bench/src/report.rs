//! Results: one [`Measurement`] per workload point, printed as a table and written as JSON
//! (a [`Report`]) for `zk-bench plot` and `scripts/compare.sh`.

use std::path::Path;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Latency percentiles in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Samples behind the percentiles.
    pub count: u64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Median.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Largest sample.
    pub max: u64,
}

impl Latency {
    /// The percentiles of `h` (all zero when it is empty).
    pub fn of(h: &Histogram<u64>) -> Latency {
        if h.is_empty() {
            return Latency::default();
        }
        Latency {
            count: h.len(),
            mean: h.mean(),
            p50: h.value_at_quantile(0.50),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
        }
    }
}

/// One measured point of one workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// `saturate`, `latency`, `op-latency`, `paced`, `load` or `watch-fanout`.
    pub workload: String,
    /// What distinguishes this point within the workload (`write=20%`, `op=get`, ...).
    pub label: String,
    /// Sessions (connections) used.
    pub sessions: usize,
    /// Requests kept in flight per session (1 for closed-loop synchronous workers).
    pub outstanding: usize,
    /// Percentage of writes, where the workload mixes reads and writes.
    pub write_pct: Option<u32>,
    /// Target rate of a paced run, ops/s.
    pub target_rate: Option<f64>,
    /// Bytes per znode value.
    pub value_bytes: usize,
    /// Successful operations (or notifications) in the measured window.
    pub ops: u64,
    /// Failed operations in the measured window.
    pub errors: u64,
    /// Length of the measured window, seconds.
    pub seconds: f64,
    /// `ops / seconds`.
    pub ops_per_sec: f64,
    /// Latency of the successful operations.
    pub latency_us: Latency,
    /// Server CPU (user + system) spent in the window, when `--server-pid` was given.
    pub server_cpu_s: Option<f64>,
    /// Server CPU milliseconds per 1000 operations (= CPU µs per op).
    pub cpu_ms_per_1000_ops: Option<f64>,
}

impl Measurement {
    /// A measurement of `workload`/`label`; the caller fills the shape fields it knows.
    pub fn new(workload: &str, label: String, ops: u64, errors: u64, seconds: f64) -> Self {
        Measurement {
            workload: workload.to_owned(),
            label,
            sessions: 1,
            outstanding: 1,
            write_pct: None,
            target_rate: None,
            value_bytes: 0,
            ops,
            errors,
            seconds,
            ops_per_sec: if seconds > 0.0 {
                ops as f64 / seconds
            } else {
                0.0
            },
            latency_us: Latency::default(),
            server_cpu_s: None,
            cpu_ms_per_1000_ops: None,
        }
    }

    /// Attaches the server CPU spent in the window.
    pub fn with_cpu(mut self, cpu_s: Option<f64>) -> Self {
        self.server_cpu_s = cpu_s;
        self.cpu_ms_per_1000_ops = cpu_s
            .filter(|_| self.ops > 0)
            .map(|cpu| cpu * 1000.0 * 1000.0 / self.ops as f64);
        self
    }
}

/// Everything one `zk-bench` invocation measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The server address measured.
    pub server: String,
    /// The subcommand and its arguments, as typed.
    pub command: String,
    /// `/proc/loadavg` when the run started (the machine's noise).
    pub load_average: Option<String>,
    /// The measured points, in order.
    pub results: Vec<Measurement>,
}

impl Report {
    /// Reads a report written by [`Report::write`].
    pub fn read(path: &Path) -> Result<Report> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| Error::Json {
            path: path.display().to_string(),
            source,
        })
    }

    /// Writes the report as pretty JSON.
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).expect("reports serialize");
        std::fs::write(path, text + "\n").map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })
    }

    /// The results as a fixed-width text table.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<13} {:<14} {:>5} {:>5} {:>10} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9}\n",
            "workload",
            "point",
            "sess",
            "out",
            "ops/s",
            "errors",
            "mean_us",
            "p50_us",
            "p99_us",
            "p999_us",
            "cpu/1k_ms"
        );
        for m in &self.results {
            let cpu = m
                .cpu_ms_per_1000_ops
                .map_or_else(|| "-".to_owned(), |c| format!("{c:.1}"));
            out += &format!(
                "{:<13} {:<14} {:>5} {:>5} {:>10.0} {:>7} {:>9.0} {:>9} {:>9} {:>9} {:>9}\n",
                m.workload,
                m.label,
                m.sessions,
                m.outstanding,
                m.ops_per_sec,
                m.errors,
                m.latency_us.mean,
                m.latency_us.p50,
                m.latency_us.p99,
                m.latency_us.p999,
                cpu
            );
        }
        out
    }
}

/// `/proc/loadavg`'s first three fields, if readable.
pub fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(
        text.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    )
}
