//! `FileTxnLog`: the conformance suite, the byte format, and recovery under injected faults.

use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};

use super::*;
use crate::log_format::encode_record;
use crate::testing::conformance::{
    append_all, check_crash_recovery, entry, read_all, FileHarness, LogHarness, MemHarness, Op,
};
use crate::BytesEntry;

crate::txn_log_conformance_tests!(FileHarness::default());

fn harness() -> FileHarness {
    FileHarness::default()
}

fn log_path(h: &FileHarness, first: i64) -> PathBuf {
    h.dir.join(log_file_name(Zxid(first)))
}

fn open(h: &FileHarness) -> Result<FileTxnLog<BytesEntry>> {
    FileTxnLog::open_with(Arc::new(h.fs.clone()), &h.dir, h.config.clone())
}

/// A log file holding `entry(seq)` for each of `seqs`, without padding.
fn file_with(seqs: impl IntoIterator<Item = i64>) -> Vec<u8> {
    let mut bytes = TXN_LOG_HEADER.to_vec();
    for seq in seqs {
        encode_record(&mut bytes, |out| entry(seq).encode(out));
    }
    bytes
}

/// The offset of each record in `bytes` (a log file without damage before the padding).
fn record_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut p = FILE_HEADER_BYTES as usize;
    while p + 12 <= bytes.len() {
        let len = i32::from_be_bytes(bytes[p + 8..p + 12].try_into().unwrap());
        if len <= 0 {
            break;
        }
        offsets.push(p);
        p += 12 + len as usize + 1;
    }
    offsets
}

/// A log with one file per batch (rolled after each).
fn log_of_files<const N: usize>(
    h: &mut FileHarness,
    batches: [std::ops::RangeInclusive<i64>; N],
) -> FileTxnLog<BytesEntry> {
    let mut log = h.open();
    for batch in batches {
        append_all(&mut log, batch);
        log.roll().unwrap();
    }
    log
}

fn seqs(r: std::ops::RangeInclusive<i64>) -> Vec<i64> {
    r.collect()
}

/// The errors a read of `log` from `from` yields.
fn read_errors(log: &FileTxnLog<BytesEntry>, from: i64) -> Vec<Error> {
    log.read_from(Zxid(from))
        .unwrap()
        .filter_map(|r| r.err())
        .collect()
}

/// Collects the tracing events emitted on this thread while `f` runs, as "LEVEL message".
fn logged<T>(f: impl FnOnce() -> T) -> (T, Vec<String>) {
    use std::sync::Mutex;
    use tracing::span::{Attributes, Id, Record as SpanRecord};

    #[derive(Default)]
    struct Capture(Arc<Mutex<Vec<String>>>);
    struct Message<'a>(&'a mut String);
    impl tracing::field::Visit for Message<'_> {
        fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
            if field.name() == "message" {
                *self.0 = format!("{value:?}");
            }
        }
    }
    impl tracing::Subscriber for Capture {
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &SpanRecord<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &tracing::Event<'_>) {
            let mut message = String::new();
            event.record(&mut Message(&mut message));
            let line = format!("{} {message}", event.metadata().level());
            self.0.lock().unwrap().push(line);
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }
    let capture = Capture::default();
    let lines = capture.0.clone();
    let out = tracing::subscriber::with_default(capture, f);
    let lines = lines.lock().unwrap().clone();
    (out, lines)
}

/// Opening fails with `CorruptLog` at `offset` of `path`, and the message names both.
fn assert_corrupt_at(h: &FileHarness, path: &Path, offset: usize) -> String {
    match open(h) {
        Err(e @ Error::CorruptLog { .. }) => {
            let Error::CorruptLog {
                path: p, offset: o, ..
            } = &e
            else {
                unreachable!()
            };
            assert_eq!((p.as_path(), *o), (path, offset as u64), "{e}");
            let msg = e.to_string();
            assert!(msg.contains(&path.display().to_string()), "{msg}");
            assert!(msg.contains(&format!("offset {offset}")), "{msg}");
            msg
        }
        Err(e) => panic!("expected CorruptLog at {offset}, got {e}"),
        Ok(log) => panic!(
            "expected CorruptLog at {offset}, opened {:?}",
            read_all(&log, 0)
        ),
    }
}

