//! The conformance suite of the [`TxnLog`] contract: the same checks run against every
//! implementation, through a [`LogHarness`] that knows how to open and crash it.
//!
//! ```ignore
//! // In a test module:
//! zk_storage::txn_log_conformance_tests!(zk_storage::testing::conformance::MemHarness::default());
//! ```

use std::path::PathBuf;
use std::sync::Arc;

use zk_proto::{Epoch, Zxid};

use crate::testing::FaultyFs;
use crate::{BytesEntry, Error, FileTxnLog, FileTxnLogConfig, MemTxnLog, TxnLog};

/// Opens and crashes one kind of log over persistent (simulated) storage.
pub trait LogHarness {
    /// The log under test.
    type Log: TxnLog<Entry = BytesEntry>;
    /// Opens the log on the harness's storage (empty the first time).
    fn open(&mut self) -> Self::Log;
    /// Crashes with `log` open, losing everything not durable, and opens it again.
    fn crash_and_reopen(&mut self, log: Self::Log) -> Self::Log;
    /// Calls `sync` and loses power during it (if it has anything to write), keeping up to
    /// `tear_bytes` of the unsynced writes per file where the log has files (a torn write);
    /// then opens the log again.
    fn crash_in_sync(&mut self, log: Self::Log, tear_bytes: usize) -> Self::Log;
}

/// [`MemTxnLog`]: a "crash" is [`MemTxnLog::crash`].
#[derive(Debug, Default)]
pub struct MemHarness {
    saved: Option<MemTxnLog<BytesEntry>>,
}

impl LogHarness for MemHarness {
    type Log = MemTxnLog<BytesEntry>;
    fn open(&mut self) -> Self::Log {
        self.saved.take().unwrap_or_default()
    }
    fn crash_and_reopen(&mut self, mut log: Self::Log) -> Self::Log {
        log.crash();
        log
    }
    fn crash_in_sync(&mut self, log: Self::Log, _tear_bytes: usize) -> Self::Log {
        // An in-memory sync is atomic: the crash comes before it.
        self.crash_and_reopen(log)
    }
}

/// [`FileTxnLog`] on a [`FaultyFs`], with tiny preallocation blocks so that growth is
/// exercised.
#[derive(Debug, Clone)]
pub struct FileHarness {
    /// The file system; tests may inject faults through it.
    pub fs: FaultyFs,
    /// The log directory.
    pub dir: PathBuf,
    /// The log's settings.
    pub config: FileTxnLogConfig,
}

impl Default for FileHarness {
    fn default() -> Self {
        FileHarness {
            fs: FaultyFs::new(),
            dir: PathBuf::from("/data/version-2"),
            config: FileTxnLogConfig::default().with_prealloc_bytes(512),
        }
    }
}

impl LogHarness for FileHarness {
    type Log = FileTxnLog<BytesEntry>;
    fn open(&mut self) -> Self::Log {
        FileTxnLog::open_with(Arc::new(self.fs.clone()), &self.dir, self.config.clone())
            .expect("open the log")
    }
    fn crash_and_reopen(&mut self, log: Self::Log) -> Self::Log {
        drop(log);
        self.fs.crash();
        self.open()
    }
    fn crash_in_sync(&mut self, mut log: Self::Log, tear_bytes: usize) -> Self::Log {
        self.fs.crash_in_fsync_after(0, tear_bytes);
        let synced = log.sync();
        self.fs.disarm();
        drop(log);
        if synced.is_ok() {
            self.fs.crash(); // nothing was written, so no fsync: crash now
        }
        self.open()
    }
}

/// The entry with sequence number `seq` (payload sizes vary with `seq`).
pub fn entry(seq: i64) -> BytesEntry {
    let payload = format!(
        "entry {seq} {}",
        "x".repeat((seq.rem_euclid(7) * 13) as usize)
    );
    BytesEntry::new(seq, payload)
}

/// Appends `entry(seq)` for each `seq` in `seqs`.
pub fn append_all<L: TxnLog<Entry = BytesEntry>>(log: &mut L, seqs: impl IntoIterator<Item = i64>) {
    for seq in seqs {
        log.append(entry(seq)).expect("append");
    }
}

/// The zxids `read_from(from)` yields, checking each payload; panics on an error.
pub fn read_all<L: TxnLog<Entry = BytesEntry>>(log: &L, from: i64) -> Vec<i64> {
    log.read_from(Zxid(from))
        .expect("read_from")
        .map(|e| {
            let e = e.expect("read entry");
            assert_eq!(e, entry(e.zxid.0), "payload of entry {}", e.zxid);
            e.zxid.0
        })
        .collect()
}

