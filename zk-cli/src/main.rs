//! The `zk-cli` binary: `zk-cli -server host:port[,host:port][/chroot] [-timeout ms] [-r]
//! [-o json] [command [args]]`.
//!
//! zkCli's single-dash flags are accepted as they are; everything from the first word that
//! is not a flag on is the command to run once. Without a command the shell starts.

use std::time::Duration;

use clap::Parser;
use zk_cli::session::ConnectOptions;
use zk_cli::shell::{Shell, ShellOptions};

/// A zkCli-compatible ZooKeeper shell.
#[derive(Debug, Parser)]
#[command(name = "zk-cli", version, about)]
struct Args {
    /// The connect string: host:port[,host:port...][/chroot].
    #[arg(long, default_value = "localhost:2181")]
    server: String,
    /// The session timeout in milliseconds.
    #[arg(long, default_value_t = 30_000)]
    timeout: u64,
    /// Accept a read-only server.
    #[arg(short = 'r', long = "readonly")]
    read_only: bool,
    /// Accepted for zkCli compatibility: the shell always waits for the connection.
    #[arg(long = "waitforconnection")]
    wait_for_connection: bool,
    /// Accepted for zkCli compatibility and ignored (TLS/SASL settings are not supported).
    #[arg(long = "client-configuration")]
    client_configuration: Option<String>,
    /// Output format of read commands: text (zkCli's) or json.
    #[arg(short = 'o', long = "output", default_value = "text")]
    output: String,
    /// The command to run once, with its arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    command: Vec<String>,
}

/// Rewrites zkCli's single-dash long flags (`-server`) to clap's form, up to the command.
fn normalise(args: impl Iterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_command = false;
    let mut expects_value = false;
    for (i, arg) in args.enumerate() {
        if i == 0 || in_command {
            out.push(arg);
            continue;
        }
        if expects_value {
            expects_value = false;
            out.push(arg);
            continue;
        }
        let long = match arg.as_str() {
            "-server" | "-timeout" | "-client-configuration" => {
                expects_value = true;
                Some(format!("-{arg}"))
            }
            "-waitforconnection" | "-readonly" => Some(format!("-{arg}")),
            "-o" | "--output" | "--server" | "--timeout" | "--client-configuration" => {
                expects_value = true;
                None
            }
            _ => None,
        };
        match long {
            Some(flag) => out.push(flag),
            None => {
                if !arg.starts_with('-') {
                    in_command = true;
                    out.push("--".into());
                }
                out.push(arg);
            }
        }
    }
    out
}

fn main() {
    let args = Args::parse_from(normalise(std::env::args()));
    if args.client_configuration.is_some() {
        eprintln!("-client-configuration is ignored: zk-cli has no TLS or SASL settings");
    }
    let json = match args.output.as_str() {
        "json" => true,
        "text" => false,
        other => {
            eprintln!("unknown output format {other:?} (use text or json)");
            std::process::exit(2);
        }
    };
    let options = ShellOptions {
        server: args.server,
        connect: ConnectOptions {
            timeout: Duration::from_millis(args.timeout),
            read_only: args.read_only,
        },
        json,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let shell = Shell::new(options);
    let status = runtime.block_on(async move {
        if args.command.is_empty() {
            shell.run_shell().await
        } else {
            shell.run_once(args.command).await
        }
    });
    // Do not wait for the reading thread of the line editor.
    runtime.shutdown_timeout(Duration::from_millis(100));
    std::process::exit(status);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(args: &[&str]) -> Vec<String> {
        normalise(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn zkcli_flags_become_long_flags_until_the_command() {
        assert_eq!(
            norm(&["zk-cli", "-server", "h:1", "-r", "ls", "-s", "/"]),
            ["zk-cli", "--server", "h:1", "-r", "--", "ls", "-s", "/"]
        );
        assert_eq!(
            norm(&["zk-cli", "-o", "json", "-timeout", "5", "get", "/a"]),
            ["zk-cli", "-o", "json", "--timeout", "5", "--", "get", "/a"]
        );
    }
}
