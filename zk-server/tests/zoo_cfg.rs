//! `zoo.cfg` as users write it: Apache's sample, quorum configurations, IPv6, the Java
//! properties syntax, defaults derived from `tickTime`, and every error path.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use zk_server::config::{
    ConfigWarning, FourLetterWhitelist, HostPort, JvmOverrides, LearnerType, Origin, ServerConfig,
    ServerMode, SnapshotCompression,
};
use zk_server::Error;

fn parse(text: &str) -> Result<ServerConfig, Error> {
    ServerConfig::parse_str(text, "zoo.cfg", &JvmOverrides::new())
}

fn err(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

fn warnings<'a>(config: &'a ServerConfig, key: &str) -> Vec<&'a ConfigWarning> {
    config.warnings.iter().filter(|w| w.key == key).collect()
}

/// `conf/zoo_sample.cfg` of Apache ZooKeeper 3.8, verbatim.
const ZOO_SAMPLE_CFG: &str = "\
# The number of milliseconds of each tick
tickTime=2000
# The number of ticks that the initial 
# synchronization phase can take
initLimit=10
# The number of ticks that can pass between 
# sending a request and getting an acknowledgement
syncLimit=5
# the directory where the snapshot is stored.
# do not use /tmp for storage, /tmp here is just 
# example sakes.
dataDir=/tmp/zookeeper
# the port at which the clients will connect
clientPort=2181
# the maximum number of client connections.
# increase this if you need to handle more clients
#maxClientCnxns=60
#
# Be sure to read the maintenance section of the 
# administrator guide before turning on autopurge.
#
# https://zookeeper.apache.org/doc/current/zookeeperAdmin.html#sc_maintenance
#
# The number of snapshots to retain in dataDir
#autopurge.snapRetainCount=3
# Purge task interval in hours
# Set to \"0\" to disable auto purge feature
#autopurge.purgeInterval=1

## Metrics Providers
#
# https://prometheus.io Metrics Exporter
#metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider
#metricsProvider.httpHost=0.0.0.0
#metricsProvider.httpPort=7000
#metricsProvider.exportJvmInfo=true
";

#[test]
fn apache_sample_cfg_is_a_standalone_server_with_apache_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    // A private dataDir, so that a stray /tmp/zookeeper/myid cannot change the outcome.
    let text = ZOO_SAMPLE_CFG.replace("/tmp/zookeeper", &data);
    let c = parse(&text).unwrap();
    assert_eq!(c.mode(), ServerMode::Standalone);
    assert_eq!(
        (c.tick_time_ms, c.init_limit_ticks, c.sync_limit_ticks),
        (2000, 10, 5)
    );
    assert_eq!(c.data_dir, Path::new(&data));
    assert_eq!(c.data_log_dir, c.data_dir);
    assert_eq!(c.client_address, Some(HostPort::new("0.0.0.0", 2181)));
    assert_eq!(
        (c.min_session_timeout_ms, c.max_session_timeout_ms),
        (4000, 40_000)
    );
    assert_eq!(
        (c.max_client_cnxns, c.max_cnxns, c.global_outstanding_limit),
        (60, 0, 1000)
    );
    assert_eq!(
        (c.snap_count, c.pre_alloc_size_kb, c.snap_size_limit_kb),
        (100_000, 65_536, Some(4_194_304))
    );
    assert_eq!(c.autopurge_snap_retain_count, 3);
    // Ours: purging is on unless disabled.
    assert_eq!(c.autopurge_purge_interval, Some(Duration::from_secs(3600)));
    assert_eq!(c.four_letter_words, FourLetterWhitelist::default());
    assert_eq!(c.jute_max_buffer_bytes, 0xfffff);
    assert!(
        c.force_sync
            && c.leader_serves
            && c.standalone_enabled
            && !c.reconfig_enabled
            && !c.skip_acl
    );
    assert_eq!(c.my_id, None);
    assert_eq!(c.config_path.as_deref(), Some(Path::new("zoo.cfg")));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn session_timeouts_derive_from_tick_time() {
    let c = parse("dataDir=/nonexistent\nclientPort=2181\ntickTime=3000\n").unwrap();
    assert_eq!(
        (c.min_session_timeout_ms, c.max_session_timeout_ms),
        (6000, 60_000)
    );
    // No tickTime at all: Apache's built-in 3000.
    let c = parse("dataDir=/nonexistent\nclientPort=2181\n").unwrap();
    assert_eq!(
        (
            c.tick_time_ms,
            c.min_session_timeout_ms,
            c.max_session_timeout_ms
        ),
        (3000, 6000, 60_000)
    );
    let c = parse("dataDir=/nonexistent\nclientPort=2181\ntickTime=500\nminSessionTimeout=-1\nmaxSessionTimeout=300000\n").unwrap();
    assert_eq!(
        (c.min_session_timeout_ms, c.max_session_timeout_ms),
        (1000, 300_000)
    );
}