fn seqs(range: std::ops::RangeInclusive<i64>) -> Vec<i64> {
    range.collect()
}

/// `sync` reports the durable zxid and makes the entries readable.
pub fn append_then_sync_makes_entries_durable_and_readable<H: LogHarness>(mut h: H) {
    let mut log = h.open();
    append_all(&mut log, 1..=5);
    assert_eq!(log.sync().unwrap(), Some(Zxid(5)));
    assert_eq!(log.durable_zxid(), Some(Zxid(5)));
    assert_eq!(read_all(&log, 1), seqs(1..=5));
    let log = h.crash_and_reopen(log);
    assert_eq!(read_all(&log, 0), seqs(1..=5));
    assert_eq!(log.last_zxid(), Some(Zxid(5)));
}

/// `read_from(z)` starts at `z`, including across files.
pub fn read_from_starts_at_the_given_zxid<H: LogHarness>(mut h: H) {
    let mut log = h.open();
    append_all(&mut log, 1..=4);
    log.roll().unwrap();
    append_all(&mut log, 5..=9);
    log.sync().unwrap();
    assert_eq!(read_all(&log, 3), seqs(3..=9));
    assert_eq!(read_all(&log, 5), seqs(5..=9));
    assert_eq!(read_all(&log, 6), seqs(6..=9));
    assert_eq!(read_all(&log, 9), vec![9]);
    assert_eq!(read_all(&log, 10), Vec::<i64>::new());
    assert_eq!(read_all(&log, i64::MIN), seqs(1..=9));
}

/// Entries appended after the last sync are not read and do not survive a crash.
pub fn unsynced_entries_are_invisible_and_lost_in_a_crash<H: LogHarness>(mut h: H) {
    let mut log = h.open();
    append_all(&mut log, 1..=3);
    log.sync().unwrap();
    append_all(&mut log, 4..=5);
    assert_eq!(log.last_zxid(), Some(Zxid(5)));
    assert_eq!(log.durable_zxid(), Some(Zxid(3)));
    assert_eq!(read_all(&log, 1), seqs(1..=3));
    let mut log = h.crash_and_reopen(log);
    assert_eq!(read_all(&log, 1), seqs(1..=3));
    assert_eq!(log.last_zxid(), Some(Zxid(3)));
    append_all(&mut log, 4..=4);
    assert_eq!(log.sync().unwrap(), Some(Zxid(4)));
}

/// A regression, a duplicate or a hole is `ZxidOrder`, and the log stays usable.
pub fn append_refuses_regressions_duplicates_and_holes<H: LogHarness>(mut h: H) {
    let mut log = h.open();
    append_all(&mut log, 10..=12);
    for bad in [12, 11, 14, i64::MIN] {
        match log.append(entry(bad)) {
            Err(Error::ZxidOrder { last, zxid }) => {
                assert_eq!((last, zxid), (Zxid(12), Zxid(bad)));
            }
            other => panic!("append({bad}) = {other:?}"),
        }
    }
    append_all(&mut log, 13..=13);
    log.sync().unwrap();
    assert_eq!(read_all(&log, 0), seqs(10..=13));
}

/// A later epoch may start at any counter; a regression to an earlier epoch is refused.
pub fn a_new_epoch_may_start_at_any_counter<H: LogHarness>(mut h: H) {
    let mut log = h.open();
    let e1 = Zxid::new(Epoch(1), 7).0;
    let e2 = Zxid::new(Epoch(2), 3).0;
    append_all(&mut log, [e1, e1 + 1, e2, e2 + 1]);
    assert!(log.append(entry(e1 + 2)).is_err());
    log.sync().unwrap();
    assert_eq!(read_all(&log, 0), vec![e1, e1 + 1, e2, e2 + 1]);
    let log = h.crash_and_reopen(log);
    assert_eq!(read_all(&log, e2), vec![e2, e2 + 1]);
}

/// `truncate_after` removes later entries, durably, across files.
pub fn truncate_after_removes_later_entries_durably<H: LogHarness>(mut h: H) {
    let mut log = h.open();
    append_all(&mut log, 1..=4);
    log.roll().unwrap();
    append_all(&mut log, 5..=10);
    log.roll().unwrap();
    append_all(&mut log, 11..=12);
    log.sync().unwrap();
    log.truncate_after(Zxid(6)).unwrap();
    assert_eq!(log.last_zxid(), Some(Zxid(6)));
    assert_eq!(log.durable_zxid(), Some(Zxid(6)));
    assert_eq!(read_all(&log, 0), seqs(1..=6));
    let mut log = h.crash_and_reopen(log);
    assert_eq!(read_all(&log, 0), seqs(1..=6));
    // The leader's history continues after the truncation point.
    append_all(&mut log, 7..=8);
    log.sync().unwrap();
    let log = h.crash_and_reopen(log);
    assert_eq!(read_all(&log, 0), seqs(1..=8));
}

