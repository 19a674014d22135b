//! The parser: reads properties, combines them with `-D` flags, applies the key table, then
//! the cross-key rules of `QuorumPeerConfig.parseProperties` and `setupQuorumPeerConfig`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::env::JvmOverrides;
use super::ignored;
use super::keys::{self, Key, Scope};
use super::properties::{decode_file, parse_properties, Property};
use super::quorum::{parse_id, HostPort, QuorumServer, ServerMode};
use super::value::{java_trim, parse_long};
use super::{ConfigWarning, Origin, ServerConfig};
use crate::{Error, Result};

/// One setting, trimmed, with where it came from.
#[derive(Debug, Clone)]
pub(super) struct Setting {
    /// The key as written (for `-D` flags: the key it maps to).
    pub key: String,
    /// The trimmed value.
    pub value: String,
    /// Where it came from.
    pub origin: Origin,
}

/// Values that only make sense together, resolved after every key has been read.
#[derive(Debug, Default)]
pub(super) struct Raw {
    pub data_dir: Option<Origin>,
    pub data_log_dir: Option<PathBuf>,
    pub client_port: Option<(u16, Origin)>,
    pub client_port_address: Option<(String, Origin)>,
    pub secure_client_port: Option<(u16, Origin)>,
    pub secure_client_port_address: Option<(String, Origin)>,
    pub min_session_timeout: Option<(u32, Origin)>,
    pub max_session_timeout: Option<(u32, Origin)>,
    pub peer_type: Option<Origin>,
    pub dynamic_config_file: Option<Origin>,
    pub admin: Option<Origin>,
    pub metrics: Option<Origin>,
}

/// The configuration under construction.
pub(super) struct Parser<'a> {
    pub cfg: ServerConfig,
    pub raw: Raw,
    path: PathBuf,
    overrides: &'a JvmOverrides,
    /// `server.N`, `group.x`, `weight.x`, `version` entries, from `zoo.cfg` or the dynamic file.
    quorum_entries: Vec<Setting>,
}

/// Parses `zoo.cfg` text named `path`, with `-D` overrides.
pub(super) fn parse(text: &str, path: &Path, overrides: &JvmOverrides) -> Result<ServerConfig> {
    let props = parse_properties(text).map_err(|e| Error::Syntax {
        origin: Origin::line(path, e.line),
        reason: e.reason,
    })?;
    let mut cfg = ServerConfig {
        config_path: Some(path.to_owned()),
        ..ServerConfig::default()
    };
    // Apache has no built-in dataDir or client port and a tickTime of 3000; the embedded
    // default's values must not leak into a real file.
    cfg.tick_time_ms = 3000;
    cfg.init_limit_ticks = 0;
    cfg.sync_limit_ticks = 0;
    cfg.client_address = None;
    let mut parser = Parser {
        cfg,
        raw: Raw::default(),
        path: path.to_owned(),
        overrides,
        quorum_entries: Vec::new(),
    };
    let file_settings = parser.read_file(props)?;
    parser.apply_keys(file_settings)?;
    parser.read_unclaimed_flags();
    parser.finish()
}

