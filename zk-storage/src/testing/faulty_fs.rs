//! [`FaultyFs`]: an in-memory [`FileSystem`] that knows what is durable, for fault injection.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::fs::{FileHandle, FileSystem};

/// An in-memory file system that models the page cache: what a process writes is visible at
/// once but durable only after an fsync, and a [`crash`](FaultyFs::crash) keeps only what is
/// durable. Directory entries behave the same way: a created, renamed or removed file is
/// durable only after [`sync_dir`](FileSystem::sync_dir) on its directory. (Directories
/// themselves are always durable.)
///
/// Faults, each one-shot and armed by a method:
///
/// - [`fail_fsync_after(n)`](FaultyFs::fail_fsync_after): the fsync (file or directory)
///   after the next `n` ones fails with EIO. As on Linux, the dirty data it should have
///   written is then dropped: it stays readable but is never made durable, and a later fsync
///   "succeeds" without it. A log that retries fsync and trusts it loses data here.
/// - [`short_write_next(keep)`](FaultyFs::short_write_next): the next write stores only its
///   first `keep` bytes, then fails.
/// - [`enospc_after_bytes(n)`](FaultyFs::enospc_after_bytes): the disk is full after `n` more
///   written bytes: a write crossing the limit stores what fits and fails with ENOSPC.
/// - [`fail_next_set_len()`](FaultyFs::fail_next_set_len): the next length change
///   (preallocation, truncation) fails with ENOSPC.
/// - [`crash_tearing(keep)`](FaultyFs::crash_tearing): a crash during writeback, in which each
///   file's unsynced writes reach the disk in order up to `keep` bytes (a torn write).
/// - [`flip_bit`](FaultyFs::flip_bit): bit rot, in the durable and the cached copy.
///
/// Clones share the same state, so a test keeps one and gives another to the code under test.
#[derive(Debug, Clone, Default)]
pub struct FaultyFs {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    names: BTreeMap<PathBuf, u64>,
    durable_names: BTreeMap<PathBuf, u64>,
    dirs: BTreeSet<PathBuf>,
    inodes: HashMap<u64, Inode>,
    next_ino: u64,
    /// Bumped by each crash: handles from before it stop working.
    generation: u64,
    fsyncs: u64,
    /// The armed fsync fault and how many fsyncs succeed before it.
    fsync_fault: Option<(u64, FsyncFault)>,
    short_write: Option<usize>,
    space_left: Option<u64>,
    fail_set_len: bool,
}

#[derive(Debug, Clone, Copy)]
enum FsyncFault {
    Eio,
    /// Power is lost during the fsync, keeping this many unsynced bytes per file.
    Crash(usize),
}

#[derive(Debug, Default)]
struct Inode {
    data: Vec<u8>,
    durable: Vec<u8>,
    pending: Vec<Pending>,
}

#[derive(Debug)]
enum Pending {
    Write(u64, Vec<u8>),
    SetLen(u64),
}

fn apply(target: &mut Vec<u8>, op: &Pending) {
    match op {
        Pending::Write(offset, bytes) => write_into(target, *offset, bytes),
        Pending::SetLen(len) => target.resize(*len as usize, 0),
    }
}

fn write_into(target: &mut Vec<u8>, offset: u64, bytes: &[u8]) {
    let end = offset as usize + bytes.len();
    if target.len() < end {
        target.resize(end, 0);
    }
    target[offset as usize..end].copy_from_slice(bytes);
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("{}", path.display()))
}