#[test]
fn min_session_timeout_above_max_names_both_and_the_derivation() {
    let e = err("dataDir=/nonexistent\nclientPort=2181\ntickTime=2000\nminSessionTimeout=100000\n");
    assert!(
        e.starts_with("zoo.cfg:4: minSessionTimeout must not be larger than maxSessionTimeout"),
        "{e}"
    );
    assert!(
        e.contains("maxSessionTimeout=40000 (derived as 20 × tickTime 2000)"),
        "{e}"
    );
}

#[test]
fn embedded_default_equals_its_zoo_cfg_text() {
    let embedded = ServerConfig::embedded(&JvmOverrides::new()).unwrap();
    assert_eq!(embedded, ServerConfig::default());
    let d = ServerConfig::default();
    assert_eq!(d.client_address, Some(HostPort::new("127.0.0.1", 2181)));
    assert_eq!(d.data_dir, Path::new("./zk-data"));
    assert_eq!(d.tick_time_ms, 2000);
    assert_eq!(d.mode(), ServerMode::Standalone);
}

const QUORUM: &str = "\
tickTime=2000
initLimit=10
syncLimit=5
dataDir=DATA
clientPort=2181
server.1=zk1.example.com:2888:3888;2181
server.2=zk2.example.com:2888:3888:participant;10.0.0.2:2181
server.3=zk3.example.com:2888:3888
server.4=zk4.example.com:2888:3888:observer;2181
";

fn quorum_with_myid(myid: &str, extra: &str) -> (tempfile::TempDir, Result<ServerConfig, Error>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("myid"), myid).unwrap();
    let text = QUORUM.replace("DATA", &dir.path().display().to_string()) + extra;
    let result = parse(&text);
    (dir, result)
}

