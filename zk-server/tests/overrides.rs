//! `-D` flags in `SERVER_JVMFLAGS` / `JVMFLAGS` and how they combine with `zoo.cfg`.

use zk_server::config::{
    FourLetterWhitelist, JvmOverrides, Origin, ServerConfig, SnapshotCompression,
};

const BASE: &str = "dataDir=/nonexistent\nclientPort=2181\n";

fn flags(server_jvmflags: &str, jvmflags: &str) -> JvmOverrides {
    JvmOverrides::from_vars([
        ("SERVER_JVMFLAGS", server_jvmflags),
        ("JVMFLAGS", jvmflags),
        ("PATH", "/bin"),
    ])
}

fn parse(text: &str, overrides: &JvmOverrides) -> ServerConfig {
    ServerConfig::parse_str(text, "zoo.cfg", overrides).unwrap()
}

fn flag_origin(variable: &str, property: &str) -> Origin {
    Origin::JvmFlag {
        variable: variable.to_owned(),
        property: property.to_owned(),
    }
}

#[test]
fn sysprop_only_keys_come_from_jvm_flags_as_users_of_the_docker_image_pass_them() {
    let o = flags(
        "-Xmx512m -XX:+UseG1GC -Djute.maxbuffer=4194304 -Dzookeeper.4lw.commands.whitelist=* \
         -Dzookeeper.extendedTypesEnabled=true -Dzookeeper.DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU= \
         -Dzookeeper.snapshot.compression.method=snappy -Dzookeeper.forceSync=no -Dzookeeper.snapCount=5000 \
         -Dzookeeper.maxCnxns=100 -Dznode.container.checkIntervalMs=1000 -Dzookeeper.electionPortBindRetry=0 \
         -Dcom.sun.management.jmxremote -Dlog4j.configuration=file:/conf/log4j.properties",
        "",
    );
    let c = parse(BASE, &o);
    assert_eq!(c.jute_max_buffer_bytes, 4_194_304);
    assert_eq!(c.four_letter_words, FourLetterWhitelist::All);
    assert!(c.extended_types_enabled);
    assert_eq!(
        c.super_digest.as_deref(),
        Some("super:D/InIHSb7yEEbrWz8b9l71RjZJU=")
    );
    assert_eq!(c.snapshot_compression, SnapshotCompression::Snappy);
    assert!(!c.force_sync);
    assert_eq!(
        (c.snap_count, c.max_cnxns, c.container.check_interval_ms),
        (5000, 100, 1000)
    );
    assert_eq!(c.quorum.election_port_bind_retry, 0);
    // -Xmx, -XX and non-ZooKeeper properties are ignored silently.
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn zoo_cfg_line_beats_the_flag_for_sysprop_keys_as_in_apache() {
    let o = flags("-Dzookeeper.snapCount=5000 -Dzookeeper.skipACL=yes", "");
    let c = parse(&format!("{BASE}snapCount=20000\nskipACL=no\n"), &o);
    assert_eq!(c.snap_count, 20_000);
    assert!(!c.skip_acl);
    let w: Vec<_> = c.warnings.iter().filter(|w| w.key == "snapCount").collect();
    assert_eq!(w.len(), 1);
    assert_eq!(
        w[0].origin,
        flag_origin("SERVER_JVMFLAGS", "zookeeper.snapCount")
    );
    assert!(
        w[0].message.contains("zoo.cfg:3 sets \"20000\" and wins"),
        "{}",
        w[0].message
    );
    // The same value twice is not worth a warning.
    let c = parse(
        &format!("{BASE}snapCount=5000\n"),
        &flags("-Dzookeeper.snapCount=5000", ""),
    );
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn flag_beats_zoo_cfg_for_keys_apache_never_reads_from_zoo_cfg() {
    // Apache turns a jute.maxbuffer line into zookeeper.jute.maxbuffer, which nothing reads;
    // the -Djute.maxbuffer flag is what Apache really used.
    let c = parse(
        &format!("{BASE}jute.maxbuffer=2097152\n"),
        &flags("-Djute.maxbuffer=8388608", ""),
    );
    assert_eq!(c.jute_max_buffer_bytes, 8_388_608);
    let w: Vec<_> = c
        .warnings
        .iter()
        .filter(|w| w.key == "jute.maxbuffer")
        .collect();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].origin, Origin::line("zoo.cfg", 3));
    // Without a flag, the zoo.cfg line applies (Apache would ignore it).
    let c = parse(
        &format!("{BASE}jute.maxbuffer=2097152\n"),
        &JvmOverrides::new(),
    );
    assert_eq!(c.jute_max_buffer_bytes, 2_097_152);
    // The unprefixed name is Apache's; the prefixed one is accepted but loses to it.
    let c = parse(
        BASE,
        &flags("-Dzookeeper.jute.maxbuffer=100 -Djute.maxbuffer=200", ""),
    );
    assert_eq!(c.jute_max_buffer_bytes, 200);
    let c = parse(BASE, &flags("-Dzookeeper.jute.maxbuffer=100", ""));
    assert_eq!(c.jute_max_buffer_bytes, 100);
}

