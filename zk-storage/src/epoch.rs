//! [`EpochFiles`]: the `acceptedEpoch` and `currentEpoch` files of a ZooKeeper peer.
//!
//! Apache's `QuorumPeer` keeps them in the *snapshot* directory's `version-2/`
//! (`dataDir/version-2`, not `dataLogDir`), as an ASCII decimal number without a newline
//! (`Long.toString`), and rewrites them with `AtomicFileWritingIdiom`: write `<name>.tmp`,
//! fsync it, rename it over `<name>`. We do the same and also fsync the directory, so that the
//! rename itself survives a power loss (fault-scenarios A3.7).
//!
//! - `acceptedEpoch`: the highest epoch this peer has accepted in a NEWEPOCH (ZAB's
//!   `acceptedEpoch`); written before ACKEPOCH is sent.
//! - `currentEpoch`: the epoch of the last NEWLEADER this peer acknowledged (ZAB's
//!   `currentEpoch`); written after the synced txns are durable and before ACK(NEWLEADER).
//!
//! ```
//! use zk_storage::{EpochFiles, EpochKind};
//! use zk_proto::Epoch;
//!
//! let dir = tempfile::tempdir()?;
//! let epochs = EpochFiles::new(dir.path());
//! assert_eq!(epochs.read(EpochKind::Current)?, None);
//! epochs.write(EpochKind::Current, Epoch(5))?;
//! assert_eq!(epochs.read(EpochKind::Current)?, Some(Epoch(5)));
//! assert_eq!(std::fs::read_to_string(dir.path().join("currentEpoch"))?, "5");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use zk_proto::Epoch;

use crate::fs::{FileSystem, StdFs};
use crate::{Error, Result};

/// Which epoch file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EpochKind {
    /// `acceptedEpoch`.
    Accepted,
    /// `currentEpoch`.
    Current,
}

impl EpochKind {
    /// The file name Apache uses.
    pub fn file_name(self) -> &'static str {
        match self {
            EpochKind::Accepted => "acceptedEpoch",
            EpochKind::Current => "currentEpoch",
        }
    }
}

/// The epoch files in one directory (`dataDir/version-2` for ZooKeeper's layout).
#[derive(Debug, Clone)]
pub struct EpochFiles {
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
}

impl EpochFiles {
    /// The epoch files in `dir`, on the real file system.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self::with_fs(Arc::new(StdFs), dir)
    }

    /// The epoch files in `dir`, on `fs`.
    pub fn with_fs(fs: Arc<dyn FileSystem>, dir: impl Into<PathBuf>) -> Self {
        EpochFiles {
            fs,
            dir: dir.into(),
        }
    }

    /// The path of an epoch file.
    pub fn path(&self, kind: EpochKind) -> PathBuf {
        self.dir.join(kind.file_name())
    }

    fn tmp_path(&self, kind: EpochKind) -> PathBuf {
        self.dir.join(format!("{}.tmp", kind.file_name()))
    }

    /// Reads an epoch file: `Ok(None)` if it does not exist, an
    /// [`Error::InvalidEpochFile`] if it holds anything but a decimal epoch.
    pub fn read(&self, kind: EpochKind) -> Result<Option<Epoch>> {
        self.read_path(&self.path(kind))
    }

    /// Reads the `<name>.tmp` file an interrupted write left behind, if any. Apache consults
    /// `currentEpoch.tmp` when the loaded data is in a later epoch than `currentEpoch`
    /// (ZOOKEEPER-1653: a crash between writing the temp file and renaming it).
    pub fn read_pending(&self, kind: EpochKind) -> Result<Option<Epoch>> {
        self.read_path(&self.tmp_path(kind))
    }

    fn read_path(&self, path: &Path) -> Result<Option<Epoch>> {
        let bytes = match self.fs.read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(Error::Io {
                    op: "read",
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        parse_epoch(&bytes)
            .map(Some)
            .map_err(|reason| Error::InvalidEpochFile {
                path: path.to_path_buf(),
                reason,
            })
    }

    /// Replaces an epoch file atomically and durably: after `Ok`, a crash leaves the new
    /// value; after a crash during the call, the old value or the new one, never a mix.
    pub fn write(&self, kind: EpochKind, epoch: Epoch) -> Result<()> {
        let tmp = self.tmp_path(kind);
        let path = self.path(kind);
        let err = |op: &'static str, path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Io { op, path, source }
        };
        let mut file = self.fs.create(&tmp).map_err(err("create", &tmp))?;
        file.write_at(0, epoch.0.to_string().as_bytes())
            .map_err(err("write", &tmp))?;
        file.sync_all().map_err(err("fsync", &tmp))?;
        drop(file);
        self.fs.rename(&tmp, &path).map_err(err("rename", &tmp))?;
        self.fs
            .sync_dir(&self.dir)
            .map_err(err("fsync directory", &self.dir))
    }
}

