//! `lock` and `elect` run a command under the recipe, exclusively.

use std::process::{Child, Stdio};

use super::harness::{one_shot, shared, zk_cli};

/// A shell step that records an overlap if another holder is inside, then stays a while.
fn critical_section(marker: &str, log: &str) -> String {
    format!(
        "if [ -e {marker} ]; then echo OVERLAP >> {log}; fi; touch {marker}; sleep 0.3; \
         rm -f {marker}; echo \"done $ZK_FENCING_TOKEN\" >> {log}"
    )
}

fn spawn(address: &str, args: &[&str]) -> Child {
    zk_cli()
        .args(["-server", address])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn zk-cli")
}

fn assert_exclusive(kind: &str, path: &str) {
    let server = shared();
    let a = server.address();
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("inside");
    let log = dir.path().join("log");
    let step = critical_section(marker.to_str().unwrap(), log.to_str().unwrap());
    let children: Vec<Child> = (0..4)
        .map(|_| spawn(&a, &[kind, path, "--", "sh", "-c", &step]))
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{kind} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(!log.contains("OVERLAP"), "two holders at once:\n{log}");
    let tokens: Vec<i64> = log
        .lines()
        .map(|l| l.strip_prefix("done ").unwrap().parse().unwrap())
        .collect();
    assert_eq!(tokens.len(), 4, "{log}");
    assert!(
        tokens.windows(2).all(|w| w[0] < w[1]),
        "fencing tokens grow: {tokens:?}"
    );
}

#[test]
fn concurrent_lock_commands_never_overlap() {
    assert_exclusive("lock", "/cli-locks/l");
}

#[test]
fn concurrent_elect_commands_lead_one_at_a_time() {
    assert_exclusive("elect", "/cli-elections/e");
}

#[test]
fn lock_passes_the_command_status_through() {
    let server = shared();
    let a = server.address();
    let run = one_shot(
        &a,
        &["lock", "/cli-locks/status", "--", "sh", "-c", "exit 3"],
    );
    assert_eq!(run.code, 3);
    let run = one_shot(&a, &["lock", "/cli-locks/status"]);
    assert_eq!(run.code, 1, "no command: usage");
}