#[test]
fn a_file_log_can_move_to_a_sync_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<FileTxnLog<BytesEntry>>();
    assert_send::<FileTxnLog<crate::RawTxn>>();
}

#[test]
fn files_are_byte_for_byte_apache_layout() {
    let mut h = harness();
    let mut log = h.open();
    append_all(&mut log, 0x1_0000_0001..=0x1_0000_0003);
    log.sync().unwrap();
    let bytes = h.fs.file_bytes(log_path(&h, 0x1_0000_0001)).unwrap();
    assert!(log_path(&h, 0x1_0000_0001).ends_with("log.100000001"));
    let expected = file_with(0x1_0000_0001..=0x1_0000_0003);
    assert_eq!(&expected[..16], b"ZKLG\0\0\0\x02\0\0\0\0\0\0\0\0");
    assert_eq!(&bytes[..expected.len()], &expected[..]);
    assert!(
        bytes[expected.len()..].iter().all(|b| *b == 0),
        "zero padding"
    );
    assert_eq!(
        bytes.len(),
        16 + 512,
        "the header, then one preallocated block"
    );
}

#[test]
fn preallocation_grows_in_blocks_ahead_of_the_data() {
    let mut h = harness();
    h.config = h.config.clone().with_prealloc_bytes(8192);
    let mut log = h.open();
    let path = log_path(&h, 1);
    let mut sizes = Vec::new();
    for seq in 1..=200 {
        append_all(&mut log, seq..=seq);
        log.sync().unwrap();
        sizes.push(h.fs.file_bytes(&path).unwrap().len());
    }
    assert_eq!(
        sizes[0],
        16 + 8192,
        "as Apache: the header, then whole blocks"
    );
    assert!(sizes.iter().all(|s| (s - 16) % 8192 == 0), "{sizes:?}");
    assert!(sizes.windows(2).all(|w| w[0] <= w[1]));
    assert!(
        *sizes.last().unwrap() > 16 + 8192,
        "the file grew by more blocks"
    );
    let log = h.crash_and_reopen(log);
    assert_eq!(read_all(&log, 0), seqs(1..=200));
}

#[test]
fn padding_follows_apaches_file_padding_rule() {
    // FilePadding.calculateFileSizeWithPadding, with Apache's own test values.
    assert_eq!(padded_size(0, 0, 64 << 20), 64 << 20);
    assert_eq!(
        padded_size(100, 64 << 20, 64 << 20),
        64 << 20,
        "far from the end"
    );
    assert_eq!(padded_size((64 << 20) - 100, 64 << 20, 64 << 20), 128 << 20);
    assert_eq!(
        padded_size(70 << 20, 64 << 20, 64 << 20),
        128 << 20,
        "past the end"
    );
    assert_eq!(padded_size(5000, 10, 0), 10, "disabled");
}

#[test]
fn group_commit_is_one_fsync_per_sync() {
    let mut h = harness();
    let mut log = h.open();
    append_all(&mut log, 1..=1);
    let before = h.fs.fsync_count();
    log.sync().unwrap();
    assert_eq!(
        h.fs.fsync_count() - before,
        2,
        "a new file: file and directory"
    );
    append_all(&mut log, 2..=101);
    let before = h.fs.fsync_count();
    assert_eq!(log.sync().unwrap(), Some(Zxid(101)));
    assert_eq!(h.fs.fsync_count() - before, 1, "100 appends, one fsync");
    let before = h.fs.fsync_count();
    log.sync().unwrap();
    assert_eq!(h.fs.fsync_count(), before, "nothing to sync, no fsync");
}

#[test]
fn each_open_and_roll_starts_a_new_file_named_by_its_first_zxid() {
    let mut h = harness();
    let mut log = h.open();
    append_all(&mut log, 1..=3);
    log.roll().unwrap();
    append_all(&mut log, 4..=5);
    log.sync().unwrap();
    let mut log = h.crash_and_reopen(log);
    append_all(&mut log, 6..=6);
    log.sync().unwrap();
    let names: Vec<Zxid> = log.log_files().iter().map(|f| f.start_zxid).collect();
    assert_eq!(names, [Zxid(1), Zxid(4), Zxid(6)]);
}

