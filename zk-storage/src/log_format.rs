//! The byte layout of Apache ZooKeeper's txn log files, and the scan that classifies what a
//! file holds: valid records, the end of data, a torn tail, or corruption.
//!
//! ```text
//! log.<hex zxid of the first txn>     (Long.toHexString: lowercase, no padding)
//!
//! FileHeader { int magic = 0x5A4B4C47 'ZKLG'; int version = 2; long dbid = 0 }
//! repeat:
//!     long   checksum   // Adler-32 of txnBytes only (not of len or 'B'), as a long
//!     int    len        // > 0
//!     byte[] txnBytes   // LogEntry::encode
//!     byte   0x42 'B'   // end of record
//! zeros to the end of the file (preallocation)
//! ```
//!
//! # How a file's end is classified
//!
//! Reading stops at the first record that is not valid. What it is decides what happens:
//!
//! | found at offset `p` | name | verdict |
//! |---|---|---|
//! | end of file, or `len == 0` (Apache's end of data), and only zeros after | end | clean end |
//! | header cut by EOF, `len < 0`, record runs past EOF, or no `'B'` after it | torn | torn tail, *if nothing valid follows* |
//! | complete record (`'B'` in place) whose Adler-32 fails | corrupt | error |
//! | a byte other than `'B'` or 0 after a record whose Adler-32 holds | corrupt | error |
//! | a torn record or garbage after the end, followed by a checksum-valid record | — | error |
//!
//! A crash can only leave a *prefix* of the last unsynced writes plus zeros (the file was
//! preallocated with zeros), which is the torn case. A complete record with a bad checksum is
//! what bit rot in an acknowledged txn looks like, so it is refused as Apache refuses it ("CRC
//! check failed"). Valid data after damage means the damage is not at the tail, so it may have
//! hit acknowledged txns: refused too. The file log then decides what a torn tail means per
//! file (see [`FileTxnLog`](crate::FileTxnLog)).

use std::path::Path;

use zk_proto::txn::FileHeader;
use zk_proto::{Jute, Zxid};

use crate::entry::EntryError;
use crate::fs::{read_exact_at, FileHandle, FileSystem};
use crate::{Error, Result};

/// Bytes of the file header ([`FileHeader`]: magic `ZKLG`, version 2, dbid 0).
pub const FILE_HEADER_BYTES: u64 = FileHeader::BYTES as u64;
/// The end-of-record marker.
pub const END_OF_RECORD: u8 = b'B';
/// Bytes a record adds around its txn bytes: checksum, length, marker.
pub const RECORD_OVERHEAD: usize = 8 + 4 + 1;
/// The file name prefix of txn logs.
pub const LOG_FILE_PREFIX: &str = "log";

/// The header Apache 3.8 writes at the start of every txn log. Apache never assigns the dbid
/// (so it is 0) and never checks it.
pub const TXN_LOG_HEADER: FileHeader = FileHeader {
    magic: FileHeader::TXNLOG_MAGIC,
    version: FileHeader::VERSION,
    dbid: 0,
};

/// `log.<zxid in lowercase hex>`, as Apache's `Util.makeLogName`.
pub fn log_file_name(zxid: Zxid) -> String {
    format!("{LOG_FILE_PREFIX}.{:x}", zxid.0)
}

/// The zxid in a `log.<hex>` file name; `None` for any other name (including `log.<hex>.tmp`).
pub fn parse_log_file_name(name: &str) -> Option<Zxid> {
    let hex = name.strip_prefix(LOG_FILE_PREFIX)?.strip_prefix('.')?;
    if hex.is_empty() || hex.len() > 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(hex, 16).ok().map(|z| Zxid(z as i64))
}

/// The txn log files in `dir`, sorted by the zxid in their names.
pub fn list_log_files(fs: &dyn FileSystem, dir: &Path) -> Result<Vec<(Zxid, String)>> {
    let names = fs.list(dir).map_err(|source| Error::Io {
        op: "list",
        path: dir.to_path_buf(),
        source,
    })?;
    let mut logs: Vec<(Zxid, String)> = names
        .into_iter()
        .filter_map(|n| parse_log_file_name(&n).map(|z| (z, n)))
        .collect();
    logs.sort();
    Ok(logs)
}

