//! [`FileSnapshotStore`]: snapshots as files in a `version-2/` directory, named and laid out
//! as Apache ZooKeeper does.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use zk_proto::Zxid;

use super::compression::{Compression, Encoder};
use super::format::{parse_snapshot_file_name, snapshot_file_name, SnapshotTrailer};
use super::reader::SnapshotReader;
use super::store::{quick_check, sort_newest_first, SnapshotInfo, SnapshotStore};
use super::writer::SnapshotWriter;
use crate::error::{Error, Result};
use crate::fs::{remove_gradually, FileHandle, FileSystem, StdFs};

/// Snapshots in a directory (Apache's `dataDir/version-2`), compatible with Apache ZooKeeper
/// 3.8 in both directions. See [`SnapshotStore`] for the contract.
///
/// New snapshots are written with the configured [`Compression`]; every compression is read.
/// All file operations go through the crate's [`FileSystem`] seam, so tests can inject fsync
/// failures and crashes. Clones use the same directory (e.g. to write a snapshot on another
/// thread).
#[derive(Debug, Clone)]
pub struct FileSnapshotStore {
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    compression: Compression,
}

impl FileSnapshotStore {
    /// Opens the snapshot directory on the real file system; see [`open_with`](Self::open_with).
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        Self::open_with(Arc::new(StdFs), dir)
    }

    /// Opens (creating if needed) the snapshot directory on `fs`, and deletes temporary files
    /// left by snapshot writes that a crash interrupted.
    pub fn open_with(fs: Arc<dyn FileSystem>, dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        fs.create_dir_all(&dir)
            .map_err(|e| io_err("create directory", &dir, e))?;
        for name in fs.list(&dir).map_err(|e| io_err("list", &dir, e))? {
            if name.starts_with(".snapshot.") && name.ends_with(".tmp") {
                let path = dir.join(&name);
                tracing::warn!(file = %path.display(), "removing unfinished snapshot");
                fs.remove(&path).map_err(|e| io_err("remove", &path, e))?;
            }
        }
        Ok(FileSnapshotStore {
            fs,
            dir,
            compression: Compression::None,
        })
    }

    /// Writes new snapshots with `compression` (`zookeeper.snapshot.compression.method`).
    pub fn with_compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of a listed snapshot.
    pub fn path_of(&self, snapshot: &SnapshotInfo) -> PathBuf {
        self.dir.join(&snapshot.name)
    }

    /// The first `head` and last `tail` bytes of a file, and its length.
    fn ends(&self, path: &Path, head: usize, tail: usize) -> io::Result<(Vec<u8>, Vec<u8>, u64)> {
        let file = self.fs.open(path, false)?;
        let len = file.len()?;
        let read = |offset: u64, n: usize| -> io::Result<Vec<u8>> {
            let mut buf = vec![0; n.min(usize::try_from(len - offset).unwrap_or(usize::MAX))];
            crate::fs::read_exact_at(file.as_ref(), offset, &mut buf)?;
            Ok(buf)
        };
        Ok((
            read(0, head)?,
            read(len.saturating_sub(tail as u64), tail)?,
            len,
        ))
    }
}

/// A snapshot file being written: the compressor over the temporary file. Dropping it without
/// [`SnapshotStore::commit`] deletes the temporary file.
pub struct FileSnapshotSink {
    encoder: Option<Encoder<HandleIo>>,
    fs: Arc<dyn FileSystem>,
    tmp: PathBuf,
    zxid: Zxid,
    compression: Compression,
}

impl Write for FileSnapshotSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.encoder.as_mut().expect("sink in use").write(data)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.encoder.as_mut().expect("sink in use").flush()
    }
}

impl Drop for FileSnapshotSink {
    fn drop(&mut self) {
        if self.encoder.take().is_some() {
            // Not committed: nothing may remain under any name.
            let _ = self.fs.remove(&self.tmp);
        }
    }
}

impl SnapshotStore for FileSnapshotStore {
    type Sink = FileSnapshotSink;

    fn list(&self) -> Result<Vec<SnapshotInfo>> {
        let names = self
            .fs
            .list(&self.dir)
            .map_err(|e| io_err("list", &self.dir, e))?;
        let mut list = Vec::new();
        for name in names {
            let Some((zxid, compression)) = parse_snapshot_file_name(&name) else {
                continue;
            };
            let path = self.dir.join(&name);
            let size_bytes = self
                .fs
                .open(&path, false)
                .and_then(|f| f.len())
                .map_err(|e| io_err("stat", &path, e))?;
            list.push(SnapshotInfo {
                zxid,
                compression,
                name,
                size_bytes,
            });
        }
        sort_newest_first(&mut list);
        Ok(list)
    }

