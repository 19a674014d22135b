//! The ensemble: `server.N` lines, `group.x` / `weight.x`, and the standalone-vs-quorum rule.
//!
//! # The `server.N` grammar (ZooKeeper 3.5 – 3.9)
//!
//! ```text
//! server.N = addr[|addr...][;client]
//! addr     = host:quorumPort:electionPort[:participant|:observer]
//! client   = port | host:port
//! host     = name | IPv4 | [IPv6]
//! ```
//!
//! `N` is the server id (the `myid` of that server). Several `|`-separated addresses need
//! `multiAddress.enabled=true`. A missing client host means `0.0.0.0`. The quorum and election
//! ports must differ. This is `QuorumPeer.QuorumServer(long, String)` and
//! `ConfigUtils.getHostAndPort`, including their error messages.

use std::collections::BTreeMap;
use std::fmt;

use super::value::{parse_long, parse_port};

/// A host (name or IP literal, without brackets) and a port, unresolved. Names are resolved
/// when sockets are opened, not when the configuration is read, so that a server can start
/// before its peers' DNS names exist (a common Kubernetes problem).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostPort {
    /// Host name or IP literal; IPv6 literals are stored without brackets (`::1`).
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl HostPort {
    /// The host ZooKeeper uses when only a port is given: every IPv4 interface.
    pub const WILDCARD_HOST: &'static str = "0.0.0.0";

    /// A host and a port.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        HostPort {
            host: host.into(),
            port,
        }
    }

    /// `port` on every interface.
    pub fn wildcard(port: u16) -> Self {
        HostPort::new(Self::WILDCARD_HOST, port)
    }

    /// Whether the host is a wildcard address (`0.0.0.0` or `::`): listen on all interfaces.
    pub fn is_wildcard(&self) -> bool {
        self.host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_unspecified())
    }

    /// Resolves the host now (IP literals directly, names through the system resolver; this
    /// may block) and returns every address, in the resolver's order.
    pub fn to_socket_addrs(&self) -> std::io::Result<Vec<std::net::SocketAddr>> {
        use std::net::ToSocketAddrs;
        Ok((self.host.as_str(), self.port).to_socket_addrs()?.collect())
    }

    /// The first address [`HostPort::to_socket_addrs`] finds; an error naming the host if the
    /// name resolves to nothing.
    pub fn to_socket_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.to_socket_addrs()?.into_iter().next().ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{self}: host name resolves to no address"),
            )
        })
    }
}

impl fmt::Display for HostPort {
    /// `host:port`, with IPv6 literals in brackets (`[::1]:2181`), as ZooKeeper prints them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Whether a server votes or only observes (ZooKeeper's `LearnerType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LearnerType {
    /// Votes in elections and commits; the default.
    #[default]
    Participant,
    /// Receives committed transactions but does not vote.
    Observer,
}

impl LearnerType {
    /// Parses `participant` / `observer` (any case, trimmed) as ZooKeeper does.
    pub fn parse(s: &str) -> Result<Self, String> {
        match super::value::java_trim(s).to_ascii_lowercase().as_str() {
            "participant" => Ok(LearnerType::Participant),
            "observer" => Ok(LearnerType::Observer),
            _ => Err(format!(
                "Unrecognised peertype: {s} (expected participant or observer)"
            )),
        }
    }

    /// `participant` or `observer`, as written in `server.N` lines.
    pub fn as_str(self) -> &'static str {
        match self {
            LearnerType::Participant => "participant",
            LearnerType::Observer => "observer",
        }
    }
}

/// One quorum address of a server: the host with its quorum (follower-to-leader) and election
/// ports.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QuorumAddress {
    /// Host name or IP literal (IPv6 without brackets).
    pub host: String,
    /// Port followers connect to the leader on (usually 2888).
    pub quorum_port: u16,
    /// Port for leader election (usually 3888).
    pub election_port: u16,
}

impl QuorumAddress {
    /// The quorum (follower-to-leader) socket address.
    pub fn quorum(&self) -> HostPort {
        HostPort::new(self.host.clone(), self.quorum_port)
    }

    /// The election socket address.
    pub fn election(&self) -> HostPort {
        HostPort::new(self.host.clone(), self.election_port)
    }
}

/// One `server.N` line: a member of the ensemble (ZooKeeper's `QuorumServer`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumServer {
    /// The server id `N`.
    pub id: u64,
    /// One address, or several with `multiAddress.enabled=true`.
    pub addresses: Vec<QuorumAddress>,
    /// The client address given after `;`, if any.
    pub client_address: Option<HostPort>,
    /// Participant (default) or observer.
    pub learner_type: LearnerType,
}

