//! [`SnapshotReader`]: streams an Apache snapshot's sessions, ACLs and nodes, verifying its
//! checksum seals.

use std::io::{self, Read};
use std::path::PathBuf;

use bytes::Bytes;
use simd_adler32::Adler32;
use zk_proto::{Acl, Id, Perms, SessionId, StatPersisted, Zxid};

use super::checked::{CheckedReader, ReadError};
use super::format::{
    FileHeader, SnapshotAcl, SnapshotNode, SnapshotSession, SnapshotTrailer, ZxidDigest,
};
use crate::error::{Error, Result};

/// More bytes than any trailer Apache writes (at most 54); more after the first seal means the
/// file is not a snapshot this reader understands.
const TRAILER_BYTES_MAX: usize = 4096;

/// Reads one snapshot stream (already decompressed): the header, sessions and ACL cache up
/// front, then nodes one at a time, then the seals and trailer.
///
/// Any problem (truncation, a bad length, a checksum mismatch) is
/// [`Error::InvalidSnapshot`] naming the file and the offset in the uncompressed stream; a
/// failure of the underlying file is [`Error::Io`]. The reader never panics on bad input and
/// never allocates more than the input holds.
///
/// Nodes are checked only for what the format itself requires: the first is the root and every
/// later path starts with `/`. Whether each parent precedes its children is the consumer's check
/// (a tree does it for free when it inserts).
///
/// ```
/// use zk_storage::snapshot::{SnapshotReader, SnapshotTrailer, SnapshotWriter, SnapshotNode};
/// use zk_proto::StatPersisted;
///
/// let mut w = SnapshotWriter::new(Vec::new(), "example").unwrap();
/// w.write_sessions([]).unwrap();
/// w.write_acls([]).unwrap();
/// let root = SnapshotNode { path: "/".into(), data: None, acl_id: -1, stat: StatPersisted::default() };
/// w.write_node(root.as_ref()).unwrap();
/// let bytes = w.finish(&SnapshotTrailer::apache_3_8(None)).unwrap();
///
/// let mut r = SnapshotReader::new(&bytes[..], "example").unwrap();
/// assert_eq!(r.next_node().unwrap(), Some(root));
/// assert_eq!(r.next_node().unwrap(), None);
/// assert_eq!(r.finish().unwrap(), SnapshotTrailer::apache_3_8(None));
/// ```
pub struct SnapshotReader<R> {
    input: CheckedReader<R>,
    file: PathBuf,
    header: Option<FileHeader>,
    sessions: Vec<SnapshotSession>,
    acls: Vec<SnapshotAcl>,
    nodes_read: u64,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading nodes.
    Nodes,
    /// The `/` terminator was read.
    NodesDone,
    /// An error was returned; the stream is unusable.
    Failed,
}

impl<R: Read> SnapshotReader<R> {
    /// Reads the header, the sessions and the ACL cache. `file` names the snapshot in errors.
    pub fn new(input: R, file: impl Into<PathBuf>) -> Result<Self> {
        Self::start(input, file.into(), true)
    }

    /// Reads the sessions and ACL cache of a snapshot *body* as a ZAB leader streams it in a
    /// SNAP sync (`SerializeUtils.serializeSnapshot`): no file header, and no seals or trailer
    /// after the nodes. Finish with [`finish_sync_body`](Self::finish_sync_body), which hands
    /// back the bytes read ahead (the `"BenWasHere"` signature that follows).
    pub fn sync_body(input: R, name: impl Into<PathBuf>) -> Result<Self> {
        Self::start(input, name.into(), false)
    }

    fn start(input: R, file: PathBuf, with_header: bool) -> Result<Self> {
        let mut r = SnapshotReader {
            input: CheckedReader::new(input),
            file,
            header: None,
            sessions: Vec::new(),
            acls: Vec::new(),
            nodes_read: 0,
            state: State::Nodes,
        };
        if with_header {
            let at = r.input.offset();
            let header = FileHeader {
                magic: r.i32("FileHeader.magic")?,
                version: r.i32("FileHeader.version")?,
                dbid: r.i64("FileHeader.dbid")?,
            };
            if header.magic != FileHeader::SNAP_MAGIC {
                return Err(r.invalid(at, format!("bad magic {:#x}", header.magic)));
            }
            r.header = Some(header);
        }
        let count = r.read_count("session count")?;
        for _ in 0..count {
            let id = SessionId(r.i64("session id")?);
            let timeout_ms = r.i32("session timeout")?;
            r.sessions.push(SnapshotSession { id, timeout_ms });
        }
        let count = r.read_count("ACL cache size")?;
        for _ in 0..count {
            let id = r.i64("ACL id")?;
            let acl = r.acl_list()?;
            r.acls.push(SnapshotAcl { id, acl });
        }
        Ok(r)
    }

