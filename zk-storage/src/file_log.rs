//! [`FileTxnLog`]: the [`TxnLog`] in Apache ZooKeeper 3.8's `log.<zxid>` files.

use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use zk_proto::{Jute, Zxid};

use crate::entry::{zxid_follows, LogEntry};
use crate::file_txn_iterator::FileTxnIterator;
use crate::fs::{remove_gradually, FileHandle, FileSystem, StdFs};
use crate::log_format::{
    encode_record, list_log_files, log_file_name, record_at, scan_file, starts_with_entry,
    FileWindow, Record, ScannedFile, Tail, FILE_HEADER_BYTES, TXN_LOG_HEADER,
};
use crate::txn_log::{TxnIter, TxnLog};
use crate::{Error, Result};

/// Settings of a [`FileTxnLog`], named after Apache's system properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileTxnLogConfig {
    /// Files grow in blocks of this many bytes, zero-filled ahead of the writes so that an
    /// fsync rarely has to update the file size and a zero length marks the end of data
    /// (`zookeeper.preAllocSize`, given in KiB there; default 64 MiB). 0 disables it.
    pub prealloc_bytes: u64,
    /// Roll to a new file after a sync leaves the current one larger than this
    /// (`zookeeper.txnLogSizeLimitInKb`; default none: files roll only on [`TxnLog::roll`]).
    pub roll_bytes: Option<u64>,
    /// Log a warning when an fsync takes longer (`fsync.warningthresholdms`, default 1000).
    pub fsync_warning_ms: u64,
}

impl Default for FileTxnLogConfig {
    fn default() -> Self {
        FileTxnLogConfig {
            prealloc_bytes: 64 << 20,
            roll_bytes: None,
            fsync_warning_ms: 1000,
        }
    }
}

impl FileTxnLogConfig {
    /// Sets [`prealloc_bytes`](Self::prealloc_bytes).
    pub fn with_prealloc_bytes(mut self, bytes: u64) -> Self {
        self.prealloc_bytes = bytes;
        self
    }

    /// Sets [`roll_bytes`](Self::roll_bytes).
    pub fn with_roll_bytes(mut self, bytes: Option<u64>) -> Self {
        self.roll_bytes = bytes;
        self
    }
}

/// One `log.<zxid>` file of a [`FileTxnLog`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFile {
    /// Where it is.
    pub path: PathBuf,
    /// The zxid in its name: its first entry's.
    pub start_zxid: Zxid,
    /// Its last durable entry's zxid (`None` for a file without entries). For a file not
    /// [`scanned`](Self::scanned), its first entry's: a lower bound.
    pub last_zxid: Option<Zxid>,
    /// Offset just past its last durable record; the rest is zeros. For a file not
    /// [`scanned`](Self::scanned), the file's length: an upper bound.
    pub data_end: u64,
    /// Whether every record was read and checked. Opening scans only the newest file (the
    /// only one a crash can have torn) and files that do not start with a valid entry; the
    /// others are checked record by record when [`read_from`](TxnLog::read_from) reads them,
    /// so recovery pays nothing for files wholly below its snapshot.
    pub scanned: bool,
}

/// Log files a [`FileTxnLog`] no longer lists, waiting to be removed: see
/// [`FileTxnLog::detach_before`].
#[derive(Debug)]
#[must_use = "detached files stay on disk until removed"]
pub struct DetachedLogFiles {
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    /// Oldest first.
    paths: Vec<PathBuf>,
}

impl DetachedLogFiles {
    /// The files, oldest first.
    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }

    /// Removes the files and makes the removals durable. Slow on purpose (see
    /// [`remove_gradually`]): each file is first renamed out of the log's namespace
    /// (`log.<zxid>` to `purging.log.<zxid>`, durably), then cut a few MiB at a time, so that
    /// freeing its blocks never stalls the fsyncs of the log being written; a crash part-way
    /// leaves a `purging.` file, which no reader takes for a log file and the next
    /// [`open`](FileTxnLog::open_with) removes. Files go oldest first, so that an interruption
    /// leaves a suffix of the log. A file already gone is no error; after another error the
    /// files not yet removed stay on disk until the log is next opened (and purged).
    pub fn remove(self) -> Result<()> {
        if self.paths.is_empty() {
            return Ok(());
        }
        let mut doomed = Vec::with_capacity(self.paths.len());
        for path in &self.paths {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let to = self
                .dir
                .join(format!("{PURGING_PREFIX}{}", name.unwrap_or_default()));
            match self.fs.rename(path, &to) {
                Ok(()) => doomed.push(to),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io("rename", path)(e)),
            }
        }
        // The renames are durable before any cut: a crash cannot leave a cut `log.` file.
        self.fs
            .sync_dir(&self.dir)
            .map_err(io("fsync directory", &self.dir))?;
        for path in &doomed {
            remove_gradually(self.fs.as_ref(), path).map_err(io("remove", path))?;
        }
        self.fs
            .sync_dir(&self.dir)
            .map_err(io("fsync directory", &self.dir))
    }
}

