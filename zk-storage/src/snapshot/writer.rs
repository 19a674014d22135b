//! [`SnapshotWriter`]: writes an Apache snapshot stream one section and one node at a time.

use std::io::Write;
use std::path::PathBuf;

use bytes::BufMut;
use zk_proto::jute::write_buffer;
use zk_proto::{Acl, Jute};

use super::checked::CheckedWriter;
use super::format::{FileHeader, SnapshotNodeRef, SnapshotSession, SnapshotTrailer};
use crate::error::{Error, Result};

/// Writes a snapshot stream byte-for-byte as Apache ZooKeeper's `FileSnap.serialize` does, in
/// the order the format fixes: [`new`](Self::new) (header), [`write_sessions`](Self::write_sessions),
/// [`write_acls`](Self::write_acls), [`write_node`](Self::write_node) for the root and then
/// every node with parents before children, and [`finish`](Self::finish) (terminator, seal,
/// trailer sections, each sealed).
///
/// Nothing is held in memory beyond a 64 KiB buffer, so a tree of any size streams through.
/// Calling the steps out of order, or starting the nodes with anything but the root, is a bug
/// in the caller and panics.
///
/// The writer produces the uncompressed stream; wrap the sink in
/// [`Compression::encoder`](super::Compression::encoder) for `.gz` / `.snappy` files (a
/// [`SnapshotStore`](super::SnapshotStore) does this).
pub struct SnapshotWriter<W: Write> {
    out: CheckedWriter<W>,
    file: PathBuf,
    stage: Stage,
    nodes_written: u64,
    /// A file (header, seals, trailer) rather than a sync body.
    framed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Sessions,
    Acls,
    Nodes,
}

impl<W: Write> SnapshotWriter<W> {
    /// Writes the file header `{'ZKSN', 2, -1}`. `file` names the snapshot in errors.
    pub fn new(out: W, file: impl Into<PathBuf>) -> Result<Self> {
        let mut w = Self::sync_body(out, file);
        w.framed = true;
        FileHeader {
            magic: FileHeader::SNAP_MAGIC,
            version: FileHeader::VERSION,
            dbid: -1,
        }
        .write(w.out.buf());
        w.flush_if_full()?;
        Ok(w)
    }

    /// A writer for a snapshot *body* as a ZAB leader streams it in a SNAP sync
    /// (`SerializeUtils.serializeSnapshot`): no file header, no seals, no trailer. Finish with
    /// [`finish_sync_body`](Self::finish_sync_body); the caller then writes the
    /// `"BenWasHere"` signature.
    pub fn sync_body(out: W, name: impl Into<PathBuf>) -> Self {
        SnapshotWriter {
            out: CheckedWriter::new(out),
            file: name.into(),
            stage: Stage::Sessions,
            nodes_written: 0,
            framed: false,
        }
    }

    /// Writes the session table. The iterator's length is the count written before the
    /// entries; an iterator that yields a different number of items panics.
    pub fn write_sessions<I>(&mut self, sessions: I) -> Result<()>
    where
        I: IntoIterator<Item = SnapshotSession>,
        I::IntoIter: ExactSizeIterator,
    {
        self.advance(Stage::Sessions, Stage::Acls);
        let sessions = sessions.into_iter();
        let count = sessions.len();
        self.out.buf().put_i32(len_i32(count));
        let mut written = 0;
        for s in sessions {
            let buf = self.out.buf();
            buf.put_i64(s.id.0);
            buf.put_i32(s.timeout_ms);
            written += 1;
            self.flush_if_full()?;
        }
        assert_eq!(written, count, "session iterator lied about its length");
        Ok(())
    }

