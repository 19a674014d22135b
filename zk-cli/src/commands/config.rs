//! config, reconfig and version (zkCli's), and `cluster status`, a table of every member's
//! `srvr`/`mntr` answers.

use std::time::{Duration, Instant};

use serde_json::json;
use zk_proto::ReconfigRequest;

use super::{stat_json, usage, Ctx};
use crate::error::{keeper_exception_message, CliError};
use crate::format::stat_block;
use crate::parse::{parse_options, Opt};
use crate::raw::{self, RawError};

/// The node holding the ensemble's dynamic configuration.
const CONFIG_NODE: &str = "/zookeeper/config";

/// What `version` prints after `ZooKeeper CLI version: `.
pub fn client_version() -> String {
    format!("zk-cli {}", env!("CARGO_PKG_VERSION"))
}

/// zkCli's `version`.
pub fn version(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let p = parse_options(&[], words)?;
    if p.args.len() > 1 {
        return Err(CliError::Usage(usage("version")));
    }
    ctx.out
        .outln(format!("ZooKeeper CLI version: {}", client_version()));
    Ok(())
}

/// One `server.N=host:quorumPort:electionPort[:role][;[clientHost:]clientPort]` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLine {
    /// N.
    pub id: String,
    /// The quorum host.
    pub host: String,
    /// `participant` or `observer`.
    pub role: String,
    /// The client address, if the line has one.
    pub client: Option<(String, u16)>,
}

/// Parses the `server.N` lines and the `version` of a dynamic configuration.
pub fn parse_config(text: &str) -> (Vec<ServerLine>, String) {
    let mut servers = Vec::new();
    let mut version = String::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        if key == "version" {
            version = value.to_owned();
        }
        let Some(id) = key.strip_prefix("server.") else {
            continue;
        };
        let (quorum, client) = match value.split_once(';') {
            Some((q, c)) => (q, Some(c)),
            None => (value, None),
        };
        let parts: Vec<&str> = quorum.split(':').collect();
        let host = parts.first().copied().unwrap_or_default().to_owned();
        let role = parts.get(3).copied().unwrap_or("participant").to_owned();
        let client = client.and_then(|c| match c.rsplit_once(':') {
            Some((h, p)) => p.parse().ok().map(|p| (h.to_owned(), p)),
            None => c.parse().ok().map(|p| ("0.0.0.0".to_owned(), p)),
        });
        servers.push(ServerLine {
            id: id.to_owned(),
            host,
            role,
            client,
        });
    }
    (servers, version)
}

/// `ConfigUtils.getClientConfigStr`: `version host:port,host:port`.
fn client_config_string(text: &str) -> String {
    let (servers, version) = parse_config(text);
    let addresses: Vec<String> = servers
        .iter()
        .map(|s| {
            s.client
                .as_ref()
                .map_or(String::new(), |(h, p)| format!("{h}:{p}"))
        })
        .collect();
    format!("{version} {}", addresses.join(","))
}

/// zkCli's `config [-c] [-w] [-s]`: the data of `/zookeeper/config` (read outside the
/// chroot), or with `-c` only the client connect string.
pub async fn config(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let spec = [
        Opt::flag("s"),
        Opt::flag("w"),
        Opt::flag("c"),
        Opt::value("o"),
    ];
    let p = parse_options(&spec, words)?;
    let json = ctx.wants_json(&p)?;
    let root = ctx.live()?.root.clone();
    let (data, stat) = if p.has("w") {
        let (data, stat, watcher) = root
            .get_and_watch_data(CONFIG_NODE)
            .await
            .map_err(|e| CliError::keeper(&e, CONFIG_NODE))?;
        ctx.watches
            .add_oneshot(CONFIG_NODE, crate::watches::WatchKind::Data, watcher);
        (data, stat)
    } else {
        root.get_data(CONFIG_NODE)
            .await
            .map_err(|e| CliError::keeper(&e, CONFIG_NODE))?
    };
    let text = String::from_utf8_lossy(&data).into_owned();
    if json {
        let (servers, version) = parse_config(&text);
        let servers: Vec<_> = servers
            .iter()
            .map(|s| {
                json!({
                    "id": s.id,
                    "host": s.host,
                    "role": s.role,
                    "client": s.client.as_ref().map(|(h, p)| format!("{h}:{p}")),
                })
            })
            .collect();
        let mut value = json!({
            "config": text,
            "version": version,
            "servers": servers,
            "connect_string": client_config_string(&text),
        });
        if p.has("s") {
            value["stat"] = stat_json(&stat);
        }
        ctx.print_json(&value);
        return Ok(());
    }
    if p.has("c") {
        ctx.out.outln(client_config_string(&text));
    } else {
        ctx.out.outln(&text);
    }
    if p.has("s") {
        ctx.out.out(stat_block(&stat));
    }
    Ok(())
}