/// Appends one record (checksum, length, `txn_bytes` written by `encode`, `'B'`) to `out`.
/// Encoding in place avoids a copy of every entry on the hot path.
pub fn encode_record(out: &mut Vec<u8>, encode: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend_from_slice(&[0u8; 12]);
    encode(out);
    let txn = &out[start + 12..];
    // Entries are bounded by the caller's memory long before 2 GiB; a larger one cannot be
    // framed by jute at all, so reaching this is a caller bug.
    let len = i32::try_from(txn.len()).expect("log entry larger than 2 GiB");
    let crc = i64::from(simd_adler32::adler32(&txn));
    out[start..start + 8].copy_from_slice(&crc.to_be_bytes());
    out[start + 8..start + 12].copy_from_slice(&len.to_be_bytes());
    out.push(END_OF_RECORD);
}

/// A read window over one file: bytes are fetched in large chunks and any range requested is
/// bounded by the file's length, so a garbage length can never cause a large allocation.
#[derive(Debug)]
pub(crate) struct FileWindow {
    file: Box<dyn FileHandle>,
    len: u64,
    buf: Vec<u8>,
    buf_start: u64,
    /// The least a read fetches.
    chunk: usize,
}

const CHUNK_BYTES: usize = 1 << 20;

impl FileWindow {
    pub(crate) fn new(file: Box<dyn FileHandle>, len: u64) -> Self {
        Self::with_chunk(file, len, CHUNK_BYTES)
    }

    /// A window that reads at least `chunk` bytes at a time (fewer for a quick look).
    pub(crate) fn with_chunk(file: Box<dyn FileHandle>, len: u64, chunk: usize) -> Self {
        FileWindow {
            file,
            len,
            buf: Vec::new(),
            buf_start: 0,
            chunk,
        }
    }

    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// The file, for writing after reading.
    pub(crate) fn into_file(self) -> Box<dyn FileHandle> {
        self.file
    }

    /// The bytes `[offset, offset + n)`, or `None` if they run past the end of the file.
    pub(crate) fn get(&mut self, offset: u64, n: usize) -> std::io::Result<Option<&[u8]>> {
        let Some(end) = offset.checked_add(n as u64).filter(|e| *e <= self.len) else {
            return Ok(None);
        };
        let buf_end = self.buf_start + self.buf.len() as u64;
        if offset < self.buf_start || end > buf_end {
            // `n` fits in the file, so this allocation is bounded by real data.
            let want = (self.len - offset).min(n.max(self.chunk) as u64) as usize;
            self.buf.resize(want, 0);
            read_exact_at(self.file.as_ref(), offset, &mut self.buf)?;
            self.buf_start = offset;
        }
        let at = (offset - self.buf_start) as usize;
        Ok(Some(&self.buf[at..at + n]))
    }

    /// The offset of the first non-zero byte at or after `from`, if any. A trailing hole
    /// (preallocation) reads as zeros, so it is not read.
    pub(crate) fn first_nonzero(&mut self, from: u64) -> std::io::Result<Option<u64>> {
        let end = self.file.zeros_from(from)?.min(self.len);
        let mut at = from;
        while at < end {
            let n = (end - at).min(CHUNK_BYTES as u64) as usize;
            let chunk = self.get(at, n)?.expect("range checked");
            // OR-folding blocks vectorizes; a byte-wise `position` does not.
            if let Some(block) = chunk
                .chunks(4096)
                .position(|c| c.iter().fold(0u8, |acc, b| acc | b) != 0)
            {
                let i = block * 4096
                    + chunk[block * 4096..]
                        .iter()
                        .position(|b| *b != 0)
                        .expect("a non-zero byte in this block");
                return Ok(Some(at + i as u64));
            }
            at += n as u64;
        }
        Ok(None)
    }
}