impl Parser<'_> {
    /// Records a warning about `setting`.
    pub fn warn(&mut self, setting: &Setting, message: impl Into<String>) {
        self.push_warning(setting.origin.clone(), &setting.key, message);
    }

    fn push_warning(&mut self, origin: Origin, key: &str, message: impl Into<String>) {
        self.cfg.warnings.push(ConfigWarning {
            origin,
            key: key.to_owned(),
            message: message.into(),
        });
    }

    fn invalid(setting: &Setting, reason: String) -> Error {
        Error::InvalidValue {
            origin: setting.origin.clone(),
            key: setting.key.clone(),
            value: setting.value.clone(),
            reason,
        }
    }

    fn inconsistent(origin: Origin, reason: impl Into<String>) -> Error {
        Error::Inconsistent {
            origin,
            reason: reason.into(),
        }
    }

    /// Sorts the file's entries: table keys (last one wins, as in `Properties`), quorum
    /// entries, and everything else (warned about right away).
    fn read_file(&mut self, props: Vec<Property>) -> Result<BTreeMap<&'static str, Setting>> {
        let has_dynamic_file = props
            .iter()
            .any(|p| java_trim(&p.key) == "dynamicConfigFile");
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut settings = BTreeMap::new();
        for p in props {
            let s = Setting {
                key: java_trim(&p.key).to_owned(),
                value: java_trim(&p.value).to_owned(),
                origin: Origin::line(&self.path, p.line),
            };
            if let Some(first) = seen.insert(s.key.clone(), p.line) {
                self.warn(&s, format!("set again (first on line {first}); the last value wins, as in Apache ZooKeeper"));
            }
            if is_quorum_key(&s.key) {
                if has_dynamic_file && s.key != "version" {
                    return Err(Self::inconsistent(
                        s.origin,
                        format!(
                            "parameter: {} must be in a separate dynamic config file",
                            s.key
                        ),
                    ));
                }
                self.quorum_entries.retain(|e| e.key != s.key);
                self.quorum_entries.push(s);
            } else if let Some(key) = keys::find(&s.key) {
                settings.insert(key.name, s);
            } else {
                self.other_key(&s);
            }
        }
        Ok(settings)
    }

    /// A key that is not in the table: prefixes we record, JVM-only keys, unknown keys.
    fn other_key(&mut self, s: &Setting) {
        if let Some(name) = s.key.strip_prefix("metricsProvider.") {
            if name == "className" {
                self.cfg.metrics_provider.class_name = Some(s.value.clone());
            } else {
                self.cfg
                    .metrics_provider
                    .properties
                    .insert(name.to_owned(), s.value.clone());
            }
            self.raw.metrics.get_or_insert_with(|| s.origin.clone());
        } else if s.key.starts_with("admin.") {
            // Other AdminServer settings (idleTimeout, forceHttps, ...): covered by the one
            // "AdminServer not implemented" warning.
            self.raw.admin.get_or_insert_with(|| s.origin.clone());
        } else if let Some(message) = ignored::unsupported(&s.key, &s.value) {
            self.warn(s, message);
        }
    }

    /// Combines each table key's `zoo.cfg` line with its `-D` flags and applies the winner.
    fn apply_keys(&mut self, mut file: BTreeMap<&'static str, Setting>) -> Result<()> {
        for key in keys::KEYS {
            let from_file = file.remove(key.name);
            if let Some(setting) = self.choose(key, from_file) {
                (key.apply)(self, &setting).map_err(|reason| Self::invalid(&setting, reason))?;
            }
        }
        Ok(())
    }

    /// The precedence rules of the module documentation, with a warning for every loser.
    fn choose(&mut self, key: &Key, from_file: Option<Setting>) -> Option<Setting> {
        if key.scope == Scope::File {
            if let Some(flag) = self.overrides.get(&format!("zookeeper.{}", key.name)) {
                let origin = flag.origin();
                self.push_warning(
                    origin,
                    key.name,
                    format!(
                        "has no effect: Apache ZooKeeper reads {} only from zoo.cfg; set it there",
                        key.name
                    ),
                );
            }
            return from_file;
        }
        let flag = key
            .sysprop_names()
            .iter()
            .find_map(|name| self.overrides.get(name))
            .cloned();
        let flag = flag.map(|f| Setting {
            key: key.name.to_owned(),
            value: java_trim(&f.value).to_owned(),
            origin: f.origin(),
        });
        match (from_file, flag) {
            (Some(file), Some(flag)) => {
                let (winner, loser) = if key.file_wins() {
                    (file, flag)
                } else {
                    (flag, file)
                };
                if winner.value != loser.value {
                    let message = format!(
                        "value {:?} ignored: {} sets {:?} and wins, as in Apache ZooKeeper",
                        loser.value, winner.origin, winner.value
                    );
                    self.warn(&loser, message);
                }
                Some(winner)
            }
            (file, flag) => file.or(flag),
        }
    }

    /// `-D` flags that no table key claimed: JVM-only or unknown `zookeeper.*` properties.
    fn read_unclaimed_flags(&mut self) {
        let claimed: BTreeSet<String> = keys::KEYS.iter().flat_map(|k| k.sysprop_names()).collect();
        let flags: Vec<_> = self
            .overrides
            .iter()
            .filter(|f| !claimed.contains(&f.name))
            .cloned()
            .collect();
        for flag in flags {
            let origin = flag.origin();
            let message = match flag.name.as_str() {
                "java.security.auth.login.config" => {
                    Some("JAAS configuration for SASL/Kerberos; SASL is not supported; ignored".to_owned())
                }
                "readonlymode.enabled" => Some("read-only mode is not supported; ignored".to_owned()),
                name => match name.strip_prefix("zookeeper.") {
                    // Keys QuorumPeerConfig reads itself were handled in `choose`.
                    Some(key) if keys::find(key).is_some() => None,
                    Some(key) if is_quorum_key(key) || key.starts_with("metricsProvider.") => {
                        Some(format!("has no effect: Apache ZooKeeper reads {key} only from zoo.cfg; set it there"))
                    }
                    Some(key) if key.starts_with("admin.") => {
                        self.raw.admin.get_or_insert_with(|| origin.clone());
                        None
                    }
                    Some(key) => ignored::unsupported(key, &flag.value),
                    // Not a ZooKeeper property (log4j, JMX, java.*): nothing to say.
                    None => None,
                },
            };
            if let Some(message) = message {
                self.push_warning(origin, &flag.name, message);
            }
        }
    }

    /// Cross-key rules, the quorum, `myid`, and the client address.
    fn finish(mut self) -> Result<ServerConfig> {
        let file = Origin::file(&self.path);
        if self.raw.data_dir.is_none() {
            return Err(Self::inconsistent(
                file,
                "dataDir is not set (add dataDir=/path/to/data)",
            ));
        }
        self.cfg.data_log_dir = self
            .raw
            .data_log_dir
            .take()
            .unwrap_or_else(|| self.cfg.data_dir.clone());
        self.resolve_session_timeouts()?;
        self.cfg.client_address = self.static_address(false)?;
        self.cfg.secure_client_address = self.static_address(true)?;
        self.read_dynamic_file()?;
        self.build_quorum()?;
        self.cfg.my_id = read_my_id(&self.cfg.data_dir)?;
        self.resolve_client_address()?;
        self.check_mode()?;
        self.feature_warnings();
        Ok(self.cfg)
    }

    fn resolve_session_timeouts(&mut self) -> Result<()> {
        let tick = self.cfg.tick_time_ms;
        let (min, min_origin) = match self.raw.min_session_timeout.take() {
            Some((ms, origin)) => (ms, Some(origin)),
            None => (tick.saturating_mul(2), None),
        };
        let (max, max_origin) = match self.raw.max_session_timeout.take() {
            Some((ms, origin)) => (ms, Some(origin)),
            None => (tick.saturating_mul(20), None),
        };
        if min > max {
            let describe = |name: &str, ms: u32, origin: &Option<Origin>, factor: u32| match origin
            {
                Some(o) => format!("{name}={ms} ({o})"),
                None => format!("{name}={ms} (derived as {factor} × tickTime {tick})"),
            };
            let origin = min_origin
                .clone()
                .or(max_origin.clone())
                .unwrap_or_else(|| Origin::file(&self.path));
            return Err(Self::inconsistent(
                origin,
                format!(
                    "minSessionTimeout must not be larger than maxSessionTimeout: {} > {}",
                    describe("minSessionTimeout", min, &min_origin, 2),
                    describe("maxSessionTimeout", max, &max_origin, 20)
                ),
            ));
        }
        self.cfg.min_session_timeout_ms = min;
        self.cfg.max_session_timeout_ms = max;
        Ok(())
    }

    /// `clientPort` + `clientPortAddress` (or the secure pair). Port 0 means "not set".
    fn static_address(&self, secure: bool) -> Result<Option<HostPort>> {
        let (port, address, names) = if secure {
            (
                &self.raw.secure_client_port,
                &self.raw.secure_client_port_address,
                ("secureClientPortAddress", "secureClientPort"),
            )
        } else {
            (
                &self.raw.client_port,
                &self.raw.client_port_address,
                ("clientPortAddress", "clientPort"),
            )
        };
        match (port.as_ref().filter(|(p, _)| *p != 0), address) {
            (None, Some((_, origin))) => Err(Self::inconsistent(
                origin.clone(),
                format!("{} is set but {} is not set", names.0, names.1),
            )),
            (None, None) => Ok(None),
            (Some((port, _)), None) => Ok(Some(HostPort::wildcard(*port))),
            (Some((port, _)), Some((host, _))) => {
                Ok(Some(HostPort::new(strip_brackets(host), *port)))
            }
        }
    }

    /// Reads `dynamicConfigFile`: only `server.N`, `group.x`, `weight.x` (and no `version`,
    /// which comes from the file name, as in `QuorumPeerConfig.parse`).
    fn read_dynamic_file(&mut self) -> Result<()> {
        let Some(path) = self.cfg.dynamic_config_file.clone() else {
            return Ok(());
        };
        let bytes = std::fs::read(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let props = parse_properties(&decode_file(&bytes)).map_err(|e| Error::Syntax {
            origin: Origin::line(&path, e.line),
            reason: e.reason,
        })?;
        for p in props {
            let s = Setting {
                key: java_trim(&p.key).to_owned(),
                value: java_trim(&p.value).to_owned(),
                origin: Origin::line(&path, p.line),
            };
            if s.key == "version" {
                return Err(Self::inconsistent(
                    s.origin,
                    "dynamic file shouldn't have version inside",
                ));
            }
            if !is_quorum_key(&s.key) {
                return Err(Self::inconsistent(
                    s.origin,
                    format!("Unrecognised parameter: {}", s.key),
                ));
            }
            self.quorum_entries.retain(|e| e.key != s.key);
            self.quorum_entries.push(s);
        }
        if let Some(version) = version_from_file_name(&path) {
            self.cfg.quorum.version = version;
        }
        Ok(())
    }

    /// Turns the quorum entries into [`super::QuorumConfig`] and validates it.
    fn build_quorum(&mut self) -> Result<()> {
        let multi = self.cfg.quorum.multi_address_enabled;
        for s in std::mem::take(&mut self.quorum_entries) {
            let bad = |reason: String| Self::invalid(&s, reason);
            if let Some(id) = s.key.strip_prefix("server.") {
                let id = parse_id(id).map_err(|e| bad(format!("server id: {e}")))?;
                let server = QuorumServer::parse(id, &s.value, multi).map_err(bad)?;
                self.cfg.quorum.servers.insert(id, server);
            } else if let Some(gid) = s.key.strip_prefix("group.") {
                let gid = parse_id(gid).map_err(|e| bad(format!("group id: {e}")))?;
                let members = s
                    .value
                    .split(':')
                    .map(|m| parse_id(java_trim(m)))
                    .collect::<Result<Vec<_>, _>>();
                let members = members
                    .map_err(|e| bad(format!("expected server ids separated by ':': {e}")))?;
                self.cfg.quorum.groups.insert(gid, members);
            } else if let Some(sid) = s.key.strip_prefix("weight.") {
                let sid = parse_id(sid).map_err(|e| bad(format!("server id: {e}")))?;
                let weight = parse_long(&s.value)
                    .and_then(|w| u64::try_from(w).map_err(|_| "must not be negative".to_owned()));
                self.cfg.quorum.weights.insert(sid, weight.map_err(bad)?);
            } else if s.key == "version" {
                let version = u64::from_str_radix(&s.value, 16)
                    .map_err(|_| bad("expected a hexadecimal version".to_owned()))?;
                self.cfg.quorum.version = version;
            }
        }
        let standalone_enabled = self.cfg.standalone_enabled;
        let quorum_file = self.quorum_origin();
        let warnings = self
            .cfg
            .quorum
            .validate(standalone_enabled)
            .map_err(|reason| Self::inconsistent(quorum_file.clone(), reason))?;
        for w in warnings {
            self.push_warning(quorum_file.clone(), "server.N", w);
        }
        Ok(())
    }

    fn quorum_origin(&self) -> Origin {
        Origin::file(
            self.cfg
                .dynamic_config_file
                .as_deref()
                .unwrap_or(&self.path),
        )
    }

    /// `setupClientPort` and `setupPeerType`: this server's `server.N` line knows better.
    fn resolve_client_address(&mut self) -> Result<()> {
        let Some(me) = self.cfg.my_server().cloned() else {
            return Ok(());
        };
        if let (Some(configured), Some(listed)) = (&self.cfg.client_address, &me.client_address) {
            let conflict = if configured.is_wildcard() {
                configured.port != listed.port
            } else {
                configured != listed
            };
            if conflict {
                let origin = self
                    .raw
                    .client_port
                    .as_ref()
                    .map(|(_, o)| o.clone())
                    .unwrap_or_else(|| Origin::file(&self.path));
                return Err(Self::inconsistent(
                    origin,
                    format!(
                        "client address for this server (id = {}) in static config file is {configured} \
                         is different from client address found in dynamic file: {listed}",
                        me.id
                    ),
                ));
            }
        }
        if me.client_address.is_some() {
            self.cfg.client_address = me.client_address.clone();
        }
        if me.learner_type != self.cfg.peer_type {
            if let Some(origin) = self.raw.peer_type.clone() {
                self.push_warning(
                    origin,
                    "peerType",
                    format!(
                        "Peer type from servers list ({}) doesn't match peerType ({}). Defaulting to servers list.",
                        me.learner_type.as_str(),
                        self.cfg.peer_type.as_str()
                    ),
                );
            }
            self.cfg.peer_type = me.learner_type;
        }
        Ok(())
    }

    /// `checkValidity` for quorum mode, and "some way for clients to connect" for standalone.
    fn check_mode(&mut self) -> Result<()> {
        let file = Origin::file(&self.path);
        if let (Some(id), true) = (self.cfg.my_id, self.cfg.extended_types_enabled) {
            if id > 254 {
                return Err(Self::inconsistent(
                    file,
                    format!("extendedTypesEnabled is true but Server ID {id} is too large. Cannot be larger than 254"),
                ));
            }
        }
        match self.cfg.mode() {
            ServerMode::Standalone => {
                if self.cfg.client_address.is_none() {
                    return Err(Self::inconsistent(
                        file,
                        "no client port: set clientPort (for example clientPort=2181) or add ;2181 to this server's server.N line",
                    ));
                }
            }
            ServerMode::Quorum => {
                if self.cfg.init_limit_ticks == 0 {
                    return Err(Self::inconsistent(
                        file,
                        "initLimit is not set (required in quorum mode)",
                    ));
                }
                if self.cfg.sync_limit_ticks == 0 {
                    return Err(Self::inconsistent(
                        file,
                        "syncLimit is not set (required in quorum mode)",
                    ));
                }
                let data_dir = self.cfg.data_dir.display().to_string();
                let ids: Vec<String> = self.cfg.quorum.servers.keys().map(u64::to_string).collect();
                let Some(id) = self.cfg.my_id else {
                    return Err(Self::inconsistent(
                        file,
                        format!("myid file is missing: quorum mode needs {data_dir}/myid holding this server's id (one of {})", ids.join(", ")),
                    ));
                };
                if !self.cfg.quorum.servers.contains_key(&id) {
                    return Err(Self::inconsistent(
                        self.quorum_origin(),
                        format!(
                            "myid {id} (from {data_dir}/myid) is not one of the server.N ids ({})",
                            ids.join(", ")
                        ),
                    ));
                }
            }
        }
        if self.cfg.my_id.is_some_and(|id| id > 255) {
            let id = self.cfg.my_id.unwrap_or_default();
            self.push_warning(
                file,
                "myid",
                format!(
                    "server id {id} is above 255; ZooKeeper session ids only hold 8 bits of it"
                ),
            );
        }
        Ok(())
    }

    /// One warning each for features that are parsed but not implemented yet.
    fn feature_warnings(&mut self) {
        if let Some((port, origin)) = self.raw.secure_client_port.clone().filter(|(p, _)| *p != 0) {
            self.push_warning(
                origin,
                "secureClientPort",
                format!("TLS is not supported yet; no listener on secure port {port}"),
            );
        }
        if let Some(origin) = self.raw.admin.clone().filter(|_| self.cfg.admin.enabled) {
            self.push_warning(
                origin,
                "admin.*",
                "the HTTP AdminServer is not implemented yet; four-letter words on the client port work (see 4lw.commands.whitelist)",
            );
        }
        if let Some(origin) = self.raw.metrics.clone() {
            self.push_warning(
                origin,
                "metricsProvider.*",
                "metrics providers are Java classes and are not loaded; the mntr four-letter word reports the metrics",
            );
        }
    }
}

