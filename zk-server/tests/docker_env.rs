//! The binary started like the official Docker image: no argument, `ZOO_*` variables set. It
//! must write zoo.cfg and myid the way the image's entrypoint does and serve from them.

mod common;

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn zoo_variables_without_a_config_argument_generate_zoo_cfg_and_serve() {
    let dir = tempfile::tempdir().unwrap();
    let (conf, data, datalog) = (
        dir.path().join("conf"),
        dir.path().join("data"),
        dir.path().join("datalog"),
    );
    for d in [&conf, &data, &datalog] {
        std::fs::create_dir_all(d).unwrap();
    }
    let port = common::free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_zk-server"))
        .env("ZOO_CONF_DIR", &conf)
        .env("ZOO_DATA_DIR", &data)
        .env("ZOO_DATA_LOG_DIR", &datalog)
        .env("ZOO_MY_ID", "3")
        .env(
            "ZOO_SERVERS",
            format!("server.3=localhost:2888:3888;127.0.0.1:{port}"),
        )
        .env("ZOO_4LW_COMMANDS_WHITELIST", "ruok,srvr")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut answer = None;
    while Instant::now() < deadline {
        answer = common::four_letter_opt(addr, "ruok");
        if answer.as_deref() == Some("imok") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(answer.as_deref(), Some("imok"));
    let zoo_cfg = std::fs::read_to_string(conf.join("zoo.cfg")).unwrap();
    assert!(
        zoo_cfg.contains(&format!("dataDir={}", data.display())),
        "{zoo_cfg}"
    );
    assert!(
        zoo_cfg.contains("4lw.commands.whitelist=ruok,srvr"),
        "{zoo_cfg}"
    );
    assert_eq!(
        std::fs::read_to_string(data.join("myid")).unwrap().trim(),
        "3"
    );
}
