//! [`FileTxnIterator`]: reads entries back from `log.<zxid>` files, checking every record again.

use std::marker::PhantomData;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use zk_proto::Zxid;

use crate::entry::{zxid_follows, LogEntry};
use crate::fs::FileSystem;
use crate::log_format::{classify_end, record_at, FileWindow, Record, Tail, FILE_HEADER_BYTES};
use crate::{Error, Result};

/// Iterates the entries with zxid ≥ `from` of a list of log files, each up to the end of its
/// durable data. Records are checksummed again (the disk may have rotted since the log was
/// opened) and consecutive yielded entries must [follow](zxid_follows) each other. The first
/// error ends the iteration.
///
/// A file that opening did not scan (an earlier file: see
/// [`FileTxnLog`](crate::FileTxnLog)) has no known end: it is read up to its first record that
/// is not valid, and what follows is classified as opening classifies the newest file's end
/// (zeros; a torn tail, skipped with a warning as Apache does; or damage followed by valid
/// records, an error). Zxids must increase through every record read, skipped or not.
#[derive(Debug)]
pub(crate) struct FileTxnIterator<E> {
    fs: Arc<dyn FileSystem>,
    /// Files still to read: path and end of durable data (`None`: not scanned, unknown).
    files: std::vec::IntoIter<(PathBuf, Option<u64>)>,
    current: Option<Current>,
    from: Zxid,
    prev: Option<Zxid>,
    done: bool,
    _entry: PhantomData<fn() -> E>,
}

#[derive(Debug)]
struct Current {
    path: PathBuf,
    window: FileWindow,
    pos: u64,
    /// The end of durable data; `None` until the end of a file that was not scanned is found.
    end: Option<u64>,
    /// The last zxid read from this file (yielded or skipped).
    last: Option<Zxid>,
}

impl<E: LogEntry> FileTxnIterator<E> {
    pub(crate) fn new(
        fs: Arc<dyn FileSystem>,
        files: Vec<(PathBuf, Option<u64>)>,
        from: Zxid,
    ) -> Self {
        FileTxnIterator {
            fs,
            files: files.into_iter(),
            current: None,
            from,
            prev: None,
            done: false,
            _entry: PhantomData,
        }
    }

    /// Opens the next file; `Ok(false)` when there is none.
    fn open_next(&mut self) -> Result<bool> {
        let Some((path, end)) = self.files.next() else {
            return Ok(false);
        };
        let io = |source| Error::Io {
            op: "open",
            path: path.clone(),
            source,
        };
        let file = self.fs.open(&path, false).map_err(io)?;
        let len = file.len().map_err(io)?;
        self.current = Some(Current {
            path,
            window: FileWindow::new(file, len),
            pos: FILE_HEADER_BYTES,
            end,
            last: None,
        });
        Ok(true)
    }

    /// The next record of the current file (`None` at its durable end), decoded if its zxid is
    /// at least `from` (else skipped: checked, not copied), without the gap check.
    fn next_in_file(c: &mut Current, from: Zxid) -> Result<Option<(u64, Option<E>)>> {
        if c.end.is_some_and(|end| c.pos >= end) {
            return Ok(None);
        }
        let at = c.pos;
        let corrupt = |reason: String| Error::CorruptLog {
            path: c.path.clone(),
            offset: at,
            reason,
        };
        let record = record_at(&mut c.window, at).map_err(|source| Error::Io {
            op: "read",
            path: c.path.clone(),
            source,
        })?;
        let (txn, next) = match record {
            Record::Valid { txn, next } => (txn, next),
            Record::Corrupt(reason) => return Err(corrupt(reason)),
            Record::End | Record::Torn(_) if c.end.is_some() => {
                return Err(corrupt("record changed since the log was opened".into()))
            }
            Record::End => return Self::found_end(c, None),
            Record::Torn(reason) => return Self::found_end(c, Some(reason)),
        };
        let undecodable = |e| corrupt(format!("undecodable entry: {e}"));
        let zxid = E::peek_zxid(txn).map_err(undecodable)?;
        if let Some(before) = c.last.filter(|b| *b >= zxid) {
            return Err(corrupt(format!(
                "zxid {zxid} does not increase (previous {before})"
            )));
        }
        let entry = if zxid < from {
            None
        } else {
            let entry = E::decode(Bytes::copy_from_slice(txn)).map_err(undecodable)?;
            debug_assert_eq!(entry.zxid(), zxid, "peek_zxid agrees with decode");
            Some(entry)
        };
        c.last = Some(zxid);
        c.pos = next;
        Ok(Some((at, entry)))
    }

    /// The records of a file that was not scanned stop at `c.pos`: a clean end, a torn tail
    /// (skipped with a warning: later files continue the log), or an error.
    fn found_end(c: &mut Current, torn: Option<String>) -> Result<Option<(u64, Option<E>)>> {
        if let Tail::Torn { offset, reason } = classify_end(&mut c.window, &c.path, c.pos, torn)? {
            tracing::warn!(
                "txn log {}: ignoring torn tail at offset {offset} ({reason}); later files \
                 continue the log",
                c.path.display()
            );
        }
        c.end = Some(c.pos);
        Ok(None)
    }

    fn step(&mut self) -> Result<Option<E>> {
        loop {
            let Some(current) = self.current.as_mut() else {
                if !self.open_next()? {
                    return Ok(None);
                }
                continue;
            };
            let Some((offset, entry)) = Self::next_in_file(current, self.from)? else {
                self.current = None;
                continue;
            };
            let Some(entry) = entry else {
                continue; // below `from`
            };
            let zxid = entry.zxid();
            if let Some(prev) = self.prev.filter(|p| !zxid_follows(*p, zxid)) {
                return Err(Error::ZxidGap {
                    path: current.path.clone(),
                    offset,
                    prev,
                    next: zxid,
                });
            }
            self.prev = Some(zxid);
            return Ok(Some(entry));
        }
    }
}

impl<E: LogEntry> Iterator for FileTxnIterator<E> {
    type Item = Result<E>;

    fn next(&mut self) -> Option<Result<E>> {
        if self.done {
            return None;
        }
        let item = self.step().transpose();
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }
}