/// zkCli's `reconfig`, sent on a short-lived session of its own (see [`crate::raw`]).
pub async fn reconfig(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let spec = [
        Opt::flag("s"),
        Opt::value("v"),
        Opt::value("file"),
        Opt::value("members"),
        Opt::value("add"),
        Opt::value("remove"),
    ];
    let p = parse_options(&spec, words)?;
    let bulk = p.has("file") || p.has("members");
    if !bulk && !p.has("add") && !p.has("remove") {
        return Err(CliError::Usage(usage("reconfig")));
    }
    let version = match p.value("v") {
        Some(v) => i64::from_str_radix(v, 16).map_err(|_| {
            CliError::Usage("-v must be followed by a long (configuration version)".into())
        })?,
        None => -1,
    };
    if bulk && (p.has("add") || p.has("remove")) {
        return Err(CliError::Usage(
            "Can't use -file or -members together with -add or -remove (mixing incremental and \
             non-incremental modes is not allowed)"
                .into(),
        ));
    }
    if p.has("file") && p.has("members") {
        return Err(CliError::Usage(
            "Can't use -file and -members together (conflicting non-incremental modes)".into(),
        ));
    }
    let mut new_members = p.value("members").map(str::to_lowercase);
    if let Some(file) = p.value("file") {
        let text = std::fs::read_to_string(file)
            .map_err(|e| CliError::Usage(format!("Error processing {file}{e}")))?;
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("server.") || l.starts_with("version="))
            .collect();
        new_members = Some(lines.join("\n"));
    }
    let request = ReconfigRequest {
        joining_servers: p.value("add").map(str::to_lowercase),
        leaving_servers: p.value("remove").map(str::to_lowercase),
        new_members,
        cur_config_id: version,
    };
    let session = ctx.live()?;
    let auths = session
        .auths
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let timeout = session.client.session_timeout().max(Duration::from_secs(5));
    match raw::reconfig(&session.hosts, &auths, request, timeout).await {
        Ok((data, stat)) => {
            ctx.out.outln(format!(
                "Committed new configuration:\n{}",
                String::from_utf8_lossy(&data)
            ));
            if p.has("s") {
                ctx.out.out(stat_block(&stat));
            }
            Ok(())
        }
        Err(RawError::Code(code)) => Err(CliError::keeper(&zk_client::Error::from(code), "")),
        Err(RawError::Io(e)) => Err(CliError::Keeper(format!(
            "{} ({e})",
            keeper_exception_message(zk_proto::ErrorCode::ConnectionLoss, None)
        ))),
    }
}

/// One member's row in `cluster status`.
#[derive(Debug, Default)]
struct Row {
    server: String,
    mode: String,
    zxid: String,
    connections: String,
    latency: String,
    znodes: String,
    rtt_ms: Option<f64>,
    error: Option<String>,
}

