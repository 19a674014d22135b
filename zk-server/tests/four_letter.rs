//! Four-letter words on the client port, in Apache ZooKeeper 3.8's formats, and the
//! `4lw.commands.whitelist` policy (ours allows ruok, srvr, mntr and isro by default).

mod common;

use common::*;
use zk_proto::CreateMode;
use zk_server::config::FourLetterWhitelist;

#[test]
fn default_whitelist_answers_health_checks_and_refuses_the_rest() {
    let server = TestServer::start_with(|c| c.four_letter_words = FourLetterWhitelist::default());
    assert_eq!(
        server.four_letter("ruok"),
        "imok",
        "exactly four bytes, no newline"
    );
    assert_eq!(server.four_letter("isro"), "rw");
    assert!(server.four_letter("srvr").contains("\nMode: standalone\n"));
    let mntr = server.four_letter("mntr");
    assert_eq!(
        mntr_value(&mntr, "server_state").as_deref(),
        Some("standalone")
    );
    for word in [
        "stat", "cons", "conf", "wchs", "dump", "envi", "crst", "srst",
    ] {
        assert_eq!(
            server.four_letter(word),
            format!("{word} is not executed because it is not in the whitelist.\n")
        );
    }
}

#[test]
fn srvr_is_always_allowed_because_zk_server_sh_status_needs_it() {
    let server =
        TestServer::start_with(|c| c.four_letter_words = FourLetterWhitelist::parse("ruok").0);
    assert!(server.four_letter("srvr").contains("Mode: standalone"));
    assert_eq!(
        server.four_letter("mntr"),
        "mntr is not executed because it is not in the whitelist.\n"
    );
}

#[test]
fn srvr_and_stat_report_counts_in_apaches_layout() {
    let server = TestServer::start();
    let mut c = server.client();
    c.ok(&create("/a", b""));
    c.ok(&create_mode("/a/e", b"", CreateMode::Ephemeral));
    let srvr = server.four_letter("srvr");
    let lines: Vec<&str> = srvr.lines().collect();
    assert!(lines[0].starts_with("Zookeeper version: 3.8."), "{srvr}");
    let keys: Vec<&str> = lines
        .iter()
        .map(|l| l.split(':').next().unwrap_or(""))
        .collect();
    assert_eq!(
        keys,
        [
            "Zookeeper version",
            "Latency min/avg/max",
            "Received",
            "Sent",
            "Connections",
            "Outstanding",
            "Zxid",
            "Mode",
            "Node count"
        ]
    );
    assert!(srvr.contains("\nConnections: 1\n"));
    assert!(
        srvr.contains("\nZxid: 0x3\n"),
        "createSession, /a, /a/e: {srvr}"
    );
    // Apache counts the root twice: /, /zookeeper, /zookeeper/quota, /zookeeper/config, /a,
    // /a/e, plus one.
    assert!(srvr.ends_with("\nNode count: 7\n"), "{srvr}");

    let stat = server.four_letter("stat");
    assert!(stat.contains("\nClients:\n /127.0.0.1:"), "{stat}");
    assert!(stat.contains("\nMode: standalone\n"));
}

#[test]
fn cons_lists_each_connection_with_its_session() {
    let server = TestServer::start();
    let mut c = server.client();
    c.ok(&get_data("/", false));
    let cons = server.four_letter("cons");
    let line = cons.lines().next().expect("one connection");
    let sid = format!("sid=0x{:x},", c.session_id().0);
    assert!(line.starts_with(" /127.0.0.1:"), "{line}");
    assert!(line.contains("[1](queued=0,recved="), "{line}");
    assert!(line.contains(&sid), "{line}");
    assert!(line.contains(",lop=GETD,"), "{line}");
    assert!(line.contains(",to=60000,"), "{line}");
    // avglat is an integer in Apache (ServerCnxn.getAvgLatency is a long).
    let avglat = line
        .split(",avglat=")
        .nth(1)
        .and_then(|r| r.split(',').next());
    assert!(avglat.is_some_and(|v| v.parse::<i64>().is_ok()), "{line}");
    assert!(line.ends_with(')'));
    assert!(cons.ends_with(")\n\n"), "cons ends with a blank line");
}