impl FaultyFs {
    /// An empty file system with a root directory.
    pub fn new() -> Self {
        let fs = FaultyFs::default();
        fs.lock().dirs.insert(PathBuf::from("/"));
        fs
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Creates (or replaces) a file with `bytes`, durably, creating its directory.
    pub fn put_file(&self, path: impl AsRef<Path>, bytes: &[u8]) {
        let path = path.as_ref();
        if let Some(parent) = path.parent() {
            self.create_dir_all(parent).expect("in-memory mkdir");
        }
        let mut s = self.lock();
        let ino = s.new_inode();
        let inode = s.inodes.get_mut(&ino).expect("just created");
        inode.data = bytes.to_vec();
        inode.durable = bytes.to_vec();
        s.names.insert(path.to_path_buf(), ino);
        s.durable_names.insert(path.to_path_buf(), ino);
        s.collect_garbage();
    }

    /// The file's current (cached) contents.
    pub fn file_bytes(&self, path: impl AsRef<Path>) -> Option<Vec<u8>> {
        let s = self.lock();
        let ino = s.names.get(path.as_ref())?;
        Some(s.inodes[ino].data.clone())
    }

    /// How many fsyncs (of files and directories) have succeeded or failed so far.
    pub fn fsync_count(&self) -> u64 {
        self.lock().fsyncs
    }

    /// Makes the fsync after the next `n` ones fail with EIO.
    pub fn fail_fsync_after(&self, n: u64) {
        self.lock().fsync_fault = Some((n, FsyncFault::Eio));
    }

    /// Makes the power fail during the fsync after the next `n` ones: the file system does
    /// [`crash_tearing(keep)`](FaultyFs::crash_tearing) and the fsync returns an error (the
    /// process would be dead; its handles are stale).
    pub fn crash_in_fsync_after(&self, n: u64, keep: usize) {
        self.lock().fsync_fault = Some((n, FsyncFault::Crash(keep)));
    }

    /// Disarms every pending fault.
    pub fn disarm(&self) {
        let mut s = self.lock();
        s.fsync_fault = None;
        s.short_write = None;
        s.space_left = None;
        s.fail_set_len = false;
    }

    /// Makes the next write store only its first `keep` bytes and fail.
    pub fn short_write_next(&self, keep: usize) {
        self.lock().short_write = Some(keep);
    }

    /// Leaves room for `n` more written bytes; then writes fail with ENOSPC.
    pub fn enospc_after_bytes(&self, n: u64) {
        self.lock().space_left = Some(n);
    }

    /// Makes the next `set_len` fail with ENOSPC.
    pub fn fail_next_set_len(&self) {
        self.lock().fail_set_len = true;
    }

    /// Flips one bit of a file, in its durable and its cached contents (bit rot).
    ///
    /// # Panics
    ///
    /// If the file does not exist or is shorter than `offset`.
    pub fn flip_bit(&self, path: impl AsRef<Path>, offset: u64, bit: u8) {
        let mut s = self.lock();
        let ino = *s.names.get(path.as_ref()).expect("no such file");
        let inode = s.inodes.get_mut(&ino).expect("inode");
        for copy in [&mut inode.data, &mut inode.durable] {
            copy[offset as usize] ^= 1 << (bit % 8);
        }
    }

    /// A power loss and restart: everything not durable is lost, open handles go stale.
    pub fn crash(&self) {
        self.crash_tearing(0);
    }

    /// A power loss during writeback: each file's unsynced changes reach the disk in the order
    /// they were made, up to `keep` written bytes (the last write cut short), then the rest is
    /// lost as in [`crash`](FaultyFs::crash). Unsynced directory changes are lost.
    pub fn crash_tearing(&self, keep: usize) {
        self.lock().crash_tearing(keep);
    }
}

impl State {
    fn crash_tearing(&mut self, keep: usize) {
        let s = self;
        for inode in s.inodes.values_mut() {
            let mut budget = keep;
            for op in std::mem::take(&mut inode.pending) {
                match op {
                    Pending::Write(offset, bytes) => {
                        let n = bytes.len().min(budget);
                        write_into(&mut inode.durable, offset, &bytes[..n]);
                        budget -= n;
                        if n < bytes.len() {
                            break;
                        }
                    }
                    set_len => apply(&mut inode.durable, &set_len),
                }
            }
            inode.data = inode.durable.clone();
        }
        s.names = s.durable_names.clone();
        s.generation += 1;
        s.collect_garbage();
    }

    fn new_inode(&mut self) -> u64 {
        self.next_ino += 1;
        self.inodes.insert(self.next_ino, Inode::default());
        self.next_ino
    }

    /// Drops inodes no name (current or durable) refers to.
    fn collect_garbage(&mut self) {
        let live: BTreeSet<u64> = self
            .names
            .values()
            .chain(self.durable_names.values())
            .copied()
            .collect();
        self.inodes.retain(|ino, _| live.contains(ino));
    }

    fn check_parent(&self, path: &Path) -> io::Result<()> {
        match path.parent() {
            Some(p) if self.dirs.contains(p) => Ok(()),
            _ => Err(not_found(path)),
        }
    }