#[test]
fn roll_bytes_rolls_after_a_sync_that_passes_the_limit() {
    let mut h = harness();
    h.config = h.config.clone().with_roll_bytes(Some(200));
    let mut log = h.open();
    for seq in 1..=20 {
        append_all(&mut log, seq..=seq);
        log.sync().unwrap();
    }
    let files = log.log_files();
    assert!(files.len() > 3, "{files:?}");
    assert!(files.iter().all(|f| f.data_end < 400), "{files:?}");
    let log = h.crash_and_reopen(log);
    assert_eq!(read_all(&log, 0), seqs(1..=20));
}

#[test]
fn purge_removes_only_whole_files_that_read_from_does_not_need() {
    let mut h = harness();
    let mut log = log_of_files(&mut h, [1..=3, 4..=6, 7..=9]);
    log.purge_before(Zxid(5)).unwrap();
    let starts: Vec<Zxid> = log.log_files().iter().map(|f| f.start_zxid).collect();
    assert_eq!(starts, [Zxid(4), Zxid(7)], "log.4 holds zxid 5: kept");
    assert!(h.fs.file_bytes(log_path(&h, 1)).is_none());
    let log = h.crash_and_reopen(log);
    assert_eq!(read_all(&log, 0), seqs(4..=9));
}

#[test]
fn detached_files_stay_on_disk_until_removed_while_the_log_goes_on() {
    let mut h = harness();
    let mut log = log_of_files(&mut h, [1..=3, 4..=6, 7..=9]);
    let detached = log.detach_before(Zxid(7));
    assert_eq!(detached.paths(), [log_path(&h, 1), log_path(&h, 4)]);
    let starts: Vec<Zxid> = log.log_files().iter().map(|f| f.start_zxid).collect();
    assert_eq!(starts, [Zxid(7)], "the log no longer lists them");
    assert!(
        h.fs.file_bytes(log_path(&h, 1)).is_some(),
        "not removed yet"
    );
    // The writer goes on while the files wait for removal (on another thread, in a server).
    append_all(&mut log, 10..=12);
    log.sync().unwrap();
    detached.remove().unwrap();
    assert!(h.fs.file_bytes(log_path(&h, 1)).is_none());
    assert!(h.fs.file_bytes(log_path(&h, 4)).is_none());
    let log = h.crash_and_reopen(log);
    assert_eq!(read_all(&log, 0), seqs(7..=12));
}

#[test]
fn open_removes_what_an_interrupted_purge_left_and_the_log_reads_as_before() {
    let mut h = harness();
    let mut log = log_of_files(&mut h, [1..=3, 4..=6]);
    let detached = log.detach_before(Zxid(4));
    // What a crash part-way through DetachedLogFiles::remove leaves: the file renamed out of
    // the log's namespace, durably, and cut short.
    let leftover = h
        .dir
        .join(format!("{PURGING_PREFIX}{}", log_file_name(Zxid(1))));
    h.fs.rename(&detached.paths()[0], &leftover).unwrap();
    h.fs.sync_dir(&h.dir).unwrap();
    let mut cut = h.fs.open(&leftover, true).unwrap();
    cut.set_len(20).unwrap();
    cut.sync_data().unwrap();
    drop(detached);
    let log = h.crash_and_reopen(log);
    assert!(h.fs.file_bytes(&leftover).is_none(), "removed at open");
    assert_eq!(read_all(&log, 0), seqs(4..=6));
}

// ---- Write faults ----

/// A log with 1..=5 durable and 6..=8 appended but not synced.
fn five_durable_three_pending(h: &mut FileHarness) -> FileTxnLog<BytesEntry> {
    let mut log = h.open();
    append_all(&mut log, 1..=5);
    log.sync().unwrap();
    append_all(&mut log, 6..=8);
    log
}

#[test]
fn torn_write_in_a_crashed_sync_is_cut_off_and_nothing_synced_is_lost() {
    let batch = file_with(6..=8).len() - 16;
    for keep in 0..=batch + 600 {
        let mut h = harness();
        let log = five_durable_three_pending(&mut h);
        let log = h.crash_in_sync(log, keep);
        let got = read_all(&log, 0);
        assert!(
            got.len() >= 5 && got == seqs(1..=got.len() as i64),
            "keep {keep}: {got:?}"
        );
        let file = &log.log_files()[0];
        let bytes = h.fs.file_bytes(&file.path).unwrap();
        assert!(
            bytes[file.data_end as usize..].iter().all(|b| *b == 0),
            "keep {keep}: no torn bytes remain after the data"
        );
    }
}

