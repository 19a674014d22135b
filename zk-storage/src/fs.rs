//! The file-system seam: the few file operations the storage layer performs, behind a trait.
//!
//! [`FileTxnLog`](crate::FileTxnLog) and [`EpochFiles`](crate::EpochFiles) never touch
//! `std::fs` directly; they go through a [`FileSystem`]. In production that is [`StdFs`]. Tests
//! substitute `testing::FaultyFs` (with the `testing` feature), an in-memory file system
//! that keeps written-but-unsynced bytes apart from durable ones and can tear writes, fail
//! `fsync`, run out of space, flip bits and crash. Every durability claim of this crate is
//! tested through that seam.
//!
//! The operations are deliberately few and positional (`read_at`/`write_at`, never a shared
//! cursor), so that a fault-injecting implementation stays small and obviously right.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;
use std::time::Duration;

/// An open file. Writes are positional; nothing is durable until [`sync_data`] or [`sync_all`]
/// returns `Ok`.
///
/// [`sync_data`]: FileHandle::sync_data
/// [`sync_all`]: FileHandle::sync_all
// `len` is a file's length as in `std::fs::Metadata::len`; an `is_empty` would add nothing.
#[allow(clippy::len_without_is_empty)]
pub trait FileHandle: Send + fmt::Debug {
    /// Reads up to `buf.len()` bytes at `offset`; returns how many were read (0 at end of file).
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;
    /// Writes all of `data` at `offset`, extending the file if needed. On error, any prefix of
    /// `data` may have been written.
    fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()>;
    /// Sets the file's length, cutting it or extending it with zeros.
    fn set_len(&mut self, len: u64) -> io::Result<()>;
    /// The file's current length.
    fn len(&self) -> io::Result<u64>;
    /// Makes the data and the length durable (`fdatasync`). An error means some written data
    /// may be lost, even if a later call succeeds (see the crate docs on fsync failures).
    fn sync_data(&mut self) -> io::Result<()>;
    /// Makes the data and all metadata durable (`fsync`).
    fn sync_all(&mut self) -> io::Result<()>;
    /// An offset at or after `offset` from which the file is known to read as zeros to its
    /// end (a trailing hole, as preallocation leaves), or its length when that is not known.
    /// A log's end is checked for zeros; reading a 64 MiB hole only to find zeros costs the
    /// kernel a page of zeros per 4 KiB.
    fn zeros_from(&self, offset: u64) -> io::Result<u64> {
        let _ = offset;
        self.len()
    }
}

/// The directory-level operations, and the way to open files.
///
/// Paths are used as given. Creating, renaming or removing a file is durable only after
/// [`sync_dir`](FileSystem::sync_dir) on its directory returns `Ok`.
pub trait FileSystem: Send + Sync + fmt::Debug {
    /// Creates a new file for reading and writing; fails if it exists.
    fn create_new(&self, path: &Path) -> io::Result<Box<dyn FileHandle>>;
    /// Creates a file for reading and writing, truncating it if it exists.
    fn create(&self, path: &Path) -> io::Result<Box<dyn FileHandle>>;
    /// Opens an existing file, for reading and also for writing if `write`.
    fn open(&self, path: &Path, write: bool) -> io::Result<Box<dyn FileHandle>>;
    /// Reads a whole file. For small files only (epoch files).
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// Renames `from` to `to`, replacing `to` if it exists.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Removes a file.
    fn remove(&self, path: &Path) -> io::Result<()>;
    /// The names of the entries of a directory, in no particular order.
    fn list(&self, dir: &Path) -> io::Result<Vec<String>>;
    /// Creates a directory and its parents if they do not exist.
    fn create_dir_all(&self, dir: &Path) -> io::Result<()>;
    /// Makes the directory's entries (creations, renames, removals) durable.
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
}

/// The real file system, on `std::fs`.
#[derive(Debug, Clone, Copy, Default)]
pub struct StdFs;