const WRONG_FORMAT: &str = "does not have the form server_config or server_config;client_config \
     where server_config is the pipe separated list of host:port:port or host:port:port:type \
     and client_config is port or host:port";

impl QuorumServer {
    /// Parses the value of a `server.N` line. `multi_address_enabled` is
    /// `multiAddress.enabled`; errors read like ZooKeeper's.
    pub fn parse(id: u64, value: &str, multi_address_enabled: bool) -> Result<Self, String> {
        let server_client = java_split(value, ';');
        if server_client.is_empty() || server_client.len() > 2 {
            return Err(format!("{value} {WRONG_FORMAT}"));
        }
        let client_address = match server_client.get(1) {
            None => None,
            Some(client) => Some(
                parse_client(client)
                    .map_err(|e| e.unwrap_or_else(|| format!("{value} {WRONG_FORMAT}")))?,
            ),
        };
        let parts = java_split(server_client[0], '|');
        if parts.is_empty() {
            return Err(format!("{value} {WRONG_FORMAT}"));
        }
        if parts.len() > 1 && !multi_address_enabled {
            return Err(format!(
                "Multiple address feature is disabled, but multiple addresses were specified for sid {id} \
                 (set multiAddress.enabled=true)"
            ));
        }
        let mut addresses = Vec::with_capacity(parts.len());
        let mut learner_type = None;
        for part in parts {
            let fields = host_and_port(part)?;
            if !(3..=4).contains(&fields.len()) {
                return Err(format!("{value} {WRONG_FORMAT}"));
            }
            let host = nonempty_host(&fields[0])?;
            let quorum_port = parse_port(&fields[1])
                .map_err(|e| format!("Address unresolved: {host}:{}: {e}", fields[1]))?;
            let election_port = parse_port(&fields[2])
                .map_err(|e| format!("Address unresolved: {host}:{}: {e}", fields[2]))?;
            if quorum_port == election_port {
                return Err(format!(
                    "Client and election port must be different! Please update the configuration file on server.{id} \
                     (quorum port and election port are both {quorum_port})"
                ));
            }
            if let Some(t) = fields.get(3) {
                let t = LearnerType::parse(t)?;
                if learner_type.is_some_and(|prev| prev != t) {
                    return Err("Multiple addresses should have similar roles".to_owned());
                }
                learner_type = Some(t);
            }
            addresses.push(QuorumAddress {
                host,
                quorum_port,
                election_port,
            });
        }
        Ok(QuorumServer {
            id,
            addresses,
            client_address,
            learner_type: learner_type.unwrap_or_default(),
        })
    }

    /// The first quorum address (the only one unless multi-address is used).
    pub fn primary(&self) -> &QuorumAddress {
        &self.addresses[0]
    }
}

impl fmt::Display for QuorumServer {
    /// The value of the `server.N` line as ZooKeeper writes it back (`QuorumServer.toString`):
    /// `host:2888:3888:participant;0.0.0.0:2181`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.addresses.iter().enumerate() {
            if i > 0 {
                f.write_str("|")?;
            }
            let host = HostPort::new(a.host.clone(), a.quorum_port);
            write!(f, "{host}:{}", a.election_port)?;
        }
        write!(f, ":{}", self.learner_type.as_str())?;
        if let Some(client) = &self.client_address {
            write!(f, ";{client}")?;
        }
        Ok(())
    }
}

/// Java's `String.split(regex)` for a one-character literal: trailing empty strings removed.
fn java_split(s: &str, sep: char) -> Vec<&str> {
    let mut parts: Vec<&str> = s.split(sep).collect();
    while parts.len() > 1 && parts.last() == Some(&"") {
        parts.pop();
    }
    if parts == [""] {
        parts.clear();
    }
    parts
}

