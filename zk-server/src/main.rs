//! `zk-server`: a ZooKeeper-compatible server.
//!
//! ```text
//! zk-server [path/to/zoo.cfg]
//! ```
//!
//! With a path, the server reads that `zoo.cfg` like Apache's `QuorumPeerMain` (plus `-D`
//! overrides from `SERVER_JVMFLAGS`/`JVMFLAGS`). Without one, if the official Docker image's
//! `ZOO_*` variables are set, it writes `$ZOO_CONF_DIR/zoo.cfg` and `myid` from them as the
//! image's entrypoint does (never overwriting existing files) and uses that; otherwise it uses
//! an embedded default that just works: clients on 127.0.0.1:2181, data in `./zk-data`,
//! tickTime 2000. A zoo.cfg with `server.N` lines starts a member of a replicated ensemble
//! (see `zk_server::ensemble`). SIGTERM and Ctrl-C stop it gracefully.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use zk_server::config::{DockerEnv, JvmOverrides, ServerConfig, ServerMode};

/// A ZooKeeper-compatible coordination server. Real ZooKeeper clients (kazoo, Curator, the
/// Java and C clients, zkCli.sh) connect to it unchanged.
#[derive(Debug, Parser)]
#[command(name = "zk-server", version, about, long_about = None)]
struct Args {
    /// The zoo.cfg to read, as given to Apache's QuorumPeerMain. Without it: clientPort 2181
    /// on 127.0.0.1, dataDir ./zk-data, tickTime 2000.
    config: Option<PathBuf>,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    let args = Args::parse();
    match serve(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let overrides = JvmOverrides::from_env();
    let docker = DockerEnv::from_env();
    let config = match &args.config {
        Some(path) => ServerConfig::from_file(path, &overrides)?,
        // Started like the official image (ZOO_* variables, no argument): write zoo.cfg and
        // myid the way its docker-entrypoint.sh does — only the files that do not exist yet —
        // and serve from them.
        None if docker.is_present() => {
            let files = docker.plan(&docker.conf_dir());
            if files.write()? {
                tracing::info!(config = %files.zoo_cfg_path.display(), "wrote zoo.cfg/myid from ZOO_* variables");
            }
            ServerConfig::from_file(&files.zoo_cfg_path, &overrides)?
        }
        None => ServerConfig::embedded(&overrides)?,
    };
    config.log_warnings();
    let address = config
        .client_address
        .as_ref()
        .ok_or("no clientPort configured")?
        .to_socket_addr()?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(address).await?;
        match config.mode() {
            ServerMode::Standalone => {
                zk_server::server::run(config, listener, shutdown_signal()).await?
            }
            ServerMode::Quorum => {
                zk_server::ensemble::runner::run(config, listener, shutdown_signal()).await?
            }
        }
        Ok(())
    })
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down");
}