#[test]
fn three_participants_and_an_observer_form_a_quorum() {
    let (_dir, c) = quorum_with_myid("3\n", "");
    let c = c.unwrap();
    assert_eq!(c.mode(), ServerMode::Quorum);
    assert_eq!(c.my_id, Some(3));
    assert_eq!(
        c.quorum.participants().map(|s| s.id).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(c.quorum.observers().map(|s| s.id).collect::<Vec<_>>(), [4]);
    // server.3 has no ;port, so the static clientPort applies.
    assert_eq!(c.client_address, Some(HostPort::new("0.0.0.0", 2181)));
    assert_eq!(c.peer_type, LearnerType::Participant);
    let s2 = &c.quorum.servers[&2];
    assert_eq!(s2.client_address, Some(HostPort::new("10.0.0.2", 2181)));
    assert_eq!(
        s2.primary().quorum(),
        HostPort::new("zk2.example.com", 2888)
    );
    assert_eq!(
        s2.primary().election(),
        HostPort::new("zk2.example.com", 3888)
    );
    assert_eq!(
        c.quorum.servers[&3].to_string(),
        "zk3.example.com:2888:3888:participant"
    );
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn own_server_line_supplies_client_address_and_role() {
    let (_dir, c) = quorum_with_myid("2", "");
    assert_eq!(
        c.unwrap().client_address,
        Some(HostPort::new("10.0.0.2", 2181))
    );
    let (_dir, c) = quorum_with_myid("4", "");
    let c = c.unwrap();
    assert_eq!(c.peer_type, LearnerType::Observer);
    assert_eq!(c.my_server().unwrap().learner_type, LearnerType::Observer);
    // An explicit peerType that contradicts the line is corrected with a warning, as in Apache.
    let (_dir, c) = quorum_with_myid("4", "peerType=participant\n");
    let c = c.unwrap();
    assert_eq!(c.peer_type, LearnerType::Observer);
    assert_eq!(warnings(&c, "peerType").len(), 1);
}

#[test]
fn static_client_port_must_agree_with_own_server_line() {
    let (_dir, c) = quorum_with_myid("2", "clientPort=2182\n");
    let e = c.unwrap_err().to_string();
    assert!(
        e.contains("zoo.cfg:10: client address for this server (id = 2)"),
        "{e}"
    );
    assert!(
        e.contains("0.0.0.0:2182") && e.contains("10.0.0.2:2181"),
        "{e}"
    );
}

#[test]
fn quorum_mode_requires_limits_and_a_listed_myid() {
    let dir = tempfile::tempdir().unwrap();
    let text = QUORUM.replace("DATA", &dir.path().display().to_string());
    let e = parse(&text).unwrap_err().to_string();
    assert!(
        e.contains("myid file is missing") && e.contains("(one of 1, 2, 3, 4)"),
        "{e}"
    );
    let (_dir, c) = quorum_with_myid("9", "");
    assert!(c.unwrap_err().to_string().contains("myid 9"));
    let (_dir, c) = quorum_with_myid("1", "initLimit=0\n");
    assert!(c.unwrap_err().to_string().contains("initLimit is not set"));
    let no_sync = QUORUM
        .replace("syncLimit=5\n", "")
        .replace("DATA", "/nonexistent");
    assert!(err(&no_sync).contains("syncLimit is not set"));
}

#[test]
fn single_server_line_runs_standalone_unless_standalone_is_disabled() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("myid"), "1\n").unwrap();
    let base = format!(
        "dataDir={}\ninitLimit=5\nsyncLimit=2\nserver.1=localhost:2888:3888;2181\n",
        dir.path().display()
    );
    let c = parse(&base).unwrap();
    assert_eq!(c.mode(), ServerMode::Standalone);
    assert_eq!(c.client_address, Some(HostPort::new("0.0.0.0", 2181)));
    let c = parse(&format!("{base}standaloneEnabled=false\n")).unwrap();
    assert_eq!(c.mode(), ServerMode::Quorum);
}

#[test]
fn even_or_tiny_ensembles_warn() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("myid"), "1").unwrap();
    let text = format!(
        "dataDir={}\ninitLimit=5\nsyncLimit=2\nserver.1=a:1:2\nserver.2=b:1:2\n",
        dir.path().display()
    );
    let c = parse(&text).unwrap();
    assert!(warnings(&c, "server.N")[0]
        .message
        .contains("No server failure will be tolerated"));
}

#[test]
fn ipv6_hosts_in_brackets() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("myid"), "1").unwrap();
    let text = format!(
        "dataDir={}\ninitLimit=5\nsyncLimit=2\nserver.1=[::1]:2888:3888;[::1]:2181\nserver.2=[::1]:2889:3889\nserver.3=[fe80::2]:2888:3888:observer\n",
        dir.path().display()
    );
    let c = parse(&text).unwrap();
    assert_eq!(c.mode(), ServerMode::Quorum);
    assert_eq!(c.client_address, Some(HostPort::new("::1", 2181)));
    assert_eq!(c.client_address.unwrap().to_string(), "[::1]:2181");
    assert_eq!(
        c.quorum.servers[&2].primary().election().to_string(),
        "[::1]:3889"
    );
    let c = parse("dataDir=/nonexistent\nclientPort=2181\nclientPortAddress=[::1]\n").unwrap();
    assert_eq!(c.client_address, Some(HostPort::new("::1", 2181)));
    let c = parse("dataDir=/nonexistent\nclientPort=2181\nclientPortAddress=::\n").unwrap();
    assert!(c.client_address.unwrap().is_wildcard());
}

