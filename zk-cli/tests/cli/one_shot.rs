//! One-shot mode: exit statuses, errors on stderr, `-o json`, and the commands beyond zkCli
//! (tree, find, grep, watch, cluster status), against our server.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::harness::{one_shot, shared, zk_cli};

fn ok(address: &str, args: &[&str]) -> String {
    let run = one_shot(address, args);
    assert_eq!(run.code, 0, "{args:?} failed: {}", run.stderr);
    run.stdout
}

fn json(address: &str, args: &[&str]) -> Value {
    let stdout = ok(address, args);
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {stdout}"))
}

#[test]
fn one_shot_exits_zero_on_success_and_nonzero_on_failure() {
    let server = shared();
    let a = server.address();
    let a = a.as_str();
    let created = one_shot(a, &["create", "/exit-codes", "v"]);
    assert_eq!(
        (created.code, created.stderr.as_str()),
        (0, "Created /exit-codes\n")
    );
    assert_eq!(ok(a, &["get", "/exit-codes"]), "v\n");

    let missing = one_shot(a, &["get", "/exit-codes/none"]);
    assert_eq!(missing.code, 1);
    assert_eq!(missing.stdout, "", "errors go to stderr only");
    assert_eq!(missing.stderr, "Node does not exist: /exit-codes/none\n");

    let exists = one_shot(a, &["create", "/exit-codes"]);
    assert_eq!(
        (exists.code, exists.stderr.as_str()),
        (1, "Node already exists: /exit-codes\n")
    );

    let unknown = one_shot(a, &["bogus"]);
    assert_eq!(unknown.code, 127);
    assert!(unknown
        .stderr
        .ends_with("Command not found: Command not found bogus\n"));

    let usage = one_shot(a, &["ls"]);
    assert_eq!(
        (usage.code, usage.stderr.as_str()),
        (1, "ls [-s] [-w] [-R] path\n")
    );

    // zkCli exits 0 here although the quota was refused; we do not.
    let refused = one_shot(a, &["setquota", "-n", "0", "/exit-codes"]);
    assert_eq!(refused.code, 1);
    assert_eq!(refused.stderr, "the num quota must be greater than zero\n");

    let bad_version = one_shot(a, &["set", "-v", "7", "/exit-codes", "x"]);
    assert_eq!(bad_version.code, 1);
    assert_eq!(
        bad_version.stderr,
        "version No is not valid : /exit-codes\n"
    );
    assert_eq!(ok(a, &["deleteall", "/exit-codes"]), "");
}