/// What one record position holds.
#[derive(Debug)]
pub(crate) enum Record<'a> {
    /// A complete record with a matching checksum; the next record starts at `next`.
    Valid { txn: &'a [u8], next: u64 },
    /// End of file, or a zero length (Apache's end of data).
    End,
    /// A record a crash could have left half-written.
    Torn(String),
    /// A complete record that is damaged: its checksum fails, or its marker is wrong.
    Corrupt(String),
}

/// Reads the record at `p`.
pub(crate) fn record_at(w: &mut FileWindow, p: u64) -> std::io::Result<Record<'_>> {
    let remaining = w.len().saturating_sub(p);
    if remaining < 12 {
        return Ok(match w.first_nonzero(p)? {
            None => Record::End,
            Some(_) => Record::Torn("record header cut by the end of the file".into()),
        });
    }
    let head = w.get(p, 12)?.expect("12 bytes remain");
    let crc = i64::from_be_bytes(head[0..8].try_into().expect("8 bytes"));
    let len = i32::from_be_bytes(head[8..12].try_into().expect("4 bytes"));
    if len == 0 {
        return Ok(Record::End);
    }
    if len < 0 {
        return Ok(Record::Torn(format!("negative record length {len}")));
    }
    let total = 12 + len as usize + 1;
    let Some(bytes) = w.get(p, total)? else {
        return Ok(Record::Torn(format!(
            "record of {len} bytes runs past the end of the file"
        )));
    };
    let marker = bytes[total - 1];
    let txn = &bytes[12..total - 1];
    let computed = i64::from(simd_adler32::adler32(&txn));
    if marker != END_OF_RECORD {
        // A crash leaves zeros where the marker was not yet written. Any other byte after a
        // record whose checksum holds is a flipped marker on a complete record.
        if marker != 0 && computed == crc {
            return Ok(Record::Corrupt(format!(
                "end-of-record marker is {marker:#04x}, not 'B', on a record whose checksum holds"
            )));
        }
        return Ok(Record::Torn(format!(
            "no end-of-record marker 'B' after {len} bytes"
        )));
    }
    if computed != crc {
        return Ok(Record::Corrupt(format!(
            "checksum mismatch (CRC check failed): stored {crc:#x}, computed {computed:#x}"
        )));
    }
    Ok(Record::Valid {
        txn,
        next: p + total as u64,
    })
}

/// How a scanned file ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tail {
    /// End of file or zero padding.
    Clean,
    /// A torn record or garbage from `offset` on, with nothing valid after it.
    Torn {
        /// Where the valid data ends.
        offset: u64,
        /// What was found there.
        reason: String,
    },
}

/// What [`scan_file`] found in one file.
#[derive(Debug)]
pub(crate) struct ScannedFile {
    /// `None` if the file has no usable header (empty, cut, or all zeros): it holds nothing.
    pub no_header: Option<String>,
    /// The last valid record's zxid.
    pub last: Option<Zxid>,
    /// Offset just past the last valid record.
    pub data_end: u64,
    /// How the file ends.
    pub tail: Tail,
}

