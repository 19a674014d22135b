//! Answers to the four-letter words (`ruok`, `srvr`, `mntr`, ...) in Apache's output formats.
//!
//! Which commands run is the `4lw.commands.whitelist` policy, checked by the connection before
//! a command gets here. Formats follow ZooKeeper 3.8's `FourLetterCommands` so that
//! `zkServer.sh status` (which greps `Mode:` from `srvr`), monitoring scripts that parse `mntr`
//! and health checks that expect `imok` keep working.

use std::fmt::Write as _;
use std::path::Path;

use zk_proto::FourLetterWord;
use zk_tree::apply::WatchTable;

use crate::core::{ConnectionInfo, ServerCore};

/// The version string `srvr`, `stat`, `envi` and `mntr` report. Tools parse the leading
/// `X.Y.Z` to decide which features a server has, so we report the ZooKeeper release whose
/// protocol we speak, and name ourselves after the dash.
pub const VERSION: &str = concat!("3.8.0-zk-rs-", env!("CARGO_PKG_VERSION"));

/// What the answers need besides the core.
#[derive(Debug, Clone)]
pub struct ServerInfo<'a> {
    /// `standalone`, `leader`, `follower` or `observer`.
    pub mode: &'a str,
    /// The client port.
    pub client_port: u16,
    /// The data directory.
    pub data_dir: &'a Path,
    /// The transaction log directory.
    pub data_log_dir: &'a Path,
    /// `tickTime`.
    pub tick_ms: u32,
    /// `maxClientCnxns`.
    pub max_client_cnxns: u32,
    /// `minSessionTimeout`.
    pub min_session_timeout_ms: u32,
    /// `maxSessionTimeout`.
    pub max_session_timeout_ms: u32,
    /// `clientPortListenBacklog`, -1 for the operating system's default.
    pub client_port_listen_backlog: i64,
    /// `myid` (0 standalone).
    pub server_id: u64,
    /// Milliseconds since the server started serving.
    pub uptime_ms: i64,
    /// The current time (ms since the Unix epoch), for connection ages.
    pub now_ms: i64,
    /// Quorum mode: the ensemble as this server sees it; `None` standalone.
    pub ensemble: Option<EnsembleInfo>,
}

impl<'a> ServerInfo<'a> {
    /// The facts `config` gives, for a server in `mode` that started serving `uptime_ms` ago;
    /// `ensemble` is `None` (set it in quorum mode).
    pub fn new(
        config: &'a crate::ServerConfig,
        mode: &'a str,
        uptime_ms: i64,
        now_ms: i64,
    ) -> Self {
        ServerInfo {
            mode,
            client_port: config.client_address.as_ref().map_or(0, |a| a.port),
            data_dir: &config.data_dir,
            data_log_dir: &config.data_log_dir,
            tick_ms: config.tick_time_ms,
            max_client_cnxns: config.max_client_cnxns,
            min_session_timeout_ms: config.min_session_timeout_ms,
            max_session_timeout_ms: config.max_session_timeout_ms,
            client_port_listen_backlog: config.client_port_listen_backlog.map_or(-1, i64::from),
            server_id: config.my_id.unwrap_or(0),
            uptime_ms,
            now_ms,
            ensemble: None,
        }
    }
}

/// What `srvr`/`mntr` report about the ensemble in quorum mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnsembleInfo {
    /// Whether the server serves clients (a leader with an established epoch, or a synced
    /// learner). Otherwise most words answer [`NOT_SERVING`].
    pub serving: bool,
    /// Leader: connected learners (`zk_learners`).
    pub learners: usize,
    /// Leader: followers in broadcast (`zk_synced_followers`).
    pub synced_followers: usize,
    /// Leader: observers in broadcast (`zk_synced_observers`).
    pub synced_observers: usize,
    /// Voting members of the ensemble.
    pub voters: usize,
}

/// Apache's answer to most four-letter words while the server is not serving (electing a
/// leader or synchronizing with it).
pub const NOT_SERVING: &str = "This ZooKeeper instance is not currently serving requests\n";