/// Names a log file being removed (see [`DetachedLogFiles::remove`]).
pub const PURGING_PREFIX: &str = "purging.";

/// The file being appended to.
#[derive(Debug)]
struct Writer {
    file: Box<dyn FileHandle>,
    /// Where the next record goes.
    pos: u64,
    /// The file's length, preallocation included.
    size: u64,
}

/// A [`TxnLog`] in `log.<hex zxid>` files, byte-compatible with Apache ZooKeeper 3.8: Apache
/// reads the files this writes and the other way round (see [`log_format`](crate::log_format)
/// for the bytes).
///
/// # Writing
///
/// [`append`](TxnLog::append) only checks the zxid and encodes the record into a buffer;
/// [`sync`](TxnLog::sync) writes the whole batch with one write, preallocates, and makes it
/// durable with one `fdatasync` (plus a directory fsync when it created the file): group
/// commit. Each file is written by one `FileTxnLog` only: after opening, after
/// [`roll`](TxnLog::roll), [`truncate_after`](TxnLog::truncate_after) or
/// [`skip_to`](TxnLog::skip_to), the next sync starts a new file named after its first entry,
/// as Apache does.
///
/// Any failure to create, extend, write or sync a file poisons the log (see the
/// [`TxnLog`] contract): the error is returned, and every later write returns
/// [`Error::Poisoned`]. The process should stop serving and reopen the log.
///
/// # Opening (recovery)
///
/// [`open`](FileTxnLog::open) reads the newest file whole and checks every record (see
/// [`log_format`](crate::log_format) for how damage is classified). Of each earlier file it
/// checks only the header and first record: those files were complete before a later one was
/// started, so a crash cannot have torn them, and recovery reads only the files from its
/// snapshot on. [`read_from`](TxnLog::read_from) checks every record it reads, in any file,
/// and classifies an earlier file's end when it reaches it, as opening does for the newest
/// (Apache checks nothing at open and each record's checksum as it reads it). Then:
///
/// - Trailing files that hold no entry (empty, header cut short, all zeros, or header only)
///   are removed with a warning: a crash hit them before any sync covered them (Apache
///   removes an empty last file too, ZOOKEEPER-2332).
/// - A torn tail in the last file is cut off (the file is truncated to the end of its last
///   valid record and fsynced) with a warning naming the file and offset.
/// - A torn tail in an earlier file is left as it is, with a warning when it is read: Apache
///   leaves such tails behind after a crash and continues in a new file. Its reader skips
///   them, so do we; if the lost record had mattered, the next file would not continue from
///   the previous one, and [`read_from`](TxnLog::read_from) would report the gap.
/// - Everything else wrong is an [`Error::CorruptLog`] naming the file and offset: from
///   `open` for the newest file and for a file that does not start with a valid entry, from
///   `read_from` for damage further into an earlier file.
///
/// # Example
///
/// ```
/// use zk_storage::{BytesEntry, FileTxnLog, TxnLog};
///
/// let dir = tempfile::tempdir()?;
/// let mut log = FileTxnLog::<BytesEntry>::open(dir.path())?;
/// for seq in 1..=3 {
///     log.append(BytesEntry::new(seq, format!("command {seq}")))?;
/// }
/// assert_eq!(log.sync()?.map(|z| z.0), Some(3)); // one fsync for three entries
/// drop(log);
///
/// let log = FileTxnLog::<BytesEntry>::open(dir.path())?;
/// let entries: Vec<BytesEntry> = log.read_from(zk_proto::Zxid(2))?.collect::<Result<_, _>>()?;
/// assert_eq!(entries[0].payload, "command 2");
/// assert!(dir.path().join("log.1").exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FileTxnLog<E> {
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    config: FileTxnLogConfig,
    /// Every log file, in zxid order. The last one is the writer's, if there is a writer.
    files: Vec<LogFile>,
    writer: Option<Writer>,
    /// Encoded records appended since the last sync.
    pending: Vec<u8>,
    /// Zxid and offset in `pending` of each of those records.
    pending_zxids: Vec<(Zxid, usize)>,
    last_durable: Option<Zxid>,
    skipped_to: Option<Zxid>,
    poisoned: Option<String>,
    _entry: PhantomData<fn() -> E>,
}