/// Scans a whole file: checks the header, every record's checksum, that the first zxid is the
/// one in the file name and that zxids increase from `prev` on; classifies the end.
pub(crate) fn scan_file(
    file: Box<dyn FileHandle>,
    path: &Path,
    name_zxid: Zxid,
    mut prev: Option<Zxid>,
    peek_zxid: fn(&[u8]) -> Result<Zxid, EntryError>,
) -> Result<ScannedFile> {
    let io = |source| Error::Io {
        op: "read",
        path: path.to_path_buf(),
        source,
    };
    let corrupt = |offset: u64, reason: String| Error::CorruptLog {
        path: path.to_path_buf(),
        offset,
        reason,
    };
    let len = file.len().map_err(io)?;
    let mut w = FileWindow::new(file, len);
    let empty = |reason: &str| ScannedFile {
        no_header: Some(reason.to_string()),
        last: None,
        data_end: 0,
        tail: Tail::Clean,
    };
    let Some(head) = w.get(0, FILE_HEADER_BYTES as usize).map_err(io)? else {
        return Ok(empty(if len == 0 {
            "empty file"
        } else {
            "file header cut short"
        }));
    };
    let header = FileHeader::from_bytes(head.to_vec()).expect("16 bytes hold a header");
    if header.magic != FileHeader::TXNLOG_MAGIC {
        if header.magic == 0 && w.first_nonzero(0).map_err(io)?.is_none() {
            return Ok(empty("file of zeros without a header"));
        }
        return Err(corrupt(
            0,
            format!("bad magic {:#x}, not a txn log", header.magic),
        ));
    }
    if header.version != FileHeader::VERSION {
        return Err(corrupt(
            4,
            format!("unsupported version {}", header.version),
        ));
    }
    let mut p = FILE_HEADER_BYTES;
    let mut last = None;
    let verdict = loop {
        match record_at(&mut w, p).map_err(io)? {
            Record::Valid { txn, next } => {
                let zxid =
                    peek_zxid(txn).map_err(|e| corrupt(p, format!("undecodable entry: {e}")))?;
                if last.is_none() && zxid != name_zxid {
                    return Err(corrupt(
                        p,
                        format!("first zxid {zxid} differs from the file name's {name_zxid}"),
                    ));
                }
                if let Some(before) = prev.filter(|b| *b >= zxid) {
                    return Err(corrupt(
                        p,
                        format!("zxid {zxid} does not increase (previous {before})"),
                    ));
                }
                prev = Some(zxid);
                last = Some(zxid);
                p = next;
            }
            Record::Corrupt(reason) => return Err(corrupt(p, reason)),
            Record::End => break None,
            Record::Torn(reason) => break Some(reason),
        }
    };
    let tail = classify_end(&mut w, path, p, verdict)?;
    Ok(ScannedFile {
        no_header: None,
        last,
        data_end: p,
        tail,
    })
}

/// Whether a file starts like a log with entries: a valid header and, at the first record, a
/// checksum-valid entry whose zxid is the one in the file name. Reads the first few KiB only.
/// Open uses it for every file but the last, which it does not read further (see
/// [`FileTxnLog`](crate::FileTxnLog)); `false` means "scan the whole file to find out why".
pub(crate) fn starts_with_entry(
    file: Box<dyn FileHandle>,
    name_zxid: Zxid,
    peek_zxid: fn(&[u8]) -> Result<Zxid, EntryError>,
) -> std::io::Result<bool> {
    let len = file.len()?;
    let mut w = FileWindow::with_chunk(file, len, PEEK_CHUNK_BYTES);
    let Some(head) = w.get(0, FILE_HEADER_BYTES as usize)? else {
        return Ok(false);
    };
    let header = FileHeader::from_bytes(head.to_vec()).expect("16 bytes hold a header");
    if header.magic != FileHeader::TXNLOG_MAGIC || header.version != FileHeader::VERSION {
        return Ok(false);
    }
    Ok(match record_at(&mut w, FILE_HEADER_BYTES)? {
        Record::Valid { txn, .. } => peek_zxid(txn).is_ok_and(|z| z == name_zxid),
        _ => false,
    })
}

/// The read size of [`starts_with_entry`]: a header and a typical first record.
const PEEK_CHUNK_BYTES: usize = 4096;

/// How the bytes after a file's last valid record at `p` read, given what stopped the
/// records there (`torn`: the reason, for a torn record; `None`: a zero length): zeros (a
/// clean end), a torn tail, or damage followed by valid records (an [`Error::CorruptLog`]).
pub(crate) fn classify_end(
    w: &mut FileWindow,
    path: &Path,
    p: u64,
    torn: Option<String>,
) -> Result<Tail> {
    classify_tail(w, p, torn).map_err(|e| match e {
        TailError::Io(source) => Error::Io {
            op: "read",
            path: path.to_path_buf(),
            source,
        },
        TailError::Corrupt(reason) => Error::CorruptLog {
            path: path.to_path_buf(),
            offset: p,
            reason,
        },
    })
}

