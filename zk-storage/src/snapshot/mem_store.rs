//! [`MemSnapshotStore`]: snapshots kept in memory, for tests and simulations.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use zk_proto::Zxid;

use super::compression::{Compression, Encoder};
use super::format::{parse_snapshot_file_name, snapshot_file_name, SnapshotTrailer};
use super::reader::SnapshotReader;
use super::store::{quick_check, sort_newest_first, SnapshotInfo, SnapshotStore};
use super::writer::SnapshotWriter;
use crate::error::{Error, Result};

/// Snapshots as byte strings in memory, encoded exactly as on disk (compression included), so
/// the same bytes can be copied to or from a real directory. Clones share the same snapshots.
///
/// It keeps the [`SnapshotStore`] contract trivially (a snapshot appears at `commit`), and
/// offers raw access for tests that corrupt or hand-craft snapshots.
#[derive(Debug, Clone, Default)]
pub struct MemSnapshotStore {
    files: Arc<Mutex<BTreeMap<String, Bytes>>>,
    compression: Compression,
}

impl MemSnapshotStore {
    /// An empty store writing uncompressed snapshots.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes new snapshots with `compression`.
    pub fn with_compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// The stored bytes of a snapshot file.
    pub fn raw(&self, name: &str) -> Option<Bytes> {
        self.files().get(name).cloned()
    }

    /// Stores `bytes` under `name` as they are (a name that is not a snapshot name is kept but
    /// never listed, like a stray file in a directory).
    pub fn put_raw(&self, name: impl Into<String>, bytes: impl Into<Bytes>) {
        self.files().insert(name.into(), bytes.into());
    }

    fn files(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Bytes>> {
        // A panic while holding the lock cannot leave the map half-updated.
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn mem_path(name: &str) -> std::path::PathBuf {
        format!("mem:{name}").into()
    }
}

/// A snapshot being written to a [`MemSnapshotStore`].
pub struct MemSnapshotSink {
    encoder: Encoder<Vec<u8>>,
    zxid: Zxid,
    compression: Compression,
}

impl Write for MemSnapshotSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.encoder.write(data)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.encoder.flush()
    }
}

impl SnapshotStore for MemSnapshotStore {
    type Sink = MemSnapshotSink;

    fn list(&self) -> Result<Vec<SnapshotInfo>> {
        let mut list: Vec<SnapshotInfo> = self
            .files()
            .iter()
            .filter_map(|(name, bytes)| {
                let (zxid, compression) = parse_snapshot_file_name(name)?;
                Some(SnapshotInfo {
                    zxid,
                    compression,
                    name: name.clone(),
                    size_bytes: bytes.len() as u64,
                })
            })
            .collect();
        sort_newest_first(&mut list);
        Ok(list)
    }

    fn looks_valid(&self, snapshot: &SnapshotInfo) -> bool {
        self.raw(&snapshot.name).is_some_and(|b| {
            let tail = &b[b.len().saturating_sub(5)..];
            quick_check(snapshot.compression, &b, tail, b.len() as u64)
        })
    }

    fn open(&self, snapshot: &SnapshotInfo) -> Result<SnapshotReader<Box<dyn Read + Send>>> {
        let path = Self::mem_path(&snapshot.name);
        let bytes = self.raw(&snapshot.name).ok_or_else(|| Error::Io {
            op: "open",
            path: path.clone(),
            source: io::ErrorKind::NotFound.into(),
        })?;
        let input = snapshot
            .compression
            .decoder(io::Cursor::new(bytes))
            .map_err(|e| Error::InvalidSnapshot {
                file: path.clone(),
                offset: 0,
                reason: format!("{} stream: {e}", snapshot.compression),
            })?;
        SnapshotReader::new(input, path)
    }

    fn begin(&self, zxid: Zxid) -> Result<SnapshotWriter<MemSnapshotSink>> {
        let name = snapshot_file_name(zxid, self.compression);
        let encoder = self
            .compression
            .encoder(Vec::new())
            .expect("encoding into memory cannot fail");
        let sink = MemSnapshotSink {
            encoder,
            zxid,
            compression: self.compression,
        };
        SnapshotWriter::new(sink, Self::mem_path(&name))
    }

    fn commit(
        &self,
        writer: SnapshotWriter<MemSnapshotSink>,
        trailer: &SnapshotTrailer,
    ) -> Result<SnapshotInfo> {
        let sink = writer.finish(trailer)?;
        let bytes = sink
            .encoder
            .finish()
            .expect("encoding into memory cannot fail");
        let name = snapshot_file_name(sink.zxid, sink.compression);
        let info = SnapshotInfo {
            zxid: sink.zxid,
            compression: sink.compression,
            name: name.clone(),
            size_bytes: bytes.len() as u64,
        };
        self.files().insert(name, bytes.into());
        Ok(info)
    }

    fn remove(&self, snapshot: &SnapshotInfo) -> Result<()> {
        match self.files().remove(&snapshot.name) {
            Some(_) => Ok(()),
            None => Err(Error::Io {
                op: "remove",
                path: Self::mem_path(&snapshot.name),
                source: io::ErrorKind::NotFound.into(),
            }),
        }
    }
}
