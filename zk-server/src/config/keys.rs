//! The table of keys we honour: where Apache reads each one from, and how its value is parsed.
//!
//! Each entry's `apply` parses a trimmed value exactly as the Java code that reads the key
//! does (see [`super::value`]) and stores it in the configuration under construction. Cross-key
//! rules (defaults derived from `tickTime`, `dataLogDir` defaulting to `dataDir`, client
//! address resolution) happen afterwards, in [`super::parse`].

use std::path::PathBuf;
use std::time::Duration;

use super::parse::{Parser, Setting};
use super::quorum::LearnerType;
use super::settings::SnapshotCompression;
use super::value::{
    decode_int, decode_long, parse_int, parse_long, parse_port, strict_bool, LenientBool,
};
use super::whitelist::FourLetterWhitelist;

/// Stores one setting; `Err` is the reason the value was rejected.
pub(super) type Apply = fn(&mut Parser<'_>, &Setting) -> Result<(), String>;

/// Where Apache ZooKeeper reads a key from; decides how `zoo.cfg` and `-D` flags combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    /// `QuorumPeerConfig` reads it from `zoo.cfg`; a `-D` flag has no effect.
    File,
    /// Read as the system property `zookeeper.<key>`, which a `zoo.cfg` line overwrites.
    SysProp,
    /// Like `SysProp`, and Apache also falls back to these property names.
    SysPropAlso(&'static [&'static str]),
    /// Read only as these property names (highest priority first), so a `zoo.cfg` line is dead
    /// in Apache: the flag wins, the file line is our extension.
    Unprefixed(&'static [&'static str]),
}

/// One key we honour.
pub(super) struct Key {
    /// The key as written in `zoo.cfg`.
    pub name: &'static str,
    /// Where Apache reads it from.
    pub scope: Scope,
    /// Parses and stores the value.
    pub apply: Apply,
}