/// Unsynced entries after the point are dropped, unsynced ones before it are made durable.
pub fn truncate_after_drops_unsynced_later_entries_and_syncs_kept_ones<H: LogHarness>(mut h: H) {
    let mut log = h.open();
    append_all(&mut log, 1..=2);
    log.sync().unwrap();
    append_all(&mut log, 3..=6);
    log.truncate_after(Zxid(4)).unwrap();
    assert_eq!(log.last_zxid(), Some(Zxid(4)));
    let log = h.crash_and_reopen(log);
    assert_eq!(read_all(&log, 0), seqs(1..=4));
}

/// Truncating before the first entry empties the log; a later zxid is a no-op.
pub fn truncate_after_edges<H: LogHarness>(mut h: H) {
    let mut log = h.open();
    append_all(&mut log, 5..=7);
    log.sync().unwrap();
    log.truncate_after(Zxid(9)).unwrap();
    assert_eq!(read_all(&log, 0), seqs(5..=7));
    log.truncate_after(Zxid(4)).unwrap();
    assert_eq!(read_all(&log, 0), Vec::<i64>::new());
    assert_eq!(log.last_zxid(), None);
    assert_eq!(log.first_zxid(), None);
    let mut log = h.crash_and_reopen(log);
    assert_eq!(read_all(&log, 0), Vec::<i64>::new());
    append_all(&mut log, 3..=3);
    log.sync().unwrap();
    assert_eq!(read_all(&log, 0), vec![3]);
}

/// After `skip_to`, appends resume past the hole; reading across the hole is `ZxidGap`.
pub fn skip_to_resumes_after_a_hole_that_reads_report<H: LogHarness>(mut h: H) {
    let mut log = h.open();
    append_all(&mut log, 1..=5);
    log.sync().unwrap();
    log.skip_to(Zxid(3)).unwrap(); // drops 4 and 5: they were never committed by the leader
    log.skip_to(Zxid(20)).unwrap();
    assert_eq!(log.last_zxid(), Some(Zxid(20)));
    assert_eq!(log.durable_zxid(), Some(Zxid(20)));
    assert!(
        log.append(entry(22)).is_err(),
        "a hole after the skip point"
    );
    append_all(&mut log, 21..=23);
    assert_eq!(log.sync().unwrap(), Some(Zxid(23)));
    assert_eq!(read_all(&log, 21), seqs(21..=23));
    let gap = |log: &H::Log| {
        let items: Vec<_> = log.read_from(Zxid(1)).unwrap().collect();
        assert_eq!(
            items.len(),
            4,
            "three entries, then the gap error, then nothing"
        );
        match &items[3] {
            Err(Error::ZxidGap { prev, next, .. }) => {
                assert_eq!((*prev, *next), (Zxid(3), Zxid(21)))
            }
            other => panic!("expected a gap, got {other:?}"),
        }
    };
    gap(&log);
    let log = h.crash_and_reopen(log);
    gap(&log);
    assert_eq!(log.last_zxid(), Some(Zxid(23)));
}

/// `purge_before(z)` keeps everything `read_from(z)` needs and never the active unit.
pub fn purge_before_keeps_everything_read_from_needs<H: LogHarness>(mut h: H) {
    let mut log = h.open();
    for batch in [1..=3, 4..=6, 7..=9, 10..=12] {
        append_all(&mut log, batch);
        log.roll().unwrap();
    }
    log.purge_before(Zxid(8)).unwrap();
    assert_eq!(read_all(&log, 8), seqs(8..=12));
    let first = log.first_zxid().expect("entries remain");
    assert!(first <= Zxid(8) && first > Zxid(0), "first is {first}");
    log.purge_before(Zxid(100)).unwrap();
    assert!(
        read_all(&log, 12).contains(&12),
        "the newest entries survive any purge"
    );
    let mut log = h.crash_and_reopen(log);
    assert!(read_all(&log, 12).contains(&12));
    append_all(&mut log, 13..=13);
    log.sync().unwrap();
}

