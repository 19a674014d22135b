//! The stream format of xerial snappy-java's `SnappyOutputStream`, which Apache ZooKeeper uses
//! for `snapshot.<zxid>.snappy` files.
//!
//! It is neither raw Snappy nor the standard Snappy framing format (`sNaPpY` chunks with
//! CRC32C): it is a 16-byte header and then length-prefixed raw Snappy blocks, with no
//! checksums of its own (the snapshot's Adler-32 covers the decompressed bytes).
//!
//! ```text
//! header: byte[8] magic = 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00
//!         int version = 1            // big-endian
//!         int compatibleVersion = 1
//! repeat: int compressedLength       // big-endian, > 0
//!         byte[compressedLength]     // one raw Snappy block, 32 KiB uncompressed by default
//! ```
//!
//! `SnappyInputStream` also accepts concatenated streams: where a block length is expected, the
//! first four magic bytes (`0x82534E41`, a negative `int`) start another header. Checked
//! against snappy-java 1.1.8 (Debian) by reading files Apache ZooKeeper 3.8 wrote.

use std::io::{self, Read, Write};

/// The 8-byte magic that starts the stream (`SnappyCodec.MAGIC_HEADER`).
pub(crate) const MAGIC: [u8; 8] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];
/// Header length: magic, version, compatible version.
const HEADER_BYTES: usize = 16;
/// snappy-java's `SnappyOutputStream.DEFAULT_BLOCK_SIZE`.
const BLOCK_BYTES: usize = 32 * 1024;
/// The most a Snappy block can expand per compressed byte (a 3-byte copy makes 64 bytes) is
/// below this; a block claiming more is corrupt, and is rejected before allocating.
const MAX_EXPANSION: usize = 32;

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// Reads exactly `out.len()` bytes; `Ok(false)` on a clean end before the first byte.
fn read_full_or_eof<R: Read>(r: &mut R, out: &mut [u8]) -> io::Result<bool> {
    let mut got = 0;
    while got < out.len() {
        match r.read(&mut out[got..]) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "snappy stream ends inside a block header",
                ))
            }
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// Decompresses a snappy-java stream.
pub(crate) struct XerialSnappyReader<R> {
    inner: R,
    decoder: snap::raw::Decoder,
    compressed: Vec<u8>,
    block: Vec<u8>,
    pos: usize,
}

impl<R: Read> XerialSnappyReader<R> {
    /// Reads and checks the stream header.
    pub(crate) fn new(mut inner: R) -> io::Result<Self> {
        let mut header = [0u8; HEADER_BYTES];
        if !read_full_or_eof(&mut inner, &mut header)? {
            return Err(invalid("empty snappy stream".into()));
        }
        check_header(&header)?;
        Ok(XerialSnappyReader {
            inner,
            decoder: snap::raw::Decoder::new(),
            compressed: Vec::new(),
            block: Vec::new(),
            pos: 0,
        })
    }

    /// Decodes the next block into `self.block`; `Ok(false)` at the end of the stream.
    fn next_block(&mut self) -> io::Result<bool> {
        loop {
            let mut len = [0u8; 4];
            if !read_full_or_eof(&mut self.inner, &mut len)? {
                return Ok(false);
            }
            if len == MAGIC[..4] {
                // A concatenated stream: the rest of its header, then its blocks.
                let mut header = [0u8; HEADER_BYTES];
                header[..4].copy_from_slice(&len);
                if !read_full_or_eof(&mut self.inner, &mut header[4..])? {
                    return Err(invalid("snappy stream ends inside a header".into()));
                }
                check_header(&header)?;
                continue;
            }
            let len = i32::from_be_bytes(len);
            let len = usize::try_from(len)
                .ok()
                .filter(|&l| l > 0)
                .ok_or_else(|| invalid(format!("invalid snappy block length {len}")))?;
            self.compressed.clear();
            (&mut self.inner)
                .take(len as u64)
                .read_to_end(&mut self.compressed)?;
            if self.compressed.len() < len {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "snappy block of {len} bytes truncated at {}",
                        self.compressed.len()
                    ),
                ));
            }
            let out_len = snap::raw::decompress_len(&self.compressed)
                .map_err(|e| invalid(format!("corrupt snappy block: {e}")))?;
            if out_len > len.saturating_mul(MAX_EXPANSION) {
                return Err(invalid(format!(
                    "snappy block of {len} bytes claims {out_len} uncompressed"
                )));
            }
            self.block.resize(out_len, 0);
            self.decoder
                .decompress(&self.compressed, &mut self.block)
                .map_err(|e| invalid(format!("corrupt snappy block: {e}")))?;
            self.pos = 0;
            if out_len > 0 {
                return Ok(true);
            }
        }
    }
}

