//! The [`SnapshotStore`] trait: where snapshots live, with its contract, plus
//! [`SnapshotInfo`] and the cheap validity check both stores share.

use std::io::{Read, Write};

use zk_proto::Zxid;

use super::compression::Compression;
use super::format::SnapshotTrailer;
use super::reader::SnapshotReader;
use super::writer::SnapshotWriter;
use crate::error::Result;

/// One stored snapshot, as [`SnapshotStore::list`] reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SnapshotInfo {
    /// The zxid in its name: the last txn applied when the (fuzzy) snapshot started.
    pub zxid: Zxid,
    /// How its bytes are stored.
    pub compression: Compression,
    /// Its file name, `snapshot.<hex zxid>[.gz|.snappy]`.
    pub name: String,
    /// Its size on disk, bytes.
    pub size_bytes: u64,
}

/// A place that keeps snapshots: a `version-2/` directory ([`FileSnapshotStore`]) or memory
/// ([`MemSnapshotStore`]).
///
/// [`FileSnapshotStore`]: super::FileSnapshotStore
/// [`MemSnapshotStore`]: super::MemSnapshotStore
///
/// # Contract
///
/// - **Atomic, durable commit.** A snapshot being written is invisible: [`list`](Self::list)
///   never reports it and a crash leaves no file under a snapshot name. The file
///   implementation writes `.snapshot.<hex>.tmp`, fsyncs it, renames it to
///   `snapshot.<hex>[suffix]` and fsyncs the directory, all inside
///   [`commit`](Self::commit); only when `commit` returns `Ok` is the snapshot durable. A
///   writer dropped without `commit` leaves nothing behind. Any failure, including a failed
///   fsync, is returned and never retried.
/// - **Listing** returns every entry whose name parses as a snapshot, newest (highest zxid)
///   first, whether or not its contents are valid; validity is the reader's business.
/// - **Reading** ([`open`](Self::open)) yields the decompressed stream through a
///   [`SnapshotReader`], whose errors ([`Error::InvalidSnapshot`](crate::Error)) make
///   recovery skip the snapshot with a warning and fall back to an older one.
/// - **Names** are `snapshot.<lowercase hex zxid, no padding>` plus `.gz` / `.snappy`, as Apache
///   ZooKeeper names them, so either server can read the other's directory.
/// - Stores are used from one process; `&self` methods may be called from several threads
///   (a snapshot written in the background while recovery-time listing happens elsewhere).
pub trait SnapshotStore {
    /// Where [`begin`](Self::begin) writes.
    type Sink: Write;

    /// Every snapshot, newest first.
    fn list(&self) -> Result<Vec<SnapshotInfo>>;

    /// Apache's `SnapStream.isValidSnapshot`: a cheap check of the file's ends (an uncompressed
    /// file must end with the seal's `"/"`; a compressed one must start with its magic). Used
    /// by retention to pick the snapshots to keep; loading still verifies everything.
    fn looks_valid(&self, snapshot: &SnapshotInfo) -> bool;

    /// Opens a snapshot for reading and reads its header, sessions and ACL cache.
    fn open(&self, snapshot: &SnapshotInfo) -> Result<SnapshotReader<Box<dyn Read + Send>>>;

    /// Starts writing the snapshot of state at `zxid` (header written).
    fn begin(&self, zxid: Zxid) -> Result<SnapshotWriter<Self::Sink>>;

    /// Finishes `writer` with `trailer` and makes the snapshot durable and visible.
    fn commit(
        &self,
        writer: SnapshotWriter<Self::Sink>,
        trailer: &SnapshotTrailer,
    ) -> Result<SnapshotInfo>;

    /// Deletes a snapshot (retention).
    fn remove(&self, snapshot: &SnapshotInfo) -> Result<()>;
}

/// Sorts newest first (ties by name, for a stable order).
pub(crate) fn sort_newest_first(list: &mut [SnapshotInfo]) {
    list.sort_by(|a, b| b.zxid.cmp(&a.zxid).then_with(|| b.name.cmp(&a.name)));
}

/// `SnapStream.isValidSnapshot` on the first and last bytes of a file of `len` bytes.
pub(crate) fn quick_check(compression: Compression, head: &[u8], tail: &[u8], len: u64) -> bool {
    match compression {
        // At least a header's worth, and the last seal's `ustring "/"`.
        Compression::None => len >= 10 && tail.ends_with(&[0, 0, 0, 1, b'/']),
        Compression::Gzip => head.starts_with(&[0x1f, 0x8b]),
        Compression::Snappy => head.starts_with(&super::xerial::MAGIC),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_check_is_apaches() {
        assert!(quick_check(Compression::None, b"", b"\0\0\0\x01/", 10));
        assert!(!quick_check(Compression::None, b"", b"\0\0\0\x01/", 9));
        assert!(!quick_check(Compression::None, b"", b"\0\0\0\x02/", 100));
        assert!(quick_check(Compression::Gzip, b"\x1f\x8b\x08", b"", 3));
        assert!(!quick_check(Compression::Snappy, b"\x1f\x8b\x08", b"", 3));
    }
}