#[test]
fn crash_before_a_new_files_directory_entry_is_synced_loses_only_unacknowledged_entries() {
    for keep in [0, 10, 100, 10_000] {
        let mut h = harness();
        let mut log = h.open();
        append_all(&mut log, 1..=2);
        log.sync().unwrap();
        log.roll().unwrap();
        append_all(&mut log, 3..=4);
        let log = h.crash_in_sync(log, keep);
        assert_eq!(read_all(&log, 0), seqs(1..=2), "keep {keep}");
        assert_eq!(log.log_files().len(), 1);
    }
}

#[test]
fn short_write_poisons_the_log_and_reopening_cuts_the_partial_record() {
    let mut h = harness();
    let mut log = five_durable_three_pending(&mut h);
    h.fs.short_write_next(20);
    assert!(matches!(log.sync(), Err(Error::Io { op: "write", .. })));
    for result in [log.append(entry(9)), log.sync().map(drop), log.roll()] {
        assert!(matches!(result, Err(Error::Poisoned { .. })), "{result:?}");
    }
    assert!(matches!(
        log.truncate_after(Zxid(1)),
        Err(Error::Poisoned { .. })
    ));
    assert_eq!(read_all(&log, 0), seqs(1..=5), "reads still work");
    drop(log);
    // A restart without power loss: the partial record is in the file.
    let mut log = open(&h).unwrap();
    assert_eq!(read_all(&log, 0), seqs(1..=5));
    let file = &log.log_files()[0];
    assert_eq!(
        h.fs.file_bytes(&file.path).unwrap().len() as u64,
        file.data_end
    );
    append_all(&mut log, 6..=6);
    assert_eq!(log.sync().unwrap(), Some(Zxid(6)));
}

#[test]
fn fsync_failure_poisons_the_log_and_is_never_retried() {
    let mut h = harness();
    let mut log = five_durable_three_pending(&mut h);
    h.fs.fail_fsync_after(0);
    match log.sync() {
        Err(e @ Error::Io { op: "fsync", .. }) => assert!(e.to_string().contains("EIO"), "{e}"),
        other => panic!("{other:?}"),
    }
    let fsyncs = h.fs.fsync_count();
    assert!(matches!(log.sync(), Err(Error::Poisoned { .. })));
    assert_eq!(h.fs.fsync_count(), fsyncs, "no second fsync");
    assert_eq!(log.durable_zxid(), Some(Zxid(5)));
    // The kernel dropped the batch: after a power loss only the acknowledged entries remain.
    let log = h.crash_and_reopen(log);
    assert_eq!(read_all(&log, 0), seqs(1..=5));
}