fn check_header(header: &[u8; HEADER_BYTES]) -> io::Result<()> {
    if header[..8] != MAGIC {
        return Err(invalid("not a snappy-java stream (bad magic)".into()));
    }
    let compatible = i32::from_be_bytes(header[12..16].try_into().expect("4 bytes"));
    // snappy-java refuses streams whose compatible version is below its minimum (1).
    if compatible < 1 {
        return Err(invalid(format!(
            "unsupported snappy-java compatible version {compatible}"
        )));
    }
    Ok(())
}

impl<R: Read> Read for XerialSnappyReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if self.pos == self.block.len() && !self.next_block()? {
            return Ok(0);
        }
        let k = out.len().min(self.block.len() - self.pos);
        out[..k].copy_from_slice(&self.block[self.pos..self.pos + k]);
        self.pos += k;
        Ok(k)
    }
}

/// Compresses into a snappy-java stream that `SnappyInputStream` (and so Apache ZooKeeper)
/// reads: the header, then one block per 32 KiB of input.
pub(crate) struct XerialSnappyWriter<W: Write> {
    inner: W,
    encoder: snap::raw::Encoder,
    block: Vec<u8>,
    compressed: Vec<u8>,
}

impl<W: Write> XerialSnappyWriter<W> {
    /// Writes the stream header.
    pub(crate) fn new(mut inner: W) -> io::Result<Self> {
        let mut header = [0u8; HEADER_BYTES];
        header[..8].copy_from_slice(&MAGIC);
        header[8..12].copy_from_slice(&1i32.to_be_bytes());
        header[12..16].copy_from_slice(&1i32.to_be_bytes());
        inner.write_all(&header)?;
        Ok(XerialSnappyWriter {
            inner,
            encoder: snap::raw::Encoder::new(),
            block: Vec::with_capacity(BLOCK_BYTES),
            compressed: vec![0; snap::raw::max_compress_len(BLOCK_BYTES)],
        })
    }

    fn write_block(&mut self) -> io::Result<()> {
        if self.block.is_empty() {
            return Ok(());
        }
        let n = self
            .encoder
            .compress(&self.block, &mut self.compressed)
            .map_err(io::Error::other)?;
        let len = i32::try_from(n).expect("a 32 KiB block compresses to under 2 GiB");
        self.inner.write_all(&len.to_be_bytes())?;
        self.inner.write_all(&self.compressed[..n])?;
        self.block.clear();
        Ok(())
    }

    /// Writes the last, partial block and returns the inner writer.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.write_block()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for XerialSnappyWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let k = data.len().min(BLOCK_BYTES - self.block.len());
        self.block.extend_from_slice(&data[..k]);
        if self.block.len() == BLOCK_BYTES {
            self.write_block()?;
        }
        Ok(k)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_across_blocks_and_concatenated_streams() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 97) as u8).collect();
        let mut w = XerialSnappyWriter::new(Vec::new()).unwrap();
        w.write_all(&data).unwrap();
        let mut bytes = w.finish().unwrap();
        // snappy-java reads a second stream appended to the first.
        let mut w = XerialSnappyWriter::new(Vec::new()).unwrap();
        w.write_all(b"second").unwrap();
        bytes.extend(w.finish().unwrap());

        let mut out = Vec::new();
        XerialSnappyReader::new(&bytes[..])
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out.len(), data.len() + 6);
        assert_eq!(&out[..data.len()], &data[..]);
        assert_eq!(&out[data.len()..], b"second");
    }

    #[test]
    fn truncated_block_is_an_error_not_a_short_stream() {
        let mut w = XerialSnappyWriter::new(Vec::new()).unwrap();
        w.write_all(&[7u8; 1000]).unwrap();
        let bytes = w.finish().unwrap();
        let cut = &bytes[..bytes.len() - 1];
        let err = XerialSnappyReader::new(cut)
            .unwrap()
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn standard_framing_format_is_rejected() {
        let framed = b"\xff\x06\x00\x00sNaPpY";
        assert!(XerialSnappyReader::new(&framed[..]).is_err());
    }
}
