//! `zk-bench`: load generator for ZooKeeper-protocol servers (see the `zk_bench` crate docs).
//!
//! ```text
//! zk-bench [--server 127.0.0.1:2181] [--json out.json] [--server-pid PID] <workload> [options]
//! zk-bench --server h:p1,h:p2,h:p3 --server-pid P1,P2,P3 saturate   # an ensemble
//! zk-bench saturate --sessions 32 --outstanding 100 --write-pct 0,10,20,50,80,100
//! zk-bench latency --workers 1,10 --op-count 1000
//! zk-bench paced --rate 20000 --write-pct 20
//! zk-bench load --count 1000000
//! zk-bench watch-fanout --watchers 1000
//! zk-bench plot --series ours=ours.json --series apache=apache.json --out plot.png
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use zk_bench::fanout::FanoutOptions;
use zk_bench::latency::LatencyOptions;
use zk_bench::load::LoadOptions;
use zk_bench::paced::PacedOptions;
use zk_bench::report::{load_average, Measurement, Report};
use zk_bench::saturate::SaturateOptions;
use zk_bench::target::Target;
use zk_bench::{plot, Error, Result};

/// Load generator and benchmarks for ZooKeeper-protocol servers (loopback only).
#[derive(Debug, Parser)]
#[command(name = "zk-bench", version, about, long_about = None)]
struct Args {
    /// Server address, host:port.
    #[arg(long, global = true, default_value = "127.0.0.1:2181")]
    server: String,
    /// Also write the results as JSON to this file.
    #[arg(long, global = true)]
    json: Option<PathBuf>,
    /// The server's process id(s), comma-separated: measure their summed CPU per operation
    /// from /proc (an ensemble: the pids of all its members).
    #[arg(long, global = true, value_delimiter = ',')]
    server_pid: Vec<u32>,
    /// Clock ticks per second of /proc times (`getconf CLK_TCK`).
    #[arg(long, global = true, default_value_t = 100)]
    clk_tck: u32,
    /// Client runtime worker threads (default: the CPUs this process may run on).
    #[arg(long, global = true)]
    threads: Option<usize>,
    #[command(subcommand)]
    workload: Workload,
}