/// Parses what Apache's `readLongFromFile` accepts: one line holding a decimal long (a
/// trailing line break is allowed). Epochs are 32-bit, so larger values are refused too.
fn parse_epoch(bytes: &[u8]) -> std::result::Result<Epoch, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not ASCII text".to_string())?;
    let line = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text);
    if line.is_empty() {
        return Err("empty file".into());
    }
    let valid = line.strip_prefix('-').unwrap_or(line);
    if valid.is_empty() || !valid.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{line:?} is not a decimal number"));
    }
    let value: i64 = line
        .parse()
        .map_err(|_| format!("{line:?} does not fit in a long"))?;
    u32::try_from(value)
        .map(Epoch)
        .map_err(|_| format!("{value} is not a valid epoch (0..=4294967295)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::FaultyFs;

    #[test]
    fn parse_accepts_what_apache_writes_and_refuses_garbage() {
        assert_eq!(parse_epoch(b"7"), Ok(Epoch(7)));
        assert_eq!(parse_epoch(b"7\n"), Ok(Epoch(7)));
        assert_eq!(parse_epoch(b"4294967295"), Ok(Epoch(u32::MAX)));
        for bad in [
            &b""[..],
            b"\n",
            b" 7",
            b"7 ",
            b"x",
            b"-1",
            b"4294967296",
            b"7\n8",
            b"\xff",
        ] {
            assert!(parse_epoch(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn garbage_epoch_file_is_an_error_naming_the_file() {
        let fs = FaultyFs::new();
        fs.put_file("/d/currentEpoch", b"banana");
        let epochs = EpochFiles::with_fs(Arc::new(fs), "/d");
        let err = epochs.read(EpochKind::Current).unwrap_err().to_string();
        assert!(err.contains("/d/currentEpoch"), "{err}");
        assert!(err.contains("banana"), "{err}");
        assert_eq!(epochs.read(EpochKind::Accepted).unwrap(), None);
    }

    #[test]
    fn write_survives_a_crash_once_it_returns() {
        let fs = FaultyFs::new();
        fs.create_dir_all(Path::new("/d")).unwrap();
        let epochs = EpochFiles::with_fs(Arc::new(fs.clone()), "/d");
        epochs.write(EpochKind::Accepted, Epoch(3)).unwrap();
        epochs.write(EpochKind::Accepted, Epoch(4)).unwrap();
        fs.crash();
        assert_eq!(epochs.read(EpochKind::Accepted).unwrap(), Some(Epoch(4)));
        assert_eq!(epochs.read_pending(EpochKind::Accepted).unwrap(), None);
    }

    #[test]
    fn rename_not_yet_durable_is_undone_by_a_crash() {
        let fs = FaultyFs::new();
        fs.create_dir_all(Path::new("/d")).unwrap();
        let epochs = EpochFiles::with_fs(Arc::new(fs.clone()), "/d");
        epochs.write(EpochKind::Current, Epoch(3)).unwrap();
        // The directory fsync after the rename fails: the rename may not be durable.
        fs.fail_fsync_after(1);
        assert!(epochs.write(EpochKind::Current, Epoch(4)).is_err());
        fs.crash();
        assert_eq!(epochs.read(EpochKind::Current).unwrap(), Some(Epoch(3)));
    }

    #[test]
    fn failed_fsync_of_the_temp_file_leaves_the_old_value_in_place() {
        let fs = FaultyFs::new();
        fs.create_dir_all(Path::new("/d")).unwrap();
        let epochs = EpochFiles::with_fs(Arc::new(fs.clone()), "/d");
        epochs.write(EpochKind::Current, Epoch(3)).unwrap();
        fs.fail_fsync_after(0);
        assert!(epochs.write(EpochKind::Current, Epoch(4)).is_err());
        assert_eq!(epochs.read(EpochKind::Current).unwrap(), Some(Epoch(3)));
    }
}