/// `ConfigUtils.getHostAndPort`: splits `host:port[:...]`, honouring `[IPv6]` brackets.
fn host_and_port(s: &str) -> Result<Vec<String>, String> {
    if let Some(rest) = s.strip_prefix('[') {
        let Some(close) = rest.find(']') else {
            return Err(format!("{s} starts with '[' but has no matching ']:'"));
        };
        let host = &rest[..close];
        let after = &rest[close + 1..];
        if after == ":" {
            return Err(format!("{s} doesn't have a port after colon"));
        }
        let Some(ports) = after.strip_prefix(':') else {
            if after.is_empty() {
                return Ok(vec![host.to_owned()]);
            }
            return Err(format!("{s}: expected ':' after ']'"));
        };
        let mut out = vec![host.to_owned()];
        out.extend(java_split(ports, ':').into_iter().map(str::to_owned));
        Ok(out)
    } else {
        Ok(java_split(s, ':').into_iter().map(str::to_owned).collect())
    }
}

fn nonempty_host(host: &str) -> Result<String, String> {
    if host.is_empty() {
        Err("empty host name".to_owned())
    } else {
        Ok(host.to_owned())
    }
}

/// The client part after `;`: `port` (on `0.0.0.0`) or `host:port`. `Err(None)` means "wrong
/// format", reported with the whole line.
fn parse_client(s: &str) -> Result<HostPort, Option<String>> {
    let parts = host_and_port(s).map_err(Some)?;
    let (host, port) = match parts.as_slice() {
        [port] => (HostPort::WILDCARD_HOST.to_owned(), port),
        [host, port] => (nonempty_host(host).map_err(Some)?, port),
        _ => return Err(None),
    };
    let port =
        parse_port(port).map_err(|e| Some(format!("Address unresolved: {host}:{port}: {e}")))?;
    Ok(HostPort { host, port })
}

/// Parses the id in a `server.N`, `group.N` or `weight.N` key (`Long.parseLong`).
pub(crate) fn parse_id(s: &str) -> Result<u64, String> {
    let n = parse_long(s)?;
    u64::try_from(n).map_err(|_| "a server id cannot be negative".to_owned())
}

/// Standalone or replicated, as `QuorumPeerMain` decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerMode {
    /// One server, no replication (`ZooKeeperServerMain`). `srvr` reports `Mode: standalone`.
    Standalone,
    /// A member of an ensemble (`QuorumPeer`): leader, follower or observer.
    Quorum,
}

/// The ensemble as configured: `server.N`, `group.x`, `weight.x` and the quorum-wide settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumConfig {
    /// Every `server.N`, by id (participants and observers).
    pub servers: BTreeMap<u64, QuorumServer>,
    /// Hierarchical quorum groups `group.x=id:id:...`, by group id. Empty means majority quorums.
    pub groups: BTreeMap<u64, Vec<u64>>,
    /// `weight.x` by server id; a participant in a group without a weight weighs 1.
    pub weights: BTreeMap<u64, u64>,
    /// Configuration version (hex in `version=` or the dynamic file's name suffix); 0 if none.
    pub version: u64,
    /// `quorumListenOnAllIPs`: bind the quorum and election ports on every interface.
    pub listen_on_all_ips: bool,
    /// `syncEnabled`: observers log transactions to disk like followers (default true).
    pub sync_enabled: bool,
    /// `observerMasterPort`: followers serve observers on this port; `None` if unset.
    pub observer_master_port: Option<u16>,
    /// `cnxTimeout`: timeout in ms for opening election connections (default 5000).
    pub cnx_timeout_ms: u32,
    /// `electionAlg`: always 3 (fast leader election, the only one ZooKeeper still has).
    pub election_alg: u32,
    /// `electionPortBindRetry`: attempts to bind the election port; 0 retries forever.
    pub election_port_bind_retry: u32,
    /// `multiAddress.enabled`: allow `|`-separated addresses in `server.N`.
    pub multi_address_enabled: bool,
}

impl Default for QuorumConfig {
    fn default() -> Self {
        QuorumConfig {
            servers: BTreeMap::new(),
            groups: BTreeMap::new(),
            weights: BTreeMap::new(),
            version: 0,
            listen_on_all_ips: false,
            sync_enabled: true,
            observer_master_port: None,
            cnx_timeout_ms: 5000,
            election_alg: 3,
            election_port_bind_retry: 3,
            multi_address_enabled: false,
        }
    }
}

impl QuorumConfig {
    /// Voting members (participants), by id.
    pub fn participants(&self) -> impl Iterator<Item = &QuorumServer> {
        self.servers
            .values()
            .filter(|s| s.learner_type == LearnerType::Participant)
    }

    /// Observers, by id.
    pub fn observers(&self) -> impl Iterator<Item = &QuorumServer> {
        self.servers
            .values()
            .filter(|s| s.learner_type == LearnerType::Observer)
    }