#[test]
fn enospc_while_writing_poisons_the_log() {
    let mut h = harness();
    let mut log = five_durable_three_pending(&mut h);
    h.fs.enospc_after_bytes(30);
    match log.sync() {
        Err(Error::Io {
            op: "write",
            source,
            ..
        }) => {
            assert_eq!(source.kind(), std::io::ErrorKind::StorageFull)
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(log.append(entry(9)), Err(Error::Poisoned { .. })));
    h.fs.disarm();
    let log = h.crash_and_reopen(log);
    assert_eq!(read_all(&log, 0), seqs(1..=5));
}

#[test]
fn enospc_while_preallocating_poisons_the_log_and_leaves_no_file_behind() {
    let mut h = harness();
    let mut log = h.open();
    append_all(&mut log, 1..=3);
    h.fs.fail_next_set_len();
    assert!(matches!(
        log.sync(),
        Err(Error::Io {
            op: "preallocate",
            ..
        })
    ));
    assert!(matches!(log.append(entry(4)), Err(Error::Poisoned { .. })));
    drop(log);
    // Restart without power loss: log.1 exists with a header only, and is removed.
    assert!(h.fs.file_bytes(log_path(&h, 1)).is_some());
    let log = open(&h).unwrap();
    assert_eq!(read_all(&log, 0), Vec::<i64>::new());
    assert!(h.fs.file_bytes(log_path(&h, 1)).is_none());
}

#[test]
fn failed_truncation_poisons_the_log_and_recovery_keeps_a_prefix() {
    for fail_at in 0..3 {
        let mut h = harness();
        let mut log = h.open();
        for batch in [1..=4, 5..=8, 9..=12] {
            append_all(&mut log, batch);
            log.roll().unwrap();
        }
        h.fs.fail_fsync_after(fail_at);
        let result = log.truncate_after(Zxid(6));
        if fail_at < 2 {
            assert!(result.is_err(), "fsync {fail_at} of the truncation failed");
            assert!(matches!(log.append(entry(7)), Err(Error::Poisoned { .. })));
        }
        let log = h.crash_and_reopen(log);
        let got = read_all(&log, 0);
        assert!(
            got.len() >= 6 && got == seqs(1..=got.len() as i64),
            "fail_at {fail_at}: {got:?}"
        );
    }
}

// ---- Damage found on opening ----

#[test]
fn bit_flip_in_the_middle_is_an_error_naming_file_and_offset() {
    let h = harness();
    h.fs.put_file(log_path(&h, 1), &file_with(1..=10));
    let offsets = record_offsets(&file_with(1..=10));
    // In the payload, in the checksum, and in the length of record 3.
    for (at, what) in [
        (offsets[2] + 15, "checksum mismatch"),
        (offsets[2] + 2, "checksum"),
    ] {
        let h2 = harness();
        h2.fs.put_file(log_path(&h2, 1), &file_with(1..=10));
        h2.fs.flip_bit(log_path(&h2, 1), at as u64, 3);
        let msg = assert_corrupt_at(&h2, &log_path(&h2, 1), offsets[2]);
        assert!(msg.contains(what), "{msg}");
    }
    h.fs.flip_bit(log_path(&h, 1), offsets[2] as u64 + 11, 0);
    let msg = assert_corrupt_at(&h, &log_path(&h, 1), offsets[2]);
    assert!(msg.contains("yet a valid record follows"), "{msg}");
}

#[test]
fn bit_flip_in_the_last_complete_record_is_an_error_too() {
    // A complete record with a bad checksum is what bit rot in an acknowledged txn looks
    // like; Apache refuses it ("CRC check failed") and so do we.
    let h = harness();
    let bytes = file_with(1..=4);
    let last = *record_offsets(&bytes).last().unwrap();
    h.fs.put_file(log_path(&h, 1), &bytes);
    h.fs.flip_bit(log_path(&h, 1), last as u64 + 20, 6);
    let msg = assert_corrupt_at(&h, &log_path(&h, 1), last);
    assert!(msg.contains("CRC check failed"), "{msg}");
}

#[test]
fn flipped_end_marker_on_a_valid_record_is_an_error() {
    let h = harness();
    let bytes = file_with(1..=4);
    let offsets = record_offsets(&bytes);
    h.fs.put_file(log_path(&h, 1), &bytes);
    h.fs.flip_bit(log_path(&h, 1), bytes.len() as u64 - 1, 0); // 'B' -> 'C'
    let msg = assert_corrupt_at(&h, &log_path(&h, 1), offsets[3]);
    assert!(msg.contains("not 'B'"), "{msg}");
}

#[test]
fn torn_record_followed_by_a_valid_record_is_an_error() {
    let h = harness();
    let mut bytes = file_with(1..=4);
    let offsets = record_offsets(&bytes);
    // Record 2's marker never reached the disk, but record 3 did: not a tail.
    bytes[offsets[2] - 1] = 0;
    h.fs.put_file(log_path(&h, 1), &bytes);
    let msg = assert_corrupt_at(&h, &log_path(&h, 1), offsets[1]);
    assert!(
        msg.contains(&format!("valid record follows at offset {}", offsets[2])),
        "{msg}"
    );
}

#[test]
fn zeroed_record_followed_by_a_valid_record_is_an_error() {
    let h = harness();
    let mut bytes = file_with(1..=4);
    let offsets = record_offsets(&bytes);
    bytes[offsets[1]..offsets[2]].fill(0); // a lost page in the middle
    h.fs.put_file(log_path(&h, 1), &bytes);
    assert_corrupt_at(&h, &log_path(&h, 1), offsets[1]);
}

#[test]
fn garbage_without_valid_records_after_the_last_record_is_cut_off() {
    let h = harness();
    let mut bytes = file_with(1..=3);
    let end = bytes.len();
    bytes.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0x12, 0x34, 0, 0, 0x7f, 0xff, 1, 2, 3]);
    bytes.extend_from_slice(&[0u8; 600]);
    h.fs.put_file(log_path(&h, 1), &bytes);
    let (log, lines) = logged(|| open(&h).unwrap());
    assert_eq!(read_all(&log, 0), seqs(1..=3));
    assert_eq!(h.fs.file_bytes(log_path(&h, 1)).unwrap().len(), end);
    let expected = format!(
        "WARN txn log {}: truncating torn tail at offset {end} (",
        log_path(&h, 1).display()
    );
    assert!(
        lines.len() == 1 && lines[0].starts_with(&expected),
        "{lines:?}"
    );
}