#[test]
fn conf_lists_the_settings_apache_prints() {
    let server = TestServer::start();
    let conf = server.four_letter("conf");
    let keys: Vec<&str> = conf
        .lines()
        .map(|l| l.split('=').next().unwrap_or(""))
        .collect();
    assert_eq!(
        keys,
        [
            "clientPort",
            "secureClientPort",
            "dataDir",
            "dataDirSize",
            "dataLogDir",
            "dataLogSize",
            "tickTime",
            "maxClientCnxns",
            "minSessionTimeout",
            "maxSessionTimeout",
            "clientPortListenBacklog",
            "serverId"
        ]
    );
    assert!(conf.contains(&format!("clientPort={}\n", server.addr.port())));
    assert!(conf.contains("\ntickTime=50\n"));
    assert!(conf.contains(&format!(
        "\ndataDir={}\n",
        server.data_dir().join("version-2").display()
    )));
}

#[test]
fn mntr_reports_gauges_as_tab_separated_lines() {
    let server = TestServer::start();
    let mut c = server.client();
    c.ok(&create_mode("/e1", b"abc", CreateMode::Ephemeral));
    c.ok(&create_mode("/e2", b"", CreateMode::Ephemeral));
    c.ok(&get_data("/e1", true));
    let mntr = server.four_letter("mntr");
    assert!(
        mntr.lines()
            .all(|l| l.starts_with("zk_") && l.contains('\t')),
        "{mntr}"
    );
    assert!(mntr.starts_with("zk_version\t3.8."));
    let value = |k: &str| mntr_value(&mntr, k).unwrap_or_else(|| panic!("no zk_{k}"));
    assert_eq!(value("server_state"), "standalone");
    assert_eq!(value("ephemerals_count"), "2");
    assert_eq!(value("watch_count"), "1");
    assert_eq!(value("num_alive_connections"), "1");
    assert_eq!(value("global_sessions"), "1");
    assert_eq!(value("znode_count"), "7");
    assert_eq!(value("outstanding_requests"), "0");
    for gauge in [
        "avg_latency",
        "max_latency",
        "min_latency",
        "packets_received",
        "packets_sent",
        "uptime",
        "approximate_data_size",
        "open_file_descriptor_count",
        "max_file_descriptor_count",
        "local_sessions",
        "last_client_response_size",
        "outstanding_tls_handshake",
    ] {
        value(gauge);
    }
}

#[test]
fn watch_words_summarise_data_watches_by_connection_and_path() {
    let server = TestServer::start();
    let mut c = server.client();
    c.ok(&create("/x", b""));
    c.ok(&get_data("/x", true));
    c.ok(&get_children("/x", true));
    // Like Apache, wchs, wchc and wchp cover the data-watch table.
    assert_eq!(
        server.four_letter("wchs"),
        "1 connections watching 1 paths\nTotal watches:1\n"
    );
    let sid = format!("0x{:x}", c.session_id().0);
    assert_eq!(server.four_letter("wchc"), format!("{sid}\n\t/x\n\n"));
    assert_eq!(server.four_letter("wchp"), format!("/x\n\t{sid}\n\n"));
}

#[test]
fn other_words_answer_in_their_formats() {
    let server = TestServer::start();
    let mut c = server.client();
    c.ok(&create_mode("/eph", b"", CreateMode::Ephemeral));
    assert_eq!(server.four_letter("isro"), "rw");
    let dirs = server.four_letter("dirs");
    assert!(
        dirs.starts_with("datadir_size: ") && dirs.contains("\nlogdir_size: "),
        "{dirs}"
    );
    assert!(server
        .four_letter("envi")
        .starts_with("Environment:\nzookeeper.version=3.8."));
    let dump = server.four_letter("dump");
    assert!(dump.starts_with("SessionTracker dump:\n"), "{dump}");
    assert!(
        dump.contains(&format!("0x{:x}:\n\t/eph\n", c.session_id().0)),
        "{dump}"
    );
    assert_eq!(server.four_letter("crst"), "Connection stats reset.\n");
    assert_eq!(server.four_letter("srst"), "Server stats reset.\n");
    assert!(
        server.four_letter("srvr").contains("\nReceived: 0\n"),
        "srst reset the counters"
    );
}

#[test]
fn unknown_four_bytes_are_a_length_and_close_the_connection() {
    let server = TestServer::start();
    let mut c = RawClient::open(server.addr);
    c.send_bytes(b"abcd");
    assert!(c.expect_closed().is_empty());
    assert_eq!(server.four_letter("ruok"), "imok");
}