    /// Writes the ACL cache: `(id, acl list)` pairs. Id -1 (`OPEN_ACL_UNSAFE`) is implicit and
    /// must not be listed.
    pub fn write_acls<'a, I>(&mut self, acls: I) -> Result<()>
    where
        I: IntoIterator<Item = (i64, &'a [Acl])>,
        I::IntoIter: ExactSizeIterator,
    {
        self.advance(Stage::Acls, Stage::Nodes);
        let acls = acls.into_iter();
        let count = acls.len();
        self.out.buf().put_i32(len_i32(count));
        let mut written = 0;
        for (id, list) in acls {
            let buf = self.out.buf();
            buf.put_i64(id);
            buf.put_i32(len_i32(list.len()));
            for acl in list {
                acl.write(buf);
            }
            written += 1;
            self.flush_if_full()?;
        }
        assert_eq!(written, count, "ACL iterator lied about its length");
        Ok(())
    }

    /// Writes one node. The first must be the root (`"/"`, or `""` as the file spells it), and
    /// every node must come after its parent.
    pub fn write_node(&mut self, node: SnapshotNodeRef<'_>) -> Result<()> {
        assert_eq!(self.stage, Stage::Nodes, "write_node before write_acls");
        let path = if self.nodes_written == 0 {
            assert!(
                node.path == "/" || node.path.is_empty(),
                "the first node of a snapshot must be the root, not {:?}",
                node.path
            );
            // The file stores the root as the empty path.
            ""
        } else {
            assert!(
                node.path.starts_with('/') && node.path != "/",
                "node path {:?} after the root",
                node.path
            );
            node.path
        };
        let buf = self.out.buf();
        write_buffer(buf, Some(path.as_bytes()));
        write_buffer(buf, node.data);
        buf.put_i64(node.acl_id);
        node.stat.write(buf);
        self.nodes_written += 1;
        self.flush_if_full()
    }

    /// Nodes written so far.
    pub fn nodes_written(&self) -> u64 {
        self.nodes_written
    }

    /// Bytes of the uncompressed stream written so far.
    pub fn bytes_written(&self) -> u64 {
        self.out.offset()
    }

    /// Writes the `/` terminator, the seal, and the trailer's sections each with its own seal,
    /// then returns the sink (not flushed or synced: a compressor or a file still needs
    /// finishing by its owner).
    pub fn finish(mut self, trailer: &SnapshotTrailer) -> Result<W> {
        assert!(self.framed, "finish on a sync body");
        self.end_nodes();
        self.seal();
        if let Some(d) = trailer.digest {
            let buf = self.out.buf();
            buf.put_i64(d.zxid.0);
            buf.put_i32(d.digest_version);
            if d.digest_version < 2 {
                // What 3.6 prereleases wrote; kept so any digest read can be written back.
                write_buffer(buf, Some(format!("{:x}", d.digest as u64).as_bytes()));
            } else {
                buf.put_i64(d.digest);
            }
            self.seal();
        }
        if let Some(zxid) = trailer.last_processed_zxid {
            self.out.buf().put_i64(zxid.0);
            self.seal();
        }
        self.into_inner()
    }

    /// Writes the `/` terminator of a [sync body](Self::sync_body) and returns the sink.
    pub fn finish_sync_body(mut self) -> Result<W> {
        assert!(!self.framed, "finish_sync_body on a snapshot file");
        self.end_nodes();
        self.into_inner()
    }

    fn end_nodes(&mut self) {
        assert_eq!(self.stage, Stage::Nodes, "finish before write_acls");
        assert!(self.nodes_written > 0, "a snapshot needs at least the root");
        write_buffer(self.out.buf(), Some(b"/"));
    }

    fn into_inner(self) -> Result<W> {
        let file = self.file;
        self.out.into_inner().map_err(|source| Error::Io {
            op: "write snapshot",
            path: file,
            source,
        })
    }

    /// `SnapStream.sealStream`: the running checksum, then the string `/`.
    fn seal(&mut self) {
        let sum = self.out.checksum();
        let buf = self.out.buf();
        buf.put_i64(sum);
        write_buffer(buf, Some(b"/"));
    }

    fn advance(&mut self, expected: Stage, next: Stage) {
        assert_eq!(
            self.stage, expected,
            "snapshot sections written out of order"
        );
        self.stage = next;
    }

    fn flush_if_full(&mut self) -> Result<()> {
        self.out.maybe_flush().map_err(|source| Error::Io {
            op: "write snapshot",
            path: self.file.clone(),
            source,
        })
    }
}

fn len_i32(len: usize) -> i32 {
    i32::try_from(len).expect("more than i32::MAX entries in a snapshot section")
}
