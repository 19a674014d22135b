//! `zoo.cfg`: the server's configuration, read the way Apache ZooKeeper 3.8/3.9 reads it.
//!
//! Point the server at the `zoo.cfg` you already have and it means the same thing it meant to
//! Apache ZooKeeper, with a few safer defaults (see "Differences from Apache"). Keys that only
//! make sense inside a JVM are ignored with one warning each; a value that cannot be used stops
//! the server with a message naming the key, the value, the file and the line.
//!
//! # Where settings come from
//!
//! 1. **`zoo.cfg`**, the one command-line argument, in Java properties syntax (`key=value`,
//!    `key: value`, `key value`, `#`/`!` comments, backslash continuation lines — see
//!    [`properties`]). Keys and values are trimmed.
//! 2. **`-D` flags** in `SERVER_JVMFLAGS` and `JVMFLAGS` ([`mod@env`]), for the keys Apache reads
//!    as Java system properties: `-Djute.maxbuffer=4194304`,
//!    `-Dzookeeper.4lw.commands.whitelist=*`, `-Dzookeeper.extendedTypesEnabled=true`, ...
//! 3. **`dynamicConfigFile`**, if set: the `server.N`, `group.x`, `weight.x` lines live there.
//! 4. **`dataDir/myid`**: this server's id, one ASCII integer (surrounding whitespace is
//!    ignored; Apache rejects it).
//! 5. **The official Docker image's `ZOO_*` variables** ([`docker`]) generate `zoo.cfg` and
//!    `myid` when `/conf/zoo.cfg` does not exist, exactly as its `docker-entrypoint.sh` does.
//! 6. **No file at all**: [`ServerConfig::default`], an embedded configuration that just works
//!    — client port 2181 on 127.0.0.1 only, data in `./zk-data`, tickTime 2000.
//!
//! # Precedence between `zoo.cfg` and `-D` flags
//!
//! Apache turns every `zoo.cfg` key it does not read itself into the system property
//! `zookeeper.<key>`, overwriting any `-D` flag. We follow the same three cases:
//!
//! - **Keys `QuorumPeerConfig` reads itself** (`tickTime`, `dataDir`, `clientPort`, `initLimit`,
//!   `server.N`, `autopurge.*`, `standaloneEnabled`, ...): only `zoo.cfg` counts. A
//!   `-Dzookeeper.tickTime` has no effect in Apache either; we say so in a warning.
//! - **System-property keys** (`snapCount`, `forceSync`, `4lw.commands.whitelist`,
//!   `extendedTypesEnabled`, `skipACL`, `maxCnxns`, `admin.*`, ...): a `zoo.cfg` line wins
//!   over `-Dzookeeper.<key>`; without one, the flag applies.
//! - **Keys Apache reads only without the `zookeeper.` prefix** (`jute.maxbuffer`,
//!   `znode.container.*`): in Apache a `zoo.cfg` line for these is silently dead, so the flag
//!   (`-Djute.maxbuffer`) is what Apache really used and it wins; we also honour the
//!   `zoo.cfg` line when there is no flag, which Apache does not.
//!
//! Between the two variables, `JVMFLAGS` wins over `SERVER_JVMFLAGS` (it comes later on
//! `zkServer.sh`'s command line), and within one variable the later flag wins. Whenever a
//! value is overruled by a different one, or a flag has no effect, a warning says so.
//!
//! # Keys we honour
//!
//! | key | default | notes |
//! |---|---|---|
//! | `tickTime` | 3000 (Apache's built-in; the sample and Docker write 2000) | ms, > 0 |
//! | `initLimit`, `syncLimit` | none | ticks; required in quorum mode |
//! | `connectToLearnerMasterLimit` | 0 (= `initLimit`) | ticks |
//! | `dataDir` | required | snapshots and `myid` |
//! | `dataLogDir` | = `dataDir` | transaction log |
//! | `clientPort`, `clientPortAddress` | none, all interfaces | or `;[host:]port` on this server's `server.N` line |
//! | `clientPortListenBacklog` | OS default | |
//! | `maxClientCnxns` | 60 | per client IP; 0 = unlimited |
//! | `maxCnxns` | 0 = unlimited | total |
//! | `minSessionTimeout` / `maxSessionTimeout` | 2 × / 20 × tickTime | ms; -1 = derived |
//! | `globalOutstandingLimit` | 1000 | |
//! | `snapCount` | 100000 | at least 2 |
//! | `snapSizeLimitInKb` | 4194304 (4 GiB) | ≤ 0 disables |
//! | `txnLogSizeLimitInKb` | unlimited | ≤ 0 = unlimited |
//! | `preAllocSize` | 65536 | KiB; 0 disables preallocation |
//! | `autopurge.snapRetainCount` | 3 | values below 3 become 3, with a warning (as Apache) |
//! | `autopurge.purgeInterval` | **1 hour** (Apache: 0 = off) | hours; `ms`/`s`/`m`/`h`/`d` suffixes as in 3.10; 0 disables |
//! | `forceSync` | yes | only exactly `no` disables, as in Apache |
//! | `fsync.warningthresholdms` | 1000 | |
//! | `4lw.commands.whitelist` | **`ruok, srvr, mntr, isro`** (Apache: `srvr`) | `*` = all; `srvr` is always allowed |
//! | `jute.maxbuffer` | 0xfffff | bytes; hex and octal accepted as by `Integer.getInteger` |
//! | `extendedTypesEnabled` | false | TTL nodes; myid must then be ≤ 254 |
//! | `DigestAuthenticationProvider.superDigest` | none | `super:<base64 sha1>` |
//! | `skipACL` | no | only exactly `yes` enables |
//! | `standaloneEnabled` | true | |
//! | `reconfigEnabled` | false | |
//! | `dynamicConfigFile` | none | |
//! | `localSessionsEnabled`, `localSessionsUpgradingEnabled` | false | |
//! | `leaderServes` | yes | only exactly `no` disables |
//! | `peerType` | participant | the `server.N` line wins, with a warning, as in Apache |
//! | `electionAlg` | 3 | the only valid value |
//! | `electionPortBindRetry` | 3 | 0 = forever |
//! | `quorumListenOnAllIPs`, `syncEnabled`, `observerMasterPort`, `cnxTimeout` | false, true, none, 5000 | |
//! | `multiAddress.enabled` | false | needed for `\|` in `server.N`; honoured in `zoo.cfg` too |
//! | `tcpKeepAlive`, `clientTcpKeepAlive` | false | |
//! | `snapshot.compression.method` | none | `gz` or `snappy`; anything else is an error |
//! | `znode.container.checkIntervalMs` / `maxPerMinute` / `maxNeverUsedIntervalMs` | 60000 / 10000 / 0 | |
//! | `server.N`, `group.x`, `weight.x` | | see [`quorum`] |
//!
//! # Keys parsed but not acted on yet (one warning)
//!
//! `secureClientPort`/`secureClientPortAddress` (TLS is not supported yet), `admin.*` (the HTTP
//! AdminServer is not implemented yet; four-letter words on the client port work), and
//! `metricsProvider.*` (metrics providers are Java classes).
//!
//! # Keys ignored with a warning
//!
//! Keys that only mean something to the JVM: `serverCnxnFactory`, `ssl.*`, `ssl.quorum.*`,
//! `sslQuorum`, `portUnification`, `authProvider.N` naming a provider other than digest and
//! ip, SASL and Kerberos (`quorum.auth.*`, `sessionRequireClientSASLAuth`,
//! `enforce.auth.*`, `-Djava.security.auth.login.config`), `jvm.pause.*`, and any key we do not
//! know (Apache would have turned it into the system property `zookeeper.<key>`).
//!
//! # Differences from Apache, on purpose
//!
//! - `autopurge.purgeInterval` defaults to 1 hour, so old snapshots and logs (keeping the last
//!   3) are removed unless the operator says `autopurge.purgeInterval=0`: a full disk is the
//!   most common ZooKeeper outage. Any non-zero interval purges right after each snapshot
//!   rather than on a timer (see [`crate::persistence`]), so only the kept snapshots stay.
//! - `4lw.commands.whitelist` defaults to `ruok, srvr, mntr, isro`, so health checks work.
//! - With no `zoo.cfg`, the server listens on 127.0.0.1 only.
//! - Malformed numbers are errors; Java's `Integer.getInteger` would silently use the default.
//! - Lenient Java booleans keep Java's answer but warn: `forceSync=false` still fsyncs (only
//!   `no` disables it), `skipACL=true` still checks ACLs (only `yes` skips them).
//! - `jute.maxbuffer`, `znode.container.*` and `multiAddress.enabled` also work in `zoo.cfg`
//!   (in Apache those lines are silently dead).
//! - `myid` may have surrounding whitespace; files are read as UTF-8 (Java: ISO-8859-1).
//! - We never rewrite `zoo.cfg` or the dynamic file.
//!
//! # Layout
//!
//! - [`properties`]: the Java properties syntax.
//! - [`quorum`]: `server.N` grammar, [`QuorumConfig`], [`ServerMode`].
//! - [`mod@env`]: `-D` flags from `SERVER_JVMFLAGS` / `JVMFLAGS` ([`JvmOverrides`]).
//! - [`docker`]: the official image's `ZOO_*` variables ([`DockerEnv`]).
//! - [`whitelist`]: [`FourLetterWhitelist`]. [`settings`]: smaller setting groups.
//! - `keys`, `ignored` and `parse` (private): the key table, the keys we ignore, and the parser.
//!
//! # Example
//!
//! ```
//! use zk_server::config::{JvmOverrides, ServerConfig, ServerMode};
//!
//! let zoo_cfg = "tickTime=2000\ndataDir=/nonexistent/zookeeper\nclientPort=2181\n";
//! let flags = JvmOverrides::from_vars([("SERVER_JVMFLAGS", "-Xmx1g -Djute.maxbuffer=0x400000")]);
//! let config = ServerConfig::parse_str(zoo_cfg, "zoo.cfg", &flags).unwrap();
//! assert_eq!(config.mode(), ServerMode::Standalone);
//! assert_eq!(config.max_session_timeout_ms, 40_000);
//! assert_eq!(config.jute_max_buffer_bytes, 0x400000);
//! assert_eq!(config.client_address.unwrap().to_string(), "0.0.0.0:2181");
//!
//! let err = ServerConfig::parse_str("dataDir=/d\ntickTime=2s\n", "zoo.cfg", &flags).unwrap_err();
//! assert_eq!(err.to_string(), "zoo.cfg:2: invalid value \"2s\" for tickTime: expected a decimal integer");
//! ```

