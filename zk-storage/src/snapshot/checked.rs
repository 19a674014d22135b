//! [`CheckedReader`] and [`CheckedWriter`]: buffered byte streams that keep the running Adler-32
//! of everything read or written, like the `java.util.zip.CheckedInputStream` /
//! `CheckedOutputStream` Apache wraps around a snapshot.
//!
//! Both buffer internally and fold bytes into the checksum in large slices (when the buffer is
//! refilled or flushed, or when the checksum is asked for), so decoding a snapshot field by field
//! costs no per-field checksum call.

use std::io::{self, Read, Write};

use simd_adler32::Adler32;

/// Size of the internal buffers: large enough that a 1M-node snapshot is read in few syscalls.
/// The reader reads straight from the file into its buffer (no `BufReader` under it for an
/// uncompressed snapshot), so this is also the read size.
const BUF_BYTES: usize = 256 * 1024;

/// Why a read stopped short.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The stream ended inside a value.
    Truncated {
        /// Bytes the value needed.
        needed: u64,
        /// Bytes there were.
        available: u64,
    },
    /// The underlying reader (file, decompressor) failed.
    Io(io::Error),
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

/// A buffered reader over decompressed snapshot bytes that tracks the Adler-32 of, and the
/// offset after, every byte consumed.
pub(crate) struct CheckedReader<R> {
    inner: R,
    buf: Box<[u8]>,
    /// Next unread byte of `buf`.
    pos: usize,
    /// End of valid bytes in `buf`.
    end: usize,
    /// `buf[..summed]` is already folded into `adler`.
    summed: usize,
    adler: Adler32,
    /// Stream offset of `buf[0]`.
    base: u64,
}

impl<R: Read> CheckedReader<R> {
    pub(crate) fn new(inner: R) -> Self {
        CheckedReader {
            inner,
            buf: vec![0; BUF_BYTES].into_boxed_slice(),
            pos: 0,
            end: 0,
            summed: 0,
            adler: Adler32::new(),
            base: 0,
        }
    }

    /// Offset of the next byte to be read, in the uncompressed stream.
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// The Adler-32 of every byte consumed so far, as the `long` Java's `Checksum.getValue()`
    /// returns.
    pub(crate) fn checksum(&mut self) -> i64 {
        self.fold();
        i64::from(self.adler.finish())
    }

    /// The checksum state after every byte consumed so far.
    pub(crate) fn adler_state(&mut self) -> Adler32 {
        self.fold();
        self.adler.clone()
    }

    fn fold(&mut self) {
        self.adler.write(&self.buf[self.summed..self.pos]);
        self.summed = self.pos;
    }

    /// Makes at least `n` (≤ the buffer size) bytes available unless the stream ends first;
    /// returns how many are available.
    fn fill(&mut self, n: usize) -> io::Result<usize> {
        debug_assert!(n <= self.buf.len());
        if self.end - self.pos >= n {
            return Ok(self.end - self.pos);
        }
        self.fold();
        self.buf.copy_within(self.pos..self.end, 0);
        self.base += self.pos as u64;
        self.end -= self.pos;
        self.pos = 0;
        self.summed = 0;
        while self.end < n {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => break,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.end - self.pos)
    }

    /// Whether `n` (≤ the buffer size) more bytes can be read without reaching the end.
    pub(crate) fn has(&mut self, n: usize) -> io::Result<bool> {
        Ok(self.fill(n)? >= n)
    }

    pub(crate) fn take<const N: usize>(&mut self) -> Result<[u8; N], ReadError> {
        let available = self.fill(N)?;
        if available < N {
            return Err(ReadError::Truncated {
                needed: N as u64,
                available: available as u64,
            });
        }
        let mut out = [0u8; N];
        out.copy_from_slice(&self.buf[self.pos..self.pos + N]);
        self.pos += N;
        Ok(out)
    }

    pub(crate) fn read_i32(&mut self) -> Result<i32, ReadError> {
        self.take::<4>().map(i32::from_be_bytes)
    }

    pub(crate) fn read_i64(&mut self) -> Result<i64, ReadError> {
        self.take::<8>().map(i64::from_be_bytes)
    }

    /// Reads `len` bytes. The vector grows only as bytes actually arrive, so a corrupt length
    /// prefix cannot make this allocate more than the stream holds.
    pub(crate) fn read_bytes(&mut self, len: usize) -> Result<Vec<u8>, ReadError> {
        if len <= self.end - self.pos {
            // Already buffered (a node's path and data almost always are): one exact copy.
            let out = self.buf[self.pos..self.pos + len].to_vec();
            self.pos += len;
            return Ok(out);
        }
        let mut out = Vec::with_capacity(len.min(BUF_BYTES));
        while out.len() < len {
            let want = (len - out.len()).min(self.buf.len());
            let available = self.fill(want)?;
            if available == 0 {
                return Err(ReadError::Truncated {
                    needed: len as u64,
                    available: out.len() as u64,
                });
            }
            let k = available.min(want);
            out.extend_from_slice(&self.buf[self.pos..self.pos + k]);
            self.pos += k;
        }
        Ok(out)
    }