    /// Whether `group.x` lines make this a hierarchical quorum.
    pub fn is_hierarchical(&self) -> bool {
        !self.groups.is_empty()
    }

    /// `QuorumPeerConfig.isDistributed`: quorum mode unless standalone is enabled and at most
    /// one participant is configured.
    pub fn mode(&self, standalone_enabled: bool) -> ServerMode {
        if !standalone_enabled || self.participants().count() > 1 {
            ServerMode::Quorum
        } else {
            ServerMode::Standalone
        }
    }

    /// The checks of `parseDynamicConfig` and `QuorumHierarchical.parse`; also fills in
    /// default weights. Returns warnings (even-sized ensembles and the like).
    pub(crate) fn validate(&mut self, standalone_enabled: bool) -> Result<Vec<String>, String> {
        let participants = self.participants().count();
        let observers = self.observers().count();
        let mut warnings = Vec::new();
        if participants == 0 {
            if !standalone_enabled {
                return Err(
                    "standaloneEnabled = false then number of participants should be >0".to_owned(),
                );
            }
            if observers > 0 {
                return Err("Observers w/o participants is an invalid configuration".to_owned());
            }
        } else if participants == 1 && standalone_enabled {
            if observers > 0 {
                return Err("Observers w/o quorum is an invalid configuration".to_owned());
            }
        } else if participants <= 2 {
            warnings.push(
                "No server failure will be tolerated. You need at least 3 servers.".to_owned(),
            );
        } else if participants % 2 == 0 {
            warnings
                .push("Non-optimal configuration, consider an odd number of servers.".to_owned());
        }
        if self.is_hierarchical() {
            self.validate_groups()?;
        }
        Ok(warnings)
    }