fn is_quorum_key(key: &str) -> bool {
    key.starts_with("server.")
        || key.starts_with("group.")
        || key.starts_with("weight.")
        || key == "version"
}

fn strip_brackets(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// `zoo.cfg.dynamic.100000000` → version 0x100000000 (`getVersionFromFilename`).
fn version_from_file_name(path: &Path) -> Option<u64> {
    let name = path.file_name()?.to_str()?;
    let (_, suffix) = name.rsplit_once('.')?;
    u64::from_str_radix(suffix, 16).ok()
}

/// Reads `dataDir/myid`: the first line of the file, surrounding whitespace ignored. A missing
/// file is not an error (standalone servers do not need one).
fn read_my_id(data_dir: &Path) -> Result<Option<u64>> {
    let path = data_dir.join("myid");
    if !path.is_file() {
        return Ok(None);
    }
    let bytes = std::fs::read(&path).map_err(|source| Error::Io {
        path: path.clone(),
        source,
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let content = text.trim().lines().next().unwrap_or("").trim().to_owned();
    let bad = |reason: &str| Error::MyId {
        path: path.clone(),
        content: content.clone(),
        reason: reason.to_owned(),
    };
    if content.is_empty() {
        return Err(bad(
            "the file is empty; write this server's id, for example `echo 1 > myid`",
        ));
    }
    let id = parse_long(&content).map_err(|_| bad("expected a decimal integer such as 1"))?;
    u64::try_from(id)
        .map(Some)
        .map_err(|_| bad("a server id cannot be negative"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_comes_from_the_dynamic_file_suffix() {
        assert_eq!(
            version_from_file_name(Path::new("/conf/zoo.cfg.dynamic.100000000")),
            Some(0x1_0000_0000)
        );
        assert_eq!(
            version_from_file_name(Path::new("/conf/zoo.cfg.dynamic")),
            None
        );
    }

    #[test]
    fn myid_is_trimmed_and_must_be_an_integer() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_my_id(dir.path()).unwrap(), None);
        std::fs::write(dir.path().join("myid"), " 7 \n").unwrap();
        assert_eq!(read_my_id(dir.path()).unwrap(), Some(7));
        std::fs::write(dir.path().join("myid"), "3\n4\n").unwrap();
        assert_eq!(read_my_id(dir.path()).unwrap(), Some(3));
        for bad in ["x7\n", "", "-1", "1.0"] {
            std::fs::write(dir.path().join("myid"), bad).unwrap();
            let err = read_my_id(dir.path()).unwrap_err().to_string();
            assert!(
                err.contains("myid") && err.contains("invalid server id"),
                "{bad:?}: {err}"
            );
        }
    }
}