pub mod docker;
pub mod env;
mod ignored;
mod keys;
mod origin;
mod parse;
pub mod properties;
pub mod quorum;
pub mod settings;
mod value;
pub mod whitelist;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use docker::{DockerEnv, DockerFiles};
pub use env::{JvmOverrides, SystemProperty};
pub use origin::{ConfigWarning, Origin};
pub use quorum::{HostPort, LearnerType, QuorumAddress, QuorumConfig, QuorumServer, ServerMode};
pub use settings::{
    AdminServerSettings, ContainerSettings, MetricsProviderSettings, SnapshotCompression,
};
pub use whitelist::FourLetterWhitelist;

use crate::Result;

/// Everything the server needs to know to start, as read from `zoo.cfg`, `-D` flags and
/// `myid` (ZooKeeper's `QuorumPeerConfig` and the system properties its components read).
///
/// Fields are plain data: the server reads them; tests build variations with struct-update
/// syntax from [`ServerConfig::default`]. The meaning and default of each key are in the
/// [module documentation](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The `zoo.cfg` this was read from; `None` for the embedded default.
    pub config_path: Option<PathBuf>,
    /// `tickTime`: the basic time unit in ms.
    pub tick_time_ms: u32,
    /// `initLimit`: ticks a follower may take to connect and sync to the leader.
    pub init_limit_ticks: u32,
    /// `syncLimit`: ticks a follower may lag before it is dropped.
    pub sync_limit_ticks: u32,
    /// `connectToLearnerMasterLimit`: ticks to connect to the leader after election; 0 means
    /// "use `initLimit`".
    pub connect_to_learner_master_limit_ticks: u32,
    /// `dataDir`: snapshots (`version-2/snapshot.*`) and `myid`.
    pub data_dir: PathBuf,
    /// `dataLogDir`: the transaction log (`version-2/log.*`); defaults to `data_dir`.
    pub data_log_dir: PathBuf,
    /// Where clients connect: `clientPortAddress`:`clientPort`, or the `;[host:]port` of this
    /// server's `server.N` line. `None` means no plain client port (quorum mode only).
    pub client_address: Option<HostPort>,
    /// `secureClientPortAddress`:`secureClientPort`. Parsed only: TLS is not supported yet.
    pub secure_client_address: Option<HostPort>,
    /// `clientPortListenBacklog`; `None` for the operating system's default.
    pub client_port_listen_backlog: Option<u32>,
    /// `maxClientCnxns`: connections per client IP; 0 = unlimited.
    pub max_client_cnxns: u32,
    /// `maxCnxns`: connections in total; 0 = unlimited.
    pub max_cnxns: u32,
    /// `minSessionTimeout` in ms (default 2 × tickTime).
    pub min_session_timeout_ms: u32,
    /// `maxSessionTimeout` in ms (default 20 × tickTime).
    pub max_session_timeout_ms: u32,
    /// `globalOutstandingLimit`: requests in flight before the server stops reading sockets.
    pub global_outstanding_limit: u32,
    /// `snapCount`: transactions between snapshots (randomised in `[snapCount/2+1, snapCount]`).
    pub snap_count: u32,
    /// `snapSizeLimitInKb`: snapshot after this many KiB of log; `None` disables the trigger.
    pub snap_size_limit_kb: Option<u64>,
    /// `txnLogSizeLimitInKb`: roll the log file at this size; `None` for no limit.
    pub txn_log_size_limit_kb: Option<u64>,
    /// `preAllocSize`: transaction-log preallocation block in KiB; 0 disables.
    pub pre_alloc_size_kb: u64,
    /// `autopurge.snapRetainCount`: snapshots (and the logs they need) to keep; at least 3.
    pub autopurge_snap_retain_count: u32,
    /// `autopurge.purgeInterval`: how often to purge; `None` disables purging.
    pub autopurge_purge_interval: Option<Duration>,
    /// `forceSync`: fsync the log before acknowledging writes.
    pub force_sync: bool,
    /// `fsync.warningthresholdms`: log a warning when an fsync takes longer.
    pub fsync_warning_threshold_ms: u64,
    /// `snapshot.compression.method`.
    pub snapshot_compression: SnapshotCompression,
    /// `4lw.commands.whitelist`.
    pub four_letter_words: FourLetterWhitelist,
    /// `jute.maxbuffer`: the largest frame accepted, in bytes.
    pub jute_max_buffer_bytes: u32,
    /// `extendedTypesEnabled`: allow TTL nodes.
    pub extended_types_enabled: bool,
    /// `DigestAuthenticationProvider.superDigest`: `super:<base64 sha1>` of the super user.
    pub super_digest: Option<String>,
    /// `skipACL`: do not check ACLs (unsafe).
    pub skip_acl: bool,
    /// `standaloneEnabled`: a configuration with one participant runs standalone.
    pub standalone_enabled: bool,
    /// `reconfigEnabled`: accept `reconfig` requests.
    pub reconfig_enabled: bool,
    /// `dynamicConfigFile`: where the `server.N` lines were read from, if not `zoo.cfg`. A
    /// relative path is relative to the working directory, as in Java.
    pub dynamic_config_file: Option<PathBuf>,
    /// `localSessionsEnabled`.
    pub local_sessions_enabled: bool,
    /// `localSessionsUpgradingEnabled`.
    pub local_sessions_upgrading_enabled: bool,
    /// `leaderServes`: the leader accepts client connections.
    pub leader_serves: bool,
    /// This server's role: `peerType`, corrected by its own `server.N` line.
    pub peer_type: LearnerType,
    /// `tcpKeepAlive`: keep-alive on quorum sockets.
    pub tcp_keep_alive: bool,
    /// `clientTcpKeepAlive`: keep-alive on client sockets.
    pub client_tcp_keep_alive: bool,
    /// `znode.container.*`.
    pub container: ContainerSettings,
    /// `admin.*` (parsed only).
    pub admin: AdminServerSettings,
    /// `metricsProvider.*` (parsed only).
    pub metrics_provider: MetricsProviderSettings,
    /// `server.N`, `group.x`, `weight.x` and the quorum-wide settings.
    pub quorum: QuorumConfig,
    /// This server's id from `dataDir/myid`; `None` if the file does not exist.
    pub my_id: Option<u64>,
    /// Problems that did not stop startup; see [`ServerConfig::log_warnings`].
    pub warnings: Vec<ConfigWarning>,
}