    fn looks_valid(&self, snapshot: &SnapshotInfo) -> bool {
        let path = self.path_of(snapshot);
        match self.ends(&path, 8, 5) {
            Ok((head, tail, len)) => quick_check(snapshot.compression, &head, &tail, len),
            Err(e) => {
                tracing::info!(file = %path.display(), error = %e, "unreadable snapshot");
                false
            }
        }
    }

    fn open(&self, snapshot: &SnapshotInfo) -> Result<SnapshotReader<Box<dyn Read + Send>>> {
        let path = self.path_of(snapshot);
        let handle = self
            .fs
            .open(&path, false)
            .map_err(|e| io_err("open", &path, e))?;
        let file = HandleIo { handle, offset: 0 };
        // The reader buffers in large reads itself; a decompressor reads in small ones.
        let input = match snapshot.compression {
            Compression::None => Ok(Box::new(file) as Box<dyn Read + Send>),
            compression => compression.decoder(io::BufReader::with_capacity(64 * 1024, file)),
        };
        let input = input.map_err(|e| Error::InvalidSnapshot {
            file: path.clone(),
            offset: 0,
            reason: format!("{} stream: {e}", snapshot.compression),
        })?;
        SnapshotReader::new(input, path)
    }

    fn begin(&self, zxid: Zxid) -> Result<SnapshotWriter<FileSnapshotSink>> {
        let final_name = snapshot_file_name(zxid, self.compression);
        // Not `snapshot.<hex>.tmp`: Apache would take that for an uncompressed snapshot.
        let tmp = self.dir.join(format!(".{final_name}.tmp"));
        let handle = self
            .fs
            .create(&tmp)
            .map_err(|e| io_err("create", &tmp, e))?;
        let mut sink = FileSnapshotSink {
            encoder: None,
            fs: self.fs.clone(),
            tmp,
            zxid,
            compression: self.compression,
        };
        let encoder = self
            .compression
            .encoder(HandleIo { handle, offset: 0 })
            .map_err(|e| io_err("write", &sink.tmp, e))?;
        sink.encoder = Some(encoder);
        SnapshotWriter::new(sink, self.dir.join(final_name))
    }

    fn commit(
        &self,
        writer: SnapshotWriter<FileSnapshotSink>,
        trailer: &SnapshotTrailer,
    ) -> Result<SnapshotInfo> {
        let mut sink = writer.finish(trailer)?;
        let encoder = sink.encoder.take().expect("sink in use");
        let tmp = sink.tmp.clone();
        let result = (|| {
            let mut file = encoder.finish().map_err(|e| io_err("write", &tmp, e))?;
            file.handle
                .sync_all()
                .map_err(|e| io_err("fsync", &tmp, e))?;
            let size_bytes = file.offset;
            drop(file);
            let name = snapshot_file_name(sink.zxid, sink.compression);
            let path = self.dir.join(&name);
            self.fs
                .rename(&tmp, &path)
                .map_err(|e| io_err("rename", &tmp, e))?;
            self.fs
                .sync_dir(&self.dir)
                .map_err(|e| io_err("fsync", &self.dir, e))?;
            Ok(SnapshotInfo {
                zxid: sink.zxid,
                compression: sink.compression,
                name,
                size_bytes,
            })
        })();
        if result.is_err() {
            // Best effort: a failed snapshot must not stay behind under its temporary name (and
            // after a failed rename or directory fsync, the rename may or may not have
            // happened; the previous snapshots are intact either way).
            let _ = self.fs.remove(&tmp);
        }
        result
    }

    /// Removes the file a few MiB at a time ([`remove_gradually`]): a large snapshot freed at
    /// once stalls the log's fsyncs on the same disk. A crash part-way leaves a cut snapshot,
    /// which fails the validity check and, older than the kept ones, goes at the next purge.
    fn remove(&self, snapshot: &SnapshotInfo) -> Result<()> {
        let path = self.path_of(snapshot);
        remove_gradually(self.fs.as_ref(), &path).map_err(|e| io_err("remove", &path, e))
    }
}

fn io_err(op: &'static str, path: &Path, source: io::Error) -> Error {
    Error::Io {
        op,
        path: path.to_owned(),
        source,
    }
}

/// `Read` and `Write` over the positional [`FileHandle`] of the file-system seam.
struct HandleIo {
    handle: Box<dyn FileHandle>,
    offset: u64,
}

impl Read for HandleIo {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.handle.read_at(self.offset, buf)?;
        self.offset += n as u64;
        Ok(n)
    }
}

impl Write for HandleIo {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.handle.write_at(self.offset, data)?;
        self.offset += data.len() as u64;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use zk_proto::StatPersisted;

