//! The official Docker image's `ZOO_*` variables: the generated `zoo.cfg` and `myid` must be
//! byte-for-byte what its `docker-entrypoint.sh` (31z4/zookeeper-docker, 3.9.x) writes, and
//! must parse to the server the image would run.
//!
//! The expected texts below were captured by running the real entrypoint script with bash in
//! an environment holding the image's Dockerfile `ENV` defaults plus the variables shown.

use std::collections::BTreeMap;

use zk_server::config::{DockerEnv, HostPort, JvmOverrides, LearnerType, ServerConfig, ServerMode};

/// The Dockerfile's `ENV` block: present in every container of the official image.
const IMAGE_ENV: &[(&str, &str)] = &[
    ("ZOO_CONF_DIR", "/conf"),
    ("ZOO_DATA_DIR", "/data"),
    ("ZOO_DATA_LOG_DIR", "/datalog"),
    ("ZOO_LOG_DIR", "/logs"),
    ("ZOO_TICK_TIME", "2000"),
    ("ZOO_INIT_LIMIT", "5"),
    ("ZOO_SYNC_LIMIT", "2"),
    ("ZOO_AUTOPURGE_PURGEINTERVAL", "0"),
    ("ZOO_AUTOPURGE_SNAPRETAINCOUNT", "3"),
    ("ZOO_MAX_CLIENT_CNXNS", "60"),
    ("ZOO_STANDALONE_ENABLED", "true"),
    ("ZOO_ADMINSERVER_ENABLED", "true"),
];

