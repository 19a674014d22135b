//! A tiny key-value store that is not ZooKeeper, built on zk-storage: its own log entry type,
//! group-committed appends, periodic snapshots in Apache's snapshot format, retention, and
//! recovery after a restart.
//!
//! ```text
//! cargo run -p zk-storage --example kv_log            # in a temporary directory
//! cargo run -p zk-storage --example kv_log -- DIR     # in DIR (run it twice: it recovers)
//! ```
//!
//! The store keeps `key → value` strings. Each change is a [`KvCommand`] appended to a
//! [`FileTxnLog`]; a snapshot stores each key as a node `/<key>` whose data is the value (the
//! snapshot format is ZooKeeper's, but nothing here needs to be a tree beyond that).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bytes::{BufMut, Bytes};
use zk_proto::{Acl, StatPersisted, Zxid};
use zk_storage::purge::{purge, AutopurgeConfig};
use zk_storage::recovery::{Recovery, RecoveryTarget};
use zk_storage::snapshot::{
    save_snapshot, Compression, FileSnapshotStore, SnapshotAcl, SnapshotInfo, SnapshotNode,
    SnapshotNodeRef, SnapshotSession, SnapshotSource, SnapshotTrailer,
};
use zk_storage::{EntryError, FileTxnLog, LogEntry, TxnLog};

/// One change to the store; its sequence number orders the log.
#[derive(Debug, Clone, PartialEq, Eq)]
enum KvCommand {
    Set {
        seq: i64,
        key: String,
        value: String,
    },
    Delete {
        seq: i64,
        key: String,
    },
}

impl LogEntry for KvCommand {
    fn zxid(&self) -> Zxid {
        match self {
            KvCommand::Set { seq, .. } | KvCommand::Delete { seq, .. } => Zxid(*seq),
        }
    }

    /// `long seq; byte tag; (int len; bytes)*`: our own format inside the log's checksummed
    /// records.
    fn encode(&self, out: &mut Vec<u8>) {
        out.put_i64(self.zxid().0);
        let field = |out: &mut Vec<u8>, s: &str| {
            out.put_u32(s.len() as u32);
            out.put_slice(s.as_bytes());
        };
        match self {
            KvCommand::Set { key, value, .. } => {
                out.put_u8(b'S');
                field(out, key);
                field(out, value);
            }
            KvCommand::Delete { key, .. } => {
                out.put_u8(b'D');
                field(out, key);
            }
        }
    }

    fn decode(bytes: Bytes) -> Result<Self, EntryError> {
        let mut b = &bytes[..];
        let mut take = |n: usize| -> Result<&[u8], EntryError> {
            if b.len() < n {
                return Err("truncated command".into());
            }
            let (head, rest) = b.split_at(n);
            b = rest;
            Ok(head)
        };
        let seq = i64::from_be_bytes(take(8)?.try_into()?);
        let tag = take(1)?[0];
        let mut field = || -> Result<String, EntryError> {
            let len = u32::from_be_bytes(take(4)?.try_into()?) as usize;
            Ok(String::from_utf8(take(len)?.to_vec())?)
        };
        match tag {
            b'S' => Ok(KvCommand::Set {
                seq,
                key: field()?,
                value: field()?,
            }),
            b'D' => Ok(KvCommand::Delete { seq, key: field()? }),
            other => Err(format!("unknown command tag {other}").into()),
        }
    }

    fn peek_zxid(bytes: &[u8]) -> Result<Zxid, EntryError> {
        let seq = bytes.get(..8).ok_or("truncated command")?;
        Ok(Zxid(i64::from_be_bytes(seq.try_into()?)))
    }
}

/// The store's state, and the position of the last applied command.
#[derive(Debug, Default, PartialEq, Eq)]
struct Kv {
    map: BTreeMap<String, String>,
    last_seq: i64,
}

impl Kv {
    fn apply(&mut self, cmd: &KvCommand) {
        match cmd {
            KvCommand::Set { key, value, .. } => {
                self.map.insert(key.clone(), value.clone());
            }
            KvCommand::Delete { key, .. } => {
                self.map.remove(key);
            }
        }
        self.last_seq = cmd.zxid().0;
    }
}

/// Recovery fills a `Kv` from a snapshot's nodes and then the commands logged after it.
impl RecoveryTarget<KvCommand> for Kv {
    type Error = std::string::FromUtf8Error;

    fn begin(&mut self, _snapshot: Option<&SnapshotInfo>) {
        *self = Kv::default();
    }
    fn add_session(&mut self, _: SnapshotSession) -> Result<(), Self::Error> {
        Ok(())
    }
    fn add_acl(&mut self, _: SnapshotAcl) -> Result<(), Self::Error> {
        Ok(())
    }
    fn add_node(&mut self, node: SnapshotNode) -> Result<(), Self::Error> {
        if let (Some(key), Some(data)) = (node.path.strip_prefix('/'), node.data) {
            if !key.is_empty() {
                self.map
                    .insert(key.to_owned(), String::from_utf8(data.to_vec())?);
            }
        }
        Ok(())
    }
    fn apply_txn(&mut self, cmd: KvCommand) -> Result<(), Self::Error> {
        self.apply(&cmd);
        Ok(())
    }
    fn finish(&mut self, last_zxid: Zxid) -> Result<(), Self::Error> {
        self.last_seq = last_zxid.0;
        Ok(())
    }
}