    use super::*;
    use crate::snapshot::SnapshotNodeRef;
    use crate::testing::FaultyFs;

    const DIR: &str = "/data/version-2";

    fn store(fs: &FaultyFs) -> FileSnapshotStore {
        FileSnapshotStore::open_with(Arc::new(fs.clone()), DIR)
            .unwrap()
            .with_compression(Compression::Gzip)
    }

    /// Begins a snapshot of `nodes` nodes (root plus children).
    fn try_begin(
        store: &FileSnapshotStore,
        zxid: i64,
        nodes: usize,
    ) -> Result<SnapshotWriter<FileSnapshotSink>> {
        let mut w = store.begin(Zxid(zxid))?;
        w.write_sessions([])?;
        w.write_acls([])?;
        let stat = StatPersisted::default();
        let data = vec![7u8; 1000];
        for i in 0..nodes {
            let path = if i == 0 {
                "/".to_owned()
            } else {
                format!("/n{i}")
            };
            let node = SnapshotNodeRef {
                path: &path,
                data: Some(&data),
                acl_id: -1,
                stat: &stat,
            };
            w.write_node(node)?;
        }
        Ok(w)
    }

    fn begin(
        store: &FileSnapshotStore,
        zxid: i64,
        nodes: usize,
    ) -> SnapshotWriter<FileSnapshotSink> {
        try_begin(store, zxid, nodes).unwrap()
    }

    fn loads(store: &FileSnapshotStore, info: &SnapshotInfo) -> u64 {
        let mut r = store.open(info).unwrap();
        while r.next_node().unwrap().is_some() {}
        let n = r.nodes_read();
        r.finish().unwrap();
        n
    }

    fn zxids(store: &FileSnapshotStore) -> Vec<i64> {
        store.list().unwrap().iter().map(|s| s.zxid.0).collect()
    }

    #[test]
    fn committed_snapshot_survives_a_crash() {
        let fs = FaultyFs::new();
        let s = store(&fs);
        let info = s
            .commit(begin(&s, 5, 100), &SnapshotTrailer::default())
            .unwrap();
        fs.crash();
        let s = store(&fs);
        assert_eq!(zxids(&s), [5]);
        assert_eq!(loads(&s, &info), 100);
    }

    #[test]
    fn crash_while_writing_leaves_only_older_snapshots() {
        let fs = FaultyFs::new();
        let s = store(&fs);
        s.commit(begin(&s, 5, 10), &SnapshotTrailer::default())
            .unwrap();
        let unfinished = begin(&s, 9, 200);
        fs.crash();
        drop(unfinished);
        let s = store(&fs);
        assert_eq!(zxids(&s), [5]);
        assert!(fs.file_bytes(format!("{DIR}/.snapshot.9.gz.tmp")).is_none());
    }

    #[test]
    fn failed_fsync_fails_the_commit_and_publishes_nothing() {
        let fs = FaultyFs::new();
        let s = store(&fs);
        s.commit(begin(&s, 5, 10), &SnapshotTrailer::default())
            .unwrap();
        fs.fail_fsync_after(0);
        let err = s
            .commit(begin(&s, 9, 10), &SnapshotTrailer::default())
            .unwrap_err();
        assert!(matches!(err, Error::Io { op: "fsync", .. }), "{err}");
        assert_eq!(zxids(&s), [5]);
        fs.crash();
        assert_eq!(zxids(&store(&fs)), [5]);
    }

    #[test]
    fn crash_inside_the_commit_fsync_keeps_the_previous_snapshot() {
        for keep in [0, 100, 5000] {
            let fs = FaultyFs::new();
            let s = store(&fs);
            let old = s
                .commit(begin(&s, 5, 10), &SnapshotTrailer::default())
                .unwrap();
            fs.crash_in_fsync_after(0, keep);
            let _ = s.commit(begin(&s, 9, 50), &SnapshotTrailer::default());
            let s = store(&fs);
            assert_eq!(zxids(&s), [5], "keep {keep}");
            assert_eq!(loads(&s, &old), 10);
        }
    }

    #[test]
    fn disk_full_while_writing_is_an_error_and_leaves_nothing() {
        let fs = FaultyFs::new();
        let s = store(&fs).with_compression(Compression::None);
        fs.enospc_after_bytes(5000);
        let result = try_begin(&s, 9, 100).and_then(|w| s.commit(w, &SnapshotTrailer::default()));
        let err = result.unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err}");
        assert!(zxids(&s).is_empty());
        assert!(fs.file_bytes(format!("{DIR}/.snapshot.9.tmp")).is_none());
    }
}