/// A `std::fs::File` behind [`FileHandle`].
#[derive(Debug)]
struct StdFile(File);

impl FileHandle for StdFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        positional::read_at(&self.0, offset, buf)
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        positional::write_all_at(&self.0, offset, data)
    }
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.0.set_len(len)
    }
    fn len(&self) -> io::Result<u64> {
        Ok(self.0.metadata()?.len())
    }
    fn sync_data(&mut self) -> io::Result<()> {
        self.0.sync_data()
    }
    #[cfg(target_os = "linux")]
    fn zeros_from(&self, offset: u64) -> io::Result<u64> {
        use rustix::fs::{seek, SeekFrom};
        let len = self.len()?;
        if offset >= len {
            return Ok(len);
        }
        // The next hole at or after `offset` (the end of the file counts as one); if no data
        // follows it, the file is zeros from there. A file system without hole support
        // reports the end of the file, so the whole range is read.
        let hole = seek(&self.0, SeekFrom::Hole(offset)).map_err(io::Error::from)?;
        if hole >= len {
            return Ok(len);
        }
        match seek(&self.0, SeekFrom::Data(hole)) {
            Err(rustix::io::Errno::NXIO) => Ok(hole),
            Err(e) => Err(e.into()),
            Ok(_) => Ok(len),
        }
    }
    fn sync_all(&mut self) -> io::Result<()> {
        self.0.sync_all()
    }
}

impl FileSystem for StdFs {
    fn create_new(&self, path: &Path) -> io::Result<Box<dyn FileHandle>> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)?;
        Ok(Box::new(StdFile(file)))
    }
    fn create(&self, path: &Path) -> io::Result<Box<dyn FileHandle>> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        Ok(Box::new(StdFile(file)))
    }
    fn open(&self, path: &Path, write: bool) -> io::Result<Box<dyn FileHandle>> {
        let file = OpenOptions::new().read(true).write(write).open(path)?;
        Ok(Box::new(StdFile(file)))
    }
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }
    fn remove(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }
    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            // Names that are not UTF-8 cannot be ours (`log.<hex>`, `currentEpoch`).
            if let Ok(name) = entry?.file_name().into_string() {
                names.push(name);
            }
        }
        Ok(names)
    }
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)
    }
    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        // On Unix a directory is fsynced through a read-only handle. Windows has no such call
        // (and NTFS journals directory changes), so it is a no-op there.
        #[cfg(unix)]
        File::open(dir)?.sync_all()?;
        #[cfg(not(unix))]
        let _ = dir;
        Ok(())
    }
}

#[cfg(unix)]
mod positional {
    use std::fs::File;
    use std::io;
    use std::os::unix::fs::FileExt;

    pub fn read_at(file: &File, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        file.read_at(buf, offset)
    }
    pub fn write_all_at(file: &File, offset: u64, data: &[u8]) -> io::Result<()> {
        file.write_all_at(data, offset)
    }
}

#[cfg(windows)]
mod positional {
    use std::fs::File;
    use std::io;
    use std::os::windows::fs::FileExt;

    pub fn read_at(file: &File, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        file.seek_read(buf, offset)
    }
    pub fn write_all_at(file: &File, mut offset: u64, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let n = file.seek_write(data, offset)?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            data = &data[n..];
            offset += n as u64;
        }
        Ok(())
    }
}

/// How much [`remove_gradually`] cuts off a file at a time.
pub const REMOVE_STEP_BYTES: u64 = 4 << 20;

/// How long [`remove_gradually`] pauses between cuts.
pub const REMOVE_PAUSE: Duration = Duration::from_millis(1);

