//! `lock` and `elect`: run a command while holding a lock or leadership, in the manner of
//! `etcdctl lock` and `etcdctl elect`, on the Curator-compatible recipes of `zk-recipes`
//! (so Java processes using Curator's `InterProcessMutex` or `LeaderLatch` on the same path
//! take part in the same lock or election).
//!
//! The command gets `ZK_LOCK_PATH` (our lock node) or `ZK_ELECTION_PATH`, and
//! `ZK_FENCING_TOKEN` (the node's czxid, larger for every later holder). If the lock or
//! leadership is lost while the command runs (the session expired, or someone deleted the
//! node) the command is killed and the status is 1; otherwise the status is the command's.

use std::process::ExitStatus;
use std::time::Duration;

use zk_recipes::{LeaderElection, Lock, NodeNaming};

use super::{usage, Ctx};
use crate::error::CliError;
use crate::parse::{parse_options, Opt};

/// Splits `name [options] path -- command...` at the `--`.
fn split_command<'w>(
    name: &str,
    words: &'w [String],
) -> Result<(&'w [String], &'w [String]), CliError> {
    match words.iter().position(|w| w == "--") {
        Some(at) if at + 1 < words.len() => Ok((&words[..at], &words[at + 1..])),
        _ => Err(CliError::Usage(usage(name))),
    }
}

/// The child process for `command`, killed if the future waiting for it is dropped.
fn child_command(command: &[String], env: &[(&str, String)]) -> tokio::process::Command {
    let mut child = tokio::process::Command::new(&command[0]);
    child.args(&command[1..]).kill_on_drop(true);
    for (key, value) in env {
        child.env(key, value);
    }
    child
}

fn status_of(status: ExitStatus) -> Result<(), CliError> {
    match status.code() {
        Some(0) => Ok(()),
        Some(code) => Err(CliError::Exit(code)),
        None => Err(CliError::Exit(1)),
    }
}

fn naming(kazoo: bool) -> NodeNaming {
    if kazoo {
        NodeNaming::Kazoo
    } else {
        NodeNaming::Curator
    }
}

/// `lock path [-t timeout_ms] [-k] -- command [args]`: waits for the lock (at most
/// `timeout_ms`), runs the command, releases. `-k` names the nodes the kazoo way.
pub async fn lock(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let (head, command) = split_command("lock", words)?;
    let p = parse_options(&[Opt::value("t"), Opt::flag("k")], head)?;
    let Some(path) = p.arg(1).map(str::to_owned) else {
        return Err(CliError::Usage(usage("lock")));
    };
    let timeout = parse_timeout(p.value("t"))?;
    let client = ctx.client()?;
    let lock = Lock::new(&client, &path).with_naming(naming(p.has("k")));
    let guard = match timeout {
        Some(limit) => lock.acquire_timeout(limit).await,
        None => lock.acquire().await.map(Some),
    }
    .map_err(|e| CliError::Keeper(format!("lock {path}: {e}")))?;
    let Some(guard) = guard else {
        ctx.out
            .errln(format!("timed out waiting for the lock {path}"));
        return Err(CliError::Reported);
    };
    ctx.out.flush();
    let env = [
        ("ZK_LOCK_PATH", guard.node_path().to_owned()),
        ("ZK_FENCING_TOKEN", guard.fencing_token().to_string()),
    ];
    let mut child = child_command(command, &env).spawn()?;
    let outcome = tokio::select! {
        status = child.wait() => Some(status?),
        loss = guard.lost() => {
            ctx.out.errln(format!("lost the lock {path} ({loss:?}): stopping the command"));
            let _ = child.kill().await;
            None
        }
    };
    // A release that fails leaves an ephemeral node that goes with the session.
    let _ = guard.release().await;
    match outcome {
        Some(status) => status_of(status),
        None => Err(CliError::Exit(1)),
    }
}

/// `elect path [-i id] [-k] -- command [args]`: waits for leadership, runs the command while
/// leading, then steps down.
pub async fn elect(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let (head, command) = split_command("elect", words)?;
    let p = parse_options(&[Opt::value("i"), Opt::flag("k")], head)?;
    let Some(path) = p.arg(1).map(str::to_owned) else {
        return Err(CliError::Usage(usage("elect")));
    };
    let id = p.value("i").unwrap_or_default().as_bytes().to_vec();
    let client = ctx.client()?;
    ctx.out.flush();
    let election = LeaderElection::new(&client, &path)
        .with_id(id)
        .with_naming(naming(p.has("k")));
    let election_path = path.clone();
    let outcome = election
        .run(|token| async move {
            let env = [
                ("ZK_ELECTION_PATH", election_path),
                ("ZK_FENCING_TOKEN", token.to_string()),
            ];
            match child_command(command, &env).spawn() {
                Ok(mut child) => child.wait().await,
                Err(e) => Err(e),
            }
        })
        .await
        .map_err(|e| CliError::Keeper(format!("elect {path}: {e}")))?;
    match outcome {
        Some(status) => status_of(status?),
        None => {
            ctx.out.errln(format!(
                "lost the leadership of {path}: stopped the command"
            ));
            Err(CliError::Exit(1))
        }
    }
}

fn parse_timeout(value: Option<&str>) -> Result<Option<Duration>, CliError> {
    value
        .map(|v| {
            v.parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|_| CliError::Usage(format!("-t needs milliseconds, not {v:?}")))
        })
        .transpose()
}