/// The text answer to `word`. `srst` and `crst` reset counters, hence `&mut`.
pub fn answer(word: FourLetterWord, core: &mut ServerCore, info: &ServerInfo<'_>) -> String {
    let serving = info.ensemble.is_none_or(|e| e.serving);
    if !serving
        && !matches!(
            word,
            FourLetterWord::Ruok
                | FourLetterWord::Conf
                | FourLetterWord::Envi
                | FourLetterWord::Isro
        )
    {
        return NOT_SERVING.to_owned();
    }
    match word {
        FourLetterWord::Ruok => "imok".to_owned(),
        FourLetterWord::Isro if !serving => "null".to_owned(),
        FourLetterWord::Isro => "rw".to_owned(),
        FourLetterWord::Srvr => srvr(core, info, false),
        FourLetterWord::Stat => srvr(core, info, true),
        FourLetterWord::Mntr => mntr(core, info),
        FourLetterWord::Conf => conf(info),
        FourLetterWord::Cons => {
            let mut out = String::new();
            for c in core.connections() {
                out.push_str(&connection_line(&c, info.now_ms));
                out.push('\n');
            }
            out.push('\n');
            out
        }
        FourLetterWord::Crst => {
            core.reset_connection_stats();
            "Connection stats reset.\n".to_owned()
        }
        FourLetterWord::Srst => {
            core.reset_stats();
            "Server stats reset.\n".to_owned()
        }
        FourLetterWord::Envi => envi(info),
        FourLetterWord::Dirs => format!(
            "datadir_size: {}\nlogdir_size: {}\n",
            dir_size(&info.data_dir.join("version-2")),
            dir_size(&info.data_log_dir.join("version-2"))
        ),
        FourLetterWord::Wchs => wchs(core),
        FourLetterWord::Wchc => {
            let mut out = String::new();
            for (watcher, paths) in core.watches().paths_by_watcher(WatchTable::Data) {
                let session = core.session_of(crate::core::ConnId(watcher.0));
                let _ = writeln!(out, "0x{:x}", session.map_or(0, |s| s.0));
                for path in paths {
                    let _ = writeln!(out, "\t{path}");
                }
            }
            out.push('\n'); // WatchManager.dumpWatches ends with a blank line
            out
        }
        FourLetterWord::Wchp => {
            let mut out = String::new();
            for (path, watchers) in core.watches().watchers_by_path(WatchTable::Data) {
                let _ = writeln!(out, "{path}");
                for w in watchers {
                    let session = core.session_of(crate::core::ConnId(w.0));
                    let _ = writeln!(out, "\t0x{:x}", session.map_or(0, |s| s.0));
                }
            }
            out.push('\n');
            out
        }
        FourLetterWord::Dump => dump(core),
        FourLetterWord::Gtmk | FourLetterWord::Stmk => "0\n".to_owned(),
        FourLetterWord::Hash => {
            format!("{}: {}\n", core.last_processed_zxid(), core.tree().digest())
        }
    }
}

fn srvr(core: &ServerCore, info: &ServerInfo<'_>, with_clients: bool) -> String {
    let mut out = format!("Zookeeper version: {VERSION}, built on unknown\n");
    if with_clients {
        out.push_str("Clients:\n");
        for c in core.connections() {
            let _ = writeln!(out, "{}", connection_line(&c, info.now_ms));
        }
        out.push('\n');
    }
    let stats = core.stats();
    let _ = writeln!(
        out,
        "Latency min/avg/max: {}/{}/{}",
        stats.latency.min_ms,
        java_double(stats.latency.avg_ms()),
        stats.latency.max_ms
    );
    let _ = writeln!(out, "Received: {}", stats.packets_received);
    let _ = writeln!(out, "Sent: {}", stats.packets_sent);
    let _ = writeln!(out, "Connections: {}", core.connections().count());
    let _ = writeln!(out, "Outstanding: {}", core.outstanding_requests());
    let _ = writeln!(out, "Zxid: {}", core.last_processed_zxid());
    let _ = writeln!(out, "Mode: {}", info.mode);
    // Apache counts the root twice ("" and "/" alias the same node).
    let _ = writeln!(out, "Node count: {}", core.tree().node_count() + 1);
    out
}