/// Removes a file a few MiB at a time: cuts [`REMOVE_STEP_BYTES`] off its end, pausing
/// [`REMOVE_PAUSE`] between cuts, then unlinks what is left. Slow on purpose; call it off
/// the write path. A file already gone is no error.
///
/// Freeing a large file's blocks at once stalls every fsync on the same file system: the
/// journal commit that frees them must also discard them (ext4 mounted with `discard`, as
/// cloud disks often are), and every `fdatasync` meanwhile waits for that commit. Unlinking a
/// 128 MiB log file held the log's fsyncs for 17-45 ms (issue 10); cut by 4 MiB, each
/// commit frees a few MiB and no fsync waits for long.
///
/// A crash part-way leaves a shorter file under the same name, so only call this on files
/// whose truncation nothing can mistake for data: a snapshot older than the kept ones (it no
/// longer passes the validity check), or a file renamed out of the log's namespace first.
pub fn remove_gradually(fs: &dyn FileSystem, path: &Path) -> io::Result<()> {
    match fs.open(path, true) {
        Ok(mut file) => {
            let mut len = file.len()?;
            while len > REMOVE_STEP_BYTES {
                len -= REMOVE_STEP_BYTES;
                file.set_len(len)?;
                std::thread::sleep(REMOVE_PAUSE);
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    }
    match fs.remove(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        done => done,
    }
}

/// Reads exactly `buf.len()` bytes at `offset`, or fails with `UnexpectedEof`.
pub fn read_exact_at(file: &dyn FileHandle, mut offset: u64, mut buf: &mut [u8]) -> io::Result<()> {
    while !buf.is_empty() {
        match file.read_at(offset, buf) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn std_fs_writes_reads_renames_and_lists() {
        let dir = tempfile::tempdir().unwrap();
        let fs = StdFs;
        let a = dir.path().join("a");
        let mut f = fs.create_new(&a).unwrap();
        f.write_at(4, b"xy").unwrap();
        assert_eq!(f.len().unwrap(), 6);
        f.sync_data().unwrap();
        let mut buf = [9u8; 6];
        read_exact_at(f.as_ref(), 0, &mut buf).unwrap();
        assert_eq!(&buf, b"\0\0\0\0xy");
        assert!(
            fs.create_new(&a).is_err(),
            "create_new must refuse an existing file"
        );
        fs.rename(&a, &dir.path().join("b")).unwrap();
        fs.sync_dir(dir.path()).unwrap();
        assert_eq!(fs.list(dir.path()).unwrap(), vec!["b".to_string()]);
        assert_eq!(fs.read(&dir.path().join("b")).unwrap(), b"\0\0\0\0xy");
    }

    #[test]
    fn remove_gradually_removes_large_small_and_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let fs = StdFs;
        let large = dir.path().join("large");
        let mut f = fs.create_new(&large).unwrap();
        f.set_len(3 * REMOVE_STEP_BYTES + 5).unwrap();
        drop(f);
        let small = dir.path().join("small");
        fs.create_new(&small).unwrap().write_at(0, b"x").unwrap();
        remove_gradually(&fs, &large).unwrap();
        remove_gradually(&fs, &small).unwrap();
        remove_gradually(&fs, &dir.path().join("missing")).unwrap();
        assert!(fs.list(dir.path()).unwrap().is_empty());
    }

    #[test]
    fn zeros_from_never_skips_data_after_a_hole() {
        let dir = tempfile::tempdir().unwrap();
        let fs = StdFs;
        let path = dir.path().join("log");
        let mut f = fs.create_new(&path).unwrap();
        f.write_at(0, b"records").unwrap();
        f.set_len(4 << 20).unwrap(); // preallocated: a trailing hole on most file systems
        let zeros = f.zeros_from(7).unwrap();
        assert!((7..=4 << 20).contains(&zeros), "{zeros}");
        let mut rest = vec![1u8; (4 << 20) - zeros as usize];
        read_exact_at(f.as_ref(), zeros, &mut rest).unwrap();
        assert!(rest.iter().all(|b| *b == 0), "zeros from {zeros}");
        // Data after the hole: nothing before it may be skipped.
        f.write_at(3 << 20, b"x").unwrap();
        assert!(f.zeros_from(7).unwrap() > 3 << 20);
        assert_eq!(f.zeros_from(4 << 20).unwrap(), 4 << 20);
    }
}