#[test]
fn java_properties_syntax_of_real_files() {
    let text = "! exclamation comment\r\n  tickTime 2500\r\ndataDir:/nonexistent\r\nclientPort = 2181   \r\n\
                4lw.commands.whitelist=ruok, \\\r\n       stat, \\\r\n       mntr\r\n";
    let c = parse(text).unwrap();
    assert_eq!(c.tick_time_ms, 2500);
    assert_eq!(c.data_dir, Path::new("/nonexistent"));
    assert_eq!(c.client_address, Some(HostPort::wildcard(2181)));
    assert!(c.four_letter_words.is_enabled("stat") && c.four_letter_words.is_enabled("mntr"));
    assert!(!c.four_letter_words.is_enabled("isro"));
}

#[test]
fn every_value_error_names_file_line_key_and_value() {
    let cases = [
        ("tickTime=abc", "tickTime", "expected a decimal integer"),
        ("tickTime=0", "tickTime", "positive"),
        (
            "standaloneEnabled=yes",
            "standaloneEnabled",
            "choose 'true' or 'false'",
        ),
        (
            "reconfigEnabled=1",
            "reconfigEnabled",
            "choose 'true' or 'false'",
        ),
        ("server.1=host:2888", "server.1", "does not have the form"),
        ("server.x=host:2888:3888", "server.x", "server id"),
        (
            "server.1=a:2888:3888|b:2888:3888",
            "server.1",
            "Multiple address feature is disabled",
        ),
        ("clientPort=99999", "clientPort", "port out of range"),
        ("electionAlg=1", "electionAlg", "Only 3 is supported"),
        ("peerType=leader", "peerType", "Unrecognised peertype"),
        (
            "maxClientCnxns=-5",
            "maxClientCnxns",
            "must not be negative",
        ),
        ("minSessionTimeout=-2", "minSessionTimeout", "must be -1"),
        (
            "snapshot.compression.method=zstd",
            "snapshot.compression.method",
            "gz or snappy",
        ),
        (
            "jute.maxbuffer=big",
            "jute.maxbuffer",
            "expected an integer",
        ),
        ("snapCount=1e5", "snapCount", "expected an integer"),
        (
            "globalOutstandingLimit=0",
            "globalOutstandingLimit",
            "positive",
        ),
        (
            "autopurge.purgeInterval=weekly",
            "autopurge.purgeInterval",
            "hours",
        ),
        ("preAllocSize=0x10", "preAllocSize", "decimal"),
        ("group.1=1:x", "group.1", "server ids separated by ':'"),
        ("weight.1=-1", "weight.1", "must not be negative"),
        (
            "multiAddress.enabled=on",
            "multiAddress.enabled",
            "choose 'true' or 'false'",
        ),
        ("cnxTimeout=0", "cnxTimeout", "positive"),
    ];
    for (line, key, reason) in cases {
        let value = line.split_once('=').unwrap().1;
        let e = err(&format!(
            "dataDir=/nonexistent\nclientPort=2181\n# a comment\n{line}\n"
        ));
        let expected = format!("zoo.cfg:4: invalid value {value:?} for {key}: ");
        assert!(e.starts_with(&expected), "{line}: {e}");
        assert!(e.contains(reason), "{line}: {e}");
    }
}