fn mntr(core: &ServerCore, info: &ServerInfo<'_>) -> String {
    let stats = core.stats();
    let watches = core.watches().summary(WatchTable::Data);
    let mut out = String::new();
    let mut kv = |k: &str, v: String| {
        let _ = writeln!(out, "zk_{k}\t{v}");
    };
    kv("version", format!("{VERSION}, built on unknown"));
    kv("server_state", info.mode.to_owned());
    kv("uptime", info.uptime_ms.to_string());
    kv("avg_latency", java_double(stats.latency.avg_ms()));
    kv("max_latency", stats.latency.max_ms.to_string());
    kv("min_latency", stats.latency.min_ms.to_string());
    kv("packets_received", stats.packets_received.to_string());
    kv("packets_sent", stats.packets_sent.to_string());
    kv(
        "num_alive_connections",
        core.connections().count().to_string(),
    );
    kv(
        "outstanding_requests",
        core.outstanding_requests().to_string(),
    );
    kv("znode_count", (core.tree().node_count() + 1).to_string());
    kv("watch_count", core.watches().size().to_string());
    kv(
        "ephemerals_count",
        core.tree().ephemerals_count().to_string(),
    );
    kv(
        "approximate_data_size",
        core.tree().approximate_data_size().to_string(),
    );
    kv("global_sessions", core.sessions().len().to_string());
    kv("local_sessions", "0".to_owned());
    kv("open_file_descriptor_count", open_fds().to_string());
    kv("max_file_descriptor_count", max_fds().to_string());
    kv("connection_drop_probability", "0.0".to_owned());
    // Gauges Apache always registers; exporters expect them even when unused here.
    kv("last_client_response_size", "-1".to_owned());
    kv("max_client_response_size", "-1".to_owned());
    kv("min_client_response_size", "-1".to_owned());
    kv("outstanding_tls_handshake", "0".to_owned());
    kv("non_mtls_remote_conn_count", "0".to_owned());
    kv("non_mtls_local_conn_count", "0".to_owned());
    kv("auth_failed_count", "0".to_owned());
    kv("watch_connections", watches.connections.to_string());
    kv(
        "last_processed_zxid",
        core.last_processed_zxid().0.to_string(),
    );
    if let Some(ensemble) = info.ensemble.filter(|_| info.mode == "leader") {
        // Apache's leader-only gauges.
        kv("learners", ensemble.learners.to_string());
        kv("synced_followers", ensemble.synced_followers.to_string());
        kv("synced_non_voting_followers", "0".to_owned());
        kv("synced_observers", ensemble.synced_observers.to_string());
        kv("pending_syncs", "0".to_owned());
        kv("quorum_size", ensemble.voters.to_string());
    }
    out
}

fn conf(info: &ServerInfo<'_>) -> String {
    format!(
        "clientPort={}\nsecureClientPort=-1\ndataDir={}\ndataDirSize={}\ndataLogDir={}\n\
         dataLogSize={}\ntickTime={}\nmaxClientCnxns={}\nminSessionTimeout={}\n\
         maxSessionTimeout={}\nclientPortListenBacklog={}\nserverId={}\n",
        info.client_port,
        info.data_dir.join("version-2").display(),
        dir_size(&info.data_dir.join("version-2")),
        info.data_log_dir.join("version-2").display(),
        dir_size(&info.data_log_dir.join("version-2")),
        info.tick_ms,
        info.max_client_cnxns,
        info.min_session_timeout_ms,
        info.max_session_timeout_ms,
        info.client_port_listen_backlog,
        info.server_id,
    )
}

fn envi(info: &ServerInfo<'_>) -> String {
    let mut out = String::from("Environment:\n");
    let _ = writeln!(out, "zookeeper.version={VERSION}, built on unknown");
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let _ = writeln!(out, "host.name={}", host.trim());
    let _ = writeln!(out, "os.name={}", std::env::consts::OS);
    let _ = writeln!(out, "os.arch={}", std::env::consts::ARCH);
    let cwd = std::env::current_dir().unwrap_or_default();
    let _ = writeln!(out, "user.dir={}", cwd.display());
    let _ = writeln!(out, "server.dataDir={}", info.data_dir.display());
    out
}

