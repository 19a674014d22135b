//! The txn log against Apache ZooKeeper 3.8, both directions.
//!
//! Always: `tests/data/apache-txnlog/log.1` (written by Apache, see the README there) and the
//! logs of `tests/data/apache-datadir` are read with `FileTxnLog`, and writing the same entries
//! reproduces Apache's bytes exactly.
//!
//! With `ZK_JAVA_CLASSPATH` (scripts/test.sh sets it; otherwise skipped with a note): Apache's
//! `TxnLogToolkit` dumps a log we wrote, and we read the log of a live Apache server that was
//! killed (`kill -9`) with its 64 MiB preallocation in place.

mod common;

use std::process::Command;

use zk_proto::txn::{Txn, TxnLogEntry};
use zk_proto::{OpCode, Zxid};
use zk_storage::{FileTxnLog, LogEntry, RawTxn, TxnLog};

use common::{fixture, java_classpath, ApacheServer};

const APACHE_LOG: &[u8] = include_bytes!("data/apache-txnlog/log.1");

/// A scratch log directory holding a copy of Apache's `log.1`.
fn apache_log_dir() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("log.1"), APACHE_LOG).unwrap();
    tmp
}

fn read_all<E: LogEntry>(log: &FileTxnLog<E>) -> Vec<E> {
    log.read_from(Zxid(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn reads_a_log_written_by_apache() {
    let dir = apache_log_dir();
    let log = FileTxnLog::<RawTxn>::open(dir.path()).unwrap();
    let txns = read_all(&log);
    let zxids: Vec<i64> = txns.iter().map(|t| t.zxid().0).collect();
    assert_eq!(zxids, (1..=19).collect::<Vec<_>>());
    let types: Vec<i32> = txns.iter().map(RawTxn::txn_type).collect();
    assert_eq!(
        types,
        [-10, 1, 1, 1, 15, 21, 19, 1, 2, 5, 7, 7, -1, -1, 14, 14, 20, 20, -11],
        "createSession, creates, ..., multi, deleteContainer, closeSession"
    );
    assert_eq!(log.last_zxid(), Some(Zxid(19)));
    assert_eq!(
        std::fs::read(dir.path().join("log.1")).unwrap(),
        APACHE_LOG,
        "a clean log is not modified by opening it"
    );

    // The same file through the typed entry.
    let log = FileTxnLog::<TxnLogEntry>::open(dir.path()).unwrap();
    let typed = read_all(&log);
    match &typed[1].txn {
        Txn::Create(c) => assert_eq!(
            (c.path.as_str(), c.data.as_deref()),
            ("/a", Some(&b"hello"[..]))
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(typed[18].header.txn_type, OpCode::CloseSession);
}

#[test]
fn writes_the_bytes_apache_writes() {
    let source = apache_log_dir();
    let txns = read_all(&FileTxnLog::<RawTxn>::open(source.path()).unwrap());
    let out = tempfile::tempdir().unwrap();
    // Default settings, as Apache's: 64 MiB preallocation.
    let mut log = FileTxnLog::<RawTxn>::open(out.path()).unwrap();
    for t in txns {
        log.append(t).unwrap();
    }
    assert_eq!(log.sync().unwrap(), Some(Zxid(19)));
    drop(log);
    let ours = std::fs::read(out.path().join("log.1")).unwrap();
    assert_eq!(
        &ours[..APACHE_LOG.len()],
        APACHE_LOG,
        "same header and records"
    );
    assert!(ours[APACHE_LOG.len()..].iter().all(|b| *b == 0));
    assert_eq!(
        ours.len(),
        16 + (64 << 20),
        "header and one 64 MiB block, like Apache"
    );
}

#[test]
fn reads_every_log_of_an_apache_data_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let mut names = Vec::new();
    for e in std::fs::read_dir(fixture("apache-datadir").join("version-2")).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().into_string().unwrap();
        if name.starts_with("log.") {
            std::fs::copy(e.path(), tmp.path().join(&name)).unwrap();
            names.push(name);
        }
    }
    assert!(names.len() > 3, "several rolled logs: {names:?}");
    let log = FileTxnLog::<TxnLogEntry>::open(tmp.path()).unwrap();
    assert_eq!(log.log_files().len(), names.len());
    let entries = read_all(&log); // consecutive entries follow each other, or this fails
    assert_eq!(entries.first().map(|e| e.header.zxid), Some(Zxid(1)));
    assert_eq!(entries.last().map(|e| e.header.zxid), log.last_zxid());
    for f in log.log_files() {
        assert!(
            entries.iter().any(|e| e.header.zxid == f.start_zxid),
            "{f:?}"
        );
    }
}

#[test]
fn apache_txn_log_toolkit_reads_a_log_we_wrote() {
    let Some(cp) = java_classpath("apache_txn_log_toolkit_reads_a_log_we_wrote") else {
        return;
    };
    // Typed entries re-encoded by zk-proto, then framed by our log.
    let source = apache_log_dir();
    let typed = read_all(&FileTxnLog::<TxnLogEntry>::open(source.path()).unwrap());
    let out = tempfile::tempdir().unwrap();
    let mut log = FileTxnLog::<TxnLogEntry>::open(out.path()).unwrap();
    for e in typed {
        log.append(e).unwrap();
    }
    log.sync().unwrap();
    drop(log);
    let run = Command::new("java")
        .arg("-cp")
        .arg(&cp)
        .arg("org.apache.zookeeper.server.persistence.TxnLogToolkit")
        .arg(out.path().join("log.1"))
        .output()
        .expect("run TxnLogToolkit");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("ZooKeeper Transactional Log File with dbid 0 txnlog format version 2"));
    assert!(stdout.contains("zxid 0x2 create /a,hello"), "{stdout}");
    assert!(stdout.contains("EOF reached after 19 txns."), "{stdout}");
    assert!(!stdout.contains("CRC"), "{stdout}");
}

#[test]
fn reads_the_log_of_a_killed_apache_server() {
    let Some(cp) = java_classpath("reads_the_log_of_a_killed_apache_server") else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let server = ApacheServer::start(&cp, &data, work.path());
    for args in [
        &["create", "/a", "x"][..],
        &["create", "/b", "y"],
        &["set", "/a", "z"],
        &["delete", "/b"],
    ] {
        let out = server.zkcli(args);
        assert!(!out.contains("Exception"), "{args:?}: {out}");
    }
    drop(server); // SIGKILL: only what Apache fsynced before acknowledging is there
    let version2 = data.join("version-2");
    let log_len = std::fs::metadata(version2.join("log.1")).unwrap().len();
    assert_eq!(
        log_len,
        16 + (64 << 20),
        "Apache's preallocation is in place"
    );
    let log = FileTxnLog::<TxnLogEntry>::open(&version2).unwrap();
    let ops: Vec<(OpCode, String)> = read_all(&log)
        .into_iter()
        .map(|e| {
            let path = match &e.txn {
                Txn::Create(c) => c.path.clone(),
                Txn::SetData(s) => s.path.clone(),
                Txn::Delete(d) => d.path.clone(),
                _ => String::new(),
            };
            (e.header.txn_type, path)
        })
        .filter(|(_, path)| !path.is_empty())
        .collect();
    let expected = [
        (OpCode::Create, "/a"),
        (OpCode::Create, "/b"),
        (OpCode::SetData, "/a"),
        (OpCode::Delete, "/b"),
    ];
    let expected: Vec<(OpCode, String)> = expected
        .iter()
        .map(|(op, p)| (*op, p.to_string()))
        .collect();
    assert_eq!(ops, expected);
    assert_eq!(
        std::fs::metadata(version2.join("log.1")).unwrap().len(),
        log_len,
        "zero padding is a clean end: nothing truncated"
    );
}