#[test]
fn unreachable_server_fails_fast_with_nonzero_status() {
    let started = Instant::now();
    let run = zk_cli()
        .args(["-server", "127.0.0.1:1", "-timeout", "1500", "ls", "/"])
        .stdin(Stdio::null())
        .output()
        .expect("run zk-cli");
    assert_ne!(run.status.code(), Some(0));
    assert!(!run.stderr.is_empty());
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn json_output_of_read_commands_parses_back() {
    let server = shared();
    let a = server.address();
    let a = a.as_str();
    ok(a, &["create", "/json", "top"]);
    ok(a, &["create", "/json/b", "bee"]);
    ok(a, &["create", "/json/a", ""]);
    ok(a, &["set", "-b", "/json/a", "AAEC/w=="]);

    let ls = json(a, &["-o", "json", "ls", "-s", "/json"]);
    assert_eq!(ls["children"], serde_json::json!(["a", "b"]));
    assert_eq!(ls["stat"]["numChildren"], 2);
    let ls = json(a, &["ls", "-o", "json", "-R", "/json"]);
    assert_eq!(
        ls["paths"],
        serde_json::json!(["/json", "/json/a", "/json/b"])
    );

    let get = json(a, &["-o", "json", "get", "/json/b"]);
    assert_eq!(
        (get["data"].as_str(), get["stat"]["dataLength"].as_i64()),
        (Some("bee"), Some(3))
    );
    let binary = json(a, &["-o", "json", "get", "/json/a"]);
    assert_eq!(binary["data"], Value::Null, "not UTF-8");
    assert_eq!(binary["data_base64"], "AAEC/w==");
    assert_eq!(ok(a, &["get", "-b", "/json/a"]), "AAEC/w==\n");

    let stat = json(a, &["-o", "json", "stat", "/json"]);
    assert_eq!(
        (stat["numChildren"].as_i64(), stat["dataVersion"].as_i64()),
        (Some(2), Some(0))
    );
    assert!(stat["cZxid"].as_i64().unwrap() > 0);

    let acl = json(a, &["-o", "json", "getAcl", "/json"]);
    assert_eq!(
        acl["acl"],
        serde_json::json!([{ "scheme": "world", "id": "anyone", "perms": "cdrwa" }])
    );
    let count = json(a, &["-o", "json", "getAllChildrenNumber", "/json"]);
    assert_eq!(count["count"], 2);
    let ephemerals = json(a, &["-o", "json", "getEphemerals", "/json"]);
    assert_eq!(ephemerals["ephemerals"], serde_json::json!([]));
    let whoami = json(a, &["-o", "json", "whoami"]);
    assert_eq!(whoami["client_info"][0]["scheme"], "ip");
    let config = json(a, &["-o", "json", "config"]);
    assert!(config["config"].is_string() && config["servers"].is_array());
    let tree = json(a, &["-o", "json", "tree", "/json"]);
    assert_eq!(tree["children"][1]["name"], "b");
    assert_eq!(tree["children"][1]["size"], 3);
    let found = json(a, &["-o", "json", "find", "/json", "b$"]);
    assert_eq!(found["matches"], serde_json::json!(["/json/b"]));
    let grep = json(a, &["-o", "json", "grep", "ee", "/json"]);
    assert_eq!(
        grep["matches"],
        serde_json::json!([{ "path": "/json/b", "line": "bee" }])
    );
    let cluster = json(a, &["-o", "json", "cluster", "status"]);
    assert_eq!(cluster["members"][0]["server"], a);
    assert_eq!(cluster["members"][0]["mode"], "standalone");
    ok(a, &["deleteall", "/json"]);
}

#[test]
fn tree_find_and_grep_walk_the_subtree() {
    let server = shared();
    let a = server.address();
    let a = a.as_str();
    for (path, data) in [
        ("/walk", "root"),
        ("/walk/apps", ""),
        ("/walk/apps/api", "port=80\nhost=a"),
        ("/walk/apps/web", "port=8080"),
        ("/walk/zeta", "z"),
    ] {
        ok(a, &["create", path, data]);
    }
    // Unreadable: shown, not entered.
    ok(a, &["create", "/walk/zeta/secret", "s", "world:anyone:a"]);
    assert_eq!(
        ok(a, &["tree", "/walk"]),
        "/walk (4 B)\n├── apps (0 B)\n│   ├── api (14 B)\n│   └── web (9 B)\n└── zeta (1 B)\n    \
         └── secret (no access)\n"
    );
    assert_eq!(
        ok(a, &["find", "/walk"]),
        "/walk\n/walk/apps\n/walk/apps/api\n/walk/apps/web\n/walk/zeta\n/walk/zeta/secret\n"
    );
    assert_eq!(ok(a, &["find", "-i", "/walk", "/APPS$"]), "/walk/apps\n");
    assert_eq!(
        ok(a, &["grep", "port=", "/walk"]),
        "/walk/apps/api: port=80\n/walk/apps/web: port=8080\n"
    );
    let nothing = one_shot(a, &["grep", "absent", "/walk"]);
    assert_eq!(
        (nothing.code, nothing.stdout.as_str()),
        (1, ""),
        "grep finds nothing: status 1"
    );
    let dump = one_shot(a, &["dump", "/walk"]);
    assert_eq!(dump.code, 1, "a dump must not silently miss a node");
    assert_eq!(dump.stderr, "Insufficient permission : /walk/zeta/secret\n");
    ok(a, &["setAcl", "/walk/zeta/secret", "world:anyone:cdrwa"]);
    ok(a, &["deleteall", "/walk"]);
}

#[test]
fn watch_runs_the_hook_for_each_event() {
    let server = shared();
    let a = server.address();
    ok(&a, &["create", "/watched", ""]);
    let log = tempfile::NamedTempFile::new().unwrap();
    let hook = format!(
        "echo \"$ZK_EVENT_TYPE $ZK_EVENT_PATH\" >> {}",
        log.path().display()
    );
    let mut child = zk_cli()
        .args([
            "-server", &a, "watch", "/watched", "-n", "3", "--exec", &hook,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The watch is set once it says so on stderr.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    assert_eq!(first, "watching /watched\n");
    ok(&a, &["create", "/watched/x", "1"]);
    ok(&a, &["set", "/watched/x", "2"]);
    ok(&a, &["delete", "/watched/x"]);
    let status = child.wait().unwrap();
    assert!(status.success());
    assert_eq!(
        std::fs::read_to_string(log.path()).unwrap(),
        "NodeCreated /watched/x\nNodeDataChanged /watched/x\nNodeDeleted /watched/x\n"
    );
    ok(&a, &["delete", "/watched"]);
}

#[test]
fn chroot_in_the_connect_string_roots_every_path() {
    let server = shared();
    let a = server.address();
    ok(&a, &["create", "/chrooted", "top"]);
    let rooted = format!("{a}/chrooted");
    let created = one_shot(&rooted, &["create", "/inner", "x"]);
    assert_eq!(created.stderr, "Created /inner\n");
    assert_eq!(ok(&rooted, &["ls", "/"]), "[inner]\n");
    assert_eq!(ok(&rooted, &["get", "/"]), "top\n");
    assert_eq!(ok(&a, &["get", "/chrooted/inner"]), "x\n");
    // config reads /zookeeper/config outside the chroot, as zkCli does.
    assert_eq!(one_shot(&rooted, &["config"]).code, 0);
    ok(&a, &["deleteall", "/chrooted"]);
}

/// `printwatches off` silences events that fire while it is off; `on` brings them back. (Not in
/// the transcript test: zkCli applies the setting on its event thread, racing the commands.)
#[test]
fn printwatches_off_silences_watch_events() {
    let address = shared().address();
    let node = "/pw-silence";
    let script = format!(
        "create {node} a\nprintwatches off\nget -w {node}\nset {node} b\nget {node}\n\
         printwatches on\nget -w {node}\nset {node} c\nget {node}\nquit\n"
    );
    let run = super::harness::our_cli(&address, &script);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let events = run.stdout.matches("type:NodeDataChanged").count();
    assert_eq!(
        events, 1,
        "only the change made with printwatches on prints: {}",
        run.stdout
    );
}