#[test]
fn whole_file_errors_name_the_file_and_the_relevant_line() {
    let cases = [
        ("clientPort=2181\n", "zoo.cfg: dataDir is not set"),
        ("dataDir=/nonexistent\n", "zoo.cfg: no client port"),
        ("dataDir=/nonexistent\nclientPortAddress=127.0.0.1\n", "zoo.cfg:2: clientPortAddress is set but clientPort is not set"),
        (
            "dataDir=/nonexistent\nsecureClientPortAddress=::1\nclientPort=1\n",
            "zoo.cfg:2: secureClientPortAddress is set but secureClientPort is not set",
        ),
        ("dataDir=/nonexistent\nclientPort=1\nkey=\\u00zz\n", "zoo.cfg:3: malformed \\uXXXX escape"),
        (
            "dataDir=/nonexistent\nclientPort=1\ndynamicConfigFile=/nonexistent/zoo.cfg.dynamic\nserver.1=a:1:2\n",
            "zoo.cfg:4: parameter: server.1 must be in a separate dynamic config file",
        ),
        ("dataDir=/nonexistent\nclientPort=1\nserver.1=a:1:2\nserver.2=b:1:2:observer\n", "Observers w/o quorum"),
        ("dataDir=/nonexistent\nclientPort=1\nstandaloneEnabled=false\n", "number of participants should be >0"),
        ("dataDir=/nonexistent\nclientPort=1\ngroup.1=1\nserver.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2\n", "Server 2 is not in a group"),
    ];
    for (text, expected) in cases {
        let e = err(text);
        assert!(e.contains(expected), "{text:?}: {e}");
    }
}

#[test]
fn missing_file_is_an_io_error_naming_the_path() {
    let e = ServerConfig::from_file("/nonexistent/conf/zoo.cfg", &JvmOverrides::new()).unwrap_err();
    assert!(matches!(e, Error::Io { .. }));
    assert!(
        e.to_string()
            .starts_with("cannot access /nonexistent/conf/zoo.cfg: "),
        "{e}"
    );
}

#[test]
fn from_file_reads_the_file_and_names_it_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zoo.cfg");
    std::fs::write(
        &path,
        format!(
            "dataDir={}\nclientPort=2181\nsnapCount=many\n",
            dir.path().display()
        ),
    )
    .unwrap();
    let e = ServerConfig::from_file(&path, &JvmOverrides::new()).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}:3: invalid value \"many\" for snapCount: expected an integer",
            path.display()
        )
    );
    std::fs::write(
        &path,
        format!("dataDir={}\nclientPort=2181\n", dir.path().display()),
    )
    .unwrap();
    let c = ServerConfig::from_file(&path, &JvmOverrides::new()).unwrap();
    assert_eq!(c.config_path.as_deref(), Some(path.as_path()));
}

#[test]
fn bad_myid_is_a_clear_error_even_standalone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("myid"), "replace this text with the id\n").unwrap();
    let e = parse(&format!(
        "dataDir={}\nclientPort=2181\n",
        dir.path().display()
    ))
    .unwrap_err();
    assert!(matches!(e, Error::MyId { .. }));
    assert!(
        e.to_string()
            .contains("invalid server id \"replace this text with the id\""),
        "{e}"
    );
}

#[test]
fn extended_types_limit_server_ids_to_254() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("myid"), "255").unwrap();
    let text = format!(
        "dataDir={}\nclientPort=2181\nextendedTypesEnabled=true\n",
        dir.path().display()
    );
    assert!(parse(&text)
        .unwrap_err()
        .to_string()
        .contains("Cannot be larger than 254"));
}

#[test]
fn dynamic_config_file_holds_the_servers_and_its_name_the_version() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("myid"), "1").unwrap();
    let dynamic = dir.path().join("zoo.cfg.dynamic.100000000");
    std::fs::write(&dynamic, "server.1=a:2888:3888:participant;0.0.0.0:2181\nserver.2=b:2888:3888:participant;2181\nserver.3=c:2888:3888;2181\n").unwrap();
    let text = format!(
        "dataDir={}\ninitLimit=5\nsyncLimit=2\nreconfigEnabled=true\ndynamicConfigFile={}\n",
        dir.path().display(),
        dynamic.display()
    );
    let c = parse(&text).unwrap();
    assert_eq!(c.mode(), ServerMode::Quorum);
    assert_eq!(c.quorum.version, 0x1_0000_0000);
    assert_eq!(c.quorum.servers.len(), 3);
    assert_eq!(c.client_address, Some(HostPort::wildcard(2181)));
    assert_eq!(c.dynamic_config_file.as_deref(), Some(dynamic.as_path()));
    std::fs::write(&dynamic, "server.1=a:2888:3888\ntickTime=2000\n").unwrap();
    let e = parse(&text).unwrap_err().to_string();
    assert_eq!(
        e,
        format!("{}:2: Unrecognised parameter: tickTime", dynamic.display())
    );
}