#[derive(Debug, Subcommand)]
enum Workload {
    /// S sessions × W outstanding getData/setData on per-session znodes, write % swept.
    Saturate {
        #[arg(long, default_value_t = 32)]
        sessions: usize,
        #[arg(long, default_value_t = 100)]
        outstanding: usize,
        /// Comma-separated write percentages, one measured point each.
        #[arg(long, value_delimiter = ',', default_value = "0,10,20,50,80,100")]
        write_pct: Vec<u32>,
        #[arg(long, default_value_t = 1024)]
        value_bytes: usize,
        /// Warm-up seconds before each point.
        #[arg(long, default_value_t = 2.0)]
        warmup: f64,
        /// Measured seconds of each point.
        #[arg(long, default_value_t = 10.0)]
        duration: f64,
    },
    /// Closed-loop create + async delete workers, then per-op synchronous latency.
    Latency {
        /// Comma-separated worker counts, one point each.
        #[arg(long, value_delimiter = ',', default_value = "1,10")]
        workers: Vec<usize>,
        #[arg(long, default_value_t = 1024)]
        value_bytes: usize,
        #[arg(long, default_value_t = 1.0)]
        warmup: f64,
        #[arg(long, default_value_t = 10.0)]
        duration: f64,
        /// Operations per kind (create/set/get/exists/delete); 0 skips the per-op part.
        #[arg(long, default_value_t = 1000)]
        op_count: usize,
        #[arg(long, default_value_t = 100)]
        op_value_bytes: usize,
    },
    /// A fixed request rate; latency measured from each request's intended send time.
    Paced {
        /// Operations per second.
        #[arg(long)]
        rate: f64,
        #[arg(long, default_value_t = 32)]
        sessions: usize,
        #[arg(long, default_value_t = 20)]
        write_pct: u32,
        #[arg(long, default_value_t = 1024)]
        value_bytes: usize,
        #[arg(long, default_value_t = 2.0)]
        warmup: f64,
        #[arg(long, default_value_t = 10.0)]
        duration: f64,
        #[arg(long, default_value_t = 100_000)]
        max_in_flight: usize,
    },
    /// Bulk-create N znodes of B bytes, pipelined.
    Load {
        #[arg(long, default_value_t = 1_000_000)]
        count: u64,
        #[arg(long, default_value_t = 100)]
        value_bytes: usize,
        #[arg(long, default_value_t = 4)]
        sessions: usize,
        #[arg(long, default_value_t = 250)]
        outstanding: usize,
    },
    /// N sessions watch one znode; time from setData to each notification.
    WatchFanout {
        #[arg(long, default_value_t = 1000)]
        watchers: usize,
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        #[arg(long, default_value_t = 100)]
        value_bytes: usize,
    },
    /// Polls until a session can be opened and `/` read; prints the milliseconds it took.
    WaitReady {
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 300.0)]
        timeout: f64,
    },
    /// PNG of throughput vs write % from the saturate points of JSON reports.
    Plot {
        /// NAME=report.json, one solid line per series.
        #[arg(long, required_unless_present = "dashed_series")]
        series: Vec<String>,
        /// NAME=report.json, one dashed line per series (the n-th in the n-th solid colour).
        #[arg(long)]
        dashed_series: Vec<String>,
        #[arg(long, default_value = "throughput.png")]
        out: PathBuf,
        #[arg(long, default_value = "Throughput vs write %")]
        title: String,
        #[arg(long, default_value = plot::DEFAULT_FONT)]
        font: PathBuf,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("zk-bench: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<()> {
    if let Workload::Plot {
        series,
        dashed_series,
        out,
        title,
        font,
    } = &args.workload
    {
        return draw_plot(series, dashed_series, out, title, font);
    }
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = args.threads {
        builder.worker_threads(threads.max(1));
    }
    let runtime = builder.enable_all().build().map_err(|source| Error::Io {
        path: "tokio runtime".into(),
        source,
    })?;
    let target = Target::new(&args.server, &args.server_pid, args.clk_tck);
    if let Workload::WaitReady { timeout } = &args.workload {
        let waited = runtime.block_on(target.wait_ready(Duration::from_secs_f64(*timeout)))?;
        println!("{}", waited.as_millis());
        return Ok(());
    }
    let load_average = load_average();
    let results = runtime.block_on(measure(&target, &args.workload))?;
    let report = Report {
        server: args.server.clone(),
        command: std::env::args().skip(1).collect::<Vec<_>>().join(" "),
        load_average,
        results,
    };
    print!("{}", report.table());
    if let Some(path) = &args.json {
        report.write(path)?;
    }
    Ok(())
}

async fn measure(target: &Target, workload: &Workload) -> Result<Vec<Measurement>> {
    let secs = Duration::from_secs_f64;
    Ok(match workload {
        Workload::Saturate {
            sessions,
            outstanding,
            write_pct,
            value_bytes,
            warmup,
            duration,
        } => {
            let opts = SaturateOptions {
                sessions: *sessions,
                outstanding: *outstanding,
                write_pcts: write_pct.clone(),
                value_bytes: *value_bytes,
                warmup: secs(*warmup),
                duration: secs(*duration),
            };
            zk_bench::saturate::run(target, &opts).await?
        }
        Workload::Latency {
            workers,
            value_bytes,
            warmup,
            duration,
            op_count,
            op_value_bytes,
        } => {
            let opts = LatencyOptions {
                workers: workers.clone(),
                value_bytes: *value_bytes,
                warmup: secs(*warmup),
                duration: secs(*duration),
                op_count: *op_count,
                op_value_bytes: *op_value_bytes,
            };
            zk_bench::latency::run(target, &opts).await?
        }
        Workload::Paced {
            rate,
            sessions,
            write_pct,
            value_bytes,
            warmup,
            duration,
            max_in_flight,
        } => {
            let opts = PacedOptions {
                rate: *rate,
                sessions: *sessions,
                write_pct: *write_pct,
                value_bytes: *value_bytes,
                warmup: secs(*warmup),
                duration: secs(*duration),
                max_in_flight: *max_in_flight,
            };
            vec![zk_bench::paced::run(target, &opts).await?]
        }
        Workload::Load {
            count,
            value_bytes,
            sessions,
            outstanding,
        } => {
            let opts = LoadOptions {
                count: *count,
                value_bytes: *value_bytes,
                sessions: *sessions,
                outstanding: *outstanding,
            };
            vec![zk_bench::load::run(target, &opts).await?]
        }
        Workload::WatchFanout {
            watchers,
            rounds,
            value_bytes,
        } => {
            let opts = FanoutOptions {
                watchers: *watchers,
                rounds: *rounds,
                value_bytes: *value_bytes,
            };
            vec![zk_bench::fanout::run(target, &opts).await?]
        }
        Workload::Plot { .. } | Workload::WaitReady { .. } => {
            unreachable!("handled before measuring")
        }
    })
}

fn draw_plot(
    series: &[String],
    dashed_series: &[String],
    out: &std::path::Path,
    title: &str,
    font: &std::path::Path,
) -> Result<()> {
    let mut lines = Vec::new();
    let specs = (series.iter().map(|s| (s, false))).chain(dashed_series.iter().map(|s| (s, true)));
    for (spec, dashed) in specs {
        let (name, path) = spec
            .split_once('=')
            .ok_or_else(|| Error::Invalid(format!("--series {spec}: expected NAME=report.json")))?;
        let report = Report::read(path.as_ref())?;
        lines.push(plot::Series {
            name: name.to_owned(),
            points: plot::saturate_points(&report),
            dashed,
        });
    }
    plot::draw(&lines, title, font, out)?;
    println!("wrote {}", out.display());
    Ok(())
}