#[test]
fn jvmflags_wins_over_server_jvmflags_and_the_last_flag_wins() {
    let o = flags(
        "-Dzookeeper.snapCount=1000 -Dzookeeper.maxCnxns=5 -Dzookeeper.maxCnxns=6",
        "-Dzookeeper.snapCount=3000",
    );
    let c = parse(BASE, &o);
    assert_eq!(c.snap_count, 3000);
    assert_eq!(c.max_cnxns, 6);
}

#[test]
fn fsync_threshold_prefers_the_prefixed_property_like_file_txn_log() {
    let c = parse(
        BASE,
        &flags(
            "-Dfsync.warningthresholdms=10 -Dzookeeper.fsync.warningthresholdms=20",
            "",
        ),
    );
    assert_eq!(c.fsync_warning_threshold_ms, 20);
    let c = parse(BASE, &flags("-Dfsync.warningthresholdms=10", ""));
    assert_eq!(c.fsync_warning_threshold_ms, 10);
}

#[test]
fn flags_for_keys_apache_reads_only_from_zoo_cfg_have_no_effect_and_warn() {
    let c = parse(
        &format!("{BASE}tickTime=2000\n"),
        &flags("-Dzookeeper.tickTime=500 -Dzookeeper.server.1=a:1:2", ""),
    );
    assert_eq!(c.tick_time_ms, 2000);
    assert!(c.quorum.servers.is_empty());
    let keys: Vec<&str> = c.warnings.iter().map(|w| w.key.as_str()).collect();
    assert_eq!(keys, ["tickTime", "zookeeper.server.1"]);
    assert!(
        c.warnings
            .iter()
            .all(|w| w.message.contains("has no effect")),
        "{:?}",
        c.warnings
    );
}

#[test]
fn jvm_only_and_unknown_flags_warn_and_are_ignored() {
    let o = flags(
        "-Dzookeeper.serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory \
         -Djava.security.auth.login.config=/conf/jaas.conf -Dzookeeper.authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider \
         -Dzookeeper.ssl.keyStore.location=/k.jks -Dzookeeper.noSuchThing=1 -Dzookeeper.admin.serverPort=9999",
        "",
    );
    let c = parse(BASE, &o);
    let keys: Vec<&str> = c.warnings.iter().map(|w| w.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "java.security.auth.login.config",
            "zookeeper.authProvider.1",
            "zookeeper.noSuchThing",
            "zookeeper.serverCnxnFactory",
            "zookeeper.ssl.keyStore.location",
            "admin.*",
        ]
    );
    assert_eq!(c.admin.port, 9999);
}

#[test]
fn malformed_flag_value_is_an_error_naming_the_flag_and_variable() {
    let o = flags("", "-Dzookeeper.snapCount=lots");
    let e = ServerConfig::parse_str(BASE, "zoo.cfg", &o).unwrap_err();
    assert_eq!(e.to_string(), "-Dzookeeper.snapCount in $JVMFLAGS: invalid value \"lots\" for snapCount: expected an integer");
    let o = flags("-Djute.maxbuffer=0", "");
    let e = ServerConfig::parse_str(BASE, "zoo.cfg", &o)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(
            "-Djute.maxbuffer in $SERVER_JVMFLAGS: invalid value \"0\" for jute.maxbuffer"
        ),
        "{e}"
    );
}

#[test]
fn embedded_default_takes_overrides_too() {
    let c = ServerConfig::embedded(&flags(
        "-Djute.maxbuffer=0x200000 -Dzookeeper.4lw.commands.whitelist=ruok",
        "",
    ))
    .unwrap();
    assert_eq!(c.jute_max_buffer_bytes, 0x200000);
    assert!(c.four_letter_words.is_enabled("ruok") && c.four_letter_words.is_enabled("srvr"));
    assert!(!c.four_letter_words.is_enabled("mntr"));
    assert_eq!(c.config_path, None);
    assert_eq!(c.client_address, ServerConfig::default().client_address);
}