#[test]
fn hierarchical_groups_and_weights() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("myid"), "1").unwrap();
    let mut text = format!(
        "dataDir={}\ninitLimit=5\nsyncLimit=2\n",
        dir.path().display()
    );
    for id in 1..=6 {
        text += &format!("server.{id}=zk{id}:2888:3888\n");
    }
    text += "group.1=1:2:3\ngroup.2=4:5:6\nweight.1=3\nweight.4=0\n";
    let c = parse(&text).unwrap();
    assert!(c.quorum.is_hierarchical());
    assert_eq!(c.quorum.groups[&2], [4, 5, 6]);
    assert_eq!(
        (
            c.quorum.weights[&1],
            c.quorum.weights[&2],
            c.quorum.weights[&4]
        ),
        (3, 1, 0)
    );
}

#[test]
fn autopurge_is_on_by_default_and_zero_disables_it() {
    let base = "dataDir=/nonexistent\nclientPort=2181\n";
    assert_eq!(
        parse(base).unwrap().autopurge_purge_interval,
        Some(Duration::from_secs(3600))
    );
    assert_eq!(
        parse(&format!("{base}autopurge.purgeInterval=0\n"))
            .unwrap()
            .autopurge_purge_interval,
        None
    );
    assert_eq!(
        parse(&format!("{base}autopurge.purgeInterval=24\n"))
            .unwrap()
            .autopurge_purge_interval,
        Some(Duration::from_secs(86_400))
    );
    let c = parse(&format!("{base}autopurge.snapRetainCount=1\n")).unwrap();
    assert_eq!(c.autopurge_snap_retain_count, 3);
    assert!(warnings(&c, "autopurge.snapRetainCount")[0]
        .message
        .contains("Defaulting to 3"));
}

#[test]
fn four_letter_word_whitelist_forms() {
    let base = "dataDir=/nonexistent\nclientPort=2181\n";
    let c = parse(&format!("{base}4lw.commands.whitelist=*\n")).unwrap();
    assert_eq!(c.four_letter_words, FourLetterWhitelist::All);
    let c = parse(&format!("{base}4lw.commands.whitelist=stat, rouk\n")).unwrap();
    assert_eq!(
        c.four_letter_words,
        FourLetterWhitelist::Only(BTreeSet::from([
            "stat".into(),
            "rouk".into(),
            "srvr".into()
        ]))
    );
    assert!(warnings(&c, "4lw.commands.whitelist")[0]
        .message
        .contains("rouk"));
}

#[test]
fn sysprop_keys_in_zoo_cfg_use_javas_number_and_boolean_rules() {
    let text = "dataDir=/nonexistent\nclientPort=2181\njute.maxbuffer=0x400000\nsnapCount=010\nforceSync=no\n\
                skipACL=yes\nextendedTypesEnabled=TRUE\nleaderServes=no\nsnapshot.compression.method=GZ\n\
                snapSizeLimitInKb=-1\ntxnLogSizeLimitInKb=1024\nmaxCnxns=-3\nfsync.warningthresholdms=50\n\
                DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=\n\
                znode.container.checkIntervalMs=5000\nclientTcpKeepAlive=true\n";
    let c = parse(text).unwrap();
    assert_eq!(c.jute_max_buffer_bytes, 0x400000);
    assert_eq!(
        c.snap_count, 8,
        "Integer.getInteger reads a leading 0 as octal"
    );
    assert!(
        !c.force_sync
            && c.skip_acl
            && c.extended_types_enabled
            && !c.leader_serves
            && c.client_tcp_keep_alive
    );
    assert_eq!(c.snapshot_compression, SnapshotCompression::Gz);
    assert_eq!(
        (c.snap_size_limit_kb, c.txn_log_size_limit_kb),
        (None, Some(1024))
    );
    assert_eq!((c.max_cnxns, c.fsync_warning_threshold_ms), (0, 50));
    assert_eq!(
        c.super_digest.as_deref(),
        Some("super:D/InIHSb7yEEbrWz8b9l71RjZJU=")
    );
    assert_eq!(c.container.check_interval_ms, 5000);
    assert_eq!(warnings(&c, "skipACL").len(), 1);
    assert_eq!(warnings(&c, "maxCnxns").len(), 1);
}