impl Key {
    /// The `-D` property names that set this key, highest priority first.
    pub fn sysprop_names(&self) -> Vec<String> {
        match self.scope {
            Scope::File => Vec::new(),
            Scope::SysProp => vec![format!("zookeeper.{}", self.name)],
            Scope::SysPropAlso(more) => std::iter::once(format!("zookeeper.{}", self.name))
                .chain(more.iter().map(|s| (*s).to_owned()))
                .collect(),
            Scope::Unprefixed(names) => names.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// Whether a `zoo.cfg` line beats a `-D` flag for this key.
    pub fn file_wins(&self) -> bool {
        !matches!(self.scope, Scope::Unprefixed(_))
    }
}

/// Looks a key up by its exact (case-sensitive, as in Java) name.
pub(super) fn find(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}

/// A key whose name matches `name` ignoring case, for "did you mean" hints.
pub(super) fn suggest(name: &str) -> Option<&'static str> {
    KEYS.iter()
        .find(|k| k.name.eq_ignore_ascii_case(name))
        .map(|k| k.name)
}

fn non_negative(n: i64) -> Result<i64, String> {
    if n < 0 {
        Err("must not be negative".to_owned())
    } else {
        Ok(n)
    }
}

fn file_u32(v: &str) -> Result<u32, String> {
    Ok(non_negative(parse_int(v)?.into())? as u32)
}

fn positive(n: i64, what: &str) -> Result<i64, String> {
    if n <= 0 {
        Err(format!("must be a positive {what}"))
    } else {
        Ok(n)
    }
}

fn path(v: &str) -> Result<PathBuf, String> {
    if v.is_empty() {
        Err("must not be empty".to_owned())
    } else {
        Ok(PathBuf::from(v))
    }
}

/// A boolean that Java reads leniently: keep Java's answer, warn if the spelling is not one
/// the Java code expects (e.g. `forceSync=false` keeps fsync ON in Apache too).
fn lenient(p: &mut Parser<'_>, s: &Setting, kind: LenientBool) -> bool {
    let (on, canonical) = kind.read(&s.value);
    if !canonical {
        p.warn(
            s,
            format!(
                "{:?} is read as {} exactly as Apache ZooKeeper reads it; write {}={} or {}={} to be explicit",
                s.value,
                kind.canonical(on),
                s.key,
                kind.canonical(true),
                s.key,
                kind.canonical(false)
            ),
        );
    }
    on
}

/// `autopurge.purgeInterval`: hours, or with a `ms`/`s`/`m`/`h`/`d` suffix (ZooKeeper 3.10
/// syntax, accepted here too). Zero or negative disables purging.
fn purge_interval(v: &str) -> Result<Option<Duration>, String> {
    let (digits, unit_ms): (&str, u64) = if let Some(d) = v.strip_suffix("ms") {
        (d, 1)
    } else if let Some(d) = v.strip_suffix('s') {
        (d, 1000)
    } else if let Some(d) = v.strip_suffix('m') {
        (d, 60_000)
    } else if let Some(d) = v.strip_suffix('h') {
        (d, 3_600_000)
    } else if let Some(d) = v.strip_suffix('d') {
        (d, 86_400_000)
    } else {
        (v, 3_600_000)
    };
    let n = parse_long(digits).map_err(|_| {
        "expected a number of hours, optionally with a ms, s, m, h or d suffix".to_owned()
    })?;
    if n <= 0 {
        return Ok(None);
    }
    let ms = (n as u64)
        .checked_mul(unit_ms)
        .ok_or_else(|| "interval too large".to_owned())?;
    Ok(Some(Duration::from_millis(ms)))
}

/// Every key we honour. Order does not matter; cross-key rules run after all keys are read.
pub(super) static KEYS: &[Key] = &[
    // --- Read by QuorumPeerConfig from zoo.cfg -------------------------------------------
    Key {
        name: "dataDir",
        scope: Scope::File,
        apply: |p, s| {
            p.cfg.data_dir = path(&s.value)?;
            p.raw.data_dir = Some(s.origin.clone());
            Ok(())
        },
    },
    Key {
        name: "dataLogDir",
        scope: Scope::File,
        apply: |p, s| {
            p.raw.data_log_dir = Some(path(&s.value)?);
            Ok(())
        },
    },
    Key {
        name: "clientPort",
        scope: Scope::File,
        apply: |p, s| {
            p.raw.client_port = Some((parse_port(&s.value)?, s.origin.clone()));
            Ok(())
        },
    },
    Key {
        name: "clientPortAddress",
        scope: Scope::File,
        apply: |p, s| {
            p.raw.client_port_address = Some((s.value.clone(), s.origin.clone()));
            Ok(())
        },
    },
    Key {
        name: "secureClientPort",
        scope: Scope::File,
        apply: |p, s| {
            p.raw.secure_client_port = Some((parse_port(&s.value)?, s.origin.clone()));
            Ok(())
        },
    },
    Key {
        name: "secureClientPortAddress",
        scope: Scope::File,
        apply: |p, s| {
            p.raw.secure_client_port_address = Some((s.value.clone(), s.origin.clone()));
            Ok(())
        },
    },
    Key {
        name: "observerMasterPort",
        scope: Scope::File,
        apply: |p, s| {
            let n = parse_int(&s.value)?;
            p.cfg.quorum.observer_master_port = if n <= 0 {
                None
            } else {
                Some(parse_port(&s.value)?)
            };
            Ok(())
        },
    },
    Key {
        name: "clientPortListenBacklog",
        scope: Scope::File,
        apply: |p, s| {
            let n = parse_int(&s.value)?;
            p.cfg.client_port_listen_backlog = u32::try_from(n).ok().filter(|&n| n > 0);
            Ok(())
        },
    },
    Key {
        name: "tickTime",
        scope: Scope::File,
        apply: |p, s| {
            p.cfg.tick_time_ms =
                positive(parse_int(&s.value)?.into(), "number of milliseconds")? as u32;
            Ok(())
        },
    },
    Key {
        name: "maxClientCnxns",
        scope: Scope::File,
        apply: |p, s| {
            p.cfg.max_client_cnxns = file_u32(&s.value)?;
            Ok(())
        },
    },
    Key {
        name: "minSessionTimeout",
        scope: Scope::File,
        apply: |p, s| {
            p.raw.min_session_timeout = session_timeout(s)?;
            Ok(())
        },
    },
    Key {
        name: "maxSessionTimeout",
        scope: Scope::File,
        apply: |p, s| {
            p.raw.max_session_timeout = session_timeout(s)?;
            Ok(())
        },
    },
    Key {
        name: "initLimit",
        scope: Scope::File,
        apply: |p, s| {
            p.cfg.init_limit_ticks = file_u32(&s.value)?;
            Ok(())
        },
    },
    Key {
        name: "syncLimit",
        scope: Scope::File,
        apply: |p, s| {
            p.cfg.sync_limit_ticks = file_u32(&s.value)?;
            Ok(())
        },
    },
    Key {
        name: "connectToLearnerMasterLimit",
        scope: Scope::File,
        apply: |p, s| {
            p.cfg.connect_to_learner_master_limit_ticks = file_u32(&s.value)?;
            Ok(())
        },
    },
    Key {
        name: "electionAlg",
        scope: Scope::File,
        apply: |p, s| {
            if parse_int(&s.value)? != 3 {
                return Err("Invalid electionAlg value. Only 3 is supported.".to_owned());
            }
            p.cfg.quorum.election_alg = 3;
            Ok(())
        },
    },
    Key {
        name: "quorumListenOnAllIPs",
        scope: Scope::File,
        apply: |p, s| {
            p.cfg.quorum.listen_on_all_ips = strict_bool(&s.value)?;
            Ok(())
        },
    },
    Key {
        name: "peerType",
        scope: Scope::File,
        apply: |p, s| {
            p.cfg.peer_type = LearnerType::parse(&s.value)?;
            p.raw.peer_type = Some(s.origin.clone());
            Ok(())
        },
    },
    Key {
        name: "syncEnabled",
        scope: Scope::File,
        apply: |p, s| {
            p.cfg.quorum.sync_enabled = strict_bool(&s.value)?;
            Ok(())
        },
    },
    Key {
        name: "dynamicConfigFile",
        scope: Scope::File,
        apply: |p, s| {
            p.cfg.dynamic_config_file = Some(path(&s.value)?);
            p.raw.dynamic_config_file = Some(s.origin.clone());
            Ok(())
        },
    },
    Key {
        name: "autopurge.snapRetainCount",
        scope: Scope::File,
        apply: |p, s| {
            let n = parse_int(&s.value)?;
            if n < 3 {
                p.warn(
                    s,
                    format!(
                        "Invalid autopurge.snapRetainCount: {n}. Defaulting to 3 (the minimum)"
                    ),
                );
            }
            p.cfg.autopurge_snap_retain_count = n.max(3) as u32;
            Ok(())
        },
    },
    Key {
        name: "autopurge.purgeInterval",
        scope: Scope::File,
        apply: |p, s| {
            p.cfg.autopurge_purge_interval = purge_interval(&s.value)?;
            Ok(())
        },
    },
    Key {
        name: "standaloneEnabled",
        scope: Scope::File,
        apply: |p, s| {
            p.cfg.standalone_enabled = strict_bool(&s.value)?;
            Ok(())
        },
    },
    Key {
        name: "reconfigEnabled",
        scope: Scope::File,
        apply: |p, s| {
            p.cfg.reconfig_enabled = strict_bool(&s.value)?;
            Ok(())
        },
    },
    Key {
        name: "localSessionsEnabled",
        scope: Scope::File,
        apply: |p, s| {
            p.cfg.local_sessions_enabled = strict_bool(&s.value)?;
            Ok(())
        },
    },
    Key {
        name: "localSessionsUpgradingEnabled",
        scope: Scope::File,
        apply: |p, s| {
            p.cfg.local_sessions_upgrading_enabled = strict_bool(&s.value)?;
            Ok(())
        },
    },
    // Read from zoo.cfg by QuorumPeerConfig and as a system property by QuorumServer.
    Key {
        name: "multiAddress.enabled",
        scope: Scope::SysProp,
        apply: |p, s| {
            p.cfg.quorum.multi_address_enabled = strict_bool(&s.value)?;
            Ok(())
        },
    },
    // --- System properties zookeeper.<key> (a zoo.cfg line sets them) --------------------
    Key {
        name: "maxCnxns",
        scope: Scope::SysProp,
        apply: |p, s| {
            let n = decode_int(&s.value)?;
            if n < 0 {
                p.warn(s, "maxCnxns should be greater than or equal to 0, using default value 0 (unlimited)");
            }
            p.cfg.max_cnxns = n.max(0) as u32;
            Ok(())
        },
    },
    Key {
        name: "globalOutstandingLimit",
        scope: Scope::SysProp,
        apply: |p, s| {
            p.cfg.global_outstanding_limit =
                positive(decode_int(&s.value)?.into(), "number of requests")? as u32;
            Ok(())
        },
    },
    Key {
        name: "snapCount",
        scope: Scope::SysProp,
        apply: |p, s| {
            let n = decode_int(&s.value)?;
            if n < 2 {
                p.warn(
                    s,
                    "SnapCount should be 2 or more. Now, snapCount is reset to 2",
                );
            }
            p.cfg.snap_count = n.max(2) as u32;
            Ok(())
        },
    },
    Key {
        name: "snapSizeLimitInKb",
        scope: Scope::SysProp,
        apply: |p, s| {
            let n = decode_long(&s.value)?;
            p.cfg.snap_size_limit_kb = u64::try_from(n).ok().filter(|&n| n > 0);
            Ok(())
        },
    },
    Key {
        name: "txnLogSizeLimitInKb",
        scope: Scope::SysProp,
        apply: |p, s| {
            let n = decode_long(&s.value)?;
            p.cfg.txn_log_size_limit_kb = u64::try_from(n).ok().filter(|&n| n > 0);
            Ok(())
        },
    },
    Key {
        name: "preAllocSize",
        scope: Scope::SysProp,
        apply: |p, s| {
            p.cfg.pre_alloc_size_kb = non_negative(parse_long(&s.value)?)? as u64;
            Ok(())
        },
    },
    Key {
        name: "forceSync",
        scope: Scope::SysProp,
        apply: |p, s| {
            p.cfg.force_sync = lenient(p, s, LenientBool::UnlessNo);
            Ok(())
        },
    },
    Key {
        name: "fsync.warningthresholdms",
        scope: Scope::SysPropAlso(&["fsync.warningthresholdms"]),
        apply: |p, s| {
            p.cfg.fsync_warning_threshold_ms = non_negative(decode_long(&s.value)?)? as u64;
            Ok(())
        },
    },
    Key {
        name: "4lw.commands.whitelist",
        scope: Scope::SysProp,
        apply: |p, s| {
            let (whitelist, unknown) = FourLetterWhitelist::parse(&s.value);
            if !unknown.is_empty() {
                p.warn(
                    s,
                    format!(
                        "not four-letter words ZooKeeper knows (typo?): {}",
                        unknown.join(", ")
                    ),
                );
            }
            p.cfg.four_letter_words = whitelist;
            Ok(())
        },
    },
    Key {
        name: "extendedTypesEnabled",
        scope: Scope::SysProp,
        apply: |p, s| {
            p.cfg.extended_types_enabled = lenient(p, s, LenientBool::TrueIgnoreCase);
            Ok(())
        },
    },
    Key {
        name: "DigestAuthenticationProvider.superDigest",
        scope: Scope::SysProp,
        apply: |p, s| {
            if !s.value.contains(':') {
                p.warn(s, "expected <user>:<base64 SHA-1 digest> (for example super:<digest>); no client can match this");
            }
            p.cfg.super_digest = Some(s.value.clone()).filter(|v| !v.is_empty());
            Ok(())
        },
    },
    Key {
        name: "skipACL",
        scope: Scope::SysProp,
        apply: |p, s| {
            p.cfg.skip_acl = lenient(p, s, LenientBool::OnlyYes);
            if p.cfg.skip_acl {
                p.warn(
                    s,
                    "ACL checks are disabled: every client may read and change every znode",
                );
            }
            Ok(())
        },
    },
    Key {
        name: "leaderServes",
        scope: Scope::SysProp,
        apply: |p, s| {
            p.cfg.leader_serves = lenient(p, s, LenientBool::UnlessNo);
            Ok(())
        },
    },
    Key {
        name: "electionPortBindRetry",
        scope: Scope::SysProp,
        apply: |p, s| {
            let n = decode_int(&s.value)?;
            if n < 0 {
                p.warn(s, "negative electionPortBindRetry; using the default 3");
            }
            p.cfg.quorum.election_port_bind_retry = if n < 0 { 3 } else { n as u32 };
            Ok(())
        },
    },
    Key {
        name: "tcpKeepAlive",
        scope: Scope::SysProp,
        apply: |p, s| {
            p.cfg.tcp_keep_alive = lenient(p, s, LenientBool::TrueIgnoreCase);
            Ok(())
        },
    },
    Key {
        name: "clientTcpKeepAlive",
        scope: Scope::SysProp,
        apply: |p, s| {
            p.cfg.client_tcp_keep_alive = lenient(p, s, LenientBool::TrueIgnoreCase);
            Ok(())
        },
    },
    Key {
        name: "snapshot.compression.method",
        scope: Scope::SysProp,
        apply: |p, s| {
            p.cfg.snapshot_compression = SnapshotCompression::parse(&s.value)?;
            Ok(())
        },
    },
    Key {
        name: "cnxTimeout",
        scope: Scope::SysProp,
        apply: |p, s| {
            p.cfg.quorum.cnx_timeout_ms =
                positive(parse_int(&s.value)?.into(), "number of milliseconds")? as u32;
            Ok(())
        },
    },
    Key {
        name: "admin.enableServer",
        scope: Scope::SysProp,
        apply: |p, s| {
            p.cfg.admin.enabled = lenient(p, s, LenientBool::UnlessFalse);
            p.raw.admin = Some(s.origin.clone());
            Ok(())
        },
    },
    Key {
        name: "admin.serverAddress",
        scope: Scope::SysProp,
        apply: |p, s| {
            p.cfg.admin.address = s.value.clone();
            p.raw.admin = Some(s.origin.clone());
            Ok(())
        },
    },
    Key {
        name: "admin.serverPort",
        scope: Scope::SysProp,
        apply: |p, s| {
            let n = decode_int(&s.value)?;
            p.cfg.admin.port =
                u16::try_from(n).map_err(|_| format!("port out of range: {n} (0..=65535)"))?;
            p.raw.admin = Some(s.origin.clone());
            Ok(())
        },
    },
    Key {
        name: "admin.commandURL",
        scope: Scope::SysProp,
        apply: |p, s| {
            p.cfg.admin.command_url = s.value.clone();
            p.raw.admin = Some(s.origin.clone());
            Ok(())
        },
    },
    // --- System properties Apache reads without the zookeeper. prefix --------------------
    Key {
        name: "jute.maxbuffer",
        scope: Scope::Unprefixed(&["jute.maxbuffer", "zookeeper.jute.maxbuffer"]),
        apply: |p, s| {
            p.cfg.jute_max_buffer_bytes =
                positive(decode_int(&s.value)?.into(), "number of bytes")? as u32;
            Ok(())
        },
    },
    Key {
        name: "znode.container.checkIntervalMs",
        scope: Scope::Unprefixed(&[
            "znode.container.checkIntervalMs",
            "zookeeper.znode.container.checkIntervalMs",
        ]),
        apply: |p, s| {
            p.cfg.container.check_interval_ms =
                positive(decode_int(&s.value)?.into(), "number of milliseconds")? as u32;
            Ok(())
        },
    },
    Key {
        name: "znode.container.maxPerMinute",
        scope: Scope::Unprefixed(&[
            "znode.container.maxPerMinute",
            "zookeeper.znode.container.maxPerMinute",
        ]),
        apply: |p, s| {
            p.cfg.container.max_per_minute =
                positive(decode_int(&s.value)?.into(), "number")? as u32;
            Ok(())
        },
    },
    Key {
        name: "znode.container.maxNeverUsedIntervalMs",
        scope: Scope::Unprefixed(&[
            "znode.container.maxNeverUsedIntervalMs",
            "zookeeper.znode.container.maxNeverUsedIntervalMs",
        ]),
        apply: |p, s| {
            p.cfg.container.max_never_used_interval_ms =
                non_negative(decode_long(&s.value)?)? as u64;
            Ok(())
        },
    },
];

/// `minSessionTimeout` / `maxSessionTimeout`: -1 (or absent) means derived from `tickTime`.
fn session_timeout(s: &Setting) -> Result<Option<(u32, super::Origin)>, String> {
    match parse_int(&s.value)? {
        -1 => Ok(None),
        n if n < 0 => {
            Err("must be -1 (derived from tickTime) or a number of milliseconds".to_owned())
        }
        n => Ok(Some((n as u32, s.origin.clone()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purge_interval_is_hours_by_default_and_accepts_suffixes() {
        assert_eq!(purge_interval("1"), Ok(Some(Duration::from_secs(3600))));
        assert_eq!(purge_interval("0"), Ok(None));
        assert_eq!(purge_interval("-1"), Ok(None));
        assert_eq!(purge_interval("30m"), Ok(Some(Duration::from_secs(1800))));
        assert_eq!(
            purge_interval("500ms"),
            Ok(Some(Duration::from_millis(500)))
        );
        assert_eq!(purge_interval("2d"), Ok(Some(Duration::from_secs(172_800))));
        assert_eq!(purge_interval("10s"), Ok(Some(Duration::from_secs(10))));
        assert!(purge_interval("1w").is_err());
        assert!(purge_interval("h").is_err());
    }

    #[test]
    fn key_names_are_unique() {
        let mut names: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }

    #[test]
    fn sysprop_names_follow_the_scope() {
        assert!(find("tickTime").unwrap().sysprop_names().is_empty());
        assert_eq!(
            find("snapCount").unwrap().sysprop_names(),
            ["zookeeper.snapCount"]
        );
        assert_eq!(
            find("fsync.warningthresholdms").unwrap().sysprop_names(),
            [
                "zookeeper.fsync.warningthresholdms",
                "fsync.warningthresholdms"
            ]
        );
        let jute = find("jute.maxbuffer").unwrap();
        assert_eq!(
            jute.sysprop_names(),
            ["jute.maxbuffer", "zookeeper.jute.maxbuffer"]
        );
        assert!(!jute.file_wins());
    }
}