/// A snapshot of a `Kv`: the root, then one node per key.
impl SnapshotSource for Kv {
    fn sessions(&self) -> impl ExactSizeIterator<Item = SnapshotSession> + '_ {
        std::iter::empty()
    }
    fn acls(&self) -> impl ExactSizeIterator<Item = (i64, &[Acl])> + '_ {
        std::iter::empty()
    }
    fn visit_nodes(
        &self,
        visit: &mut dyn FnMut(SnapshotNodeRef<'_>) -> zk_storage::Result<()>,
    ) -> zk_storage::Result<()> {
        let stat = StatPersisted {
            mzxid: Zxid(self.last_seq),
            ..StatPersisted::default()
        };
        let root = SnapshotNodeRef {
            path: "/",
            data: None,
            acl_id: -1,
            stat: &stat,
        };
        visit(root)?;
        let mut path = String::new();
        for (key, value) in &self.map {
            path.clear();
            path.push('/');
            path.push_str(key);
            visit(SnapshotNodeRef {
                path: &path,
                data: Some(value.as_bytes()),
                ..root
            })?;
        }
        Ok(())
    }
    fn trailer(&self) -> SnapshotTrailer {
        SnapshotTrailer {
            digest: None,
            last_processed_zxid: Some(Zxid(self.last_seq)),
        }
    }
}

/// The store: state, log and snapshots in one directory.
struct KvStore {
    state: Kv,
    log: FileTxnLog<KvCommand>,
    snapshots: FileSnapshotStore,
    since_snapshot: u64,
}

impl KvStore {
    const SNAPSHOT_EVERY: u64 = 50;

    fn open(dir: &Path) -> zk_storage::Result<KvStore> {
        let snapshots = FileSnapshotStore::open(dir)?.with_compression(Compression::Gzip);
        let log = FileTxnLog::open(dir)?;
        let mut state = Kv::default();
        let report = Recovery::new(&snapshots, &log).run(&mut state)?;
        println!(
            "recovered {} keys at seq {}: snapshot {:?}, {} commands replayed",
            state.map.len(),
            state.last_seq,
            report.snapshot.map(|s| s.name),
            report.txns
        );
        Ok(KvStore {
            state,
            log,
            snapshots,
            since_snapshot: 0,
        })
    }

    /// Applies a batch of changes durably: append all, one fsync, then apply.
    fn write_batch(&mut self, changes: &[(&str, Option<&str>)]) -> zk_storage::Result<()> {
        let mut cmds = Vec::new();
        for (i, (key, value)) in changes.iter().enumerate() {
            let seq = self.state.last_seq + 1 + i as i64;
            let key = key.to_string();
            cmds.push(match value {
                Some(v) => KvCommand::Set {
                    seq,
                    key,
                    value: v.to_string(),
                },
                None => KvCommand::Delete { seq, key },
            });
        }
        for cmd in &cmds {
            self.log.append(cmd.clone())?;
        }
        self.log.sync()?; // only now are the changes durable
        for cmd in &cmds {
            self.state.apply(cmd);
        }
        self.since_snapshot += cmds.len() as u64;
        if self.since_snapshot >= Self::SNAPSHOT_EVERY {
            self.snapshot()?;
        }
        Ok(())
    }

    fn snapshot(&mut self) -> zk_storage::Result<()> {
        // Roll first so that retention can drop whole log files.
        self.log.roll()?;
        let info = save_snapshot(&self.snapshots, Zxid(self.state.last_seq), &self.state)?;
        println!("snapshot {} ({} bytes)", info.name, info.size_bytes);
        purge(&self.snapshots, &mut self.log, &AutopurgeConfig::default())?;
        self.since_snapshot = 0;
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tmp;
    let dir: PathBuf = match std::env::args().nth(1) {
        Some(dir) => dir.into(),
        None => {
            tmp = tempfile::tempdir()?;
            tmp.path().to_owned()
        }
    };
    let mut store = KvStore::open(&dir)?;
    let base = store.state.last_seq;
    for round in 0..12 {
        let key = format!("key{}", round % 5);
        let value = format!("value {} (seq ~{})", round, base + round);
        let gone = format!("key{}", (round + 2) % 5);
        let batch = [
            (key.as_str(), Some(value.as_str())),
            ("counter", Some("x")),
            (gone.as_str(), None),
        ];
        for _ in 0..5 {
            store.write_batch(&batch)?;
        }
    }
    let before = std::mem::take(&mut store.state);
    drop(store); // "restart"

    let store = KvStore::open(&dir)?;
    assert_eq!(store.state, before, "recovered state differs");
    let files: Vec<String> = std::fs::read_dir(&dir)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    println!("state after restart matches; files: {files:?}");
    for (k, v) in &store.state.map {
        println!("  {k} = {v}");
    }
    Ok(())
}