/// `wchs`: like Apache's `DataTree.getWatchesSummary`, the data-watch table only (child
/// watches are not counted; `mntr`'s `zk_watch_count` counts both).
fn wchs(core: &ServerCore) -> String {
    let data = core.watches().summary(WatchTable::Data);
    format!(
        "{} connections watching {} paths\nTotal watches:{}\n",
        data.connections, data.paths, data.total_watches
    )
}

fn dump(core: &ServerCore) -> String {
    let mut out = String::from("SessionTracker dump:\n");
    let sessions = core.sessions().sessions_with_timeouts();
    let _ = writeln!(out, "Global Sessions({}):", sessions.len());
    for (id, timeout) in &sessions {
        let _ = writeln!(out, "0x{:x}\t{}ms", id.0, timeout);
    }
    out.push_str("ephemeral nodes dump:\n");
    let owners = core.tree().ephemeral_sessions();
    let _ = writeln!(out, "Sessions with Ephemerals ({}):", owners.len());
    for session in owners {
        let _ = writeln!(out, "0x{:x}:", session.0);
        for path in core.tree().ephemerals(session) {
            let _ = writeln!(out, "\t{path}");
        }
    }
    out
}

/// One `cons`/`stat` line, as `ServerCnxn.dumpConnectionInfo` prints it.
fn connection_line(c: &ConnectionInfo, _now_ms: i64) -> String {
    let lop = c.last_op.map_or("NA", op_tag);
    format!(
        " /{}[1](queued=0,recved={},sent={},sid=0x{:x},lop={},est={},to={},lcxid=0x{:x},lzxid=0x{:x},lresp={},llat={},minlat={},avglat={},maxlat={})",
        c.addr,
        c.received,
        c.sent,
        c.session.map_or(0, |s| s.0),
        lop,
        c.established_ms,
        c.timeout_ms,
        c.last_cxid.0,
        c.last_zxid.0,
        c.last_response_ms,
        c.last_latency_ms,
        c.latency.min_ms,
        // ServerCnxn.getAvgLatency is a long (integer division), unlike srvr's average.
        c.latency.total_ms / c.latency.count.max(1) as i64,
        c.latency.max_ms,
    )
}

/// The four-letter tag FinalRequestProcessor records as a connection's last operation.
fn op_tag(op: zk_proto::OpCode) -> &'static str {
    use zk_proto::OpCode as O;
    match op {
        O::Ping => "PING",
        O::Create | O::Create2 | O::CreateContainer | O::CreateTtl => "CREA",
        O::Delete | O::DeleteContainer => "DELE",
        O::SetData => "SETD",
        O::GetData => "GETD",
        O::Exists => "EXIS",
        O::GetChildren | O::GetChildren2 => "GETC",
        O::GetAcl => "GETA",
        O::SetAcl => "SETA",
        O::SetWatches => "SETW",
        O::SetWatches2 => "STW2",
        O::AddWatch => "ADDW",
        O::Multi => "MULT",
        O::MultiRead => "MLTR",
        O::Sync => "SYNC",
        O::CloseSession => "CLOS",
        O::CheckWatches => "CHKW",
        O::RemoveWatches => "REMW",
        O::GetEphemerals => "GETE",
        O::GetAllChildrenNumber => "GETACN",
        O::WhoAmI => "HOMI",
        _ => "NA",
    }
}

/// Formats like Java's `Double.toString` for the values we print (`2.6111`, `0.0`).
fn java_double(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.1}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').to_owned()
    }
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

fn max_fds() -> u64 {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            limits
                .lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3)?.parse().ok())
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_like_java() {
        assert_eq!(java_double(0.0), "0.0");
        assert_eq!(java_double(2.0), "2.0");
        assert_eq!(java_double(2.6111), "2.6111");
        assert_eq!(java_double(2.5), "2.5");
    }
}