#[test]
fn trailing_files_without_entries_are_removed() {
    let empties: [&[u8]; 5] = [
        b"",
        b"ZKLG\0\0\0\x02",
        &[0u8; 4096],
        b"ZKLG\0\0\0\x02\0\0\0\0\0\0\0\0",
        b"ZKLG\0\0\0\x02\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x10\0\0",
    ];
    for empty in empties {
        let h = harness();
        h.fs.put_file(log_path(&h, 1), &file_with(1..=3));
        h.fs.put_file(log_path(&h, 4), empty);
        let (mut log, lines) = logged(|| open(&h).unwrap());
        assert_eq!(read_all(&log, 0), seqs(1..=3), "{empty:?}");
        assert!(
            lines.len() == 1 && lines[0].contains("removing trailing file"),
            "{lines:?}"
        );
        assert!(h.fs.file_bytes(log_path(&h, 4)).is_none(), "{empty:?}");
        append_all(&mut log, 4..=4);
        log.sync().unwrap();
    }
}

#[test]
fn bad_headers_are_errors() {
    for (header, offset, what) in [
        (&b"ZKSN\0\0\0\x02\0\0\0\0\0\0\0\0"[..], 0, "bad magic"),
        (
            &b"ZKLG\0\0\0\x03\0\0\0\0\0\0\0\0"[..],
            4,
            "unsupported version",
        ),
    ] {
        let h = harness();
        let mut bytes = header.to_vec();
        bytes.extend_from_slice(&file_with(1..=2)[16..]);
        h.fs.put_file(log_path(&h, 1), &bytes);
        let msg = assert_corrupt_at(&h, &log_path(&h, 1), offset);
        assert!(msg.contains(what), "{msg}");
    }
}

