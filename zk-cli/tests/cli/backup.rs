//! `dump` and `restore`: a subtree survives the round trip through JSON, data (text and
//! binary) and ACLs included, ephemeral nodes left out.

use super::harness::{one_shot, shared, with_stdin, zk_cli};

fn ok(address: &str, args: &[&str]) -> String {
    let run = one_shot(address, args);
    assert_eq!(run.code, 0, "{args:?} failed: {}", run.stderr);
    run.stdout
}

#[test]
fn dump_then_restore_recreates_the_subtree() {
    let server = shared();
    let a = server.address();
    let a = a.as_str();
    ok(a, &["create", "/backup", "root data"]);
    ok(a, &["create", "/backup/config", "{\"k\": 1}"]);
    ok(a, &["create", "/backup/config/nested", "deep"]);
    ok(a, &["create", "/backup/blob", ""]);
    ok(a, &["set", "-b", "/backup/blob", "AP8AAQ=="]);
    ok(a, &["create", "/backup/ro", "read only", "world:anyone:ra"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.json");
    let file = file.to_str().unwrap();
    // An ephemeral of a live session is left out of the dump.
    let with_ephemeral = with_stdin(
        {
            let mut c = zk_cli();
            c.args(["-server", a]);
            c
        },
        &format!("create -e /backup/session-only x\ndump /backup {file}\n"),
    );
    assert_eq!(with_ephemeral.code, 0, "{}", with_ephemeral.stderr);
    let dumped = std::fs::read_to_string(file).unwrap();
    assert!(!dumped.contains("session-only"), "{dumped}");
    assert!(dumped.contains("\"data_base64\": \"AP8AAQ==\""), "{dumped}");

    ok(a, &["setAcl", "/backup/ro", "world:anyone:cdrwa"]);
    ok(a, &["deleteall", "/backup"]);
    ok(a, &["restore", file]);
    assert_eq!(ok(a, &["get", "/backup/config/nested"]), "deep\n");
    assert_eq!(ok(a, &["get", "-b", "/backup/blob"]), "AP8AAQ==\n");
    assert_eq!(ok(a, &["getAcl", "/backup/ro"]), "'world,'anyone\n: ra\n");
    // The same dump again: identical.
    assert_eq!(ok(a, &["dump", "/backup"]).trim_end(), dumped.trim_end());

    // Restored elsewhere, missing parents included.
    ok(a, &["restore", file, "/copies/backup2"]);
    assert_eq!(ok(a, &["get", "/copies/backup2"]), "root data\n");
    assert_eq!(ok(a, &["get", "/copies/backup2/config/nested"]), "deep\n");
    assert_eq!(ok(a, &["ls", "/copies/backup2"]), "[blob, config, ro]\n");
    for root in ["/backup", "/copies"] {
        ok(a, &["setAcl", "-R", root, "world:anyone:cdrwa"]);
        ok(a, &["deleteall", root]);
    }
}