/// A log reopened after a clean stop has everything that was synced, across rolls.
pub fn reopen_recovers_everything_synced<H: LogHarness>(mut h: H) {
    let mut log = h.open();
    for round in 0..5 {
        append_all(&mut log, round * 10 + 1..=round * 10 + 10);
        log.sync().unwrap();
        if round % 2 == 1 {
            log.roll().unwrap();
        }
        log = h.crash_and_reopen(log);
        assert_eq!(read_all(&log, 0), seqs(1..=round * 10 + 10));
    }
    assert_eq!(log.first_zxid(), Some(Zxid(1)));
}

/// `sync` with nothing appended reports the durable zxid (`None` for an empty log).
pub fn sync_without_appends_reports_the_durable_zxid<H: LogHarness>(mut h: H) {
    let mut log = h.open();
    assert_eq!(log.sync().unwrap(), None);
    assert_eq!(read_all(&log, 0), Vec::<i64>::new());
    append_all(&mut log, 1..=1);
    log.sync().unwrap();
    assert_eq!(log.sync().unwrap(), Some(Zxid(1)));
    log.roll().unwrap();
    log.roll().unwrap();
    assert_eq!(log.sync().unwrap(), Some(Zxid(1)));
}

/// One step of the crash-recovery property.
#[derive(Debug, Clone)]
pub enum Op {
    /// Append this many next entries.
    Append(u8),
    /// Sync.
    Sync,
    /// Roll.
    Roll,
    /// Crash and reopen.
    Crash,
    /// Sync, losing power during it with up to this many unsynced bytes per file written, and
    /// reopen.
    CrashInSync(u16),
}

/// Runs `ops` and checks after every crash, and at the end, that the recovered log is a
/// prefix of what was appended containing every entry a successful `sync` covered.
pub fn check_crash_recovery<H: LogHarness>(mut h: H, ops: &[Op]) -> Result<(), String> {
    let mut log = h.open();
    let mut appended: Vec<i64> = Vec::new();
    let mut acked = 0i64;
    let mut recover = |log: H::Log, tear: Option<u16>, appended: &mut Vec<i64>, acked: &mut i64| {
        let log = match tear {
            None => h.crash_and_reopen(log),
            Some(tear) => h.crash_in_sync(log, usize::from(tear)),
        };
        let got = read_all(&log, 0);
        if appended.get(..got.len()) != Some(&got[..]) {
            return Err(format!("recovered {got:?}, not a prefix of {appended:?}"));
        }
        if got.last().copied().unwrap_or(0) < *acked {
            return Err(format!("recovered {got:?} lost acknowledged entry {acked}"));
        }
        if log.last_zxid().map(|z| z.0) != got.last().copied() {
            return Err(format!(
                "last_zxid {:?} after recovering {got:?}",
                log.last_zxid()
            ));
        }
        appended.truncate(got.len());
        *acked = got.last().copied().unwrap_or(0);
        Ok(log)
    };
    for op in ops {
        match op {
            Op::Append(n) => {
                let next = appended.last().copied().unwrap_or(0) + 1;
                let batch: Vec<i64> = (next..next + i64::from(*n)).collect();
                append_all(&mut log, batch.iter().copied());
                appended.extend(batch);
            }
            Op::Sync => acked = log.sync().map_err(|e| e.to_string())?.map_or(0, |z| z.0),
            Op::Roll => {
                log.roll().map_err(|e| e.to_string())?;
                acked = appended.last().copied().unwrap_or(0);
            }
            Op::Crash => log = recover(log, None, &mut appended, &mut acked)?,
            Op::CrashInSync(tear) => log = recover(log, Some(*tear), &mut appended, &mut acked)?,
        }
    }
    recover(log, None, &mut appended, &mut acked).map(drop)
}

/// Generates one `#[test]` per conformance check for a harness expression.
///
/// ```ignore
/// zk_storage::txn_log_conformance_tests!(MyHarness::new());
/// ```
#[macro_export]
macro_rules! txn_log_conformance_tests {
    ($harness:expr) => {
        $crate::txn_log_conformance_tests!(@each $harness;
            append_then_sync_makes_entries_durable_and_readable,
            read_from_starts_at_the_given_zxid,
            unsynced_entries_are_invisible_and_lost_in_a_crash,
            append_refuses_regressions_duplicates_and_holes,
            a_new_epoch_may_start_at_any_counter,
            truncate_after_removes_later_entries_durably,
            truncate_after_drops_unsynced_later_entries_and_syncs_kept_ones,
            truncate_after_edges,
            skip_to_resumes_after_a_hole_that_reads_report,
            purge_before_keeps_everything_read_from_needs,
            reopen_recovers_everything_synced,
            sync_without_appends_reports_the_durable_zxid,
        );
    };
    (@each $harness:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::testing::conformance::$name($harness);
            }
        )*
    };
}