    /// Counts an fsync and fires the armed fault if it is due: `Err` means the fsync fails
    /// (after crashing the file system, for a power loss).
    fn fsync_fault(&mut self, what: &str) -> io::Result<()> {
        self.fsyncs += 1;
        match self.fsync_fault {
            Some((0, fault)) => {
                self.fsync_fault = None;
                match fault {
                    FsyncFault::Eio => {
                        Err(io::Error::other(format!("EIO (injected) during {what}")))
                    }
                    FsyncFault::Crash(keep) => {
                        self.crash_tearing(keep);
                        Err(io::Error::other(format!(
                            "power lost (injected) during {what}"
                        )))
                    }
                }
            }
            Some((n, fault)) => {
                self.fsync_fault = Some((n - 1, fault));
                Ok(())
            }
            None => Ok(()),
        }
    }
}

fn enospc() -> io::Error {
    io::Error::new(io::ErrorKind::StorageFull, "ENOSPC (injected)")
}

impl FileSystem for FaultyFs {
    fn create_new(&self, path: &Path) -> io::Result<Box<dyn FileHandle>> {
        let mut s = self.lock();
        s.check_parent(path)?;
        if s.names.contains_key(path) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{}", path.display()),
            ));
        }
        let ino = s.new_inode();
        s.names.insert(path.to_path_buf(), ino);
        Ok(Box::new(self.handle(&s, ino, true)))
    }

    fn create(&self, path: &Path) -> io::Result<Box<dyn FileHandle>> {
        let existing = self.lock().names.get(path).copied();
        match existing {
            None => self.create_new(path),
            Some(ino) => {
                let mut s = self.lock();
                let inode = s.inodes.get_mut(&ino).expect("named inode");
                inode.data.clear();
                inode.pending.push(Pending::SetLen(0));
                Ok(Box::new(self.handle(&s, ino, true)))
            }
        }
    }

    fn open(&self, path: &Path, write: bool) -> io::Result<Box<dyn FileHandle>> {
        let s = self.lock();
        let ino = *s.names.get(path).ok_or_else(|| not_found(path))?;
        Ok(Box::new(self.handle(&s, ino, write)))
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.file_bytes(path).ok_or_else(|| not_found(path))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut s = self.lock();
        s.check_parent(to)?;
        let ino = s.names.remove(from).ok_or_else(|| not_found(from))?;
        s.names.insert(to.to_path_buf(), ino);
        s.collect_garbage();
        Ok(())
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        let mut s = self.lock();
        s.names.remove(path).ok_or_else(|| not_found(path))?;
        s.collect_garbage();
        Ok(())
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        let s = self.lock();
        if !s.dirs.contains(dir) {
            return Err(not_found(dir));
        }
        let files = s.names.keys();
        let dirs = s.dirs.iter();
        Ok(files
            .chain(dirs)
            .filter(|p| p.parent() == Some(dir))
            .filter_map(|p| p.file_name()?.to_str().map(str::to_string))
            .collect())
    }

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        let mut s = self.lock();
        for ancestor in dir.ancestors() {
            if s.names.contains_key(ancestor) {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{} is a file", ancestor.display()),
                ));
            }
            s.dirs.insert(ancestor.to_path_buf());
        }
        Ok(())
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        let mut s = self.lock();
        s.fsync_fault("directory fsync")?;
        let in_dir = |p: &PathBuf| p.parent() == Some(dir);
        s.durable_names.retain(|p, _| !in_dir(p));
        let current: Vec<(PathBuf, u64)> = s
            .names
            .iter()
            .filter(|(p, _)| in_dir(p))
            .map(|(p, i)| (p.clone(), *i))
            .collect();
        s.durable_names.extend(current);
        s.collect_garbage();
        Ok(())
    }
}

impl FaultyFs {
    fn handle(&self, s: &State, ino: u64, write: bool) -> FaultyFile {
        FaultyFile {
            fs: self.clone(),
            ino,
            generation: s.generation,
            write,
        }
    }
}

/// A handle on a [`FaultyFs`] file.
#[derive(Debug)]
struct FaultyFile {
    fs: FaultyFs,
    ino: u64,
    generation: u64,
    write: bool,
}

impl FaultyFile {
    /// The state and this file's inode, unless the handle went stale in a crash.
    fn with_inode<T>(
        &self,
        writing: bool,
        f: impl FnOnce(&mut State, u64) -> io::Result<T>,
    ) -> io::Result<T> {
        let mut s = self.fs.lock();
        if s.generation != self.generation || !s.inodes.contains_key(&self.ino) {
            return Err(io::Error::other("stale handle: the file system crashed"));
        }
        if writing && !self.write {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "handle opened read-only",
            ));
        }
        f(&mut s, self.ino)
    }
}

