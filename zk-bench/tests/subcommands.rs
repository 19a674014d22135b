//! Runs every `zk-bench` subcommand briefly against our server (in-process, loopback, fsync
//! off) and checks the JSON it writes: operations counted, no errors, percentiles ordered.

use std::net::TcpListener as StdListener;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use tokio::sync::oneshot;
use zk_bench::report::{Measurement, Report};
use zk_server::config::HostPort;
use zk_server::ServerConfig;

/// Our server on a free loopback port, on its own thread and runtime; stops when dropped.
struct Server {
    address: String,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _data: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
        let data = tempfile::tempdir().expect("temp dir");
        let listener = StdListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("address").port();
        let config = ServerConfig {
            data_dir: data.path().to_path_buf(),
            data_log_dir: data.path().to_path_buf(),
            client_address: Some(HostPort::new("127.0.0.1", port)),
            max_client_cnxns: 0,
            force_sync: false,
            ..ServerConfig::default()
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let shutdown = async {
                    let _ = stopped.await;
                };
                zk_server::server::run(config, listener, shutdown)
                    .await
                    .expect("server runs");
            });
            runtime.shutdown_timeout(Duration::from_millis(100));
        });
        Server {
            address: format!("127.0.0.1:{port}"),
            stop: Some(stop),
            thread: Some(thread),
            _data: data,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Runs `zk-bench --server <server> --json <file> ARGS` and returns the report it wrote.
fn bench(server: &Server, dir: &Path, name: &str, args: &[&str]) -> Report {
    let json = dir.join(format!("{name}.json"));
    let output = Command::new(env!("CARGO_BIN_EXE_zk-bench"))
        .args(["--server", &server.address, "--threads", "2", "--json"])
        .arg(&json)
        .args(args)
        .output()
        .expect("run zk-bench");
    assert!(
        output.status.success(),
        "zk-bench {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Report::read(&json).expect("zk-bench wrote its JSON report")
}

fn assert_sane(m: &Measurement) {
    let l = &m.latency_us;
    assert!(m.ops > 0, "{} {}: no operations", m.workload, m.label);
    assert_eq!(m.errors, 0, "{} {}: errors", m.workload, m.label);
    assert!(m.ops_per_sec > 0.0 && m.seconds > 0.0, "{m:?}");
    assert_eq!(l.count, m.ops, "{m:?}");
    assert!(
        0 < l.p50 && l.p50 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max,
        "{} {}: percentiles out of order: {l:?}",
        m.workload,
        m.label
    );
}

#[test]
fn every_subcommand_writes_sane_json_against_our_server() {
    let server = Server::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();

    let ready = Command::new(env!("CARGO_BIN_EXE_zk-bench"))
        .args(["--server", &server.address, "wait-ready", "--timeout", "10"])
        .output()
        .expect("run zk-bench wait-ready");
    assert!(ready.status.success(), "wait-ready failed");

    let quick = ["--warmup", "0.2", "--duration", "0.6"];
    let sat = bench(
        &server,
        d,
        "saturate",
        &[
            &[
                "saturate",
                "--sessions",
                "2",
                "--outstanding",
                "4",
                "--write-pct",
                "0,100",
            ][..],
            &quick,
        ]
        .concat(),
    );
    let pcts: Vec<_> = sat.results.iter().map(|m| m.write_pct).collect();
    assert_eq!(pcts, [Some(0), Some(100)]);
    sat.results.iter().for_each(assert_sane);

    let lat = bench(
        &server,
        d,
        "latency",
        &[
            &["latency", "--workers", "1,2", "--op-count", "20"][..],
            &quick,
        ]
        .concat(),
    );
    let labels: Vec<_> = lat.results.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "workers=1",
            "workers=2",
            "op=create",
            "op=set",
            "op=get",
            "op=exists",
            "op=delete"
        ]
    );
    lat.results.iter().for_each(assert_sane);

    let paced = bench(
        &server,
        d,
        "paced",
        &[&["paced", "--rate", "300", "--sessions", "2"][..], &quick].concat(),
    );
    assert_sane(&paced.results[0]);
    // Open loop: the measured window holds about rate × duration requests.
    assert!(
        (120..=240).contains(&paced.results[0].ops),
        "{:?}",
        paced.results[0]
    );

    let load = bench(
        &server,
        d,
        "load",
        &[
            "load",
            "--count",
            "1500",
            "--sessions",
            "2",
            "--outstanding",
            "16",
        ],
    );
    assert_sane(&load.results[0]);
    assert_eq!(load.results[0].ops, 1500);

    let fan = bench(
        &server,
        d,
        "fanout",
        &["watch-fanout", "--watchers", "5", "--rounds", "2"],
    );
    assert_sane(&fan.results[0]);
    assert_eq!(
        fan.results[0].ops, 10,
        "every watcher notified in every round"
    );

    let font = Path::new(zk_bench::plot::DEFAULT_FONT);
    if font.exists() {
        let png = d.join("plot.png");
        let out = Command::new(env!("CARGO_BIN_EXE_zk-bench"))
            .args(["plot", "--series"])
            .arg(format!("ours={}", d.join("saturate.json").display()))
            .arg("--dashed-series")
            .arg(format!(
                "ours, 3-node={}",
                d.join("saturate.json").display()
            ))
            .arg("--out")
            .arg(&png)
            .output()
            .expect("run zk-bench plot");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bytes = std::fs::read(&png).expect("plot written");
        assert_eq!(&bytes[1..4], b"PNG");
    }
}