    /// The file header (magic already checked; version and dbid are not, as in Apache);
    /// `None` for a [sync body](Self::sync_body).
    pub fn header(&self) -> Option<&FileHeader> {
        self.header.as_ref()
    }

    /// The sessions the snapshot lists.
    pub fn sessions(&self) -> &[SnapshotSession] {
        &self.sessions
    }

    /// The ACL cache.
    pub fn acls(&self) -> &[SnapshotAcl] {
        &self.acls
    }

    /// Takes the sessions and ACL cache out of the reader (they are not needed to read nodes).
    pub fn take_sessions_and_acls(&mut self) -> (Vec<SnapshotSession>, Vec<SnapshotAcl>) {
        (
            std::mem::take(&mut self.sessions),
            std::mem::take(&mut self.acls),
        )
    }

    /// The snapshot's name in errors (its path, for files).
    pub fn file(&self) -> &std::path::Path {
        &self.file
    }

    /// Nodes returned so far.
    pub fn nodes_read(&self) -> u64 {
        self.nodes_read
    }

    /// Offset of the next byte in the uncompressed stream.
    pub fn offset(&self) -> u64 {
        self.input.offset()
    }

    /// The next node, or `None` after the last.
    pub fn next_node(&mut self) -> Result<Option<SnapshotNode>> {
        match self.state {
            State::Nodes => {}
            State::NodesDone => return Ok(None),
            State::Failed => {
                let at = self.input.offset();
                return Err(self.invalid(at, "read again after an earlier error".into()));
            }
        }
        let result = self.read_node();
        match &result {
            Ok(Some(_)) => self.nodes_read += 1,
            Ok(None) => self.state = State::NodesDone,
            Err(_) => self.state = State::Failed,
        }
        result
    }

    fn read_node(&mut self) -> Result<Option<SnapshotNode>> {
        let at = self.input.offset();
        let path = self
            .ustring("node path")?
            .ok_or_else(|| self.invalid(at, "null node path".into()))?;
        if path == "/" {
            if self.nodes_read == 0 {
                return Err(self.invalid(at, "no root node".into()));
            }
            return Ok(None);
        }
        let path = match (self.nodes_read, path.is_empty()) {
            (0, true) => "/".to_owned(),
            (0, false) => {
                return Err(self.invalid(at, format!("first node is {path:?}, not the root")))
            }
            (_, _) if !path.starts_with('/') => {
                return Err(self.invalid(at, format!("node path {path:?} is not absolute")))
            }
            _ => path,
        };
        let data = self.buffer("node data")?.map(Bytes::from);
        let (acl_id, stat) = self.acl_id_and_stat()?;
        Ok(Some(SnapshotNode {
            path,
            data,
            acl_id,
            stat,
        }))
    }

    /// A node's ACL id and stat: 68 bytes of fixed-size fields, decoded from one read when they
    /// are all there (nearly always), else field by field so that an error names the field.
    fn acl_id_and_stat(&mut self) -> Result<(i64, StatPersisted)> {
        const BYTES: usize = 8 + 8 * 4 + 4 * 3 + 8 * 2;
        let at = self.input.offset();
        let buffered = self
            .input
            .has(BYTES)
            .map_err(|e| self.read_error(at, "node aclId", ReadError::Io(e)))?;
        if buffered {
            let b: [u8; BYTES] = self
                .input
                .take()
                .map_err(|e| self.read_error(at, "node aclId", e))?;
            let i64_at = |i: usize| i64::from_be_bytes(b[i..i + 8].try_into().expect("8 bytes"));
            let i32_at = |i: usize| i32::from_be_bytes(b[i..i + 4].try_into().expect("4 bytes"));
            let stat = StatPersisted {
                czxid: Zxid(i64_at(8)),
                mzxid: Zxid(i64_at(16)),
                ctime: i64_at(24),
                mtime: i64_at(32),
                version: i32_at(40),
                cversion: i32_at(44),
                aversion: i32_at(48),
                ephemeral_owner: i64_at(52),
                pzxid: Zxid(i64_at(60)),
            };
            return Ok((i64_at(0), stat));
        }
        let acl_id = self.i64("node aclId")?;
        let stat = StatPersisted {
            czxid: Zxid(self.i64("StatPersisted.czxid")?),
            mzxid: Zxid(self.i64("StatPersisted.mzxid")?),
            ctime: self.i64("StatPersisted.ctime")?,
            mtime: self.i64("StatPersisted.mtime")?,
            version: self.i32("StatPersisted.version")?,
            cversion: self.i32("StatPersisted.cversion")?,
            aversion: self.i32("StatPersisted.aversion")?,
            ephemeral_owner: self.i64("StatPersisted.ephemeralOwner")?,
            pzxid: Zxid(self.i64("StatPersisted.pzxid")?),
        };
        Ok((acl_id, stat))
    }