impl FileHandle for FaultyFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        self.with_inode(false, |s, ino| {
            let data = &s.inodes[&ino].data;
            let start = (offset as usize).min(data.len());
            let n = buf.len().min(data.len() - start);
            buf[..n].copy_from_slice(&data[start..start + n]);
            Ok(n)
        })
    }

    fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.with_inode(true, |s, ino| {
            let mut keep = data.len();
            let mut error = None;
            if let Some(n) = s.short_write.take() {
                keep = keep.min(n);
                error = Some(io::Error::from(io::ErrorKind::WriteZero));
            }
            if let Some(left) = s.space_left {
                if (keep as u64) > left {
                    keep = left as usize;
                    error = Some(enospc());
                }
                s.space_left = Some(left - keep as u64);
            }
            let inode = s.inodes.get_mut(&ino).expect("checked");
            write_into(&mut inode.data, offset, &data[..keep]);
            inode
                .pending
                .push(Pending::Write(offset, data[..keep].to_vec()));
            error.map_or(Ok(()), Err)
        })
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.with_inode(true, |s, ino| {
            if std::mem::take(&mut s.fail_set_len) {
                return Err(enospc());
            }
            let inode = s.inodes.get_mut(&ino).expect("checked");
            inode.data.resize(len as usize, 0);
            inode.pending.push(Pending::SetLen(len));
            Ok(())
        })
    }

    fn len(&self) -> io::Result<u64> {
        self.with_inode(false, |s, ino| Ok(s.inodes[&ino].data.len() as u64))
    }

    fn sync_data(&mut self) -> io::Result<()> {
        self.with_inode(false, |s, ino| {
            let fault = s.fsync_fault("fsync");
            let Some(inode) = s.inodes.get_mut(&ino) else {
                return fault; // crashed, and the file did not survive
            };
            let pending = std::mem::take(&mut inode.pending);
            // On EIO, Linux marks the failed pages clean: the data is gone for good.
            fault?;
            for op in &pending {
                apply(&mut inode.durable, op);
            }
            Ok(())
        })
    }

    fn sync_all(&mut self) -> io::Result<()> {
        self.sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fs_with_dir() -> FaultyFs {
        let fs = FaultyFs::new();
        fs.create_dir_all(Path::new("/d")).unwrap();
        fs
    }

    #[test]
    fn crash_keeps_only_synced_data_and_synced_names() {
        let fs = fs_with_dir();
        let mut f = fs.create_new(Path::new("/d/a")).unwrap();
        f.write_at(0, b"hello").unwrap();
        f.sync_data().unwrap();
        fs.crash();
        assert_eq!(
            fs.file_bytes("/d/a"),
            None,
            "the name was never made durable"
        );

        let mut f = fs.create_new(Path::new("/d/a")).unwrap();
        f.write_at(0, b"hello").unwrap();
        f.sync_data().unwrap();
        fs.sync_dir(Path::new("/d")).unwrap();
        f.write_at(5, b" world").unwrap();
        fs.crash();
        assert_eq!(fs.file_bytes("/d/a").unwrap(), b"hello");
        assert!(f.write_at(0, b"x").is_err(), "handles go stale in a crash");
    }

    #[test]
    fn failed_fsync_drops_the_dirty_data_even_if_a_later_fsync_succeeds() {
        let fs = fs_with_dir();
        fs.put_file("/d/a", b"");
        let mut f = fs.open(Path::new("/d/a"), true).unwrap();
        f.write_at(0, b"lost").unwrap();
        fs.fail_fsync_after(0);
        assert!(f.sync_data().is_err());
        assert!(f.sync_data().is_ok(), "the retry 'succeeds'...");
        fs.crash();
        assert_eq!(
            fs.file_bytes("/d/a").unwrap(),
            b"",
            "...but the data is gone"
        );
    }

    #[test]
    fn torn_crash_keeps_a_prefix_of_the_unsynced_writes() {
        let fs = fs_with_dir();
        fs.put_file("/d/a", b"");
        let mut f = fs.open(Path::new("/d/a"), true).unwrap();
        f.set_len(8).unwrap();
        f.write_at(0, b"abcdef").unwrap();
        fs.crash_tearing(4);
        assert_eq!(fs.file_bytes("/d/a").unwrap(), b"abcd\0\0\0\0");
    }

    #[test]
    fn short_writes_and_enospc_store_a_prefix_and_fail() {
        let fs = fs_with_dir();
        let mut f = fs.create_new(Path::new("/d/a")).unwrap();
        fs.short_write_next(2);
        assert_eq!(
            f.write_at(0, b"abcd").unwrap_err().kind(),
            io::ErrorKind::WriteZero
        );
        assert_eq!(fs.file_bytes("/d/a").unwrap(), b"ab");
        fs.enospc_after_bytes(3);
        let err = f.write_at(2, b"cdef").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::StorageFull);
        assert_eq!(fs.file_bytes("/d/a").unwrap(), b"abcde");
        fs.fail_next_set_len();
        assert!(f.set_len(100).is_err());
        assert!(f.set_len(100).is_ok(), "one-shot");
    }

    #[test]
    fn renames_and_removals_are_undone_by_a_crash_until_the_directory_is_synced() {
        let fs = fs_with_dir();
        fs.put_file("/d/a", b"1");
        fs.rename(Path::new("/d/a"), Path::new("/d/b")).unwrap();
        fs.crash();
        assert_eq!(fs.list(Path::new("/d")).unwrap(), vec!["a".to_string()]);
        fs.remove(Path::new("/d/a")).unwrap();
        fs.sync_dir(Path::new("/d")).unwrap();
        fs.crash();
        assert!(fs.list(Path::new("/d")).unwrap().is_empty());
    }
}