impl<E: LogEntry> FileTxnLog<E> {
    /// Opens (recovering) or creates the log in `dir` on the real file system with the default
    /// settings. For ZooKeeper's layout, `dir` is `dataLogDir/version-2`.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        Self::open_with(Arc::new(StdFs), dir, FileTxnLogConfig::default())
    }

    /// Opens (recovering) or creates the log in `dir` on `fs`. See the type's docs for what
    /// recovery does.
    pub fn open_with(
        fs: Arc<dyn FileSystem>,
        dir: impl Into<PathBuf>,
        config: FileTxnLogConfig,
    ) -> Result<Self> {
        let dir = dir.into();
        fs.create_dir_all(&dir)
            .map_err(io("create directory", &dir))?;
        Self::remove_leftovers(fs.as_ref(), &dir);
        let scanned = Self::scan_all(fs.as_ref(), &dir)?;
        let files = Self::recover_tail(fs.as_ref(), &dir, scanned)?;
        let last_durable = files.iter().rev().find_map(|f| f.last_zxid);
        Ok(FileTxnLog {
            fs,
            dir,
            config,
            files,
            writer: None,
            pending: Vec::new(),
            pending_zxids: Vec::new(),
            last_durable,
            skipped_to: None,
            poisoned: None,
            _entry: PhantomData,
        })
    }

    /// Removes the `purging.` files a purge left behind when it was interrupted. Best effort:
    /// they hold nothing anyone reads, so a failure is only a warning.
    fn remove_leftovers(fs: &dyn FileSystem, dir: &Path) {
        let Ok(names) = fs.list(dir) else {
            return; // listing the log files reports the error
        };
        for name in names.iter().filter(|n| n.starts_with(PURGING_PREFIX)) {
            let path = dir.join(name);
            tracing::info!(path = %path.display(), "removing a file an interrupted purge left");
            if let Err(err) = fs.remove(&path) {
                tracing::warn!(path = %path.display(), %err, "could not remove it");
            }
        }
    }

    /// Lists the files in zxid order, scanning the newest whole and looking at the start of
    /// the others (see "Opening" in the type's docs). A newest file without entries is
    /// scanned all the same, and so is the one before it, which then becomes the newest.
    fn scan_all(fs: &dyn FileSystem, dir: &Path) -> Result<Vec<(LogFile, ScannedFile)>> {
        let listed = list_log_files(fs, dir)?;
        let mut scanned = Vec::with_capacity(listed.len());
        let mut whole_from = listed.len();
        // From the newest back, until a file holds an entry: every one of those is scanned.
        while whole_from > 0 {
            whole_from -= 1;
            let (start_zxid, name) = &listed[whole_from];
            let (info, scan) = Self::scan_one(fs, dir.join(name), *start_zxid)?;
            let has_entries = info.last_zxid.is_some();
            scanned.push((info, scan));
            if has_entries {
                break;
            }
        }
        scanned.reverse();
        let mut earlier = Vec::with_capacity(whole_from);
        for (start_zxid, name) in &listed[..whole_from] {
            let path = dir.join(name);
            let file = fs.open(&path, false).map_err(io("open", &path))?;
            if starts_with_entry(file, *start_zxid, E::peek_zxid).map_err(io("read", &path))? {
                let len = fs
                    .open(&path, false)
                    .and_then(|f| f.len())
                    .map_err(io("read", &path))?;
                let info = LogFile {
                    path,
                    start_zxid: *start_zxid,
                    last_zxid: Some(*start_zxid),
                    data_end: len,
                    scanned: false,
                };
                let scan = ScannedFile {
                    no_header: None,
                    last: info.last_zxid,
                    data_end: len,
                    tail: Tail::Clean,
                };
                earlier.push((info, scan));
            } else {
                earlier.push(Self::scan_one(fs, path, *start_zxid)?);
            }
        }
        earlier.extend(scanned);
        Ok(earlier)
    }

    /// Reads and checks one whole file. Zxids must increase within it; across files, reads
    /// check that each entry follows the one before.
    fn scan_one(
        fs: &dyn FileSystem,
        path: PathBuf,
        start_zxid: Zxid,
    ) -> Result<(LogFile, ScannedFile)> {
        let file = fs.open(&path, false).map_err(io("open", &path))?;
        let scan = scan_file(file, &path, start_zxid, None, E::peek_zxid)?;
        let info = LogFile {
            path,
            start_zxid,
            last_zxid: scan.last,
            data_end: scan.data_end,
            scanned: true,
        };
        Ok((info, scan))
    }

    /// Removes trailing files without entries, cuts a torn tail off the last file, and warns
    /// about torn tails left in earlier files.
    fn recover_tail(
        fs: &dyn FileSystem,
        dir: &Path,
        mut scanned: Vec<(LogFile, ScannedFile)>,
    ) -> Result<Vec<LogFile>> {
        let mut removed = false;
        while let Some((info, scan)) = scanned.last() {
            if info.last_zxid.is_some() {
                break;
            }
            let what = scan.no_header.as_deref().unwrap_or("no entries");
            tracing::warn!(
                "txn log {}: removing trailing file with {what}: no sync ever covered it",
                info.path.display()
            );
            fs.remove(&info.path).map_err(io("remove", &info.path))?;
            scanned.pop();
            removed = true;
        }
        if removed {
            fs.sync_dir(dir).map_err(io("fsync directory", dir))?;
        }
        let count = scanned.len();
        for (i, (info, scan)) in scanned.iter_mut().enumerate() {
            if let Some(what) = &scan.no_header {
                tracing::warn!("txn log {}: ignoring file with {what}", info.path.display());
            }
            let Tail::Torn { offset, reason } = &scan.tail else {
                continue;
            };
            if i + 1 < count {
                tracing::warn!(
                    "txn log {}: ignoring torn tail at offset {offset} ({reason}); later files \
                     continue the log",
                    info.path.display()
                );
                continue;
            }
            tracing::warn!(
                "txn log {}: truncating torn tail at offset {offset} ({reason})",
                info.path.display()
            );
            let mut file = fs.open(&info.path, true).map_err(io("open", &info.path))?;
            file.set_len(*offset).map_err(io("truncate", &info.path))?;
            file.sync_data().map_err(io("fsync", &info.path))?;
            info.data_end = *offset;
        }
        Ok(scanned.into_iter().map(|(info, _)| info).collect())
    }

    /// The directory holding the files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The log's files, in zxid order, with their durable extent.
    pub fn log_files(&self) -> &[LogFile] {
        &self.files
    }

    /// The first half of [`purge_before`](TxnLog::purge_before): forgets the files it would
    /// remove and returns them, to be removed by [`DetachedLogFiles::remove`] — on another
    /// thread if need be. Removing is the slow half: unlinking a 100 MiB log file makes the
    /// file system free its blocks (tens of milliseconds on ext4), which on the thread that
    /// appends would hold up every group commit behind it. The log never reads or writes a
    /// detached file again, and [`truncate_after`](TxnLog::truncate_after) only removes files
    /// it lists. New files are named after their first zxid, above every detached file's
    /// unless the log is truncated below them: a caller that may truncate that far waits for
    /// the removal first (zk-server's quorum storage does).
    pub fn detach_before(&mut self, zxid: Zxid) -> DetachedLogFiles {
        // File i is not needed if file i + 1 starts at or before `zxid`: all of file i's
        // entries are older than that.
        let removable = self
            .files
            .windows(2)
            .take_while(|pair| pair[1].start_zxid <= zxid)
            .count();
        DetachedLogFiles {
            fs: self.fs.clone(),
            dir: self.dir.clone(),
            paths: self.files.drain(..removable).map(|f| f.path).collect(),
        }
    }

    fn check_poisoned(&self) -> Result<()> {
        match &self.poisoned {
            Some(cause) => Err(Error::Poisoned {
                cause: cause.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Runs a write step; a failure poisons the log.
    fn poison_on_error<T>(&mut self, step: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let result = step(self);
        if let Err(e) = &result {
            self.poisoned = Some(e.to_string());
            self.writer = None;
        }
        result
    }

    /// Writes the pending records, preallocating, and fsyncs them.
    fn write_pending(&mut self) -> Result<()> {
        let (first, _) = self.pending_zxids[0];
        let (last, _) = *self.pending_zxids.last().expect("pending is not empty");
        let new_file = self.writer.is_none();
        if new_file {
            let path = self.dir.join(log_file_name(first));
            let mut file = self.fs.create_new(&path).map_err(io("create", &path))?;
            file.write_at(0, &TXN_LOG_HEADER.to_vec())
                .map_err(io("write", &path))?;
            self.files.push(LogFile {
                path,
                start_zxid: first,
                last_zxid: None,
                data_end: FILE_HEADER_BYTES,
                scanned: true,
            });
            self.writer = Some(Writer {
                file,
                pos: FILE_HEADER_BYTES,
                size: FILE_HEADER_BYTES,
            });
        }
        let info = self.files.last_mut().expect("the writer's file is listed");
        let w = self.writer.as_mut().expect("writer opened above");
        let path = &info.path;
        let end = w.pos + self.pending.len() as u64;
        // Decided at the write position, as Apache does before each write, so that files
        // grow exactly as Apache's do (header + n blocks). A batch larger than the padding
        // simply extends the file; the next padding rounds up from there.
        let padded = padded_size(w.pos, w.size, self.config.prealloc_bytes);
        if padded > w.size {
            w.file.set_len(padded).map_err(io("preallocate", path))?;
            w.size = padded;
        }
        w.file
            .write_at(w.pos, &self.pending)
            .map_err(io("write", path))?;
        w.pos = end;
        w.size = w.size.max(end);
        let started = Instant::now();
        w.file.sync_data().map_err(io("fsync", path))?;
        let took_ms = started.elapsed().as_millis();
        if took_ms > u128::from(self.config.fsync_warning_ms) {
            tracing::warn!(
                "fsync of txn log {} took {took_ms} ms (file size {} bytes)",
                path.display(),
                w.size
            );
        }
        if new_file {
            // The file's directory entry must be durable too, or a crash loses the file.
            self.fs
                .sync_dir(&self.dir)
                .map_err(io("fsync directory", &self.dir))?;
        }
        info.data_end = end;
        info.last_zxid = Some(last);
        self.last_durable = Some(last);
        self.pending.clear();
        self.pending_zxids.clear();
        if self.config.roll_bytes.is_some_and(|limit| end > limit) {
            self.writer = None;
        }
        Ok(())
    }

    /// Removes whole files after `zxid`, then cuts the file holding `zxid` after it; each step
    /// durable before the next, so a crash leaves a prefix.
    fn truncate_files(&mut self, zxid: Zxid) -> Result<()> {
        let mut removed = false;
        while let Some(f) = self.files.last().filter(|f| f.start_zxid > zxid) {
            self.fs.remove(&f.path).map_err(io("remove", &f.path))?;
            self.files.pop();
            removed = true;
        }
        if removed {
            self.fs
                .sync_dir(&self.dir)
                .map_err(io("fsync directory", &self.dir))?;
        }
        if let Some(f) = self.files.last_mut().filter(|f| !f.scanned) {
            // Its extent is needed now: it becomes the newest file.
            let (info, _) = Self::scan_one(self.fs.as_ref(), f.path.clone(), f.start_zxid)?;
            *f = info;
        }
        if let Some(f) = self.files.last_mut().filter(|f| f.last_zxid > Some(zxid)) {
            let file = self.fs.open(&f.path, true).map_err(io("open", &f.path))?;
            let len = file.len().map_err(io("read", &f.path))?;
            let mut window = FileWindow::new(file, len);
            let (cut, kept) = find_cut(&mut window, &f.path, zxid, f.data_end, E::peek_zxid)?;
            let mut file = window.into_file();
            file.set_len(cut).map_err(io("truncate", &f.path))?;
            file.sync_data().map_err(io("fsync", &f.path))?;
            f.data_end = cut;
            f.last_zxid = kept;
        }
        self.last_durable = self.files.iter().rev().find_map(|f| f.last_zxid);
        Ok(())
    }
}

/// The offset of the first record after `zxid` in a file (scanning up to `end`), and the last
/// zxid before it.
fn find_cut(
    window: &mut FileWindow,
    path: &Path,
    zxid: Zxid,
    end: u64,
    peek_zxid: fn(&[u8]) -> Result<Zxid, crate::entry::EntryError>,
) -> Result<(u64, Option<Zxid>)> {
    let mut pos = FILE_HEADER_BYTES;
    let mut kept = None;
    while pos < end {
        let corrupt = |reason: String| Error::CorruptLog {
            path: path.to_path_buf(),
            offset: pos,
            reason,
        };
        let record = record_at(window, pos).map_err(io("read", path))?;
        let Record::Valid { txn, next } = record else {
            return Err(corrupt("record changed since the log was opened".into()));
        };
        let z = peek_zxid(txn).map_err(|e| corrupt(format!("undecodable entry: {e}")))?;
        if z > zxid {
            break;
        }
        kept = Some(z);
        pos = next;
    }
    Ok((pos, kept))
}

/// Apache's `FilePadding.calculateFileSizeWithPadding`: when the data comes within 4 KiB of the
/// file's end, grow the file by a block (or to the next block boundary past the data).
fn padded_size(position: u64, file_size: u64, prealloc: u64) -> u64 {
    if prealloc == 0 || position + 4096 < file_size {
        return file_size;
    }
    if position > file_size {
        let size = position + prealloc;
        size - size % prealloc
    } else {
        file_size + prealloc
    }
}

fn io(op: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.to_path_buf();
    move |source| Error::Io { op, path, source }
}

impl<E: LogEntry> TxnLog for FileTxnLog<E> {
    type Entry = E;

    fn append(&mut self, entry: E) -> Result<()> {
        self.check_poisoned()?;
        let zxid = entry.zxid();
        if let Some(last) = self.last_zxid() {
            if !zxid_follows(last, zxid) {
                return Err(Error::ZxidOrder { last, zxid });
            }
        }
        let offset = self.pending.len();
        encode_record(&mut self.pending, |out| entry.encode(out));
        self.pending_zxids.push((zxid, offset));
        Ok(())
    }

    fn sync(&mut self) -> Result<Option<Zxid>> {
        self.check_poisoned()?;
        if !self.pending_zxids.is_empty() {
            self.poison_on_error(Self::write_pending)?;
        }
        Ok(self.durable_zxid())
    }

    fn read_from(&self, zxid: Zxid) -> Result<TxnIter<'_, E>> {
        let with_entries: Vec<&LogFile> = self
            .files
            .iter()
            .filter(|f| f.last_zxid.is_some())
            .collect();
        // Start at the newest file that begins at or before `zxid` (it may hold `zxid`).
        let start = with_entries
            .iter()
            .rposition(|f| f.start_zxid <= zxid)
            .unwrap_or(0);
        let files = with_entries[start..]
            .iter()
            .map(|f| (f.path.clone(), f.scanned.then_some(f.data_end)))
            .collect();
        Ok(Box::new(FileTxnIterator::<E>::new(
            self.fs.clone(),
            files,
            zxid,
        )))
    }

    fn first_zxid(&self) -> Option<Zxid> {
        self.files
            .iter()
            .find(|f| f.last_zxid.is_some())
            .map(|f| f.start_zxid)
    }

    fn last_zxid(&self) -> Option<Zxid> {
        let appended = self.pending_zxids.last().map(|(z, _)| *z);
        appended.or(self.last_durable).max(self.skipped_to)
    }

    fn durable_zxid(&self) -> Option<Zxid> {
        self.last_durable.max(self.skipped_to)
    }

    fn truncate_after(&mut self, zxid: Zxid) -> Result<()> {
        self.check_poisoned()?;
        let keep = self.pending_zxids.partition_point(|(z, _)| *z <= zxid);
        if let Some(&(_, offset)) = self.pending_zxids.get(keep) {
            self.pending.truncate(offset);
            self.pending_zxids.truncate(keep);
        }
        self.sync()?;
        if self.skipped_to.is_some_and(|s| s > zxid) {
            self.skipped_to = None;
        }
        if self.last_durable.is_none_or(|d| d <= zxid) {
            return Ok(());
        }
        self.writer = None;
        self.poison_on_error(|log| log.truncate_files(zxid))
    }

    fn skip_to(&mut self, zxid: Zxid) -> Result<()> {
        self.truncate_after(zxid)?;
        self.roll()?;
        if self.last_durable.is_none_or(|d| d < zxid) {
            self.skipped_to = Some(zxid);
        }
        Ok(())
    }

    fn purge_before(&mut self, zxid: Zxid) -> Result<()> {
        self.check_poisoned()?;
        self.detach_before(zxid).remove()
    }

    fn roll(&mut self) -> Result<()> {
        self.sync()?;
        self.writer = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