#[test]
fn lenient_java_booleans_keep_javas_answer_and_warn() {
    let c =
        parse("dataDir=/nonexistent\nclientPort=2181\nforceSync=false\nskipACL=true\n").unwrap();
    // Apache fsyncs unless forceSync is exactly "no", and skips ACLs only for exactly "yes".
    assert!(c.force_sync);
    assert!(!c.skip_acl);
    let w = warnings(&c, "forceSync");
    assert_eq!(w.len(), 1);
    assert!(
        w[0].message.contains("read as yes") && w[0].message.contains("forceSync=no"),
        "{}",
        w[0].message
    );
    assert_eq!(w[0].origin, Origin::line("zoo.cfg", 3));
    assert_eq!(warnings(&c, "skipACL").len(), 1);
}

#[test]
fn jvm_only_unknown_and_unimplemented_keys_warn_once_each() {
    let text = "dataDir=/nonexistent\nclientPort=2181\nserverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory\n\
                ssl.keyStore.location=/k.jks\nssl.keyStore.password=x\nauthProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider\n\
                authProvider.2=org.apache.zookeeper.server.auth.DigestAuthenticationProvider\nsecureClientPort=2281\n\
                admin.enableServer=true\nadmin.serverPort=9090\nmetricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider\n\
                metricsProvider.httpPort=7000\nticktime=2000\nfoo.bar=1\nquorum.auth.enableSasl=true\njvm.pause.monitor=true\n";
    let c = parse(text).unwrap();
    let keys: Vec<&str> = c.warnings.iter().map(|w| w.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "serverCnxnFactory",
            "ssl.keyStore.location",
            "ssl.keyStore.password",
            "authProvider.1",
            "ticktime",
            "foo.bar",
            "quorum.auth.enableSasl",
            "jvm.pause.monitor",
            "secureClientPort",
            "admin.*",
            "metricsProvider.*",
        ]
    );
    assert!(warnings(&c, "ticktime")[0]
        .message
        .contains("did you mean tickTime?"));
    assert!(warnings(&c, "foo.bar")[0]
        .message
        .contains("zookeeper.foo.bar"));
    assert!(warnings(&c, "ssl.keyStore.location")[0]
        .message
        .contains("TLS is not supported"));
    assert_eq!(c.secure_client_address, Some(HostPort::wildcard(2281)));
    assert_eq!(c.admin.port, 9090);
    assert_eq!(c.metrics_provider.properties["httpPort"], "7000");
    assert_eq!(
        c.metrics_provider.class_name.as_deref(),
        Some("org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider")
    );
    // admin.enableServer=false silences the AdminServer warning.
    let c = parse(
        "dataDir=/nonexistent\nclientPort=2181\nadmin.enableServer=false\nadmin.serverPort=9090\n",
    )
    .unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn duplicate_keys_last_wins_with_a_warning() {
    let c = parse("dataDir=/nonexistent\nclientPort=2181\ntickTime=1000\ntickTime=4000\n").unwrap();
    assert_eq!(c.tick_time_ms, 4000);
    let w = warnings(&c, "tickTime");
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].origin, Origin::line("zoo.cfg", 4));
    assert!(w[0].message.contains("first on line 3"));
}
