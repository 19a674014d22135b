//! addWatch and removewatches (zkCli's), and `watch`, which follows a subtree and prints or
//! runs a command on every event.

use serde_json::json;
use zk_client::{AddWatchMode, WatchedEvent, WatcherType};

use super::{usage, Ctx};
use crate::error::CliError;
use crate::format::{event_type_name, keeper_state_name};
use crate::parse::{parse_options, Opt};

fn parse_mode(text: &str) -> Option<AddWatchMode> {
    match text.to_uppercase().as_str() {
        "PERSISTENT" => Some(AddWatchMode::Persistent),
        "PERSISTENT_RECURSIVE" => Some(AddWatchMode::PersistentRecursive),
        _ => None,
    }
}

/// zkCli's `addWatch [-m mode] path`: a persistent watch (recursive by default) whose events
/// print as `WATCHER::` blocks.
pub async fn add_watch(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let p = parse_options(&[Opt::value("m")], words)?;
    if p.args.len() != 2 {
        return Err(CliError::Usage(usage("addWatch")));
    }
    let mode = match p.value("m") {
        None => AddWatchMode::PersistentRecursive,
        Some(m) => parse_mode(m).ok_or_else(|| CliError::Usage(usage("addWatch")))?,
    };
    let path = &p.args[1];
    let client = ctx.client()?;
    let watcher = client
        .watch(path, mode)
        .await
        .map_err(|e| CliError::keeper(&e, path))?;
    ctx.watches.add_persistent(path, watcher);
    Ok(())
}

/// zkCli's `removewatches path [-c|-d|-a] [-l]`. `-l` (remove locally while disconnected)
/// is accepted, but the removal always goes through the server: `zk-client` has no
/// local-only removal.
pub async fn remove_watches(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let spec = [
        Opt::flag("c"),
        Opt::flag("d"),
        Opt::flag("a"),
        Opt::flag("l"),
    ];
    let p = parse_options(&spec, words)?;
    if p.args.len() < 2 {
        return Err(CliError::Usage(usage("removewatches")));
    }
    let kind = if p.has("c") {
        WatcherType::Children
    } else if p.has("d") {
        WatcherType::Data
    } else {
        WatcherType::Any
    };
    let path = &p.args[1];
    let client = ctx.client()?;
    let held = ctx.watches.holds(path, kind);
    client
        .remove_watches(path, kind)
        .await
        .map_err(|e| CliError::keeper(&e, path))?;
    if !held {
        // The Java client checks its own watches when the server's answer comes, and
        // reports NOWATCHER if it held none of that kind, whatever the server removed.
        return Err(CliError::keeper(&zk_client::Error::NoWatcher, path));
    }
    Ok(())
}

/// `watch path [-m mode] [-n count] [-o json] [--exec command...]`: a persistent (by default
/// recursive) watch on `path`. Each event prints as `NodeCreated /path` (or a JSON object),
/// or, with `--exec`, runs `sh -c command` with `ZK_EVENT_TYPE`, `ZK_EVENT_PATH` and
/// `ZK_EVENT_STATE` set. Stops after `count` events, at Ctrl-C, or when the session ends.
pub async fn watch(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let (head, exec) = match words.iter().position(|w| w == "--exec") {
        Some(at) => (&words[..at], Some(words[at + 1..].join(" "))),
        None => (words, None),
    };
    if exec.as_deref() == Some("") {
        return Err(CliError::Usage(usage("watch")));
    }
    let spec = [Opt::value("m"), Opt::value("n"), Opt::value("o")];
    let p = parse_options(&spec, head)?;
    let json = ctx.wants_json(&p)?;
    let Some(path) = p.arg(1).map(str::to_owned) else {
        return Err(CliError::Usage(usage("watch")));
    };
    let mode = match p.value("m") {
        None => AddWatchMode::PersistentRecursive,
        Some(m) => parse_mode(m).ok_or_else(|| CliError::Usage(usage("watch")))?,
    };
    let limit: Option<u64> = match p.value("n") {
        None => None,
        Some(n) => Some(
            n.parse()
                .map_err(|_| CliError::Usage("-n needs a number of events".into()))?,
        ),
    };
    let client = ctx.client()?;
    let mut watcher = client
        .watch(&path, mode)
        .await
        .map_err(|e| CliError::keeper(&e, &path))?;
    ctx.out.errln(format!("watching {path}"));
    ctx.out.flush();
    let mut seen = 0u64;
    let mut failures = 0u64;
    while limit.is_none_or(|l| seen < l) {
        let event = tokio::select! {
            event = watcher.next() => event,
            _ = tokio::signal::ctrl_c() => break,
        };
        let Some(event) = event else { break };
        if event.is_session_end() {
            ctx.out
                .errln(format!("session ended: {}", keeper_state_name(event.state)));
            ctx.out.flush();
            return Err(CliError::Reported);
        }
        if event.is_session_event() {
            continue;
        }
        seen += 1;
        match &exec {
            Some(command) => {
                if !run_hook(command, &event).await? {
                    failures += 1;
                }
            }
            None if json => ctx.print_json(&json!({
                "type": event_type_name(event.event_type),
                "path": event.path,
                "state": keeper_state_name(event.state),
            })),
            None => ctx.out.outln(format!(
                "{} {}",
                event_type_name(event.event_type),
                event.path
            )),
        }
        ctx.out.flush();
    }
    if failures > 0 {
        ctx.out
            .errln(format!("{failures} hook run(s) exited with a failure"));
        return Err(CliError::Reported);
    }
    Ok(())
}

/// Runs `sh -c command` for one event, with the terminal's stdio; true if it exited 0.
async fn run_hook(command: &str, event: &WatchedEvent) -> Result<bool, CliError> {
    let status = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .env("ZK_EVENT_TYPE", event_type_name(event.event_type))
        .env("ZK_EVENT_PATH", &event.path)
        .env("ZK_EVENT_STATE", keeper_state_name(event.state))
        .status()
        .await?;
    Ok(status.success())
}