fn image_env(extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    IMAGE_ENV
        .iter()
        .chain(extra)
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// `docker run zookeeper` with no variables of its own.
const ENTRYPOINT_DEFAULT_ZOO_CFG: &str = "dataDir=/data
dataLogDir=/datalog
tickTime=2000
initLimit=5
syncLimit=2
autopurge.snapRetainCount=3
autopurge.purgeInterval=0
maxClientCnxns=60
standaloneEnabled=true
admin.enableServer=true
server.1=localhost:2888:3888;2181
";

/// A three-node compose file with an observer, a whitelist and extra keys.
const ENTRYPOINT_ENSEMBLE_ZOO_CFG: &str = "dataDir=/data
dataLogDir=/datalog
tickTime=2000
initLimit=5
syncLimit=2
autopurge.snapRetainCount=3
autopurge.purgeInterval=24
maxClientCnxns=60
standaloneEnabled=true
admin.enableServer=true
server.1=zk1:2888:3888;2181
server.2=zk2:2888:3888;2181
server.3=zk3:2888:3888:observer;2181
4lw.commands.whitelist=ruok,stat
metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider
metricsProvider.httpPort=7000
";

fn ensemble_vars() -> [(&'static str, &'static str); 5] {
    [
        ("ZOO_MY_ID", "2"),
        ("ZOO_SERVERS", "server.1=zk1:2888:3888;2181 server.2=zk2:2888:3888;2181   server.3=zk3:2888:3888:observer;2181"),
        ("ZOO_4LW_COMMANDS_WHITELIST", "ruok,stat"),
        (
            "ZOO_CFG_EXTRA",
            "metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider metricsProvider.httpPort=7000",
        ),
        ("ZOO_AUTOPURGE_PURGEINTERVAL", "24"),
    ]
}

#[test]
fn default_container_gets_exactly_the_entrypoints_zoo_cfg_and_myid() {
    let env = DockerEnv::from_vars(&image_env(&[]));
    assert_eq!(env.zoo_cfg(), ENTRYPOINT_DEFAULT_ZOO_CFG);
    assert_eq!(env.myid(), "1\n");
}

#[test]
fn ensemble_container_gets_exactly_the_entrypoints_zoo_cfg_and_myid() {
    let env = DockerEnv::from_vars(&image_env(&ensemble_vars()));
    assert_eq!(env.zoo_cfg(), ENTRYPOINT_ENSEMBLE_ZOO_CFG);
    assert_eq!(env.myid(), "2\n");
}

#[test]
fn without_the_images_env_block_purging_defaults_on() {
    // Our own image sets no ZOO_AUTOPURGE_PURGEINTERVAL: the one deliberate difference.
    let env = DockerEnv::from_vars([("ZOO_DATA_DIR", "/data")]);
    let expected = ENTRYPOINT_DEFAULT_ZOO_CFG
        .replace("autopurge.purgeInterval=0", "autopurge.purgeInterval=1");
    assert_eq!(env.zoo_cfg(), expected);
}

#[test]
fn plan_writes_missing_files_once_and_never_overwrites() {
    let conf = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().display().to_string();
    let env = DockerEnv::from_vars(&image_env(&[
        ("ZOO_DATA_DIR", &data_dir),
        ("ZOO_MY_ID", "3"),
    ]));
    let plan = env.plan(conf.path());
    assert_eq!(plan.zoo_cfg_path, conf.path().join("zoo.cfg"));
    assert_eq!(plan.myid_path, data.path().join("myid"));
    assert!(plan.write().unwrap());
    let written = std::fs::read_to_string(conf.path().join("zoo.cfg")).unwrap();
    assert!(written.starts_with(&format!("dataDir={data_dir}\n")));
    assert_eq!(
        std::fs::read_to_string(data.path().join("myid")).unwrap(),
        "3\n"
    );

    // Second start: both exist, nothing is planned or written.
    let again = env.plan(conf.path());
    assert_eq!(
        (again.zoo_cfg.as_deref(), again.myid.as_deref()),
        (None, None)
    );
    assert!(!again.write().unwrap());

    // A user-provided zoo.cfg is kept; only the missing myid is written.
    std::fs::write(conf.path().join("zoo.cfg"), "# mine\n").unwrap();
    std::fs::remove_file(data.path().join("myid")).unwrap();
    let plan = env.plan(conf.path());
    assert_eq!(plan.zoo_cfg, None);
    assert_eq!(plan.myid.as_deref(), Some("3\n"));
    plan.write().unwrap();
    assert_eq!(
        std::fs::read_to_string(conf.path().join("zoo.cfg")).unwrap(),
        "# mine\n"
    );
}

#[test]
fn default_container_config_runs_standalone_on_all_interfaces() {
    let conf = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let env = DockerEnv::from_vars(&image_env(&[(
        "ZOO_DATA_DIR",
        &data.path().display().to_string(),
    )]));
    env.plan(conf.path()).write().unwrap();
    let c = ServerConfig::from_file(conf.path().join("zoo.cfg"), &JvmOverrides::new()).unwrap();
    assert_eq!(c.mode(), ServerMode::Standalone);
    assert_eq!(c.my_id, Some(1));
    assert_eq!(c.client_address, Some(HostPort::wildcard(2181)));
    assert_eq!(
        (c.tick_time_ms, c.init_limit_ticks, c.sync_limit_ticks),
        (2000, 5, 2)
    );
    assert_eq!(
        c.autopurge_purge_interval, None,
        "the image's explicit 0 is honoured"
    );
    assert_eq!(c.data_log_dir, std::path::Path::new("/datalog"));
    // admin.enableServer=true is written by the image; the AdminServer is not implemented yet.
    let keys: Vec<&str> = c.warnings.iter().map(|w| w.key.as_str()).collect();
    assert_eq!(keys, ["admin.*"]);
}

#[test]
fn ensemble_container_config_is_a_quorum_member() {
    let conf = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut vars = ensemble_vars().to_vec();
    let data_dir = data.path().display().to_string();
    vars.push(("ZOO_DATA_DIR", &data_dir));
    let env = DockerEnv::from_vars(&image_env(&vars));
    env.plan(conf.path()).write().unwrap();
    let c = ServerConfig::from_file(conf.path().join("zoo.cfg"), &JvmOverrides::new()).unwrap();
    assert_eq!(c.mode(), ServerMode::Quorum);
    assert_eq!(c.my_id, Some(2));
    assert_eq!(c.client_address, Some(HostPort::wildcard(2181)));
    assert_eq!(c.quorum.servers[&3].learner_type, LearnerType::Observer);
    assert!(c.four_letter_words.is_enabled("stat") && !c.four_letter_words.is_enabled("mntr"));
    assert_eq!(c.metrics_provider.properties["httpPort"], "7000");
    assert_eq!(
        c.autopurge_purge_interval,
        Some(std::time::Duration::from_secs(24 * 3600))
    );
}
