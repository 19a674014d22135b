//! [`FileTxnIterator`]: reads entries back from `log.<zxid>` files, checking every record again.

use std::marker::PhantomData;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use zk_proto::Zxid;

use crate::entry::{zxid_follows, LogEntry};
use crate::fs::FileSystem;
use crate::log_format::{record_at, FileWindow, Record, FILE_HEADER_BYTES};
use crate::{Error, Result};

/// Iterates the entries with zxid ≥ `from` of a list of log files, each up to the end of its
/// durable data. Records are checksummed again (the disk may have rotted since the log was
/// opened) and consecutive yielded entries must [follow](zxid_follows) each other. The first
/// error ends the iteration.
#[derive(Debug)]
pub(crate) struct FileTxnIterator<E> {
    fs: Arc<dyn FileSystem>,
    /// Files still to read: path and end of durable data.
    files: std::vec::IntoIter<(PathBuf, u64)>,
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
    end: u64,
}

impl<E: LogEntry> FileTxnIterator<E> {
    pub(crate) fn new(fs: Arc<dyn FileSystem>, files: Vec<(PathBuf, u64)>, from: Zxid) -> Self {
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
        });
        Ok(true)
    }

    /// The next entry of the current file (`None` at its durable end), without the `from`
    /// filter or the gap check.
    fn next_in_file(c: &mut Current) -> Result<Option<(u64, E)>> {
        if c.pos >= c.end {
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
            Record::Valid { txn, next } => (Bytes::copy_from_slice(txn), next),
            Record::End | Record::Torn(_) => {
                return Err(corrupt("record changed since the log was opened".into()))
            }
            Record::Corrupt(reason) => return Err(corrupt(reason)),
        };
        let entry = E::decode(txn).map_err(|e| corrupt(format!("undecodable entry: {e}")))?;
        c.pos = next;
        Ok(Some((at, entry)))
    }

    fn step(&mut self) -> Result<Option<E>> {
        loop {
            let Some(current) = self.current.as_mut() else {
                if !self.open_next()? {
                    return Ok(None);
                }
                continue;
            };
            let Some((offset, entry)) = Self::next_in_file(current)? else {
                self.current = None;
                continue;
            };
            let zxid = entry.zxid();
            if zxid < self.from {
                continue;
            }
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