/// `cluster status [-o json]`: every member of the ensemble (from `config`, else the connect
/// string) with its mode, last zxid, connection count, latency and znode count, from the
/// four-letter words `srvr` and `mntr`.
pub async fn cluster(ctx: &mut Ctx<'_>, words: &[String]) -> Result<(), CliError> {
    let p = parse_options(&[Opt::value("o")], words)?;
    if p.arg(1) != Some("status") {
        return Err(CliError::Usage(usage("cluster")));
    }
    let json = ctx.wants_json(&p)?;
    let session = ctx.live()?;
    let mut members: Vec<(String, u16)> = Vec::new();
    if let Ok((data, _)) = session.root.get_data(CONFIG_NODE).await {
        let (servers, _) = parse_config(&String::from_utf8_lossy(&data));
        for s in servers {
            if let Some((host, port)) = s.client {
                let host = if host == "0.0.0.0" || host == "::" {
                    s.host
                } else {
                    host
                };
                members.push((host, port));
            }
        }
    }
    if members.is_empty() {
        members = session.hosts.clone();
    }
    let mut rows = Vec::new();
    for member in &members {
        rows.push(member_row(member).await);
    }
    let failed = rows.iter().any(|r| r.error.is_some());
    if json {
        let list: Vec<_> = rows
            .iter()
            .map(|r| {
                json!({
                    "server": r.server, "mode": r.mode, "zxid": r.zxid,
                    "connections": r.connections, "latency": r.latency,
                    "znodes": r.znodes, "rtt_ms": r.rtt_ms, "error": r.error,
                })
            })
            .collect();
        ctx.print_json(&json!({ "members": list }));
    } else {
        print_table(ctx, &rows);
    }
    if failed {
        return Err(CliError::Reported);
    }
    Ok(())
}

async fn member_row(member: &(String, u16)) -> Row {
    let mut row = Row {
        server: format!("{}:{}", member.0, member.1),
        ..Row::default()
    };
    let started = Instant::now();
    let timeout = Duration::from_secs(3);
    let srvr = match raw::four_letter_word(member, "srvr", timeout).await {
        Ok(text) => text,
        Err(RawError::Io(e)) => {
            row.error = Some(e);
            return row;
        }
        Err(RawError::Code(code)) => {
            row.error = Some(code.name().to_owned());
            return row;
        }
    };
    row.rtt_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
    let field = |text: &str, key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_owned()))
            .unwrap_or_default()
    };
    row.mode = field(&srvr, "Mode:");
    row.zxid = field(&srvr, "Zxid:");
    row.connections = field(&srvr, "Connections:");
    row.latency = field(&srvr, "Latency min/avg/max:");
    row.znodes = field(&srvr, "Node count:");
    if row.mode.is_empty() {
        // srvr not whitelisted: the answer is a refusal sentence.
        row.error = Some(srvr.trim().to_owned());
    }
    if let Ok(mntr) = raw::four_letter_word(member, "mntr", timeout).await {
        let value = |key: &str| {
            mntr.lines()
                .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_owned()))
        };
        if row.znodes.is_empty() {
            row.znodes = value("zk_znode_count").unwrap_or_default();
        }
        if row.mode.is_empty() {
            row.mode = value("zk_server_state").unwrap_or_default();
            if !row.mode.is_empty() {
                row.error = None;
            }
        }
    }
    row
}

fn print_table(ctx: &mut Ctx<'_>, rows: &[Row]) {
    let header = [
        "SERVER",
        "MODE",
        "ZXID",
        "CONNECTIONS",
        "LATENCY(min/avg/max)",
        "ZNODES",
        "RTT",
    ];
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            let mode = match &r.error {
                Some(e) => format!("error: {e}"),
                None => r.mode.clone(),
            };
            [
                r.server.clone(),
                mode,
                r.zxid.clone(),
                r.connections.clone(),
                r.latency.clone(),
                r.znodes.clone(),
                r.rtt_ms.map_or(String::new(), |ms| format!("{ms:.1}ms")),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |cols: Vec<&str>| {
        let padded: Vec<String> = cols
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    ctx.out.outln(line(header.to_vec()));
    for row in &cells {
        ctx.out
            .outln(line(row.iter().map(String::as_str).collect()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_lines_parse_into_members_and_connect_string() {
        let text = "server.1=10.0.0.1:2888:3888:participant;0.0.0.0:2181\n\
                    server.2=10.0.0.2:2888:3888:observer;10.0.0.2:2182\nversion=100000000";
        let (servers, version) = parse_config(text);
        assert_eq!(version, "100000000");
        assert_eq!(servers.len(), 2);
        assert_eq!(servers[1].role, "observer");
        assert_eq!(servers[1].client, Some(("10.0.0.2".into(), 2182)));
        assert_eq!(
            client_config_string(text),
            "100000000 0.0.0.0:2181,10.0.0.2:2182"
        );
        assert_eq!(client_config_string(""), " ");
    }
}