enum TailError {
    Io(std::io::Error),
    Corrupt(String),
}

/// Decides what the bytes from `p` (where valid data stopped) are: zeros, a torn tail, or
/// damage followed by valid records.
fn classify_tail(w: &mut FileWindow, p: u64, torn: Option<String>) -> Result<Tail, TailError> {
    let Some(nonzero) = w.first_nonzero(p).map_err(TailError::Io)? else {
        return Ok(Tail::Clean);
    };
    let reason = torn.unwrap_or_else(|| "non-zero bytes after the end of data".into());
    // A record is 13+ bytes with a non-zero length: one starting before `nonzero - 11` would
    // have an all-zero length field.
    let from = (p + 1).max(nonzero.saturating_sub(11));
    let rest_len = (w.len() - from) as usize;
    let rest = w
        .get(from, rest_len)
        .map_err(TailError::Io)?
        .expect("in range")
        .to_vec();
    match find_valid_record(&rest) {
        Scan::Found(at) => Err(TailError::Corrupt(format!(
            "{reason}, yet a valid record follows at offset {}",
            from + at as u64
        ))),
        Scan::TooCostly => Err(TailError::Corrupt(format!(
            "{reason}, followed by {rest_len} bytes too garbled to check for valid records"
        ))),
        Scan::None => Ok(Tail::Torn { offset: p, reason }),
    }
}

enum Scan {
    Found(usize),
    None,
    TooCostly,
}

/// Looks for a checksum-valid record starting at any offset of `bytes`. Checksumming is
/// budgeted: random garbage makes candidate lengths plausible often enough to go quadratic.
fn find_valid_record(bytes: &[u8]) -> Scan {
    let mut budget = bytes.len().saturating_mul(64).saturating_add(16 << 20);
    for q in 0..bytes.len().saturating_sub(RECORD_OVERHEAD - 1) {
        let len = i32::from_be_bytes(bytes[q + 8..q + 12].try_into().expect("4 bytes"));
        if len <= 0 {
            continue;
        }
        let end = q + 12 + len as usize;
        if end >= bytes.len() || bytes[end] != END_OF_RECORD {
            continue;
        }
        if budget < len as usize {
            return Scan::TooCostly;
        }
        budget -= len as usize;
        let crc = i64::from_be_bytes(bytes[q..q + 8].try_into().expect("8 bytes"));
        if i64::from(simd_adler32::adler32(&&bytes[q + 12..end])) == crc {
            return Scan::Found(q);
        }
    }
    Scan::None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_round_trip_as_apache_writes_them() {
        assert_eq!(log_file_name(Zxid(0x1_0000_0001)), "log.100000001");
        assert_eq!(
            parse_log_file_name("log.100000001"),
            Some(Zxid(0x1_0000_0001))
        );
        assert_eq!(parse_log_file_name("log.a"), Some(Zxid(10)));
        for bad in [
            "log.",
            "log",
            "log.1.tmp",
            "snapshot.1",
            "log.xyz",
            "log.-1",
            "logs.1",
        ] {
            assert_eq!(parse_log_file_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn record_checksum_covers_the_txn_bytes_only() {
        let mut out = Vec::new();
        encode_record(&mut out, |o| o.extend_from_slice(b"Wikipedia"));
        // Adler-32 of "Wikipedia" is 0x11E60398 (the textbook example).
        assert_eq!(&out[0..8], &0x11E6_0398i64.to_be_bytes());
        assert_eq!(&out[8..12], &9i32.to_be_bytes());
        assert_eq!(&out[12..21], b"Wikipedia");
        assert_eq!(out[21], b'B');
    }

    #[test]
    fn valid_record_search_finds_one_at_any_offset_and_ignores_zeros() {
        let mut bytes = vec![0u8; 100];
        assert!(matches!(find_valid_record(&bytes), Scan::None));
        bytes.extend_from_slice(&[7, 7, 7]);
        encode_record(&mut bytes, |o| o.extend_from_slice(b"x"));
        assert!(matches!(find_valid_record(&bytes), Scan::Found(103)));
    }
}
