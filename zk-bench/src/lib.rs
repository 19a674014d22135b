//! A load generator for ZooKeeper-protocol servers, used to compare this workspace's
//! `zk-server` with Apache ZooKeeper side by side (`scripts/compare.sh`, `docs/performance.md`).
//!
//! Every workload speaks the real protocol through `zk-client`, whose calls send on call, so
//! one session can keep many requests in flight. Latencies go into HDR histograms (µs, 3
//! significant digits); results are [`report::Measurement`]s, printed as a table and written
//! as JSON. The method follows the ZooKeeper paper (Hunt et al., USENIX ATC 2010, §5.1).
//!
//! # Layout
//!
//! - [`saturate`]: S sessions × W outstanding getData/setData, write % sweep.
//! - [`latency`]: closed-loop create + asynchronous delete workers; per-op synchronous latency.
//! - [`paced`]: fixed-rate runs timed from the intended send time (no coordinated omission).
//! - [`load`]: bulk creation of N znodes.
//! - [`fanout`]: time from setData to each of N watch notifications.
//! - [`plot`]: throughput vs write % as a PNG.
//! - [`report`]: [`report::Measurement`], [`report::Report`], table and JSON.
//! - [`recorder`], [`progress`], [`probe`], [`target`]: histograms and phases, the progress
//!   line, server CPU from `/proc`, sessions.
//! - [`error`]: the crate's [`Error`].
//!
//! # Example
//!
//! ```no_run
//! use std::time::Duration;
//! use zk_bench::saturate::{self, SaturateOptions};
//! use zk_bench::target::Target;
//!
//! # async fn example() -> zk_bench::Result<()> {
//! let target = Target::new("127.0.0.1:2181", &[], 100);
//! let options = SaturateOptions {
//!     sessions: 32,
//!     outstanding: 100,
//!     write_pcts: vec![0, 100],
//!     value_bytes: 1024,
//!     warmup: Duration::from_secs(2),
//!     duration: Duration::from_secs(10),
//! };
//! for point in saturate::run(&target, &options).await? {
//!     println!("{}: {:.0} ops/s, p99 {} µs", point.label, point.ops_per_sec, point.latency_us.p99);
//! }
//! # Ok(()) }
//! ```

pub mod error;
pub mod fanout;
pub mod latency;
pub mod load;
pub mod paced;
pub mod plot;
pub mod probe;
pub mod progress;
pub mod recorder;
pub mod report;
pub mod saturate;
pub mod target;

pub use error::{Error, Result};