impl Default for ServerConfig {
    /// The embedded configuration used when no `zoo.cfg` is given: a standalone server on
    /// 127.0.0.1:2181 (localhost only, so that a forgotten test server is not open to the
    /// network), data in `./zk-data`, tickTime 2000 (so sessions may last 4 s to 40 s), and
    /// every other key at its default. Equivalent to [`ServerConfig::EMBEDDED_ZOO_CFG`].
    fn default() -> Self {
        let tick_time_ms = 2000;
        let data_dir = PathBuf::from(Self::EMBEDDED_DATA_DIR);
        ServerConfig {
            config_path: None,
            tick_time_ms,
            init_limit_ticks: 10,
            sync_limit_ticks: 5,
            connect_to_learner_master_limit_ticks: 0,
            data_log_dir: data_dir.clone(),
            data_dir,
            client_address: Some(HostPort::new("127.0.0.1", 2181)),
            secure_client_address: None,
            client_port_listen_backlog: None,
            max_client_cnxns: 60,
            max_cnxns: 0,
            min_session_timeout_ms: 2 * tick_time_ms,
            max_session_timeout_ms: 20 * tick_time_ms,
            global_outstanding_limit: 1000,
            snap_count: 100_000,
            snap_size_limit_kb: Some(4_194_304),
            txn_log_size_limit_kb: None,
            pre_alloc_size_kb: 65_536,
            autopurge_snap_retain_count: 3,
            autopurge_purge_interval: Some(Self::DEFAULT_PURGE_INTERVAL),
            force_sync: true,
            fsync_warning_threshold_ms: 1000,
            snapshot_compression: SnapshotCompression::None,
            four_letter_words: FourLetterWhitelist::default(),
            jute_max_buffer_bytes: zk_proto::frame::DEFAULT_MAX_FRAME_BYTES as u32,
            extended_types_enabled: false,
            super_digest: None,
            skip_acl: false,
            standalone_enabled: true,
            reconfig_enabled: false,
            dynamic_config_file: None,
            local_sessions_enabled: false,
            local_sessions_upgrading_enabled: false,
            leader_serves: true,
            peer_type: LearnerType::Participant,
            tcp_keep_alive: false,
            client_tcp_keep_alive: false,
            container: ContainerSettings::default(),
            admin: AdminServerSettings::default(),
            metrics_provider: MetricsProviderSettings::default(),
            quorum: QuorumConfig::default(),
            my_id: None,
            warnings: Vec::new(),
        }
    }
}