    fn validate_groups(&mut self) -> Result<(), String> {
        let mut group_of = BTreeMap::new();
        for (&gid, members) in &self.groups {
            for &sid in members {
                if group_of.insert(sid, gid).is_some() {
                    return Err(format!("Server {sid} is in multiple groups"));
                }
            }
        }
        let participant_ids: Vec<u64> = self.participants().map(|s| s.id).collect();
        for id in participant_ids {
            if !group_of.contains_key(&id) {
                return Err(format!("Server {id} is not in a group"));
            }
            self.weights.entry(id).or_insert(1);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(value: &str) -> QuorumServer {
        QuorumServer::parse(1, value, true).unwrap()
    }

    #[test]
    fn plain_server_line_defaults_to_participant_without_client_address() {
        let s = server("zk1:2888:3888");
        assert_eq!(
            s.addresses,
            vec![QuorumAddress {
                host: "zk1".into(),
                quorum_port: 2888,
                election_port: 3888
            }]
        );
        assert_eq!(s.client_address, None);
        assert_eq!(s.learner_type, LearnerType::Participant);
    }

    #[test]
    fn observer_with_client_port_only_binds_wildcard() {
        let s = server("zk4:2888:3888:observer;2181");
        assert_eq!(s.learner_type, LearnerType::Observer);
        assert_eq!(s.client_address, Some(HostPort::new("0.0.0.0", 2181)));
        assert_eq!(s.to_string(), "zk4:2888:3888:observer;0.0.0.0:2181");
    }

    #[test]
    fn client_host_and_port_after_semicolon() {
        let s = server("zk1:2888:3888:PARTICIPANT;10.0.0.1:2181");
        assert_eq!(s.client_address, Some(HostPort::new("10.0.0.1", 2181)));
        assert_eq!(s.learner_type, LearnerType::Participant);
    }

    #[test]
    fn ipv6_literals_in_brackets() {
        let s = server("[::1]:2888:3888;[::1]:2181");
        assert_eq!(s.primary().host, "::1");
        assert_eq!(s.client_address, Some(HostPort::new("::1", 2181)));
        assert_eq!(s.to_string(), "[::1]:2888:3888:participant;[::1]:2181");
        let s = server("[fe80::1%eth0]:2888:3888:observer");
        assert_eq!(s.primary().host, "fe80::1%eth0");
        assert_eq!(s.learner_type, LearnerType::Observer);
    }

    #[test]
    fn multi_address_needs_the_feature_flag() {
        let err = QuorumServer::parse(3, "a:2888:3888|b:2888:3888", false).unwrap_err();
        assert!(
            err.contains("Multiple address feature is disabled"),
            "{err}"
        );
        assert!(err.contains("sid 3"), "{err}");
        let s =
            QuorumServer::parse(3, "a:2888:3888|[::2]:2889:3889:participant;2181", true).unwrap();
        assert_eq!(s.addresses.len(), 2);
        assert_eq!(s.addresses[1].election(), HostPort::new("::2", 3889));
        assert_eq!(
            s.to_string(),
            "a:2888:3888|[::2]:2889:3889:participant;0.0.0.0:2181"
        );
    }

    #[test]
    fn trailing_semicolon_is_ignored_like_java_split() {
        assert_eq!(server("zk1:2888:3888;").client_address, None);
    }

    #[test]
    fn malformed_server_lines_are_rejected_with_zookeepers_messages() {
        let cases = [
            ("host:2888", "does not have the form"),
            ("host:2888:3888:observer:x", "does not have the form"),
            ("host:2888:3888;2181;2182", "does not have the form"),
            ("host:2888:3888;a:b:c", "does not have the form"),
            ("host:2888:2888", "must be different"),
            ("host:2888:3888:weird", "Unrecognised peertype"),
            ("host:abc:3888", "Address unresolved"),
            ("host:2888:99999", "out of range"),
            ("host:2888:3888;x", "Address unresolved"),
            ("[::1:2888:3888", "no matching"),
            ("[::1]:", "doesn't have a port"),
            (":2888:3888", "empty host"),
            ("", "does not have the form"),
            (";2181", "does not have the form"),
            ("a:1:2:observer|b:3:4:participant", "similar roles"),
        ];
        for (value, expected) in cases {
            let err = QuorumServer::parse(1, value, true).unwrap_err();
            assert!(err.contains(expected), "{value:?}: {err}");
        }
    }

    #[test]
    fn mode_follows_quorum_peer_main() {
        let mut q = QuorumConfig::default();
        assert_eq!(q.mode(true), ServerMode::Standalone);
        q.servers.insert(1, server("a:1:2"));
        assert_eq!(q.mode(true), ServerMode::Standalone);
        assert_eq!(q.mode(false), ServerMode::Quorum);
        q.servers
            .insert(2, QuorumServer::parse(2, "b:1:2", false).unwrap());
        assert_eq!(q.mode(true), ServerMode::Quorum);
    }

    #[test]
    fn observers_need_a_quorum() {
        let mut q = QuorumConfig::default();
        q.servers.insert(1, server("a:1:2"));
        q.servers
            .insert(2, QuorumServer::parse(2, "b:1:2:observer", false).unwrap());
        assert!(q
            .validate(true)
            .unwrap_err()
            .contains("Observers w/o quorum"));
        q.servers.remove(&1);
        assert!(q
            .validate(true)
            .unwrap_err()
            .contains("Observers w/o participants"));
    }

    #[test]
    fn groups_assign_default_weights_and_reject_overlaps() {
        let mut q = QuorumConfig::default();
        for id in 1..=3 {
            q.servers
                .insert(id, QuorumServer::parse(id, "h:1:2", false).unwrap());
        }
        q.groups.insert(1, vec![1, 2]);
        q.groups.insert(2, vec![3]);
        q.weights.insert(2, 5);
        q.validate(true).unwrap();
        assert_eq!(q.weights, BTreeMap::from([(1, 1), (2, 5), (3, 1)]));
        q.groups.insert(3, vec![3]);
        assert!(q.validate(true).unwrap_err().contains("multiple groups"));
        q.groups.remove(&3);
        q.groups.remove(&2);
        assert!(q
            .validate(true)
            .unwrap_err()
            .contains("Server 3 is not in a group"));
    }

    #[test]
    fn literal_addresses_resolve_without_dns() {
        assert_eq!(
            HostPort::new("127.0.0.1", 2181).to_socket_addr().unwrap(),
            "127.0.0.1:2181".parse().unwrap()
        );
        assert_eq!(
            HostPort::new("::1", 2181).to_socket_addr().unwrap(),
            "[::1]:2181".parse().unwrap()
        );
        assert_eq!(
            HostPort::wildcard(0).to_socket_addr().unwrap(),
            "0.0.0.0:0".parse().unwrap()
        );
    }

    #[test]
    fn wildcard_detection() {
        assert!(HostPort::wildcard(1).is_wildcard());
        assert!(HostPort::new("::", 1).is_wildcard());
        assert!(!HostPort::new("127.0.0.1", 1).is_wildcard());
        assert!(!HostPort::new("zk1", 1).is_wildcard());
    }
}