    /// Reads any nodes not yet read, the seals and the optional sections after them, verifying
    /// every checksum and that nothing else follows.
    pub fn finish(mut self) -> Result<SnapshotTrailer> {
        assert!(self.header.is_some(), "finish on a sync body");
        while self.next_node()?.is_some() {}
        self.seal("after the nodes")?;
        let at = self.input.offset();
        let adler = self.input.adler_state();
        let tail = self
            .input
            .read_rest(TRAILER_BYTES_MAX)
            .map_err(|e| self.read_error(at, "trailer", e))?
            .ok_or_else(|| {
                self.invalid(
                    at,
                    format!("more than {TRAILER_BYTES_MAX} bytes after the nodes"),
                )
            })?;
        parse_trailer(&tail, &adler).ok_or_else(|| {
            self.invalid(
                at,
                format!(
                    "the {} bytes after the first seal are not a sealed digest and/or \
                     lastProcessedZxid section",
                    tail.len()
                ),
            )
        })
    }

    /// Reads any nodes not yet read of a [sync body](Self::sync_body) and returns the input
    /// with the bytes already read past the body's end, which belong to whatever follows.
    pub fn finish_sync_body(mut self) -> Result<(R, Vec<u8>)> {
        assert!(self.header.is_none(), "finish_sync_body on a snapshot file");
        while self.next_node()?.is_some() {}
        Ok(self.input.into_parts())
    }

    fn seal(&mut self, what: &str) -> Result<()> {
        let expected = self.input.checksum();
        let at = self.input.offset();
        let found = self.i64("seal checksum")?;
        self.ustring("seal path")?;
        if found != expected {
            return Err(self.invalid(
                at,
                format!("checksum mismatch {what}: stored {found:#x}, computed {expected:#x}"),
            ));
        }
        Ok(())
    }

    fn acl_list(&mut self) -> Result<Vec<Acl>> {
        let at = self.input.offset();
        let count = self.i32("ACL list length")?;
        // Apache's reader fails on a null ACL vector (-1) too.
        let count = usize::try_from(count)
            .map_err(|_| self.invalid(at, format!("invalid ACL list length {count}")))?;
        let mut acl = Vec::new();
        for _ in 0..count {
            let perms = Perms(self.i32("ACL perms")?);
            let scheme = self.ustring("ACL scheme")?.unwrap_or_default();
            let id = self.ustring("ACL id")?.unwrap_or_default();
            acl.push(Acl::new(perms, Id::new(scheme, id)));
        }
        Ok(acl)
    }

    fn read_count(&mut self, what: &'static str) -> Result<usize> {
        let at = self.input.offset();
        let count = self.i32(what)?;
        usize::try_from(count).map_err(|_| self.invalid(at, format!("negative {what} {count}")))
    }

    fn i32(&mut self, what: &'static str) -> Result<i32> {
        let at = self.input.offset();
        self.input
            .read_i32()
            .map_err(|e| self.read_error(at, what, e))
    }

    fn i64(&mut self, what: &'static str) -> Result<i64> {
        let at = self.input.offset();
        self.input
            .read_i64()
            .map_err(|e| self.read_error(at, what, e))
    }

    /// A jute `buffer`: `None` for length -1.
    fn buffer(&mut self, what: &'static str) -> Result<Option<Vec<u8>>> {
        let at = self.input.offset();
        let len = self.i32(what)?;
        if len == -1 {
            return Ok(None);
        }
        let len = usize::try_from(len)
            .map_err(|_| self.invalid(at, format!("invalid length {len} of {what}")))?;
        self.input
            .read_bytes(len)
            .map(Some)
            .map_err(|e| self.read_error(at, what, e))
    }