impl ServerConfig {
    /// `zoo.cfg` text equivalent to [`ServerConfig::default`].
    pub const EMBEDDED_ZOO_CFG: &'static str =
        "tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=./zk-data\n\
         clientPort=2181\nclientPortAddress=127.0.0.1\n";

    /// The embedded default's data directory.
    pub const EMBEDDED_DATA_DIR: &'static str = "./zk-data";

    /// Our `autopurge.purgeInterval` default (Apache: 0, disabled).
    pub const DEFAULT_PURGE_INTERVAL: Duration = Duration::from_secs(3600);

    /// Reads `zoo.cfg` at `path` (and its dynamic file and `dataDir/myid`), then applies
    /// `overrides` as described in the [module documentation](self).
    pub fn from_file(path: impl AsRef<Path>, overrides: &JvmOverrides) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| crate::Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::parse_str(&properties::decode_file(&bytes), path, overrides)
    }

    /// Parses `zoo.cfg` text. `path` names the file in errors and warnings (it is not read);
    /// the dynamic configuration file and `dataDir/myid` are still read from disk if they exist.
    pub fn parse_str(text: &str, path: impl AsRef<Path>, overrides: &JvmOverrides) -> Result<Self> {
        parse::parse(text, path.as_ref(), overrides)
    }

    /// The embedded default with `-D` overrides applied: what `zk-server` with no argument
    /// runs. Reads `./zk-data/myid` if it exists, like any configuration.
    pub fn embedded(overrides: &JvmOverrides) -> Result<Self> {
        let mut config = Self::parse_str(Self::EMBEDDED_ZOO_CFG, "<embedded zoo.cfg>", overrides)?;
        config.config_path = None;
        Ok(config)
    }

    /// Standalone or quorum, decided as `QuorumPeerMain` does: no `server.N` line, or a
    /// single participant with `standaloneEnabled=true`, runs standalone; anything else is a
    /// quorum.
    pub fn mode(&self) -> ServerMode {
        self.quorum.mode(self.standalone_enabled)
    }

    /// This server's own `server.N` entry, if it has a `myid` and is listed.
    pub fn my_server(&self) -> Option<&QuorumServer> {
        self.quorum.servers.get(&self.my_id?)
    }

    /// Logs every collected warning once through `tracing` (call once at startup).
    pub fn log_warnings(&self) {
        for w in &self.warnings {
            tracing::warn!(origin = %w.origin, key = %w.key, "{}", w.message);
        }
    }
}
