//! Length-prefixed framing: [`FrameDecoder`] and [`write_frame`].
//!
//! Every message in both directions is `int length` followed by `length` bytes. The length
//! does not count itself. A length below zero or above `jute.maxbuffer` (default
//! [`DEFAULT_MAX_FRAME_BYTES`] = 0xfffff, one byte short of 1 MiB) ends the connection.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::error::{Error, Result};

/// ZooKeeper's default `jute.maxbuffer`: 1,048,575 bytes.
pub const DEFAULT_MAX_FRAME_BYTES: usize = 0xfffff;

/// Splits a byte stream into frames, incrementally.
///
/// ```
/// use bytes::BytesMut;
/// use zk_proto::frame::FrameDecoder;
/// let decoder = FrameDecoder::default();
/// let mut buf = BytesMut::from(&[0u8, 0, 0, 3, b'a', b'b'][..]);
/// assert_eq!(decoder.decode(&mut buf).unwrap(), None); // one byte short
/// buf.extend_from_slice(b"c");
/// assert_eq!(&decoder.decode(&mut buf).unwrap().unwrap()[..], b"abc");
/// assert!(buf.is_empty());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameDecoder {
    max_frame_bytes: usize,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        FrameDecoder::new(DEFAULT_MAX_FRAME_BYTES)
    }
}

impl FrameDecoder {
    /// A decoder that rejects frames longer than `max_frame_bytes` (`jute.maxbuffer`).
    pub fn new(max_frame_bytes: usize) -> Self {
        FrameDecoder { max_frame_bytes }
    }

    /// The largest accepted frame payload.
    pub fn max_frame_bytes(&self) -> usize {
        self.max_frame_bytes
    }

    /// The payload length announced by the first four bytes of `buf`, checked against the
    /// limit; `Ok(None)` if fewer than four bytes are buffered.
    pub fn peek_len(&self, buf: &[u8]) -> Result<Option<usize>> {
        let Some(prefix) = buf.get(..4) else {
            return Ok(None);
        };
        let len = i32::from_be_bytes(prefix.try_into().expect("4 bytes"));
        match usize::try_from(len) {
            Ok(len) if len <= self.max_frame_bytes => Ok(Some(len)),
            _ => Err(Error::FrameLength {
                len: i64::from(len),
                max: self.max_frame_bytes,
            }),
        }
    }

    /// Removes one whole frame from the front of `buf` and returns its payload (without the
    /// length prefix); `Ok(None)` until the whole frame is buffered. An invalid length is an
    /// error and leaves `buf` untouched: the connection should be closed.
    pub fn decode(&self, buf: &mut BytesMut) -> Result<Option<Bytes>> {
        let Some(len) = self.peek_len(buf)? else {
            return Ok(None);
        };
        if buf.len() < 4 + len {
            // Reserve for the rest of this frame only: `len` has been checked against the limit.
            buf.reserve(4 + len - buf.len());
            return Ok(None);
        }
        buf.advance(4);
        Ok(Some(buf.split_to(len).freeze()))
    }
}

/// Appends one frame to `out`: a length prefix, then whatever `body` writes.
///
/// ```
/// use bytes::{BufMut, BytesMut};
/// let mut out = BytesMut::new();
/// zk_proto::frame::write_frame(&mut out, |b| b.put_slice(b"abc"));
/// assert_eq!(&out[..], &[0, 0, 0, 3, b'a', b'b', b'c']);
/// ```
pub fn write_frame(out: &mut BytesMut, body: impl FnOnce(&mut BytesMut)) {
    let start = out.len();
    out.put_i32(0);
    body(out);
    let len = i32::try_from(out.len() - start - 4).expect("frame longer than i32::MAX");
    out[start..start + 4].copy_from_slice(&len.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_negative_and_oversized_lengths() {
        let d = FrameDecoder::new(10);
        let mut buf = BytesMut::from(&[0xff, 0xff, 0xff, 0xff][..]);
        assert_eq!(
            d.decode(&mut buf),
            Err(Error::FrameLength { len: -1, max: 10 })
        );
        let mut buf = BytesMut::from(&[0, 0, 0, 11][..]);
        assert_eq!(
            d.decode(&mut buf),
            Err(Error::FrameLength { len: 11, max: 10 })
        );
        let mut buf = BytesMut::from(&[0, 0, 0, 10][..]);
        assert_eq!(d.decode(&mut buf), Ok(None));
    }

    #[test]
    fn decodes_back_to_back_frames_and_empty_frames() {
        let d = FrameDecoder::default();
        let mut buf = BytesMut::from(&[0, 0, 0, 0, 0, 0, 0, 1, 7, 0, 0][..]);
        assert_eq!(d.decode(&mut buf).unwrap().unwrap().len(), 0);
        assert_eq!(&d.decode(&mut buf).unwrap().unwrap()[..], &[7]);
        assert_eq!(d.decode(&mut buf), Ok(None));
        assert_eq!(buf.len(), 2);
    }
}