    /// The inner reader and the bytes buffered from it but not consumed.
    pub(crate) fn into_parts(self) -> (R, Vec<u8>) {
        (self.inner, self.buf[self.pos..self.end].to_vec())
    }

    /// Reads everything left, up to `max` bytes; `None` if more than `max` remain.
    pub(crate) fn read_rest(&mut self, max: usize) -> Result<Option<Vec<u8>>, ReadError> {
        let mut out = Vec::new();
        loop {
            let available = self.fill(1)?;
            if available == 0 {
                return Ok(Some(out));
            }
            if out.len() + available > max {
                return Ok(None);
            }
            out.extend_from_slice(&self.buf[self.pos..self.end]);
            self.pos = self.end;
        }
    }
}

/// A buffered writer that tracks the Adler-32 of everything written through it.
///
/// Values are encoded straight into the internal buffer ([`CheckedWriter::buf`] is a `BufMut`),
/// which is handed to the inner writer when it passes [`BUF_BYTES`].
pub(crate) struct CheckedWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
    /// `buf[..summed]` is already folded into `adler`.
    summed: usize,
    adler: Adler32,
    /// Bytes already handed to `inner`.
    flushed: u64,
}

impl<W: Write> CheckedWriter<W> {
    pub(crate) fn new(inner: W) -> Self {
        CheckedWriter {
            inner,
            buf: Vec::with_capacity(BUF_BYTES * 2),
            summed: 0,
            adler: Adler32::new(),
            flushed: 0,
        }
    }

    /// The buffer to encode into; call [`CheckedWriter::maybe_flush`] after.
    pub(crate) fn buf(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Bytes written so far (buffered or not).
    pub(crate) fn offset(&self) -> u64 {
        self.flushed + self.buf.len() as u64
    }

    /// The Adler-32 of every byte written so far, as Java's `Checksum.getValue()` returns it.
    pub(crate) fn checksum(&mut self) -> i64 {
        self.adler.write(&self.buf[self.summed..]);
        self.summed = self.buf.len();
        i64::from(self.adler.finish())
    }

    /// Hands the buffer to the inner writer once it is large.
    pub(crate) fn maybe_flush(&mut self) -> io::Result<()> {
        if self.buf.len() >= BUF_BYTES {
            self.flush_buf()?;
        }
        Ok(())
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        self.adler.write(&self.buf[self.summed..]);
        self.inner.write_all(&self.buf)?;
        self.flushed += self.buf.len() as u64;
        self.buf.clear();
        self.summed = 0;
        Ok(())
    }

    /// Writes out the buffer and returns the inner writer (not flushed: its owner finishes it).
    pub(crate) fn into_inner(mut self) -> io::Result<W> {
        self.flush_buf()?;
        Ok(self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that returns one byte per call, to exercise refills at every boundary.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), out.first_mut()) {
                (Some((b, rest)), Some(o)) => {
                    *o = *b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn checksum_matches_adler32_of_consumed_bytes_across_refills() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut r = CheckedReader::new(Trickle(&data));
        assert_eq!(
            r.read_i32().unwrap(),
            i32::from_be_bytes(data[..4].try_into().unwrap())
        );
        let chunk = r.read_bytes(150_000).unwrap();
        assert_eq!(chunk, data[4..150_004]);
        let mut expected = Adler32::new();
        expected.write(&data[..150_004]);
        assert_eq!(r.checksum(), i64::from(expected.finish()));
        assert_eq!(r.offset(), 150_004);
    }

    #[test]
    fn huge_length_fails_as_truncated_without_allocating_it() {
        let mut r = CheckedReader::new(&[1u8, 2, 3][..]);
        match r.read_bytes(usize::MAX / 2) {
            Err(ReadError::Truncated { available, .. }) => assert_eq!(available, 3),
            other => panic!("expected truncation, got {other:?}"),
        }
    }

    #[test]
    fn writer_checksum_covers_flushed_and_buffered_bytes() {
        let mut w = CheckedWriter::new(Vec::new());
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 13) as u8).collect();
        w.buf().extend_from_slice(&data);
        w.maybe_flush().unwrap();
        w.buf().extend_from_slice(b"tail");
        let sum = w.checksum();
        let out = w.into_inner().unwrap();
        let mut expected = Adler32::new();
        expected.write(&out);
        assert_eq!(sum, i64::from(expected.finish()));
        assert_eq!(out.len(), 100_004);
    }
}