    /// A jute `ustring`: UTF-8, or Java's modified UTF-8 for characters outside the BMP.
    fn ustring(&mut self, what: &'static str) -> Result<Option<String>> {
        let at = self.input.offset();
        let Some(bytes) = self.buffer(what)? else {
            return Ok(None);
        };
        match String::from_utf8(bytes) {
            Ok(s) => Ok(Some(s)),
            Err(e) => {
                // Rare: let zk-proto's reader decode CESU-8 surrogate pairs.
                let bytes = e.into_bytes();
                let mut framed = Vec::with_capacity(bytes.len() + 4);
                framed.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
                framed.extend_from_slice(&bytes);
                zk_proto::jute::Reader::new(framed)
                    .read_ustring(what)
                    .map_err(|_| self.invalid(at, format!("invalid UTF-8 in {what}")))
            }
        }
    }

    fn invalid(&self, offset: u64, reason: String) -> Error {
        Error::InvalidSnapshot {
            file: self.file.clone(),
            offset,
            reason,
        }
    }

    fn read_error(&self, offset: u64, what: &str, e: ReadError) -> Error {
        match e {
            ReadError::Truncated { needed, available } => self.invalid(
                offset,
                format!("truncated reading {what}: need {needed} bytes, {available} left"),
            ),
            // Decompressors report corrupt or cut-off input this way.
            ReadError::Io(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::InvalidData
                        | io::ErrorKind::InvalidInput
                        | io::ErrorKind::UnexpectedEof
                ) =>
            {
                self.invalid(offset, format!("reading {what}: {e}"))
            }
            ReadError::Io(source) => Error::Io {
                op: "read snapshot",
                path: self.file.clone(),
                source,
            },
        }
    }
}

impl<R: Read> Iterator for SnapshotReader<R> {
    type Item = Result<SnapshotNode>;

    /// The next node; after an error, `None`.
    fn next(&mut self) -> Option<Self::Item> {
        if self.state == State::Failed {
            return None;
        }
        self.next_node().transpose()
    }
}

/// A cursor over the bytes after the first seal, with the running checksum.
struct Tail<'a> {
    bytes: &'a [u8],
    pos: usize,
    summed: usize,
    adler: Adler32,
}

impl Tail<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let out = self.bytes.get(self.pos..self.pos + N)?.try_into().ok()?;
        self.pos += N;
        Some(out)
    }

    fn i32(&mut self) -> Option<i32> {
        self.take().map(i32::from_be_bytes)
    }

    fn i64(&mut self) -> Option<i64> {
        self.take().map(i64::from_be_bytes)
    }

    fn ustring(&mut self) -> Option<&[u8]> {
        let len = usize::try_from(self.i32()?).ok()?;
        let s = self.bytes.get(self.pos..self.pos.checked_add(len)?)?;
        self.pos += len;
        Some(s)
    }

    /// A seal whose checksum matches everything before it.
    fn seal(&mut self) -> Option<()> {
        self.adler.write(&self.bytes[self.summed..self.pos]);
        self.summed = self.pos;
        let expected = i64::from(self.adler.finish());
        (self.i64()? == expected && self.ustring().is_some()).then_some(())
    }

    fn at_end(&self) -> bool {
        self.pos == self.bytes.len()
    }
}

/// Parses what follows the first seal: nothing; a sealed digest; a sealed digest then a sealed
/// lastProcessedZxid (3.9); or only a sealed lastProcessedZxid (3.9 with digests disabled).
fn parse_trailer(bytes: &[u8], adler: &Adler32) -> Option<SnapshotTrailer> {
    let cursor = || Tail {
        bytes,
        pos: 0,
        summed: 0,
        adler: adler.clone(),
    };
    let mut t = cursor();
    if t.at_end() {
        return Some(SnapshotTrailer::default());
    }
    let with_digest = (|| {
        let zxid = Zxid(t.i64()?);
        let digest_version = t.i32()?;
        let digest = if digest_version < 2 {
            // 3.6 prereleases wrote the digest as a hex string.
            let s = std::str::from_utf8(t.ustring()?).ok()?;
            u64::from_str_radix(s, 16).ok()? as i64
        } else {
            t.i64()?
        };
        t.seal()?;
        let digest = Some(ZxidDigest {
            zxid,
            digest_version,
            digest,
        });
        if t.at_end() {
            return Some(SnapshotTrailer {
                digest,
                last_processed_zxid: None,
            });
        }
        let last = Zxid(t.i64()?);
        t.seal()?;
        t.at_end().then_some(SnapshotTrailer {
            digest,
            last_processed_zxid: Some(last),
        })
    })();
    with_digest.or_else(|| {
        let mut t = cursor();
        let last = Zxid(t.i64()?);
        t.seal()?;
        t.at_end().then_some(SnapshotTrailer {
            digest: None,
            last_processed_zxid: Some(last),
        })
    })
}