#[test]
fn misnamed_or_misordered_files_are_errors() {
    let h = harness();
    h.fs.put_file(log_path(&h, 2), &file_with(1..=3));
    let msg = assert_corrupt_at(&h, &log_path(&h, 2), 16);
    assert!(msg.contains("differs from the file name"), "{msg}");

    // Files overlap: log.1 is not read at open (only its start is), so reading through both
    // reports it.
    let h = harness();
    h.fs.put_file(log_path(&h, 1), &file_with(1..=5));
    h.fs.put_file(log_path(&h, 4), &file_with(4..=6));
    let log = open(&h).unwrap();
    let errors = read_errors(&log, 1);
    assert!(matches!(&errors[..], [Error::ZxidGap { .. }]), "{errors:?}");

    // Zxids going back inside a file are an error wherever the file is read.
    let h = harness();
    h.fs.put_file(log_path(&h, 1), &file_with([1, 2, 3, 2, 4]));
    h.fs.put_file(log_path(&h, 5), &file_with(5..=6));
    let log = open(&h).unwrap();
    let errors = read_errors(&log, 5);
    assert!(errors.is_empty(), "log.1 is not read: {errors:?}");
    let offsets = record_offsets(&file_with([1, 2, 3, 2, 4]));
    let errors = read_errors(&log, 4);
    match &errors[..] {
        [e @ Error::CorruptLog { offset, .. }] => {
            assert_eq!(*offset, offsets[3] as u64, "{e}");
            assert!(e.to_string().contains("does not increase"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn open_reads_only_the_start_of_earlier_files_and_reads_check_the_rest() {
    // Damage past the first record of an earlier file: open does not read there (Apache
    // checks nothing at open); a read of that file finds it, a read after it does not need it.
    let h = harness();
    let first = file_with(1..=4);
    let offsets = record_offsets(&first);
    h.fs.put_file(log_path(&h, 1), &first);
    h.fs.put_file(log_path(&h, 5), &file_with(5..=6));
    h.fs.flip_bit(log_path(&h, 1), offsets[2] as u64 + 20, 4);
    let log = open(&h).unwrap();
    let files = log.log_files();
    assert_eq!(
        files.iter().map(|f| f.scanned).collect::<Vec<_>>(),
        [false, true]
    );
    assert_eq!(log.first_zxid(), Some(Zxid(1)));
    assert_eq!(log.last_zxid(), Some(Zxid(6)));
    assert_eq!(read_all(&log, 5), seqs(5..=6));
    let items: Vec<_> = log.read_from(Zxid(1)).unwrap().collect();
    assert_eq!(items.len(), 3, "two entries, then the error");
    match &items[2] {
        Err(e @ Error::CorruptLog { path, offset, .. }) => {
            assert_eq!((path, *offset), (&log_path(&h, 1), offsets[2] as u64));
            assert!(e.to_string().contains("CRC check failed"), "{e}");
        }
        other => panic!("{other:?}"),
    }

    // A zeroed record followed by valid ones, in an earlier file: an error when read.
    let h = harness();
    let mut first = file_with(1..=4);
    first[offsets[1]..offsets[2]].fill(0);
    h.fs.put_file(log_path(&h, 1), &first);
    h.fs.put_file(log_path(&h, 5), &file_with(5..=6));
    let log = open(&h).unwrap();
    let errors = read_errors(&log, 1);
    match &errors[..] {
        [e @ Error::CorruptLog { offset, .. }] => {
            assert_eq!(*offset, offsets[1] as u64, "{e}");
            assert!(e.to_string().contains("valid record follows"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn earlier_file_that_does_not_start_with_an_entry_is_scanned_at_open() {
    let h = harness();
    let mut first = file_with(1..=3);
    first[20] ^= 1; // the first record's checksum
    h.fs.put_file(log_path(&h, 1), &first);
    h.fs.put_file(log_path(&h, 4), &file_with(4..=5));
    assert_corrupt_at(&h, &log_path(&h, 1), 16);
}

#[test]
fn truncating_into_an_earlier_file_scans_it_first() {
    let h = harness();
    h.fs.put_file(log_path(&h, 1), &file_with(1..=4));
    h.fs.put_file(log_path(&h, 5), &file_with(5..=6));
    let mut log = open(&h).unwrap();
    assert!(!log.log_files()[0].scanned);
    log.truncate_after(Zxid(2)).unwrap();
    assert_eq!(log.last_zxid(), Some(Zxid(2)));
    let file = &log.log_files()[0];
    assert!(file.scanned && file.last_zxid == Some(Zxid(2)), "{file:?}");
    append_all(&mut log, 3..=3);
    log.sync().unwrap();
    let log = open(&h).unwrap();
    assert_eq!(read_all(&log, 0), seqs(1..=3));
}

#[test]
fn torn_tail_in_an_earlier_file_is_skipped_as_apache_does() {
    let h = harness();
    let mut first = file_with(1..=4);
    let last = *record_offsets(&first).last().unwrap();
    first.truncate(first.len() - 1); // record 4 lost its marker: a crash...
    first.extend_from_slice(&[0u8; 100]);
    h.fs.put_file(log_path(&h, 1), &first);
    h.fs.put_file(log_path(&h, 4), &file_with(4..=5)); // ...after which Apache went on
    let (log, lines) = logged(|| open(&h).unwrap());
    assert!(
        lines.is_empty(),
        "open does not read log.1 past its start: {lines:?}"
    );
    let (read, lines) = logged(|| read_all(&log, 0));
    assert_eq!(read, seqs(1..=5));
    let expected = format!(
        "WARN txn log {}: ignoring torn tail at offset {last} (",
        log_path(&h, 1).display()
    );
    assert!(
        lines.len() == 1 && lines[0].starts_with(&expected),
        "{lines:?}"
    );
    assert_eq!(
        h.fs.file_bytes(log_path(&h, 1)).unwrap(),
        first,
        "left as it is"
    );
}

#[test]
fn torn_tail_in_an_earlier_file_that_lost_a_txn_shows_as_a_gap() {
    let h = harness();
    let mut first = file_with(1..=4);
    first.truncate(first.len() - 5);
    h.fs.put_file(log_path(&h, 1), &first);
    h.fs.put_file(log_path(&h, 5), &file_with(5..=6));
    let log = open(&h).unwrap();
    let items: Vec<_> = log.read_from(Zxid(0)).unwrap().collect();
    assert_eq!(items.len(), 4);
    match &items[3] {
        Err(e @ Error::ZxidGap { path, offset, .. }) => {
            assert_eq!((path, *offset), (&log_path(&h, 5), 16));
            assert!(
                e.to_string().contains("zxid 0x5 does not follow 0x3"),
                "{e}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(read_all(&log, 5), seqs(5..=6), "reads after the gap work");
}

#[test]
fn gap_inside_a_file_left_by_an_apache_snap_sync_opens_and_reads_report_it() {
    let h = harness();
    h.fs.put_file(log_path(&h, 1), &file_with([1, 2, 3, 10, 11]));
    let log = open(&h).unwrap();
    assert_eq!(read_all(&log, 10), vec![10, 11]);
    let errors = read_errors(&log, 2);
    assert!(matches!(&errors[..], [Error::ZxidGap { .. }]), "{errors:?}");
}

#[test]
fn rot_after_opening_is_caught_by_reads() {
    let mut h = harness();
    let mut log = h.open();
    append_all(&mut log, 1..=5);
    log.sync().unwrap();
    let path = log_path(&h, 1);
    let third = record_offsets(&h.fs.file_bytes(&path).unwrap())[2];
    h.fs.flip_bit(&path, third as u64 + 14, 1);
    let items: Vec<_> = log.read_from(Zxid(1)).unwrap().collect();
    assert_eq!(items.len(), 3);
    assert!(matches!(&items[2], Err(Error::CorruptLog { offset, .. }) if *offset == third as u64));
}

// ---- The crash-recovery property ----

#[derive(Debug, Clone)]
struct Ops(Vec<Op>);

impl Arbitrary for Ops {
    fn arbitrary(g: &mut Gen) -> Self {
        let n = usize::arbitrary(g) % 40;
        Ops((0..n)
            .map(|_| match u8::arbitrary(g) % 10 {
                0..=3 => Op::Append(u8::arbitrary(g) % 6 + 1),
                4..=5 => Op::Sync,
                6 => Op::Roll,
                7 => Op::Crash,
                _ => Op::CrashInSync(u16::arbitrary(g) % 700),
            })
            .collect())
    }
    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        // Dropping one step at a time keeps the rest meaningful.
        let ops = self.0.clone();
        Box::new((0..ops.len()).rev().map(move |i| {
            let mut fewer = ops.clone();
            fewer.remove(i);
            Ops(fewer)
        }))
    }
}

#[test]
fn recovered_file_log_is_a_prefix_holding_every_synced_entry() {
    fn prop(ops: Ops) -> TestResult {
        match check_crash_recovery(FileHarness::default(), &ops.0) {
            Ok(()) => TestResult::passed(),
            Err(e) => TestResult::error(e),
        }
    }
    QuickCheck::new()
        .tests(300)
        .quickcheck(prop as fn(Ops) -> TestResult);
}

#[test]
fn recovered_mem_log_is_a_prefix_holding_every_synced_entry() {
    fn prop(ops: Ops) -> TestResult {
        match check_crash_recovery(MemHarness::default(), &ops.0) {
            Ok(()) => TestResult::passed(),
            Err(e) => TestResult::error(e),
        }
    }
    QuickCheck::new()
        .tests(300)
        .quickcheck(prop as fn(Ops) -> TestResult);
}
